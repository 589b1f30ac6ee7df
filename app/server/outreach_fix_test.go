package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// getAs fetches a page with the given User-Agent (the kit's browsers all
// share one).
func (b *browser) getAs(path, ua string) *resp {
	req, _ := http.NewRequest(http.MethodGet, b.h.srv.URL+path, nil)
	req.Header.Set("User-Agent", ua)
	return b.do(req)
}

func sortedKeys(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

// An urgent health alert cannot be hidden, as a card or otherwise: no
// button, dismissible false in the API, and a dismissal is 409. A card
// of the list and the same card alone have one JSON shape.
func TestHealthAlertCannotBeHidden(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.account("ha_member", models.RoleMember)
	admin := h.signedIn("boss")
	v := h.annForm("BOIL-WATER-ALERT", "site", "members", "", "card")
	v.Set("health_alert", "on")
	v.Set("email", "on")
	alert := h.announce(admin, v)
	plain := h.announce(admin, h.annForm("PLAIN-CARD", "site", "members", "", "card"))

	member := h.signedIn("ha_member")
	r := member.get("/")
	if !strings.Contains(r.body, "BOIL-WATER-ALERT") || strings.Contains(r.body, fmt.Sprintf("/announcements/%d/dismiss", alert)) {
		t.Errorf("the health alert card is missing or offers to be hidden")
	}
	if !strings.Contains(r.body, fmt.Sprintf("/announcements/%d/dismiss", plain)) {
		t.Errorf("an ordinary card cannot be hidden")
	}
	if r := member.get(fmt.Sprintf("/announcements/%d", alert)); strings.Contains(r.body, "Hide this announcement") {
		t.Errorf("the alert's own page offers to hide it")
	}
	tok := member.token("write")
	if res := h.api(http.MethodPost, fmt.Sprintf("/api/v1/announcements/%d/dismiss", alert), tok, nil); res.Status != http.StatusConflict || !strings.Contains(res.Raw, `"code"`) {
		t.Errorf("dismissing a health alert: %d %s", res.Status, res.Raw)
	}
	if r := member.post(fmt.Sprintf("/announcements/%d/dismiss", alert), url.Values{"next": {"/"}}); r.StatusCode != http.StatusConflict {
		t.Errorf("dismissing a health alert by form: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM announcement_dismissals WHERE announcement_id = ?`, alert); n != 0 {
		t.Errorf("a health alert dismissal was stored")
	}
	// A dismissal stored before this rule does not hide it either.
	h.app.DB.Gorm.Exec(`INSERT INTO announcement_dismissals (user_id, announcement_id, created_at) VALUES (?, ?, now())`, h.user("ha_member").ID, alert)
	if r := member.get("/"); !strings.Contains(r.body, "BOIL-WATER-ALERT") {
		t.Errorf("an old dismissal hides the health alert")
	}

	list := h.api(http.MethodGet, "/api/v1/announcements", tok, nil)
	items, _ := list.Body["announcements"].([]any)
	if len(items) != 2 {
		t.Fatalf("list: %s", list.Raw)
	}
	for _, it := range items {
		m := it.(map[string]any)
		id := int64(m["id"].(float64))
		one := h.api(http.MethodGet, fmt.Sprintf("/api/v1/announcements/%d", id), tok, nil)
		if one.Status != http.StatusOK || sortedKeys(one.Body) != sortedKeys(m) {
			t.Errorf("one announcement's shape %q differs from the list's %q", sortedKeys(one.Body), sortedKeys(m))
		}
		for k, v := range m {
			if fmt.Sprint(one.Body[k]) != fmt.Sprint(v) {
				t.Errorf("announcement %d: %s is %v alone, %v in the list", id, k, one.Body[k], v)
			}
		}
		if want := id != alert; m["dismissible"] != want {
			t.Errorf("announcement %d dismissible=%v, want %v", id, m["dismissible"], want)
		}
	}
}

// A page shows at most 3 cards and 2 banners, health alerts first, then
// "N more"; /announcements lists them all, the hidden ones marked, with a
// form to show one again.
func TestAnnouncementsListAndCaps(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.account("cap_member", models.RoleMember)
	admin := h.signedIn("boss")
	v := h.annForm("CARD-ALERT-OLDEST", "site", "members", "", "card")
	v.Set("health_alert", "on")
	v.Set("email", "on")
	v.Set("starts_at", h.clock.Now().UTC().Add(-time.Hour).Format("2006-01-02T15:04"))
	h.announce(admin, v)
	var cards []int64
	for i := 1; i <= 4; i++ {
		v := h.annForm(fmt.Sprintf("CARD-%d", i), "site", "members", "", "card")
		v.Set("starts_at", h.clock.Now().UTC().Add(time.Duration(-50+i)*time.Minute).Format("2006-01-02T15:04"))
		cards = append(cards, h.announce(admin, v))
	}
	for i := 1; i <= 3; i++ {
		v := h.annForm(fmt.Sprintf("BANNER-%d", i), "site", "members", "", "banner")
		v.Set("starts_at", h.clock.Now().UTC().Add(time.Duration(-50+i)*time.Minute).Format("2006-01-02T15:04"))
		h.announce(admin, v)
	}
	member := h.signedIn("cap_member")
	r := member.get("/")
	for _, want := range []string{"CARD-ALERT-OLDEST", "CARD-4", "CARD-3", "BANNER-3", "BANNER-2", "2 more announcements", "1 more urgent announcement", `href="/announcements"`, "All announcements"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	for _, not := range []string{"CARD-2", "CARD-1", "BANNER-1"} {
		if strings.Contains(r.body, not) {
			t.Errorf("home page shows %q beyond the cap", not)
		}
	}

	// Hide one: the message names the list, which still has it.
	rr := member.post(fmt.Sprintf("/announcements/%d/dismiss", cards[3]), url.Values{"next": {"/"}})
	if rr.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d", rr.StatusCode)
	}
	if r := member.get("/"); !strings.Contains(r.body, "/announcements") || !strings.Contains(r.body, "All announcements") || !strings.Contains(r.body, "1 hidden by you") {
		t.Errorf("after hiding: no way to the list\n%s", r.body)
	}
	list := member.get("/announcements")
	if list.StatusCode != http.StatusOK {
		t.Fatalf("/announcements: %d", list.StatusCode)
	}
	for _, want := range []string{"CARD-ALERT-OLDEST", "CARD-1", "CARD-2", "CARD-3", "CARD-4", "BANNER-1", "BANNER-2", "BANNER-3", "hidden by you", "Show it again"} {
		if !strings.Contains(list.body, want) {
			t.Errorf("/announcements lacks %q", want)
		}
	}
	if n := strings.Count(list.body, "hidden by you"); n != 1 {
		t.Errorf("%d marked hidden, want 1", n)
	}
	undo := fmt.Sprintf("/announcements/%d/undismiss", cards[3])
	if r := member.postRaw(undo, url.Values{"next": {"/announcements"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("undo without CSRF: %d", r.StatusCode)
	}
	if r := member.post(undo, url.Values{"next": {"/announcements"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("undo: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM announcement_dismissals WHERE user_id = ?`, h.user("cap_member").ID); n != 0 {
		t.Errorf("%d dismissals left after showing it again", n)
	}
	if r := member.get("/"); !strings.Contains(r.body, "CARD-4") {
		t.Errorf("the card shown again is not on the home page")
	}
	// The API can undo too; a visitor's list has only what is for everyone.
	tok := member.token("write")
	h.api(http.MethodPost, fmt.Sprintf("/api/v1/announcements/%d/dismiss", cards[0]), tok, nil)
	if res := h.api(http.MethodDelete, fmt.Sprintf("/api/v1/announcements/%d/dismiss", cards[0]), tok, nil); res.Status != http.StatusNoContent {
		t.Errorf("API undo: %d %s", res.Status, res.Raw)
	}
	if r := h.browser().get("/announcements"); r.StatusCode != http.StatusOK || strings.Contains(r.body, "CARD-") || !strings.Contains(r.body, "No announcements") {
		t.Errorf("visitor's list: %d", r.StatusCode)
	}
	if r := h.signedIn("cap_member").post("/announcements/99999/undismiss", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("undo of an unknown announcement: %d", r.StatusCode)
	}
	page := newPage(t, h)
	page.signIn("cap_member")
	page.visit("/announcements", "CARD-4")
	page.checkA11y("list of announcements")
}

// Campaign links keep their ids when their address or title changes (and
// their clicks); removed ones answer 410 Gone; HEAD counts nothing; one
// client's repeated clicks count once per 10 minutes; robots not at all.
func TestCampaignLinkIdsAndClickCounting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	admin := h.signedIn("boss")
	campaign, link, _, _ := h.campaignFixture(admin)
	visitor := h.browser()
	for i := 0; i < 50; i++ {
		if r := visitor.get(fmt.Sprintf("/go/%d", link)); r.StatusCode != http.StatusFound {
			t.Fatalf("click: %d", r.StatusCode)
		}
	}
	clicks := func() int64 {
		return countWhere(t, h, `SELECT coalesce(sum(clicks), 0) FROM campaign_link_clicks WHERE link_id = ?`, link)
	}
	if n := clicks(); n != 1 {
		t.Errorf("50 clicks of one client counted %d, want 1", n)
	}
	visitor.getAs(fmt.Sprintf("/go/%d", link), "Another browser/1.0")
	for _, ua := range []string{"Googlebot/2.1", "Slackbot-LinkExpanding", "SomeCrawler", "WhatsApp link preview", " "} {
		if r := visitor.getAs(fmt.Sprintf("/go/%d", link), ua); r.StatusCode != http.StatusFound {
			t.Errorf("robot %q: %d", ua, r.StatusCode)
		}
	}
	req, _ := http.NewRequest(http.MethodHead, h.srv.URL+fmt.Sprintf("/go/%d", link), nil)
	req.Header.Set("User-Agent", "Head checker/1")
	if r := visitor.do(req); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "https://example.org/clinics?x=1" {
		t.Errorf("HEAD: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if n := clicks(); n != 2 {
		t.Errorf("clicks %d, want 2 (two browsers; robots and HEAD not counted)", n)
	}
	h.clock.Advance(11 * time.Minute)
	visitor.get(fmt.Sprintf("/go/%d", link))
	if n := clicks(); n != 3 {
		t.Errorf("a click 11 minutes later: %d, want 3", n)
	}
	// Nothing of the client is written anywhere.
	var cols []string
	h.app.DB.Gorm.Raw(`SELECT column_name FROM information_schema.columns WHERE table_name IN ('campaign_link_clicks', 'campaign_links_gone')`).Scan(&cols)
	for _, c := range cols {
		if strings.Contains(c, "ip") || strings.Contains(c, "agent") {
			t.Errorf("a click table has %s", c)
		}
	}

	// The address changes, the title stays: same id, same clicks.
	admin = h.signedIn("boss")
	save := func(links string) {
		t.Helper()
		now := h.clock.Now().UTC()
		admin.get(fmt.Sprintf("/admin/campaigns/%d/edit", campaign))
		r := admin.post(fmt.Sprintf("/admin/campaigns/%d", campaign), url.Values{"name": {"Flu vaccination week"},
			"starts_at": {now.Add(-47 * time.Hour).Format("2006-01-02T15:04")}, "ends_at": {now.Add(4 * 24 * time.Hour).Format("2006-01-02T15:04")},
			"links": {links}})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("save campaign: %d\n%s", r.StatusCode, r.body)
		}
	}
	save("Find a clinic | https://example.org/clinics-2026\nOpening hours | https://example.org/hours")
	if r := visitor.get(fmt.Sprintf("/go/%d", link)); r.StatusCode != http.StatusFound || r.Header.Get("Location") != "https://example.org/clinics-2026" {
		t.Errorf("after changing the address: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if n := clicks(); n != 3 {
		t.Errorf("clicks after the address changed: %d, want 3", n)
	}
	var hours int64
	h.app.DB.Gorm.Raw(`SELECT id FROM campaign_links WHERE title = 'Opening hours'`).Scan(&hours)
	// The title changes, the address stays: same id.
	save("Clinics near you | https://example.org/clinics-2026\nOpening hours | https://example.org/hours")
	if n := countWhere(t, h, `SELECT count(*) FROM campaign_links WHERE id = ? AND title = 'Clinics near you'`, link); n != 1 {
		t.Errorf("renaming the link gave it a new id")
	}
	// Removed: 410 with a page, and gone from the announcements.
	save("Opening hours | https://example.org/hours")
	r := visitor.get(fmt.Sprintf("/go/%d", link))
	if r.StatusCode != http.StatusGone || r.Header.Get("Location") != "" || !strings.Contains(r.body, "withdrawn") {
		t.Errorf("removed link: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := visitor.get("/"); strings.Contains(r.body, fmt.Sprintf("/go/%d\"", link)) || !strings.Contains(r.body, fmt.Sprintf("/go/%d\"", hours)) {
		t.Errorf("the home page's campaign links are wrong after the removal")
	}
	// The campaign deleted: its links answer 410 too; unknown ids stay 404.
	admin.get(fmt.Sprintf("/admin/campaigns/%d/delete", campaign))
	if r := admin.post(fmt.Sprintf("/admin/campaigns/%d/delete", campaign), nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete campaign: %d", r.StatusCode)
	}
	if r := visitor.get(fmt.Sprintf("/go/%d", hours)); r.StatusCode != http.StatusGone {
		t.Errorf("a deleted campaign's link: %d", r.StatusCode)
	}
	if r := visitor.get("/go/999999"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown link: %d", r.StatusCode)
	}
}

// Forms: wording, a space in dates, the daylight-saving gap, archived
// forums, the real audience in the staff list, and campaign link messages.
func TestAnnouncementFormFixes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.forum("quiet-room", func(f *forums.ForumForm) { f.Sensitive = true })
	h.forum("old-news", nil)
	h.app.DB.Gorm.Exec(`UPDATE forums SET archived_at = now() WHERE slug = 'old-news'`)
	admin := h.signedIn("boss")
	now := h.clock.Now().UTC()

	post := func(v url.Values) *resp {
		admin.get("/moderation/announcements/new")
		return admin.post("/moderation/announcements", v)
	}
	v := h.annForm("TOO-LONG", "site", "everyone", "", "card")
	v.Set("ends_at", now.Add(100*24*time.Hour).Format("2006-01-02T15:04"))
	if r := post(v); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "An announcement runs at most 92 days") {
		t.Errorf("too long: %d", r.StatusCode)
	}
	v = h.annForm("SPACED-DATES", "site", "everyone", "", "card")
	v.Set("starts_at", now.Add(-time.Minute).Format("2006-01-02 15:04"))
	v.Set("ends_at", now.Add(48*time.Hour).Format("2006-01-02 15:04"))
	h.announce(admin, v)

	// In New York, 02:30 on 8 March 2026 never happens.
	h.app.DB.Gorm.Exec(`UPDATE users SET time_zone = 'America/New_York' WHERE handle = 'boss'`)
	admin = h.signedIn("boss")
	v = h.annForm("IN-THE-GAP", "site", "everyone", "", "card")
	v.Set("starts_at", "2026-03-08T02:30")
	v.Set("ends_at", "2026-03-09T10:00")
	if r := post(v); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "2026-03-08T02:30 does not exist in America/New_York") {
		t.Errorf("a start in the gap: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM announcements WHERE title = 'IN-THE-GAP'`); n != 0 {
		t.Errorf("the gap's announcement was saved")
	}

	// Archived forums: not offered, refused by the API.
	if r := admin.get("/moderation/announcements/new"); strings.Contains(r.body, "old-news") || !strings.Contains(r.body, "quiet-room") {
		t.Errorf("the form's forum list offers an archived forum or lacks a live one")
	}
	tok := admin.token("write")
	res := h.api(http.MethodPost, "/api/v1/moderation/announcements", tok, map[string]any{"title": "Archived", "body": "Hello", "scope": "forum",
		"audience": "everyone", "forum": "old-news", "priority": "card", "starts_at": now.Format(time.RFC3339), "ends_at": now.Add(time.Hour).Format(time.RFC3339)})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(res.Raw, "archived") || !strings.Contains(res.Raw, `"forum"`) {
		t.Errorf("API, archived forum: %d %s", res.Status, res.Raw)
	}

	// The staff list says a sensitive forum's "everyone" card reaches members only.
	h.announce(admin, url.Values{"title": {"QUIET-ROOM-CARD"}, "body": {"Hi"}, "scope": {"forum"}, "audience": {"everyone"}, "forum": {"quiet-room"},
		"priority": {"card"}, "starts_at": {h.clock.Now().In(nyLoc(t)).Format("2006-01-02T15:04")}, "ends_at": {h.clock.Now().In(nyLoc(t)).Add(time.Hour).Format("2006-01-02T15:04")}})
	if r := admin.get("/moderation/announcements"); !strings.Contains(r.body, "signed-in members (sensitive forum") {
		t.Errorf("the staff list does not say who the sensitive forum's card reaches")
	}

	// Campaign links: credentials in the address, "|" in a title.
	base := url.Values{"name": {"Links"}, "starts_at": {h.clock.Now().In(nyLoc(t)).Format("2006-01-02 15:04")},
		"ends_at": {h.clock.Now().In(nyLoc(t)).Add(48 * time.Hour).Format("2006-01-02 15:04")}}
	base.Set("links", "Secret | https://user:pass@example.org/x")
	admin.get("/admin/campaigns/new")
	if r := admin.post("/admin/campaigns", base); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "The address may not hold a user name or password") {
		t.Errorf("credentials in a link: %d", r.StatusCode)
	}
	base.Set("links", "Heart | lungs | https://example.org/both")
	if r := admin.post("/admin/campaigns", base); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a title holding |: %d\n%s", r.StatusCode, r.body)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM campaign_links WHERE title = 'Heart | lungs' AND url = 'https://example.org/both'`); n != 1 {
		t.Errorf("the link with | in its title was not saved as typed")
	}
}

func nyLoc(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// An e-mailed announcement arrives whole: plain text without Markdown
// markers but with link addresses, its HTML in the HTML part, and its
// campaign's links.
func TestAnnouncementEmailCarriesTheWholeText(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("boss", models.RoleAdmin)
	h.account("mail_whole", models.RoleMember)
	admin := h.signedIn("boss")
	campaign, _, _, _ := h.campaignFixture(admin)
	long := strings.Repeat("Keep your insulin cool and check every vial. ", 10)
	v := h.annForm("Insulin recall", "site", "members", "", "card")
	v.Set("body", "**Stop using** batch _A-17_ now. "+long+"\n\nSee [the recall notice](https://example.org/recall) for details. THE-VERY-END")
	v.Set("health_alert", "on")
	v.Set("email", "on")
	v.Set("campaign_id", itoa(campaign))
	id := h.announce(admin, v)
	h.mailAnnouncement(id)
	msgs := announcementMail(h, "mail_whole@example.org")
	if len(msgs) != 1 {
		t.Fatalf("%d announcement e-mails", len(msgs))
	}
	m := msgs[0]
	text := strings.Join(strings.Fields(m.Body), " ")
	for _, want := range []string{"Stop using batch A-17 now.", strings.TrimSpace(strings.Join(strings.Fields(long), " ")), "the recall notice (https://example.org/recall)", "THE-VERY-END",
		"Find a clinic", "/go/"} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, m.Body)
		}
	}
	if strings.Contains(m.Body, "**") || strings.Contains(m.Body, "…") {
		t.Errorf("text part has Markdown markers or is cut:\n%s", m.Body)
	}
	for _, want := range []string{"<strong>Stop using</strong>", `href="https://example.org/recall"`, "THE-VERY-END", "Find a clinic"} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML part lacks %q", want)
		}
	}
}

// A forum's moderator reads an admin's urgent health alert (or banner) in
// their forum but cannot change, end or delete it: page or API, they get
// 403 admin_only and the alert stays urgent and un-hideable. Their own
// cards stay theirs to edit, and sending back the campaign an admin set
// is not a change.
func TestModeratorsCannotChangeAdminsHealthAlerts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("care-ha", nil)
	h.account("boss", models.RoleAdmin)
	h.account("ha_mod", models.RoleMember)
	h.makeForumModerator("ha_mod", f)
	admin := h.signedIn("boss")
	v := h.annForm("FLOOD-WATER-ALERT", "forum", "everyone", "care-ha", "card")
	v.Set("health_alert", "on")
	v.Set("email", "on")
	alert := h.announce(admin, v)
	mod := h.signedIn("ha_mod")
	id := fmt.Sprint(alert)
	if r := mod.get("/moderation/announcements"); !strings.Contains(r.body, "FLOOD-WATER-ALERT") || strings.Contains(r.body, "/moderation/announcements/"+id+"/edit") {
		t.Error("the moderator's list hides the alert or offers to edit it")
	}
	if r := mod.get("/moderation/announcements/" + id + "/edit"); r.StatusCode != http.StatusForbidden {
		t.Errorf("edit page: %d", r.StatusCode)
	}
	edit := h.annForm("FLOOD-WATER-ALERT (typo fixed)", "forum", "everyone", "care-ha", "card")
	mod.get("/moderation/announcements")
	for _, path := range []string{"/moderation/announcements/" + id, "/moderation/announcements/" + id + "/end", "/moderation/announcements/" + id + "/delete"} {
		if r := mod.post(path, edit); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s by the moderator: %d", path, r.StatusCode)
		}
	}
	tok := h.tokenFor("ha_mod", "write")
	body := map[string]any{"title": "FLOOD-WATER-ALERT", "body": "Boil water.", "scope": "forum", "forum": "care-ha", "audience": "everyone",
		"priority": "card", "health_alert": false, "email": true, "starts_at": h.clock.Now().UTC().Format(time.RFC3339), "ends_at": h.clock.Now().UTC().Add(48 * time.Hour).Format(time.RFC3339)}
	if res := h.api(http.MethodPut, "/api/v1/moderation/announcements/"+id, tok, body); res.Status != http.StatusForbidden || !strings.Contains(res.Raw, `"admin_only"`) {
		t.Errorf("API PUT turning the alert off: %d %s", res.Status, res.Raw)
	}
	if res := h.api(http.MethodDelete, "/api/v1/moderation/announcements/"+id, tok, nil); res.Status != http.StatusForbidden {
		t.Errorf("API DELETE: %d %s", res.Status, res.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM announcements WHERE id = ? AND health_alert AND ends_at > ?`, alert, h.clock.Now()); n != 1 {
		t.Fatal("the moderator changed or ended the admin's health alert")
	}
	// The moderator's own card, put by an admin into a campaign: sending
	// the campaign back unchanged is allowed.
	own := h.announce(mod, h.annForm("CARERS-CAFE", "forum", "everyone", "care-ha", "card"))
	h.app.DB.Gorm.Exec(`INSERT INTO campaigns (name, starts_at, ends_at, created_at, updated_at) VALUES ('Carers week', now(), now() + interval '7 days', now(), now())`)
	h.app.DB.Gorm.Exec(`UPDATE announcements SET campaign_id = (SELECT id FROM campaigns LIMIT 1) WHERE id = ?`, own)
	var campaign int64
	h.app.DB.Gorm.Raw(`SELECT id FROM campaigns LIMIT 1`).Scan(&campaign)
	body["title"], body["health_alert"], body["email"], body["campaign_id"] = "CARERS-CAFE moved to Thursday", false, false, campaign
	if res := h.api(http.MethodPut, fmt.Sprintf("/api/v1/moderation/announcements/%d", own), tok, body); res.Status != http.StatusOK {
		t.Errorf("the moderator's PUT of their own card with its campaign: %d %s", res.Status, res.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM announcements WHERE id = ? AND campaign_id = ?`, own, campaign); n != 1 {
		t.Error("the campaign was dropped")
	}
}
