package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// TestDraftsInPages: a half-written reply and a half-written new thread
// are saved as drafts, come back in the form on another device (a new
// sign-in), are never shown to anyone else, and are gone once posted;
// saving an empty draft discards it, and text Kindred cannot store is
// refused with the form shown again.
func TestDraftsInPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0"}})
	f := h.forum("diabetes", nil)
	h.account("writer", models.RoleMember)
	th := h.thread("writer", f, "HbA1c went up again", "After a good spring it is 62 again.", false)
	h.account("drafter", models.RoleMember)
	laptop := h.browser()
	laptop.signIn("drafter", goodPassword)
	laptop.get("/t/" + itoa(th.ID))
	const half = "Mine crept up over the winter too. What helped me was"
	r := laptop.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {half}, "action": {"draft"}, "idempotency_key": {"k-draft-1"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save draft: %d %s", r.StatusCode, r.body)
	}
	if n := h.count("posts"); n != 1 {
		t.Fatalf("saving a draft posted something: %d posts", n)
	}
	phone := h.browser()
	phone.signIn("drafter", goodPassword)
	page := phone.get("/t/" + itoa(th.ID))
	if !strings.Contains(page.body, half+"</textarea>") || !strings.Contains(page.body, "Draft saved") {
		t.Fatalf("the draft is not in the reply form on another device:\n%s", page.body)
	}
	if other := h.member("other"); strings.Contains(other.get("/t/"+itoa(th.ID)).body, "crept up") {
		t.Fatal("another member sees the draft")
	}
	if strings.Contains(h.browser().get("/t/"+itoa(th.ID)).body, "crept up") {
		t.Fatal("a visitor sees the draft")
	}
	// Text Kindred cannot store: refused, the form comes back as typed.
	r = phone.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {"bad \x1b[31m escape"}, "action": {"draft"}, "idempotency_key": {"k-draft-2"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "control character") {
		t.Errorf("a draft with a control character: %d", r.StatusCode)
	}
	// Posting sends the draft.
	r = phone.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {half + " walking after dinner."}, "action": {"post"}, "idempotency_key": {"k-post-1"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("post reply: %d %s", r.StatusCode, r.body)
	}
	if n := h.count("drafts"); n != 0 {
		t.Errorf("%d drafts after posting", n)
	}
	if page := laptop.get("/t/" + itoa(th.ID)); strings.Contains(page.body, half+"</textarea>") {
		t.Error("the posted draft is still in the form")
	}

	// A new thread's draft keeps its title too; an empty save discards it.
	laptop.get("/f/diabetes/new")
	r = laptop.post("/f/diabetes/threads", url.Values{"title": {"Libre sensor falling off"}, "body": {"Third one this month, in the"}, "action": {"draft"}, "idempotency_key": {"k-draft-3"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/f/diabetes/new" {
		t.Fatalf("save a new-thread draft: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	page = phone.get("/f/diabetes/new")
	if !strings.Contains(page.body, `value="Libre sensor falling off"`) || !strings.Contains(page.body, "Third one this month, in the</textarea>") {
		t.Fatalf("the new-thread draft is not in the form:\n%s", page.body)
	}
	r = phone.post("/f/diabetes/threads", url.Values{"title": {""}, "body": {""}, "action": {"draft"}, "idempotency_key": {"k-draft-4"}})
	if r.StatusCode != http.StatusSeeOther || h.count("drafts") != 0 {
		t.Errorf("an empty save: %d, %d drafts", r.StatusCode, h.count("drafts"))
	}
	laptop.post("/f/diabetes/threads", url.Values{"title": {"Libre sensor falling off"}, "body": {"Third one this month."}, "action": {"draft"}, "idempotency_key": {"k-draft-5"}})
	r = laptop.post("/f/diabetes/threads", url.Values{"title": {"Libre sensor falling off"}, "body": {"Third one this month. Any tips for keeping it on?"}, "action": {"post"}, "idempotency_key": {"k-post-2"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("post thread: %d %s", r.StatusCode, r.body)
	}
	if n := h.count("drafts"); n != 0 {
		t.Errorf("%d drafts after posting the thread", n)
	}
}

// TestDraftsAPI: drafts through the JSON API, with the same rules, no
// drafts where the caller may not post, and the limit per member.
func TestDraftsAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0"}})
	f := h.forum("heart", nil)
	h.forum("lounge", func(ff *forums.ForumForm) { ff.ClinicianOnly = true })
	h.account("writer", models.RoleMember)
	h.account("drafter", models.RoleMember)
	th := h.thread("writer", f, "Rehab after bypass", "Week two, still sore.", false)
	tok := h.tokenFor("drafter", "write")
	path := "/api/v1/threads/" + itoa(th.ID) + "/draft"

	if r := h.api("GET", path, tok, nil); r.Status != http.StatusNotFound {
		t.Errorf("no draft yet: %d", r.Status)
	}
	r := h.api("PUT", path, tok, map[string]any{"body": "The sternum pain eased for me around"})
	if r.Status != http.StatusOK || r.Body["body"] != "The sternum pain eased for me around" || r.Body["thread_id"] == nil {
		t.Fatalf("PUT draft: %d %s", r.Status, r.Raw)
	}
	if r := h.api("GET", path, tok, nil); r.Status != http.StatusOK || !strings.Contains(r.Raw, "sternum") {
		t.Errorf("GET draft: %d %s", r.Status, r.Raw)
	}
	if r := h.api("GET", path, h.tokenFor("writer", "read"), nil); r.Status != http.StatusNotFound {
		t.Errorf("someone else's GET: %d %s", r.Status, r.Raw)
	}
	bad := []struct {
		name, field string
		body        map[string]any
	}{
		{"too long", "body", map[string]any{"body": strings.Repeat("a", forums.BodyMax+1)}},
		{"a NUL", "body", map[string]any{"body": "a\u0000b"}},
		{"a title on a reply", "title", map[string]any{"body": "x", "title": "y"}},
	}
	for _, c := range bad {
		r := h.api("PUT", path, tok, c.body)
		fields, _ := r.Body["error"].(map[string]any)["fields"].(map[string]any)
		if r.Status != http.StatusUnprocessableEntity || fields[c.field] == nil {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	if r := h.api("GET", path, tok, nil); !strings.Contains(r.Raw, "sternum") {
		t.Errorf("a refused PUT changed the draft: %s", r.Raw)
	}
	// Locked while they write: told so with the field named, the draft kept.
	h.app.DB.Gorm.Exec(`UPDATE threads SET state = 'locked' WHERE id = ?`, th.ID)
	if r := h.api("PUT", path, tok, map[string]any{"body": "more words"}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, "no longer takes replies") {
		t.Errorf("a draft in a locked thread: %d %s", r.Status, r.Raw)
	}
	h.app.DB.Gorm.Exec(`UPDATE threads SET state = 'open' WHERE id = ?`, th.ID)
	// Posting sends it.
	if r := h.api("POST", "/api/v1/threads/"+itoa(th.ID)+"/posts", tok, map[string]any{"body": "The sternum pain eased for me around week six."}); r.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", r.Status, r.Raw)
	}
	if r := h.api("GET", path, tok, nil); r.Status != http.StatusNotFound {
		t.Errorf("draft after posting: %d %s", r.Status, r.Raw)
	}

	// New-thread drafts; empty discards (204).
	fpath := "/api/v1/forums/heart/draft"
	if r := h.api("PUT", fpath, tok, map[string]any{"title": "Cardiac rehab classes", "body": ""}); r.Status != http.StatusOK || r.Body["title"] != "Cardiac rehab classes" {
		t.Errorf("PUT thread draft: %d %s", r.Status, r.Raw)
	}
	if r := h.api("PUT", fpath, tok, map[string]any{"title": "\u202egnp.exe", "body": ""}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a bidi override in a draft title: %d %s", r.Status, r.Raw)
	}
	if r := h.api("PUT", fpath, tok, map[string]any{"title": "", "body": "  "}); r.Status != http.StatusNoContent {
		t.Errorf("empty thread draft: %d %s", r.Status, r.Raw)
	}
	if r := h.api("GET", fpath, tok, nil); r.Status != http.StatusNotFound {
		t.Errorf("after discarding: %d", r.Status)
	}
	// Not where the caller cannot post.
	if r := h.api("PUT", "/api/v1/forums/lounge/draft", tok, map[string]any{"title": "x", "body": "y"}); r.Status != http.StatusNotFound {
		t.Errorf("a draft in the clinicians' lounge as a member: %d %s", r.Status, r.Raw)
	}

	// The limit: a new draft past it is refused, saying why.
	drafter := h.user("drafter")
	if err := h.app.DB.Gorm.Exec(`INSERT INTO drafts (user_id, thread_id, body, updated_at)
		SELECT ?, t.id, 'kept', now() FROM (SELECT id FROM threads) t`, drafter.ID).Error; err != nil {
		t.Fatal(err)
	}
	for i := h.count("drafts"); i < forums.MaxDrafts; i++ {
		tt := h.thread("writer", f, "Thread "+itoa(i), "Filler for the draft limit.", false)
		if err := h.app.DB.Gorm.Exec(`INSERT INTO drafts (user_id, thread_id, body, updated_at) VALUES (?, ?, 'kept', now())`, drafter.ID, tt.ID).Error; err != nil {
			t.Fatal(err)
		}
	}
	if r := h.api("PUT", fpath, tok, map[string]any{"title": "One more", "body": "x"}); r.Status != http.StatusConflict || !strings.Contains(r.Raw, "100 drafts") {
		t.Errorf("draft number 101: %d %s", r.Status, r.Raw)
	}
	if r := h.api("PUT", path, tok, map[string]any{"body": "changing a kept draft still works"}); r.Status != http.StatusOK {
		t.Errorf("changing a kept draft at the limit: %d %s", r.Status, r.Raw)
	}
	if r := h.api("DELETE", path, tok, nil); r.Status != http.StatusNoContent {
		t.Errorf("DELETE: %d", r.Status)
	}
}
