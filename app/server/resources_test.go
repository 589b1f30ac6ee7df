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
	if r := doc.post("/clinician/resources/"+rid+"/review", url.Values{"decision": {"approve"}}); r.StatusCode != http.StatusSeeOther {
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
	if res := h.api(http.MethodPost, review, h.tokenFor("res_doc2", "write"), approve); res.Status != http.StatusConflict {
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
	if res := h.api(http.MethodPost, review, doc2Tok, map[string]string{"decision": "return", "reason": "The new site asks for payment first."}); res.Status != http.StatusOK || res.Body["status"] != "returned" {
		t.Fatalf("send back: %d %s", res.Status, res.Raw)
	}
	if r := mod.get("/f/res-heart/resources"); !strings.Contains(r.body, "The new site asks for payment first.") || !strings.Contains(r.body, "Sent back") {
		t.Errorf("the moderators' page does not show the reason")
	}
	// Edited again and approved by the second clinician: the new version shows.
	if res := h.api(http.MethodPatch, base+"/"+rid, modTok, map[string]string{"url": "https://free.example.org/guide"}); res.Status != http.StatusOK {
		t.Fatalf("second edit: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodPost, review, doc2Tok, approve); res.Status != http.StatusOK || res.Body["status"] != "approved" {
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
	if res := h.api(http.MethodPost, review, h.tokenFor("res_doc", "write"), approve); res.Status != http.StatusOK {
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
	if with, without := statements(t, h, visitor, "/f/res-heart"), statements(t, h, visitor, "/f/res-other"); with > without+1 {
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
	if res := h.api(http.MethodPost, "/api/v1/clinician/resources/"+id+"/review", h.tokenFor("due_doc", "write"), map[string]string{"decision": "approve"}); res.Status != http.StatusOK {
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
	if res := h.api(http.MethodPost, "/api/v1/clinician/resources/"+aID+"/review", docTok, map[string]string{"decision": "approve"}); res.Status != http.StatusOK {
		t.Fatalf("approve: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodPost, "/api/v1/clinician/resources/"+bID+"/review", docTok, map[string]string{"decision": "return", "reason": "zqreason the page is gone"}); res.Status != http.StatusOK {
		t.Fatalf("send back: %d %s", res.Status, res.Raw)
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
	// The list itself stays, for the forum.
	if n := h.count("forum_resources"); n != 2 {
		t.Errorf("resources after the erasures: %d, want 2", n)
	}
}
