package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// TestNobodyVerifiesThemselves covers self-review, members and moderators
// acting as reviewers, fields a member could smuggle into a form or JSON,
// and who may apply again.
func TestNobodyVerifiesThemselves(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()

	// An admin's own application: refused through the service, the page and the API.
	admin := h.withRole("boss", models.RoleAdmin)
	admin.get("/clinician/apply")
	if r := admin.post("/clinician/apply", h.applicationValues("RN-BOSS", 400)); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin applies: %d %s", r.StatusCode, r.body)
	}
	own, _ := h.app.Clinicians.Latest(ctx, h.user("boss").ID)
	page := admin.get("/review/credentials/" + itoa(own.ID))
	if !strings.Contains(page.body, "Nobody may review their own application") || strings.Contains(page.body, `/approve"`) {
		t.Error("own application offers a decision")
	}
	admin.post("/review/credentials/"+itoa(own.ID)+"/approve", nil)
	adminTok := admin.token("write")
	if r := h.api("POST", "/api/v1/review/credentials/"+itoa(own.ID)+"/approve", adminTok, map[string]string{}); r.Status != http.StatusConflict {
		t.Errorf("self-approval over the API: %d", r.Status)
	}
	if r := h.api("POST", "/api/v1/review/credentials/"+itoa(own.ID)+"/reject", adminTok, map[string]string{"reason": "testing myself"}); r.Status != http.StatusConflict {
		t.Errorf("self-rejection over the API: %d", r.Status)
	}
	if c := h.credential(own.ID); c.Status != models.CredentialPending {
		t.Fatalf("self-review changed the status to %s", c.Status)
	}

	// A member fills in fields that are not on the form.
	member := h.member("eager")
	member.get("/clinician/apply")
	v := h.applicationValues("RN-EAGER", 400)
	v.Set("status", "verified")
	v.Set("verified_until", "2099-01-01T00:00:00Z")
	v.Set("reviewer_id", itoa(h.user("eager").ID))
	if r := member.post("/clinician/apply", v); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("apply: %d %s", r.StatusCode, r.body)
	}
	c, _ := h.app.Clinicians.Latest(ctx, h.user("eager").ID)
	if c.Status != models.CredentialPending || c.ReviewerID != nil || c.VerifiedUntil != nil {
		t.Fatalf("smuggled fields took effect: %+v", c)
	}
	// The same over the API, and settings that pretend to verify.
	h.member("sly")
	slyTok := func() string { b := h.browser(); b.signIn("sly", goodPassword); return b.token("write") }()
	r := h.api("POST", "/api/v1/me/credentials", slyTok, map[string]any{
		"profession": "physician", "specialties": []string{"cardiology"}, "licence_number": "MD-SLY", "jurisdiction": "test-board",
		"licence_expires": h.clock.Now().AddDate(1, 0, 0).Format("2006-01-02"), "status": "verified", "verified_until": "2099-01-01T00:00:00Z", "reviewer_id": 1})
	// Fields an application does not take are refused outright, naming
	// them, and nothing is stored.
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, `"reviewer_id"`) {
		t.Fatalf("API apply with smuggled fields: %d %s", r.Status, r.Raw)
	}
	r = h.api("POST", "/api/v1/me/credentials", slyTok, map[string]any{
		"profession": "physician", "specialties": []string{"cardiology"}, "licence_number": "MD-SLY", "jurisdiction": "test-board",
		"licence_expires": h.clock.Now().AddDate(1, 0, 0).Format("2006-01-02")})
	if r.Status != http.StatusCreated || r.Body["status"] != "pending" {
		t.Fatalf("API apply: %d %s", r.Status, r.Raw)
	}
	if r := h.api("PUT", "/api/v1/me/clinician-settings", slyTok, map[string]any{"accepting_questions": true, "max_open_questions": 3, "verified": true}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, `"verified"`) {
		t.Errorf("settings that pretend to verify: %d %s", r.Status, r.Raw)
	}
	if r := h.api("PUT", "/api/v1/me/clinician-settings", slyTok, map[string]any{"accepting_questions": true, "max_open_questions": 3}); r.Status != http.StatusConflict {
		t.Errorf("settings of a pending applicant: %d", r.Status)
	}
	if ok, _ := h.app.Clinicians.IsVerified(ctx, h.user("sly").ID); ok {
		t.Fatal("sly is verified")
	}

	// Members and moderators are not reviewers; a granted reviewer is.
	mod := h.withRole("modder", models.RoleModerator)
	for who, b := range map[string]*browser{"member": member, "moderator": mod} {
		if r := b.get("/review/credentials"); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s sees the queue: %d", who, r.StatusCode)
		}
		b.get("/")
		if r := b.post("/review/credentials/"+itoa(c.ID)+"/approve", nil); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s approves: %d", who, r.StatusCode)
		}
		if r := b.post("/admin/users/"+itoa(h.user("eager").ID)+"/reviewer", url.Values{"reviewer": {"on"}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s grants the reviewer permission: %d", who, r.StatusCode)
		}
	}
	modTok := mod.token("write")
	if r := h.api("POST", "/api/v1/review/credentials/"+itoa(c.ID)+"/approve", modTok, map[string]string{}); r.Status != http.StatusForbidden {
		t.Errorf("moderator approves over the API: %d", r.Status)
	}
	admin.get("/admin/users")
	if r := admin.post("/admin/users/"+itoa(h.user("modder").ID)+"/reviewer", url.Values{"reviewer": {"on"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("grant reviewer: %d", r.StatusCode)
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'user.reviewer.grant' AND target_id = ?`, h.user("modder").ID) != 1 {
		t.Error("reviewer grant not audited")
	}
	mod.get("/review/credentials")
	if r := mod.post("/review/credentials/"+itoa(c.ID)+"/revoke", url.Values{"reason": {"reviewers cannot revoke"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("reviewer revokes: %d", r.StatusCode)
	}
	if r := mod.post("/review/credentials/"+itoa(c.ID)+"/reject", url.Values{"reason": {"no"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "at least five characters") {
		t.Errorf("short rejection reason: %d", r.StatusCode)
	}
	if r := mod.post("/review/credentials/"+itoa(c.ID)+"/approve", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reviewer approves: %d", r.StatusCode)
	}
	if got := h.credential(c.ID); got.Status != models.CredentialVerified || *got.ReviewerID != h.user("modder").ID {
		t.Fatalf("after approval: %+v", got)
	}
	// The admin's own application, decided by the granted reviewer.
	if r := mod.post("/review/credentials/"+itoa(own.ID)+"/reject", url.Values{"reason": {"The register lists no such licence"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reviewer rejects: %d", r.StatusCode)
	}

	// Who may apply again: rejected yes, verified no, pending no, revoked no.
	if r := admin.get("/clinician/apply"); r.StatusCode != http.StatusOK {
		t.Errorf("rejected member may apply again: %d", r.StatusCode)
	}
	if r := member.get("/clinician/apply"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("verified member offered the form: %d", r.StatusCode)
	}
	if _, err := h.app.Clinicians.Apply(ctx, h.actor(h.user("sly")), h.applicationForm("MD-2", 300), nil); !isConflict(err) {
		t.Errorf("second pending application: %v", err)
	}
	if _, err := h.app.Clinicians.Revoke(ctx, h.actor(h.user("boss")), c.ID, "Board reported misconduct"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Clinicians.Apply(ctx, h.actor(h.user("eager")), h.applicationForm("RN-EAGER", 300), nil); !isConflict(err) {
		t.Errorf("revoked member applies again: %v", err)
	}
}

func isConflict(err error) bool {
	var ce *models.ConflictError
	return errors.As(err, &ce)
}

// TestApplicationFormNamesEveryField: an application with bad input on
// every field comes back with each one named, the input escaped, nothing
// stored. (app/clinicians' TestApprovalPeriod has the approval period.)
func TestApplicationFormNamesEveryField(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()

	// Bad input on the form: every field named, nothing stored.
	b := h.member("careless")
	b.get("/clinician/apply")
	r := b.post("/clinician/apply", url.Values{"profession": {"wizard"}, "specialties": {"astrology"}, "licence_number": {"<script>"},
		"jurisdiction": {"nowhere"}, "licence_expires": {"2020-01-01"}})
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid application: %d", r.StatusCode)
	}
	for _, f := range []string{"profession", "specialties", "licence_number", "jurisdiction", "licence_expires"} {
		if !strings.Contains(r.body, `id="`+f+`-error"`) {
			t.Errorf("no error shown for %s", f)
		}
	}
	if strings.Contains(r.body, "<script>") {
		t.Error("licence number echoed unescaped")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM credentials WHERE user_id = ?`, h.user("careless").ID); n != 0 {
		t.Errorf("invalid application stored %d rows", n)
	}
}

// TestCredentialDocuments: size and real-type checks, names never taken
// from the upload, downloads only for the applicant and reviewers (404 for
// everyone else), every view audited, deletion after the retention period.
func TestCredentialDocuments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_DOCUMENT_RETENTION_DAYS": "10"}})
	h.licensing()
	ctx := context.Background()
	dir := h.cfg.DocumentDir
	files := func() []string {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range entries {
			out = append(out, e.Name())
		}
		return out
	}
	applicant := h.member("nurse_jo")
	applicant.get("/clinician/apply")
	rows := func() int64 {
		return countWhere(t, h, `SELECT count(*) FROM credentials WHERE user_id = ?`, h.user("nurse_jo").ID)
	}

	// Over 5 MB: 413 with the form re-shown and the typed fields kept.
	r := applicant.postMultipart("/clinician/apply", h.applicationValues("RN-4471", 300), "licence.pdf", bigDoc(clinicians.MaxDocumentSize+1))
	if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "larger than 5 MB") || !strings.Contains(r.body, `value="RN-4471"`) {
		t.Fatalf("oversize document: %d", r.StatusCode)
	}
	// A 6 MB phone photo: the same form back, under the signed-in header.
	r = applicant.postMultipart("/clinician/apply", h.applicationValues("RN-4471", 300), "licence.jpg", bigDoc(6<<20))
	if r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "larger than 5 MB") || !strings.Contains(r.body, `value="RN-4471"`) || !strings.Contains(r.body, "Sign out") {
		t.Fatalf("6 MB document: %d", r.StatusCode)
	}
	// Far over: refused before the form is read, saying why.
	if r := applicant.postMultipart("/clinician/apply", h.applicationValues("RN-4471", 300), "licence.pdf", bigDoc(20<<20)); r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "at most 5 MB") {
		t.Fatalf("20 MB body: %d", r.StatusCode)
	}
	// HTML and SVG files named .pdf are refused by their content.
	for name, doc := range map[string][]byte{"licence.pdf": htmlDoc, "scan.pdf": svgDoc, "photo.png": []byte("GIF89a not a png")} {
		r := applicant.postMultipart("/clinician/apply", h.applicationValues("RN-4471", 300), name, doc)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "must be a PDF, PNG or JPEG") {
			t.Errorf("%s with the wrong content: %d", name, r.StatusCode)
		}
	}
	tok := applicant.token("write")
	if r := h.apiMultipart("/api/v1/me/credentials", tok, h.applicationValues("RN-4471", 300), "big.pdf", bigDoc(clinicians.MaxDocumentSize+10)); r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Raw, `"too_large"`) {
		t.Errorf("API oversize: %d %s", r.Status, r.Raw)
	}
	if r := h.apiMultipart("/api/v1/me/credentials", tok, h.applicationValues("RN-4471", 300), "x.pdf", htmlDoc); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, `"document"`) {
		t.Errorf("API wrong type: %d %s", r.Status, r.Raw)
	}
	if rows() != 0 || len(files()) != 0 {
		t.Fatalf("refused uploads left %d rows and files %v", rows(), files())
	}

	// A path in the file name is ignored: the file gets a random name in the directory.
	applicant.get("/clinician/apply")
	r = applicant.postMultipart("/clinician/apply", h.applicationValues("RN-4471", 300), "../../../../etc/cron.d/evil.pdf", pdfDoc)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("valid upload: %d %s", r.StatusCode, r.body)
	}
	stored := files()
	if len(stored) != 1 || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(stored[0]) {
		t.Fatalf("stored files %v", stored)
	}
	if parent, _ := os.ReadDir(filepath.Dir(dir)); len(parent) != 1 {
		t.Fatalf("something was written next to the document directory: %v", parent)
	}
	cred, _ := h.app.Clinicians.Latest(ctx, h.user("nurse_jo").ID)
	docURL := "/credentials/" + itoa(cred.ID) + "/document"

	// Who may download.
	h.ensureAdmin()
	admin := h.browser()
	admin.signIn("fixture_admin", goodPassword)
	reviewer := h.member("rev_ann")
	h.app.DB.Gorm.Model(&models.User{}).Where("handle = 'rev_ann'").Update("reviewer", true)
	other := h.member("curious")
	mod := h.withRole("mod_max", models.RoleModerator)
	views := 0
	for who, b := range map[string]*browser{"applicant": applicant, "admin": admin, "reviewer": reviewer} {
		res := b.get(docURL)
		if res.StatusCode != http.StatusOK || res.body != string(pdfDoc) {
			t.Errorf("%s download: %d", who, res.StatusCode)
			continue
		}
		views++
		hd := res.Header
		if cd := hd.Get("Content-Disposition"); cd != fmt.Sprintf(`attachment; filename="credential-%d.pdf"`, cred.ID) {
			t.Errorf("%s: Content-Disposition %q", who, cd)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(hd.Get("Content-Security-Policy"), "sandbox") || hd.Get("Content-Type") != "application/pdf" {
			t.Errorf("%s: headers %v", who, hd)
		}
	}
	for who, b := range map[string]*browser{"other member": other, "moderator": mod, "visitor": h.browser()} {
		if res := b.get(docURL); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s download: %d", who, res.StatusCode)
		}
	}
	if r := h.api("GET", "/api/v1"+docURL, tok, nil); r.Status != http.StatusOK || r.Raw != string(pdfDoc) {
		t.Errorf("applicant API download: %d", r.Status)
	} else {
		views++
	}
	if r := h.api("GET", "/api/v1"+docURL, other.token("read"), nil); r.Status != http.StatusNotFound {
		t.Errorf("other member API download: %d", r.Status)
	}
	if n := auditCount(t, h, "credential.document.view", cred.ID); n != int64(views) || views != 4 {
		t.Errorf("%d views, %d audit events", views, n)
	}

	// Retention: the document goes 10 days after the decision, not before.
	if _, err := h.app.Clinicians.Approve(ctx, h.actor(h.user("fixture_admin")), cred.ID, ""); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(day(9))
	if res, _ := h.app.Clinicians.Sweep(ctx); res.DocumentsDeleted != 0 || len(files()) != 1 {
		t.Fatalf("document deleted early: %+v", res)
	}
	h.clock.Advance(day(2))
	if res, _ := h.app.Clinicians.Sweep(ctx); res.DocumentsDeleted != 1 || len(files()) != 0 {
		t.Fatalf("document kept past retention: %+v, files %v", res, files())
	}
	applicant.signIn("nurse_jo", goodPassword)
	if res := applicant.get(docURL); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleted document: %d", res.StatusCode)
	}
}

// TestClinicianBadges: the badge on every post of a verified clinician
// (written before or after approval, never anonymous ones), what posts
// keep, "clinician answered" and its filter, clinician-only forums.
func TestClinicianBadges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	for _, u := range []string{"dr_ola", "pat", "other"} {
		h.account(u, models.RoleMember)
	}
	f := h.forum("heart", func(ff *forums.ForumForm) { ff.Specialties = []string{"cardiology"} })
	mh := h.forum("mind", func(ff *forums.ForumForm) { ff.Sensitive = true })
	h.forum("lounge", func(ff *forums.ForumForm) { ff.ClinicianOnly = true })
	before := h.thread("dr_ola", f, "Written before verification", "An early post.", false)
	asked := h.thread("pat", f, "Palpitations after coffee", "Is this common?", false)
	plain := h.thread("pat", f, "Walking groups", "Anyone near the coast?", false)
	h.reply("other", plain.ID, "Me!", false)

	const badge = "Verified · Registered nurse · Cardiology"
	visitor := h.browser()
	if strings.Contains(visitor.get("/t/"+itoa(before.ID)).body, badge) {
		t.Fatal("badge before verification")
	}
	// A member cannot read or post in the clinician lounge yet.
	olaTok := func() string { b := h.browser(); b.signIn("dr_ola", goodPassword); return b.token("write") }()
	if r := h.api("GET", "/api/v1/forums/lounge/threads", olaTok, nil); r.Status != http.StatusNotFound {
		t.Fatalf("member reads the lounge: %d", r.Status)
	}

	cred := h.verify("dr_ola", 300)
	h.reply("dr_ola", asked.ID, "Often harmless, but see your GP if it lasts.", false)
	anonT := h.thread("pat", mh, "Hard week", "Just venting.", false)
	anon := h.reply("dr_ola", anonT.ID, "Speaking as a patient myself: it gets better.", true)

	page := visitor.get("/t/" + itoa(asked.ID)).body
	if !strings.Contains(page, badge) || !strings.Contains(page, `href="/clinicians/dr_ola"`) {
		t.Fatalf("no badge on the new reply:\n%s", page)
	}
	if !strings.Contains(visitor.get("/t/"+itoa(before.ID)).body, badge) {
		t.Error("no badge on a post written before verification")
	}
	member := h.browser()
	member.signIn("pat", goodPassword)
	if strings.Contains(member.get("/t/"+itoa(anonT.ID)).body, "Verified ·") {
		t.Error("badge on an anonymous post")
	}
	var wrote []struct {
		ID                 int64
		AuthorWasClinician bool
	}
	h.app.DB.Gorm.Raw(`SELECT id, author_was_clinician FROM posts WHERE author_id = ? ORDER BY id`, h.user("dr_ola").ID).Scan(&wrote)
	if len(wrote) != 3 || wrote[0].AuthorWasClinician || !wrote[1].AuthorWasClinician || wrote[2].AuthorWasClinician || wrote[2].ID != anon.ID {
		t.Errorf("author_was_clinician: %+v", wrote)
	}

	if !strings.Contains(member.get("/members/dr_ola").body, badge) {
		t.Error("no badge on the clinician's profile")
	}

	// Clinician answered: marked, filtered on the page and in the API.
	fp := visitor.get("/f/heart?answered=1").body
	if !strings.Contains(fp, "Palpitations after coffee") || strings.Contains(fp, "Walking groups") || strings.Contains(fp, "Written before verification") {
		t.Errorf("answered filter:\n%s", fp)
	}
	if !strings.Contains(visitor.get("/f/heart").body, "Clinician answered") {
		t.Error("no clinician-answered mark on the forum page")
	}
	r := h.api("GET", "/api/v1/forums/heart/threads?clinician_answered=true", "", nil)
	if ts, _ := r.Body["threads"].([]any); r.Status != http.StatusOK || len(ts) != 1 {
		t.Errorf("API answered filter: %d %s", r.Status, r.Raw)
	}
	r = h.api("GET", "/api/v1/threads/"+itoa(asked.ID)+"/posts", "", nil)
	if !strings.Contains(r.Raw, `"clinician_badge":"Registered nurse · Cardiology"`) || !strings.Contains(r.Raw, `"author_was_clinician":true`) {
		t.Errorf("API posts lack the badge: %s", r.Raw)
	}

	// The lounge opens to the verified clinician, not to members.
	if r := h.api("POST", "/api/v1/forums/lounge/threads", olaTok, map[string]any{"title": "Rural referrals", "body": "How do you triage?"}); r.Status != http.StatusCreated {
		t.Fatalf("clinician posts in the lounge: %d %s", r.Status, r.Raw)
	}
	if r := member.get("/f/lounge"); r.StatusCode != http.StatusNotFound {
		t.Errorf("member reads the lounge: %d", r.StatusCode)
	}
	if !strings.Contains(member.get("/").body, "Forum heart") || strings.Contains(member.get("/").body, "Forum lounge") {
		t.Error("forum list shows the lounge to a member")
	}

	// Revoked: the badge leaves every post, and the posts no longer count
	// as a clinician's (verification_labels_test.go has the rest).
	if _, err := h.app.Clinicians.Revoke(ctx, h.actor(h.user(h.ensureAdmin())), cred.ID, "Licence suspended"); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(visitor.get("/t/"+itoa(asked.ID)).body, badge) {
		t.Error("badge after revocation")
	}
	if r := h.api("GET", "/api/v1/forums/lounge/threads", olaTok, nil); r.Status != http.StatusNotFound {
		t.Errorf("revoked clinician reads the lounge: %d", r.Status)
	}
	if r := visitor.get("/clinicians/dr_ola"); r.StatusCode != http.StatusNotFound {
		t.Errorf("public page after revocation: %d", r.StatusCode)
	}
	if countWhere(t, h, `SELECT count(*) FROM posts WHERE author_was_clinician`) != 0 { // the reply and the lounge thread were
		t.Error("author_was_clinician kept after the revocation")
	}
}

// TestCredentialExpiryOnThePages: what a clinician and their readers see
// as a verification ends (app/clinicians' TestCredentialExpiry has the
// sweep): the reminder on the notifications page, the badge on their posts
// until verified_until and not a second after, even before the expiry job
// ran, and the application form open to them again.
func TestCredentialExpiryOnThePages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.account("dr_kim", models.RoleMember)
	f := h.forum("diabetes", nil)
	cred := h.verify("dr_kim", 90) // licence ends first: verified until the end of day 90
	until := *cred.VerifiedUntil
	th := h.thread("dr_kim", f, "Checking feet daily", "A quick routine that helps.", false)
	visitor := h.browser()
	hasBadge := func() bool {
		return strings.Contains(visitor.get("/t/"+itoa(th.ID)).body, "Verified · Registered nurse")
	}
	sweep := func() {
		if _, err := h.app.Clinicians.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
	}

	h.clock.Advance(until.Sub(h.clock.Now()) - clinicians.ReminderBefore + time.Hour)
	sweep()
	b := h.browser()
	b.signIn("dr_kim", goodPassword)
	if !strings.Contains(b.get("/notifications").body, "Your clinician verification ends within 30 days") {
		t.Error("reminder not on the notifications page")
	}

	h.clock.Advance(until.Sub(h.clock.Now()) - time.Second)
	if !hasBadge() {
		t.Fatal("badge gone a second early")
	}
	h.clock.Advance(time.Second)
	if hasBadge() {
		t.Fatal("badge still shown at verified_until (before the job ran)")
	}
	sweep()
	if h.credential(cred.ID).Status != models.CredentialExpired {
		t.Fatal("the sweep did not expire the verification")
	}
	b.signIn("dr_kim", goodPassword)
	if r := b.get("/clinician/apply"); r.StatusCode != http.StatusOK {
		t.Errorf("expired clinician may apply again: %d", r.StatusCode)
	}
}

var updateGolden = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestLicenceNumberStaysPrivate: the licence number is in no page or API
// response for anyone but the applicant and reviewers. The public profile
// each role gets is compared with one golden file: every role sees exactly
// the same public facts.
func TestLicenceNumberStaysPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	const licence = "ZX-81-SECRET"
	h.account("dr_lee", models.RoleMember)
	f := h.forum("heart", nil)
	c := h.apply("dr_lee", licence, 300, pdfDoc)
	if _, err := h.app.Clinicians.Approve(context.Background(), h.actor(h.user(h.ensureAdmin())), c.ID, "Checked"); err != nil {
		t.Fatal(err)
	}
	th := h.thread("dr_lee", f, "Beta blockers and exercise", "Heart rate targets change; ask your team.", false)
	h.reply("dr_lee", th.ID, "Happy to explain more.", false)

	roles := map[string]*browser{"visitor": h.browser(), "member": h.member("pat_s"), "moderator": h.withRole("mod_s", models.RoleModerator)}
	h.account("dr_two", models.RoleMember)
	h.verify("dr_two", 300)
	roles["clinician"] = h.browser()
	roles["clinician"].signIn("dr_two", goodPassword)
	h.member("fmod")
	h.makeForumModerator("fmod", f)
	roles["forum moderator"] = h.browser()
	roles["forum moderator"].signIn("fmod", goodPassword)

	pages := []string{"/", "/f/heart", "/f/heart?answered=1", "/t/" + itoa(th.ID), "/members/dr_lee", "/clinicians/dr_lee", "/notifications", "/clinician"}
	apis := []string{"/api/v1/clinicians/dr_lee", "/api/v1/clinician/options", "/api/v1/threads/" + itoa(th.ID) + "/posts", "/api/v1/members/dr_lee",
		"/api/v1/forums/heart/threads", "/api/v1/notifications", "/api/v1/me/credentials", "/api/v1/review/credentials?status=verified"}
	golden := filepath.Join("testdata", "clinician_public.golden.json")
	for role, b := range roles {
		for _, p := range pages {
			if r := b.get(p); strings.Contains(r.body, licence) {
				t.Errorf("%s sees the licence number on %s", role, p)
			}
		}
		tok := ""
		if role != "visitor" {
			tok = b.token("read")
		}
		for _, p := range apis {
			if r := h.api("GET", p, tok, nil); strings.Contains(r.Raw, licence) {
				t.Errorf("%s sees the licence number in %s", role, p)
			}
		}
		r := h.api("GET", "/api/v1/clinicians/dr_lee", tok, nil)
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, []byte(r.Raw), "", "  "); err != nil {
			t.Fatalf("%s: %d %s", role, r.Status, r.Raw)
		}
		pretty.WriteByte('\n')
		if *updateGolden {
			if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if pretty.String() != string(want) {
			t.Errorf("%s: public profile differs from %s:\n%s", role, golden, pretty.String())
		}
	}

	// The applicant and reviewers do see it: the checks above can fail.
	applicant := h.browser()
	applicant.signIn("dr_lee", goodPassword)
	if !strings.Contains(applicant.get("/clinician").body, licence) {
		t.Error("the applicant does not see their licence number")
	}
	if r := h.api("GET", "/api/v1/me/credentials", applicant.token("read"), nil); !strings.Contains(r.Raw, licence) {
		t.Error("the applicant's API lacks the licence number")
	}
	admin := h.browser()
	admin.signIn("fixture_admin", goodPassword)
	if !strings.Contains(admin.get("/review/credentials/"+itoa(c.ID)).body, licence) {
		t.Error("the reviewer does not see the licence number")
	}
	r := h.api("GET", "/api/v1/review/credentials/"+itoa(c.ID), admin.token("read"), nil)
	if r.Status != http.StatusOK || r.Body["licence_number"] != licence || r.Body["register_url"] != "https://register.example.org/lookup?number="+licence {
		t.Errorf("reviewer API: %d %s", r.Status, r.Raw)
	}
	if hist, _ := r.Body["history"].([]any); len(hist) < 2 {
		t.Errorf("history: %v", r.Body["history"])
	}
}

// TestCredentialAPI walks the JSON API: options, apply, my applications,
// the queue, a decision with its validation, withdrawal, settings.
func TestCredentialAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	b := h.member("api_nurse")
	tok := b.token("write")
	readTok := b.token("read")
	admin := h.browser()
	h.ensureAdmin()
	admin.signIn("fixture_admin", goodPassword)
	adminTok := admin.token("write")

	r := h.api("GET", "/api/v1/clinician/options", "", nil)
	if r.Status != http.StatusOK || !strings.Contains(r.Raw, `"registered-nurse"`) || !strings.Contains(r.Raw, `"test-board"`) || strings.Contains(r.Raw, "register.example.org") {
		t.Fatalf("options: %d %s", r.Status, r.Raw)
	}
	body := map[string]any{"profession": "registered-nurse", "specialties": []string{"cardiology", "endocrinology"}, "licence_number": "RN 5521",
		"jurisdiction": "test-board", "licence_expires": h.clock.Now().AddDate(1, 0, 0).Format("2006-01-02")}
	if r := h.api("POST", "/api/v1/me/credentials", readTok, body); r.Status != http.StatusForbidden {
		t.Errorf("apply with a read token: %d", r.Status)
	}
	if r := h.api("POST", "/api/v1/me/credentials", tok, map[string]any{"profession": "wizard"}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, `"licence_number"`) {
		t.Errorf("invalid API application: %d %s", r.Status, r.Raw)
	}
	r = h.api("POST", "/api/v1/me/credentials", tok, body)
	if r.Status != http.StatusCreated || r.Body["status"] != "pending" || r.Body["profession_label"] != "Registered nurse" {
		t.Fatalf("apply: %d %s", r.Status, r.Raw)
	}
	id := int64(r.Body["id"].(float64))
	if notifCount(t, h, "fixture_admin", models.NotifyCredentialSubmitted) != 1 || notifCount(t, h, "api_nurse", models.NotifyCredentialSubmitted) != 0 {
		t.Error("reviewers not told of the new application (or the applicant was)")
	}
	if r := h.api("POST", "/api/v1/me/credentials", tok, body); r.Status != http.StatusConflict {
		t.Errorf("second application: %d", r.Status)
	}
	if r := h.api("GET", "/api/v1/me/credentials", readTok, nil); r.Status != http.StatusOK || len(r.Body["applications"].([]any)) != 1 {
		t.Errorf("mine: %d %s", r.Status, r.Raw)
	}
	r = h.api("GET", "/api/v1/review/credentials", adminTok, nil)
	if apps, _ := r.Body["applications"].([]any); r.Status != http.StatusOK || len(apps) != 1 {
		t.Fatalf("queue: %d %s", r.Status, r.Raw)
	}
	if r := h.api("GET", "/api/v1/review/credentials", tok, nil); r.Status != http.StatusForbidden {
		t.Errorf("member reads the queue: %d", r.Status)
	}
	if r := h.api("POST", "/api/v1/review/credentials/"+itoa(id)+"/reject", adminTok, map[string]any{"reason": ""}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("rejection without a reason: %d", r.Status)
	}
	if r := h.api("POST", "/api/v1/me/credentials/"+itoa(id)+"/withdraw", adminTok, nil); r.Status != http.StatusNotFound {
		t.Errorf("someone else withdraws: %d", r.Status)
	}
	if r := h.api("POST", "/api/v1/me/credentials/"+itoa(id)+"/withdraw", tok, nil); r.Status != http.StatusOK || r.Body["status"] != "withdrawn" {
		t.Fatalf("withdraw: %d %s", r.Status, r.Raw)
	}
	// Again, as a multipart form with a PNG photo of the licence.
	r = h.apiMultipart("/api/v1/me/credentials", tok, url.Values{"profession": {"registered-nurse"}, "specialties": {"cardiology", "endocrinology"},
		"licence_number": {"RN 5521"}, "jurisdiction": {"test-board"}, "licence_expires": {body["licence_expires"].(string)}}, "photo.png", pngDoc)
	if r.Status != http.StatusCreated || r.Body["document_url"] == nil {
		t.Fatalf("multipart apply: %d %s", r.Status, r.Raw)
	}
	id = int64(r.Body["id"].(float64))
	req, _ := http.NewRequest("GET", h.srv.URL+r.Body["document_url"].(string), nil)
	req.Header.Set("Authorization", "Bearer "+readTok)
	dl, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	dl.Body.Close()
	if dl.StatusCode != http.StatusOK || dl.Header.Get("Content-Type") != "image/png" || !strings.Contains(dl.Header.Get("Content-Disposition"), ".png") {
		t.Errorf("PNG download: %d %v", dl.StatusCode, dl.Header)
	}
	r = h.api("POST", "/api/v1/review/credentials/"+itoa(id)+"/approve", adminTok, map[string]any{"reason": "Found on the register"})
	if r.Status != http.StatusOK || r.Body["status"] != "verified" || r.Body["verified_until"] == nil {
		t.Fatalf("approve: %d %s", r.Status, r.Raw)
	}
	if r := h.api("POST", "/api/v1/review/credentials/"+itoa(id)+"/reject", adminTok, map[string]any{"reason": "Changed my mind"}); r.Status != http.StatusConflict {
		t.Errorf("rejecting a verified credential: %d", r.Status)
	}
	r = h.api("GET", "/api/v1/clinicians/api_nurse", "", nil)
	if r.Status != http.StatusOK || r.Body["profession"] != "Registered nurse" || fmt.Sprint(r.Body["specialties"]) != "[Cardiology Endocrinology]" {
		t.Errorf("public profile: %d %s", r.Status, r.Raw)
	}
	if r := h.api("GET", "/api/v1/clinicians/fixture_admin", "", nil); r.Status != http.StatusNotFound {
		t.Errorf("public profile of a non-clinician: %d", r.Status)
	}
	if r := h.api("PUT", "/api/v1/me/clinician-settings", tok, map[string]any{"accepting_questions": true, "max_open_questions": 0}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("cap of 0: %d", r.Status)
	}
	r = h.api("PUT", "/api/v1/me/clinician-settings", tok, map[string]any{"accepting_questions": true, "max_open_questions": 7})
	if r.Status != http.StatusOK || r.Body["accepting_questions"] != true || r.Body["max_open_questions"] != float64(7) {
		t.Errorf("settings: %d %s", r.Status, r.Raw)
	}
	b.get("/clinician")
	if r := b.post("/clinician/settings", url.Values{"max_open_questions": {"3"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("settings form: %d", r.StatusCode)
	}
	st, _ := h.app.Clinicians.Settings(context.Background(), h.user("api_nurse").ID)
	if st.AcceptingQuestions || st.MaxOpenQuestions != 3 {
		t.Errorf("settings after the form: %+v", st)
	}
	if r := h.api("POST", "/api/v1/review/credentials/"+itoa(id)+"/revoke", adminTok, map[string]any{"reason": "Licence suspended by the board"}); r.Status != http.StatusOK || r.Body["status"] != "revoked" {
		t.Errorf("revoke: %d %s", r.Status, r.Raw)
	}
}

// TestClinicianLists: admins extend the professions, specialties and
// licensing authorities; bad entries are explained; members are refused.
func TestClinicianLists(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	admin := h.withRole("list_admin", models.RoleAdmin)
	member := h.member("list_member")
	if r := member.get("/admin/clinician-lists"); r.StatusCode != http.StatusForbidden {
		t.Fatalf("member sees the lists: %d", r.StatusCode)
	}
	member.get("/")
	if r := member.post("/admin/clinician-lists/professions", url.Values{"label": {"Wizard"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("member adds a profession: %d", r.StatusCode)
	}
	page := admin.get("/admin/clinician-lists")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Nurse practitioner") || !strings.Contains(page.body, "members cannot apply") {
		t.Fatalf("lists page: %d", page.StatusCode)
	}
	r := admin.post("/admin/clinician-lists/jurisdictions", url.Values{"label": {"Coastal Nursing Council"}, "register_url": {"javascript:alert(1)"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "{licence}") {
		t.Fatalf("bad register address: %d", r.StatusCode)
	}
	if r := admin.post("/admin/clinician-lists/jurisdictions", url.Values{"label": {"Coastal Nursing Council"}, "register_url": {"https://council.example.org/check/{licence}"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add jurisdiction: %d %s", r.StatusCode, r.body)
	}
	if r := admin.post("/admin/clinician-lists/specialties", url.Values{"label": {"Sleep medicine"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("add specialty: %d", r.StatusCode)
	}
	if r := admin.post("/admin/clinician-lists/specialties", url.Values{"label": {"cardiology"}, "code": {"sleep-medicine"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("duplicate name: %d", r.StatusCode)
	}
	voc, err := h.app.Clinicians.Vocabulary(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var j models.Jurisdiction
	for _, x := range voc.Jurisdictions {
		if x.Code == "coastal-nursing-council" {
			j = x
		}
	}
	if j.RegisterURL != "https://council.example.org/check/{licence}" {
		t.Fatalf("jurisdictions %+v", voc.Jurisdictions)
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action IN ('jurisdictions.save', 'specialties.save')`) != 2 {
		t.Error("list changes not audited")
	}
	// The new specialty is at once usable by forums.
	admin.get("/admin/forums/new")
	if r := admin.post("/admin/forums", url.Values{"name": {"Sleep"}, "slug": {"sleep"}, "specialties": {"Sleep medicine"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("forum with the new specialty: %d", r.StatusCode)
	}
}

// TestRenewalOnThePages: in the last 30 days the clinician's page offers
// renewal and then shows it beside the verification, and their badge stays
// on their posts while it waits and after it is approved. (app/clinicians'
// TestCredentialRenewal has the rules.)
func TestRenewalOnThePages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	h.account("dr_ren", models.RoleMember)
	f := h.forum("heart", nil)
	old := h.verify("dr_ren", 800) // a year's verification
	th := h.thread("dr_ren", f, "Questions about statins", "Ask away.", false)
	visitor := h.browser()
	hasBadge := func() bool {
		return strings.Contains(visitor.get("/t/"+itoa(th.ID)).body, "Verified · Registered nurse")
	}

	h.clock.Advance(old.VerifiedUntil.Sub(h.clock.Now()) - clinicians.ReminderBefore + time.Hour)
	b := h.browser()
	b.signIn("dr_ren", goodPassword)
	if !strings.Contains(b.get("/clinician").body, "Renew your verification") {
		t.Fatal("no renewal offered in the last 30 days")
	}
	renewal := h.apply("dr_ren", "RN-REN-2", 800, nil)
	if !hasBadge() {
		t.Fatal("badge gone while the renewal waits")
	}
	page := b.get("/clinician").body
	if !strings.Contains(page, "Your renewal") || !strings.Contains(page, "Your current badge stays until then") {
		t.Error("status page does not show the renewal beside the verification")
	}
	if _, err := h.app.Clinicians.Approve(ctx, h.actor(h.user(h.ensureAdmin())), renewal.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := h.credential(old.ID); got.Status != models.CredentialExpired {
		t.Fatalf("old verification after renewal: %s", got.Status)
	}
	if !hasBadge() {
		t.Error("badge lost with the renewal")
	}
}
