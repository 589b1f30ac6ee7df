package server_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// oidcProvider is an in-process OpenID Connect server whose token answers
// a test can tamper with.
type oidcProvider struct {
	m      *mockoidc.MockOIDC
	mu     sync.Mutex
	tamper func(claims jwt.MapClaims) (jwt.MapClaims, *rsa.PrivateKey)
}

func newOIDCProvider(t *testing.T) *oidcProvider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &oidcProvider{m: m}
	if err := m.AddMiddleware(p.rewriteTokens); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

func (p *oidcProvider) setTamper(f func(jwt.MapClaims) (jwt.MapClaims, *rsa.PrivateKey)) {
	p.mu.Lock()
	p.tamper = f
	p.mu.Unlock()
}

// rewriteTokens re-signs the id_token of token responses when a tamper
// function is set: other claims, or another key.
func (p *oidcProvider) rewriteTokens(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		tamper := p.tamper
		p.mu.Unlock()
		if r.URL.Path != mockoidc.TokenEndpoint || tamper == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["id_token"] == nil {
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(body["id_token"].(string), claims); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		claims, key := tamper(claims)
		kid, _ := p.m.Keypair.KeyID()
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
		tok.Header["kid"] = kid
		signed, err := tok.SignedString(key)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		body["id_token"] = signed
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body)
	})
}

func oidcHarness(t *testing.T) (*harness, *oidcProvider) {
	p := newOIDCProvider(t)
	h := newHarness(t, harnessOpts{env: map[string]string{
		"KINDRED_OIDC_ISSUER":        p.m.Issuer(),
		"KINDRED_OIDC_CLIENT_ID":     p.m.ClientID,
		"KINDRED_OIDC_CLIENT_SECRET": p.m.ClientSecret,
		"KINDRED_OIDC_NAME":          "Hospital SSO",
	}})
	return h, p
}

// startAt follows /auth/oidc to the provider and returns the provider's
// redirect back to Kindred (not yet followed).
func startAt(t *testing.T, b *browser, path string) *url.URL {
	t.Helper()
	r := b.get(path)
	if r.StatusCode != http.StatusFound {
		t.Fatalf("%s: %d\n%s", path, r.StatusCode, r.body)
	}
	authURL, _ := url.Parse(r.Header.Get("Location"))
	// The provider is another site: no Kindred cookies go there.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	pr, err := noRedirect.Get(authURL.String())
	if err != nil {
		t.Fatal(err)
	}
	pr.Body.Close()
	back, err := url.Parse(pr.Header.Get("Location"))
	if err != nil || back.Path != "/auth/oidc/callback" {
		t.Fatalf("provider redirected to %q (status %d)", pr.Header.Get("Location"), pr.StatusCode)
	}
	return back
}

func callback(b *browser, back *url.URL) *resp {
	return b.get(back.RequestURI())
}

func TestOIDCSignInCreatesAccountWithChosenHandle(t *testing.T) {
	t.Parallel()
	h, _ := oidcHarness(t)
	b := h.browser()
	if page := b.get("/signin"); !strings.Contains(page.body, `href="/auth/oidc"`) || !strings.Contains(page.body, "Hospital SSO") {
		t.Fatal("sign-in page does not offer the configured provider")
	}
	r := callback(b, startAt(t, b, "/auth/oidc"))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/auth/complete" {
		t.Fatalf("callback: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if b.cookie(web.SessionCookie) != "" {
		t.Fatal("signed in before choosing a handle")
	}
	page := b.get("/auth/complete")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "Choose your handle") {
		t.Fatalf("choose handle page: %d", page.StatusCode)
	}
	if r := b.post("/auth/complete", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"x"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("too-short handle: %d", r.StatusCode)
	}
	// Another browser cannot finish this browser's sign-in.
	thief := h.browser()
	thief.get("/signin")
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/auth/complete", strings.NewReader(url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"thief"}, "csrf_token": {thief.csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "kindred_pending", Value: b.cookie("kindred_pending")})
	if r := thief.do(req); r.StatusCode != http.StatusGone {
		t.Fatalf("pending identity used from another browser: %d", r.StatusCode)
	}
	r = b.post("/auth/complete", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"ward_seven"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("finish: %d", r.StatusCode)
	}
	u := h.user("ward_seven")
	if u.Email != nil || u.PasswordHash != nil {
		t.Fatal("an e-mail or password was taken over from the provider")
	}
	var ids []models.Identity
	h.app.DB.Gorm.Where("user_id = ?", u.ID).Find(&ids)
	if len(ids) != 1 || ids[0].Provider != "oidc" || ids[0].Subject == "" {
		t.Fatalf("identity: %+v", ids)
	}

	// The next sign-in with the same subject goes straight in.
	again := h.browser()
	r = callback(again, startAt(t, again, "/auth/oidc"))
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Fatalf("second sign-in: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if home := again.get("/"); !strings.Contains(home.body, `href="/account">ward_seven<`) {
		t.Fatal("second sign-in did not reach the same account")
	}
	if h.count("users") != 1 {
		t.Fatal("a second account was created")
	}
}

func TestOIDCStateCannotBeChosenByTheClient(t *testing.T) {
	t.Parallel()
	h, _ := oidcHarness(t)
	b := h.browser()
	r := b.get("/auth/oidc?state=evil")
	loc, _ := url.Parse(r.Header.Get("Location"))
	state := loc.Query().Get("state")
	if r.StatusCode != http.StatusFound || state == "" || state == "evil" || len(state) < 32 {
		t.Fatalf("provider URL state %q", state)
	}
	r2 := h.browser().get("/auth/oidc")
	loc2, _ := url.Parse(r2.Header.Get("Location"))
	if loc2.Query().Get("state") == state {
		t.Fatal("state repeats across attempts")
	}
}

func TestOIDCRefusals(t *testing.T) {
	t.Parallel()
	h, p := oidcHarness(t)
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	own := p.m.Keypair.PrivateKey
	// Each cause has its own answer: an attempt that cannot be this
	// browser's is "expired" (400), a cancellation is "cancelled" (403), a
	// forged or foreign token is "could not be confirmed" (403).
	const expired, cancelled, unconfirmed = "Sign-in expired", "Sign-in cancelled", "Sign-in could not be confirmed"
	cases := []struct {
		name   string
		tamper func(jwt.MapClaims) (jwt.MapClaims, *rsa.PrivateKey)
		alter  func(back *url.URL, b *browser) *browser
		status int
		says   string
	}{
		{name: "tampered state", alter: func(back *url.URL, b *browser) *browser {
			q := back.Query()
			q.Set("state", q.Get("state")+"x")
			back.RawQuery = q.Encode()
			return b
		}, status: 400, says: expired},
		{name: "state from another browser", alter: func(back *url.URL, b *browser) *browser { return h.browser() }, status: 400, says: expired},
		{name: "provider error", alter: func(back *url.URL, b *browser) *browser {
			q := back.Query()
			q.Del("code")
			q.Set("error", "access_denied")
			back.RawQuery = q.Encode()
			return b
		}, status: 403, says: cancelled},
		{name: "token signed with a foreign key", tamper: func(c jwt.MapClaims) (jwt.MapClaims, *rsa.PrivateKey) { return c, foreign }, status: 403, says: unconfirmed},
		{name: "wrong audience", tamper: func(c jwt.MapClaims) (jwt.MapClaims, *rsa.PrivateKey) {
			c["aud"] = "some-other-app"
			return c, own
		}, status: 403, says: unconfirmed},
		{name: "expired token", tamper: func(c jwt.MapClaims) (jwt.MapClaims, *rsa.PrivateKey) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			return c, own
		}, status: 403, says: unconfirmed},
		{name: "wrong issuer", tamper: func(c jwt.MapClaims) (jwt.MapClaims, *rsa.PrivateKey) {
			c["iss"] = "https://evil.example"
			return c, own
		}, status: 403, says: unconfirmed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.setTamper(tc.tamper)
			defer p.setTamper(nil)
			b := h.browser()
			back := startAt(t, b, "/auth/oidc")
			target := b
			if tc.alter != nil {
				target = tc.alter(back, b)
			}
			r := callback(target, back)
			if r.StatusCode != tc.status || !strings.Contains(r.body, tc.says) {
				t.Fatalf("status %d, want %d %q\n%s", r.StatusCode, tc.status, tc.says, r.body)
			}
			if target.cookie(web.SessionCookie) != "" || target.cookie("kindred_pending") != "" {
				t.Fatal("a refused sign-in left a session or pending identity")
			}
		})
	}
	if h.count("users") != 0 || h.count("sessions") != 0 || h.count("oauth_pending") != 0 {
		t.Fatal("a refused sign-in wrote an account, a session or a pending identity")
	}
	// The untampered flow still works after all that (the refusals were real).
	b := h.browser()
	if r := callback(b, startAt(t, b, "/auth/oidc")); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("clean sign-in after refusals: %d", r.StatusCode)
	}
	// A state is single use: replaying the callback fails.
	b2 := h.browser()
	back := startAt(t, b2, "/auth/oidc")
	callback(b2, back)
	if r := callback(b2, back); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, expired) {
		t.Fatalf("replayed callback: %d", r.StatusCode)
	}
}

func TestExternalAccountsAreNeverJoinedByEmail(t *testing.T) {
	t.Parallel()
	h, _ := oidcHarness(t)
	// A password account already uses the provider's e-mail address.
	owner := h.browser()
	owner.signUp("jane_here", mockoidc.DefaultUser().Email, goodPassword)
	b := h.browser()
	r := callback(b, startAt(t, b, "/auth/oidc"))
	if r.Header.Get("Location") != "/auth/complete" || b.cookie(web.SessionCookie) != "" {
		t.Fatalf("the provider account was signed in to the account with the same e-mail: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestGoogleAndGitHubAreSwitchedOnByConfiguration(t *testing.T) {
	t.Parallel()
	off := newHarness(t, harnessOpts{})
	if r := off.browser().get("/auth/google"); r.StatusCode != http.StatusNotFound {
		t.Fatalf("unconfigured provider: %d", r.StatusCode)
	}
	if page := off.browser().get("/signin"); strings.Contains(page.body, "/auth/") {
		t.Fatal("sign-in page offers providers that are not configured")
	}
	h := newHarness(t, harnessOpts{env: map[string]string{
		"KINDRED_GOOGLE_CLIENT_ID": "google-client", "KINDRED_GOOGLE_CLIENT_SECRET": "g-secret",
		"KINDRED_GITHUB_CLIENT_ID": "github-client", "KINDRED_GITHUB_CLIENT_SECRET": "gh-secret",
	}})
	page := h.browser().get("/signin")
	if !strings.Contains(page.body, `href="/auth/google"`) || !strings.Contains(page.body, `href="/auth/github"`) {
		t.Fatal("sign-in page lacks the Google and GitHub buttons")
	}
	for provider, host := range map[string]string{"google": "accounts.google.com", "github": "github.com"} {
		r := h.browser().get("/auth/" + provider + "?state=evil")
		loc, err := url.Parse(r.Header.Get("Location"))
		if r.StatusCode != http.StatusFound || err != nil || loc.Host != host {
			t.Fatalf("%s: %d %s", provider, r.StatusCode, r.Header.Get("Location"))
		}
		q := loc.Query()
		if q.Get("client_id") != provider+"-client" || q.Get("state") == "evil" || len(q.Get("state")) < 32 ||
			q.Get("redirect_uri") != h.cfg.BaseURL.String()+"/auth/"+provider+"/callback" {
			t.Fatalf("%s authorization URL: %s", provider, loc)
		}
	}
}
