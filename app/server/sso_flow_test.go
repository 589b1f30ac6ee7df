package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Each cause of a failed provider sign-in has its own message, status and
// JSON code, and the message survives the error page (5xx included).
func TestSSOErrorsSayWhatWentWrong(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, nil, person("lee", "sub-lee", "lee@stbrigid.example"))

	// The person cancels at the provider.
	b := h.browser()
	r := ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital", "")
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "Sign-in cancelled") {
		t.Errorf("cancelled: %d\n%s", r.StatusCode, r.body)
	}

	// The attempt is older than ten minutes.
	b = h.browser()
	start := b.get("/auth/hospital")
	back := newAtProvider(t, op).authorize(start.Header.Get("Location"), "lee")
	h.clock.Advance(11 * time.Minute)
	if r := b.get(back.RequestURI()); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "Sign-in expired") {
		t.Errorf("expired: %d", r.StatusCode)
	}

	// The same, asked for as JSON: the code and the message.
	b = h.browser()
	start = b.get("/auth/hospital")
	back = newAtProvider(t, op).authorize(start.Header.Get("Location"), "")
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+back.RequestURI(), nil)
	req.Header.Set("Accept", "application/json")
	jr := b.do(req)
	var body struct{ Error web.APIError }
	if err := json.Unmarshal([]byte(jr.body), &body); err != nil || jr.StatusCode != http.StatusForbidden || body.Error.Code != "declined" || !strings.Contains(body.Error.Message, "cancelled") {
		t.Errorf("JSON: %d %s", jr.StatusCode, jr.body)
	}

	// The provider goes down between the click and the way back.
	b = h.browser()
	start = b.get("/auth/hospital")
	back = newAtProvider(t, op).authorize(start.Header.Get("Location"), "lee")
	op.Close()
	r = b.get(back.RequestURI())
	if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, "is not answering right now") {
		t.Errorf("provider down: %d (Retry-After %q)\n%s", r.StatusCode, r.Header.Get("Retry-After"), r.body)
	}
	if h.count("users") != 0 || h.count("sessions") != 0 {
		t.Error("a failed sign-in wrote an account or a session")
	}
}

// A wrong client secret is the hospital's configuration, not the member's
// fault: it says so (502), instead of "try again".
func TestSSOWrongClientSecretIsAConfigurationError(t *testing.T) {
	t.Parallel()
	op := testenv.NewOpenIDProvider(t)
	op.AddUser(person("lee", "sub-lee", "lee@stbrigid.example"))
	h := newHarness(t, harnessOpts{env: ssoEnv(op, "hospital", "St. Brigid's Health", map[string]string{"CLIENT_SECRET": "an-old-secret"})})
	registerKindred(h, op, "hospital")
	b := h.browser()
	r := ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital", "lee")
	if r.StatusCode != http.StatusBadGateway || !strings.Contains(r.body, "refused Kindred") {
		t.Errorf("wrong secret: %d\n%s", r.StatusCode, r.body)
	}
}

// Start-up checks each provider's discovery: a wrong issuer stops it with
// one line naming the provider; a provider that is merely down does not.
func TestSSOIssuerCheckedAtStart(t *testing.T) {
	t.Parallel()
	op := testenv.NewOpenIDProvider(t)
	h := newHarness(t, harnessOpts{})
	start := func(issuer string) error {
		env := map[string]string{}
		for k, v := range h.env {
			env[k] = v
		}
		for k, v := range ssoEnv(op, "hospital", "St. Brigid's Health", nil) {
			env[k] = v
		}
		env["KINDRED_OIDC_HOSPITAL_ISSUER"] = issuer
		cfg, err := config.Load(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		_, err = server.New(cfg, h.deps)
		return err
	}
	port := strings.TrimPrefix(op.Issuer, "http://127.0.0.1:")
	for _, wrong := range []string{op.Issuer + "/realms/staff", "http://localhost:" + port} {
		err := start(wrong)
		if err == nil || !strings.Contains(err.Error(), `"hospital"`) || !strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), "\n") {
			t.Errorf("issuer %s: start-up error %v", wrong, err)
		}
	}
	if err := start(op.Issuer); err != nil {
		t.Errorf("the right issuer: %v", err)
	}
	down := testenv.NewOpenIDProvider(t)
	down.Close()
	if err := start(down.Issuer); err != nil {
		t.Errorf("a provider that is down stopped start-up: %v", err)
	}
}

// A provider that hangs does not make sign-in clicks queue behind each
// other: they share one discovery, each waits at most its own deadline,
// and each is told the provider is not answering.
func TestSSOHungProviderDoesNotQueueClicks(t *testing.T) {
	t.Parallel()
	op := testenv.NewOpenIDProvider(t)
	op.Hang(true)
	defer op.Hang(false)
	h := newHarness(t, harnessOpts{env: ssoEnv(op, "hospital", "St. Brigid's Health", nil), client: &http.Client{Timeout: time.Second}})
	const clicks = 6
	began := time.Now()
	var wg sync.WaitGroup
	statuses := make([]int, clicks)
	for i := range clicks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := http.Get(h.srv.URL + "/auth/hospital")
			if err != nil {
				return
			}
			readAll(r)
			statuses[i] = r.StatusCode
		}()
	}
	wg.Wait()
	took := time.Since(began)
	for i, s := range statuses {
		if s != http.StatusServiceUnavailable {
			t.Errorf("click %d: %d", i, s)
		}
	}
	// One at a time behind a lock, six clicks would take six timeouts.
	if took > 4*time.Second {
		t.Errorf("%d clicks took %s against a hung provider with a 1 s timeout: they queued", clicks, took)
	}
}

// /auth/<provider> is rate-limited per address (each click writes a row),
// and the page to come back to is kept through the whole flow.
func TestSSORateLimitAndNextPage(t *testing.T) {
	t.Parallel()
	op := testenv.NewOpenIDProvider(t)
	op.AddUser(person("ivy", "sub-ivy", "ivy@stbrigid.example"))
	limits := auth.DefaultLimits
	limits.ExternalPerIP.Max = 4
	h := newHarness(t, harnessOpts{env: ssoEnv(op, "hospital", "St. Brigid's Health", nil), limits: limits})
	registerKindred(h, op, "hospital")
	f := h.forum("heart", nil)

	b := h.browser()
	signin := b.get("/signin?next=" + url.QueryEscape("/f/"+f.Slug))
	if !strings.Contains(signin.body, `href="/auth/hospital?next=%2Ff%2F`+f.Slug+`"`) {
		t.Fatal("the provider button drops the page to come back to")
	}
	r := ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital?next="+url.QueryEscape("/f/"+f.Slug), "ivy")
	if r.Header.Get("Location") != "/auth/complete" {
		t.Fatalf("callback: %s", r.Header.Get("Location"))
	}
	b.get("/auth/complete")
	if r := b.post("/auth/complete", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {"ivy_w"}}); r.Header.Get("Location") != "/f/"+f.Slug {
		t.Errorf("after choosing a handle: %s", r.Header.Get("Location"))
	}
	// Only same-site paths are kept.
	b2 := h.browser()
	if r := ssoSignIn(t, b2, newAtProvider(t, op), "/auth/hospital?next="+url.QueryEscape("https://evil.example/"), "ivy"); r.Header.Get("Location") != "/" {
		t.Errorf("foreign next: %s", r.Header.Get("Location"))
	}
	// Two clicks so far; the fifth from this address is refused.
	for i := 0; i < 2; i++ {
		h.browser().get("/auth/hospital")
	}
	if r := h.browser().get("/auth/hospital"); r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("fifth click: %d", r.StatusCode)
	}
	if n := h.count("oauth_attempts"); n > 4 {
		t.Errorf("%d attempts stored", n)
	}
}

// Signing in always ends the session already in that browser, and a
// suspended member who signs in at their provider can appeal without a
// password they do not have.
func TestSSOSignInOverAnotherAndSuspendedAppeal(t *testing.T) {
	t.Parallel()
	h, op := ssoHarness(t, nil, person("rae", "sub-rae", "rae@stbrigid.example"))
	joinAs(t, h, op, "rae", "rae_m")
	shared := h.member("pam_shared")
	pamSession := h.user("pam_shared").ID
	if r := ssoSignIn(t, shared, newAtProvider(t, op), "/auth/hospital", "rae"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in over Pam's session: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM sessions WHERE user_id = `+itoa(pamSession)); n != 0 {
		t.Errorf("Pam's session in that browser is still alive (%d)", n)
	}

	// Rae is suspended by a moderator.
	f := h.forum("heart", nil)
	th := h.thread("rae_m", f, "Arguing again", "This is a thread.", false)
	h.account("mod_one", models.RoleModerator)
	if err := h.app.Moderation.ActOnMember(t.Context(), h.actor(h.user("mod_one")), models.TargetThread, th.ID, "suspend", "Repeated personal attacks", h.clock.Now().Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	r := ssoSignIn(t, b, newAtProvider(t, op), "/auth/hospital", "rae")
	if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, `href="/appeal"`) || b.cookie(web.SessionCookie) != "" {
		t.Fatalf("suspended sign-in: %d\n%s", r.StatusCode, r.body)
	}
	page := b.get("/appeal")
	if strings.Contains(page.body, `name="password"`) || !strings.Contains(page.body, "rae_m") {
		t.Fatal("the appeal form asks a provider member for a password")
	}
	if r := b.post("/appeal", url.Values{"text": {"I was answering an attack, please look at the whole thread."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("appeal: %d\n%s", r.StatusCode, r.body)
	}
	if n := h.count("appeals"); n != 1 {
		t.Fatalf("%d appeals", n)
	}
	// The ticket was single use.
	if page := h.browser().get("/appeal"); strings.Contains(page.body, "rae_m") {
		t.Error("another browser sees the ticket")
	}
	if page := b.get("/appeal"); !strings.Contains(page.body, `name="password"`) {
		t.Error("the ticket still works after the appeal")
	}
}
