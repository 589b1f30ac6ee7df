package testenv

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// openIDFixture is a provider with one client and one user, and a relying
// party server that only takes back-channel logouts: the browser below
// stops before it would reach the relying party's other pages.
type openIDFixture struct {
	p        *OpenIDProvider
	rp       *httptest.Server
	client   OpenIDClient
	user     OpenIDUser
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier

	logoutTokens chan string
	refuseLogout atomic.Bool
}

func newOpenIDFixture(t *testing.T) *openIDFixture {
	t.Helper()
	f := &openIDFixture{p: NewOpenIDProvider(t), logoutTokens: make(chan string, 10)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /backchannel", func(w http.ResponseWriter, r *http.Request) {
		if f.refuseLogout.Load() {
			http.Error(w, "no", http.StatusBadRequest)
			return
		}
		if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			http.Error(w, "wrong content type", http.StatusUnsupportedMediaType)
			return
		}
		f.logoutTokens <- r.PostFormValue("logout_token")
	})
	f.rp = httptest.NewServer(mux)
	t.Cleanup(f.rp.Close)
	f.client = OpenIDClient{
		ID: "kindred", Secret: "client-secret",
		RedirectURIs:           []string{f.rp.URL + "/callback"},
		PostLogoutRedirectURIs: []string{f.rp.URL + "/signed-out"},
		BackChannelLogoutURI:   f.rp.URL + "/backchannel",
	}
	f.p.AddClient(f.client)
	f.user = OpenIDUser{Username: "ada", Password: "correct horse", Subject: "sub-ada", Email: "ada@example.test", EmailVerified: true, Groups: []string{"staff", "admins"}}
	f.p.AddUser(f.user)
	var err error
	if f.provider, err = oidc.NewProvider(context.Background(), f.p.Issuer); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	f.verifier = f.provider.Verifier(&oidc.Config{ClientID: f.client.ID})
	return f
}

func (f *openIDFixture) config(style oauth2.AuthStyle) *oauth2.Config {
	ep := f.provider.Endpoint()
	ep.AuthStyle = style
	return &oauth2.Config{ClientID: f.client.ID, ClientSecret: f.client.Secret, Endpoint: ep, RedirectURL: f.client.RedirectURIs[0],
		Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// browser keeps cookies and follows redirects, except one to the relying
// party, whose response it returns.
func (f *openIDFixture) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	rpHost := strings.TrimPrefix(f.rp.URL, "http://")
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == rpHost || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// page is a response read whole.
type page struct {
	status int
	url    *url.URL // where it came from
	loc    *url.URL // Location of a redirect
	body   string
}

func get(t *testing.T, b *http.Client, u string) page {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return readPage(t, resp)
}

func readPage(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	pg := page{status: resp.StatusCode, url: resp.Request.URL, body: string(body)}
	if loc, err := resp.Location(); err == nil {
		pg.loc = loc
	}
	return pg
}

var authRequestIDField = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)

// signIn submits the login form of pg.
func signIn(t *testing.T, b *http.Client, issuer string, pg page, username, password string) page {
	t.Helper()
	m := authRequestIDField.FindStringSubmatch(pg.body)
	if m == nil {
		t.Fatalf("not a login page: %s", pg)
	}
	resp, err := b.PostForm(issuer+"/login", url.Values{"authRequestID": {m[1]}, "username": {username}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

// callback checks that pg is the redirect to the relying party's
// redirect_uri and returns its query.
func (f *openIDFixture) callback(t *testing.T, pg page) url.Values {
	t.Helper()
	if pg.loc == nil || pg.status/100 != 3 {
		t.Fatalf("want a redirect to the client, got %s", pg)
	}
	if got := pg.loc.Scheme + "://" + pg.loc.Host + pg.loc.Path; got != f.client.RedirectURIs[0] {
		t.Fatalf("redirected to %s, want %s", got, f.client.RedirectURIs[0])
	}
	return pg.loc.Query()
}

// String describes pg for a failure message. A redirect's target and body
// are left out: they may carry a code.
func (pg page) String() string {
	if pg.loc != nil {
		return fmt.Sprintf("%d at %s redirecting to %s://%s%s", pg.status, pg.url.Path, pg.loc.Scheme, pg.loc.Host, pg.loc.Path)
	}
	return fmt.Sprintf("%d at %s: %.300s", pg.status, pg.url.Path, pg.body)
}

func isLoginPage(pg page) bool {
	return pg.status == http.StatusOK && strings.Contains(pg.body, `<input id="username" name="username"`) &&
		strings.Contains(pg.body, `<input id="password" name="password" type="password"`) &&
		strings.Contains(pg.body, `<button type="submit" id="submit">Sign in</button>`) && strings.Contains(pg.body, `id="cancel"`)
}

type idClaims struct {
	Nonce         string   `json:"nonce"`
	Email         string   `json:"email"`
	EmailVerified *bool    `json:"email_verified"`
	Groups        []string `json:"groups"`
	SID           string   `json:"sid"`
	AuthTime      int64    `json:"auth_time"`
	ACR           string   `json:"acr"`
}

// exchange redeems code and verifies the id_token as the app does.
func (f *openIDFixture) exchange(t *testing.T, cfg *oauth2.Config, code, verifier string) (*oauth2.Token, string, idClaims) {
	t.Helper()
	tok, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := f.verifier.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("id_token: %v", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != f.user.Subject {
		t.Fatalf("sub %q, want %q", idt.Subject, f.user.Subject)
	}
	return tok, raw, c
}

// login signs the browser in through a full code flow and returns the
// verified id_token and its claims.
func (f *openIDFixture) login(t *testing.T, b *http.Client) (string, idClaims) {
	t.Helper()
	cfg := f.config(oauth2.AuthStyleInHeader)
	verifier, nonce := oauth2.GenerateVerifier(), randomHex(8)
	pg := get(t, b, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
	if isLoginPage(pg) {
		pg = signIn(t, b, f.p.Issuer, pg, f.user.Username, f.user.Password)
	}
	_, raw, c := f.exchange(t, cfg, f.callback(t, pg).Get("code"), verifier)
	return raw, c
}

func TestOpenIDProviderDiscovery(t *testing.T) {
	f := newOpenIDFixture(t)
	resp, err := http.Get(f.p.Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		t.Fatal(err)
	}
	if d["issuer"] != f.p.Issuer {
		t.Errorf("issuer %v, want %s", d["issuer"], f.p.Issuer)
	}
	for _, k := range []string{"authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint"} {
		if s, _ := d[k].(string); !strings.HasPrefix(s, f.p.Issuer+"/") {
			t.Errorf("%s = %v", k, d[k])
		}
	}
	has := func(k, want string) bool {
		list, _ := d[k].([]any)
		return slices.Contains(list, any(want))
	}
	if !has("code_challenge_methods_supported", "S256") {
		t.Errorf("code_challenge_methods_supported = %v", d["code_challenge_methods_supported"])
	}
	if !has("token_endpoint_auth_methods_supported", "client_secret_basic") || !has("token_endpoint_auth_methods_supported", "client_secret_post") {
		t.Errorf("token_endpoint_auth_methods_supported = %v", d["token_endpoint_auth_methods_supported"])
	}
	if d["backchannel_logout_supported"] != true || d["backchannel_logout_session_supported"] != true {
		t.Errorf("backchannel_logout_supported = %v, backchannel_logout_session_supported = %v", d["backchannel_logout_supported"], d["backchannel_logout_session_supported"])
	}
}

func TestOpenIDProviderCodeFlowWithPKCE(t *testing.T) {
	f := newOpenIDFixture(t)
	b := f.browser(t)
	cfg := f.config(oauth2.AuthStyleInHeader)
	verifier, nonce := oauth2.GenerateVerifier(), "nonce-1"
	pg := get(t, b, cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)))
	if !isLoginPage(pg) {
		t.Fatalf("want the login form, got %s", pg)
	}
	pg = signIn(t, b, f.p.Issuer, pg, f.user.Username, "wrong")
	if !isLoginPage(pg) || !strings.Contains(pg.body, "Wrong username or password") {
		t.Fatalf("a wrong password must show the form again with an error: %s", pg)
	}
	q := f.callback(t, signIn(t, b, f.p.Issuer, pg, f.user.Username, f.user.Password))
	if q.Get("state") != "state-1" || q.Get("code") == "" {
		t.Fatalf("callback query %v", q)
	}
	code := q.Get("code")

	if _, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
		t.Fatal("a wrong code_verifier was accepted")
	}
	if _, err := cfg.Exchange(context.Background(), code); err == nil {
		t.Fatal("a code issued with a code_challenge was redeemed without code_verifier")
	}
	tok, _, c := f.exchange(t, cfg, code, verifier)
	if _, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); err == nil {
		t.Fatal("a code was redeemed twice")
	}

	sid := f.p.SessionIDs()[f.user.Subject]
	if c.Nonce != nonce || c.Email != f.user.Email || c.EmailVerified == nil || !*c.EmailVerified ||
		!slices.Equal(c.Groups, f.user.Groups) || sid == "" || c.SID != sid || c.AuthTime == 0 {
		t.Fatalf("id_token claims %+v (provider sid %q)", c, sid)
	}

	info, err := f.provider.UserInfo(context.Background(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	if info.Subject != f.user.Subject || info.Email != f.user.Email {
		t.Fatalf("userinfo %+v", info)
	}

	ar := f.p.AuthorizeRequests()
	if len(ar) != 1 || ar[0].Get("code_challenge") != oauth2.S256ChallengeFromVerifier(verifier) ||
		ar[0].Get("code_challenge_method") != "S256" || ar[0].Get("nonce") != nonce {
		t.Fatalf("authorize requests %v", ar)
	}
	tr := f.p.TokenRequests()
	if len(tr) != 4 || tr[2].Get("code_verifier") != verifier || tr[2].Get("code") != code || tr[2].Get("grant_type") != "authorization_code" || tr[1].Has("code_verifier") {
		t.Fatalf("token requests %v", tr)
	}
}

func TestOpenIDProviderSessionAndReauthentication(t *testing.T) {
	f := newOpenIDFixture(t)
	b := f.browser(t)
	_, first := f.login(t, b)

	// Signed in already: straight back with a code, and client_secret_post
	// works as well as basic.
	cfg := f.config(oauth2.AuthStyleInParams)
	verifier := oauth2.GenerateVerifier()
	pg := get(t, b, cfg.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n2"), oauth2.SetAuthURLParam("acr_values", "urn:kindred:test")))
	_, _, c := f.exchange(t, cfg, f.callback(t, pg).Get("code"), verifier)
	if c.SID != first.SID || c.Nonce != "n2" || c.ACR != "urn:kindred:test" || c.AuthTime != first.AuthTime {
		t.Fatalf("second sign-in in the same session: %+v, first %+v", c, first)
	}
	if tr := f.p.TokenRequests(); tr[len(tr)-1].Get("client_secret") != f.client.Secret {
		t.Fatalf("client_secret_post not recorded: %v", tr[len(tr)-1])
	}

	// A recent enough sign-in satisfies max_age.
	verifier = oauth2.GenerateVerifier()
	pg = get(t, b, cfg.AuthCodeURL("s-age", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("max_age", "3600")))
	if _, _, c := f.exchange(t, cfg, f.callback(t, pg).Get("code"), verifier); c.SID != first.SID {
		t.Fatalf("max_age=3600 after a fresh sign-in: sid %q, want %q", c.SID, first.SID)
	}

	for _, force := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("max_age", "0")} {
		verifier := oauth2.GenerateVerifier()
		pg := get(t, b, cfg.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier), force))
		if !isLoginPage(pg) {
			t.Fatalf("prompt=login / max_age=0 must show the form: %s", pg)
		}
		_, _, c := f.exchange(t, cfg, f.callback(t, signIn(t, b, f.p.Issuer, pg, f.user.Username, f.user.Password)).Get("code"), verifier)
		if c.SID == first.SID || c.SID != f.p.SessionIDs()[f.user.Subject] {
			t.Fatalf("a new sign-in must be a new session: sid %q, first %q", c.SID, first.SID)
		}
	}

	// A browser without the cookie is asked again; prompt=none tells the
	// client instead.
	other := f.browser(t)
	pg = get(t, other, cfg.AuthCodeURL("s4", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	if q := f.callback(t, pg); q.Get("error") != "login_required" || q.Get("state") != "s4" {
		t.Fatalf("prompt=none without a session: %v", q)
	}
}

func TestOpenIDProviderClaimsFollowScopes(t *testing.T) {
	f := newOpenIDFixture(t)
	f.user = OpenIDUser{Username: "bob", Password: "pw", Subject: "sub-bob", Email: "bob@example.test"}
	f.p.AddUser(f.user)
	b := f.browser(t)
	_, c := f.login(t, b)
	if c.Email != f.user.Email || c.EmailVerified == nil || *c.EmailVerified || c.Groups == nil || len(c.Groups) != 0 {
		t.Fatalf("unverified e-mail, no groups: %+v", c)
	}

	cfg := f.config(oauth2.AuthStyleInHeader)
	cfg.Scopes = []string{oidc.ScopeOpenID}
	verifier := oauth2.GenerateVerifier()
	pg := get(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if _, _, c := f.exchange(t, cfg, f.callback(t, pg).Get("code"), verifier); c.Email != "" || c.EmailVerified != nil || c.Groups == nil || c.SID == "" {
		t.Fatalf("without the email scope: %+v", c)
	}
}

func TestOpenIDProviderCancelAndRedirectURIs(t *testing.T) {
	f := newOpenIDFixture(t)
	b := f.browser(t)
	cfg := f.config(oauth2.AuthStyleInHeader)
	pg := get(t, b, cfg.AuthCodeURL("s-cancel", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	m := regexp.MustCompile(`id="cancel" href="([^"]+)"`).FindStringSubmatch(pg.body)
	if m == nil {
		t.Fatalf("no cancel link: %s", pg)
	}
	q := f.callback(t, get(t, b, f.p.Issuer+strings.ReplaceAll(m[1], "&amp;", "&")))
	if q.Get("error") != "access_denied" || q.Get("state") != "s-cancel" || q.Has("code") {
		t.Fatalf("cancel: %v", q)
	}
	if after := signIn(t, b, f.p.Issuer, pg, f.user.Username, f.user.Password); after.status != http.StatusBadRequest {
		t.Fatalf("a cancelled request could still be signed in: %d", after.status)
	}

	for _, redirect := range []string{f.rp.URL + "/other", f.rp.URL + "/callback/", f.rp.URL + "/callback?x=1"} {
		bad := *cfg
		bad.RedirectURL = redirect
		pg := get(t, b, bad.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
		if pg.status != http.StatusBadRequest || pg.loc != nil {
			t.Fatalf("redirect_uri %s: %s", redirect, pg)
		}
	}
}

func TestOpenIDProviderEndSession(t *testing.T) {
	f := newOpenIDFixture(t)
	b := f.browser(t)
	idToken, _ := f.login(t, b)
	endpoint := f.p.Issuer + "/end_session?"

	pg := get(t, b, endpoint+url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {f.rp.URL + "/elsewhere"}, "state": {"x"}}.Encode())
	if pg.status != http.StatusBadRequest || pg.loc != nil {
		t.Fatalf("an unregistered post_logout_redirect_uri: %s", pg)
	}
	pg = get(t, b, endpoint+url.Values{"client_id": {f.client.ID}, "post_logout_redirect_uri": {f.rp.URL + "/elsewhere"}}.Encode())
	if pg.status != http.StatusBadRequest || pg.loc != nil {
		t.Fatalf("an unregistered post_logout_redirect_uri with client_id: %s", pg)
	}

	pg = get(t, b, endpoint+url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {f.client.PostLogoutRedirectURIs[0]}, "state": {"bye"}, "client_id": {f.client.ID}}.Encode())
	if pg.loc == nil || pg.loc.String() != f.client.PostLogoutRedirectURIs[0]+"?state=bye" {
		t.Fatalf("end_session: %s", pg)
	}
	es := f.p.EndSessionRequests()
	if len(es) != 3 || es[2].Get("id_token_hint") != idToken || es[2].Get("state") != "bye" || es[2].Get("client_id") != f.client.ID {
		t.Fatalf("end_session requests %v", es)
	}

	cfg := f.config(oauth2.AuthStyleInHeader)
	if pg := get(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); !isLoginPage(pg) {
		t.Fatalf("after end_session the provider must ask again: %s", pg)
	}
}

func TestOpenIDProviderBackChannelLogout(t *testing.T) {
	f := newOpenIDFixture(t)
	b := f.browser(t)
	_, c := f.login(t, b)

	if err := f.p.BackChannelLogout(f.client.ID, f.user.Subject, c.SID); err != nil {
		t.Fatal(err)
	}
	var raw string
	select {
	case raw = <-f.logoutTokens:
	case <-time.After(5 * time.Second):
		t.Fatal("no logout token arrived")
	}
	lt, err := f.verifier.Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("logout token: %v", err)
	}
	var claims map[string]any
	if err := lt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	events, _ := claims["events"].(map[string]any)
	if _, ok := events[LogoutEvent]; !ok || claims["sid"] != c.SID || claims["sub"] != f.user.Subject || claims["jti"] == nil || claims["iat"] == nil {
		t.Fatalf("logout token claims %v", claims)
	}
	if _, ok := claims["nonce"]; ok {
		t.Fatal("a logout token must not carry a nonce")
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var header map[string]any
	_ = json.Unmarshal(headerJSON, &header)
	if header["typ"] != "logout+jwt" || header["kid"] == nil {
		t.Fatalf("logout token header %v", header)
	}

	cfg := f.config(oauth2.AuthStyleInHeader)
	if pg := get(t, b, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))); !isLoginPage(pg) {
		t.Fatal("after a back-channel logout the provider session must be over")
	}

	if err := f.p.BackChannelLogout(f.client.ID, "", ""); err == nil {
		t.Fatal("neither subject nor sid was accepted")
	}
	if err := f.p.BackChannelLogout("nobody", f.user.Subject, ""); err == nil {
		t.Fatal("an unknown client was accepted")
	}
	f.refuseLogout.Store(true)
	if err := f.p.BackChannelLogout(f.client.ID, f.user.Subject, ""); err == nil {
		t.Fatal("a 400 answer was taken as success")
	}
}

func TestOpenIDProviderHang(t *testing.T) {
	p := NewOpenIDProvider(t)
	discovery := p.Issuer + "/.well-known/openid-configuration"
	fetch := func() chan error {
		done := make(chan error, 1)
		go func() {
			resp, err := http.Get(discovery)
			if err == nil {
				resp.Body.Close()
			}
			done <- err
		}()
		return done
	}

	p.Hang(true)
	done := fetch()
	select {
	case <-done:
		t.Fatal("answered while hung")
	case <-time.After(300 * time.Millisecond):
	}
	p.Hang(false)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still hung after Hang(false)")
	}

	// Close gives up on hung requests instead of waiting for Hang(false).
	p.Hang(true)
	done = fetch()
	time.Sleep(100 * time.Millisecond)
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a hung request")
	}
	<-done
}
