package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/models"
)

// TestBrowserUrgentQuestionReachesAGeneralist: an urgent question in a
// condition no specialist covers waits in the open pool, the admins are
// alerted when nobody takes it within the hour (and see counts, never its
// text), then a clinician who opts in to general questions takes it from
// the pool and answers, and a second clinician who tries to take it a
// moment later is told it is not available to them.
func TestBrowserUrgentQuestionReachesAGeneralist(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	h.licensing()
	h.forum("skin-conditions", func(f *forumsForm) {
		f.Name = "Skin conditions"
		f.Specialties = []string{"dermatology"}
	})
	// No dermatologist. Neither clinician takes questions when the member
	// asks, so nobody at any level of the fallback chain can take it.
	h.clinician("dr_gen", "family-medicine")
	h.clinician("dr_heart", "cardiology")
	for _, handle := range []string{"dr_gen", "dr_heart"} {
		if err := h.app.Clinicians.SaveSettings(ctx, h.actor(h.user(handle)), clinicians.SettingsForm{AcceptingQuestions: false, MaxOpenQuestions: 5}); err != nil {
			t.Fatal(err)
		}
	}
	h.account("rosa", models.RoleMember)
	admin := h.ensureAdmin()
	const (
		title    = "Rash from a new cream, and chest pain"
		body     = "I have chest pain since this morning after a new cream. The rash on my arms burns and itches."
		bodyBit  = "rash on my arms burns"
		answer   = "Chest pain needs a doctor today whatever the cause: please call your GP or an urgent care line now. Stop the cream, and photograph the rash."
		answered = "please call your GP or an urgent care line now"
	)
	p := newPage(t, h)
	signIn := func(p *page, handle string) {
		t.Helper()
		p.do(chromedp.Navigate(p.url + "/signin"))
		p.submit(`form[action="/signin"]`, "login", handle, "password", goodPassword)
		p.waitText("My forums")
	}
	signOut := func(p *page) {
		t.Helper()
		p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
		p.waitText("You are signed out.")
	}
	text := func(p *page, css string) string {
		t.Helper()
		return p.eval(`(() => { const e = document.querySelector(` + jsString(css) + `); return e ? e.innerText.trim() : "<no " + ` + jsString(css) + ` + ">"; })()`)
	}
	// nowhere checks that neither the title nor the text is on the page,
	// in its markup as well as its words.
	nowhere := func(p *page, where string) {
		t.Helper()
		html := p.eval(`document.documentElement.outerHTML`)
		for _, s := range []string{title, bodyBit} {
			if strings.Contains(html, s) {
				t.Errorf("%s shows the question's words %q", where, s)
			}
		}
	}

	// 1. The member asks through the form; urgent words bring the emergency
	// guidance first.
	signIn(p, "rosa")
	p.do(chromedp.Navigate(p.url + "/questions/new"))
	p.waitText("Ask a clinician privately")
	p.checkA11y("ask form (no clinician taking questions)")
	// Nobody taking questions covers a specialty, so none is offered.
	if got := p.eval(`Array.from(document.querySelectorAll("#specialty option")).map(o => o.value).join(",")`); got != "" {
		t.Errorf("the specialty list offers %q while no clinician takes questions", got)
	}
	p.do(chromedp.SetValue(chromedp.ID("forum"), "skin-conditions"))
	p.submit(`form[action="/questions"]`, "title", title, "body", body)
	p.waitText("Is this an emergency?")
	p.waitText("Your question mentions “chest pain”.")
	p.checkA11y("ask form with emergency guidance")
	if got := p.eval(`document.getElementById("title").value + "|" + document.getElementById("forum").value`); got != title+"|skin-conditions" {
		t.Fatalf("the form did not keep the question: %q", got)
	}
	if got := p.eval(`document.getElementById("body").value`); got != body {
		t.Fatalf("the form did not keep the text: %q", got)
	}
	p.do(chromedp.Click(chromedp.ID("not_emergency")))
	p.submit(`form[action="/questions"]`)
	p.waitText("Your question is sent")
	questionPath := p.eval(`location.pathname`)
	if !strings.HasPrefix(questionPath, "/questions/") || questionPath == "/questions/new" {
		t.Fatalf("sending led to %s, not the question", questionPath)
	}
	p.checkA11y("urgent question page (asker, nobody available)")
	if got := text(p, ".status-line"); got != "Status: Waiting for any available clinician · Urgent" {
		t.Errorf("status line %q", got)
	}
	if got := text(p, ".status-line .tag"); got != "Urgent" {
		t.Errorf("the urgent tag reads %q", got)
	}
	if got, want := text(p, ".status-text"), "No clinician is taking questions in this area right now. Your question stays open to the first one who can, "+
		"and our team is told if it waits more than an hour."; got != want {
		t.Errorf("status text %q, want %q", got, want)
	}
	signOut(p)

	// 2. An hour passes without a clinician: the sweep alerts the admin.
	h.clock.Advance(61 * time.Minute)
	res, err := h.app.Questions.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Alerted != 1 {
		t.Fatalf("the sweep alerted about %d questions, want 1 (%+v)", res.Alerted, res)
	}
	// The asker's page must not promise an alert that already happened.
	signIn(p, "rosa")
	p.do(chromedp.Navigate(p.url + questionPath))
	p.waitText(title)
	if got := text(p, ".status-text"); !strings.Contains(got, "our team has been alerted") {
		t.Errorf("after the admins were alerted, the asker reads %q", got)
	}
	signOut(p)

	signIn(p, admin)
	p.waitJS(`document.querySelector(".badge") !== null`, "the bell shows the alert")
	p.do(chromedp.Navigate(p.url + "/notifications"))
	p.waitText("A private question has waited too long for a clinician: see the overview")
	p.checkA11y("notifications (admin alerted)")
	nowhere(p, "the admin's notifications")
	p.do(chromedp.Click(chromedp.CSS(`form:has(input[name="to"][value="oversight"]) .notification-link`)))
	p.waitText("Private questions: overview")
	if got := p.eval(`location.pathname`); got != "/admin/questions" {
		t.Fatalf("the alert led to %s", got)
	}
	p.checkA11y("private questions overview")
	var stats map[string]string
	if err := json.Unmarshal([]byte(p.eval(`JSON.stringify(Object.fromEntries(Array.from(document.querySelectorAll("dl.stats > div"))
		.map(d => [d.querySelector("dt").innerText.trim(), d.querySelector("dd").innerText.trim()])))`)), &stats); err != nil {
		t.Fatal(err)
	}
	for label, want := range map[string]string{"Waiting for a clinician": "1", "Offered to one clinician": "0", "In the open pool": "1",
		"Urgent and waiting": "1", "Overdue": "1", "Oldest wait": "1 h 1 min", "Clinicians taking questions": "0"} {
		if stats[label] != want {
			t.Errorf("overview: %q is %q, want %q", label, stats[label], want)
		}
	}
	if got := p.eval(`Array.from(document.querySelectorAll('section[aria-labelledby="by-forum"] tbody tr'))
		.map(r => Array.from(r.children).map(c => c.innerText.trim()).join("|")).join("\n")`); got != "Skin conditions|1|0|1|1|0|0" {
		t.Errorf("overview by condition:\n%s", got)
	}
	nowhere(p, "the overview")
	signOut(p)

	// 3. Another clinician, no generalist, starts taking questions and has
	// the pool open; the question is "outside your specialties" for them.
	if err := h.app.Clinicians.SaveSettings(ctx, h.actor(h.user("dr_heart")), clinicians.SettingsForm{AcceptingQuestions: true, MaxOpenQuestions: 5}); err != nil {
		t.Fatal(err)
	}
	other := newPage(t, h)
	signIn(other, "dr_heart")
	other.do(chromedp.Navigate(other.url + "/clinician/questions"))
	other.waitText(title)
	if got := text(other, "#pool-title + p + ul .meta"); !strings.Contains(got, "outside your specialties") {
		t.Errorf("the cardiologist's pool line reads %q", got)
	}

	// The clinician who will take it: not taking questions, their pool is
	// empty; they opt in, general questions included, with the real form.
	signIn(p, "dr_gen")
	p.do(chromedp.Navigate(p.url + "/clinician/questions"))
	p.waitText("Your settings")
	p.waitText("The pool is empty.")
	p.checkA11y("clinician dashboard (not taking questions)")
	if got := p.eval(`String(document.getElementById("accepting_questions").checked) + "," + String(document.getElementById("generalist").checked)`); got != "false,false" {
		t.Fatalf("accepting, generalist before opting in: %s", got)
	}
	p.do(chromedp.Click(chromedp.ID("accepting_questions")), chromedp.Click(chromedp.ID("generalist")))
	p.submit(`form[action="/clinician/settings"]`)
	p.waitText("Your clinician settings are saved.")
	if got := p.eval(`location.pathname`); got != "/clinician/questions" {
		t.Errorf("saving the settings led to %s", got)
	}
	if got := p.eval(`String(document.getElementById("accepting_questions").checked) + "," + String(document.getElementById("generalist").checked)`); got != "true,true" {
		t.Fatalf("accepting, generalist after opting in: %s", got)
	}
	p.waitText(title)
	p.checkA11y("clinician dashboard (urgent question in the pool)")
	item := `#pool-title + p + ul li`
	if got := text(p, item+" .item-title .tag"); got != "Urgent" {
		t.Errorf("the pool's urgent tag reads %q", got)
	}
	if got := text(p, item+" .meta"); !strings.Contains(got, "Skin conditions") || !strings.Contains(got, "a general question") {
		t.Errorf("the generalist's pool line reads %q", got)
	}
	if strings.Contains(p.eval(`document.body.innerText`), bodyBit) {
		t.Error("the pool shows the question's text before anyone takes it")
	}
	p.do(chromedp.Click(chromedp.CSS(`form[action="` + questionPath + `/claim"] button`)))
	p.waitText("The question is yours.")
	p.waitText(bodyBit)
	// An urgent question's answer is due within 4 hours, not the usual 48.
	due := h.clock.Now().Add(4 * time.Hour).UTC().Format("2 Jan 2006 15:04 UTC")
	if got, want := text(p, ".status-text"), "You hold this question: please answer by "+due+", or hand it back."; got != want {
		t.Errorf("clinician's status text %q, want %q", got, want)
	}
	p.checkA11y("urgent question page (clinician)")
	p.submit(`form[action="`+questionPath+`/messages"]`, "body", answer)
	p.waitText("Sent.")
	p.waitText(answered)
	if got := text(p, ".status-line strong"); got != "Answered" {
		t.Errorf("after answering, the status reads %q", got)
	}
	signOut(p)

	// The cardiologist's page is now stale: taking the question fails
	// plainly, and shows nothing of it.
	other.do(chromedp.Click(chromedp.CSS(`form[action="` + questionPath + `/claim"] button`)))
	other.waitText("This question is not available to you")
	other.checkA11y("question taken by someone else")
	nowhere(other, "the not-available page")
	other.do(chromedp.Navigate(other.url + "/clinician/questions"))
	other.waitText("The pool is empty.")

	// 4. The member reads the answer, from the clinician by name and standing.
	signIn(p, "rosa")
	p.waitJS(`document.querySelector(".badge") !== null`, "the bell shows news")
	p.do(chromedp.Navigate(p.url + "/questions"))
	p.waitText("Answered")
	p.do(chromedp.Click(chromedp.CSS(`.item-title a[href="` + questionPath + `"]`)))
	p.waitText(answered)
	if got := text(p, ".status-line"); got != "Status: Answered · dr_gen, verified clinician · Urgent" {
		t.Errorf("the asker's status line reads %q", got)
	}
	if got := text(p, `#messages .post-author`); got != "dr_gen (verified clinician)" {
		t.Errorf("the answer is signed %q", got)
	}
	p.checkA11y("urgent question page (answered)")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
