package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/messages"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// messagesHarness: posts are visible at once and two posts open messages,
// so the tests can say exactly when a member may start a conversation.
func messagesHarness(t *testing.T) *harness {
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0", "KINDRED_MESSAGES_MIN_POSTS": "2"}})
	h.forum("heart", nil)
	return h
}

func (h *harness) posts(handle string, n int) {
	h.t.Helper()
	th := h.thread(handle, h.forumBySlug("heart"), "Getting used to a new heart rhythm", "Some days are better than others for me.", false)
	for i := 1; i < n; i++ {
		h.reply(handle, th.ID, fmt.Sprintf("Another small update, number %d.", i), false)
	}
}

func (h *harness) messageCount() int64 { return h.count("messages") }

func errCode(r apiResp) string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func errField(r apiResp, field string) string {
	e, _ := r.Body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	s, _ := f[field].(string)
	return s
}

func TestMessagesBetweenMembersFollowTheSafetyRules(t *testing.T) {
	t.Parallel()
	h := messagesHarness(t)
	for _, m := range []string{"ana", "ben", "cal", "dan"} {
		h.account(m, models.RoleMember)
	}
	h.posts("ana", 2)
	h.posts("dan", 2)
	ana, ben, cal, dan := h.tokenFor("ana", "write"), h.tokenFor("ben", "write"), h.tokenFor("cal", "write"), h.tokenFor("dan", "write")

	// A member with no posts cannot start a conversation: the answer says
	// why, and nothing is written.
	r := h.api("POST", "/api/v1/messages", ben, map[string]any{"to": "ana", "body": "Hi, I read your thread."})
	if r.Status != http.StatusUnprocessableEntity || errCode(r) != "too_new" || !strings.Contains(errField(r, "to"), "2 posts") {
		t.Fatalf("new member starting a conversation: %d %s", r.Status, r.Raw)
	}
	if h.messageCount() != 0 || h.count("conversations") != 0 {
		t.Fatal("a refused message left rows behind")
	}
	// The page says so before ben writes anything, and the form refuses too.
	bn := h.browser()
	bn.signIn("ben", goodPassword)
	if page := bn.get("/messages/new?to=ana"); page.StatusCode != http.StatusOK || !strings.Contains(page.body, "once you have 2 posts") || strings.Contains(page.body, `<textarea id="body"`) {
		t.Fatalf("new-message page for a new member: %d", page.StatusCode)
	}
	if page := bn.post("/messages", url.Values{"to": {"ana"}, "body": {"Hi there"}}); page.StatusCode != http.StatusUnprocessableEntity || h.messageCount() != 0 {
		t.Fatalf("new member through the form: %d", page.StatusCode)
	}
	// Bad input: unknown member, empty body, oneself, an unknown field.
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"to": "nobody_here", "body": "Hello"}, "to"},
		{map[string]any{"to": "ben", "body": "   "}, "body"},
		{map[string]any{"to": "ana", "body": "Hello me"}, "to"},
		{map[string]any{"to": "ben", "body": strings.Repeat("a", messages.BodyMax+1)}, "body"},
	} {
		r := h.api("POST", "/api/v1/messages", ana, c.body)
		if r.Status != http.StatusUnprocessableEntity || errField(r, c.field) == "" {
			t.Errorf("%v: want 422 on %s, got %d %s", c.body["to"], c.field, r.Status, r.Raw)
		}
	}
	if r := h.api("POST", "/api/v1/messages", ana, map[string]any{"to": "ben", "body": "Hi", "sneaky": true}); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown field: %d", r.Status)
	}

	// ana, who has posted, writes to ben: one conversation, one
	// notification for ben however many messages arrive before he reads.
	r = h.api("POST", "/api/v1/messages", ana, map[string]any{"to": "ben", "body": "Hi Ben, I saw your question about the monitor. Happy to share what helped me."})
	if r.Status != http.StatusCreated {
		t.Fatalf("ana to ben: %d %s", r.Status, r.Raw)
	}
	conv := int64(r.Body["conversation_id"].(float64))
	if r := h.api("POST", "/api/v1/messages", ana, map[string]any{"to": "ben", "body": "Also: the nurse line was really kind to me."}); r.Status != http.StatusCreated || int64(r.Body["conversation_id"].(float64)) != conv {
		t.Fatalf("a second first message should land in the same conversation: %d %s", r.Status, r.Raw)
	}
	var notes int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM notifications WHERE user_id = ? AND kind = 'message' AND conversation_id = ?`, h.user("ben").ID, conv).Scan(&notes)
	if notes != 1 {
		t.Fatalf("ben has %d message notifications, want 1 for the conversation", notes)
	}
	inbox := h.api("GET", "/api/v1/messages", ben, nil)
	convs := inbox.Body["conversations"].([]any)
	if len(convs) != 1 || convs[0].(map[string]any)["with"] != "ana" || convs[0].(map[string]any)["unread"].(float64) != 2 {
		t.Fatalf("ben's inbox: %s", inbox.Raw)
	}

	// ben, with no posts, may answer someone who wrote to him (HTML form).
	bb := h.browser()
	bb.signIn("ben", goodPassword)
	page := bb.get(fmt.Sprintf("/messages/%d", conv))
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "the nurse line was really kind") || page.Header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("ben's conversation page: %d %q", page.StatusCode, page.Header.Get("Cache-Control"))
	}
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM notifications WHERE user_id = ? AND conversation_id = ? AND read_at IS NULL`, h.user("ben").ID, conv).Scan(&notes)
	if notes != 0 {
		t.Fatal("opening the conversation left its notification unread")
	}
	if r := bb.post(fmt.Sprintf("/messages/%d", conv), url.Values{"body": {"Thank you, that means a lot."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ben's reply: %d %s", r.StatusCode, r.body)
	}
	// The form is re-shown with the text kept when something is wrong.
	if r := bb.post(fmt.Sprintf("/messages/%d", conv), url.Values{"body": {""}}); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Write your message") {
		t.Fatalf("empty reply: %d", r.StatusCode)
	}
	// Without a CSRF token, nothing is sent.
	before := h.messageCount()
	if r := bb.postRaw(fmt.Sprintf("/messages/%d", conv), url.Values{"body": {"No token"}}); r.StatusCode != http.StatusForbidden || h.messageCount() != before {
		t.Fatalf("reply without CSRF token: %d", r.StatusCode)
	}

	// Nobody else reads it: another member, a moderator, a visitor get
	// the same 404 as for a conversation that does not exist.
	h.account("mod_mo", models.RoleModerator)
	for who, tok := range map[string]string{"cal": cal, "mod_mo": h.tokenFor("mod_mo", "read"), "visitor": ""} {
		for _, path := range []string{fmt.Sprintf("/api/v1/messages/%d", conv), "/api/v1/messages/999999"} {
			r := h.api("GET", path, tok, nil)
			if (who == "visitor" && r.Status != http.StatusUnauthorized) || (who != "visitor" && r.Status != http.StatusNotFound) {
				t.Errorf("%s GET %s: %d", who, path, r.Status)
			}
		}
		if who != "visitor" {
			if r := h.api("POST", fmt.Sprintf("/api/v1/messages/%d", conv), tok, map[string]any{"body": "let me in"}); r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
				t.Errorf("%s writing into the conversation: %d", who, r.Status)
			}
		}
	}
	if r := h.browser().get(fmt.Sprintf("/messages/%d", conv)); r.StatusCode != http.StatusNotFound {
		t.Errorf("a visitor opening the conversation page: %d", r.StatusCode)
	}

	// ben accepts messages from nobody: ana is refused with a message that
	// says no more than that.
	if r := h.api("PUT", "/api/v1/me/message-settings", ben, map[string]any{"accept": "sometimes"}); r.Status != http.StatusUnprocessableEntity || errField(r, "accept") == "" {
		t.Fatalf("bad setting: %d %s", r.Status, r.Raw)
	}
	if r := h.api("PUT", "/api/v1/me/message-settings", ben, map[string]any{"accept": "nobody"}); r.Status != http.StatusOK {
		t.Fatalf("setting: %d %s", r.Status, r.Raw)
	}
	before = h.messageCount()
	r = h.api("POST", fmt.Sprintf("/api/v1/messages/%d", conv), ana, map[string]any{"body": "Are you still there?"})
	if r.Status != http.StatusUnprocessableEntity || errCode(r) != "not_accepting" || h.messageCount() != before {
		t.Fatalf("message to someone who accepts nobody: %d %s", r.Status, r.Raw)
	}
	refusal := r.Body["error"].(map[string]any)["message"]
	if v := h.api("GET", fmt.Sprintf("/api/v1/messages/%d", conv), ana, nil); v.Body["can_reply"] != false {
		t.Errorf("ana's page still offers a reply form: %s", v.Raw)
	}

	// Only people ben follows: dan may not start; once ben follows dan he
	// may. ana may go on, because ben has written in their conversation.
	h.api("PUT", "/api/v1/me/message-settings", ben, map[string]any{"accept": "followed"})
	if r := h.api("POST", "/api/v1/messages", dan, map[string]any{"to": "ben", "body": "Hello from another heart patient."}); r.Status != http.StatusUnprocessableEntity || errCode(r) != "not_accepting" {
		t.Fatalf("dan to ben before ben follows him: %d %s", r.Status, r.Raw)
	}
	if r := h.api("PUT", "/api/v1/members/dan/follow", ben, nil); r.Status != http.StatusNoContent {
		t.Fatalf("follow: %d %s", r.Status, r.Raw)
	}
	if r := h.api("POST", "/api/v1/messages", dan, map[string]any{"to": "ben", "body": "Hello from another heart patient."}); r.Status != http.StatusCreated {
		t.Fatalf("dan to ben once followed: %d %s", r.Status, r.Raw)
	}
	if r := h.api("POST", fmt.Sprintf("/api/v1/messages/%d", conv), ana, map[string]any{"body": "Glad it helped."}); r.Status != http.StatusCreated {
		t.Fatalf("ana in a conversation ben wrote in: %d %s", r.Status, r.Raw)
	}

	// A mute silences someone for good, and the refusal reads the same as
	// a setting: the muted member cannot tell.
	h.api("PUT", "/api/v1/me/message-settings", ben, map[string]any{"accept": "everyone"})
	if r := h.api("PUT", "/api/v1/members/ana/mute", ben, nil); r.Status != http.StatusNoContent {
		t.Fatalf("mute: %d", r.Status)
	}
	r = h.api("POST", fmt.Sprintf("/api/v1/messages/%d", conv), ana, map[string]any{"body": "Hello?"})
	if r.Status != http.StatusUnprocessableEntity || r.Body["error"].(map[string]any)["message"] != refusal {
		t.Fatalf("muted writer: %d %s (want the same words as %q)", r.Status, r.Raw, refusal)
	}
	h.api("DELETE", "/api/v1/members/ana/mute", ben, nil)

	// Blocked words refuse a message; personal data must be confirmed.
	if err := h.app.Moderation.SaveWord(context.Background(), h.actor(h.user(h.ensureAdmin())), "miracle cure", safety.ActionBlock); err != nil {
		t.Fatal(err)
	}
	before = h.messageCount()
	r = h.api("POST", fmt.Sprintf("/api/v1/messages/%d", conv), ana, map[string]any{"body": "I sell a miracle cure, write back."})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(errField(r, "body"), "miracle cure") {
		t.Fatalf("blocked word: %d %s", r.Status, r.Raw)
	}
	phone := "You can call me on 07700 900123 any evening."
	r = h.api("POST", fmt.Sprintf("/api/v1/messages/%d", conv), ana, map[string]any{"body": phone})
	if r.Status != http.StatusUnprocessableEntity || errCode(r) != "personal_data" || h.messageCount() != before {
		t.Fatalf("personal data unconfirmed: %d %s", r.Status, r.Raw)
	}
	if r := h.api("POST", fmt.Sprintf("/api/v1/messages/%d", conv), ana, map[string]any{"body": phone, "confirm_personal_data": true}); r.Status != http.StatusCreated {
		t.Fatalf("personal data confirmed: %d %s", r.Status, r.Raw)
	}
	// The HTML form asks for the same confirmation, keeping the text.
	ab := h.browser()
	ab.signIn("ana", goodPassword)
	page = ab.post("/messages", url.Values{"to": {"ben"}, "body": {"My address is 12 Elm Street, Leeds LS1 4AB if you want to send the leaflet."}})
	if page.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page.body, "confirm_personal_data") || !strings.Contains(page.body, "12 Elm Street") {
		t.Fatalf("HTML personal data: %d", page.StatusCode)
	}
	// A member cannot write as the moderators.
	if r := h.api("POST", "/api/v1/messages", ana, map[string]any{"to": "cal", "body": "Official notice", "as_moderator": true}); r.Status != http.StatusUnprocessableEntity || errField(r, "as_moderator") == "" {
		t.Fatalf("member writing as moderators: %d %s", r.Status, r.Raw)
	}
}

func TestReportedMessageAloneIsReadableToStaff(t *testing.T) {
	t.Parallel()
	h := messagesHarness(t)
	for _, m := range []string{"ana", "ben", "cal"} {
		h.account(m, models.RoleMember)
	}
	h.account("mod_mo", models.RoleModerator)
	h.account("fmod", models.RoleMember)
	h.makeForumModerator("fmod", h.forumBySlug("heart"))
	h.posts("ana", 2)
	ana, ben := h.tokenFor("ana", "write"), h.tokenFor("ben", "write")
	r := h.api("POST", "/api/v1/messages", ana, map[string]any{"to": "ben", "body": "canaryfirst I hope the new tablets suit you."})
	conv := int64(r.Body["conversation_id"].(float64))
	first := int64(r.Body["message_id"].(float64))
	r = h.api("POST", "/api/v1/messages", ana, map[string]any{"to": "ben", "body": "canarysecond you are pathetic and everyone here hates you"})
	second := int64(r.Body["message_id"].(float64))

	mod := h.browser()
	mod.signIn("mod_mo", goodPassword)
	fm := h.browser()
	fm.signIn("fmod", goodPassword)
	if r := mod.get(fmt.Sprintf("/moderation/message/%d", second)); r.StatusCode != http.StatusNotFound || strings.Contains(r.body, "canary") {
		t.Fatalf("staff read an unreported message: %d", r.StatusCode)
	}
	// Only someone in the conversation may report it, and not their own.
	if r := h.api("POST", "/api/v1/reports", h.tokenFor("cal", "write"), map[string]any{"kind": "message", "id": second, "reason": "harassment"}); r.Status != http.StatusNotFound {
		t.Fatalf("an outsider reporting a message: %d %s", r.Status, r.Raw)
	}
	if r := h.api("POST", "/api/v1/reports", ana, map[string]any{"kind": "message", "id": second, "reason": "harassment"}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("reporting one's own message: %d %s", r.Status, r.Raw)
	}
	if r := h.api("POST", "/api/v1/reports", ben, map[string]any{"kind": "message", "id": second, "reason": "harassment", "note": "She keeps writing this"}); r.Status != http.StatusCreated {
		t.Fatalf("ben reporting: %d %s", r.Status, r.Raw)
	}
	// The reported message, and only it, opens to staff; never to a
	// forum moderator.
	item := mod.get(fmt.Sprintf("/moderation/message/%d", second))
	if item.StatusCode != http.StatusOK || !strings.Contains(item.body, "canarysecond") || strings.Contains(item.body, "canaryfirst") || strings.Contains(item.body, ">ben<") {
		t.Fatalf("staff item for the reported message: %d", item.StatusCode)
	}
	if r := mod.get(fmt.Sprintf("/moderation/message/%d", first)); r.StatusCode != http.StatusNotFound {
		t.Fatalf("the unreported message of the same conversation: %d", r.StatusCode)
	}
	if r := fm.get(fmt.Sprintf("/moderation/message/%d", second)); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a forum moderator reading a reported message: %d", r.StatusCode)
	}
	// The people in the conversation see that a moderator read it.
	if v := h.api("GET", fmt.Sprintf("/api/v1/messages/%d", conv), ben, nil); len(v.Body["moderator_reads"].([]any)) != 1 {
		t.Fatalf("the read is not shown to the participants: %s", v.Raw)
	}
	// Once decided, it closes again.
	if r := mod.post(fmt.Sprintf("/moderation/message/%d/dismiss", second), url.Values{"reason": {"Handled with a warning"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("dismiss: %d %s", r.StatusCode, r.body)
	}
	if r := mod.get(fmt.Sprintf("/moderation/message/%d", second)); r.StatusCode != http.StatusNotFound {
		t.Fatalf("a decided report still opens the message: %d", r.StatusCode)
	}
}

func TestCrisisInAMessageAlertsModeratorsWithoutTheText(t *testing.T) {
	t.Parallel()
	h := messagesHarness(t)
	for _, m := range []string{"ana", "ben"} {
		h.account(m, models.RoleMember)
	}
	h.account("mod_mo", models.RoleModerator)
	h.account("mod_two", models.RoleModerator)
	h.posts("ana", 2)
	ab := h.browser()
	ab.signIn("ana", goodPassword)
	text := "canarycrisis I have the pills counted out and I am going to take them all tonight, nobody will miss me"
	r := ab.post("/messages", url.Values{"to": {"ben"}, "body": {text}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/support?next=%2Fmessages%2F") {
		t.Fatalf("crisis message: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
	support := ab.get(r.Header.Get("Location"))
	if !strings.Contains(support.body, "the moderators cannot read it") {
		t.Fatalf("the support page does not say what happens: %s", support.body)
	}
	var reps []models.Report
	h.app.DB.Gorm.Where("target_kind = ? AND target_id = ?", models.TargetUser, h.user("ana").ID).Find(&reps)
	if len(reps) != 1 || reps[0].Reason != models.ReasonSelfHarm || reps[0].Priority != 2 || strings.Contains(reps[0].Note, "canary") {
		t.Fatalf("crisis report: %+v", reps)
	}
	var alerts int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM notifications WHERE kind = ? AND report_id = ?`, models.NotifyReportUrgent, reps[0].ID).Scan(&alerts)
	if alerts == 0 {
		t.Fatal("no moderator on duty was alerted")
	}
	// The API says the same, and a second message files no second report.
	r2 := h.api("POST", "/api/v1/messages", h.tokenFor("ana", "write"), map[string]any{"to": "ben", "body": "canarycrisis I can't do this anymore, I want to die"})
	if r2.Status != http.StatusCreated || r2.Body["crisis"] != true || r2.Body["crisis_resources"] == nil {
		t.Fatalf("API crisis: %d %s", r2.Status, r2.Raw)
	}
	if n := h.count("reports"); n != 1 {
		t.Fatalf("%d reports: a member in distress filled the queue", n)
	}
	// ben, who received it, is told what he can do.
	bb := h.browser()
	bb.signIn("ben", goodPassword)
	if page := bb.get(fmt.Sprintf("/messages/%d", int64(r2.Body["conversation_id"].(float64)))); !strings.Contains(page.body, "may be going through a very hard time") ||
		!strings.Contains(page.body, "call your local emergency number") {
		t.Fatalf("the reader of a crisis message is not told what to do: %d", page.StatusCode)
	}
	// The moderator's item names the member, not the message, and offers a
	// check-in.
	mod := h.browser()
	mod.signIn("mod_mo", goodPassword)
	item := mod.get(fmt.Sprintf("/moderation/user/%d", h.user("ana").ID))
	if item.StatusCode != http.StatusOK || strings.Contains(item.body, "canarycrisis") || !strings.Contains(item.body, "/messages/new?to=ana&amp;moderator=1") {
		t.Fatalf("moderator's item: %d", item.StatusCode)
	}
	// ana turned messages off, but the moderators can still check in.
	h.api("PUT", "/api/v1/me/message-settings", h.tokenFor("ana", "write"), map[string]any{"accept": "nobody"})
	r = mod.post("/messages", url.Values{"to": {"ana"}, "as_moderator": {"on"}, "subject": {"Checking in"}, "body": {"Hi ana, I'm one of the moderators. How are you doing right now? You can answer here."}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("moderator check-in: %d %s", r.StatusCode, r.body)
	}
	var check int64
	h.app.DB.Gorm.Raw(`SELECT id FROM conversations WHERE kind = 'moderators' AND member_id = ?`, h.user("ana").ID).Scan(&check)
	page := ab.get(fmt.Sprintf("/messages/%d", check))
	if page.StatusCode != http.StatusOK || !strings.Contains(page.body, "From the moderators") || !strings.Contains(page.body, "How are you doing") {
		t.Fatalf("ana's check-in page: %d", page.StatusCode)
	}
	if r := ab.post(fmt.Sprintf("/messages/%d", check), url.Values{"body": {"Thank you. I called the helpline."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("ana's answer: %d", r.StatusCode)
	}
	// Another global moderator sees the team's conversation and can answer;
	// ben cannot see it at all.
	two := h.tokenFor("mod_two", "write")
	in := h.api("GET", "/api/v1/messages", two, nil)
	if team, _ := in.Body["team"].([]any); len(team) != 1 {
		t.Fatalf("the team list: %s", in.Raw)
	}
	if r := h.api("POST", fmt.Sprintf("/api/v1/messages/%d", check), two, map[string]any{"body": "I'm glad you did. We're here."}); r.Status != http.StatusCreated {
		t.Fatalf("second moderator answering: %d %s", r.Status, r.Raw)
	}
	if r := h.api("GET", fmt.Sprintf("/api/v1/messages/%d", check), h.tokenFor("ben", "read"), nil); r.Status != http.StatusNotFound {
		t.Fatalf("ben reading the check-in: %d", r.Status)
	}
}

func TestMessageEmailNeverCarriesTheText(t *testing.T) {
	t.Parallel()
	h := messagesHarness(t)
	h.account("ana", models.RoleMember)
	h.account("ben", models.RoleMember)
	h.posts("ana", 2)
	ctx := context.Background()
	all := map[string]string{}
	for _, c := range notify.Categories {
		all[c.Key] = notify.ModeImmediately
	}
	if err := h.app.Mail.SetPreferences(ctx, h.user("ben").ID, all); err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Messages.Start(ctx, h.actor(h.user("ana")), messages.StartForm{To: "ben", Body: "canarymsg my cardiologist said the ablation went well"}); err != nil {
		t.Fatal(err)
	}
	h.mailNow()
	got := onlyMail(t, h.mailbox, "ben@example.org", 1)
	whole := strings.ToLower(got[0].Subject + got[0].Body + got[0].HTML)
	for _, canary := range []string{"canarymsg", "cardiologist", "ablation", "ana"} {
		if strings.Contains(whole, canary) {
			t.Errorf("the e-mail carries %q:\n%s", canary, got[0].Body)
		}
	}
	if !strings.Contains(got[0].Subject, "new message") || !strings.Contains(got[0].Body, "/messages/") {
		t.Errorf("the e-mail does not say a message arrived: %q\n%s", got[0].Subject, got[0].Body)
	}
	// Turning the category off stops them.
	all["messages"] = notify.ModeNever
	if err := h.app.Mail.SetPreferences(ctx, h.user("ben").ID, all); err != nil {
		t.Fatal(err)
	}
	h.app.DB.Gorm.Exec(`UPDATE notifications SET read_at = now() WHERE user_id = ?`, h.user("ben").ID)
	if _, err := h.app.Messages.Start(ctx, h.actor(h.user("ana")), messages.StartForm{To: "ben", Body: "Another note"}); err != nil {
		t.Fatal(err)
	}
	h.mailNow()
	onlyMail(t, h.mailbox, "ben@example.org", 1)
}

// A member writes from a profile with the keyboard; the recipient finds it
// in Messages; every messages page passes axe-core.
func TestBrowserPrivateMessages(t *testing.T) {
	t.Parallel()
	h := messagesHarness(t)
	h.account("bm_ana", models.RoleMember)
	h.account("bm_ben", models.RoleMember)
	h.posts("bm_ana", 2)

	p := newPage(t, h)
	p.signIn("bm_ana")
	p.visit("/members/bm_ben", "Send bm_ben a message")
	p.do(chromedp.Click(chromedp.CSS(`a[href="/messages/new?to=bm_ben"]`)))
	p.waitText("New message")
	p.checkA11yAll("new message")
	p.do(chromedp.SendKeys(chromedp.ID("body"), "Hello from the heart forum, how did the appointment go?"),
		chromedp.Focus(chromedp.CSS(`form[action="/messages"] button[type=submit]`)), chromedp.KeyEvent("\r"))
	p.waitText("Sent.")
	p.waitText("how did the appointment go?")
	p.checkA11yAll("conversation")
	p.visit("/messages", "Last message")
	p.visit("/account/messages", "Who may start a conversation with you")
	p.checkA11yAll("message settings")
	p.do(chromedp.Focus(chromedp.ID("accept-followed")), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS(`form[action="/account/messages"] button`)), chromedp.KeyEvent("\r"))
	p.waitText("Only members you follow can start a conversation with you.")

	q := newPage(t, h)
	q.signIn("bm_ben")
	q.visit("/messages", "bm_ana")
	q.checkA11yAll("inbox")
	q.do(chromedp.Click(chromedp.CSS(`ol.conversations a`)))
	q.waitText("how did the appointment go?")
	q.submit(`form[action^="/messages/"]`, "body", "It went well, thank you for asking.")
	q.waitText("Sent.")
}

// Ten new conversations a day: the eleventh is refused with Retry-After,
// and nothing is written; answering in an existing one still works.
func TestNewConversationsAreRateLimited(t *testing.T) {
	t.Parallel()
	h := messagesHarness(t)
	h.account("rl_ana", models.RoleMember)
	h.posts("rl_ana", 2)
	tok := h.tokenFor("rl_ana", "write")
	var first int64
	for i := 0; i <= messages.StartLimit.Max; i++ {
		to := fmt.Sprintf("rl_m%d", i)
		h.account(to, models.RoleMember)
		r := h.api("POST", "/api/v1/messages", tok, map[string]any{"to": to, "body": "Hello, I saw your post about the rehab classes."})
		if i < messages.StartLimit.Max {
			if r.Status != http.StatusCreated {
				t.Fatalf("conversation %d: %d %s", i+1, r.Status, r.Raw)
			}
			if i == 0 {
				first = int64(r.Body["conversation_id"].(float64))
			}
			continue
		}
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("conversation %d: %d %s", i+1, r.Status, r.Raw)
		}
	}
	if n := h.count("conversations"); n != int64(messages.StartLimit.Max) {
		t.Fatalf("%d conversations after the refusal", n)
	}
	if r := h.api("POST", fmt.Sprintf("/api/v1/messages/%d", first), tok, map[string]any{"body": "One more thing."}); r.Status != http.StatusCreated {
		t.Fatalf("answering in an existing conversation: %d %s", r.Status, r.Raw)
	}
}

// A conversation page hears of a new message without a reload: through
// another instance, ids only, and only for the people in it.
func TestLiveConversationEvents(t *testing.T) {
	t.Parallel()
	h := messagesHarness(t)
	for _, m := range []string{"lc_ana", "lc_ben", "lc_cal"} {
		h.account(m, models.RoleMember)
	}
	h.account("lc_mod", models.RoleModerator)
	h.posts("lc_ana", 2)
	ctx := context.Background()
	sent, err := h.app.Messages.Start(ctx, h.actor(h.user("lc_ana")), messages.StartForm{To: "lc_ben", Body: "Hello Ben"})
	if err != nil {
		t.Fatal(err)
	}
	_, b := h.secondInstance(t)
	topic := b + "/api/v1/events?conversation=" + itoa(sent.ConversationID)
	ben := openStream(t, topic, h.tokenFor("lc_ben", "read"), 0)
	if ben.status != http.StatusOK {
		t.Fatalf("ben's stream: %d", ben.status)
	}
	for who, tok := range map[string]string{"lc_cal": h.tokenFor("lc_cal", "read"), "lc_mod": h.tokenFor("lc_mod", "read"), "visitor": ""} {
		if r := openStream(t, topic, tok, 0); r.status != http.StatusNotFound {
			t.Errorf("%s opening the conversation's stream: %d", who, r.status)
		}
	}
	if _, err := h.app.Messages.Reply(ctx, h.actor(h.user("lc_ana")), sent.ConversationID, messages.ReplyForm{Body: "canarylive are you there?"}); err != nil {
		t.Fatal(err)
	}
	e := ben.next("conversation")
	if e.Data["conversation"] != float64(sent.ConversationID) || len(e.Data) != 1 || strings.Contains(fmt.Sprint(e.Data), "canary") {
		t.Fatalf("conversation event %+v", e)
	}
	// Reconnecting with Last-Event-ID replays what was missed.
	if _, err := h.app.Messages.Reply(ctx, h.actor(h.user("lc_ana")), sent.ConversationID, messages.ReplyForm{Body: "second"}); err != nil {
		t.Fatal(err)
	}
	again := openStream(t, topic, h.tokenFor("lc_ben", "read"), e.ID)
	if r := again.next("conversation"); r.Data["conversation"] != float64(sent.ConversationID) {
		t.Fatalf("replay %+v", r)
	}
}

// Messages are never searchable: the same rare word in a thread and in a
// message finds the thread only, for the writer, the reader and visitors.
func TestMessagesAreNeverSearchable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true, env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "0", "KINDRED_MESSAGES_MIN_POSTS": "1"}})
	f := h.forum("heart", nil)
	h.account("ns_ana", models.RoleMember)
	h.account("ns_ben", models.RoleMember)
	th := h.thread("ns_ana", f, "Walking after a stent", "zebrastent is what my nurse called the first week.", false)
	if _, err := h.app.Messages.Start(context.Background(), h.actor(h.user("ns_ana")), messages.StartForm{To: "ns_ben",
		Body: "zebrastent secretword my cardiologist is Dr Okafor at St Mary's"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the thread searchable", func() bool { return has(h.searchIDs("", "q=zebrastent"), th.ID) })
	for _, tok := range []string{"", h.tokenFor("ns_ana", "read"), h.tokenFor("ns_ben", "read")} {
		if ids := h.searchIDs(tok, "q=zebrastent"); len(ids) != 1 || ids[0] != th.ID {
			t.Errorf("search for the shared word: %v, want only thread %d", ids, th.ID)
		}
		if ids := h.searchIDs(tok, "q=secretword"); len(ids) != 0 {
			t.Errorf("a word only in a message was found: %v", ids)
		}
	}
}

// Writing as the moderators is staff work: a moderator without the second
// factor their role needs is sent to set one up, page and API alike.
func TestWritingAsTheModeratorsNeedsTheSecondFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{mfa: true})
	h.account("tm_mod", models.RoleModerator)
	h.account("tm_ana", models.RoleMember)
	b := h.browser()
	b.signIn("tm_mod", goodPassword)
	r := b.post("/messages", url.Values{"to": {"tm_ana"}, "as_moderator": {"on"}, "body": {"Checking in after your last post."}})
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/account/security") || h.messageCount() != 0 {
		t.Fatalf("as the moderators without MFA: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}
