package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b := h.browser()
	if r := b.get("/healthz"); r.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %d", r.StatusCode)
	}
	r := b.get("/readyz")
	var checks map[string]any
	_ = json.Unmarshal([]byte(r.body), &checks)
	if r.StatusCode != http.StatusOK || checks["postgres"] != "ok" {
		t.Fatalf("readyz: %d %s", r.StatusCode, r.body)
	}
	r = b.get("/healthz/details")
	checks = nil
	_ = json.Unmarshal([]byte(r.body), &checks)
	if r.StatusCode != http.StatusOK || checks["postgres"] != "ok" || checks["meilisearch"] != "ok" || checks["search_backlog"] == nil {
		t.Fatalf("healthz/details: %d %s", r.StatusCode, r.body)
	}

	// With Meilisearch unreachable the instance stays ready (reading and
	// writing work: a load balancer must keep it), pages still work, and
	// the details say what is down.
	down := newHarness(t, harnessOpts{env: map[string]string{"MEILI_URL": "http://127.0.0.1:1"}})
	db := down.browser()
	if r := db.get("/readyz"); r.StatusCode != http.StatusOK {
		t.Fatalf("readyz with Meilisearch down: %d %s", r.StatusCode, r.body)
	}
	r = db.get("/healthz/details")
	checks = nil
	_ = json.Unmarshal([]byte(r.body), &checks)
	if r.StatusCode != http.StatusServiceUnavailable || checks["meilisearch"] != "unavailable" || checks["postgres"] != "ok" {
		t.Fatalf("healthz/details with Meilisearch down: %d %s", r.StatusCode, r.body)
	}
	down.member("still_works")

	// A wrong API key is not "ok" either.
	badKey := newHarness(t, harnessOpts{env: map[string]string{"MEILI_API_KEY": "not-the-key"}})
	if r := badKey.browser().get("/healthz/details"); r.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("healthz/details with a refused key: %d %s", r.StatusCode, r.body)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_METRICS_TOKEN": "scrape-secret"}})
	b := h.browser()
	b.get("/signin")
	b.get("/account")         // 303 to sign in
	b.postRaw("/signin", nil) // 403: no CSRF token
	if r := b.get("/metrics"); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("metrics without token: %d", r.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape-secret")
	r := b.do(req)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `kindred_http_requests_total{method="GET",route="/signin",status="200"} 1`) {
		t.Fatalf("metrics: %d\n%s", r.StatusCode, r.body)
	}
	for _, want := range []string{`method="GET",route="/account",status="303"`, `method="POST",route="/signin",status="403"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !strings.Contains(r.body, "go_goroutines") {
		t.Fatal("runtime metrics missing")
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b := h.browser()
	r1, r2 := b.get("/signin"), b.get("/signin")
	csp := r1.Header.Get("Content-Security-Policy")
	for _, want := range []string{"object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "script-src 'self' 'nonce-"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	nonce := regexp.MustCompile(`'nonce-([^']+)'`)
	n1, n2 := nonce.FindStringSubmatch(csp), nonce.FindStringSubmatch(r2.Header.Get("Content-Security-Policy"))
	if n1 == nil || n2 == nil || n1[1] == n2[1] {
		t.Fatal("the CSP nonce is missing or repeats between responses")
	}
	if !strings.Contains(r1.body, `nonce="`+n1[1]+`"`) {
		t.Fatal("the page's script does not carry the response's nonce")
	}
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
		if r1.Header.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, r1.Header.Get(k), v)
		}
	}
	if r1.Header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS sent over plain HTTP")
	}
	if r1.Header.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
	if strings.Contains(r1.body, "<script>") {
		t.Error("inline script without a nonce")
	}
	// Under TLS: HSTS and __Host- cookies that are Secure.
	tlsH := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_BASE_URL": "https://kindred.example.org"}})
	tr := tlsH.browser()
	req, _ := http.NewRequest(http.MethodGet, tlsH.srv.URL+"/signin", nil)
	res, err := tr.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if !strings.Contains(res.Header.Get("Strict-Transport-Security"), "max-age=") {
		t.Error("no HSTS under TLS")
	}
	var found bool
	for _, c := range res.Cookies() {
		if c.Name == "__Host-kindred_browser" {
			found = true
			if !c.Secure || !c.HttpOnly || c.Path != "/" || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("cookie flags: %+v", c)
			}
		}
	}
	if !found {
		t.Error("no __Host- cookie under TLS")
	}
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.member("flags")
	b := h.browser()
	b.get("/signin")
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/signin", strings.NewReader(url.Values{"login": {"flags"}, "password": {goodPassword}, "csrf_token": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for _, c := range res.Cookies() {
		if c.Name == "kindred_session" {
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || len(c.Value) < 40 {
				t.Fatalf("session cookie: %+v", c)
			}
			return
		}
	}
	t.Fatal("no session cookie set at sign-in")
}

func TestStaticAssets(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b := h.browser()
	page := b.get("/")
	css := regexp.MustCompile(`href="(/static/[0-9a-f]+/css/app.css)"`).FindStringSubmatch(page.body)
	if css == nil {
		t.Fatal("no stylesheet link")
	}
	r := b.get(css[1])
	if r.StatusCode != http.StatusOK || !strings.Contains(r.Header.Get("Cache-Control"), "immutable") || !strings.Contains(r.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %s", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/static/x/../../go.mod", "/static/x/css/none.css", "/static/x/"} {
		if r := b.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.StatusCode)
		}
	}
}

func TestBodyLimitAndGzip(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_BODY_LIMIT": "10K"}})
	b := h.browser()
	b.get("/signup")
	r := b.post("/signup", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {strings.Repeat("a", 20_000)}})
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d, want 413", r.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+"/signup", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatal("pages are not compressed")
	}
}

func TestTrustedProxyClientIP(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_TRUSTED_PROXIES": "127.0.0.1"}})
	h.member("proxied")
	b := h.browser()
	b.get("/signin")
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/signin", strings.NewReader(url.Values{"login": {"proxied"}, "password": {goodPassword}, "csrf_token": {b.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "198.51.100.23")
	if r := b.do(req); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}
	var ips []string
	h.app.DB.Gorm.Table("sessions").Order("id").Pluck("ip", &ips)
	if len(ips) != 2 || ips[1] != "198.51.100.23" {
		t.Fatalf("session IPs %v: the trusted proxy's X-Forwarded-For was not used", ips)
	}
}

func TestPanicsBecomeErrorPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.app.Echo.GET("/test-panic", func(echo.Context) error { panic("boom") })
	b := h.browser()
	r := b.get("/test-panic")
	if r.StatusCode != http.StatusInternalServerError || !strings.Contains(r.body, "Something went wrong") || strings.Contains(r.body, "boom") {
		t.Fatalf("panic: %d\n%s", r.StatusCode, r.body)
	}
	if b.get("/healthz").StatusCode != http.StatusOK {
		t.Fatal("server stopped answering after a panic")
	}
}
