package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/models"
)

// campaignFixture: a campaign with a link and a thread, and a members'
// card and a public card in it. It returns the campaign, the link and
// the thread ids and the members' card's id.
func (h *harness) campaignFixture(admin *browser) (campaign, link, thread, card int64) {
	h.t.Helper()
	var flu models.Forum
	if h.app.DB.Gorm.Where("slug = 'flu'").Limit(1).Find(&flu); flu.ID == 0 {
		flu = *h.forum("flu", nil)
	}
	th := h.thread(h.ensureAdmin(), &flu, "Where did you get your flu shot?", "Pharmacies near me ran out.", false)
	admin.get("/admin/campaigns/new")
	now := h.clock.Now().UTC()
	r := admin.post("/admin/campaigns", url.Values{"name": {"Flu vaccination week"}, "description": {"Reminders and places to get the shot."},
		"starts_at": {now.Add(-48 * 60 * 60 * 1e9).Format("2006-01-02T15:04")}, "ends_at": {now.Add(5 * 24 * 60 * 60 * 1e9).Format("2006-01-02T15:04")},
		"links":   {"Find a clinic | https://example.org/clinics?x=1"},
		"threads": {h.srv.URL + "/t/" + itoa(th.ID)}})
	if r.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("campaign: %d\n%s", r.StatusCode, r.body)
	}
	h.app.DB.Gorm.Raw(`SELECT id FROM campaigns WHERE name = 'Flu vaccination week'`).Scan(&campaign)
	h.app.DB.Gorm.Raw(`SELECT id FROM campaign_links WHERE campaign_id = ?`, campaign).Scan(&link)
	v := h.annForm("Flu shots are free this week", "site", "members", "", "card")
	v.Set("campaign_id", itoa(campaign))
	card = h.announce(admin, v)
	p := h.annForm("Flu week for everyone", "site", "everyone", "", "card")
	p.Set("campaign_id", itoa(campaign))
	h.announce(admin, p)
	return campaign, link, th.ID, card
}

// Reach is counted once per member however many pages they see, without
// storing who; clicks go through /go/{id}, counted per day only, and
// only ever to the stored address; the campaign page shows it all.
func TestCampaignReachAndClicks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.account("reach_a", models.RoleMember)
	h.account("reach_b", models.RoleMember)
	admin := h.signedIn("boss")
	campaign, link, thread, card := h.campaignFixture(admin)

	a := h.signedIn("reach_a")
	for i := 0; i < 10; i++ {
		if r := a.get("/"); !strings.Contains(r.body, "Flu shots are free this week") || !strings.Contains(r.body, fmt.Sprintf(`href="/go/%d"`, link)) {
			t.Fatalf("the campaign's card or link is missing")
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM campaign_reach WHERE campaign_id = ?`, campaign); n != 1 {
		t.Fatalf("one member on 10 pages counted %d times", n)
	}
	h.signedIn("reach_b").get("/f/flu")
	visitor := h.browser()
	for i := 0; i < 3; i++ {
		visitor.get("/")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM campaign_reach WHERE campaign_id = ?`, campaign); n != 2 {
		t.Fatalf("two members counted as %d", n)
	}
	// What the reach table holds cannot name anyone: no member id.
	var cols []string
	h.app.DB.Gorm.Raw(`SELECT column_name FROM information_schema.columns WHERE table_name IN ('campaign_reach', 'campaign_link_clicks', 'campaign_visitor_views') ORDER BY column_name`).Scan(&cols)
	for _, c := range cols {
		if strings.Contains(c, "user") || strings.Contains(c, "member") || strings.Contains(c, "ip") || strings.Contains(c, "agent") || strings.Contains(c, "session") {
			t.Errorf("a counting table has a column %s", c)
		}
	}
	var markers [][]byte
	h.app.DB.Gorm.Raw(`SELECT marker FROM campaign_reach`).Scan(&markers)
	if len(markers) != 2 || len(markers[0]) != 16 || string(markers[0]) == string(markers[1]) {
		t.Errorf("reach markers: %x", markers)
	}

	// Clicks: the stored address, whatever is added; unknown ids 404.
	for _, path := range []string{fmt.Sprintf("/go/%d", link), fmt.Sprintf("/go/%d?to=https://evil.example", link)} {
		r := a.get(path)
		if r.StatusCode != http.StatusFound || r.Header.Get("Location") != "https://example.org/clinics?x=1" {
			t.Errorf("%s: %d to %q", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	// (Another browser: one client's repeated clicks count once.)
	if r := visitor.getAs(fmt.Sprintf("/go/%d", link), "Visitor browser/1.0"); r.StatusCode != http.StatusFound {
		t.Errorf("a visitor's click: %d", r.StatusCode)
	}
	for _, path := range []string{"/go/999999", "/go/abc", "/go/-1", "/go/https:%2F%2Fevil.example"} {
		if r := visitor.get(path); r.StatusCode != http.StatusNotFound || r.Header.Get("Location") != "" {
			t.Errorf("%s: %d to %q", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	var clickRows []map[string]any
	h.app.DB.Gorm.Raw(`SELECT * FROM campaign_link_clicks`).Scan(&clickRows)
	if len(clickRows) != 1 || fmt.Sprint(clickRows[0]["clicks"]) != "2" || len(clickRows[0]) != 3 {
		t.Errorf("click log: %v", clickRows)
	}

	// A dismissal and a reply during the campaign.
	a.post(fmt.Sprintf("/announcements/%d/dismiss", card), url.Values{"next": {"/"}})
	h.reply("reach_b", thread, "The pharmacy on Main Street still has some.", false)

	// The page: counts, the chart and its table.
	r := admin.get(fmt.Sprintf("/admin/campaigns/%d", campaign))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("campaign page: %d", r.StatusCode)
	}
	for _, want := range []string{"<dt>Members reached</dt><dd>2</dd>", "<dt>Visitors' views</dt><dd>3</dd>", "<dt>Cards hidden</dt><dd>1</dd>",
		"<dt>Link clicks</dt><dd>2</dd>", "<dt>Replies in its threads</dt><dd>1</dd>", `<svg`, "<title", "<table", "Find a clinic", "Where did you get your flu shot?"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("campaign page lacks %q", want)
		}
	}
	for _, who := range []string{"reach_a", "reach_b"} {
		if strings.Contains(r.body, who) {
			t.Errorf("campaign page names %s", who)
		}
	}
	csv := admin.get(fmt.Sprintf("/admin/campaigns/%d/stats.csv", campaign))
	today := h.clock.Now().UTC().Format("2006-01-02")
	if csv.StatusCode != http.StatusOK || !strings.HasPrefix(csv.body, "\ufeffday,members_reached,") || !strings.Contains(csv.body, today+",2,3,1,2,1\r\n") {
		t.Errorf("CSV: %d\n%s", csv.StatusCode, csv.body)
	}
	tok := admin.token("read")
	res := h.api(http.MethodGet, fmt.Sprintf("/api/v1/admin/campaigns/%d/stats", campaign), tok, nil)
	totals, _ := res.Body["totals"].(map[string]any)
	if res.Status != http.StatusOK || fmt.Sprint(totals["reach"]) != "2" || fmt.Sprint(totals["clicks"]) != "2" || fmt.Sprint(totals["replies"]) != "1" {
		t.Errorf("API stats: %d %s", res.Status, res.Raw)
	}
}

// Campaigns are the admins': their forms refuse unsafe links and threads
// the admin cannot find, keeping what was typed; moderators get 403.
func TestCampaignValidationAndAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	admin := h.signedIn("boss")
	now := h.clock.Now().UTC()
	base := func() url.Values {
		return url.Values{"name": {"Heart month"}, "starts_at": {now.Format("2006-01-02T15:04")}, "ends_at": {now.Add(7 * 24 * 60 * 60 * 1e9).Format("2006-01-02T15:04")}}
	}
	bad := []struct {
		field, value, msg string
	}{
		{"links", "Click | javascript:alert(1)", "https://"},
		{"links", "Data | data:text/html,hi", "https://"},
		{"links", "Relative | //evil.example/x", "https://"},
		{"links", "No title only | ", "address"},
		{"threads", "999999", "no thread 999999"},
		{"threads", "not a thread", "not a thread"},
		{"ends_at", now.Add(-60 * 60 * 1e9).Format("2006-01-02T15:04"), "after the start"},
		{"name", "", "Write a name"},
	}
	for _, b := range bad {
		v := base()
		v.Set(b.field, b.value)
		admin.get("/admin/campaigns/new")
		r := admin.post("/admin/campaigns", v)
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, b.msg) {
			t.Errorf("%s=%q: %d, want 422 saying %q", b.field, b.value, r.StatusCode, b.msg)
		}
		if b.field != "name" && !strings.Contains(r.body, `value="Heart month"`) {
			t.Errorf("%s=%q: the form lost the name", b.field, b.value)
		}
	}
	if n := h.count("campaigns"); n != 0 {
		t.Fatalf("%d campaigns saved from bad input", n)
	}
	tok := admin.token("write")
	res := h.api(http.MethodPost, "/api/v1/admin/campaigns", tok, map[string]any{"name": "Heart month", "starts_at": now.Format("2006-01-02T15:04:05Z07:00"),
		"ends_at": now.Add(48 * 60 * 60 * 1e9).Format("2006-01-02T15:04:05Z07:00"), "links": []map[string]string{{"title": "x", "url": "javascript:alert(1)"}}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Raw, `"links"`) {
		t.Errorf("API bad link: %d %s", res.Status, res.Raw)
	}
	h.account("camp_mod", models.RoleModerator)
	mod := h.signedIn("camp_mod")
	if r := mod.get("/admin/campaigns"); r.StatusCode != http.StatusForbidden {
		t.Errorf("moderator opens campaigns: %d", r.StatusCode)
	}
	if res := h.api(http.MethodGet, "/api/v1/admin/campaigns", mod.token("read"), nil); res.Status != http.StatusForbidden {
		t.Errorf("moderator API campaigns: %d", res.Status)
	}
}

// The banner, a card hidden with the keyboard and no JavaScript needed,
// and the campaign page with its chart: axe-core clean on a phone.
func TestBrowserAnnouncementsAndCampaign(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.account("phone_member", models.RoleMember)
	admin := h.signedIn("boss")
	campaign, _, _, card := h.campaignFixture(admin)
	v := h.annForm("Pharmacy strike on Friday", "site", "members", "", "banner")
	v.Set("body", "Pharmacies close on **Friday**: collect prescriptions before.")
	h.announce(admin, v)
	a := h.signedIn("phone_member")
	a.get("/")

	p := newPage(t, h)
	p.signIn("phone_member")
	p.waitText("Pharmacy strike on Friday")
	p.waitText("Flu shots are free this week")
	p.checkA11y("home with a banner and cards")
	if n := p.eval(`String(document.querySelectorAll('section[aria-label="Urgent announcements"] [role=alert], [aria-live]').length)`); n != "0" {
		t.Errorf("the banner is a live alert")
	}
	// Hide the card from the keyboard: focus its button, press Enter.
	p.do(chromedp.Focus(chromedp.CSS(fmt.Sprintf(`form[action="/announcements/%d/dismiss"] button`, card))), chromedp.KeyEvent("\r"))
	p.waitText("Announcement hidden.")
	if strings.Contains(p.eval(`document.body.innerText`), "Flu shots are free this week") {
		t.Errorf("the hidden card still shows")
	}
	p.visit("/latest", "Pharmacy strike on Friday")
	p.checkA11y("another page with the banner")

	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")
	p.signIn("boss")
	p.visit(fmt.Sprintf("/admin/campaigns/%d", campaign), "Members reached")
	p.checkA11y("campaign page with its chart")
	p.visit("/moderation/announcements/new", "Who it is for")
	p.checkA11y("announcement form")
	p.visit("/moderation/announcements", "Pharmacy strike on Friday")
	p.checkA11y("announcements list")
}
