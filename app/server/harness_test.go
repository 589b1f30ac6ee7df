package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/app/testenv/world"
	"github.com/kindred-health/kindred/models"
)

// cheapHash keeps argon2id but at a cost that suits hundreds of test sign-ups.
var cheapHash = &argon2id.Params{Memory: 8 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

type harness struct {
	t       testing.TB
	app     *server.App
	srv     *httptest.Server
	clock   *testenv.Clock
	mailbox *testenv.Mailbox
	cfg     *config.Config
	dbProxy *testenv.Proxy // with harnessOpts.dbProxy
	// With harnessOpts.replica: the replica's URL and the proxy before it.
	replicaURL   string
	replicaProxy *testenv.Proxy
	// env and deps built the app: restartWith builds another from them.
	env  map[string]string
	deps server.Deps
}

type harnessOpts struct {
	env     map[string]string
	limits  auth.Limits
	workers bool
	client  *http.Client
	// dbProxy reaches PostgreSQL through a proxy the test can cut
	// (h.dbProxy).
	dbProxy bool
	// replica gives visitors' pages a replica: another database, reached
	// through h.replicaProxy, filled by the test (h.replicaURL).
	replica bool
	// s3, when set, keeps proof documents in this bucket instead of on
	// local disk (the default: only the document tests care).
	s3 *testenv.S3Bucket
	// mfa holds staff to the strong sign-in rule: without a second factor
	// they are refused staff pages and API endpoints. Off by default, so
	// the tests of other features can make staff with a password only;
	// the strong sign-in tests (mfa_test.go) turn it on. Sudo mode and the
	// second step for accounts that have a factor apply either way.
	mfa bool
	// localhost names the server http://localhost:PORT rather than
	// 127.0.0.1: WebAuthn refuses IP addresses as relying party ids.
	localhost bool
}

func newHarness(t testing.TB, o harnessOpts) *harness {
	t.Helper()
	clock := testenv.NewClock()
	var db *database.DB
	var proxy *testenv.Proxy
	var replicaURL string
	var replicaProxy *testenv.Proxy
	switch {
	case o.replica:
		db, replicaURL, replicaProxy = testenv.DBWithReplica(t, clock.Now)
	case o.dbProxy:
		db, proxy = testenv.ProxiedDB(t, clock.Now)
	default:
		db = testenv.DB(t, clock.Now)
	}
	meiliURL, meiliKey, prefix := testenv.Meili(t)
	mb := testenv.NewMailbox(t)
	srv := httptest.NewUnstartedServer(nil)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := map[string]string{
		"DATABASE_URL":               "postgres://unused", // the test opens its own database
		"MEILI_URL":                  meiliURL,
		"MEILI_API_KEY":              meiliKey,
		"KINDRED_MEILI_INDEX_PREFIX": prefix,
		"KINDRED_SECRET_KEY":         hex.EncodeToString(secret),
		"KINDRED_BASE_URL":           "http://" + srv.Listener.Addr().String(),
		"KINDRED_SMTP_HOST":          mb.Host,
		"KINDRED_SMTP_PORT":          strconv.Itoa(mb.Port),
		"KINDRED_SMTP_TLS":           "none",
		"KINDRED_SMTP_FROM":          "Kindred <no-reply@kindred.test>",
		"KINDRED_DOCUMENT_DIR":       filepath.Join(t.TempDir(), "documents"),
		"KINDRED_IMAGE_DIR":          filepath.Join(t.TempDir(), "images"),
		"KINDRED_EXPORT_DIR":         filepath.Join(t.TempDir(), "exports"),
		// New members' first posts wait for approval by default; the tests
		// of other features post as established members (moderation_test
		// covers the default).
		"KINDRED_NEW_MEMBER_APPROVALS": "0",
	}
	if o.s3 != nil {
		maps.Copy(env, o.s3.Env())
	}
	if o.localhost {
		env["KINDRED_BASE_URL"] = "http://localhost:" + strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
	}
	maps.Copy(env, o.env)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := notify.NewSMTPMailer(notify.SMTPConfig(cfg.SMTP))
	if err != nil {
		t.Fatal(err)
	}
	limits := o.limits
	if limits == (auth.Limits{}) {
		limits = auth.DefaultLimits
	}
	deps := server.Deps{DB: db, Log: testenv.Logger(t), Now: clock.Now, Mailer: mailer, HashParams: cheapHash, Limits: limits, HTTPClient: o.client,
		StaffMFAOptional: !o.mfa}
	app, err := server.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app.Echo
	srv.Start()
	t.Cleanup(srv.Close)
	h := &harness{t: t, app: app, srv: srv, clock: clock, mailbox: mb, cfg: cfg, dbProxy: proxy, replicaURL: replicaURL, replicaProxy: replicaProxy, env: env, deps: deps}
	if o.workers {
		// As `kindred serve` does before taking requests.
		if err := app.PrepareSearch(context.Background()); err != nil {
			t.Logf("search not prepared: %v", err)
		}
		h.startWorkers()
	}
	return h
}

// restartWith replaces the app by one built with changed settings on the
// same database and address, as an operator's restart after editing the
// configuration would.
func (h *harness) restartWith(changes map[string]string) {
	h.t.Helper()
	env := maps.Clone(h.env)
	maps.Copy(env, changes)
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		h.t.Fatal(err)
	}
	app, err := server.New(cfg, h.deps)
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv.Config.Handler = app.Echo
	h.app, h.cfg, h.env = app, cfg, env
}

// startWorkers runs River's workers and the search indexer until the test
// ends.
func (h *harness) startWorkers() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := h.app.StartWorkers(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		_ = stop(sctx)
		cancel()
	})
}

// browser is an HTTP client with its own cookie jar that does not follow
// redirects, so tests see each 303.
type browser struct {
	h    *harness
	c    *http.Client
	csrf string
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	*http.Response
	body string
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) do(req *http.Request) *resp {
	b.h.t.Helper()
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "kindred-test-browser")
	}
	r, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	if m := csrfRe.FindStringSubmatch(string(body)); m != nil {
		b.csrf = m[1]
	}
	return &resp{Response: r, body: string(body)}
}

func (b *browser) get(path string) *resp {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.h.srv.URL+path, nil)
	return b.do(req)
}

// post submits a form with the CSRF token of the last page seen.
func (b *browser) post(path string, form url.Values) *resp {
	b.h.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf_token"]; !ok {
		form.Set("csrf_token", b.csrf)
	}
	return b.postRaw(path, form)
}

func (b *browser) postRaw(path string, form url.Values) *resp {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// cookie returns the value of a cookie the browser holds for the app.
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.h.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) signUp(handle, email, password string) *resp {
	b.h.t.Helper()
	b.get("/signup")
	r := b.post("/signup", url.Values{"agree": {"on"}, "health_consent": {"on"}, "handle": {handle}, "email": {email}, "password": {password}})
	if r.StatusCode != http.StatusSeeOther {
		b.h.t.Fatalf("sign-up of %s: status %d\n%s", handle, r.StatusCode, r.body)
	}
	b.get("/") // pick up the signed-in CSRF token
	return r
}

func (b *browser) signIn(login, password string) *resp {
	b.h.t.Helper()
	b.get("/signin")
	r := b.post("/signin", url.Values{"login": {login}, "password": {password}})
	if r.StatusCode == http.StatusSeeOther {
		b.get("/") // pick up the signed-in CSRF token
	}
	return r
}

const goodPassword = "correct horse battery"

// member signs up a new member in a fresh browser.
func (h *harness) member(handle string) *browser {
	h.t.Helper()
	b := h.browser()
	b.signUp(handle, handle+"@example.org", goodPassword)
	return b
}

// confirmEmail marks a member's address as confirmed, as clicking the
// link in the confirmation e-mail would; only a confirmed address signs in.
func (h *harness) confirmEmail(handle string) {
	h.t.Helper()
	if err := h.app.DB.Gorm.Exec(`UPDATE users SET email_verified_at = now() WHERE lower(handle) = lower(?)`, handle).Error; err != nil {
		h.t.Fatal(err)
	}
}

// withRole signs up a user, sets the role directly, and signs in again.
func (h *harness) withRole(handle string, role models.Role) *browser {
	h.t.Helper()
	h.member(handle)
	b := h.browser()
	if err := h.app.DB.Gorm.Model(&models.User{}).Where("lower(handle) = lower(?)", handle).Update("role", role).Error; err != nil {
		h.t.Fatal(err)
	}
	r := b.signIn(handle, goodPassword)
	if r.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("sign-in as %s: %d", handle, r.StatusCode)
	}
	return b
}

func (h *harness) count(table string) int64 {
	h.t.Helper()
	var n int64
	if err := h.app.DB.Gorm.Table(table).Count(&n).Error; err != nil {
		h.t.Fatal(err)
	}
	return n
}

func (h *harness) user(handle string) *models.User {
	h.t.Helper()
	return world.UserByHandle(h.t, h.app, handle)
}

// actor is u as web.LoadActor finds them on a request now: for calling
// services directly as that person.
func (h *harness) actor(u *models.User) models.Actor {
	h.t.Helper()
	return world.ActorOf(h.t, h.app, u)
}
