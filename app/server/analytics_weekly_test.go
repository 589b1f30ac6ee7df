package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/analytics"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// untilMonday moves the clock to the next Monday at 07:00 UTC, when the
// weekly summary goes out.
func (h *harness) untilMonday() {
	h.t.Helper()
	now := h.clock.Now()
	h.clock.Advance(analytics.Mondays{}.Next(now).Sub(now))
}

func (h *harness) sendWeekly(want int) {
	h.t.Helper()
	h.rollup()
	n, err := h.app.AnalyticsWeekly.Send(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	if n != want {
		h.t.Fatalf("%d weekly summaries sent, want %d", n, want)
	}
}

// Staff who ask for it get last week's figures by e-mail on Monday, with
// the charts drawn in (SVG and its table in the HTML part, a text table in
// the plain part), scoped and suppressed as their pages are; once per
// week, never to someone who may no longer open analytics, a bounced
// address or someone who stopped it.
func TestAnalyticsWeeklySummaryEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	heart := h.forum("wk-heart", nil)
	mind := h.forum("wk-mind", func(f *forums.ForumForm) { f.Sensitive = true })
	h.account("wk_boss", models.RoleAdmin)
	h.account("wk_mod", models.RoleMember)
	h.makeForumModerator("wk_mod", mind)
	h.account("wk_ana", models.RoleMember)
	for i := 1; i <= 3; i++ {
		h.account(fmt.Sprintf("wk_m%d", i), models.RoleMember)
	}

	// Asking for it: staff only, with a CSRF token, on or off.
	boss, mod, ana := h.browser(), h.browser(), h.browser()
	boss.signIn("wk_boss", goodPassword)
	mod.signIn("wk_mod", goodPassword)
	ana.signIn("wk_ana", goodPassword)
	if r := boss.get("/admin/analytics"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "E-mail me a weekly summary") {
		t.Fatalf("analytics index: %d", r.StatusCode)
	}
	if r := boss.postRaw("/admin/analytics/weekly", url.Values{"weekly": {"on"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("without a CSRF token: %d", r.StatusCode)
	}
	if r := boss.post("/admin/analytics/weekly", url.Values{"weekly": {"sometimes"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("weekly=sometimes: %d", r.StatusCode)
	}
	for who, b := range map[string]*browser{"admin": boss, "forum moderator": mod} {
		b.get("/admin/analytics")
		if r := b.post("/admin/analytics/weekly", url.Values{"weekly": {"on"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s asks for the summary: %d", who, r.StatusCode)
		}
	}
	if r := boss.get("/admin/analytics"); !strings.Contains(r.body, "Stop the weekly summary") {
		t.Fatal("the index does not say the admin gets the summary")
	}
	ana.get("/account")
	if r := ana.post("/admin/analytics/weekly", url.Values{"weekly": {"on"}}); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a member asks for the summary: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_weekly_subscribers`); n != 2 {
		t.Fatalf("%d subscribers, want 2", n)
	}

	// The week (Monday 2 to Sunday 8 November): two threads in the open
	// forum, three in the sensitive one (fewer than 5).
	h.thread("wk_m1", heart, "Walking after my stent", "How far did you walk in the first week?", false)
	h.thread("wk_m2", heart, "Beta blockers and cold hands", "Does anyone else get cold hands?", false)
	for i := 1; i <= 3; i++ {
		h.thread(fmt.Sprintf("wk_m%d", i), mind, fmt.Sprintf("Racing thoughts at night %d", i), "It gets worse after midnight.", false)
	}
	h.untilMonday()
	h.sendWeekly(2)

	m := onlyMail(t, h.mailbox, "wk_boss@example.org", 1)[0]
	if m.Subject != "Kindred weekly summary: Mon 2 Nov to Sun 8 Nov 2026" {
		t.Errorf("subject %q", m.Subject)
	}
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, "<title", "<desc", `<table class="chart-table">`, "New members", "Forum wk-heart"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the admin's HTML part lacks %q", want)
		}
	}
	for _, want := range []string{"Threads started", "Forum wk-heart", "fewer than 5", "/admin/analytics/community?from=2026-11-02&to=2026-11-08", "█"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("the admin's text part lacks %q:\n%s", want, m.Body)
		}
	}
	whole := m.Subject + m.Body + m.HTML
	if strings.Contains(whole, "Racing thoughts") || strings.Contains(whole, "Walking after") {
		t.Error("a thread's title reached the summary")
	}
	if !strings.Contains(m.Body, "Forum wk-mind (restricted): Threads fewer than 5") || strings.Contains(m.Body, "Threads 3") {
		t.Error("the sensitive forum's count of 3 is not suppressed")
	}

	// The forum's moderator: their forum only, still suppressed.
	mm := onlyMail(t, h.mailbox, "wk_mod@example.org", 1)[0]
	if strings.Contains(mm.Body+mm.HTML, "wk-heart") {
		t.Error("the moderator's summary names another forum")
	}
	if !strings.Contains(mm.Body, "the forums you moderate") || !strings.Contains(mm.Body, "Forum wk-mind (restricted)") || !strings.Contains(mm.Body, "fewer than 5") {
		t.Errorf("the moderator's summary:\n%s", mm.Body)
	}
	// Their only forum is sensitive: no all-zero totals, and a word why.
	if !strings.Contains(mm.Body, "Your forums are all sensitive") || !strings.Contains(mm.HTML, "Your forums are all sensitive") ||
		strings.Contains(mm.Body, "Threads started (open forums): 0") || strings.Contains(mm.HTML, "this week and the week before") {
		t.Errorf("the sensitive forum's moderator gets open-forum totals:\n%s", mm.Body)
	}

	// A second run the same week sends nothing again.
	h.sendWeekly(0)

	// The moderator steps down; the admin's address bounces: next Monday
	// nobody is mailed, and the former moderator is off the list.
	h.app.DB.Gorm.Exec(`DELETE FROM forum_moderators WHERE user_id = ?`, h.user("wk_mod").ID)
	h.app.DB.Gorm.Exec(`INSERT INTO email_suppressions (address, reason, created_at) VALUES ('wk_boss@example.org', 'bounce', now())`)
	h.untilMonday()
	h.sendWeekly(0)
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_weekly_subscribers WHERE user_id = ?`, h.user("wk_mod").ID); n != 0 {
		t.Error("a former moderator stays on the list")
	}
	onlyMail(t, h.mailbox, "wk_boss@example.org", 1)

	// Stopping it (signed in again: two weeks passed).
	h.app.DB.Gorm.Exec(`DELETE FROM email_suppressions`)
	boss = h.browser()
	boss.signIn("wk_boss", goodPassword)
	boss.get("/admin/analytics")
	if r := boss.post("/admin/analytics/weekly", url.Values{"weekly": {"off"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("stop: %d", r.StatusCode)
	}
	h.untilMonday()
	h.sendWeekly(0)
}
