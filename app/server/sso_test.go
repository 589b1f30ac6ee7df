package server_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/testenv"
)

// SSO tests run against a real OpenID Connect provider (zitadel/oidc's
// certified op package, app/testenv/openid.go) on loopback: PKCE, nonce,
// logout and back-channel logout are the provider's own.

const (
	ssoClientID = "kindred-web"
	ssoSecret   = "kindred-web-secret-for-tests"
	ssoPassword = "provider password 42"
)

// ssoEnv configures Kindred with the provider under key (KINDRED_OIDC_PROVIDERS).
func ssoEnv(op *testenv.OpenIDProvider, key, label string, extra map[string]string) map[string]string {
	prefix := "KINDRED_OIDC_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_")) + "_"
	env := map[string]string{
		"KINDRED_OIDC_PROVIDERS": key,
		prefix + "ISSUER":        op.Issuer,
		prefix + "CLIENT_ID":     ssoClientID,
		prefix + "CLIENT_SECRET": ssoSecret,
		prefix + "NAME":          label,
	}
	for k, v := range extra {
		env[prefix+k] = v
	}
	return env
}

// registerKindred registers the harness's Kindred as a client of op under
// key, with another registered redirect address beside Kindred's own.
func registerKindred(h *harness, op *testenv.OpenIDProvider, key string) {
	base := h.cfg.BaseURL.String()
	op.AddClient(testenv.OpenIDClient{ID: ssoClientID, Secret: ssoSecret,
		RedirectURIs:           []string{base + "/auth/" + key + "/callback", otherRedirect(h)},
		PostLogoutRedirectURIs: []string{base + "/signed-out"},
		BackChannelLogoutURI:   base + "/auth/" + key + "/backchannel-logout"})
}

// otherRedirect is a second address registered for the same client, as a
// hospital's test or mobile app would have.
func otherRedirect(h *harness) string { return h.cfg.BaseURL.String() + "/elsewhere/callback" }

// ssoHarness starts a provider with people on it and Kindred configured
// for it under the key "hospital".
func ssoHarness(t *testing.T, extra map[string]string, people ...testenv.OpenIDUser) (*harness, *testenv.OpenIDProvider) {
	t.Helper()
	op := testenv.NewOpenIDProvider(t)
	for _, u := range people {
		op.AddUser(u)
	}
	h := newHarness(t, harnessOpts{env: ssoEnv(op, "hospital", "St. Brigid's Health", extra)})
	registerKindred(h, op, "hospital")
	return h, op
}

// nurse is a person at the provider.
func person(name, subject, email string, groups ...string) testenv.OpenIDUser {
	return testenv.OpenIDUser{Username: name, Password: ssoPassword, Subject: subject, Email: email, EmailVerified: true, Groups: groups}
}

// atProvider is the person's browser at the provider: its own cookies
// (the provider's session), never Kindred's.
type atProvider struct {
	t  *testing.T
	op *testenv.OpenIDProvider
	c  *http.Client
	// logins counts the times the provider showed its login form and the
	// person signed in there.
	logins int
}

func newAtProvider(t *testing.T, op *testenv.OpenIDProvider) *atProvider {
	jar, _ := cookiejar.New(nil)
	return &atProvider{t: t, op: op, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var authRequestIDRe = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)

// authorize opens a provider URL, signs in as username when the login
// page asks (an empty username cancels there), and returns the address
// the provider sends the browser back to (not followed).
func (a *atProvider) authorize(start string, username string) *url.URL {
	a.t.Helper()
	next := start
	for i := 0; i < 10; i++ {
		u, err := url.Parse(next)
		if err != nil {
			a.t.Fatal(err)
		}
		if !strings.HasPrefix(next, a.op.Issuer) {
			return u
		}
		r, err := a.c.Get(next)
		if err != nil {
			a.t.Fatal(err)
		}
		body := readAll(r)
		switch {
		case r.StatusCode >= 300 && r.StatusCode < 400:
			loc, err := r.Request.URL.Parse(r.Header.Get("Location"))
			if err != nil {
				a.t.Fatal(err)
			}
			next = loc.String()
		case r.StatusCode == http.StatusOK && authRequestIDRe.MatchString(body):
			id := authRequestIDRe.FindStringSubmatch(body)[1]
			if username == "" {
				next = a.op.Issuer + "/login/cancel?authRequestID=" + url.QueryEscape(id)
				continue
			}
			pr, err := a.c.PostForm(a.op.Issuer+"/login", url.Values{"authRequestID": {id}, "username": {username}, "password": {ssoPassword}})
			if err != nil {
				a.t.Fatal(err)
			}
			readAll(pr)
			a.logins++
			if pr.StatusCode < 300 || pr.StatusCode >= 400 {
				a.t.Fatalf("provider login as %s: %d", username, pr.StatusCode)
			}
			loc, _ := pr.Request.URL.Parse(pr.Header.Get("Location"))
			next = loc.String()
		default:
			a.t.Fatalf("provider answered %d at %s:\n%s", r.StatusCode, r.Request.URL.Path, body)
		}
	}
	a.t.Fatal("the provider redirected in circles")
	return nil
}

// readAll reads and closes a response body.
func readAll(r *http.Response) string {
	defer r.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}

// ssoSignIn starts a sign-in at Kindred in b (start is "/auth/hospital" or
// with ?next=), signs in at the provider as username, and returns Kindred's
// answer to the callback.
func ssoSignIn(t *testing.T, b *browser, at *atProvider, start, username string) *resp {
	t.Helper()
	r := b.get(start)
	if r.StatusCode != http.StatusFound {
		t.Fatalf("%s: %d\n%s", start, r.StatusCode, r.body)
	}
	back := at.authorize(r.Header.Get("Location"), username)
	return b.get(back.RequestURI())
}
