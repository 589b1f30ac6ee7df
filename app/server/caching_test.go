package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// What a signed-in person sees is never kept by a cache: every answer to a
// request with a session cookie or a token says Cache-Control: no-store,
// on every route and for every role (error pages included), and every
// answer varies with the cookie or the Authorization header.
func TestPrivateAnswersAreNeverCached(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	member := h.member("cache_member")
	mod := h.withRole("cache_mod", models.RoleModerator)
	h.clinician("cache_doc", "cardiology")
	doc := h.browser()
	doc.signIn("cache_doc", goodPassword)

	h.forum("cache-public", nil)
	sensitive := h.forum("cache-sensitive", func(f *forums.ForumForm) { f.Sensitive = true })
	member.post("/f/cache-sensitive/join", url.Values{})
	th := h.thread("cache_member", sensitive, "Nights are the hardest", "Some nights I cannot sleep at all.", false)
	q := h.ask("cache_member", "cache-public", "Palpitations after coffee", "Is a racing heart after two cups something to ask about?")
	h.member("cache_applicant")
	cred := h.apply("cache_applicant", "RN-4455", 300, nil)
	memberToken := member.token("write")

	noStore := func(t *testing.T, what string, res *http.Response, vary string) {
		t.Helper()
		if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: %d with Cache-Control %q, want no-store", what, res.StatusCode, cc)
		}
		if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), vary) {
			t.Errorf("%s: Vary %q does not name %s", what, res.Header.Values("Vary"), vary)
		}
	}

	// The pages the review found without the header, each as someone who
	// may see it (200) and so with content worth keeping private.
	pages := []struct {
		who  *browser
		path string
	}{
		{member, "/questions"},
		{member, "/questions/" + itoa(q.ID)},
		{member, "/account"},
		{member, "/notifications"},
		{member, "/t/" + itoa(th.ID)},
		{admin, "/review/credentials/" + itoa(cred.ID)},
		{admin, "/admin/audit"},
		{mod, "/moderation"},
	}
	for _, p := range pages {
		r := p.who.get(p.path)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d, want 200", p.path, r.StatusCode)
		}
		noStore(t, p.path, r.Response, "Cookie")
	}
	for _, path := range []string{"/api/v1/questions/" + itoa(q.ID), "/api/v1/me", "/api/v1/questions", "/api/v1/notifications"} {
		res := rawAPI(t, h, http.MethodGet, path, memberToken)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d, want 200", path, res.StatusCode)
		}
		noStore(t, "API "+path, res, "Authorization")
	}
	// A new token is shown once: that answer above all.
	r := member.post("/account/tokens", url.Values{"name": {"laptop"}, "scope": {"read"}})
	noStore(t, "POST /account/tokens", r.Response, "Cookie")
	res := rawAPI(t, h, http.MethodPost, "/api/v1/tokens", memberToken, `{"name":"phone","scope":"read"}`)
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/v1/tokens: %d", res.StatusCode)
	}
	noStore(t, "API POST /api/v1/tokens", res, "Authorization")

	// Every GET route, as every role: whatever the answer (200, 403, 404),
	// it is not to be stored.
	params := map[string]string{
		"slug": "cache-public", "id": itoa(th.ID), "handle": "cache_member", "kind": "post",
		"provider": "nowhere", "list": "specialties",
	}
	roles := []struct {
		name string
		b    *browser
	}{{"member", member}, {"moderator", mod}, {"admin", admin}, {"clinician", doc}}
	tokens := map[string]string{"member": memberToken, "moderator": mod.token("read"), "admin": admin.token("read"), "clinician": doc.token("read")}
	n := 0
	for _, rt := range h.app.Echo.Routes() {
		if rt.Method != http.MethodGet || strings.Contains(rt.Path, "*") {
			continue
		}
		path := fillParams(rt.Path, params)
		if rt.Path == "/events" || rt.Path == "/api/v1/events" {
			// An event stream does not end: its headers are checked, then
			// it is closed.
			for _, role := range roles {
				ctx, cancel := context.WithCancel(context.Background())
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h.srv.URL+path, nil)
				client, vary := role.b.c, "Cookie"
				if rt.Path == "/api/v1/events" {
					client, vary = http.DefaultClient, "Authorization"
					req.Header.Set("Authorization", "Bearer "+tokens[role.name])
				}
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				noStore(t, role.name+" GET "+rt.Path, res, vary)
				res.Body.Close()
				cancel()
				n++
			}
			continue
		}
		switch {
		case strings.HasPrefix(rt.Path, "/api/v1/"):
			for _, role := range roles {
				res := rawAPI(t, h, http.MethodGet, path, tokens[role.name])
				noStore(t, role.name+" API GET "+rt.Path, res, "Authorization")
				n++
			}
		case rt.Path == "/healthz" || rt.Path == "/healthz/details" || rt.Path == "/readyz" || rt.Path == "/metrics" || rt.Path == "/robots.txt" || strings.HasPrefix(rt.Path, "/api/"):
			// Operations and the API's catch-all: no session is read there.
		default:
			for _, role := range roles {
				r := role.b.get(path)
				noStore(t, role.name+" GET "+rt.Path, r.Response, "Cookie")
				n++
			}
		}
	}
	if n < 300 {
		t.Fatalf("only %d route × role answers checked: the route table was not read", n)
	}

	// Visitors: public pages may be kept, but never served to someone
	// else signed in (Vary), and a visitor's answer is not marked private.
	visitor := h.browser()
	vr := visitor.get("/f/cache-public")
	if vr.StatusCode != http.StatusOK || !strings.Contains(strings.Join(vr.Header.Values("Vary"), ","), "Cookie") {
		t.Errorf("visitor forum page: %d, Vary %q", vr.StatusCode, vr.Header.Values("Vary"))
	}
	if strings.Contains(vr.Header.Get("Cache-Control"), "private") {
		t.Errorf("visitor forum page marked private: %q", vr.Header.Get("Cache-Control"))
	}
}

// fillParams puts values into a route's :params.
func fillParams(path string, params map[string]string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if name, ok := strings.CutPrefix(p, ":"); ok {
			v, found := params[name]
			if !found {
				v = "1"
			}
			parts[i] = v
		}
	}
	return strings.Join(parts, "/")
}

// rawAPI calls the JSON API and returns the whole response (headers
// included), its body read and closed.
func rawAPI(t *testing.T, h *harness, method, path, token string, body ...string) *http.Response {
	t.Helper()
	var rd io.Reader
	if len(body) > 0 {
		rd = strings.NewReader(body[0])
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}
