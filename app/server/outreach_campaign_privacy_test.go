package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// saveCampaign posts the campaign form and returns the new campaign's id.
func (h *harness) saveCampaign(admin *browser, name string, threads ...string) int64 {
	h.t.Helper()
	now := h.clock.Now().UTC()
	admin.get("/admin/campaigns/new")
	r := admin.post("/admin/campaigns", url.Values{"name": {name},
		"starts_at": {now.Add(-48 * time.Hour).Format("2006-01-02T15:04")}, "ends_at": {now.Add(5 * 24 * time.Hour).Format("2006-01-02T15:04")},
		"threads": {strings.Join(threads, "\n")}})
	if r.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("campaign %q: %d\n%s", name, r.StatusCode, r.body)
	}
	var id int64
	h.app.DB.Gorm.Raw(`SELECT id FROM campaigns WHERE name = ?`, name).Scan(&id)
	return id
}

// campaignStats is the campaign's JSON stats, decoded.
func campaignStats(t *testing.T, h *harness, admin *browser, id int64) (map[string]any, string) {
	t.Helper()
	res := h.api(http.MethodGet, fmt.Sprintf("/api/v1/admin/campaigns/%d/stats", id), admin.token("read"), nil)
	if res.Status != http.StatusOK {
		t.Fatalf("API stats: %d %s", res.Status, res.Raw)
	}
	return res.Body, res.Raw
}

// jsonOf is a decoded value written back as JSON, to compare it whole.
func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// smallTip is a chart's hover text (data-tip or SVG <title>) giving a
// campaign figure of 1 to 4 for a day.
var smallTip = regexp.MustCompile(`(Members reached \(first time\)|Cards hidden|Link clicks|Replies in its threads), [0-9]{4}-[0-9]{2}-[0-9]{2}: [1-4](["<])`)

const hiddenCell = `{"suppressed":true,"value":null}`

// QA's case: a campaign with a thread in the sensitive forum
// mental-health and a card for its members; one member saw the card, hid
// it and replied. No page, chart, CSV or JSON may say 1 of that forum:
// each reads "fewer than 5". Then, with more replies, the totals and
// per-thread counts cannot be subtracted from one another.
func TestCampaignRestrictedForumHidesSmallCounts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.account("mh_member", models.RoleMember)
	admin := h.signedIn("boss")
	mh := h.forum("mental-health", func(f *forums.ForumForm) { f.Sensitive = true })
	open := h.forum("walks", nil)
	th := h.thread(h.ensureAdmin(), mh, "Getting through the winter evenings", "What helps you?", false)
	walk := h.thread(h.ensureAdmin(), open, "Walking groups this winter", "Who walks on Sundays?", false)
	campaign := h.saveCampaign(admin, "Winter wellbeing", h.srv.URL+"/t/"+itoa(th.ID), "/t/"+itoa(walk.ID))
	v := h.annForm("Winter evenings together", "site", "forum_members", "mental-health", "card")
	v.Set("campaign_id", itoa(campaign))
	card := h.announce(admin, v)

	member := h.signedIn("mh_member")
	member.post("/f/mental-health/join", url.Values{})
	if r := member.get("/"); !strings.Contains(r.body, "Winter evenings together") {
		t.Fatalf("the member does not see the forum's card")
	}
	member.post(fmt.Sprintf("/announcements/%d/dismiss", card), url.Values{"next": {"/"}})
	h.reply("mh_member", th.ID, "A warm bath and an early night.", false)
	// What is stored is exact: only what is shown is hidden.
	if n := countWhere(t, h, `SELECT count(*) FROM campaign_reach WHERE campaign_id = ?`, campaign); n != 1 {
		t.Fatalf("reach stored %d, want 1", n)
	}
	today := h.clock.Now().UTC().Format("2006-01-02")

	// JSON: the member, the dismissal and the reply are hidden, per day,
	// per thread and in total; visitors' views and clicks stay numbers.
	body, raw := campaignStats(t, h, admin, campaign)
	totals, _ := body["totals"].(map[string]any)
	if body["restricted"] != true {
		t.Errorf("stats not marked restricted: %s", raw)
	}
	for _, k := range []string{"reach", "dismissals", "replies"} {
		if got := jsonOf(totals[k]); got != hiddenCell {
			t.Errorf("total %s: %s, want %s", k, got, hiddenCell)
		}
		days, _ := body[k].([]any)
		if len(days) != 3 || jsonOf(days[2]) != hiddenCell || jsonOf(days[0]) != "0" || jsonOf(days[1]) != "0" {
			t.Errorf("%s per day: %s", k, jsonOf(days))
		}
	}
	if jsonOf(totals["visitor_views"]) != "0" || jsonOf(totals["clicks"]) != "0" {
		t.Errorf("visitor views and clicks: %s", raw)
	}
	threads, _ := body["threads"].([]any)
	if len(threads) != 2 {
		t.Fatalf("threads: %s", raw)
	}
	first, _ := threads[0].(map[string]any)
	second, _ := threads[1].(map[string]any)
	if jsonOf(first["replies"]) != hiddenCell || first["restricted"] != true || jsonOf(second["replies"]) != "0" || second["restricted"] != false {
		t.Errorf("thread replies: %s", jsonOf(threads))
	}
	raw = regexp.MustCompile(`"id":[0-9]+`).ReplaceAllString(raw, `"id":_`)
	if strings.Contains(raw, `:1,`) || strings.Contains(raw, `:1}`) || strings.Contains(raw, `[1,`) || strings.Contains(raw, `,1]`) || strings.Contains(raw, `,1,`) {
		t.Errorf("the JSON has a 1: %s", raw)
	}

	// The page: figures, chart (no point, no hover text with the count)
	// and its table, threads' table.
	page := admin.get(fmt.Sprintf("/admin/campaigns/%d", campaign))
	if page.StatusCode != http.StatusOK {
		t.Fatalf("campaign page: %d", page.StatusCode)
	}
	for _, want := range []string{"<dt>Members reached</dt><dd>fewer than 5</dd>", "<dt>Cards hidden</dt><dd>fewer than 5</dd>",
		"<dt>Replies in its threads</dt><dd>fewer than 5</dd>", "<dt>Visitors' views</dt><dd>0</dd>", "<dt>Link clicks</dt><dd>0</dd>",
		"Getting through the winter evenings</a></th><td>fewer than 5</td>", "Walking groups this winter</a></th><td>0</td>", "<svg", "<title"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("campaign page lacks %q", want)
		}
	}
	for _, bad := range []string{"<dd>1</dd>", "<td>1</td>", "Members reached (first time), " + today + ": 1", "Cards hidden, " + today + ": 1",
		"Replies in its threads, " + today + ": 1"} {
		if strings.Contains(page.body, bad) {
			t.Errorf("campaign page shows %q", bad)
		}
	}
	if m := smallTip.FindString(page.body); m != "" {
		t.Errorf("the chart gives a small count: %q", m)
	}
	if n := strings.Count(page.body, "fewer than 5"); n < 7 {
		t.Errorf("“fewer than 5” %d times on the page, want the 3 figures, 3 table cells and the thread", n)
	}

	// The CSV.
	csv := admin.get(fmt.Sprintf("/admin/campaigns/%d/stats.csv", campaign))
	if csv.StatusCode != http.StatusOK || !strings.Contains(csv.body, "\r\n"+today+",fewer than 5,0,fewer than 5,0,fewer than 5\r\n") ||
		!strings.Contains(csv.body, "\r\n"+itoa(th.ID)+",Getting through the winter evenings,fewer than 5\r\n") {
		t.Errorf("CSV: %d\n%s", csv.StatusCode, csv.body)
	}
	if strings.Contains(csv.body, ",1,") || strings.Contains(csv.body, ",1\r\n") {
		t.Errorf("the CSV has a 1:\n%s", csv.body)
	}

	// Differencing: the sensitive thread reaches 6 replies and the open
	// one 2 (both today). The day (8) is not small, but the open thread's
	// 2 is: shown, 8 minus 2 would give the sensitive thread's 6, so the
	// day, the total and both threads are hidden.
	for i := 0; i < 5; i++ {
		h.reply(h.ensureAdmin(), th.ID, fmt.Sprintf("Reply number %c from the team.", 'a'+i), false)
	}
	h.reply("mh_member", walk.ID, "Sundays at ten.", false)
	h.reply(h.ensureAdmin(), walk.ID, "Saturdays too.", false)
	body, raw = campaignStats(t, h, admin, campaign)
	totals, _ = body["totals"].(map[string]any)
	threads, _ = body["threads"].([]any)
	first, _ = threads[0].(map[string]any)
	second, _ = threads[1].(map[string]any)
	days, _ := body["replies"].([]any)
	atLeast := `{"at_least":5,"suppressed":true,"value":null}`
	if jsonOf(totals["replies"]) != atLeast || jsonOf(days[2]) != atLeast || jsonOf(first["replies"]) != atLeast || jsonOf(second["replies"]) != hiddenCell {
		t.Errorf("replies after more: %s", raw)
	}
	raw = regexp.MustCompile(`"id":[0-9]+`).ReplaceAllString(raw, `"id":_`)
	for _, n := range []string{":8", ":6", ":2"} {
		if strings.Contains(raw, n+",") || strings.Contains(raw, n+"}") {
			t.Errorf("the JSON gives %s: %s", n, raw)
		}
	}
	page = admin.get(fmt.Sprintf("/admin/campaigns/%d", campaign))
	for _, want := range []string{"<dt>Replies in its threads</dt><dd>5 or more</dd>", "Getting through the winter evenings</a></th><td>5 or more</td>",
		"Walking groups this winter</a></th><td>fewer than 5</td>"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("campaign page lacks %q", want)
		}
	}
	if m := regexp.MustCompile(`Replies in its threads, [0-9-]+: [1-9]`).FindString(page.body); m != "" {
		t.Errorf("the chart gives the replies: %q", m)
	}
	csv = admin.get(fmt.Sprintf("/admin/campaigns/%d/stats.csv", campaign))
	if !strings.Contains(csv.body, "\r\n"+today+",fewer than 5,0,fewer than 5,0,5 or more\r\n") {
		t.Errorf("CSV after more replies:\n%s", csv.body)
	}
}

// A campaign in open forums only keeps its exact small counts; its CSV
// has a byte-order mark, CRLF line ends and no cell a spreadsheet runs.
func TestCampaignOpenForumsExactAndCSVSafe(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.account("walker", models.RoleMember)
	admin := h.signedIn("boss")
	open := h.forum("walks", nil)
	th := h.thread(h.ensureAdmin(), open, "=HYPERLINK(\"https://evil.example\",\"walks\")", "Who walks on Sundays?", false)
	campaign := h.saveCampaign(admin, "Walking month", itoa(th.ID))
	now := h.clock.Now().UTC()
	admin.get(fmt.Sprintf("/admin/campaigns/%d/edit", campaign))
	if r := admin.post(fmt.Sprintf("/admin/campaigns/%d", campaign), url.Values{"name": {"Walking month"},
		"starts_at": {now.Add(-48 * time.Hour).Format("2006-01-02T15:04")}, "ends_at": {now.Add(5 * 24 * time.Hour).Format("2006-01-02T15:04")},
		"threads": {itoa(th.ID)}, "links": {"@SUM(1+1) | https://example.org/walks\n-5 degrees | https://example.org/cold"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save links: %d\n%s", r.StatusCode, r.body)
	}
	v := h.annForm("Walk with us", "forum", "forum_members", "walks", "card")
	v.Set("campaign_id", itoa(campaign))
	card := h.announce(admin, v)
	walker := h.signedIn("walker")
	walker.post("/f/walks/join", url.Values{})
	if r := walker.get("/f/walks"); !strings.Contains(r.body, "Walk with us") {
		t.Fatalf("the member does not see the card")
	}
	walker.post(fmt.Sprintf("/announcements/%d/dismiss", card), url.Values{"next": {"/f/walks"}})
	h.reply("walker", th.ID, "Sundays at ten.", false)
	today := now.Format("2006-01-02")

	body, raw := campaignStats(t, h, admin, campaign)
	totals, _ := body["totals"].(map[string]any)
	if body["restricted"] != false || jsonOf(totals["reach"]) != "1" || jsonOf(totals["dismissals"]) != "1" || jsonOf(totals["replies"]) != "1" {
		t.Errorf("open campaign's stats: %s", raw)
	}
	page := admin.get(fmt.Sprintf("/admin/campaigns/%d", campaign))
	for _, want := range []string{"<dt>Members reached</dt><dd>1</dd>", "<dt>Cards hidden</dt><dd>1</dd>", "<dt>Replies in its threads</dt><dd>1</dd>",
		`data-tip="Members reached (first time), ` + today + `: 1"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("open campaign page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "fewer than 5") {
		t.Errorf("an open campaign hides figures")
	}

	csv := admin.get(fmt.Sprintf("/admin/campaigns/%d/stats.csv", campaign))
	if csv.StatusCode != http.StatusOK || !strings.HasPrefix(csv.body, "\ufeffday,members_reached,visitor_views,cards_hidden,link_clicks,replies\r\n") {
		t.Fatalf("CSV: %d\n%q", csv.StatusCode, csv.body)
	}
	if !strings.Contains(csv.body, "\r\n"+today+",1,0,1,0,1\r\n") {
		t.Errorf("CSV lacks today's exact figures:\n%s", csv.body)
	}
	if strings.Contains(strings.ReplaceAll(csv.body, "\r\n", ""), "\n") {
		t.Errorf("CSV has a bare LF line end: %q", csv.body)
	}
	for _, want := range []string{"\r\n'@SUM(1+1),https://example.org/walks,0\r\n", "\r\n'-5 degrees,https://example.org/cold,0\r\n",
		"\r\n" + itoa(th.ID) + `,"'=HYPERLINK(""https://evil.example"",""walks"")",1` + "\r\n"} {
		if !strings.Contains(csv.body, want) {
			t.Errorf("CSV lacks %q:\n%s", want, csv.body)
		}
	}
	for _, bad := range []string{"\r\n@", ",@", "\r\n-5", ",=", `,"=`} {
		if strings.Contains(csv.body, bad) {
			t.Errorf("CSV has a formula cell %q:\n%s", bad, csv.body)
		}
	}
}

// A campaign thread is a number, a path, or an address on this site:
// another site's address is refused, by the form and the API.
func TestCampaignThreadFromAnotherSiteRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	admin := h.signedIn("boss")
	f := h.forum("walks", nil)
	th := h.thread(h.ensureAdmin(), f, "Walking groups", "Who walks on Sundays?", false)
	now := h.clock.Now().UTC()
	tok := admin.token("write")
	post := func(ref string) apiResp {
		return h.api(http.MethodPost, "/api/v1/admin/campaigns", tok, map[string]any{"name": "Walks " + ref, "starts_at": now.Format(time.RFC3339),
			"ends_at": now.Add(48 * time.Hour).Format(time.RFC3339), "threads": []string{ref}})
	}
	for _, ref := range []string{"https://evil.example/t/" + itoa(th.ID), "//evil.example/t/" + itoa(th.ID), "https://user@" + strings.TrimPrefix(h.srv.URL, "http://") + "/t/" + itoa(th.ID),
		strings.Replace(h.srv.URL, "127.0.0.1", "127.0.0.2", 1) + "/t/" + itoa(th.ID)} {
		res := post(ref)
		if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Raw, `"threads"`) || !strings.Contains(res.Raw, "another site") {
			t.Errorf("thread %q: %d %s", ref, res.Status, res.Raw)
		}
	}
	admin.get("/admin/campaigns/new")
	r := admin.post("/admin/campaigns", url.Values{"name": {"Walks"}, "starts_at": {now.Format("2006-01-02T15:04")},
		"ends_at": {now.Add(48 * time.Hour).Format("2006-01-02T15:04")}, "threads": {"https://evil.example/t/" + itoa(th.ID)}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "is on another site") {
		t.Errorf("form with another site's thread: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM campaign_threads`); n != 0 {
		t.Fatalf("%d threads linked from another site", n)
	}
	for _, ref := range []string{itoa(th.ID), "/t/" + itoa(th.ID) + "#p1", h.srv.URL + "/t/" + itoa(th.ID) + "/walking-groups"} {
		if res := post(ref); res.Status != http.StatusCreated {
			t.Errorf("thread %q: %d %s", ref, res.Status, res.Raw)
		}
	}
}
