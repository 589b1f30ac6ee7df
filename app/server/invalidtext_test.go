package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
)

// badTexts are what the review sent: a NUL byte and bytes that are not
// UTF-8.
var badTexts = []struct{ name, raw string }{{"NUL", "a\x00b"}, {"not UTF-8", "caf\xe9"}}

// formFields are the names Kindred's forms and filters use; every one is
// sent so that whatever a route reads holds the bad text.
var formFields = []string{"login", "password", "handle", "email", "title", "body", "name", "note", "reason", "text", "q", "query",
	"page", "actor", "action", "target", "kind", "filter", "slug", "description", "guidelines", "scope", "message", "tags",
	"licence_number", "profession", "jurisdiction", "word", "label", "phone", "url", "language", "region", "from", "to", "next", "token", "code"}

// No route answers 500 to a NUL byte or bytes that are not UTF-8, in its
// address, its query, its form or its JSON body, signed in or not: every
// route of the table, every method, as a visitor and as a member.
func TestNulAndInvalidTextNeverFail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("nul-forum", nil)
	th := h.thread(h.ensureAdmin(), h.forumBySlug("nul-forum"), "A plain thread", "Plain words.", false)
	member := h.member("nul_member")
	token := member.token("write")
	visitor := h.browser()
	visitor.get("/") // a browser id and its CSRF token

	checked := 0
	for _, rt := range h.app.Echo.Routes() {
		if strings.Contains(rt.Path, "*") || rt.Path == "/metrics" {
			continue
		}
		api := strings.HasPrefix(rt.Path, "/api/")
		for _, bad := range badTexts {
			// In the address (each :param), then in the query and the body
			// with good parameters.
			variants := []struct {
				where, path string
				params      url.Values
			}{
				{"address", fillParams(rt.Path, map[string]string{"slug": bad.raw, "id": bad.raw, "handle": bad.raw, "kind": bad.raw, "action": bad.raw, "provider": bad.raw, "list": bad.raw}), nil},
				{"fields", fillParams(rt.Path, map[string]string{"slug": "nul-forum", "id": itoa(th.ID), "handle": "nul_member", "kind": "post", "provider": "nowhere", "list": "specialties"}), badForm(bad.raw)},
			}
			for _, v := range variants {
				if v.where == "address" && !strings.Contains(rt.Path, ":") {
					continue
				}
				for _, who := range []string{"visitor", "member"} {
					var status int
					var body string
					if api {
						tok := ""
						if who == "member" {
							tok = token
						}
						status, body = sendBad(t, h, rt.Method, v.path, v.params, tok, true, "")
					} else {
						b := visitor
						if who == "member" {
							b = member
						}
						status, body = sendBad(t, h, rt.Method, v.path, v.params, "", false, b.csrf, b)
					}
					checked++
					if status >= 500 {
						t.Errorf("%s %s %s %s with %s: %d %.200s", who, rt.Method, rt.Path, v.where, bad.name, status, body)
					}
				}
			}
		}
	}
	if checked < 500 {
		t.Fatalf("only %d requests: the route table was not read", checked)
	}

	// The answers say what is wrong, and nothing was written.
	before := h.count("threads")
	st, body := sendBad(t, h, http.MethodPost, "/api/v1/forums/nul-forum/threads", nil, token, true, `{"title":"Sleep tips\u0000","body":"What helps?"}`)
	var out struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	_ = json.Unmarshal([]byte(body), &out)
	if st != http.StatusUnprocessableEntity || out.Error.Code != "invalid_text" || out.Error.Fields["title"] == "" {
		t.Errorf("API thread with a NUL in its title: %d %s", st, body)
	}
	st, body = sendBad(t, h, http.MethodPost, "/api/v1/forums/nul-forum/threads", nil, token, true, "{\"title\":\"Caf\xe9 talk\",\"body\":\"What helps?\"}")
	if st != http.StatusUnprocessableEntity || !strings.Contains(body, "invalid_text") {
		t.Errorf("API thread with bytes that are not UTF-8: %d %s", st, body)
	}
	if n := h.count("threads"); n != before {
		t.Errorf("threads: %d, want %d", n, before)
	}
	signin := h.browser()
	signin.get("/signin")
	r := signin.post("/signin", url.Values{"login": {"nul\x00member"}, "password": {goodPassword}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "cannot store") {
		t.Errorf("sign-in with a NUL: %d", r.StatusCode)
	}
	if r := h.browser().get("/members/%00"); r.StatusCode != http.StatusNotFound {
		t.Errorf("/members/%%00: %d, want 404", r.StatusCode)
	}
}

func badForm(bad string) url.Values {
	v := url.Values{}
	for _, f := range formFields {
		v.Set(f, bad)
	}
	return v
}

// sendBad sends one request with the bad text in the address (already in
// path), the query and the body (form for pages, JSON for the API, or raw
// when given).
func sendBad(t *testing.T, h *harness, method, path string, params url.Values, token string, api bool, raw string, b ...*browser) (int, string) {
	t.Helper()
	u := h.srv.URL + escapePath(path)
	if params != nil {
		u += "?" + params.Encode()
	}
	var rd io.Reader
	ctype := ""
	switch {
	case raw != "":
		rd, ctype = strings.NewReader(raw), "application/json"
	case params != nil && api:
		m := map[string]string{}
		for k := range params {
			m[k] = params.Get(k)
		}
		js, _ := json.Marshal(m) // json.Marshal writes NUL as \u0000 and keeps the other bytes
		rd, ctype = strings.NewReader(string(js)), "application/json"
	case params != nil:
		form := url.Values{}
		for k, vs := range params {
			form[k] = vs
		}
		if len(b) > 0 {
			form.Set("csrf_token", b[0].csrf)
		}
		rd, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if api {
		req.Header.Set("Accept", "application/json")
	}
	client := http.DefaultClient
	if len(b) > 0 {
		client = b[0].c
		if b[0].csrf != "" {
			req.Header.Set("X-CSRF-Token", b[0].csrf)
		}
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// escapePath percent-encodes every byte of a path that is not plain, so a
// NUL or a lone byte reaches the server as %00 or %E9.
func escapePath(p string) string {
	var sb strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c == '/' || c == '-' || c == '_' || c == '.' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			sb.WriteByte(c)
			continue
		}
		sb.WriteString("%" + strings.ToUpper(hex2(c)))
	}
	return sb.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// forumBySlug reads a forum.
func (h *harness) forumBySlug(slug string) *models.Forum {
	h.t.Helper()
	var f models.Forum
	if err := h.app.DB.Gorm.Where("slug = ?", slug).First(&f).Error; err != nil {
		h.t.Fatal(err)
	}
	return &f
}
