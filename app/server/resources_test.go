package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// verifiedCredential is the id of a clinician's verified credential.
func (h *harness) verifiedCredential(handle string) int64 {
	h.t.Helper()
	var id int64
	if err := h.app.DB.Gorm.Raw(`SELECT id FROM credentials WHERE user_id = ? AND status = 'verified'`, h.user(handle).ID).Scan(&id).Error; err != nil || id == 0 {
		h.t.Fatalf("no verified credential for %s: %v", handle, err)
	}
	return id
}

// resourcesSection is the forum page's Resources section, or "".
func resourcesSection(page string) string {
	i := strings.Index(page, `id="resources-title"`)
	if i < 0 {
		return ""
	}
	page = page[i:]
	if j := strings.Index(page, "</section>"); j >= 0 {
		page = page[:j]
	}
	return page
}

// reviewResource reviews resource id through the API with the version
// the clinician's queue shows for it (none when it is not there).
func (h *harness) reviewResource(tok, id string, body map[string]string) apiResp {
	h.t.Helper()
	out := map[string]string{"version": queuedVersion(h, tok, id)}
	for k, v := range body {
		out[k] = v
	}
	return h.api(http.MethodPost, "/api/v1/clinician/resources/"+id+"/review", tok, out)
}

// queuedVersion is the version of resource id in tok's review queue, or "".
func queuedVersion(h *harness, tok, id string) string {
	h.t.Helper()
	q := h.api(http.MethodGet, "/api/v1/clinician/resources", tok, nil)
	list, _ := q.Body["resources"].([]any)
	for _, e := range list {
		if m, _ := e.(map[string]any); m != nil && itoa(int64(m["id"].(float64))) == id {
			return m["version"].(string)
		}
	}
	return ""
}

// pageVersion is the version the review form of resource id carries on
// the queue page.
func pageVersion(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `action="/clinician/resources/`+id+`/review"`)
	if i < 0 {
		t.Fatalf("no review form for resource %s", id)
	}
	rest := page[i:]
	j := strings.Index(rest, `name="version" value="`)
	if j < 0 {
		t.Fatalf("the review form of resource %s carries no version", id)
	}
	rest = rest[j+len(`name="version" value="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// The life of a forum resource: proposed by a moderator, shown only once
// a verified clinician other than the proposer approves it, edits back to
// review with the approved version still shown, sent back with a reason,
// and off the page when its approving clinician loses verification.
func TestForumResourcesReview(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("res-heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	other := h.forum("res-other", nil)
	h.account("res_mod", models.RoleMember)
	h.account("res_othermod", models.RoleMember)
	h.account("res_member", models.RoleMember)
	h.makeForumModerator("res_mod", f)
	h.makeForumModerator("res_othermod", other)
	h.clinician("res_doc", "cardiology")
	h.clinician("res_doc2", "cardiology")
	// A clinician who also moderates the forum may propose but not approve
	// their own proposal.
	h.clinician("res_docmod", "cardiology")
	h.makeForumModerator("res_docmod", f)
	h.account("res_applicant", models.RoleMember)
	h.apply("res_applicant", "RN-7788", 300, nil)

	modTok := h.tokenFor("res_mod", "write")
	base := "/api/v1/forums/res-heart/resources"

	// A name written with lookalike letters shows as what it really is.
	if res := h.api(http.MethodPost, base, modTok, map[string]string{"title": "Payment help", "url": "https://pаypal.example/"}); res.Status != http.StatusCreated || res.Body["domain"] != "xn--pypal-4ve.example" {
		t.Errorf("lookalike domain: %d %v", res.Status, res.Body["domain"])
	} else if res := h.api(http.MethodDelete, base+"/"+itoa(int64(res.Body["id"].(float64))), modTok, nil); res.Status != http.StatusNoContent {
		t.Fatalf("remove: %d", res.Status)
	}

	// Bad links and texts are refused, naming the field.
	long := "https://example.org/" + strings.Repeat("a", 2000)
	for _, c := range []struct{ title, url, note, field string }{
		{"Heart failure basics", "javascript:alert(1)", "", "url"},
		{"Heart failure basics", "JavaScript:alert(document.cookie)", "", "url"},
		{"Heart failure basics", "data:text/html,<script>alert(1)</script>", "", "url"},
		{"Heart failure basics", "http://user:pass@example.org/", "", "url"},
		{"Heart failure basics", "https://user@example.org/", "", "url"},
		{"Heart failure basics", "ftp://example.org/file", "", "url"},
		{"Heart failure basics", "https:///nohost", "", "url"},
		{"Heart failure basics", "https://exa mple.org/", "", "url"},
		{"Heart failure basics", "//example.org/", "", "url"},
		{"Heart failure basics", long, "", "url"},
		{"Heart failure basics", "http://localhost:8080/", "", "url"},
		{"Heart failure basics", "http://192.168.1.1/", "", "url"},
		{"Heart failure basics", "https://example.org:99999/", "", "url"},
		{"Heart failure basics", "https://exa\u202emple.org/", "", "url"},
		{"Heart failure basics", "https://intranet/", "", "url"},
		{"Heart failure basics", "", "", "url"},
		{strings.Repeat("t", 121), "https://example.org/", "", "title"},
		{"", "https://example.org/", "", "title"},
		{"Heart failure basics", "https://example.org/", strings.Repeat("n", 301), "note"},
	} {
		res := h.api(http.MethodPost, base, modTok, map[string]string{"title": c.title, "url": c.url, "note": c.note})
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Raw, `"`+c.field+`"`) {
			t.Errorf("propose %q %.40q: %d %s, want 422 naming %s", c.title, c.url, res.Status, res.Raw, c.field)
		}
	}
	if res := h.api(http.MethodPost, base, modTok, map[string]string{"title": "Bell\u0007", "url": "https://example.org/"}); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("control character in the title: %d", res.Status)
	}
	if n := h.count("forum_resources"); n != 0 {
		t.Fatalf("refused (or removed) proposals left %d rows", n)
	}
	// Full-width letters are the ASCII name they stand for, not xn--.
	if res := h.api(http.MethodPost, base, modTok, map[string]string{"title": "Full-width", "url": "https://ｅｘａｍｐｌｅ.com/guide"}); res.Status != http.StatusCreated ||
		res.Body["url"] != "https://example.com/guide" || res.Body["domain"] != "example.com" {
		t.Errorf("full-width address: %d %v %v", res.Status, res.Body["url"], res.Body["domain"])
	} else if res := h.api(http.MethodDelete, base+"/"+itoa(int64(res.Body["id"].(float64))), modTok, nil); res.Status != http.StatusNoContent {
		t.Fatalf("remove: %d", res.Status)
	}

	// Who may propose: the forum's moderators; others are refused.
	for _, who := range []string{"res_member", "res_othermod", "res_doc"} {
		if res := h.api(http.MethodPost, base, h.tokenFor(who, "write"), map[string]string{"title": "Mine", "url": "https://example.org/"}); res.Status != http.StatusForbidden {
			t.Errorf("%s proposes: %d %s", who, res.Status, res.Raw)
		}
	}
	if res := h.api(http.MethodPost, base, "", map[string]string{"title": "Mine", "url": "https://example.org/"}); res.Status != http.StatusUnauthorized {
		t.Errorf("proposing without a token: %d", res.Status)
	}

	// A proposal in a forum of no specialty, older than the ones below: the
	// cardiology nurse's queue still lists her specialty's forum first.
	if res := h.api(http.MethodPost, "/api/v1/forums/res-other/resources", h.tokenFor("res_othermod", "write"), map[string]string{"title": "General wellbeing links", "url": "https://wellbeing.example.org/"}); res.Status != http.StatusCreated {
		t.Fatalf("propose in the other forum: %d %s", res.Status, res.Raw)
	}
	h.clock.Advance(time.Minute)

	// The page form: CSRF, 422 keeping what was typed, then a proposal.
	mod := h.browser()
	mod.signIn("res_mod", goodPassword)
	if r := mod.get("/f/res-heart/resources"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Propose a resource") {
		t.Fatalf("moderator's resources page: %d", r.StatusCode)
	}
	if r := mod.post("/f/res-heart/resources", url.Values{"csrf_token": {"forged"}, "title": {"Forged"}, "url": {"https://example.org/"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("propose without the CSRF token: %d", r.StatusCode)
	}
	r := mod.post("/f/res-heart/resources", url.Values{"title": {"Living with heart failure"}, "url": {"javascript:alert(1)"}, "note": {"A kind guide."}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `value="Living with heart failure"`) || !strings.Contains(r.body, "A kind guide.") ||
		!strings.Contains(r.body, "Only web addresses") {
		t.Errorf("bad link from the page: %d, input kept / error shown?", r.StatusCode)
	}
	mod.get("/f/res-heart/resources")
	if r := mod.post("/f/res-heart/resources", url.Values{"title": {"Living with heart failure"}, "url": {"https://www.heart.example.org/guide?lang=en"}, "note": {"A kind guide."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("propose from the page: %d %s", r.StatusCode, r.body)
	}
	var resID int64
	h.app.DB.Gorm.Raw(`SELECT id FROM forum_resources WHERE title = 'Living with heart failure'`).Scan(&resID)
	rid := itoa(resID)

	// Not shown before a clinician approves it.
	visitor := h.browser()
	if sec := resourcesSection(visitor.get("/f/res-heart").body); strings.Contains(sec, "Living with heart failure") {
		t.Fatal("a resource shows before any review")
	}
	if res := h.api(http.MethodGet, base, "", nil); res.Status != http.StatusOK || strings.Contains(res.Raw, "Living with heart failure") || strings.Contains(res.Raw, "managed") {
		t.Errorf("API list before review: %d %s", res.Status, res.Raw)
	}

	// Members, unverified applicants and the proposer may not review.
	review := "/api/v1/clinician/resources/" + rid + "/review"
	approve := map[string]string{"decision": "approve"}
	if res := h.api(http.MethodPost, review, h.tokenFor("res_member", "write"), approve); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, "not_verified_clinician") {
		t.Errorf("a member approves: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodPost, review, h.tokenFor("res_applicant", "write"), approve); res.Status != http.StatusForbidden {
		t.Errorf("an unverified applicant approves: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodGet, "/api/v1/clinician/resources", h.tokenFor("res_member", "write"), nil); res.Status != http.StatusForbidden {
		t.Errorf("a member reads the review queue: %d", res.Status)
	}
	if res := h.api(http.MethodPost, "/api/v1/clinician/resources/999999/review", h.tokenFor("res_doc", "write"), approve); res.Status != http.StatusNotFound {
		t.Errorf("review of a resource that does not exist: %d", res.Status)
	}
	docmodTok := h.tokenFor("res_docmod", "write")
	own := h.api(http.MethodPost, base, docmodTok, map[string]string{"title": "Cardiac rehab explained", "url": "https://rehab.example.org/"})
	if own.Status != http.StatusCreated || own.Body["status"] != "pending" {
		t.Fatalf("clinician-moderator proposes: %d %s", own.Status, own.Raw)
	}
	ownID := itoa(int64(own.Body["id"].(float64)))
	if res := h.api(http.MethodPost, "/api/v1/clinician/resources/"+ownID+"/review", docmodTok, approve); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, "own_proposal") {
		t.Errorf("the proposer approves their own resource: %d %s", res.Status, res.Raw)
	}

	// The clinician finds it on their queue (linked from the dashboard) and
	// approves it from the page.
	doc := h.browser()
	doc.signIn("res_doc", goodPassword)
	if r := doc.get("/clinician/questions"); !strings.Contains(r.body, `href="/clinician/resources"`) {
		t.Errorf("the clinicians' dashboard does not link to the resources to review")
	}
	q := doc.get("/clinician/resources")
	if q.StatusCode != http.StatusOK || !strings.Contains(q.body, "Living with heart failure") || !strings.Contains(q.body, "Cardiac rehab explained") {
		t.Fatalf("review queue: %d", q.StatusCode)
	}
	if i, j := strings.Index(q.body, "Living with heart failure"), strings.Index(q.body, "General wellbeing links"); j < 0 || i > j {
		t.Errorf("the queue does not put the clinician's specialty first (%d, %d)", i, j)
	}
	if r := doc.post("/clinician/resources/"+rid+"/review", url.Values{"decision": {"return"}, "reason": {"no"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "at least 5") {
		t.Errorf("sending back with a too short reason: %d", r.StatusCode)
	}
	doc.get("/clinician/resources")
	if r := doc.post("/clinician/resources/"+rid+"/review", url.Values{"decision": {"approve"}, "version": {pageVersion(t, q.body, rid)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.StatusCode, r.body)
	}
	sec := resourcesSection(visitor.get("/f/res-heart").body)
	for _, want := range []string{
		`<a href="https://www.heart.example.org/guide?lang=en" rel="noopener noreferrer nofollow ugc">Living with heart failure</a>`,
		"(www.heart.example.org)", "A kind guide.", "Reviewed by res_doc, Registered nurse, " + h.clock.Now().UTC().Format("2 January 2006"),
	} {
		if !strings.Contains(sec, want) {
			t.Errorf("forum page after approval lacks %q:\n%s", want, sec)
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'resource.approve' AND target_id = ? AND actor_id = ?`, resID, h.user("res_doc").ID); n != 1 {
		t.Errorf("audit rows for the approval: %d", n)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'resource.propose' AND target_id = ? AND actor_id = ?`, resID, h.user("res_mod").ID); n != 1 {
		t.Errorf("audit rows for the proposal: %d", n)
	}
	if res := h.api(http.MethodGet, base, "", nil); !strings.Contains(res.Raw, `"reviewed_by":"res_doc"`) || !strings.Contains(res.Raw, `"domain":"www.heart.example.org"`) {
		t.Errorf("API list after approval: %s", res.Raw)
	}
	// Approving twice is a conflict, not a second approval.
	approvedVersion := ""
	for _, m := range h.api(http.MethodGet, base, modTok, nil).Body["managed"].([]any) {
		if m := m.(map[string]any); itoa(int64(m["id"].(float64))) == rid {
			approvedVersion = m["version"].(string)
		}
	}
	if res := h.api(http.MethodPost, review, h.tokenFor("res_doc2", "write"), map[string]string{"decision": "approve", "version": approvedVersion}); res.Status != http.StatusConflict {
		t.Errorf("approving an approved resource: %d %s", res.Status, res.Raw)
	}

	// An edit of the link goes back to review; the approved version stays.
	edit := h.api(http.MethodPatch, base+"/"+rid, modTok, map[string]string{"title": "Heart failure: a guide", "url": "https://new.example.org/guide"})
	if edit.Status != http.StatusOK || edit.Body["status"] != "pending" || edit.Body["shown"] == nil {
		t.Fatalf("edit: %d %s", edit.Status, edit.Raw)
	}
	sec = resourcesSection(visitor.get("/f/res-heart").body)
	if !strings.Contains(sec, "Living with heart failure") || strings.Contains(sec, "new.example.org") {
		t.Errorf("after the edit the page should keep the approved version only:\n%s", sec)
	}
	// A review of a version the clinician did not see is refused.
	doc2Tok := h.tokenFor("res_doc2", "write")
	if res := h.api(http.MethodPost, review, doc2Tok, map[string]string{"decision": "approve", "version": "2026-01-01T00:00:00Z"}); res.Status != http.StatusConflict {
		t.Errorf("approving an older version: %d %s", res.Status, res.Raw)
	}
	// Sent back with a reason: the moderators read it, the page is unchanged.
	if res := h.api(http.MethodPost, review, doc2Tok, map[string]string{"decision": "approve"}); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Raw, `"version"`) {
		t.Errorf("a review without the version it read: %d %s, want 422 naming version", res.Status, res.Raw)
	}
	if res := h.reviewResource(doc2Tok, rid, map[string]string{"decision": "return", "reason": "The new site asks for payment first."}); res.Status != http.StatusOK || res.Body["status"] != "returned" {
		t.Fatalf("send back: %d %s", res.Status, res.Raw)
	}
	if r := mod.get("/f/res-heart/resources"); !strings.Contains(r.body, "The new site asks for payment first.") || !strings.Contains(r.body, "Sent back") {
		t.Errorf("the moderators' page does not show the reason")
	}
	// Edited again and approved by the second clinician: the new version shows.
	if res := h.api(http.MethodPatch, base+"/"+rid, modTok, map[string]string{"url": "https://free.example.org/guide"}); res.Status != http.StatusOK {
		t.Fatalf("second edit: %d %s", res.Status, res.Raw)
	}
	if res := h.reviewResource(doc2Tok, rid, approve); res.Status != http.StatusOK || res.Body["status"] != "approved" {
		t.Fatalf("approve the edit: %d %s", res.Status, res.Raw)
	}
	sec = resourcesSection(visitor.get("/f/res-heart").body)
	if !strings.Contains(sec, "Heart failure: a guide") || !strings.Contains(sec, "free.example.org") || strings.Contains(sec, "Living with heart failure") || !strings.Contains(sec, "Reviewed by res_doc2") {
		t.Errorf("after approving the edit:\n%s", sec)
	}

	// The approving clinician's verification is revoked: the resource
	// leaves the page and waits for another review.
	if _, err := h.app.Clinicians.Revoke(context.Background(), h.actor(h.user(h.ensureAdmin())), h.verifiedCredential("res_doc2"), "Licence withdrawn by the board"); err != nil {
		t.Fatal(err)
	}
	if sec := resourcesSection(visitor.get("/f/res-heart").body); strings.Contains(sec, "Heart failure: a guide") {
		t.Error("a resource approved by a revoked clinician is still shown")
	}
	if r := mod.get("/f/res-heart/resources"); !strings.Contains(r.body, "no longer verified") {
		t.Error("the moderators are not told the approval lapsed")
	}
	// The revoked clinician may review no more.
	if res := h.api(http.MethodPost, review, doc2Tok, approve); res.Status != http.StatusForbidden {
		t.Errorf("a revoked clinician approves: %d %s", res.Status, res.Raw)
	}
	if q := doc.get("/clinician/resources"); !strings.Contains(q.body, "Heart failure: a guide") {
		t.Error("the lapsed resource is not in the other clinician's queue")
	}
	if res := h.reviewResource(h.tokenFor("res_doc", "write"), rid, approve); res.Status != http.StatusOK {
		t.Errorf("re-approval by a verified clinician: %d %s", res.Status, res.Raw)
	}
	if sec := resourcesSection(visitor.get("/f/res-heart").body); !strings.Contains(sec, "Reviewed by res_doc,") {
		t.Errorf("after re-approval:\n%s", sec)
	}

	// Another forum's moderator and a member cannot manage this list.
	for _, who := range []string{"res_othermod", "res_member"} {
		tok := h.tokenFor(who, "write")
		if res := h.api(http.MethodPatch, base+"/"+rid, tok, map[string]string{"title": "Hijacked"}); res.Status != http.StatusForbidden {
			t.Errorf("%s edits: %d", who, res.Status)
		}
		if res := h.api(http.MethodDelete, base+"/"+rid, tok, nil); res.Status != http.StatusForbidden {
			t.Errorf("%s removes: %d", who, res.Status)
		}
		b := h.browser()
		b.signIn(who, goodPassword)
		if r := b.get("/f/res-heart/resources"); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s opens the resources page: %d", who, r.StatusCode)
		}
	}
	if r := visitor.get("/f/res-heart/resources"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Errorf("visitor opens the resources page: %d", r.StatusCode)
	}
	// A resource id from another forum is not found through this one.
	if res := h.api(http.MethodPatch, "/api/v1/forums/res-other/resources/"+rid, h.tokenFor("res_othermod", "write"), map[string]string{"title": "Moved"}); res.Status != http.StatusNotFound {
		t.Errorf("resource through another forum: %d", res.Status)
	}

	// At most ten per forum.
	for i := countWhere(t, h, `SELECT count(*) FROM forum_resources WHERE forum_id = ?`, f.ID); i < forums.MaxResources; i++ {
		if res := h.api(http.MethodPost, base, modTok, map[string]string{"title": fmt.Sprintf("Leaflet %d", i), "url": "https://example.org/" + itoa(i)}); res.Status != http.StatusCreated {
			t.Fatalf("proposal %d: %d %s", i, res.Status, res.Raw)
		}
	}
	if res := h.api(http.MethodPost, base, modTok, map[string]string{"title": "One too many", "url": "https://example.org/more"}); res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Raw, "resource_limit") {
		t.Errorf("eleventh resource: %d %s", res.Status, res.Raw)
	}
	// Removing is audited.
	if res := h.api(http.MethodDelete, base+"/"+ownID, modTok, nil); res.Status != http.StatusNoContent {
		t.Errorf("remove: %d %s", res.Status, res.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'resource.remove' AND target_id = ?`, ownID); n != 1 {
		t.Errorf("audit rows for the removal: %d", n)
	}
	// The list costs the forum page one statement, whatever its length.
	// Counted for a signed-in member (a visitor's second look would come
	// from the page cache), the fewest of three looks at each page: the
	// counter is the whole server's, and a statement of some other
	// goroutine can only add to a look, never take from it.
	counter := h.member("res_counter")
	counter.get("/") // settle the session's first touch
	fewest := func(path string) int64 {
		n := statements(t, h, counter, path)
		for i := 0; i < 2; i++ {
			n = min(n, statements(t, h, counter, path))
		}
		return n
	}
	if with, without := fewest("/f/res-heart"), fewest("/f/res-other"); with > without+1 {
		t.Errorf("forum page with resources: %d statements, without: %d", with, without)
	}
}

// A review is due again after twelve months: still shown, marked for the
// forum's moderators, and back in the clinicians' queue.
func TestForumResourceReviewDueAfterAYear(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("due-forum", nil)
	h.account("due_mod", models.RoleMember)
	h.makeForumModerator("due_mod", f)
	h.account("due_doc", models.RoleMember)
	h.verify("due_doc", 900)
	h.account("due_doc2", models.RoleMember)
	h.verify("due_doc2", 900)
	res := h.api(http.MethodPost, "/api/v1/forums/due-forum/resources", h.tokenFor("due_mod", "write"), map[string]string{"title": "Sleep hygiene", "url": "https://sleep.example.org/"})
	if res.Status != http.StatusCreated {
		t.Fatalf("propose: %d %s", res.Status, res.Raw)
	}
	id := itoa(int64(res.Body["id"].(float64)))
	if res := h.reviewResource(h.tokenFor("due_doc", "write"), id, map[string]string{"decision": "approve"}); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Raw)
	}
	doc2 := h.tokenFor("due_doc2", "write")
	if q := h.api(http.MethodGet, "/api/v1/clinician/resources", doc2, nil); strings.Contains(q.Raw, "Sleep hygiene") {
		t.Fatalf("a fresh approval is in the queue: %s", q.Raw)
	}
	// Verifications last a year: both clinicians renew in their last month,
	// so the approval still holds when its review falls due.
	h.clock.Advance(day(340))
	h.verify("due_doc", 900)
	h.verify("due_doc2", 900)
	h.clock.Advance(day(26))
	if sec := resourcesSection(h.browser().get("/f/due-forum").body); !strings.Contains(sec, "Sleep hygiene") {
		t.Error("a resource due for review left the page")
	}
	mod := h.browser()
	mod.signIn("due_mod", goodPassword)
	if r := mod.get("/f/due-forum/resources"); !strings.Contains(r.body, "Review due") {
		t.Error("the moderators are not told the review is due")
	}
	if q := h.api(http.MethodGet, "/api/v1/clinician/resources", h.tokenFor("due_doc2", "write"), nil); !strings.Contains(q.Raw, "Sleep hygiene") || !strings.Contains(q.Raw, `"review_due":true`) {
		t.Errorf("the due resource is not in the queue: %s", q.Raw)
	}
}

// Erasing the proposer keeps the resource without their name; erasing
// the approving clinician sends it back to review. Nothing of either is
// left in the table.
func TestErasingResourcePeople(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("er-res", nil)
	h.account("er_resmod", models.RoleMember)
	h.makeForumModerator("er_resmod", f)
	h.clinician("er_resdoc", "cardiology")
	h.clinician("er_resdoc2", "cardiology")
	base := "/api/v1/forums/er-res/resources"
	modTok := h.tokenFor("er_resmod", "write")
	a := h.api(http.MethodPost, base, modTok, map[string]string{"title": "Support groups near you", "url": "https://groups.example.org/"})
	b := h.api(http.MethodPost, base, modTok, map[string]string{"title": "A leaflet sent back", "url": "https://leaflet.example.org/"})
	aID, bID := itoa(int64(a.Body["id"].(float64))), itoa(int64(b.Body["id"].(float64)))
	docTok := h.tokenFor("er_resdoc", "write")
	if res := h.reviewResource(docTok, aID, map[string]string{"decision": "approve"}); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Raw)
	}
	if res := h.reviewResource(docTok, bID, map[string]string{"decision": "return", "reason": "zqreason the page is gone"}); res.Status != http.StatusOK {
		t.Fatalf("send back: %d %s", res.Status, res.Raw)
	}
	// The moderator edits the approved one: its editor, and an author of
	// the version waiting.
	if res := h.api(http.MethodPatch, base+"/"+aID, modTok, map[string]string{"note": "Meetings every Tuesday."}); res.Status != http.StatusOK {
		t.Fatalf("edit: %d %s", res.Status, res.Raw)
	}
	ctx := context.Background()
	admin := h.actor(h.user(h.ensureAdmin()))
	docID, modID := h.user("er_resdoc").ID, h.user("er_resmod").ID
	if err := h.app.Privacy.EraseNow(ctx, admin, docID, "delete", "Asked by e-mail, identity checked"); err != nil {
		t.Fatal(err)
	}
	if sec := resourcesSection(h.browser().get("/f/er-res").body); strings.Contains(sec, "Support groups near you") || strings.Contains(sec, "er_resdoc") {
		t.Errorf("the erased clinician's approval still shows:\n%s", sec)
	}
	if q := h.api(http.MethodGet, "/api/v1/clinician/resources", h.tokenFor("er_resdoc2", "write"), nil); !strings.Contains(q.Raw, "Support groups near you") {
		t.Errorf("the resource is not back in review: %s", q.Raw)
	}
	if err := h.app.Privacy.EraseNow(ctx, admin, modID, "delete", "Asked by e-mail, identity checked"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{docID, modID} {
		for _, tr := range h.traces(id, "er_resdoc", "er_resmod", "zqreason") {
			if strings.HasPrefix(tr, "forum_resources") {
				t.Errorf("left behind: %s", tr)
			}
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM forum_resources WHERE ? = ANY(authors) OR edited_by = ? OR proposed_by = ?`, modID, modID, modID); n != 0 {
		t.Errorf("%d resources still name the erased moderator as an author or editor", n)
	}
	// The list itself stays, for the forum.
	if n := h.count("forum_resources"); n != 2 {
		t.Errorf("resources after the erasures: %d, want 2", n)
	}
}

// Nobody who proposed or edited a resource since its last approval
// approves it: a clinician-moderator's proposal edited by another
// moderator stays hers (and the editor's), the page names both, and the
// queue shows an edit of an approved resource as an edit, old and new.
func TestResourceAuthorsMayNotApprove(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("sa-forum", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	h.clinician("sa_rosa", "cardiology")
	h.makeForumModerator("sa_rosa", f)
	h.account("sa_mod", models.RoleMember)
	h.makeForumModerator("sa_mod", f)
	h.clinician("sa_docmod", "cardiology")
	h.makeForumModerator("sa_docmod", f)
	h.clinician("sa_doc", "cardiology")
	base := "/api/v1/forums/sa-forum/resources"
	rosaTok, modTok, docmodTok := h.tokenFor("sa_rosa", "write"), h.tokenFor("sa_mod", "write"), h.tokenFor("sa_docmod", "write")

	res := h.api(http.MethodPost, base, rosaTok, map[string]string{"title": "Cardiac rehab at home", "url": "https://rehab.example.org/home", "note": "Exercises."})
	if res.Status != http.StatusCreated {
		t.Fatalf("propose: %d %s", res.Status, res.Raw)
	}
	id := itoa(int64(res.Body["id"].(float64)))
	ownRefused := func(who, tok string) {
		t.Helper()
		if res := h.api(http.MethodPost, "/api/v1/clinician/resources/"+id+"/review", tok, map[string]string{"decision": "approve", "version": res.Body["version"].(string)}); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, "own_proposal") {
			t.Errorf("%s approves a version they wrote: %d %s", who, res.Status, res.Raw)
		}
		if v := queuedVersion(h, tok, id); v != "" {
			t.Errorf("%s's queue lists a resource they wrote", who)
		}
	}
	ownRefused("the proposer", rosaTok)

	// Another moderator changes only the note: still rosa's proposal.
	h.clock.Advance(time.Minute)
	if res := h.api(http.MethodPatch, base+"/"+id, modTok, map[string]string{"note": "Exercises, with videos."}); res.Status != http.StatusOK ||
		res.Body["proposed_by"] != "sa_rosa" || res.Body["edited_by"] != "sa_mod" || res.Body["edit"] != false {
		t.Fatalf("note edit: %d %s", res.Status, res.Raw)
	}
	ownRefused("the proposer after another's edit", rosaTok)
	// A clinician-moderator who edits the title is an author too.
	h.clock.Advance(time.Minute)
	if res := h.api(http.MethodPatch, base+"/"+id, docmodTok, map[string]string{"title": "Cardiac rehabilitation at home"}); res.Status != http.StatusOK {
		t.Fatalf("title edit: %d %s", res.Status, res.Raw)
	}
	ownRefused("the proposer after two edits", rosaTok)
	ownRefused("the clinician who edited it", docmodTok)
	mod := h.browser()
	mod.signIn("sa_mod", goodPassword)
	if r := mod.get("/f/sa-forum/resources"); !strings.Contains(r.body, "Proposed by sa_rosa") || !strings.Contains(r.body, "last edited by sa_docmod") {
		t.Errorf("the moderators' page does not keep the proposer and name the editor")
	}

	// An uninvolved clinician approves, from the page.
	doc := h.browser()
	doc.signIn("sa_doc", goodPassword)
	q := doc.get("/clinician/resources")
	if strings.Contains(q.body, `<span class="tag">Edit</span>`) {
		t.Error("a first proposal is shown as an edit")
	}
	if r := doc.post("/clinician/resources/"+id+"/review", url.Values{"decision": {"approve"}, "version": {pageVersion(t, q.body, id)}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.StatusCode, r.body)
	}

	// Since that approval rosa wrote nothing: she may review the next
	// edit, which the queue shows as an edit, field by field.
	h.clock.Advance(time.Minute)
	if res := h.api(http.MethodPatch, base+"/"+id, modTok, map[string]string{"url": "https://rehab.other.example/home", "note": ""}); res.Status != http.StatusOK || res.Body["edit"] != true {
		t.Fatalf("edit after approval: %d %s", res.Status, res.Raw)
	}
	queue := h.api(http.MethodGet, "/api/v1/clinician/resources", rosaTok, nil)
	if !strings.Contains(queue.Raw, `"edit":true`) ||
		!strings.Contains(queue.Raw, `{"field":"url","old":"https://rehab.example.org/home","new":"https://rehab.other.example/home","old_domain":"rehab.example.org","new_domain":"rehab.other.example"}`) ||
		!strings.Contains(queue.Raw, `{"field":"note","old":"Exercises, with videos.","new":""}`) || strings.Contains(queue.Raw, `"field":"title"`) {
		t.Errorf("the queue API does not say what the edit changes: %s", queue.Raw)
	}
	rosa := h.browser()
	rosa.signIn("sa_rosa", goodPassword)
	page := rosa.get("/clinician/resources").body
	for _, want := range []string{`<span class="tag">Edit</span> Cardiac rehabilitation at home`, "This is an edit of a resource a clinician approved before",
		"https://rehab.example.org/home (<strong>rehab.example.org</strong>)", "(<strong>rehab.other.example</strong>)", "Exercises, with videos.", "<em>(none)</em>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the review queue page lacks %q", want)
		}
	}
	// A form opened before a further edit: 409 with the way back.
	stale := pageVersion(t, page, id)
	h.clock.Advance(time.Minute)
	if res := h.api(http.MethodPatch, base+"/"+id, modTok, map[string]string{"title": "Rehab at home"}); res.Status != http.StatusOK {
		t.Fatalf("third edit: %d %s", res.Status, res.Raw)
	}
	if r := rosa.post("/clinician/resources/"+id+"/review", url.Values{"decision": {"approve"}, "version": {stale}}); r.StatusCode != http.StatusConflict ||
		!strings.Contains(r.body, `<a href="/clinician/resources">Back to the resources to review</a>`) {
		t.Errorf("stale review from the page: %d, no way back to the queue:\n%s", r.StatusCode, r.body)
	}
	if res := h.reviewResource(rosaTok, id, map[string]string{"decision": "approve"}); res.Status != http.StatusOK || res.Body["status"] != "approved" {
		t.Errorf("a clinician who wrote nothing since the last approval approves: %d %s", res.Status, res.Raw)
	}
	if sec := resourcesSection(h.browser().get("/f/sa-forum").body); !strings.Contains(sec, "Rehab at home") || !strings.Contains(sec, "Reviewed by sa_rosa") {
		t.Errorf("forum page after the approval:\n%s", sec)
	}
}

// Removing a resource from the page asks first, saying what goes and
// that it needs a new review to come back; the header and the resources
// areas lead moderators and clinicians to their work, and nobody else.
func TestResourceRemovalAndWayfinding(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	f := h.forum("wf-forum", nil)
	h.forum("wf-empty", nil)
	h.account("wf_mod", models.RoleMember)
	h.makeForumModerator("wf_mod", f)
	h.account("wf_member", models.RoleMember)
	h.clinician("wf_doc", "cardiology")
	base := "/api/v1/forums/wf-forum/resources"
	res := h.api(http.MethodPost, base, h.tokenFor("wf_mod", "write"), map[string]string{"title": "Heart leaflet", "url": "https://leaflet.example.org/heart", "note": "Printable."})
	if res.Status != http.StatusCreated {
		t.Fatalf("propose: %d %s", res.Status, res.Raw)
	}
	id := itoa(int64(res.Body["id"].(float64)))
	if res := h.reviewResource(h.tokenFor("wf_doc", "write"), id, map[string]string{"decision": "approve"}); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Raw)
	}

	mod := h.browser()
	mod.signIn("wf_mod", goodPassword)
	// The header leads a forum's moderator (a member by role) to moderation,
	// whose page links announcements and analytics.
	home := mod.get("/").body
	if !strings.Contains(home, `<a href="/moderation"`) {
		t.Error("a forum moderator has no Moderation link in the header")
	}
	if q := mod.get("/moderation").body; !strings.Contains(q, `href="/moderation/announcements"`) || !strings.Contains(q, `href="/admin/analytics"`) {
		t.Error("the moderation page does not lead to announcements and analytics")
	}
	member := h.browser()
	member.signIn("wf_member", goodPassword)
	if strings.Contains(member.get("/").body, `<a href="/moderation"`) {
		t.Error("a member who moderates nothing sees the Moderation link")
	}
	// Clinicians find the review queue from a forum's resources and from
	// their clinician page; members do not see it.
	doc := h.browser()
	doc.signIn("wf_doc", goodPassword)
	if sec := resourcesSection(doc.get("/f/wf-forum").body); !strings.Contains(sec, `href="/clinician/resources"`) {
		t.Errorf("a clinician's view of the forum's resources does not link the review queue:\n%s", sec)
	}
	if page := doc.get("/f/wf-empty").body; strings.Contains(page, `href="/clinician/resources"`) {
		t.Error("a forum without resources shows the review link")
	}
	if page := doc.get("/clinician").body; !strings.Contains(page, `href="/clinician/resources"`) {
		t.Error("the clinician page does not link the review queue")
	}
	if sec := resourcesSection(member.get("/f/wf-forum").body); sec == "" || strings.Contains(sec, `/clinician/resources`) || strings.Contains(sec, "Manage resources") {
		t.Errorf("a member's resources section:\n%s", sec)
	}

	// Removal: the list links to a confirmation, which says what goes.
	list := mod.get("/f/wf-forum/resources").body
	if !strings.Contains(list, `href="/f/wf-forum/resources/`+id+`/remove"`) || strings.Contains(list, `action="/f/wf-forum/resources/`+id+`/remove"`) {
		t.Error("the resources list removes without asking")
	}
	c := mod.get("/f/wf-forum/resources/" + id + "/remove")
	for _, want := range []string{"Remove “Heart leaflet”?", "https://leaflet.example.org/heart (leaflet.example.org)", "Printable.", "reviewed by wf_doc",
		"new review by a verified clinician", `action="/f/wf-forum/resources/` + id + `/remove"`, "Keep it"} {
		if c.StatusCode != http.StatusOK || !strings.Contains(c.body, want) {
			t.Errorf("confirmation page (%d) lacks %q", c.StatusCode, want)
		}
	}
	if n := h.count("forum_resources"); n != 1 {
		t.Fatalf("opening the confirmation removed it: %d rows", n)
	}
	if r := member.get("/f/wf-forum/resources/" + id + "/remove"); r.StatusCode != http.StatusForbidden {
		t.Errorf("a member opens the confirmation: %d", r.StatusCode)
	}
	if r := mod.post("/f/wf-forum/resources/"+id+"/remove", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm removal: %d %s", r.StatusCode, r.body)
	}
	if n := h.count("forum_resources"); n != 0 {
		t.Errorf("after confirming: %d rows", n)
	}
	if sec := resourcesSection(h.browser().get("/f/wf-forum").body); strings.Contains(sec, "Heart leaflet") {
		t.Error("the removed resource still shows")
	}
}

// The edit page of a resource opens with its fields, shows a bad address
// again with its message (422, what was typed kept), and saves a good one.
func TestResourceEditPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("ed-forum", nil)
	h.account("ed_mod", models.RoleMember)
	h.makeForumModerator("ed_mod", f)
	res := h.api(http.MethodPost, "/api/v1/forums/ed-forum/resources", h.tokenFor("ed_mod", "write"), map[string]string{"title": "Carers' allowance guide", "url": "https://carers.example.org/allowance", "note": "Who can claim."})
	if res.Status != http.StatusCreated {
		t.Fatalf("propose: %d %s", res.Status, res.Raw)
	}
	id := itoa(int64(res.Body["id"].(float64)))
	mod := h.browser()
	mod.signIn("ed_mod", goodPassword)
	page := mod.get("/f/ed-forum/resources/" + id + "/edit")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Edit a resource") || !strings.Contains(page.body, `value="https://carers.example.org/allowance"`) {
		t.Fatalf("edit page: %d", page.StatusCode)
	}
	r := mod.post("/f/ed-forum/resources/"+id, url.Values{"title": {"Carers' allowance guide"}, "url": {"javascript:alert(1)"}, "note": {"Who can claim."}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, `id="url-error"`) || !strings.Contains(r.body, "javascript:alert(1)") {
		t.Fatalf("a bad address on the edit page: %d", r.StatusCode)
	}
	r = mod.post("/f/ed-forum/resources/"+id, url.Values{"title": {"Carers' allowance: a guide"}, "url": {"https://carers.example.org/allowance"}, "note": {"Who can claim."}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a good edit: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM forum_resources WHERE title = 'Carers'' allowance: a guide'`); n != 1 {
		t.Fatal("the edit was not saved")
	}
}
