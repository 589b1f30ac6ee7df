package server_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/models"
)

// Test documents: real magic numbers, so type detection sees them as such.
var (
	pdfDoc  = append([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"), bytes.Repeat([]byte("0"), 2000)...)
	pngDoc  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 500)...)
	htmlDoc = []byte("<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>")
	svgDoc  = []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`)
)

// bigDoc is a PDF of n bytes.
func bigDoc(n int) []byte {
	b := make([]byte, n)
	copy(b, "%PDF-1.4\n")
	for i := 9; i < n; i++ {
		b[i] = '0'
	}
	return b
}

// licensing makes the fixture jurisdiction every test applies under.
func (h *harness) licensing() {
	h.t.Helper()
	admin := h.user(h.ensureAdmin())
	_, err := h.app.Clinicians.SaveVocabulary(context.Background(), h.actor(admin), clinicians.ListJurisdictions, clinicians.VocabularyForm{
		Code: "test-board", Label: "Test Nursing Board", RegisterURL: "https://register.example.org/lookup?number={licence}"})
	if err != nil {
		h.t.Fatal(err)
	}
}

// applicationValues is a valid application form; the licence expires
// `days` after the fake clock's today.
func (h *harness) applicationValues(licence string, days int) url.Values {
	return url.Values{
		"profession": {"registered-nurse"}, "specialties": {"cardiology"}, "licence_number": {licence},
		"jurisdiction": {"test-board"}, "licence_expires": {h.clock.Now().AddDate(0, 0, days).Format("2006-01-02")},
	}
}

func (h *harness) applicationForm(licence string, days int) clinicians.ApplicationForm {
	v := h.applicationValues(licence, days)
	return clinicians.ApplicationForm{Profession: v.Get("profession"), Specialties: v["specialties"], LicenceNumber: licence,
		Jurisdiction: v.Get("jurisdiction"), LicenceExpires: v.Get("licence_expires")}
}

// apply submits an application for handle through the service.
func (h *harness) apply(handle, licence string, days int, doc []byte) *models.Credential {
	h.t.Helper()
	c, err := h.app.Clinicians.Apply(context.Background(), h.actor(h.user(handle)), h.applicationForm(licence, days), clinicians.UploadOf(doc))
	if err != nil {
		h.t.Fatalf("apply as %s: %v", handle, err)
	}
	return c
}

// verify applies for handle and has the fixture admin approve it.
func (h *harness) verify(handle string, days int) *models.Credential {
	h.t.Helper()
	c := h.apply(handle, "RN-"+strings.ReplaceAll(handle, "_", "-"), days, nil)
	c, err := h.app.Clinicians.Approve(context.Background(), h.actor(h.user(h.ensureAdmin())), c.ID, "")
	if err != nil {
		h.t.Fatalf("approve %s: %v", handle, err)
	}
	return c
}

func (h *harness) credential(id int64) models.Credential {
	h.t.Helper()
	var c models.Credential
	if err := h.app.DB.Gorm.First(&c, id).Error; err != nil {
		h.t.Fatal(err)
	}
	return c
}

func multipartBody(fields url.Values, fileName string, content []byte) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	if fileName != "" {
		fw, _ := w.CreateFormFile("document", fileName)
		_, _ = fw.Write(content)
	}
	_ = w.Close()
	return &buf, w.FormDataContentType()
}

// postMultipart submits a form with a document, as a browser does.
func (b *browser) postMultipart(path string, fields url.Values, fileName string, content []byte) *resp {
	b.h.t.Helper()
	f := url.Values{"csrf_token": {b.csrf}}
	for k, v := range fields {
		f[k] = v
	}
	body, ctype := multipartBody(f, fileName, content)
	req, _ := http.NewRequest(http.MethodPost, b.h.srv.URL+path, body)
	req.Header.Set("Content-Type", ctype)
	return b.do(req)
}

// apiMultipart posts a multipart form to the API with a token.
func (h *harness) apiMultipart(path, token string, fields url.Values, fileName string, content []byte) apiResp {
	h.t.Helper()
	body, ctype := multipartBody(fields, fileName, content)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, body)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+token)
	return h.send(req)
}

// auditCount counts audit events of an action about a credential.
func auditCount(t *testing.T, h *harness, action string, credID int64) int64 {
	t.Helper()
	return countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = ? AND target_kind = 'credential' AND target_id = ?`, action, credID)
}

func notifCount(t *testing.T, h *harness, handle, kind string) int64 {
	t.Helper()
	return countWhere(t, h, `SELECT count(*) FROM notifications WHERE user_id = ? AND kind = ?`, h.user(handle).ID, kind)
}

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
