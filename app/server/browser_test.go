package server_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// chromium finds Debian's Chromium; under CI=true its absence fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("KINDRED_CHROMIUM")
	if path == "" {
		path, _ = exec.LookPath("chromium")
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed: under CI=true the browser test must run (make test installs it)")
		}
		t.Skip("chromium is not installed: run `make test`, which installs it (CI=true makes this a failure)")
	}
	return path
}

func axeSource(t *testing.T) string {
	t.Helper()
	p := filepath.Join(testenv.RepoRoot(t), ".cache", "axe", "axe.min.js")
	b, err := os.ReadFile(p)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core missing at %s: run `make test`", p)
		}
		t.Skipf("axe-core missing at %s: run `make test` (CI=true makes this a failure)", p)
	}
	return string(b)
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

type page struct {
	t   *testing.T
	ctx context.Context
	axe string
	url string
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatal(err)
	}
}

func (p *page) eval(js string) string {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		p.t.Fatal(err)
	}
	return v
}

// waitText waits until the main content contains s.
func (p *page) waitText(s string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		// Only once the page has loaded: chromedp's node ids taken from a
		// page still loading may be gone a moment later ("No node with
		// given id found").
		body, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body && document.readyState === "complete" ? document.body.innerText : ""`))
		if err == nil && strings.Contains(body, s) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("page %s never showed %q; it shows:\n%s", p.eval(`location.href`), s, p.eval(`document.body.innerText`))
}

// shot saves a full-page PNG when KINDRED_SCREENSHOTS names a directory,
// so people can look at the pages the test walks through.
func (p *page) shot(name string) {
	p.t.Helper()
	dir := os.Getenv("KINDRED_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100)) // 100 means PNG
	if err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// waitJS waits until a JavaScript condition holds.
func (p *page) waitJS(cond, what string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.t.Fatalf("%s: never true at %s", what, p.eval(`location.href`))
}

// checkA11y runs axe-core for WCAG 2.1 A and AA on the current page.
func (p *page) checkA11y(name string) {
	p.t.Helper()
	p.checkA11yTags(name, `"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"`)
}

// checkA11yAll adds axe's best practices (one h1, heading order, …).
func (p *page) checkA11yAll(name string) {
	p.t.Helper()
	p.checkA11yTags(name, `"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"`)
}

func (p *page) checkA11yTags(name, tags string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](p.axe+";true")); err != nil {
		p.t.Fatalf("inject axe: %v", err)
	}
	vs, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {runOnly: {type: "tag", values: [`+tags+`]}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))})))`, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("axe on %s: %v", name, err)
	}
	for _, v := range vs {
		p.t.Errorf("%s: axe %s (%s): %s at %v", name, v.ID, v.Impact, v.Help, v.Nodes)
	}
	// Nothing may overflow a 360 px phone screen sideways.
	if w := p.eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		wide := p.eval(`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > 361).slice(0, 5).map(e => e.tagName + "." + e.className).join(", ")`)
		p.t.Errorf("%s: page is %s px wide on a 360 px screen; too wide: %s", name, w, wide)
	}
	p.shot(name)
}

// newPage starts headless Chromium on a 360 px wide screen.
// browserSlots bounds how many tests drive a browser at once. Browser
// tests run in parallel with the others (serially they were most of the
// suite's time) but each Chromium takes a good part of a core; one slot is
// held per test, however many pages it opens, so tests cannot wait on
// each other for a second page.
var (
	browserSlots = make(chan struct{}, 2)
	browserHeld  sync.Map // *testing.T → true
)

func holdBrowserSlot(t *testing.T) {
	if _, held := browserHeld.LoadOrStore(t, true); held {
		return
	}
	browserSlots <- struct{}{}
	t.Cleanup(func() {
		browserHeld.Delete(t)
		<-browserSlots
	})
}

// sharedBrowser is one Chromium for the whole test binary: starting one
// per test cost a second or two of CPU each. Every page gets a browser
// context of its own (cookies, storage and cache apart, as a fresh
// profile would be), closed with its test.
var sharedBrowser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func browserRoot(t *testing.T) context.Context {
	t.Helper()
	bin := chromium(t)
	sharedBrowser.once.Do(func() {
		dir, err := os.MkdirTemp("", "kindred-chromium-")
		if err != nil {
			sharedBrowser.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(bin),
			chromedp.NoSandbox,
			chromedp.Headless,
			chromedp.UserDataDir(dir),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-quic", true),
		)
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(allocCtx)
		sharedBrowser.ctx = ctx
		sharedBrowser.cancel = func() { cancel(); cancelAlloc(); _ = os.RemoveAll(dir) }
		// The first action starts the browser: its context carries no timeout.
		sharedBrowser.err = chromedp.Do(ctx)
	})
	if sharedBrowser.err != nil {
		t.Fatalf("start chromium: %v", sharedBrowser.err)
	}
	return sharedBrowser.ctx
}

// stopSharedBrowser ends the Chromium the tests shared (TestMain).
func stopSharedBrowser() {
	if sharedBrowser.cancel != nil {
		sharedBrowser.cancel()
	}
}

func newPage(t *testing.T, h *harness) *page {
	t.Helper()
	holdBrowserSlot(t)
	root := browserRoot(t)
	axe := axeSource(t)
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740)); err != nil {
		t.Fatalf("open a page: %v", err)
	}
	return &page{t: t, ctx: ctx, axe: axe, url: h.srv.URL}
}

// signIn signs handle in through the sign-in form.
func (p *page) signIn(handle string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", handle, "password", goodPassword)
	// The header's account link shows the new page has rendered as the
	// member, not only that the address changed.
	p.waitJS(`location.pathname === "/" && document.querySelector('nav[aria-label="Main"] a[href="/account"]') !== null`, "signed in")
}

// visit opens path and waits until the page shows text.
func (p *page) visit(path, text string) {
	p.t.Helper()
	p.do(chromedp.Navigate(p.url + path))
	p.waitText(text)
}

// submit types into empty fields by id and clicks the form's submit button.
func (p *page) submit(form string, fields ...string) {
	p.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		steps = append(steps, chromedp.SendKeys(chromedp.ID(fields[i]), fields[i+1]))
	}
	if form == `form[action="/signup"]` || form == `form[action="/auth/complete"]` {
		// The sign-up form's two required consents.
		steps = append(steps, chromedp.Click(chromedp.ID("agree")), chromedp.Click(chromedp.ID("health_consent")))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	p.do(steps...)
}

func TestBrowserSignUpSignOutSignIn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	p := newPage(t, h)

	// A visitor's home page and sign-up form.
	p.do(chromedp.Navigate(p.url + "/"))
	p.waitText("Support from people who understand")
	p.checkA11y("home (visitor)")

	p.do(chromedp.Click(chromedp.CSS(`a.button[href="/signup"]`)))
	p.waitText("Choose a handle")
	p.checkA11y("sign-up")

	// A mistake first: the form comes back with its errors, accessible too.
	p.do(
		chromedp.SendKeys(chromedp.ID("handle"), "hope_rising"),
		chromedp.SendKeys(chromedp.ID("email"), "hope@example.org"),
		chromedp.SendKeys(chromedp.ID("password"), "short"),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)),
	)
	p.waitText("Password must be at least 10 characters")
	p.checkA11y("sign-up with errors")
	if got := p.eval(`document.getElementById("handle").value`); got != "hope_rising" {
		t.Fatalf("handle not kept: %q", got)
	}
	if got := p.eval(`document.activeElement.className`); got != "error-summary" {
		t.Errorf("focus is on %q, not the error summary", got)
	}
	// The consents were not ticked: the form says so, and keeps nothing
	// ticked for the member.
	if got := p.eval(`String(document.body.innerText.includes("Tick this box to agree to the terms"))`); got != "true" {
		t.Errorf("the form did not ask for the agreement")
	}
	p.do(
		chromedp.SendKeys(chromedp.ID("password"), goodPassword),
		chromedp.Click(chromedp.ID("agree")), chromedp.Click(chromedp.ID("health_consent")),
		chromedp.Click(chromedp.CSS(`form[action="/signup"] button[type=submit]`)),
	)
	p.waitText("Welcome to Kindred, hope_rising")
	p.checkA11y("home (member)")

	p.do(chromedp.Navigate(p.url + "/account"))
	p.waitText("Where you are signed in")
	p.checkA11y("account settings")

	// Sign out with the header button, using only the keyboard.
	p.do(
		chromedp.Focus(chromedp.CSS(`form[action="/signout"] button`)),
		chromedp.KeyEvent("\r"),
	)
	p.waitText("You are signed out.")
	if strings.Contains(p.eval(`document.body.innerText`), "hope_rising") {
		t.Fatal("still shows the handle after signing out")
	}

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.waitText("Forgot your password?")
	p.checkA11y("sign-in")
	p.do(
		chromedp.SendKeys(chromedp.ID("login"), "hope_rising"),
		chromedp.SendKeys(chromedp.ID("password"), goodPassword),
		chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type=submit]`)),
	)
	p.waitText("My forums")

	p.do(chromedp.Navigate(p.url + "/password/forgot"))
	p.waitText("Reset your password")
	p.checkA11y("password reset request")

	p.do(chromedp.Navigate(p.url + "/no-such-page"))
	p.waitText("Page not found")
	p.checkA11y("404 page")
}

func TestBrowserForumConversation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("living-with-asthma", func(f *forumsForm) {
		f.Name = "Living with asthma"
		f.Description = "Inhalers, triggers and good days."
	})
	h.forum("night-thoughts", func(f *forumsForm) { f.Name = "Night thoughts"; f.Sensitive = true })
	p := newPage(t, h)

	// A visitor sees the public forum only.
	p.do(chromedp.Navigate(p.url + "/"))
	p.waitText("Living with asthma")
	if strings.Contains(p.eval(`document.body.innerText`), "Night thoughts") {
		t.Fatal("a visitor sees the sensitive forum")
	}
	p.checkA11y("forum list (visitor)")

	// Member A joins and starts a thread.
	p.do(chromedp.Navigate(p.url + "/signup"))
	p.submit(`form[action="/signup"]`, "handle", "wheezy_w", "email", "w@example.org", "password", goodPassword)
	p.waitText("Welcome to Kindred, wheezy_w")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/f/living-with-asthma"]`)))
	p.waitText("Inhalers, triggers and good days.")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/f/living-with-asthma/join"] button`)))
	p.waitText("You joined Living with asthma.")
	p.checkA11y("forum page")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/f/living-with-asthma/new"]`)))
	p.waitText("Start a thread")
	p.checkA11y("new thread form")
	p.submit(`form[action="/f/living-with-asthma/threads"]`, "title", "Cold air makes it worse", "body", "Does anyone else struggle on **frosty** mornings?")
	p.waitText("Does anyone else struggle on frosty mornings?")
	threadURL := p.eval(`location.pathname`)
	p.checkA11y("thread page")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	// Member B replies.
	p.do(chromedp.Navigate(p.url + "/signup"))
	p.submit(`form[action="/signup"]`, "handle", "scarf_sam", "email", "sam@example.org", "password", goodPassword)
	p.waitText("Welcome to Kindred, scarf_sam")
	p.do(chromedp.Navigate(p.url + threadURL))
	p.waitText("Cold air makes it worse")
	p.submit(`form[action$="/replies"]`, "body", "A scarf over my mouth helps a lot.")
	p.waitText("A scarf over my mouth helps a lot.")
	p.do(chromedp.Click(chromedp.CSS(`button[formaction$="/reactions/support"]`)))
	p.waitText("Support 1")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	// Member A sees the notification and follows it to the reply.
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "wheezy_w", "password", goodPassword)
	p.waitJS(`document.querySelector(".badge") !== null && document.querySelector(".badge").textContent === "1 unread"`, "the bell shows 1 unread")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/notifications"]`)))
	p.waitText("scarf_sam replied in “Cold air makes it worse”")
	p.checkA11y("notifications page")
	p.do(chromedp.Click(chromedp.CSS(`.notification-link`)))
	p.waitText("A scarf over my mouth helps a lot.")
	if strings.Contains(p.eval(`document.querySelector("header").innerText`), "unread") {
		t.Fatal("the bell still shows unread notifications after opening it")
	}
}

type forumsForm = forums.ForumForm

// TestBrowserClinicianVerification: a member applies with a document, an
// admin approves it, and the member's earlier and new posts show the badge.
func TestBrowserClinicianVerification(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	h.account("rn_priya", models.RoleMember)
	f := h.forum("heart-health", func(f *forumsForm) { f.Name = "Heart health" })
	earlier := h.thread("rn_priya", f, "Salt swaps that worked for me", "Herbs and lemon instead of salt.", false)
	doc := filepath.Join(t.TempDir(), "licence.pdf")
	if err := os.WriteFile(doc, pdfDoc, 0o600); err != nil {
		t.Fatal(err)
	}
	p := newPage(t, h)

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "rn_priya", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Navigate(p.url + "/clinician"))
	p.waitText("Are you a licensed clinician?")
	p.checkA11y("clinician status (no application)")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/clinician/apply"]`)))
	p.waitText("Apply for a clinician badge")
	p.checkA11y("clinician application form")

	// A mistake first: no specialty chosen. The form keeps what was typed.
	p.do(
		chromedp.SetValue(chromedp.ID("profession"), "registered-nurse"),
		chromedp.SendKeys(chromedp.ID("licence_number"), "RN 220-118"),
		chromedp.SetValue(chromedp.ID("jurisdiction"), "test-board"),
		chromedp.SetValue(chromedp.ID("licence_expires"), h.clock.Now().AddDate(1, 6, 0).Format("2006-01-02")),
		chromedp.Click(chromedp.CSS(`form[action="/clinician/apply"] button[type=submit]`)),
	)
	p.waitText("Choose at least one specialty.")
	p.checkA11y("clinician application with errors")
	if got := p.eval(`document.getElementById("licence_number").value`); got != "RN 220-118" {
		t.Fatalf("licence number not kept: %q", got)
	}
	p.do(
		chromedp.Click(chromedp.ID("spec-cardiology")),
		chromedp.SetUploadFiles(chromedp.ID("document"), []string{doc}),
		chromedp.Click(chromedp.CSS(`form[action="/clinician/apply"] button[type=submit]`)),
	)
	p.waitText("Your application is waiting for review")
	p.waitText("Download your document")
	p.checkA11y("clinician status (pending)")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	// The admin reviews it: queue, application, register link, approve.
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "fixture_admin", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/review/credentials"]`)))
	p.waitText("rn_priya")
	p.checkA11y("credential review queue")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/notifications"]`)))
	p.waitText("rn_priya applied for a clinician badge")
	p.do(chromedp.Click(chromedp.CSS(`.notification-link`)))
	p.waitText("Look up RN 220-118 on the Test Nursing Board register")
	if href := p.eval(`document.querySelector('a[href^="https://register.example.org"]').getAttribute("href")`); href != "https://register.example.org/lookup?number=RN+220-118" {
		t.Errorf("register link %q", href)
	}
	p.checkA11y("credential review page")
	p.do(chromedp.Click(chromedp.CSS(`form[action$="/approve"] button[type=submit]`)))
	p.waitText("Approved. The member's posts now show the badge.")
	p.do(chromedp.Navigate(p.url + "/admin/clinician-lists"))
	p.waitText("Licensing authorities")
	p.checkA11y("clinician lists")
	p.do(chromedp.Navigate(p.url + "/admin/users"))
	p.waitText("Credential reviewer")
	p.checkA11y("people and roles")
	p.do(chromedp.Navigate(p.url + "/admin/safety"))
	p.waitText("Watched words")
	p.checkA11y("safety settings")
	p.do(chromedp.Navigate(p.url + "/admin/audit"))
	p.waitText("credential.approve")
	p.checkA11y("audit log")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	// The member's earlier post shows the badge, and so does a new one.
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "rn_priya", "password", goodPassword)
	p.waitJS(`document.querySelector(".badge") !== null`, "the bell shows the approval")
	p.do(chromedp.Navigate(p.url + "/t/" + itoa(earlier.ID)))
	p.waitText("Verified · Registered nurse · Cardiology")
	p.submit(`form[action$="/replies"]`, "body", "Now with a badge: ask me about low-salt cooking.")
	p.waitText("Now with a badge")
	p.do(chromedp.Navigate(p.url + "/t/" + itoa(earlier.ID)))
	p.waitText("Now with a badge")
	if n := p.eval(`String(document.querySelectorAll(".clinician-badge").length)`); n != "2" {
		t.Errorf("%s badges on the thread, want 2", n)
	}
	p.checkA11y("thread with clinician badges")
	p.do(chromedp.Click(chromedp.CSS(`a.clinician-badge`)))
	p.waitText("rn_priya is a verified clinician")
	p.checkA11y("public clinician page")
	p.do(chromedp.Navigate(p.url + "/clinician"))
	p.waitText("Private questions")
	p.checkA11y("clinician status (verified)")
}

// TestBrowserPrivateQuestion: a member asks privately, the clinician gets
// the offer, accepts and answers, and the member reads the answer.
func TestBrowserPrivateQuestion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	h.forum("type-2-diabetes", func(f *forumsForm) { f.Name = "Type 2 diabetes"; f.Specialties = []string{"endocrinology"} })
	h.clinician("dr_endo", "endocrinology")
	h.account("tess", models.RoleMember)
	p := newPage(t, h)

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "tess", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/questions"]`)))
	p.waitText("You have not asked a private question yet.")
	p.checkA11y("my private questions (empty)")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/questions/new"]`)))
	p.waitText("Ask a clinician privately")
	p.checkA11y("ask form")
	p.do(chromedp.SetValue(chromedp.ID("forum"), "type-2-diabetes"))
	p.submit(`form[action="/questions"]`, "title", "Morning readings higher than evening", "body", "My fasting sugar is higher than at bedtime even though I eat nothing overnight. Is that normal?")
	p.waitText("only you and the clinician who takes it can read it")
	p.waitText("Offered to a verified clinician, who has until")
	p.checkA11y("question page (asker)")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	// The clinician: notification, offer, accept, answer.
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "dr_endo", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Navigate(p.url + "/notifications"))
	p.waitText("A private question was offered to you")
	if strings.Contains(p.eval(`document.body.innerText`), "Morning readings") {
		t.Error("the notification shows the question's title")
	}
	p.do(chromedp.Navigate(p.url + "/clinician/questions"))
	p.waitText("Morning readings higher than evening")
	p.waitText("left")
	p.checkA11y("clinician dashboard")
	p.do(chromedp.Click(chromedp.CSS(`a[href^="/questions/"]`)))
	p.waitText("This question was offered to you")
	p.checkA11y("question page (offer)")
	p.do(chromedp.Click(chromedp.CSS(`form[action$="/accept"] button`)))
	p.waitText("You have taken this question.")
	p.submit(`form[action$="/messages"]`, "body", "That is common: hormones released in the early morning raise blood sugar. Note your readings for a week and show your diabetes team.")
	p.waitText("hormones released in the early morning")
	p.checkA11y("question page (clinician)")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	// The member reads the answer and rates it.
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "tess", "password", goodPassword)
	p.waitJS(`document.querySelector(".badge") !== null`, "the bell shows news")
	p.do(chromedp.Navigate(p.url + "/questions"))
	p.waitText("Answered")
	p.do(chromedp.Click(chromedp.CSS(`.item-title a`)))
	p.waitText("hormones released in the early morning")
	p.waitText("dr_endo")
	p.do(chromedp.Click(chromedp.CSS(`button[value="helpful"]`)))
	p.waitText("Thank you for rating the answer.")
	p.checkA11y("question page (answered)")
}

// TestBrowserReportAndRemove: a member reports a post, a moderator removes
// it from the queue, and the reporter sees the outcome.
func TestBrowserReportAndRemove(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("heart-health", func(f *forumsForm) { f.Name = "Heart health" })
	h.account("spammer", models.RoleMember)
	h.account("careful", models.RoleMember)
	h.account("mod_mo", models.RoleModerator)
	th := h.thread("careful", f, "Walking after a stent", "How far did you walk in week one?", false)
	h.reply("spammer", th.ID, "Buy miracle heart pills at cheap-pills.example!", false)
	p := newPage(t, h)

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "careful", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Navigate(p.url + "/t/" + itoa(th.ID)))
	p.waitText("miracle heart pills")
	p.do(chromedp.Click(chromedp.CSS(`a.report-link`)))
	p.waitText("What is wrong?")
	p.checkA11y("report form")
	p.do(
		chromedp.Click(chromedp.ID("reason-spam")),
		chromedp.SendKeys(chromedp.ID("note"), "Advertising pills."),
		chromedp.Click(chromedp.CSS(`form[action="/reports"] button[type=submit]`)),
	)
	p.waitText("Thank you for your report.")
	p.waitText("Waiting for a moderator")
	p.checkA11y("my reports")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "mod_mo", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/moderation"]`)))
	p.waitText("Walking after a stent")
	p.checkA11y("review queue")
	p.do(chromedp.Click(chromedp.CSS(`a[href^="/moderation/post/"]`)))
	p.waitText("Advertising pills.")
	p.checkA11y("review item")
	p.do(chromedp.SendKeys(chromedp.ID("reason"), "Advertising is not allowed here."),
		chromedp.Click(chromedp.CSS(`form[action$="/remove"] button.button-danger`)))
	p.waitText("Removed.")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	p.do(chromedp.Navigate(p.url + "/t/" + itoa(th.ID)))
	p.waitText("How far did you walk")
	if strings.Contains(p.eval(`document.body.innerText`), "miracle heart pills") {
		t.Fatal("the removed post is still shown")
	}
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "careful", "password", goodPassword)
	p.waitJS(`document.querySelector(".badge") !== null`, "the bell shows the outcome")
	p.do(chromedp.Navigate(p.url + "/notifications"))
	p.waitText("A moderator decided on something you reported")
	p.do(chromedp.Click(chromedp.CSS(`.notification-link`)))
	p.waitText("Removed by a moderator")
}

// TestBrowserSearch: search from the header, narrow to a forum, open a
// result.
func TestBrowserSearch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	heart := h.forum("heart-health", func(f *forumsForm) { f.Name = "Heart health" })
	lungs := h.forum("lungs", func(f *forumsForm) { f.Name = "Lungs" })
	h.account("writer", models.RoleMember)
	th := h.thread("writer", heart, "Swimming after a pacemaker", "When could you swim again?", false)
	h.thread("writer", lungs, "Swimming with asthma", "Cold pools make me wheeze.", false)
	if _, err := h.app.Forums.CreateThread(context.Background(), h.viewer("writer"), lungs, forums.ThreadForm{Title: "Peak flow diaries",
		Body: "Paper or app?", Tags: []string{"peak-flow", "apps"}}, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "both threads are indexed", func() bool { return len(h.searchIDs("", "q=swimming")) == 2 })
	eventually(t, "the tagged thread is indexed", func() bool { return len(h.searchIDs("", "tag=peak-flow")) == 1 })
	p := newPage(t, h)
	p.do(chromedp.Navigate(p.url + "/search"))
	p.waitText("Popular tags")
	p.checkA11y("search page before searching")
	p.do(chromedp.Navigate(p.url + "/"))
	p.submit(`form.header-search`, "header-q", "swimming")
	p.waitText("About 2 matches, one result per thread")
	if got := p.eval(`document.querySelector("#search-q").value`); got != "swimming" {
		t.Errorf("the search page's box holds %q", got)
	}
	p.checkA11y("search results")
	p.do(chromedp.SetValue(chromedp.ID("search-forum"), "heart-health"), chromedp.Click(chromedp.CSS(`form.search-form button[type=submit]`)))
	p.waitText("About 1 match, one result per thread")
	if strings.Contains(p.eval(`document.querySelector("main").innerText`), "Swimming with asthma") {
		t.Error("the forum filter kept another forum's thread")
	}
	if !strings.Contains(p.eval(`document.querySelector("#search-forum").innerText`), "Lungs (about 1 match)") {
		t.Error("the forum list does not count the other forum's match")
	}
	// The same from the forum's own search box.
	p.do(chromedp.Navigate(p.url + "/f/lungs"))
	p.checkA11y("forum page with its search box")
	p.submit(`form.forum-search`, "forum-q", "swimming")
	p.waitText("About 1 match, one result per thread")
	if !strings.Contains(p.eval(`document.querySelector("main").innerText`), "Swimming with asthma") {
		t.Error("the forum's search box did not search that forum")
	}
	p.do(chromedp.Navigate(p.url + "/search?q=swimming&forum=heart-health"))
	p.waitText("About 1 match, one result per thread")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/t/` + itoa(th.ID) + `"]`)))
	p.waitText("When could you swim again?")
	// A bad date is named at the top and at its field.
	p.do(chromedp.Navigate(p.url + "/search?q=swimming&from=2026-13-01"))
	p.waitText("Enter a date as YYYY-MM-DD")
	p.checkA11y("search with a bad date")
	// The admins' synonyms page.
	admin := h.ensureAdmin()
	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", admin, "password", goodPassword)
	p.waitJS(`document.querySelector('form[action="/signout"]') !== null`, "signed in")
	p.do(chromedp.Navigate(p.url + "/admin/search"))
	p.waitText("Search synonyms")
	p.submit(`form[action="/admin/search/synonyms"]`, "terms", "only-one")
	p.waitText("Enter at least two terms")
	p.checkA11y("synonyms with an error")
	p.eval(`document.getElementById("terms").value = ""`)
	p.submit(`form[action="/admin/search/synonyms"]`, "terms", "pacemaker check, device clinic")
	p.waitText("Added. Search uses the new synonyms")
	if got := p.eval(`document.querySelector(".item-title").textContent`); got != "pacemaker check, device clinic" {
		t.Errorf("the new group reads %q", got)
	}
	p.checkA11y("synonyms")
}

// The pages the review found with axe findings, checked with axe's best
// practices too: a visitor's thread page with reaction counts, the
// support page, and a member's own forums.
func TestBrowserReviewAxeFindings(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("axe-forum", func(f *forumsForm) { f.Name = "Axe forum" })
	th := h.thread(h.ensureAdmin(), f, "Good days and bad days", "Today was a good day.", false)
	reader := h.member("axe_reader")
	tok := reader.token("write")
	if r := h.api(http.MethodPut, "/api/v1/posts/"+itoa(h.firstPost(th.ID).ID)+"/reactions/support", tok, nil); r.Status != http.StatusOK {
		t.Fatalf("react: %d %s", r.Status, r.Raw)
	}
	p := newPage(t, h)
	p.visit("/t/"+itoa(th.ID), "Good days and bad days")
	p.checkA11yAll("thread (visitor, with reactions)")
	p.visit("/support", "You are not alone")
	p.checkA11yAll("support page")

	p.signIn("axe_reader")
	if r := h.api(http.MethodPut, "/api/v1/forums/axe-forum/membership", tok, nil); r.Status != http.StatusOK && r.Status != http.StatusNoContent {
		t.Fatalf("join: %d %s", r.Status, r.Raw)
	}
	p.do(chromedp.Navigate(p.url + "/my/forums"))
	p.waitText("My forums")
	p.checkA11yAll("my forums")
}

// The admin home and the people page work on a 360 px phone, accessibly.
func TestBrowserAdminPagesOnAPhone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.member("phone_member")
	admin := h.ensureAdmin()
	p := newPage(t, h)
	p.signIn(admin)
	p.visit("/admin", "Administration")
	p.checkA11y("admin home")
	p.visit("/admin/users", "People and roles")
	p.checkA11y("people and roles")
}

// A new member's journey on a 360 px phone, accessibly at every step:
// told that first posts are reviewed (14.11), an anonymous thread that
// waits for approval, a reply in it that is anonymous by default and
// lands on the post in its page (14.15, 14.16), and a hidden post whose
// notice leads to the appeal (14.10).
func TestBrowserNewMemberJourney(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": ""}})
	h.forum("first-steps", func(f *forumsForm) { f.Name = "First steps"; f.Sensitive = true })
	h.account("journey_mod", models.RoleModerator)
	p := newPage(t, h)
	p.do(chromedp.Navigate(p.url + "/signup"))
	p.submit(`form[action="/signup"]`, "handle", "new_journey", "email", "new_journey@example.org", "password", goodPassword)
	p.waitText("Welcome to Kindred, new_journey")

	p.do(chromedp.Navigate(p.url + "/f/first-steps/new"))
	p.waitText("Your first 2 posts are read by a moderator")
	p.checkA11y("new thread, first posts reviewed")
	p.do(chromedp.SendKeys(chromedp.ID("title"), "Newly diagnosed and scared"),
		chromedp.SendKeys(chromedp.ID("body"), "I got my diagnosis last week and I do not know anyone else with it."),
		chromedp.Click(chromedp.ID("anonymous")),
		chromedp.Click(chromedp.CSS(`form[action="/f/first-steps/threads"] button[value="post"]`)))
	p.waitText("waiting for a moderator's approval")
	p.checkA11y("own thread awaiting review")
	var th models.Thread
	h.app.DB.Gorm.Where("title = ?", "Newly diagnosed and scared").First(&th)
	if err := h.app.Moderation.Act(context.Background(), h.actor(h.user("journey_mod")), models.TargetThread, th.ID, "restore", "", false); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Navigate(p.url + "/t/" + itoa(th.ID)))
	p.waitText("You started this thread anonymously, so it is ticked for you")
	if checked := p.eval(`String(document.getElementById("anonymous").checked)`); checked != "true" {
		t.Fatal("the reply form in the member's own anonymous thread is not anonymous")
	}
	p.checkA11y("reply form in own anonymous thread")
	p.do(chromedp.SendKeys(chromedp.ID("body"), "Thank you for reading. Today was a little better."),
		chromedp.Click(chromedp.CSS(`form[action$="/replies"] button[value="post"]`)))
	p.waitJS(`location.hash.startsWith("#post-")`, "landed on the reply")
	p.waitText("Today was a little better.")
	if p.eval(`String(document.querySelectorAll("li.post").length > 1)`) != "true" {
		t.Error("the reply lands on a page that shows it alone")
	}
	p.checkA11y("thread after replying")

	var reply models.Post
	h.app.DB.Gorm.Where("thread_id = ? AND body LIKE ?", th.ID, "Thank you for reading%").First(&reply)
	if err := h.app.Moderation.Act(context.Background(), h.actor(h.user("journey_mod")), models.TargetPost, reply.ID, "restore", "", false); err != nil {
		t.Fatal(err) // the second first post waits too
	}
	if err := h.app.Moderation.Act(context.Background(), h.actor(h.user("journey_mod")), models.TargetPost, reply.ID, "hide", "Please keep personal details out of posts.", false); err != nil {
		t.Fatal(err)
	}
	p.do(chromedp.Navigate(p.url + "/notifications"))
	p.waitText("A moderator hid your post")
	p.checkA11y("notice of the hide")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/my/moderation"]`)))
	p.waitText("Please keep personal details out of posts.")
	p.waitText("Send appeal")
	p.checkA11y("decisions about me, with the appeal")
}

// Where JavaScript runs, a member who never chose a time zone gets their
// browser's, once.
func TestBrowserTimeZoneFromTheBrowser(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	p := newPage(t, h)
	p.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/Halifax"})
		return err
	}))
	p.do(chromedp.Navigate(p.url + "/signup"))
	p.submit(`form[action="/signup"]`, "handle", "zone_browser", "email", "zone_browser@example.org", "password", goodPassword)
	p.waitText("Welcome to Kindred, zone_browser")
	deadline := time.Now().Add(10 * time.Second)
	for h.user("zone_browser").TimeZone == "" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := h.user("zone_browser").TimeZone; got != "America/Halifax" {
		t.Fatalf("time zone %q, want the browser's America/Halifax", got)
	}
	p.do(chromedp.Navigate(p.url + "/account"))
	p.waitText("Time zone")
	p.checkA11y("account settings with the time zone")
}
