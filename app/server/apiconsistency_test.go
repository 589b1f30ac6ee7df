package server_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The JSON API answers alike everywhere: a wrong method is 405 with
// Allow, a page past the end is 422 naming the field, PATCH takes the
// fields it is given, and timestamps are RFC 3339.
func TestAPIConsistency(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("consistency", nil)
	th := h.thread(h.ensureAdmin(), f, "Consistent answers", "Opening post.", false)
	b := h.member("api_member")
	tok := b.token("write")
	res := rawAPI(t, h, http.MethodDelete, "/api/v1/me", tok)
	if res.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(res.Header.Get("Allow"), "GET") {
		t.Errorf("DELETE /api/v1/me: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	res = rawAPI(t, h, http.MethodPut, "/api/v1/threads/"+itoa(th.ID), tok)
	if res.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(res.Header.Get("Allow"), "GET") {
		t.Errorf("PUT /api/v1/threads/:id: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	for p, field := range map[string]string{
		"/api/v1/search?q=x&page=11":                                     "page",
		"/api/v1/search?q=x&page=abc":                                    "page",
		"/api/v1/forums/consistency/threads?cursor=bogus":                "cursor",
		"/api/v1/threads/" + itoa(th.ID) + "/posts?after=-1":             "after",
		"/api/v1/threads/" + itoa(th.ID) + "/posts?before=not-a-post-id": "before",
	} {
		r := h.api(http.MethodGet, p, tok, nil)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, `"`+field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", p, r.Status, r.Raw, field)
		}
	}
	post := h.reply("api_member", th.ID, "My first words.", false)
	r := h.api(http.MethodPatch, "/api/v1/posts/"+itoa(post.ID), tok, map[string]any{"body": "My better words."})
	if r.Status != http.StatusOK {
		t.Errorf("PATCH with the body only: %d %s", r.Status, r.Raw)
	}
	r = h.api(http.MethodPatch, "/api/v1/forums/consistency", h.browserToken(h.ensureAdmin()), map[string]any{"description": "Only the description changes."})
	if r.Status != http.StatusOK || r.Body["name"] == "" || r.Body["name"] == nil {
		t.Errorf("PATCH a forum's description only: %d %s", r.Status, r.Raw)
	}
	stamp := regexp.MustCompile(`"[a-z_]+_at":"([^"]+)"`)
	for _, p := range []string{"/api/v1/me", "/api/v1/threads/" + itoa(th.ID), "/api/v1/threads/" + itoa(th.ID) + "/posts", "/api/v1/tokens", "/api/v1/notifications", "/api/v1/forums"} {
		raw := h.api(http.MethodGet, p, tok, nil).Raw
		for _, m := range stamp.FindAllStringSubmatch(raw, -1) {
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`).MatchString(m[1]) {
				t.Errorf("%s: %s is not RFC 3339", p, m[0])
			}
		}
	}
}

// browserToken signs handle in and makes a write token.
func (h *harness) browserToken(handle string) string {
	b := h.browser()
	b.signIn(handle, goodPassword)
	return b.token("write")
}
