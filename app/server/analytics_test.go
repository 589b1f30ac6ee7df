package server_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/analytics"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/models"
)

// rollup runs what the nightly job runs, at the harness's clock.
func (h *harness) rollup() {
	h.t.Helper()
	if err := h.app.Analytics.Nightly(context.Background()); err != nil {
		h.t.Fatal(err)
	}
}

// analyticsAPI reads an area's figures.
func (h *harness) analyticsAPI(token, area, query string) apiResp {
	h.t.Helper()
	return h.api(http.MethodGet, "/api/v1/analytics/"+area+"?"+query, token, nil)
}

// cellOf is a JSON cell: its number (nil when none) and whether it was
// suppressed.
func cellOf(t *testing.T, v any) (*float64, bool) {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not a cell: %v", v)
	}
	sup, _ := m["suppressed"].(bool)
	if f, ok := m["value"].(float64); ok {
		return &f, sup
	}
	if m["value"] != nil {
		t.Fatalf("cell value %v", m["value"])
	}
	return nil, sup
}

// fig is a figure's value and previous value (-1: none; -2: suppressed).
func fig(t *testing.T, res apiResp, key string) (float64, float64) {
	t.Helper()
	list, _ := res.Body["figures"].([]any)
	for _, x := range list {
		f := x.(map[string]any)
		if f["key"] == key {
			return plain(t, f["value"]), plain(t, f["previous"])
		}
	}
	t.Fatalf("no figure %q in %s", key, res.Raw)
	return 0, 0
}

func hasFigure(res apiResp, key string) bool {
	list, _ := res.Body["figures"].([]any)
	for _, x := range list {
		if x.(map[string]any)["key"] == key {
			return true
		}
	}
	return false
}

func plain(t *testing.T, v any) float64 {
	n, sup := cellOf(t, v)
	switch {
	case sup:
		if n != nil {
			t.Fatalf("a suppressed cell carries its value %v", *n)
		}
		return -2
	case n == nil:
		return -1
	}
	return *n
}

// row is a table row's cells by its label.
func row(t *testing.T, res apiResp, table, label string) []float64 {
	t.Helper()
	for _, x := range res.Body["tables"].([]any) {
		tb := x.(map[string]any)
		if tb["key"] != table {
			continue
		}
		for _, r := range tb["rows"].([]any) {
			rr := r.(map[string]any)
			if rr["label"] == label {
				var out []float64
				for _, c := range rr["cells"].([]any) {
					out = append(out, plain(t, c))
				}
				return out
			}
		}
	}
	return nil
}

const day0 = "2026-11-02" // the test clock's first day

// Community figures from threads, replies and returns written through
// the services on the fake clock; small counts in a sensitive forum
// suppressed and kept out of totals; a forum's moderator sees their forum
// only, by page, CSV and API; members and visitors get 404.
func TestAnalyticsCommunityFiguresSuppressionAndScope(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	heart := h.forum("an-heart", nil)
	mind := h.forum("an-mind", func(f *forums.ForumForm) { f.Sensitive = true })
	grief := h.forum("an-grief", func(f *forums.ForumForm) { f.Sensitive = true })
	h.account("an_boss", models.RoleAdmin)
	for i := 1; i <= 6; i++ {
		h.account(fmt.Sprintf("an_m%d", i), models.RoleMember)
	}
	h.account("an_mod", models.RoleMember)
	h.makeForumModerator("an_mod", mind)
	var newMembers int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM users`).Scan(&newMembers)

	// Day 0: two threads in the open forum, one answered within the hour
	// by someone else; three threads in a sensitive forum (fewer than 5),
	// five in another.
	t1 := h.thread("an_m1", heart, "Stairs leave me breathless", "Since the surgery, two flights are hard.", false)
	h.thread("an_m3", heart, "Salt and blood pressure", "How strict are you with salt?", false)
	h.clock.Advance(time.Hour)
	h.reply("an_m2", t1.ID, "It got better for me after cardiac rehab.", false)
	h.reply("an_m1", t1.ID, "Thank you, I will ask about rehab.", false)
	for i := 1; i <= 3; i++ {
		h.thread(fmt.Sprintf("an_m%d", i), mind, fmt.Sprintf("Night worries %d", i), "Hard to sleep some nights.", false)
	}
	for i := 1; i <= 5; i++ {
		h.thread(fmt.Sprintf("an_m%d", i), grief, fmt.Sprintf("Missing my mother %d", i), "Some days are heavier.", false)
	}
	// Day 8: an_m4 comes back (days 7–13 after signing up).
	h.clock.Advance(8 * 24 * time.Hour)
	h.reply("an_m4", t1.ID, "Back after a week: rehab helped me too.", false)
	// Day 14: the night's rollup has run.
	h.clock.Advance(6 * 24 * time.Hour)
	h.rollup()

	admin := h.tokenFor("an_boss", "read")
	res := h.analyticsAPI(admin, "community", "from="+day0+"&to="+day0)
	if res.Status != http.StatusOK {
		t.Fatalf("community: %d %s", res.Status, res.Raw)
	}
	for _, c := range []struct {
		key  string
		want float64
	}{
		{"new_members", float64(newMembers)},
		{"threads", 2}, {"replies", 2},
		{"replied_24h", 50}, {"clinician_7d", 0},
		// Active on day 0 outside sensitive forums: an_m1, an_m2, an_m3.
		{"daily_active", 3}, {"weekly_active", 3}, {"monthly_active", 3},
		// Of the day's new members, an_m4 alone came back in days 7–13.
		{"retention_7", float64(int(1000/float64(newMembers)+0.5)) / 10},
		// Days 30–36 have not come yet: no share.
		{"retention_30", -1},
	} {
		if got, _ := fig(t, res, c.key); got != c.want {
			t.Errorf("%s = %v, want %v", c.key, got, c.want)
		}
	}
	if _, prev := fig(t, res, "threads"); prev != 0 {
		t.Errorf("previous period's threads = %v, want 0", prev)
	}
	if r := row(t, res, "forums", "Forum an-mind (restricted)"); r == nil || r[0] != -2 {
		t.Errorf("sensitive forum with 3 threads: %v, want suppressed", r)
	}
	if r := row(t, res, "forums", "Forum an-grief (restricted)"); r == nil || r[0] != 5 {
		t.Errorf("sensitive forum with 5 threads: %v, want 5", r)
	}
	// Differencing: the total leaves both sensitive forums out, so the
	// total minus the rows shown reveals nothing.
	if r := row(t, res, "forums", "All open forums"); r == nil || r[0] != 2 {
		t.Errorf("total of open forums: %v, want 2", r)
	}
	if strings.Contains(res.Raw, `"value":3,"suppressed":true`) {
		t.Error("a suppressed cell carries its value")
	}
	// The same period's daily chart counts the open forum only.
	if !strings.Contains(res.Raw, `"name":"Threads","values":[{"value":2,"suppressed":false}]`) {
		t.Errorf("threads per day: %s", res.Raw)
	}

	// The page and the CSV say the same.
	b := h.browser()
	b.signIn("an_boss", goodPassword)
	page := b.get("/admin/analytics/community?from=" + day0 + "&to=" + day0)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "fewer than 5") || !strings.Contains(page.body, "<svg") ||
		!strings.Contains(page.body, "UTC") || !strings.Contains(page.body, "Active means") {
		t.Fatalf("community page: %d", page.StatusCode)
	}
	csvRes := b.get("/admin/analytics/community/csv?from=" + day0 + "&to=" + day0)
	if csvRes.StatusCode != http.StatusOK || !strings.HasPrefix(csvRes.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", csvRes.StatusCode, csvRes.Header.Get("Content-Type"))
	}
	recs, err := readCSV(csvRes.body)
	if err != nil {
		t.Fatalf("csv does not parse: %v", err)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'analytics.csv' AND actor_id = ? AND reason = ?`, h.user("an_boss").ID, "community "+day0+" to "+day0); n != 1 {
		t.Errorf("CSV download audited %d times", n)
	}
	found := false
	for _, r := range recs {
		if len(r) > 1 && r[0] == "Forum an-mind (restricted)" {
			found = r[1] == "fewer than 5"
		}
	}
	if !found {
		t.Errorf("csv row of the sensitive forum not suppressed:\n%s", csvRes.body)
	}

	// The sensitive forum's moderator: their forum only, still suppressed,
	// no site-wide figures, no admin areas.
	mod := h.tokenFor("an_mod", "read")
	res = h.analyticsAPI(mod, "community", "from="+day0+"&to="+day0)
	if res.Status != http.StatusOK {
		t.Fatalf("moderator: %d %s", res.Status, res.Raw)
	}
	if strings.Contains(res.Raw, "an-heart") || strings.Contains(res.Raw, "an-grief") || hasFigure(res, "new_members") || hasFigure(res, "daily_active") {
		t.Errorf("a forum's moderator sees other forums or site-wide figures: %s", res.Raw)
	}
	if r := row(t, res, "forums", "Forum an-mind (restricted)"); r == nil || r[0] != -2 {
		t.Errorf("moderator of the sensitive forum: %v, want suppressed", r)
	}
	if r := h.analyticsAPI(mod, "questions", ""); r.Status != http.StatusForbidden {
		t.Errorf("moderator opens the questions area: %d", r.Status)
	}
	mb := h.browser()
	mb.signIn("an_mod", goodPassword)
	if r := mb.get("/admin/analytics/community?period=30"); r.StatusCode != http.StatusOK || strings.Contains(r.body, "an-heart") {
		t.Errorf("moderator's page: %d, shows another forum: %v", r.StatusCode, strings.Contains(r.body, "an-heart"))
	}
	if r := mb.get("/admin/analytics/moderation/csv?period=30"); r.StatusCode != http.StatusOK || strings.Contains(r.body, "an-heart") {
		t.Errorf("moderator's CSV: %d, shows another forum: %v", r.StatusCode, strings.Contains(r.body, "an-heart"))
	}
	if r := mb.get("/admin/analytics"); r.StatusCode != http.StatusOK || strings.Contains(r.body, `href="/admin/analytics/search"`) {
		t.Errorf("moderator's index: %d", r.StatusCode)
	}

	// A global moderator: every forum, community and moderation only.
	h.account("an_global", models.RoleModerator)
	gmod := h.tokenFor("an_global", "read")
	if r := h.analyticsAPI(gmod, "moderation", "from="+day0+"&to="+day0); r.Status != http.StatusOK || !strings.Contains(r.Raw, "an-heart") || !strings.Contains(r.Raw, "an-mind") {
		t.Errorf("global moderator, moderation: %d", r.Status)
	}
	if r := h.analyticsAPI(gmod, "search", ""); r.Status != http.StatusForbidden {
		t.Errorf("global moderator opens the search area: %d", r.Status)
	}

	// Members and visitors: nothing is there.
	member := h.tokenFor("an_m1", "read")
	if r := h.analyticsAPI(member, "community", ""); r.Status != http.StatusNotFound {
		t.Errorf("member, API: %d", r.Status)
	}
	if r := h.analyticsAPI("", "community", ""); r.Status != http.StatusNotFound {
		t.Errorf("visitor, API: %d", r.Status)
	}
	m1 := h.browser()
	m1.signIn("an_m1", goodPassword)
	for _, p := range []string{"/admin/analytics", "/admin/analytics/community", "/admin/analytics/community/csv"} {
		if r := m1.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("member, %s: %d", p, r.StatusCode)
		}
		if r := h.browser().get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("visitor, %s: %d", p, r.StatusCode)
		}
	}
	if r := h.analyticsAPI(admin, "nowhere", ""); r.Status != http.StatusNotFound {
		t.Errorf("unknown area: %d", r.Status)
	}

	// Bad periods: 422 naming the field, the form shown again with the
	// input kept.
	for _, q := range []string{"period=12", "from=2026-11-01", "from=2026-13-01&to=2026-11-02", "from=2026-11-10&to=2026-11-02",
		"from=2025-01-01&to=2026-11-02", "from=2026-11-02&to=" + h.clock.Now().Format(time.DateOnly), "from=1999-12-31&to=2000-01-01"} {
		r := h.analyticsAPI(admin, "community", q)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, `"fields"`) {
			t.Errorf("%s: %d %s", q, r.Status, r.Raw)
		}
	}
	if r := b.get("/admin/analytics/community?from=2026-11-10&to=2026-11-02"); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, `value="2026-11-10"`) || !strings.Contains(r.body, "must not be after") {
		t.Errorf("bad period on the page: %d", r.StatusCode)
	}
	_ = ctx
}

// Moderation, private-question and clinician figures with known times;
// percentiles over the period from every duration, suppressed below five;
// the rollup runs as River's job and twice gives the same rows.
func TestAnalyticsModerationQuestionsClinicians(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	heart := h.forum("am-heart", nil)
	h.account("am_boss", models.RoleAdmin)
	boss := h.actor(h.user("am_boss"))
	var posts []int64
	for i := 1; i <= 6; i++ {
		h.account(fmt.Sprintf("am_m%d", i), models.RoleMember)
	}
	for i := 1; i <= 5; i++ {
		th := h.thread("am_m1", heart, fmt.Sprintf("Beta blockers question %d", i), "Do they make you tired?", false)
		posts = append(posts, h.firstPost(th.ID).ID)
	}
	// Five members' reports, decided 1 to 5 hours later: p50 3 h, p90 4.6 h.
	for i, id := range posts {
		reason := models.ReportReason("spam")
		if i == 0 {
			reason = "misinformation"
		}
		if _, err := h.app.Moderation.Report(ctx, h.actor(h.user(fmt.Sprintf("am_m%d", i+2))), moderation.ReportForm{Kind: "post", ID: id, Reason: reason}); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range posts {
		h.clock.Advance(time.Hour)
		action := moderation.ActDismiss
		if i == 4 {
			action = moderation.ActHide
		}
		if _, err := h.app.Moderation.Do(ctx, boss, "post", id, moderation.Command{Action: action, Reason: "Checked by the team"}); err != nil {
			t.Fatal(err)
		}
	}
	// A watched word holds a reply; approved two hours later (one case:
	// its time is not shown).
	if err := h.app.Moderation.SaveWord(ctx, boss, "miracle cure", "require_approval"); err != nil {
		t.Fatal(err)
	}
	th := h.thread("am_m2", heart, "Supplements", "Anyone tried them?", false)
	h.reply("am_m3", th.ID, "This miracle cure worked for me.", false)
	h.clock.Advance(2 * time.Hour)
	var held int64
	h.app.DB.Gorm.Raw(`SELECT id FROM posts WHERE thread_id = ? AND visibility = 'pending'`, th.ID).Scan(&held)
	if held == 0 {
		t.Fatal("the reply was not held")
	}
	if _, err := h.app.Moderation.Do(ctx, boss, "post", held, moderation.Command{Action: moderation.ActRestore}); err != nil {
		t.Fatal(err)
	}
	// A private question: offered, accepted after an hour, answered two
	// hours later, rated helpful.
	h.licensing()
	h.clinician("am_doc", "cardiology")
	q := h.ask("am_m4", "am-heart", "Tired after my new tablets", "Is it normal to feel sleepy on bisoprolol?")
	h.clock.Advance(time.Hour)
	docActor := h.actor(h.user("am_doc"))
	if err := h.app.Questions.Accept(ctx, docActor, q.ID); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(2 * time.Hour)
	if _, err := h.app.Questions.Message(ctx, docActor, q.ID, questions.MessageForm{Body: "It sounds like exertional symptoms: please see your doctor this week."}); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Questions.Rate(ctx, h.actor(h.user("am_m4")), q.ID, "helpful"); err != nil {
		t.Fatal(err)
	}

	// The next day, River's job rolls up.
	h.clock.Advance(24 * time.Hour)
	h.startWorkers()
	if _, err := h.app.DB.River.Insert(ctx, analytics.RollupArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for countWhere(t, h, `SELECT count(*) FROM analytics_days WHERE day = ?::date`, day0) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the rollup job did not run")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for countWhere(t, h, `SELECT count(*) FROM river_job WHERE kind = 'analytics_rollup' AND state NOT IN ('completed', 'discarded', 'cancelled')`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the rollup job did not finish")
		}
		time.Sleep(100 * time.Millisecond)
	}
	snapshot := func() string {
		var s string
		h.app.DB.Gorm.Raw(`SELECT coalesce(string_agg(day || ' ' || forum_id || ' ' || metric || ' ' || key || ' ' || n, ';' ORDER BY metric, day, forum_id, key), '') FROM analytics_counts`).Scan(&s)
		var d string
		h.app.DB.Gorm.Raw(`SELECT coalesce(string_agg(day || ' ' || forum_id || ' ' || metric || ' ' || seconds::text, ';' ORDER BY metric, day, forum_id), '') FROM analytics_durations`).Scan(&d)
		return s + "|" + d
	}
	before := snapshot()
	h.rollup()
	if after := snapshot(); after != before {
		t.Errorf("a second rollup changed the rows:\n%s\n%s", before, after)
	}

	admin := h.tokenFor("am_boss", "read")
	period := "from=" + day0 + "&to=" + h.app.Analytics.Yesterday().Format(time.DateOnly)
	res := h.analyticsAPI(admin, "moderation", period)
	if res.Status != http.StatusOK {
		t.Fatalf("moderation: %d %s", res.Status, res.Raw)
	}
	for _, c := range []struct {
		key  string
		want float64
	}{
		{"reports", 5}, {"reports_dismissed", 4}, {"reports_upheld", 1},
		{"first_action_p50", 3}, {"first_action_p90", 4.6},
		{"held", 1}, {"held_approved", 1}, {"held_approval_p50", -2}, {"watched_word_hits", 1},
		{"crisis_items", 0}, {"crisis_ack_p50", -1},
	} {
		if got, _ := fig(t, res, c.key); got != c.want {
			t.Errorf("moderation %s = %v, want %v", c.key, got, c.want)
		}
	}
	if r := row(t, res, "reasons", "Spam"); r == nil || r[0] != 4 {
		t.Errorf("spam reports: %v", r)
	}
	if r := row(t, res, "reasons", "Misinformation"); r == nil || r[0] != 1 {
		t.Errorf("misinformation reports: %v", r)
	}

	res = h.analyticsAPI(admin, "questions", period)
	for _, c := range []struct {
		key  string
		want float64
	}{
		{"asked", 1}, {"routed", 1}, {"accepted_in_time", 100}, {"answered_24h", 100}, {"answered_48h", 100},
		{"pooled", 0}, {"stranded", 0}, {"rated_helpful", 1}, {"answer_time_p50", -2},
	} {
		if got, _ := fig(t, res, c.key); got != c.want {
			t.Errorf("questions %s = %v, want %v (%s)", c.key, got, c.want, res.Raw)
		}
	}
	if r := row(t, res, "clinician_load", "am_doc"); len(r) != 3 || r[0] != 1 || r[1] != 1 || r[2] != 1 {
		t.Errorf("clinician's load: %v", r)
	}
	res = h.analyticsAPI(admin, "clinicians", period)
	for _, c := range []struct {
		key  string
		want float64
	}{{"applications", 1}, {"verified", 1}, {"rejected", 0}, {"verified_now", 1}, {"expiring_soon", 0}} {
		if got, _ := fig(t, res, c.key); got != c.want {
			t.Errorf("clinicians %s = %v, want %v", c.key, got, c.want)
		}
	}
	// Erasing the clinician takes their load rows with them.
	docID := h.user("am_doc").ID
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_counts WHERE metric LIKE 'q_load_%' AND key = ?`, itoa(docID)); n != 3 {
		t.Errorf("load rows before erasure: %d", n)
	}
	if err := h.app.Privacy.EraseNow(ctx, boss, docID, "anonymise", "The clinician asked by e-mail"); err != nil {
		t.Fatal(err)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_counts WHERE metric LIKE 'q_load_%' AND key = ?`, itoa(docID)); n != 0 {
		t.Errorf("load rows after erasure: %d", n)
	}
	// The next night's run recounts those days: the offers still point at
	// the tombstone, and must not bring the load back.
	h.rollup()
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_counts WHERE metric LIKE 'q_load_%' AND key = ?`, itoa(docID)); n != 0 {
		t.Errorf("load rows after the rollup following erasure: %d", n)
	}
}

// Queries that found nothing: shown once 5 different members searched
// them (4 is not enough; one member ten times counts once; visitors count
// in the totals only); never with who; never a query holding personal
// data; member ids never stored in clear; a link opens the synonyms page
// prefilled.
func TestAnalyticsNoResultQueries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	h.forum("as-heart", nil)
	h.account("as_boss", models.RoleAdmin)
	var tokens []string
	for i := 1; i <= 5; i++ {
		h.account(fmt.Sprintf("as_m%d", i), models.RoleMember)
		tokens = append(tokens, h.tokenFor(fmt.Sprintf("as_m%d", i), "read"))
	}
	search := func(tok, q string) {
		t.Helper()
		if r := h.api(http.MethodGet, "/api/v1/search?q="+url.QueryEscape(q), tok, nil); r.Status != http.StatusOK {
			t.Fatalf("search %q: %d %s", q, r.Status, r.Raw)
		}
	}
	// "zebra fatigue": 4 members, one of them ten times, and visitors.
	for i := 0; i < 10; i++ {
		search(tokens[0], "Zebra   Fatigue")
	}
	for _, tok := range tokens[1:4] {
		search(tok, "zebra fatigue")
	}
	for i := 0; i < 3; i++ {
		search("", "zebra fatigue")
	}
	// "brain fogginess": all 5 members. A query with an e-mail address:
	// counted, never stored.
	for _, tok := range tokens {
		search(tok, "brain fogginess")
		search(tok, "write to jane.doe@example.org")
	}
	// Searches from the page count too.
	b := h.browser()
	b.signIn("as_m1", goodPassword)
	if r := b.get("/search?q=brain+fogginess"); r.StatusCode != http.StatusOK {
		t.Fatalf("search page: %d", r.StatusCode)
	}
	h.clock.Advance(24 * time.Hour)
	h.rollup()

	admin := h.tokenFor("as_boss", "read")
	res := h.analyticsAPI(admin, "search", "from="+day0+"&to="+day0)
	if res.Status != http.StatusOK {
		t.Fatalf("search area: %d %s", res.Status, res.Raw)
	}
	// 10 + 3 + 3 + 5 + 5 + 1 searches, all found nothing.
	if v, _ := fig(t, res, "searches"); v != 27 {
		t.Errorf("searches = %v, want 27", v)
	}
	if v, _ := fig(t, res, "no_result_share"); v != 100 {
		t.Errorf("no-result share = %v, want 100", v)
	}
	list, _ := res.Body["no_result_queries"].([]any)
	if len(list) != 1 {
		t.Fatalf("no-result queries: %s", res.Raw)
	}
	q := list[0].(map[string]any)
	if q["query"] != "brain fogginess" || q["members"] != float64(5) || q["searches"] != float64(6) {
		t.Errorf("listed: %v", q)
	}
	if strings.Contains(res.Raw, "zebra") || strings.Contains(res.Raw, "as_m") {
		t.Errorf("the answer names a query of 4 members or a member: %s", res.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_search_queries WHERE query LIKE '%example.org%' OR query LIKE '%jane%'`); n != 0 {
		t.Error("a query with an e-mail address was stored")
	}
	// Four members searched "zebra fatigue": four tokens, none of them a
	// member's id.
	if n := countWhere(t, h, `SELECT count(DISTINCT token) FROM analytics_search_members WHERE query = 'zebra fatigue'`); n != 4 {
		t.Errorf("zebra fatigue tokens: %d, want 4", n)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM information_schema.columns WHERE table_name LIKE 'analytics_search%' AND column_name NOT IN ('day', 'query', 'token', 'searches', 'no_result')`); n != 0 {
		t.Errorf("the search tables have %d other columns", n)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_search_members WHERE length(token) <> 16`); n != 0 {
		t.Errorf("%d tokens are not 16-byte hashes", n)
	}
	// The page links the query to the synonyms page, which opens prefilled.
	ab := h.browser()
	ab.signIn("as_boss", goodPassword)
	page := ab.get("/admin/analytics/search?from=" + day0 + "&to=" + day0)
	m := synonymLink.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no synonym link on the page")
	}
	link := html.UnescapeString(m[1])
	if r := ab.get(link); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `value="brain fogginess, "`) {
		t.Errorf("synonyms page not prefilled: %d", r.StatusCode)
	}
	// The CSV keeps a spreadsheet from running a query as a formula.
	for _, tok := range tokens {
		search(tok, "=HYPERLINK(\"http://x\")")
	}
	h.clock.Advance(24 * time.Hour)
	h.rollup()
	ab = h.browser() // a staff session a day idle has ended
	ab.signIn("as_boss", goodPassword)
	csvRes := ab.get("/admin/analytics/search/csv?from=" + day0 + "&to=" + h.app.Analytics.Yesterday().Format(time.DateOnly))
	recs, err := readCSV(csvRes.body)
	if err != nil {
		t.Fatal(err)
	}
	escaped := false
	for _, r := range recs {
		if strings.Contains(r[0], "hyperlink") {
			if r[0][0] != '\'' {
				t.Errorf("formula not escaped: %q", r[0])
			}
			escaped = true
		}
	}
	if !escaped {
		t.Errorf("the formula query is missing from the CSV:\n%s", csvRes.body)
	}
	// Erasing a member removes their tokens, and a query only they
	// searched.
	search(tokens[0], "quiet question only mine")
	before := countWhere(t, h, `SELECT count(*) FROM analytics_search_members`)
	if err := h.app.Privacy.EraseNow(context.Background(), h.actor(h.user("as_boss")), h.user("as_m1").ID, "anonymise", "The member asked by e-mail"); err != nil {
		t.Fatal(err)
	}
	if after := countWhere(t, h, `SELECT count(*) FROM analytics_search_members`); after != before-4 {
		t.Errorf("tokens %d → %d after erasing a member who searched 4 no-result queries", before, after)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_search_queries WHERE query = 'quiet question only mine'`); n != 0 {
		t.Error("the erased member's own query is still stored")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM analytics_search_queries WHERE query = 'brain fogginess'`); n != 1 {
		t.Error("a query others searched too was erased")
	}
}

var synonymLink = regexp.MustCompile(`href="(/admin/search\?terms=[^"]*)"`)

// readCSV reads a CSV whose sections have different widths.
func readCSV(s string) ([][]string, error) {
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	return r.ReadAll()
}

func TestAnalyticsCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"=1+2": "'=1+2", "+1": "'+1", "-cmd": "'-cmd", "@sum": "'@sum", "-3": "-3", "12.5": "12.5", "plain": "plain", "": "", "\tx": "'\tx"} {
		if got := analytics.CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// csvLink is the page's "Download as CSV" address, as a browser reads it.
var csvLink = regexp.MustCompile(`<a href="([^"]*)">Download as CSV`)

// The period on screen is the period everywhere: the CSV link downloads
// it (preset or typed dates, checked by the file's own first line and
// its name), the area links and the admin menu keep it, the index passes
// it on. The file opens in Excel: a byte-order mark, CRLF line ends, and
// a cell that would be a formula is still defused.
func TestAnalyticsPeriodKeptByLinksAndCSV(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("ap-heart", func(f *forums.ForumForm) { f.Name = "=HYPERLINK(\"https://example.org\") – heart" })
	h.account("ap_boss", models.RoleAdmin)
	h.clock.Advance(40 * 24 * time.Hour)
	h.rollup()
	y := h.app.Analytics.Yesterday()
	b := h.browser()
	b.signIn("ap_boss", goodPassword)

	follow := func(page string) (string, *http.Response, string) {
		t.Helper()
		r := b.get(page)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", page, r.StatusCode)
		}
		m := csvLink.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("%s: no CSV link", page)
		}
		href := html.UnescapeString(m[1])
		c := b.get(href)
		if c.StatusCode != http.StatusOK {
			t.Fatalf("%s → %s: %d", page, href, c.StatusCode)
		}
		return href, c.Response, c.body
	}
	for _, c := range []struct{ page, from, to string }{
		{"/admin/analytics/community?period=7", y.AddDate(0, 0, -6).Format(time.DateOnly), y.Format(time.DateOnly)},
		{"/admin/analytics/moderation?period=90", y.AddDate(0, 0, -89).Format(time.DateOnly), y.Format(time.DateOnly)},
		{"/admin/analytics/community?period=custom&from=" + day0 + "&to=2026-11-05", day0, "2026-11-05"},
		{"/admin/analytics/community?from=2026-11-03&to=2026-11-04", "2026-11-03", "2026-11-04"},
	} {
		href, res, body := follow(c.page)
		if !strings.HasPrefix(body, "\uFEFF") {
			t.Errorf("%s: the CSV has no byte-order mark", href)
		}
		if strings.Count(body, "\n") < 3 || strings.Count(body, "\n") != strings.Count(body, "\r\n") {
			t.Errorf("%s: lines do not all end in CRLF", href)
		}
		recs, err := readCSV(strings.TrimPrefix(body, "\uFEFF"))
		if err != nil || len(recs) == 0 || len(recs[0]) < 4 {
			t.Fatalf("%s: %v", href, err)
		}
		if recs[0][2] != "from "+c.from || recs[0][3] != "to "+c.to {
			t.Errorf("%s (from %s): the CSV covers %s %s, want %s to %s", href, c.page, recs[0][2], recs[0][3], c.from, c.to)
		}
		area := strings.Split(strings.TrimPrefix(c.page, "/admin/analytics/"), "?")[0]
		if want := `filename="kindred-` + area + `-` + c.from + `-` + c.to + `.csv"`; !strings.Contains(res.Header.Get("Content-Disposition"), want) {
			t.Errorf("%s: %s, want %s", href, res.Header.Get("Content-Disposition"), want)
		}
		if area == "community" {
			found := false
			for _, r := range recs {
				if len(r) > 1 && strings.Contains(r[0], "HYPERLINK") {
					found = strings.HasPrefix(r[0], "'=") && strings.HasSuffix(r[0], "– heart")
				}
			}
			if !found {
				t.Errorf("%s: the forum named like a formula is not defused (or its dash is lost):\n%s", href, body)
			}
		}
	}

	// Switching areas keeps the period; so do the admin menu and the
	// index.
	page := b.get("/admin/analytics/community?period=7").body
	for _, want := range []string{`href="/admin/analytics/moderation?period=7"`, `href="/admin/analytics/search?period=7"`} {
		if !strings.Contains(page, want) {
			t.Errorf("community page misses %s", want)
		}
	}
	if n := strings.Count(page, `href="/admin/analytics?period=7"`); n < 2 {
		t.Errorf("the index is linked with the period %d times (area bar and admin menu), want 2", n)
	}
	page = b.get("/admin/analytics/moderation?period=custom&from=2026-11-03&to=2026-11-04").body
	if !strings.Contains(page, `href="/admin/analytics/community?from=2026-11-03&amp;period=custom&amp;to=2026-11-04"`) {
		t.Error("the custom period is dropped when switching areas")
	}
	index := b.get("/admin/analytics?period=90").body
	if !strings.Contains(index, `href="/admin/analytics/clinicians?period=90"`) {
		t.Error("the index drops the period")
	}
	if index := b.get("/admin/analytics?period=12"); index.StatusCode != http.StatusOK || !strings.Contains(index.body, `href="/admin/analytics/community"`) {
		t.Errorf("the index with a bad period: %d", index.StatusCode)
	}
	// The date fields' hint does not contradict the browser's own date
	// picker.
	if strings.Contains(page, "YYYY-MM-DD") {
		t.Error("the page asks for YYYY-MM-DD next to date inputs")
	}
	// Refusals say what is wrong, on the page and in JSON.
	token := h.tokenFor("ap_boss", "read")
	for q, want := range map[string]string{
		"from=1900-01-01&to=" + y.Format(time.DateOnly): "too far back",
		"from=2025-01-01&to=" + y.Format(time.DateOnly): "at most 366 days",
		"from=2026-02-30&to=2026-11-04":                 "not a day of the calendar",
		"from=04/11/2026&to=2026-11-04":                 "year-month-day",
	} {
		r := h.analyticsAPI(token, "community", q)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Raw, want) {
			t.Errorf("%s: %d %s, want %q", q, r.Status, r.Raw, want)
		}
		p := b.get("/admin/analytics/community?" + q)
		if p.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(p.body, want) {
			t.Errorf("page %s: %d, want %q", q, p.StatusCode, want)
		}
	}
}

// JSON lists are never null: an area with nothing in it has [] for its
// rows, figures, charts and notes.
func TestAnalyticsEmptyListsAreEmpty(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("ae_boss", models.RoleAdmin)
	h.clock.Advance(24 * time.Hour)
	h.rollup()
	token := h.tokenFor("ae_boss", "read")
	nulls := regexp.MustCompile(`"([a-z_]+)":null`)
	for _, area := range []string{"community", "moderation", "questions", "clinicians", "search"} {
		res := h.analyticsAPI(token, area, "period=7")
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", area, res.Status, res.Raw)
		}
		for _, m := range nulls.FindAllStringSubmatch(res.Raw, -1) {
			if m[1] != "value" {
				t.Errorf("%s: %q is null", area, m[1])
			}
		}
		for _, key := range []string{"figures", "tables", "charts", "notes", "no_result_queries"} {
			if _, ok := res.Body[key].([]any); !ok {
				t.Errorf("%s: %s is %v, want a list", area, key, res.Body[key])
			}
		}
	}
	if res := h.analyticsAPI(token, "moderation", "period=7"); !strings.Contains(res.Raw, `"rows":[]`) {
		t.Errorf("an empty table: %s", res.Raw)
	}
}

// A young site's 365 days: the days before its first account are not
// "not rolled up"; a day after it that was never rolled up is.
func TestAnalyticsDaysNotRolledUpOnAYoungSite(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("ay_boss", models.RoleAdmin)
	h.clock.Advance(60 * 24 * time.Hour)
	h.rollup()
	token := h.tokenFor("ay_boss", "read")
	res := h.analyticsAPI(token, "community", "period=365")
	if n, ok := res.Body["days_not_rolled_up"].(float64); !ok || n != 0 {
		t.Errorf("a young site rolled up every night: %v day(s) not rolled up", res.Body["days_not_rolled_up"])
	}
	b := h.browser()
	b.signIn("ay_boss", goodPassword)
	if p := b.get("/admin/analytics/community?period=365"); strings.Contains(p.body, "not been rolled up") {
		t.Error("the page says days before the site existed were not rolled up")
	}
	// A night the server was down, after the site began.
	h.app.DB.Gorm.Exec(`DELETE FROM analytics_days WHERE day = ?::date`, "2026-11-20")
	res = h.analyticsAPI(token, "community", "period=365")
	if n, _ := res.Body["days_not_rolled_up"].(float64); n != 1 {
		t.Errorf("one missing night: %v", res.Body["days_not_rolled_up"])
	}
	if p := b.get("/admin/analytics/community?period=365"); !strings.Contains(p.body, "1 day(s) of this period have not been rolled up") {
		t.Error("the page does not tell of the missing night")
	}
}

// Totals that leave restricted forums out say "(open forums)"; the
// moderation table shows each forum's crisis handling (items,
// acknowledged, time to acknowledge), sensitive forums included; a
// moderator of sensitive forums only is told why there are no totals and
// gets no all-zero figures or charts, on the page and in JSON.
func TestAnalyticsOpenForumLabelsAndCrisisPerForum(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	open := h.forum("ao-heart", nil)
	mind := h.forum("ao-mind", func(f *forums.ForumForm) { f.Sensitive = true })
	h.app.DB.Gorm.Exec(`DELETE FROM watched_words`) // only the crisis engine
	h.account("ao_boss", models.RoleAdmin)
	h.account("ao_mod", models.RoleMember)
	h.makeForumModerator("ao_mod", mind)
	boss := h.actor(h.user("ao_boss"))
	var threads []int64
	for i := 1; i <= 6; i++ {
		h.account(fmt.Sprintf("ao_m%d", i), models.RoleMember)
		f := mind
		if i == 6 {
			f = open
		}
		threads = append(threads, h.thread(fmt.Sprintf("ao_m%d", i), f, fmt.Sprintf("Tonight %d", i), highText, false).ID)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM crisis_followups`); n != 6 {
		t.Fatalf("%d crisis items, want 6", n)
	}
	// Each acknowledged an hour after it was posted.
	h.clock.Advance(time.Hour)
	for _, id := range threads {
		if err := h.app.Moderation.CrisisStep(ctx, boss, "thread", id, moderation.ActAcknowledge, ""); err != nil {
			t.Fatal(err)
		}
	}
	h.clock.Advance(24 * time.Hour)
	h.rollup()

	admin := h.tokenFor("ao_boss", "read")
	res := h.analyticsAPI(admin, "moderation", "from="+day0+"&to="+day0)
	if res.Status != http.StatusOK {
		t.Fatalf("moderation: %d %s", res.Status, res.Raw)
	}
	if got, _ := fig(t, res, "crisis_items"); got != 1 {
		t.Errorf("crisis items (open forums) = %v, want 1", got)
	}
	for _, x := range res.Body["figures"].([]any) {
		f := x.(map[string]any)
		if key := f["key"].(string); !strings.Contains(f["label"].(string), "(open forums)") {
			t.Errorf("figure %s is a total without restricted forums but reads %q", key, f["label"])
		}
	}
	// The headline time to acknowledge leaves the sensitive forum's five
	// cases out: one open case is too few to show.
	if got, _ := fig(t, res, "crisis_ack_p50"); got != -2 {
		t.Errorf("crisis time to acknowledge (open forums) = %v, want hidden (one case)", got)
	}
	if r := row(t, res, "forums", "Forum ao-mind (restricted)"); len(r) < 6 || r[3] != 5 || r[4] != 5 || r[5] != 1 {
		t.Errorf("sensitive forum's crisis items, acknowledged, p50 hours: %v, want 5, 5, 1", r)
	}
	if r := row(t, res, "forums", "Forum ao-heart"); len(r) < 6 || r[3] != 1 || r[4] != 1 || r[5] != -2 {
		t.Errorf("open forum's crisis items, acknowledged, p50 (one case: hidden): %v", r)
	}
	if res.Body["only_restricted_forums"] != false {
		t.Errorf("admin: only_restricted_forums = %v", res.Body["only_restricted_forums"])
	}
	b := h.browser()
	b.signIn("ao_boss", goodPassword)
	if p := b.get("/admin/analytics/moderation?from=" + day0 + "&to=" + day0); !strings.Contains(p.body, "Crisis items (open forums)") ||
		!strings.Contains(p.body, "Time to acknowledge (p50)") || !strings.Contains(p.body, "1.0 h") {
		t.Error("the moderation page misses its open-forum label or the per-forum crisis columns")
	}

	// The moderator of the sensitive forum only.
	mod := h.tokenFor("ao_mod", "read")
	for _, area := range []string{"moderation", "community"} {
		res := h.analyticsAPI(mod, area, "from="+day0+"&to="+day0)
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d", area, res.Status)
		}
		if figs, ok := res.Body["figures"].([]any); !ok || len(figs) != 0 {
			t.Errorf("%s: figures %v, want []", area, res.Body["figures"])
		}
		if res.Body["only_restricted_forums"] != true || !strings.Contains(res.Raw, "all sensitive or clinician-only") {
			t.Errorf("%s: the JSON does not say the forums are all restricted", area)
		}
		for _, c := range res.Body["charts"].([]any) {
			if k := c.(map[string]any)["kind"]; k == "line" {
				t.Errorf("%s: an open-forum daily chart: %v", area, c.(map[string]any)["key"])
			}
		}
		if strings.Contains(res.Raw, "All open forums") {
			t.Errorf("%s: an all-zero open-forum total", area)
		}
	}
	if r := row(t, h.analyticsAPI(mod, "moderation", "from="+day0+"&to="+day0), "forums", "Forum ao-mind (restricted)"); len(r) < 6 || r[3] != 5 {
		t.Errorf("moderator's per-forum crisis items: %v", r)
	}
	mb := h.browser()
	mb.signIn("ao_mod", goodPassword)
	p := mb.get("/admin/analytics/moderation?from=" + day0 + "&to=" + day0)
	if p.StatusCode != http.StatusOK || !strings.Contains(p.body, "Your forums are all sensitive or clinician-only") ||
		strings.Contains(p.body, "<h2>Summary</h2>") || strings.Contains(p.body, "per day (open forums)") || !strings.Contains(p.body, "Crisis items acknowledged") {
		t.Errorf("moderator's page: %d", p.StatusCode)
	}
}
