package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// objectKey is where a credential's document sits in the test bucket.
func objectKey(c models.Credential) string { return "documents/" + *c.DocumentFile }

func bucketObject(t *testing.T, b *testenv.S3Bucket, key string) ([]byte, minio.ObjectInfo) {
	t.Helper()
	obj, err := b.Client.GetObject(context.Background(), b.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	info, err := obj.Stat()
	if err != nil {
		t.Fatalf("object %s: %v", key, err)
	}
	content, err := io.ReadAll(obj)
	if err != nil {
		t.Fatal(err)
	}
	return content, info
}

// TestCredentialDocumentsInObjectStorage: with KINDRED_STORAGE=s3 the
// whole life of a proof document goes through a real S3 server: upload
// (page and API), a reviewer's download with the same protective headers
// and an audit row, refused uploads that leave nothing behind, removal
// after the retention period, and the sweep of documents no credential
// names.
func TestCredentialDocumentsInObjectStorage(t *testing.T) {
	t.Parallel()
	bucket := testenv.NewS3Bucket(t)
	h := newHarness(t, harnessOpts{s3: bucket, env: map[string]string{"KINDRED_DOCUMENT_RETENTION_DAYS": "10"}})
	h.licensing()
	ctx := context.Background()
	keyRe := regexp.MustCompile(`^documents/[0-9a-f]{32}$`)

	applicant := h.member("nurse_sam")
	applicant.get("/clinician/apply")
	// Refused: too large, or HTML pretending to be a PDF. Nothing reaches the bucket.
	if r := applicant.postMultipart("/clinician/apply", h.applicationValues("RN-7001", 300), "big.pdf", bigDoc(clinicians.MaxDocumentSize+1)); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize: %d", r.StatusCode)
	}
	if r := applicant.postMultipart("/clinician/apply", h.applicationValues("RN-7001", 300), "licence.pdf", htmlDoc); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("HTML named .pdf: %d", r.StatusCode)
	}
	if keys := bucket.Keys(t); len(keys) != 0 {
		t.Fatalf("refused uploads left %v", keys)
	}

	// A 5 MB PDF (the largest allowed) through the page; the name the
	// browser sent is not used.
	doc := bigDoc(clinicians.MaxDocumentSize)
	copy(doc[len(doc)-64:], randomTail())
	r := applicant.postMultipart("/clinician/apply", h.applicationValues("RN-7001", 300), "../../etc/passwd.pdf", doc)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.StatusCode, r.body)
	}
	cred, _ := h.app.Clinicians.Latest(ctx, h.user("nurse_sam").ID)
	if cred == nil || !cred.HasDocument() {
		t.Fatal("no document recorded")
	}
	keys := bucket.Keys(t)
	if len(keys) != 1 || keys[0] != objectKey(*cred) || !keyRe.MatchString(keys[0]) {
		t.Fatalf("bucket holds %v; the credential names %s", keys, *cred.DocumentFile)
	}
	stored, info := bucketObject(t, bucket, keys[0])
	if !bytes.Equal(stored, doc) || info.ContentType != "application/pdf" {
		t.Fatalf("stored object: %d bytes (want %d), type %q", len(stored), len(doc), info.ContentType)
	}

	// A PNG through the API, by another applicant.
	other := h.member("dr_pia")
	tok := other.token("write")
	if r := h.apiMultipart("/api/v1/me/credentials", tok, h.applicationValues("RN-7002", 300), "scan.png", pngDoc); r.Status != http.StatusCreated {
		t.Fatalf("API upload: %d %s", r.Status, r.Raw)
	}
	pia, _ := h.app.Clinicians.Latest(ctx, h.user("dr_pia").ID)
	if got, info := bucketObject(t, bucket, objectKey(*pia)); !bytes.Equal(got, pngDoc) || info.ContentType != "image/png" {
		t.Fatalf("API upload stored %d bytes of %q", len(got), info.ContentType)
	}

	// A reviewer downloads it: the bytes come from the bucket, with the
	// headers that keep a browser from rendering it, and the view is audited.
	reviewer := h.member("rev_kim")
	h.app.DB.Gorm.Model(&models.User{}).Where("handle = 'rev_kim'").Update("reviewer", true)
	docURL := "/credentials/" + itoa(cred.ID) + "/document"
	res := reviewer.get(docURL)
	if res.StatusCode != http.StatusOK || res.body != string(doc) {
		t.Fatalf("reviewer download: %d, %d bytes", res.StatusCode, len(res.body))
	}
	hd := res.Header
	if hd.Get("Content-Disposition") != fmt.Sprintf(`attachment; filename="credential-%d.pdf"`, cred.ID) || hd.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(hd.Get("Content-Security-Policy"), "sandbox") || hd.Get("Content-Type") != "application/pdf" || hd.Get("Cache-Control") != "private, no-store" {
		t.Errorf("download headers: %v", hd)
	}
	if n := auditCount(t, h, "credential.document.view", cred.ID); n != 1 {
		t.Errorf("%d view audit events, want 1", n)
	}
	if res := h.browser().get(docURL); res.StatusCode != http.StatusNotFound {
		t.Errorf("visitor download: %d", res.StatusCode)
	}
	if res := other.get(docURL); res.StatusCode != http.StatusNotFound {
		t.Errorf("another applicant's download: %d", res.StatusCode)
	}

	// A document no credential names (an upload whose transaction failed
	// while the store did not answer the clean-up): removed by the sweep
	// once two sweeps an hour apart have found it so; named ones stay.
	stray, _ := storage.NewKey()
	if _, err := bucket.Client.PutObject(ctx, bucket.Bucket, "documents/"+stray, bytes.NewReader(pdfDoc), int64(len(pdfDoc)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	// Not a document key: never touched, whoever put it there.
	if _, err := bucket.Client.PutObject(ctx, bucket.Bucket, "documents/README", strings.NewReader("x"), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if res, err := h.app.Clinicians.Sweep(ctx); err != nil || res.UnnamedDeleted != 0 {
		t.Fatalf("first sweep: %+v %v", res, err)
	}
	h.clock.Advance(30 * time.Minute)
	if res, _ := h.app.Clinicians.Sweep(ctx); res.UnnamedDeleted != 0 {
		t.Fatalf("unnamed document removed after 30 minutes: %+v", res)
	}
	h.clock.Advance(31 * time.Minute)
	if res, _ := h.app.Clinicians.Sweep(ctx); res.UnnamedDeleted != 1 {
		t.Fatalf("unnamed document kept past an hour: %+v", res)
	}
	want := []string{"documents/README", objectKey(*cred), objectKey(*pia)}
	slices.Sort(want)
	if keys := bucket.Keys(t); !slices.Equal(keys, want) {
		t.Fatalf("after the sweep the bucket holds %v, want %v", keys, want)
	}

	// Retention: 10 days after the decision the document leaves the bucket.
	h.ensureAdmin()
	if _, err := h.app.Clinicians.Approve(ctx, h.actor(h.user("fixture_admin")), cred.ID, ""); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(day(9))
	if res, _ := h.app.Clinicians.Sweep(ctx); res.DocumentsDeleted != 0 {
		t.Fatalf("deleted early: %+v", res)
	}
	h.clock.Advance(day(2))
	if res, _ := h.app.Clinicians.Sweep(ctx); res.DocumentsDeleted != 1 {
		t.Fatalf("kept past retention: %+v", res)
	}
	if _, err := bucket.Client.StatObject(ctx, bucket.Bucket, objectKey(*cred), minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
		t.Fatalf("the document is still in the bucket: %v", err)
	}
	if n := auditCount(t, h, "credential.document.delete", cred.ID); n != 1 {
		t.Errorf("%d delete audit events", n)
	}
	// Eleven days on, the reviewer confirms it is them first (sudo mode).
	reviewer.get("/reauth")
	reviewer.post("/reauth", url.Values{"password": {goodPassword}, "next": {"/"}})
	if res := reviewer.get(docURL); res.StatusCode != http.StatusNotFound {
		t.Errorf("download after retention: %d", res.StatusCode)
	}
	// The pending application's document stays.
	if got, _ := bucketObject(t, bucket, objectKey(*pia)); !bytes.Equal(got, pngDoc) {
		t.Error("a pending application's document changed")
	}
}

func randomTail() []byte {
	k, _ := storage.NewKey()
	return []byte(k + k)
}

// TestDocumentStoreNotAnswering: an S3 server that accepts connections
// and never answers (SIGSTOPped) costs a viewer about KINDRED_S3_TIMEOUT,
// then a 503 with Retry-After that says what happened, for pages and API;
// an applicant gets the form back, as typed, and nothing is recorded. The
// upload the server takes in when it wakes is removed by the sweep.
func TestDocumentStoreNotAnswering(t *testing.T) {
	t.Parallel()
	srv := testenv.NewPrivateS3(t)
	bucket := srv.NewBucket(t)
	const timeout = time.Second
	// Bounded, not instant: the timeout plus room for a loaded machine
	// (a hang would be KINDRED_S3_TIMEOUT's default or forever).
	const bound = timeout + 4*time.Second
	h := newHarness(t, harnessOpts{s3: bucket, env: map[string]string{"KINDRED_S3_TIMEOUT": timeout.String()}})
	h.licensing()
	ctx := context.Background()
	h.member("nurse_lee")
	cred := h.apply("nurse_lee", "RN-8001", 300, pdfDoc)
	h.ensureAdmin()
	admin := h.browser()
	admin.signIn("fixture_admin", goodPassword)
	docURL := "/credentials/" + itoa(cred.ID) + "/document"
	if res := admin.get(docURL); res.StatusCode != http.StatusOK || res.body != string(pdfDoc) {
		t.Fatalf("download while the store answers: %d", res.StatusCode)
	}
	applicant := h.member("nurse_max")
	applicant.get("/clinician/apply")

	srv.Pause(t)
	start := time.Now()
	res := admin.get(docURL)
	took := time.Since(start)
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || !strings.Contains(res.body, "not answering just now") {
		t.Errorf("download from a hung store: %d, Retry-After %q\n%s", res.StatusCode, res.Header.Get("Retry-After"), res.body)
	}
	if took > bound {
		t.Errorf("the viewer waited %v (timeout %v)", took, timeout)
	}
	t.Logf("a viewer of a hung store got %d after %v", res.StatusCode, took.Round(time.Millisecond))
	// The applicant's own token: an admin's would need a second-factor
	// code (sudo mode through the API).
	api := h.api("GET", "/api/v1"+docURL, h.tokenFor("nurse_lee", "read"), nil)
	if api.Status != http.StatusServiceUnavailable || api.Header.Get("Retry-After") == "" || !strings.Contains(api.Raw, `"unavailable"`) {
		t.Errorf("API download from a hung store: %d %s", api.Status, api.Raw)
	}
	if n := auditCount(t, h, "credential.document.view", cred.ID); n != 1 {
		t.Errorf("%d view audit events: a failed view is not a view", n)
	}

	start = time.Now()
	r := applicant.postMultipart("/clinician/apply", h.applicationValues("RN-8002", 300), "licence.png", pngDoc)
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, `value="RN-8002"`) ||
		!strings.Contains(r.body, "application was not sent") || !strings.Contains(r.body, `id="document-error"`) {
		t.Errorf("upload to a hung store: %d\n%s", r.StatusCode, r.body)
	}
	if took := time.Since(start); took > bound {
		t.Errorf("the applicant waited %v (timeout %v)", took, timeout)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM credentials WHERE user_id = ?`, h.user("nurse_max").ID); n != 0 {
		t.Errorf("a failed upload recorded %d applications", n)
	}
	if r := h.apiMultipart("/api/v1/me/credentials", applicant.token("write"), h.applicationValues("RN-8002", 300), "licence.png", pngDoc); r.Status != http.StatusServiceUnavailable {
		t.Errorf("API upload to a hung store: %d %s", r.Status, r.Raw)
	}
	// The sweep neither hangs nor fails the job.
	start = time.Now()
	if _, err := h.app.Clinicians.Sweep(ctx); err != nil || time.Since(start) > bound {
		t.Errorf("sweep against a hung store: %v after %v", err, time.Since(start))
	}

	srv.Resume(t)
	if res := admin.get(docURL); res.StatusCode != http.StatusOK || res.body != string(pdfDoc) {
		t.Fatalf("download once the store is back: %d", res.StatusCode)
	}
	// The server carried out the uploads waiting in its socket when it
	// woke up: objects no credential names, which the sweep removes.
	named := []string{objectKey(*cred)}
	deadline := time.Now().Add(15 * time.Second)
	removed := 0
	for {
		res, _ := h.app.Clinicians.Sweep(ctx)
		removed += res.UnnamedDeleted
		h.clock.Advance(2 * time.Hour)
		if keys := bucket.Keys(t); slices.Equal(keys, named) {
			t.Logf("the sweep removed %d documents the store took in after it woke", removed)
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the bucket holds %v, want only %v", keys, named)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
