package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// Texts whose crisis level is unambiguous (kindred safety check).
const (
	highText   = "I have the pills lined up and I'm taking them tonight after everyone is asleep. Goodbye all."
	mediumText = "I keep thinking everyone would be better off without me."
	lowText    = "We lost my uncle to suicide last year and the anniversary is hard."
)

// crisisWorld is a sensitive forum with its moderators: one global on
// duty, one global who went off duty, the forum's own moderator and the
// moderator of another forum, each with a confirmed e-mail address.
type crisisWorld struct {
	h     *harness
	forum *models.Forum
	other *models.Forum
}

func newCrisisWorld(t *testing.T, o harnessOpts) *crisisWorld {
	h := newHarness(t, o)
	w := &crisisWorld{h: h}
	w.forum = h.forum("mind", func(f *forums.ForumForm) { f.Sensitive = true })
	w.other = h.forum("lungs", nil)
	h.app.DB.Gorm.Exec(`DELETE FROM watched_words`) // only the engine
	h.account("mod_on", models.RoleModerator)
	h.account("mod_off", models.RoleModerator)
	h.account("mod_here", models.RoleMember)
	h.makeForumModerator("mod_here", w.forum)
	h.account("mod_elsewhere", models.RoleMember)
	h.makeForumModerator("mod_elsewhere", w.other)
	h.account("boss", models.RoleAdmin)
	off := signedIn(h, "mod_off")
	off.get("/moderation")
	if r := off.post("/moderation/duty", url.Values{"on": {"0"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("off duty: %d", r.StatusCode)
	}
	if !strings.Contains(off.get("/moderation").body, "You are <strong>off duty</strong>") {
		t.Fatal("the queue does not say the moderator is off duty")
	}
	return w
}

// notMentioned fails when a distinctive word of the member's text, their
// handle or the forum shows up in s.
func notMentioned(t *testing.T, what, s string, words ...string) {
	t.Helper()
	for _, w := range words {
		if strings.Contains(strings.ToLower(s), strings.ToLower(w)) {
			t.Errorf("%s carries %q", what, w)
		}
	}
}

// TestHighCrisisPostAlertsModeratorsOnDuty: an imminent-crisis thread (form)
// and reply (API) are published; the author gets the crisis resources in
// the same response; the self-harm report goes above every other report,
// even a member's self-harm report; every moderator on duty for the forum
// is alerted in-app and by an e-mail that names nothing of the post, and
// those off duty or of another forum are not.
func TestHighCrisisPostAlertsModeratorsOnDuty(t *testing.T) {
	t.Parallel()
	w := newCrisisWorld(t, harnessOpts{workers: true})
	h := w.h
	h.account("rep_a", models.RoleMember)
	h.account("rep_b", models.RoleMember)
	spam := h.thread("rep_b", w.forum, "Cheap supplements here", "Buy now.", false)
	sad := h.thread("rep_b", w.forum, "Rough week again", "Any tips for sleeping better before a scan?", false)
	h.report("rep_a", models.TargetThread, spam.ID, models.ReasonSpam)
	h.report("rep_a", models.TargetThread, sad.ID, models.ReasonSelfHarm)

	b := h.member("night_owl")
	b.get("/f/mind/new")
	r := b.post("/f/mind/threads", url.Values{"title": {"Quiet evening"}, "body": {highText}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Support, right now") || !strings.Contains(r.body, "call your local emergency number") ||
		!strings.Contains(r.body, "Our moderators have been told") || !strings.Contains(r.body, "Go on to your thread") {
		t.Fatalf("high crisis thread: %d\n%s", r.StatusCode, r.body)
	}
	th := h.lastThreadID()
	if !strings.Contains(b.get("/f/mind").body, "Quiet evening") {
		t.Error("the thread is not published")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM reports WHERE reason = 'self_harm' AND reporter_id IS NULL AND priority = 2 AND target_id = ?`, th); n != 1 {
		t.Errorf("%d priority reports", n)
	}
	mod := signedIn(h, "mod_on")
	q := mod.get("/moderation").body
	if i, j, k := strings.Index(q, "Quiet evening"), strings.Index(q, "Rough week again"), strings.Index(q, "Cheap supplements"); i < 0 || j < 0 || k < 0 || !(i < j && j < k) {
		t.Errorf("queue order: imminent %d, member's self-harm %d, spam %d", i, j, k)
	}
	if !strings.Contains(q, "Urgent, at risk:") || !strings.Contains(q, "not acknowledged") {
		t.Error("the queue does not mark the urgent, unacknowledged item")
	}
	for handle, want := range map[string]int64{"mod_on": 1, "mod_here": 1, "boss": 1, "mod_off": 0, "mod_elsewhere": 0} {
		if got := notifCount(t, h, handle, models.NotifyReportUrgent); got != want {
			t.Errorf("%s: %d urgent alerts, want %d", handle, got, want)
		}
	}
	bell := mod.get("/notifications").body
	if !strings.Contains(bell, "Someone may be at risk: review now") {
		t.Error("the alert does not say what it is about")
	}
	// Opening it lands on the queue item itself, not on a list.
	var alertID, reportID int64
	h.app.DB.Gorm.Raw(`SELECT n.id, n.report_id FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.handle = 'mod_on' AND n.kind = ?`, models.NotifyReportUrgent).Row().Scan(&alertID, &reportID)
	opened := mod.post("/notifications/"+itoa(alertID)+"/open", url.Values{"to": {"moderation"}, "report": {itoa(reportID)}})
	if loc := opened.Header.Get("Location"); loc != "/moderation/report/"+itoa(reportID) {
		t.Errorf("the alert opens %q", loc)
	} else if r := mod.get(loc); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/moderation/thread/"+itoa(th) {
		t.Errorf("the report leads to %d %q, want the thread's item", r.StatusCode, r.Header.Get("Location"))
	}
	if r := signedIn(h, "mod_elsewhere").get("/moderation/report/" + itoa(reportID)); r.StatusCode == http.StatusSeeOther && r.Header.Get("Location") == "/moderation/thread/"+itoa(th) {
		if r2 := signedIn(h, "mod_elsewhere").get(r.Header.Get("Location")); r2.StatusCode == http.StatusOK {
			t.Error("a moderator of another forum opens the item through the report")
		}
	}
	if r := signedIn(h, "night_owl").get("/moderation/report/" + itoa(reportID)); r.StatusCode != http.StatusNotFound {
		t.Errorf("a member opens /moderation/report/…: %d, want 404", r.StatusCode)
	}
	for _, to := range []string{"mod_on@example.org", "mod_here@example.org"} {
		m := h.mailbox.Wait(t, to, "an urgent item waits", 20*time.Second)
		if !strings.Contains(m.Body, "/moderation/thread/"+itoa(th)) {
			t.Errorf("e-mail to %s has no link:\n%s", to, m.Body)
		}
		notMentioned(t, "the alert e-mail", m.Subject+m.Body, "pills", "asleep", "Goodbye", "Quiet evening", "night_owl", "mind")
	}

	// The API answers a reply with the crisis object.
	tok := b.token("write")
	a := h.api("POST", "/api/v1/threads/"+itoa(sad.ID)+"/posts", tok, map[string]any{"body": highText})
	c, _ := a.Body["crisis"].(map[string]any)
	if a.Status != http.StatusCreated || c == nil || c["level"] != "high" || c["show"] != "resources" || c["moderators_told"] != true ||
		!strings.Contains(fmt.Sprint(c["resources"]), "emergency number") {
		t.Fatalf("API high reply: %d %s", a.Status, a.Raw)
	}
	if notifCount(t, h, "mod_on", models.NotifyReportUrgent) != 2 || notifCount(t, h, "mod_off", models.NotifyReportUrgent) != 0 {
		t.Error("the API reply did not alert the moderators on duty alone")
	}
	// Going back on duty brings the alerts back (API).
	offTok := signedIn(h, "mod_off").token("write")
	if a := h.api("PUT", "/api/v1/moderation/duty", offTok, nil); a.Status != http.StatusOK || a.Body["on_duty"] != true {
		t.Fatalf("on duty: %d %s", a.Status, a.Raw)
	}
	h.reply("night_owl", sad.ID, highText, false)
	if notifCount(t, h, "mod_off", models.NotifyReportUrgent) != 1 {
		t.Error("a moderator back on duty is not alerted")
	}
	if a := h.api("PUT", "/api/v1/moderation/duty", tok, nil); a.Status != http.StatusForbidden {
		t.Errorf("a member goes on duty: %d", a.Status)
	}
}

// TestCrisisLevelsAndForumMapping: by default a medium text shows a
// check-in and files a normal self-harm report, a low one shows and files
// nothing; an admin changes the mapping of one forum (form and API), bad
// actions are refused with field errors, and the forum then behaves as set
// while another keeps the defaults.
func TestCrisisLevelsAndForumMapping(t *testing.T) {
	t.Parallel()
	w := newCrisisWorld(t, harnessOpts{})
	h := w.h
	b := h.member("sam_writes")
	tok := b.token("write")
	reports := func() int64 { return countWhere(t, h, `SELECT count(*) FROM reports WHERE reporter_id IS NULL`) }

	b.get("/f/mind/new")
	r := b.post("/f/mind/threads", url.Values{"title": {"Lately"}, "body": {mediumText}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "How are you doing right now?") || strings.Contains(r.body, "Support, right now") ||
		!strings.Contains(r.body, "call your local emergency number") {
		t.Fatalf("medium thread: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM reports WHERE reason = 'self_harm' AND reporter_id IS NULL AND priority = 0`); n != 1 {
		t.Errorf("%d normal self-harm reports", n)
	}
	if notifCount(t, h, "mod_on", models.NotifyReportUrgent) != 0 {
		t.Error("a medium text paged the moderators")
	}
	a := h.api("POST", "/api/v1/forums/mind/threads", tok, map[string]any{"title": "Cutting", "body": "I started cutting again last night."})
	if c, _ := a.Body["crisis"].(map[string]any); a.Status != http.StatusCreated || c == nil || c["show"] != "check_in" || c["level"] != "medium" {
		t.Fatalf("API medium: %d %s", a.Status, a.Raw)
	}
	before := reports()
	b.get("/f/mind/new")
	if r := b.post("/f/mind/threads", url.Values{"title": {"Anniversary"}, "body": {lowText}}); r.StatusCode != http.StatusSeeOther || strings.HasPrefix(r.Header.Get("Location"), "/support") {
		t.Errorf("low thread: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	if a := h.api("POST", "/api/v1/forums/mind/threads", tok, map[string]any{"title": "Anniversary two", "body": lowText}); a.Status != http.StatusCreated || a.Body["crisis"] != nil {
		t.Errorf("API low: %d %s", a.Status, a.Raw)
	}
	if reports() != before {
		t.Error("a low text filed a report by default")
	}

	// The admin's form: unknown actions are refused, the input kept.
	admin := signedIn(h, "boss")
	edit := fmt.Sprintf("/admin/forums/%d", w.forum.ID)
	page := admin.get(edit + "/edit")
	if !strings.Contains(page.body, `id="crisis_high_alert_on_duty" name="crisis_high" value="alert_on_duty" checked`) ||
		strings.Contains(page.body, `id="crisis_low_flag" name="crisis_low" value="flag" checked`) {
		t.Fatal("the forum form does not show the default mapping")
	}
	form := url.Values{"name": {"Forum mind"}, "slug": {"mind"}, "sensitive": {"on"}, "position": {"0"}, "crisis_form": {"1"},
		"crisis_high": {"show_resources", "priority_report", "alert_on_duty"}, "crisis_medium": {}, "crisis_low": {"explode"}}
	r = admin.post(edit, form)
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "“explode” is not an action Kindred knows") {
		t.Fatalf("unknown action: %d", r.StatusCode)
	}
	form["crisis_low"] = []string{"flag"}
	if r := admin.post(edit, form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save mapping: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = 'forum.crisis_actions' AND target_id = ?`, w.forum.ID); n != 1 {
		t.Errorf("%d audit events for the mapping", n)
	}
	// Medium now does nothing here; low is flagged (not self-harm).
	before = reports()
	b.get("/f/mind/new")
	if r := b.post("/f/mind/threads", url.Values{"title": {"Lately again"}, "body": {mediumText}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("medium with no actions: %d", r.StatusCode)
	}
	if reports() != before {
		t.Error("medium filed a report after the admin turned it off")
	}
	h.thread("sam_writes", w.forum, "Grief", lowText, false)
	if n := countWhere(t, h, `SELECT count(*) FROM reports WHERE reporter_id IS NULL AND reason = 'other' AND priority = 0 AND target_id = ?`, h.lastThreadID()); n != 1 {
		t.Error("low is not flagged after the admin asked for it")
	}
	// The other forum keeps the defaults.
	h.thread("sam_writes", w.other, "Lately", mediumText, false)
	if n := countWhere(t, h, `SELECT count(*) FROM reports WHERE reason = 'self_harm' AND target_id = ?`, h.lastThreadID()); n != 1 {
		t.Error("the other forum lost its default mapping")
	}

	// The API: admins only, with field errors.
	adminTok := admin.token("write")
	body := map[string]any{"name": "Forum mind", "slug": "mind", "sensitive": true, "crisis_actions": map[string]any{"high": []string{"show_resources", "page_everyone"}}}
	a = h.api("PATCH", "/api/v1/forums/mind", adminTok, body)
	if !strings.Contains(a.Raw, `"crisis_high"`) || a.Status != http.StatusUnprocessableEntity {
		t.Errorf("API unknown action: %d %s", a.Status, a.Raw)
	}
	body["crisis_actions"] = map[string]any{"high": []string{"show_check_in", "report"}}
	a = h.api("PATCH", "/api/v1/forums/mind", adminTok, body)
	if m, _ := a.Body["crisis_actions"].(map[string]any); a.Status != http.StatusOK || fmt.Sprint(m["high"]) != "[show_check_in report]" || fmt.Sprint(m["low"]) != "[flag]" {
		t.Fatalf("API mapping: %d %s", a.Status, a.Raw)
	}
	if a := h.api("GET", "/api/v1/forums/mind", adminTok, nil); a.Status != http.StatusOK || a.Body["crisis_actions"] == nil {
		t.Errorf("admins do not read the mapping: %d %s", a.Status, a.Raw)
	}
	if a := h.api("GET", "/api/v1/forums/mind", tok, nil); a.Status != http.StatusOK || a.Body["crisis_actions"] != nil {
		t.Errorf("members read the mapping: %d %s", a.Status, a.Raw)
	}
	if a := h.api("PATCH", "/api/v1/forums/mind", signedIn(h, "mod_on").token("write"), body); a.Status != http.StatusForbidden {
		t.Errorf("a moderator changes the mapping: %d", a.Status)
	}
	a = h.api("POST", "/api/v1/forums/mind/threads", tok, map[string]any{"title": "Tonight", "body": highText})
	if c, _ := a.Body["crisis"].(map[string]any); a.Status != http.StatusCreated || c == nil || c["show"] != "check_in" || c["level"] != "high" {
		t.Errorf("high after the API mapping: %d %s", a.Status, a.Raw)
	}
	if notifCount(t, h, "mod_on", models.NotifyReportUrgent) != 0 {
		t.Error("high alerted moderators after the admin turned alerts off")
	}
}

// TestCrisisFollowUp: a crisis item is acknowledged once (the second
// moderator is told who did), gets a reached-out note and is closed, with
// the time to acknowledge recorded and every step audited; members and
// moderators of other forums are refused, and forms need the CSRF token.
func TestCrisisFollowUp(t *testing.T) {
	t.Parallel()
	w := newCrisisWorld(t, harnessOpts{})
	h := w.h
	h.account("riley", models.RoleMember)
	th := h.thread("riley", w.forum, "Quiet evening", highText, false)
	item := "/moderation/thread/" + itoa(th.ID)
	apiItem := "/api/v1/moderation/items/thread/" + itoa(th.ID)

	// Who may not.
	member := signedIn(h, "riley")
	member.get("/")
	if r := member.post(item+"/acknowledge", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("member acknowledges: %d", r.StatusCode)
	}
	if a := h.api("POST", apiItem+"/acknowledge", member.token("write"), map[string]any{}); a.Status != http.StatusForbidden {
		t.Errorf("member acknowledges (API): %d", a.Status)
	}
	elsewhere := signedIn(h, "mod_elsewhere")
	elsewhere.get("/moderation")
	if r := elsewhere.post(item+"/acknowledge", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("another forum's moderator acknowledges: %d", r.StatusCode)
	}
	if a := h.api("POST", apiItem+"/acknowledge", elsewhere.token("write"), map[string]any{}); a.Status != http.StatusForbidden {
		t.Errorf("another forum's moderator acknowledges (API): %d", a.Status)
	}
	if a := h.api("POST", apiItem+"/acknowledge", "", map[string]any{}); a.Status != http.StatusUnauthorized {
		t.Errorf("no token: %d", a.Status)
	}
	here := signedIn(h, "mod_here")
	page := here.get(item)
	if !strings.Contains(page.body, "Someone may be at risk") || !strings.Contains(page.body, "waiting for a moderator") || !strings.Contains(page.body, "Acknowledge: I am on it") {
		t.Fatal("the item does not offer to acknowledge")
	}
	if r := here.post(item+"/acknowledge", url.Values{"csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d", r.StatusCode)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM crisis_followups WHERE acknowledged_at IS NOT NULL`); n != 0 {
		t.Fatal("refused attempts acknowledged the item")
	}
	// Steps out of order are refused.
	globalTok := signedIn(h, "mod_on").token("write")
	if a := h.api("POST", apiItem+"/close_crisis", globalTok, map[string]any{}); a.Status != http.StatusConflict {
		t.Errorf("close before acknowledging: %d %s", a.Status, a.Raw)
	}

	// The forum's moderator acknowledges after five minutes; the global
	// moderator comes second and is told who was first.
	h.clock.Advance(5 * time.Minute)
	here.get(item)
	if r := here.post(item+"/acknowledge", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", r.StatusCode)
	}
	a := h.api("POST", apiItem+"/acknowledge", globalTok, map[string]any{})
	if a.Status != http.StatusConflict || !strings.Contains(a.Raw, "mod_here already acknowledged this") {
		t.Errorf("second acknowledgement: %d %s", a.Status, a.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM crisis_followups WHERE acknowledged_by = ? AND ack_seconds = 300`, h.user("mod_here").ID); n != 1 {
		t.Error("the acknowledgement or its time is not recorded")
	}
	if strings.Contains(signedIn(h, "mod_on").get("/moderation").body, "not acknowledged") {
		t.Error("the queue still shows the item as not acknowledged")
	}

	// Reached out: a note is required.
	page = here.get(item)
	if !strings.Contains(page.body, "acknowledged by mod_here") {
		t.Error("the item does not say who acknowledged it")
	}
	if r := here.post(item+"/reached_out", url.Values{"note": {"ok"}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Say in a few words what you did") {
		t.Errorf("short note: %d", r.StatusCode)
	}
	if r := here.post(item+"/reached_out", url.Values{"note": {"Sent a private message with the local crisis line."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reached out: %d", r.StatusCode)
	}
	// Closing asks for confirmation on the page; the API closes.
	here.get(item)
	if r := here.post(item+"/close_crisis", nil); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Tick the box") {
		t.Errorf("close without confirming: %d", r.StatusCode)
	}
	a = h.api("POST", apiItem+"/close_crisis", globalTok, map[string]any{})
	crisis, _ := a.Body["crisis"].([]any)
	if a.Status != http.StatusOK || len(crisis) != 1 || crisis[0].(map[string]any)["closed_by"] != "mod_on" ||
		crisis[0].(map[string]any)["reached_out_note"] != "Sent a private message with the local crisis line." {
		t.Fatalf("close: %d %s", a.Status, a.Raw)
	}
	if strings.Contains(signedIn(h, "mod_on").get("/moderation").body, "Quiet evening") {
		t.Error("the closed item is still in the queue")
	}
	for _, action := range []string{"moderation.crisis_acknowledge", "moderation.crisis_reached_out", "moderation.crisis_close"} {
		if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action = ? AND target_id = ?`, action, th.ID); n != 1 {
			t.Errorf("%s: %d audit events", action, n)
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM moderation_actions WHERE action = 'crisis_acknowledge' AND outcome = 'superseded'`); n != 1 {
		t.Error("the late acknowledgement is not recorded as superseded")
	}
}

// TestCrisisAcknowledgementsRace: of two moderators acknowledging at once,
// one wins and the other is told who did.
func TestCrisisAcknowledgementsRace(t *testing.T) {
	t.Parallel()
	w := newCrisisWorld(t, harnessOpts{})
	h := w.h
	h.account("riley", models.RoleMember)
	tokA, tokB := signedIn(h, "mod_on").token("write"), signedIn(h, "mod_here").token("write")
	for round := 0; round < 5; round++ {
		th := h.thread("riley", w.forum, "Round "+itoa(int64(round)), highText, false)
		path := "/api/v1/moderation/items/thread/" + itoa(th.ID) + "/acknowledge"
		res := make(chan apiResp, 2)
		for _, tok := range []string{tokA, tokB} {
			go func(tok string) { res <- h.api("POST", path, tok, map[string]any{}) }(tok)
		}
		a, b := <-res, <-res
		if a.Status == http.StatusConflict {
			a, b = b, a
		}
		if a.Status != http.StatusOK || b.Status != http.StatusConflict || !strings.Contains(b.Raw, "already acknowledged this") {
			t.Fatalf("round %d: %d / %d %s", round, a.Status, b.Status, b.Raw)
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM crisis_followups WHERE acknowledged_at IS NOT NULL`); n != 5 {
		t.Errorf("%d acknowledged", n)
	}
}

// TestUnacknowledgedCrisisEscalates: a crisis item nobody acknowledges
// within KINDRED_CRISIS_ACK_MINUTES alerts the admins once (in-app and by an
// e-mail without the text); an acknowledged one never does.
func TestUnacknowledgedCrisisEscalates(t *testing.T) {
	t.Parallel()
	w := newCrisisWorld(t, harnessOpts{workers: true, env: map[string]string{"KINDRED_CRISIS_ACK_MINUTES": "10"}})
	h := w.h
	h.account("riley", models.RoleMember)
	waiting := h.thread("riley", w.forum, "Quiet evening", highText, false)
	handled := h.thread("riley", w.forum, "Another night", highText, false)
	decided := h.thread("riley", w.forum, "Third night", highText, false)
	here := signedIn(h, "mod_here")
	here.get("/moderation/thread/" + itoa(handled.ID))
	if r := here.post("/moderation/thread/"+itoa(handled.ID)+"/acknowledge", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("acknowledge: %d", r.StatusCode)
	}
	// A careless moderator dismisses a crisis item without the follow-up
	// steps: the decision still counts as its acknowledgement (who, when)
	// and closes it, so it is not escalated and its wait is recorded.
	h.clock.Advance(3 * time.Minute)
	here.get("/moderation/thread/" + itoa(decided.ID))
	if r := here.post("/moderation/thread/"+itoa(decided.ID)+"/dismiss", url.Values{"reason": {"Looked at it."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d %s", r.StatusCode, r.body)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM crisis_followups f JOIN reports r ON r.id = f.report_id
		WHERE r.target_id = ? AND f.acknowledged_by IS NOT NULL AND f.ack_seconds BETWEEN 170 AND 200 AND f.closed_at IS NOT NULL`, decided.ID); n != 1 {
		t.Errorf("a dismissed crisis item has no acknowledgement or is still open (%d rows)", n)
	}
	sweep := func() int {
		n, err := h.app.Moderation.SweepCrisis(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	h.clock.Advance(6 * time.Minute) // 9 minutes in all
	if n := sweep(); n != 0 || notifCount(t, h, "boss", models.NotifyCrisisUnacknowledged) != 0 {
		t.Fatalf("escalated before the time: %d", n)
	}
	h.clock.Advance(2 * time.Minute)
	sweep() // River's periodic sweep may have run it first: count in the table
	if n := countWhere(t, h, `SELECT count(*) FROM crisis_followups WHERE escalated_at IS NOT NULL`); n != 1 {
		t.Fatalf("%d escalated, want 1", n)
	}
	if n := sweep(); n != 0 {
		t.Errorf("escalated again: %d", n)
	}
	if notifCount(t, h, "boss", models.NotifyCrisisUnacknowledged) != 1 || notifCount(t, h, "mod_on", models.NotifyCrisisUnacknowledged) != 0 {
		t.Error("the admins are not alerted exactly once (and moderators not at all)")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM crisis_followups f JOIN reports r ON r.id = f.report_id WHERE f.escalated_at IS NOT NULL AND r.target_id = ?`, waiting.ID); n != 1 {
		t.Error("the waiting item is not the one escalated")
	}
	if !strings.Contains(signedIn(h, "boss").get("/notifications").body, "An urgent item has not been acknowledged in time") {
		t.Error("the admin's notification does not say what happened")
	}
	m := h.mailbox.Wait(t, "boss@example.org", "has not been acknowledged", 20*time.Second)
	notMentioned(t, "the escalation e-mail", m.Subject+m.Body, "pills", "asleep", "Quiet evening", "riley", "mind")
	if !strings.Contains(signedIn(h, "mod_on").get("/moderation/thread/"+itoa(waiting.ID)).body, "admins alerted") {
		t.Error("the item does not show the escalation")
	}
}

// TestFindingsStoredWithoutText: the engine's findings behind a report are
// stored with category, level, spans, rule and engine version but no word
// of the text; moderators see why, with the evidence marked in the text;
// an edit adds findings for the new text.
func TestFindingsStoredWithoutText(t *testing.T) {
	t.Parallel()
	w := newCrisisWorld(t, harnessOpts{})
	h := w.h
	h.account("riley", models.RoleMember)
	th := h.thread("riley", w.forum, "Quiet evening", "<b>Dear all</b> "+highText, false)
	post := h.reply("riley", th.ID, mediumText, false)

	var rows []map[string]any
	h.app.DB.Gorm.Raw(`SELECT * FROM safety_findings`).Scan(&rows)
	if len(rows) < 3 {
		t.Fatalf("%d findings stored", len(rows))
	}
	for _, r := range rows {
		var cols []string
		for k, v := range r {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			cols = append(cols, fmt.Sprintf("%s=%v", k, v))
		}
		notMentioned(t, "a stored finding", strings.Join(cols, " "), "pills", "asleep", "Goodbye", "better off", "Quiet evening", "Dear all")
		if r["engine_version"] != safety.Version {
			t.Errorf("engine version %v", r["engine_version"])
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM safety_findings f JOIN reports r ON r.id = f.report_id
		WHERE f.target_kind = 'thread' AND f.target_id = ? AND f.level = 'high' AND f.category = 'method_means' AND jsonb_array_length(f.spans) > 0`, th.ID); n != 1 {
		t.Error("the finding behind the report is not stored with its spans")
	}

	mod := signedIn(h, "mod_here")
	page := mod.get("/moderation/thread/" + itoa(th.ID)).body
	if !strings.Contains(page, "Why Kindred flagged this") || !strings.Contains(page, "method_means") || !strings.Contains(page, "crisis.en.method_means") ||
		!strings.Contains(page, "<mark>pills lined up</mark>") || !strings.Contains(page, "&lt;b&gt;Dear all&lt;/b&gt;") {
		t.Errorf("the item does not show why, escaped and marked:\n%s", page)
	}
	tok := mod.token("read")
	a := h.api("GET", "/api/v1/moderation/items/post/"+itoa(post.ID), tok, nil)
	fs, _ := a.Body["findings"].([]any)
	if a.Status != http.StatusOK || len(fs) == 0 || fs[0].(map[string]any)["category"] != "passive_death_wish" || !strings.Contains(fmt.Sprint(a.Body["evidence_html"]), "<mark>") {
		t.Fatalf("API item: %d %s", a.Status, a.Raw)
	}

	// An edit to self-harm adds findings for the new version.
	h.clock.Advance(time.Minute)
	author := signedIn(h, "riley")
	author.get("/posts/" + itoa(post.ID) + "/edit")
	r := author.post("/posts/"+itoa(post.ID)+"/edit", url.Values{"body": {"Honestly, I started cutting again last night."}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "How are you doing right now?") || !strings.Contains(r.body, "Your changes are saved.") {
		t.Fatalf("crisis edit: %d", r.StatusCode)
	}
	page = mod.get("/moderation/post/" + itoa(post.ID)).body
	if !strings.Contains(page, "self_harm") || !strings.Contains(page, "<mark>") || !strings.Contains(page, "(an earlier text)") {
		t.Errorf("the edit's findings are not shown with the new text:\n%s", page)
	}
	if n := countWhere(t, h, `SELECT count(DISTINCT created_at) FROM safety_findings WHERE target_kind = 'post' AND target_id = ?`, post.ID); n != 2 {
		t.Errorf("%d versions of findings for the edited post", n)
	}
}

// TestBrowserCrisisJourney: an author who writes of imminent danger sees
// the resources at once; a moderator finds the item at the top of the
// queue, sees why it was flagged, and acknowledges, notes and closes it
// with the keyboard; the admin's forum form shows the mapping. Every page
// passes axe.
func TestBrowserCrisisJourney(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("mind", func(f *forums.ForumForm) { f.Sensitive = true })
	h.app.DB.Gorm.Exec(`DELETE FROM watched_words`)
	h.account("still_here", models.RoleMember)
	h.account("mod_ana", models.RoleModerator)
	h.account("boss", models.RoleAdmin)
	p := newPage(t, h)

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "still_here", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Navigate(p.url + "/f/mind/new"))
	p.waitText("Start a thread")
	p.submit(`form[action="/f/mind/threads"]`, "title", "Quiet evening", "body", highText)
	p.waitText("Support, right now")
	p.checkA11y("crisis resources after posting")
	p.do(chromedp.Click(chromedp.CSS(`a.button-secondary[href^="/t/"]`)))
	p.waitText("Quiet evening")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "mod_ana", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Navigate(p.url + "/moderation"))
	p.waitText("Urgent, at risk:")
	p.checkA11y("review queue with a crisis item")
	p.do(chromedp.Click(chromedp.CSS(`a[href^="/moderation/thread/"]`)))
	p.waitText("Why Kindred flagged this")
	p.checkA11y("crisis item waiting")
	p.do(chromedp.Focus(chromedp.CSS(`form[action$="/acknowledge"] button`)), chromedp.KeyEvent("\r"))
	p.waitText("Acknowledged: the other moderators see that you are on it.")
	p.checkA11y("crisis item acknowledged")
	p.do(chromedp.Click(chromedp.CSS(`form[action$="/close_crisis"] button`)))
	p.waitText("Tick the box")
	p.checkA11y("crisis item, close not confirmed")
	p.do(chromedp.SendKeys(chromedp.ID("reached-out-note"), "Sent a private message with the crisis line."),
		chromedp.Click(chromedp.CSS(`form[action$="/reached_out"] button`)))
	p.waitText("Your note is saved.")
	p.do(chromedp.Focus(chromedp.ID("confirm_close")), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS(`form[action$="/close_crisis"] button`)), chromedp.KeyEvent("\r"))
	p.waitText("The crisis item is closed.")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)))
	p.waitText("You are signed out.")

	p.do(chromedp.Navigate(p.url + "/signin"))
	p.submit(`form[action="/signin"]`, "login", "boss", "password", goodPassword)
	p.waitText("My forums")
	p.do(chromedp.Navigate(p.url + "/admin/forums/" + itoa(h.lastForumID()) + "/edit"))
	p.waitText("When the crisis detector fires")
	p.checkA11y("forum form with the crisis mapping")
}

func (h *harness) lastForumID() int64 {
	var id int64
	h.app.DB.Gorm.Raw(`SELECT max(id) FROM forums`).Scan(&id)
	return id
}

// TestCrisisPanelForHeldPost: a new member's first post waits for approval;
// the check-in says so instead of calling it published, and the moderators
// get both the approval and the self-harm report.
func TestCrisisPanelForHeldPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "1"}})
	h.forum("mind", func(f *forums.ForumForm) { f.Sensitive = true })
	h.app.DB.Gorm.Exec(`DELETE FROM watched_words`)
	b := h.member("first_timer")
	b.get("/f/mind/new")
	r := b.post("/f/mind/threads", url.Values{"title": {"Hello"}, "body": {mediumText}})
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "How are you doing right now?") ||
		!strings.Contains(r.body, "waits for a moderator's approval") || strings.Contains(r.body, "is published") {
		t.Fatalf("held crisis post: %d\n%s", r.StatusCode, r.body)
	}
	if n := countWhere(t, h, `SELECT count(DISTINCT reason) FROM reports WHERE reporter_id IS NULL AND reason IN ('self_harm', 'other')`); n != 2 {
		t.Errorf("%d kinds of reports, want approval and self-harm", n)
	}
}

// TestDutyToggleAndCrisisStepsByRole: going on or off duty and the crisis
// steps, by role: visitors must sign in (401), members
// are refused, forms without the CSRF token are refused, and a forum's own
// moderator may toggle their duty.
func TestDutyToggleAndCrisisStepsByRole(t *testing.T) {
	t.Parallel()
	w := newCrisisWorld(t, harnessOpts{})
	h := w.h
	h.account("riley", models.RoleMember)
	th := h.thread("riley", w.forum, "Quiet evening", highText, false)
	ack := "/moderation/thread/" + itoa(th.ID) + "/acknowledge"

	visitor := h.browser()
	visitor.get("/signin")
	for _, path := range []string{"/moderation/duty", ack} {
		r := visitor.post(path, url.Values{"on": {"0"}})
		if r.StatusCode != http.StatusUnauthorized && !(r.StatusCode == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/signin")) {
			t.Errorf("visitor %s: %d %s", path, r.StatusCode, r.Header.Get("Location"))
		}
	}
	if a := h.api("GET", "/api/v1/moderation/duty", "", nil); a.Status != http.StatusUnauthorized {
		t.Errorf("API visitor: %d", a.Status)
	}
	member := signedIn(h, "riley")
	if r := member.post("/moderation/duty", url.Values{"on": {"0"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("member off duty: %d", r.StatusCode)
	}
	if a := h.api("GET", "/api/v1/moderation/duty", member.token("read"), nil); a.Status != http.StatusForbidden {
		t.Errorf("API member reads duty: %d", a.Status)
	}
	here := signedIn(h, "mod_here")
	if r := here.post("/moderation/duty", url.Values{"on": {"0"}, "csrf_token": {"forged"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("off duty without the CSRF token: %d", r.StatusCode)
	}
	if !h.userOnDuty("mod_here") {
		t.Fatal("a refused request changed the duty")
	}
	here.get("/moderation")
	if r := here.post("/moderation/duty", url.Values{"on": {"0"}}); r.StatusCode != http.StatusSeeOther || h.userOnDuty("mod_here") {
		t.Errorf("forum moderator off duty: %d", r.StatusCode)
	}
	tok := here.token("write")
	if a := h.api("DELETE", "/api/v1/moderation/duty", tok, nil); a.Status != http.StatusOK || a.Body["on_duty"] != false {
		t.Errorf("API off duty: %d %s", a.Status, a.Raw)
	}
	if a := h.api("PUT", "/api/v1/moderation/duty", tok, nil); a.Status != http.StatusOK || a.Body["on_duty"] != true || !h.userOnDuty("mod_here") {
		t.Errorf("API on duty: %d %s", a.Status, a.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM audit_events WHERE action IN ('moderation.on_duty', 'moderation.off_duty') AND actor_id = ?`, h.user("mod_here").ID); n != 3 {
		t.Errorf("%d duty changes audited, want 3", n)
	}
	// A crisis step on content without a crisis item is not found.
	calm := h.thread("riley", w.forum, "Sleep tips", "What helps you fall asleep?", false)
	if a := h.api("POST", "/api/v1/moderation/items/thread/"+itoa(calm.ID)+"/acknowledge", tok, map[string]any{}); a.Status != http.StatusNotFound {
		t.Errorf("acknowledge without a crisis item: %d", a.Status)
	}
}

func (h *harness) userOnDuty(handle string) bool {
	var on bool
	h.app.DB.Gorm.Raw(`SELECT on_duty FROM users WHERE lower(handle) = lower(?)`, handle).Scan(&on)
	return on
}
