package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
)

const urgentPanel = "If this is happening now, get help now"

// TestUrgentPostShowsGuidance: a new thread, reply or edit describing
// urgent symptoms happening now is published as usual and its author sees
// the emergency guidance at once, above the thread (HTML) or in the answer
// (API); history and education show nothing; others never see the panel.
func TestUrgentPostShowsGuidance(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("strokes", nil)
	author := h.member("urgent_author")
	other := h.member("urgent_reader")

	author.get("/f/strokes/new")
	r := author.post("/f/strokes/threads", url.Values{"title": {"Something is wrong"}, "body": {urgentText}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/t/") {
		t.Fatalf("urgent thread: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	threadURL := r.Header.Get("Location")
	page := author.get(threadURL).body
	panel := strings.Index(page, urgentPanel)
	if panel < 0 || panel > strings.Index(page, "<h1>Something is wrong</h1>") {
		t.Fatal("the author does not see the emergency guidance above the thread")
	}
	for _, want := range []string{`role="alert"`, "call your local emergency number now", "“face is drooping”"} {
		if !strings.Contains(page, want) {
			t.Errorf("the panel lacks %q", want)
		}
	}
	if r := other.get(threadURL); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "my speech is slurred") || strings.Contains(r.body, urgentPanel) {
		t.Error("the urgent thread is not published to others, or they see the author's panel")
	}
	if strings.Contains(author.get(threadURL).body, urgentPanel) {
		t.Error("the panel shows again on reload")
	}

	// Replies: urgent shows it, history does not.
	id := strings.TrimPrefix(threadURL, "/t/")
	other.get(threadURL)
	r = other.post("/t/"+id+"/replies", url.Values{"body": {notUrgentText}})
	if r.StatusCode != http.StatusSeeOther || strings.Contains(other.get(r.Header.Get("Location")).body, urgentPanel) {
		t.Errorf("a history reply shows the guidance: %d", r.StatusCode)
	}
	r = other.post("/t/"+id+"/replies", url.Values{"body": {"My husband is clutching his chest, sweating and can't breathe right now"}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(other.get(r.Header.Get("Location")).body, urgentPanel) {
		t.Errorf("an urgent reply does not show the guidance: %d", r.StatusCode)
	}
	if !strings.Contains(author.get(threadURL+"?page=last").body, "clutching his chest") {
		t.Error("the urgent reply is not published")
	}
	// Education: nothing.
	author.get("/f/strokes/new")
	r = author.post("/f/strokes/threads", url.Values{"title": {"Learning the signs"}, "body": {"What are the signs of a stroke?"}})
	if r.StatusCode != http.StatusSeeOther || strings.Contains(author.get(r.Header.Get("Location")).body, urgentPanel) {
		t.Errorf("an education thread shows the guidance: %d", r.StatusCode)
	}
	// An edit into an urgent text.
	calm := h.thread("urgent_author", f, "Recovery notes", notUrgentText, false)
	first := h.firstPost(calm.ID)
	author.get("/posts/" + itoa(first.ID) + "/edit")
	r = author.post("/posts/"+itoa(first.ID)+"/edit", url.Values{"body": {urgentText}})
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(author.get(r.Header.Get("Location")).body, urgentPanel) {
		t.Errorf("an urgent edit does not show the guidance: %d", r.StatusCode)
	}

	// The API.
	tok := author.token("write")
	a := h.api("POST", "/api/v1/forums/strokes/threads", tok, map[string]any{"title": "Help please", "body": urgentText})
	if a.Status != http.StatusCreated {
		t.Fatalf("API thread: %d %s", a.Status, a.Raw)
	}
	u, _ := a.Body["urgent"].(map[string]any)
	if u == nil || !strings.Contains(u["guidance"].(string), "call your local emergency number now") || !strings.Contains(u["guidance_html"].(string), "<strong>") || len(u["evidence"].([]any)) == 0 {
		t.Errorf("API thread without guidance: %s", a.Raw)
	}
	tid := itoa(int64(a.Body["id"].(float64)))
	if g := h.api("GET", "/api/v1/threads/"+tid, other.token("read"), nil); g.Status != http.StatusOK || g.Body["urgent"] != nil {
		t.Errorf("the urgent thread over the API, for others: %d %s", g.Status, g.Raw)
	}
	a = h.api("POST", "/api/v1/threads/"+tid+"/posts", tok, map[string]any{"body": notUrgentText})
	if a.Status != http.StatusCreated || a.Body["urgent"] != nil {
		t.Errorf("API history reply: %d %s", a.Status, a.Raw)
	}
	pid := itoa(int64(a.Body["id"].(float64)))
	a = h.api("PATCH", "/api/v1/posts/"+pid, tok, map[string]any{"body": urgentText})
	if a.Status != http.StatusOK || a.Body["urgent"] == nil || a.Body["body_html"] == nil {
		t.Errorf("API urgent edit: %d %s", a.Status, a.Raw)
	}
	a = h.api("POST", "/api/v1/forums/strokes/threads", tok, map[string]any{"title": "Question", "body": "What are the signs of a stroke?"})
	if a.Status != http.StatusCreated || a.Body["urgent"] != nil {
		t.Errorf("API education thread: %d %s", a.Status, a.Raw)
	}
}

// TestUrgentGuidanceIsAdminEdited: admins rewrite the guidance, which posts
// and private questions then show; nobody else may, and the form needs its
// CSRF token.
func TestUrgentGuidanceIsAdminEdited(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("strokes", nil)
	admin := h.withRole("guide_admin", models.RoleAdmin)
	admin.get("/admin/safety")
	text := "Call **911** now if this is happening. Do not wait for replies here."
	if r := admin.post("/admin/safety/urgent", url.Values{"urgent_guidance": {text}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save guidance: %d", r.StatusCode)
	}
	if r := admin.post("/admin/safety/urgent", url.Values{"urgent_guidance": {"Call."}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Write 20 to 5,000 characters") || !strings.Contains(r.body, ">Call.</textarea>") {
		t.Errorf("short guidance: %d", r.StatusCode)
	}
	if r := admin.postRaw("/admin/safety/urgent", url.Values{"urgent_guidance": {text}, "csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("forged CSRF token: %d", r.StatusCode)
	}
	b := h.member("guided")
	b.get("/f/strokes/new")
	r := b.post("/f/strokes/threads", url.Values{"title": {"Right now"}, "body": {urgentText}})
	if p := b.get(r.Header.Get("Location")).body; !strings.Contains(p, "Call <strong>911</strong> now") {
		t.Error("a post does not show the admins' guidance")
	}
	// Private questions still ask before sending, with the same text.
	b.get("/questions/new")
	r = b.post("/questions", url.Values{"forum": {"strokes"}, "title": {"Face drooping now"}, "body": {urgentText}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Is this an emergency?") || !strings.Contains(r.body, "Call <strong>911</strong> now") {
		t.Errorf("the ask form: %d", r.StatusCode)
	}
	if h.count("questions") != 0 {
		t.Error("an urgent question was sent before confirmation")
	}
	qa := h.api("POST", "/api/v1/questions", b.token("write"), map[string]any{"forum": "strokes", "title": "Face drooping now", "body": urgentText})
	if qa.Status != http.StatusUnprocessableEntity || !strings.Contains(qa.Raw, "Call **911** now") {
		t.Errorf("API question: %d %s", qa.Status, qa.Raw)
	}
	// Roles, pages and API.
	mod := h.withRole("guide_mod", models.RoleModerator)
	for name, br := range map[string]*browser{"moderator": mod, "member": b} {
		br.get("/")
		if r := br.post("/admin/safety/urgent", url.Values{"urgent_guidance": {"Something else entirely, long enough."}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("%s saves guidance: %d", name, r.StatusCode)
		}
		if a := h.api("PUT", "/api/v1/admin/safety/urgent-guidance", br.token("write"), map[string]any{"urgent_guidance": "Something else entirely, long enough."}); a.Status != http.StatusForbidden {
			t.Errorf("%s saves guidance over the API: %d", name, a.Status)
		}
	}
	tok := admin.token("write")
	if a := h.api("PUT", "/api/v1/admin/safety/urgent-guidance", tok, map[string]any{"urgent_guidance": "x"}); a.Status != http.StatusUnprocessableEntity || !strings.Contains(a.Raw, `"urgent_guidance"`) {
		t.Errorf("API short guidance: %d %s", a.Status, a.Raw)
	}
	if a := h.api("PUT", "/api/v1/admin/safety/urgent-guidance", tok, map[string]any{"urgent_guidance": "  Call 112 in Europe, now.  "}); a.Status != http.StatusOK || a.Body["urgent_guidance"] != "Call 112 in Europe, now." {
		t.Errorf("API guidance: %d %s", a.Status, a.Raw)
	}
	if countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'settings.urgent_guidance'`) != 2 {
		t.Error("guidance changes are not audited")
	}
}
