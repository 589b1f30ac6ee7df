package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// An admin opens the analytics pages in a real browser: the period form
// works without JavaScript, charts and tables pass axe-core, a suppressed
// cell reads "fewer than 5", and a full-page screenshot is kept in the
// test's directory.
func TestBrowserAnalytics(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	open := h.forum("ab-asthma", nil)
	night := h.forum("ab-night", func(f *forums.ForumForm) { f.Sensitive = true })
	h.account("ab_boss", models.RoleAdmin)
	for i := 1; i <= 3; i++ {
		h.account(fmt.Sprintf("ab_m%d", i), models.RoleMember)
		th := h.thread(fmt.Sprintf("ab_m%d", i), open, fmt.Sprintf("Inhaler technique %d", i), "Spacer or not?", false)
		h.reply("ab_boss", th.ID, "A spacer helps most people.", false)
		h.thread(fmt.Sprintf("ab_m%d", i), night, fmt.Sprintf("Awake again %d", i), "3 a.m. thoughts.", false)
	}
	h.clock.Advance(24 * time.Hour)
	h.rollup()

	p := newPage(t, h)
	p.signIn("ab_boss")
	p.visit("/admin/analytics", "Figures about the community")
	p.checkA11yAll("analytics index")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/admin/analytics/community"]`)))
	p.waitText("Threads started (open forums)")
	p.checkA11yAll("analytics community, 30 days")
	// The period form, as a form: choose 7 days and submit.
	p.do(chromedp.SetValue(chromedp.ID("period"), "7"), chromedp.Click(chromedp.CSS(`form.search-form button[type=submit]`)))
	p.waitJS(`location.search.includes("period=7") && document.readyState === "complete" && document.getElementById("from") !== null`, "the 7-day period")
	if from := p.eval(`document.getElementById("from").value`); from != h.app.Analytics.Yesterday().AddDate(0, 0, -6).Format(time.DateOnly) {
		t.Errorf("the 7-day period starts %s", from)
	}
	text := p.eval(`document.body.innerText`)
	if !strings.Contains(text, "fewer than 5") || !strings.Contains(text, "Threads and replies per day") {
		t.Errorf("community page misses its suppressed cell or chart:\n%s", text)
	}
	if n := p.eval(`String(document.querySelectorAll("figure svg[role=img] title").length)`); n == "0" {
		t.Error("no accessible chart")
	}
	p.checkA11yAll("analytics community, 7 days")
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(t.TempDir(), "analytics-community.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Errorf("screenshot is not a PNG (%d bytes)", len(png))
	}
	t.Logf("screenshot: %s", shot)
	p.shot("analytics community")
	// A bad period comes back with its error, accessible too.
	p.visit("/admin/analytics/moderation?from=2026-11-05&to=2026-11-01", "must not be after")
	p.checkA11yAll("analytics period error")
	for _, area := range []string{"moderation", "questions", "clinicians", "search"} {
		p.visit("/admin/analytics/"+area+"?period=7", "What the figures mean")
		p.checkA11yAll("analytics " + area)
	}
	// Switching areas by keyboard keeps the period.
	p.do(chromedp.Focus(chromedp.CSS(`nav[aria-label="Analytics areas"] a[href="/admin/analytics/community?period=7"]`)))
	p.do(chromedp.KeyEvent("\r"))
	p.waitJS(`location.pathname === "/admin/analytics/community" && location.search === "?period=7"`, "the community area, still 7 days")

	// A moderator of the sensitive forum alone: told why there are no
	// totals, and the page is still accessible.
	h.account("ab_night_mod", models.RoleMember)
	h.makeForumModerator("ab_night_mod", night)
	mp := newPage(t, h)
	mp.signIn("ab_night_mod")
	mp.visit("/admin/analytics/moderation?period=7", "Your forums are all sensitive")
	mp.checkA11yAll("analytics, sensitive forums only")
}
