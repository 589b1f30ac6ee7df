package server_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/models"
)

// apiRaw sends body exactly as given (nil: none) with a JSON content type.
func (h *harness) apiRaw(method, path, token string, body io.Reader, headers ...string) apiResp {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, body)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return h.send(req)
}

// apiError is the error object of an API answer.
func apiError(r apiResp) (code string, fields map[string]any) {
	e, _ := r.Body["error"].(map[string]any)
	code, _ = e["code"].(string)
	fields, _ = e["fields"].(map[string]any)
	return code, fields
}

// writes counts the rows a refused request must not add.
func writes(h *harness) [4]int64 {
	return [4]int64{h.count("threads"), h.count("posts"), h.count("idempotency_keys"), h.count("users")}
}

// TestStrictJSONBodies: what the review found the API took — duplicate
// keys, trailing data, unknown fields, wrong types, invalid UTF-8 (also as
// an unpaired surrogate escape), control characters, bidi overrides and
// zero-width-only titles — is refused with the field named, and nothing
// is written. A body that is not JSON is a 400.
func TestStrictJSONBodies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("strict", nil)
	tok := h.member("strict_member").token("write")
	before := writes(h)
	cases := []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"duplicate key", `{"title":"Sleep tips","title":"Other title","body":"What helps?"}`, 422, "invalid_json", "title"},
		{"trailing garbage", `{"title":"Sleep tips","body":"What helps?"} garbage`, 422, "invalid_json", "body"},
		{"a second value", `{"title":"Sleep tips","body":"What helps?"}{"title":"x"}`, 422, "invalid_json", "body"},
		{"unknown field", `{"title":"Sleep tips","body":"What helps?","author_id":1}`, 422, "invalid_json", "author_id"},
		{"number for a string", `{"title":5,"body":"What helps?"}`, 422, "invalid_json", "title"},
		{"string for a list", `{"title":"Sleep tips","body":"What helps?","tags":"sleep"}`, 422, "invalid_json", "tags"},
		{"string for a boolean", `{"title":"Sleep tips","body":"What helps?","anonymous":"yes"}`, 422, "invalid_json", "anonymous"},
		{"invalid UTF-8", "{\"title\":\"Caf\xe9 talk\",\"body\":\"What helps?\"}", 422, "invalid_text", "title"},
		{"unpaired surrogate", `{"title":"Sleep \ud800 tips","body":"What helps?"}`, 422, "invalid_text", "title"},
		{"control character", `{"title":"Sleep tips","body":"What \u001b[31mhelps?"}`, 422, "invalid_text", "body"},
		{"bidi override in a title", `{"title":"Photo \u202egnp.exe","body":"What helps?"}`, 422, "invalid_text", "title"},
		{"isolate in a tag", `{"title":"Sleep tips","body":"What helps?","tags":["\u2067sleep"]}`, 422, "invalid_text", "tags"},
		{"zero-width title", `{"title":"\u200b\u200c\u200d\u2060\ufeff","body":"What helps?"}`, 422, "invalid_text", "title"},
		{"too deep", `{"title":"Sleep tips","body":"What helps?","tags":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, 422, "invalid_json", "tags"},
		{"not JSON", `{"title":"Sleep tips",`, 400, "bad_request", ""},
	}
	for _, c := range cases {
		r := h.apiRaw("POST", "/api/v1/forums/strict/threads", tok, strings.NewReader(c.body))
		code, fields := apiError(r)
		if r.Status != c.status || code != c.code || (c.field != "" && fields[c.field] == nil) {
			t.Errorf("%s: %d %s, want %d %s naming %q", c.name, r.Status, r.Raw, c.status, c.code, c.field)
		}
	}
	if got := writes(h); got != before {
		t.Errorf("rows (threads, posts, keys, users) %v after refused requests, want %v", got, before)
	}

	// The same on every other endpoint that reads a body, e.g. the admin
	// forum edit (which decodes over the forum as it is) and a reply.
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	adminTok := admin.token("write")
	r := h.apiRaw("PATCH", "/api/v1/forums/strict", adminTok, strings.NewReader(`{"name":"Strict","sensitive":"yes"}`))
	if code, fields := apiError(r); r.Status != 422 || code != "invalid_json" || fields["sensitive"] == nil {
		t.Errorf("forum edit with a string for a boolean: %d %s", r.Status, r.Raw)
	}
	r = h.apiRaw("PATCH", "/api/v1/forums/strict", adminTok, strings.NewReader(`{"name":"Strict","name":"Lenient"}`))
	if r.Status != 422 || h.forumBySlug("strict").Name == "Lenient" {
		t.Errorf("forum edit with a duplicate key: %d %s", r.Status, r.Raw)
	}

	// A good thread; CRLF in its body is kept as LF.
	r = h.apiRaw("POST", "/api/v1/forums/strict/threads", tok, strings.NewReader(`{"title":"Sleep tips","body":"Line one\r\nline two"}`))
	if r.Status != http.StatusCreated {
		t.Fatalf("good thread: %d %s", r.Status, r.Raw)
	}
	id := int64(r.Body["id"].(float64))
	if body := h.firstPost(id).Body; body != "Line one\nline two" {
		t.Errorf("stored body %q, want CRLF as LF", body)
	}
	before = writes(h)
	r = h.apiRaw("POST", "/api/v1/threads/"+itoa(id)+"/posts", tok, strings.NewReader(`{"body":"Me too","body":"Me three"}`))
	if code, fields := apiError(r); r.Status != 422 || code != "invalid_json" || fields["body"] == nil {
		t.Errorf("reply with a duplicate key: %d %s", r.Status, r.Raw)
	}
	if got := writes(h); got != before {
		t.Errorf("rows %v after a refused reply, want %v", got, before)
	}
}

// TestFormsRefuseWhatTheAPIRefuses: the HTML form for a new thread
// refuses the same text with the same field errors, keeps what was typed,
// writes nothing, and turns the CRLF browsers send into LF.
func TestFormsRefuseWhatTheAPIRefuses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("forms", nil)
	b := h.member("form_member")
	before := writes(h)
	cases := []struct{ name, title, body, field, says string }{
		{"bidi override in a title", "Photo \u202egnp.exe", "What helps?", "title", "direction of text"},
		{"zero-width title", "\u200b\u200c\u200d", "What helps?", "title", "only of invisible characters"},
		{"control character in the body", "Sleep tips", "What \x1b[31mhelps?", "body", "control character"},
		{"a title on two lines", "Sleep\ntips", "What helps?", "title", "one line"},
		{"invalid UTF-8", "Caf\xe9 talk", "What helps?", "title", "cannot store"},
	}
	for _, c := range cases {
		b.get("/f/forms/new")
		r := b.post("/f/forms/threads", url.Values{"title": {c.title}, "body": {c.body}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, c.says) {
			t.Errorf("%s: %d, want 422 saying %q", c.name, r.StatusCode, c.says)
		}
	}
	if got := writes(h); got != before {
		t.Errorf("rows %v after refused forms, want %v", got, before)
	}
	// The form comes back with what was typed.
	b.get("/f/forms/new")
	r := b.post("/f/forms/threads", url.Values{"title": {"Sleep \u202etips"}, "body": {"Kept body text"}})
	if !strings.Contains(r.body, "Kept body text") {
		t.Error("the refused form lost the body that was typed")
	}
	b.get("/f/forms/new")
	if r := b.post("/f/forms/threads", url.Values{"title": {"Sleep tips"}, "body": {"Line one\r\nline two\r\n"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("good form: %d", r.StatusCode)
	}
	var body string
	h.app.DB.Gorm.Raw(`SELECT body FROM posts ORDER BY id DESC LIMIT 1`).Scan(&body)
	if body != "Line one\nline two" {
		t.Errorf("stored body %q, want LF line breaks", body)
	}
}

// TestIdempotencyKeyReusedWithAnotherRequest: a retry with the same key
// and body gets the first result; the same key with another body, or in
// another place, is a 422 and writes nothing — threads and replies, API
// and form.
func TestIdempotencyKeyReusedWithAnotherRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("idem", nil)
	h.forum("idem-two", nil)
	b := h.member("idem_member")
	tok := b.token("write")
	first := h.api("POST", "/api/v1/forums/idem/threads", tok, map[string]any{"title": "Sleep tips", "body": "What helps?"}, "Idempotency-Key", "key-1")
	if first.Status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Status, first.Raw)
	}
	again := h.api("POST", "/api/v1/forums/idem/threads", tok, map[string]any{"title": "Sleep tips", "body": "What helps?"}, "Idempotency-Key", "key-1")
	if again.Status != http.StatusCreated || again.Body["id"] != first.Body["id"] {
		t.Errorf("retry: %d %s, want the first thread", again.Status, again.Raw)
	}
	before := writes(h)
	for name, send := range map[string]func() apiResp{
		"another body": func() apiResp {
			return h.api("POST", "/api/v1/forums/idem/threads", tok, map[string]any{"title": "Sleep tips", "body": "Something else"}, "Idempotency-Key", "key-1")
		},
		"another forum": func() apiResp {
			return h.api("POST", "/api/v1/forums/idem-two/threads", tok, map[string]any{"title": "Sleep tips", "body": "What helps?"}, "Idempotency-Key", "key-1")
		},
		"a reply": func() apiResp {
			return h.api("POST", "/api/v1/threads/"+itoa(int64(first.Body["id"].(float64)))+"/posts", tok, map[string]any{"body": "What helps?"}, "Idempotency-Key", "key-1")
		},
	} {
		r := send()
		if code, fields := apiError(r); r.Status != 422 || code != "idempotency_key_reused" || fields["idempotency_key"] == nil {
			t.Errorf("%s with a used key: %d %s", name, r.Status, r.Raw)
		}
	}
	if got := writes(h); got != before {
		t.Errorf("rows %v after reused keys, want %v", got, before)
	}
	// Replies: the same rule.
	tid := itoa(int64(first.Body["id"].(float64)))
	if r := h.api("POST", "/api/v1/threads/"+tid+"/posts", tok, map[string]any{"body": "Reply one"}, "Idempotency-Key", "key-2"); r.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", r.Status, r.Raw)
	}
	before = writes(h)
	if r := h.api("POST", "/api/v1/threads/"+tid+"/posts", tok, map[string]any{"body": "Reply two"}, "Idempotency-Key", "key-2"); r.Status != 422 {
		t.Errorf("reply with a used key and another body: %d %s", r.Status, r.Raw)
	}
	// The form's hidden key behaves the same.
	b.get("/f/idem/new")
	if r := b.post("/f/idem/threads", url.Values{"title": {"Other title"}, "body": {"Other body"}, "idempotency_key": {"key-1"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already used") {
		t.Errorf("form with a used key: %d", r.StatusCode)
	}
	if got := writes(h); got != before {
		t.Errorf("rows %v after refused keys, want %v", got, before)
	}
}

// TestOutOfRangePages: a page that does not exist is a 422 naming the
// parameter, never page 1: search (API and page), the admins' people
// list, and the id cursors of threads, notifications and the audit log.
func TestOutOfRangePages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("pages", nil)
	th := h.thread(h.ensureAdmin(), h.forumBySlug("pages"), "A thread to page", "Words.", false)
	member := h.member("page_member")
	tok := member.token("read")
	admin := h.browser()
	admin.signIn(h.ensureAdmin(), goodPassword)
	adminTok := admin.token("read")
	for _, p := range []string{"0", "-1", "11", "two", "1.5"} {
		r := h.api("GET", "/api/v1/search?q=sleep&page="+url.QueryEscape(p), tok, nil)
		if _, fields := apiError(r); r.Status != 422 || fields["page"] == nil {
			t.Errorf("API search page %s: %d %s", p, r.Status, r.Raw)
		}
		if r := member.get("/search?q=sleep&page=" + url.QueryEscape(p)); r.StatusCode != 422 || !strings.Contains(r.body, "Choose a page from 1 to 10") {
			t.Errorf("search page %s: %d", p, r.StatusCode)
		}
	}
	if r := h.api("GET", "/api/v1/search?q=sleep&page=10", tok, nil); r.Status == 422 {
		t.Errorf("search page 10: %d %s", r.Status, r.Raw)
	}
	for _, p := range []string{"0", "-1", "9", "x"} {
		if r := admin.get("/admin/users?page=" + p); r.StatusCode != 422 {
			t.Errorf("admin users page %s: %d", p, r.StatusCode)
		}
	}
	if r := admin.get("/admin/users?page=1"); r.StatusCode != 200 {
		t.Errorf("admin users page 1: %d", r.StatusCode)
	}
	for _, path := range []string{"/t/" + itoa(th.ID) + "?after=-1", "/t/" + itoa(th.ID) + "?before=x", "/t/" + itoa(th.ID) + "?page=2",
		"/notifications?before=-5", "/admin/audit?before=abc"} {
		b := member
		if strings.HasPrefix(path, "/admin") {
			b = admin
		}
		if r := b.get(path); r.StatusCode != 422 {
			t.Errorf("%s: %d, want 422", path, r.StatusCode)
		}
	}
	for _, path := range []string{"/api/v1/threads/" + itoa(th.ID) + "/posts?after=-1", "/api/v1/notifications?before=x", "/api/v1/admin/audit?before=-1"} {
		tk := tok
		if strings.Contains(path, "admin") {
			tk = adminTok
		}
		if r := h.api("GET", path, tk, nil); r.Status != 422 {
			t.Errorf("API %s: %d %s", path, r.Status, r.Raw)
		}
	}
}

// chunked hides a reader's length, so the client sends it with
// Transfer-Encoding: chunked and no Content-Length.
type chunked struct{ io.Reader }

// TestOversizedBodiesAre413: a body past the limit is a 413 whether it
// says its length or comes chunked, whatever its type, on pages and API,
// and nothing is written.
func TestOversizedBodiesAre413(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("big", nil)
	b := h.member("big_member")
	tok := b.token("write")
	before := writes(h)
	big := `{"title":"Big post","body":"` + strings.Repeat("a", 10<<20) + `"}`
	form := url.Values{"title": {"Big post"}, "body": {strings.Repeat("a", 10<<20)}, "csrf_token": {b.csrf}}.Encode()
	for _, c := range []struct {
		name, path, ctype, body string
		api, hide               bool
	}{
		{"API JSON with a length", "/api/v1/forums/big/threads", "application/json", big, true, false},
		{"API JSON chunked", "/api/v1/forums/big/threads", "application/json", big, true, true},
		{"API text chunked", "/api/v1/forums/big/threads", "text/plain", big, true, true},
		{"API without a type, chunked", "/api/v1/preview", "", big, true, true},
		{"form with a length", "/f/big/threads", "application/x-www-form-urlencoded", form, false, false},
		{"form chunked", "/f/big/threads", "application/x-www-form-urlencoded", form, false, true},
		{"multipart chunked", "/f/big/threads", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n" + strings.Repeat("a", 10<<20) + "\r\n--xyz--\r\n", false, true},
	} {
		var rd io.Reader = strings.NewReader(c.body)
		if c.hide {
			rd = chunked{rd}
		}
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+c.path, rd)
		if c.ctype != "" {
			req.Header.Set("Content-Type", c.ctype)
		}
		status := 0
		if c.api {
			req.Header.Set("Authorization", "Bearer "+tok)
			status = h.send(req).Status
		} else {
			status = b.do(req).StatusCode
		}
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: %d, want 413", c.name, status)
		}
	}
	if got := writes(h); got != before {
		t.Errorf("rows %v after oversized bodies, want %v", got, before)
	}
}

// TestDeepMarkdownIsRefused: a list nested 9,999 deep (which cost goldmark
// most of a second per render) is refused at once with a field error on
// save and preview, pages and API, and nothing is written.
func TestDeepMarkdownIsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("deep", nil)
	b := h.member("deep_member")
	tok := b.token("write")
	deep := strings.Repeat("- ", 9999) + "x"
	before := writes(h)
	start := time.Now()
	for _, r := range []apiResp{
		h.api("POST", "/api/v1/preview", tok, map[string]any{"body": deep}),
		h.api("POST", "/api/v1/forums/deep/threads", tok, map[string]any{"title": "Deep list", "body": deep}),
	} {
		if _, fields := apiError(r); r.Status != 422 || !strings.Contains(fields["body"].(string), "nested more than") {
			t.Errorf("deep list through the API: %d %s", r.Status, r.Raw)
		}
	}
	for _, action := range []string{"preview", ""} {
		b.get("/f/deep/new")
		r := b.post("/f/deep/threads", url.Values{"title": {"Deep list"}, "body": {deep}, "action": {action}})
		if r.StatusCode != 422 || !strings.Contains(r.body, "nested more than") {
			t.Errorf("deep list through the form (%q): %d", action, r.StatusCode)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("four refusals took %v", d)
	}
	if got := writes(h); got != before {
		t.Errorf("rows %v after deep lists, want %v", got, before)
	}
	if r := h.api("POST", "/api/v1/preview", tok, map[string]any{"body": strings.Repeat("- ", markdown.MaxDepth) + "x"}); r.Status != 200 {
		t.Errorf("a list %d deep: %d %s", markdown.MaxDepth, r.Status, r.Raw)
	}
}

// TestPreviewIsRateLimited: previews count per member across pages and
// API; past the limit the answer is 429 with Retry-After.
func TestPreviewIsRateLimited(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("previews", nil)
	b := h.member("preview_member")
	tok := b.token("write")
	limit := forums.PreviewLimit.Max
	for i := range limit - 1 {
		if r := h.api("POST", "/api/v1/preview", tok, map[string]any{"body": "Preview " + itoa(int64(i))}); r.Status != 200 {
			t.Fatalf("preview %d: %d %s", i+1, r.Status, r.Raw)
		}
	}
	b.get("/f/previews/new")
	if r := b.post("/f/previews/threads", url.Values{"title": {"A title"}, "body": {"Last one"}, "action": {"preview"}}); r.StatusCode != 200 {
		t.Fatalf("preview %d on the page: %d", limit, r.StatusCode)
	}
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/preview", strings.NewReader(`{"body":"One more"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("preview past the limit: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	b.get("/f/previews/new")
	if r := b.post("/f/previews/threads", url.Values{"title": {"A title"}, "body": {"Again"}, "action": {"preview"}}); r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("page preview past the limit: %d", r.StatusCode)
	}
	// Another member has their own count.
	if r := h.api("POST", "/api/v1/preview", h.member("other_previewer").token("write"), map[string]any{"body": "Mine"}); r.Status != 200 {
		t.Errorf("another member's preview: %d", r.Status)
	}
}

// TestConfusableHandles: a handle that reads like an existing member's
// (separators, digits for letters, case, Cyrillic letters) is refused
// wherever a handle is chosen: sign-up, handle change, the first external
// sign-in and create-admin.
func TestConfusableHandles(t *testing.T) {
	t.Parallel()
	h, _ := oidcHarness(t)
	h.member("dr_okafor")
	before := h.count("users")
	for _, handle := range []string{"dr.okafor", "dr-okafor", "dr_0kafor", "dr__okafor", "DR_OKAFOR", "dr_okaf0r", "Dr.0kafor"} {
		b := h.browser()
		b.get("/signup")
		r := b.post("/signup", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {handle}, "email": {"x" + strings.ToLower(strings.NewReplacer(".", "", "-", "", "_", "").Replace(handle)) + "@example.org"}, "password": {goodPassword}})
		if r.StatusCode != http.StatusUnprocessableEntity || !(strings.Contains(r.body, "too close to an existing member") || strings.Contains(r.body, "handle is taken")) {
			t.Errorf("sign-up as %s beside dr_okafor: %d", handle, r.StatusCode)
		}
	}
	if n := h.count("users"); n != before {
		t.Errorf("%d users after refused sign-ups, want %d", n, before)
	}
	// A different name is fine.
	h.member("dr_okonkwo")
	// Renaming to a lookalike of someone else is refused; to a lookalike
	// of one's own handle is fine.
	b := h.browser()
	b.signIn("dr_okonkwo", goodPassword)
	if r := b.post("/account/handle", url.Values{"handle": {"dr.0kafor"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "too close") {
		t.Errorf("rename to a lookalike: %d", r.StatusCode)
	}
	if r := b.post("/account/handle", url.Values{"handle": {"Dr.Okonkwo"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("rename to a lookalike of one's own handle: %d", r.StatusCode)
	}
	// create-admin.
	var verr *models.ValidationError
	if _, _, err := h.app.Auth.CreateAdmin(t.Context(), "dr-0kafor", "", "another long password"); !errors.As(err, &verr) || verr.Fields["handle"] != auth.MsgHandleLookalike {
		t.Errorf("create-admin with a lookalike: %v", err)
	}
	// Reserved handles' lookalikes are reserved.
	if _, _, err := h.app.Auth.CreateAdmin(t.Context(), "adm1n", "", "another long password"); err == nil {
		t.Error("create-admin as adm1n was allowed")
	}
	// The first external sign-in's handle.
	ext := h.browser()
	back := startAt(t, ext, "/auth/oidc")
	if r := callback(ext, back); r.Header.Get("Location") != "/auth/complete" {
		t.Fatalf("external sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	ext.get("/auth/complete")
	if r := ext.post("/auth/complete", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"dr_okaf0r"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "too close") {
		t.Errorf("external sign-in with a lookalike: %d", r.StatusCode)
	}
	if n := h.count("users"); n != before+1 {
		t.Errorf("%d users, want %d", n, before+1)
	}
}

// TestConcurrentLookalikeSignUps: two sign-ups with lookalike handles at
// the same moment end with exactly one account, the other told why —
// the unique skeleton index decides, not the check before it.
func TestConcurrentLookalikeSignUps(t *testing.T) {
	t.Parallel()
	limits := auth.DefaultLimits
	limits.SignUpPerIP = ratelimit.Rule{Max: 1000, Window: time.Hour}
	h := newHarness(t, harnessOpts{limits: limits})
	pairs := [][2]string{{"nurse_ada", "nurse.4da"}, {"helper_bo", "HELPER-B0"}, {"care_cy", "care__cy"}, {"sam_dee", "5am_dee"}, {"wren_e", "vvren_e"}}
	for round, pair := range pairs {
		before := h.count("users")
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		bodies := make([]string, 2)
		start := make(chan struct{})
		for i, handle := range pair {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := h.browser()
				b.get("/signup")
				form := url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {handle}, "email": {"r" + itoa(int64(round)) + "_" + itoa(int64(i)) + "@example.org"}, "password": {goodPassword}, "csrf_token": {b.csrf}}
				req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/signup", bytes.NewBufferString(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				<-start
				res, err := b.c.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				statuses[i], bodies[i] = res.StatusCode, string(raw)
			}()
		}
		time.Sleep(20 * time.Millisecond)
		close(start)
		wg.Wait()
		if n := h.count("users"); n != before+1 {
			t.Errorf("%v: %d new accounts, want 1 (statuses %v)", pair, n-before, statuses)
		}
		ok, refused := 0, 0
		for i, st := range statuses {
			switch {
			case st == http.StatusSeeOther:
				ok++
			case st == http.StatusUnprocessableEntity && strings.Contains(bodies[i], "too close"):
				refused++
			}
		}
		if ok != 1 || refused != 1 {
			t.Errorf("%v: statuses %v, want one 303 and one 422 saying why", pair, statuses)
		}
	}
}
