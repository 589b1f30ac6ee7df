package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// mailNow runs the notification mail sweep and then the e-mail jobs it
// queued, in this goroutine (River's workers are not running), so a test
// knows that whatever was going to be sent has been.
func (h *harness) mailNow() {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.app.Mail.Sweep(ctx); err != nil {
		h.t.Fatal(err)
	}
	var jobs []struct {
		ID   int64
		Args []byte
	}
	if err := h.app.DB.Gorm.Raw(`SELECT id, args FROM river_job WHERE kind = ? AND state = 'available' ORDER BY id`, notify.MailArgs{}.Kind()).Scan(&jobs).Error; err != nil {
		h.t.Fatal(err)
	}
	for _, j := range jobs {
		var a notify.MailArgs
		if err := json.Unmarshal(j.Args, &a); err != nil {
			h.t.Fatal(err)
		}
		if err := h.app.Mail.Send(ctx, a); err != nil {
			h.t.Fatal(err)
		}
		h.app.DB.Gorm.Exec(`DELETE FROM river_job WHERE id = ?`, j.ID)
	}
}

// sendQueuedMail runs the e-mail jobs already queued, without a sweep.
func (h *harness) sendQueuedMail() {
	h.t.Helper()
	var jobs []struct {
		ID   int64
		Args []byte
	}
	if err := h.app.DB.Gorm.Raw(`SELECT id, args FROM river_job WHERE kind = ? AND state = 'available' ORDER BY id`, notify.MailArgs{}.Kind()).Scan(&jobs).Error; err != nil {
		h.t.Fatal(err)
	}
	for _, j := range jobs {
		var a notify.MailArgs
		if err := json.Unmarshal(j.Args, &a); err != nil {
			h.t.Fatal(err)
		}
		if err := h.app.Mail.Send(context.Background(), a); err != nil {
			h.t.Fatal(err)
		}
		h.app.DB.Gorm.Exec(`DELETE FROM river_job WHERE id = ?`, j.ID)
	}
}

// TestMailQueuedBeforeANewerReplyTellsOnce: a thread's reply row keeps
// its id as replies gather, so an e-mail job queued before the latest
// reply tells of it too; the sweep that follows sends nothing more for
// that row until another reply comes.
func TestMailQueuedBeforeANewerReplyTellsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	pub := h.forum("mq-walking", func(f *forums.ForumForm) { f.Name = "Walking after surgery" })
	for _, who := range []string{"mq_ana", "mq_ben", "mq_cam"} {
		h.account(who, models.RoleMember)
	}
	th := h.thread("mq_ana", pub, "Stairs again", "Two flights today without stopping.", false)
	h.reply("mq_cam", th.ID, "Great news, well done.", false)
	if _, err := h.app.Mail.Sweep(context.Background()); err != nil { // queues ana's e-mail
		t.Fatal(err)
	}
	h.reply("mq_ben", th.ID, "Same for me last week.", false)
	h.sendQueuedMail()
	m := onlyMail(t, h.mailbox, "mq_ana@example.org", 1)[0]
	if !strings.Contains(m.Body, "Same for me last week") {
		t.Fatalf("the queued e-mail does not tell of the newer reply:\n%s", m.Body)
	}
	h.mailNow()
	onlyMail(t, h.mailbox, "mq_ana@example.org", 1)
	h.reply("mq_cam", th.ID, "Next: three flights.", false)
	h.mailNow()
	if m := onlyMail(t, h.mailbox, "mq_ana@example.org", 2)[1]; !strings.Contains(m.Body, "three flights") {
		t.Fatalf("the next reply's e-mail:\n%s", m.Body)
	}
}

// mailTo is every message the address received.
func mailTo(mb *testenv.Mailbox, addr string) []testenv.Message {
	var out []testenv.Message
	for _, m := range mb.All() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

func onlyMail(t *testing.T, mb *testenv.Mailbox, addr string, want int) []testenv.Message {
	t.Helper()
	got := mailTo(mb, addr)
	if len(got) != want {
		var subjects []string
		for _, m := range got {
			subjects = append(subjects, m.Subject)
		}
		t.Fatalf("%s received %d e-mails, want %d: %q", addr, len(got), want, subjects)
	}
	return got
}

func TestNotificationEmailFollowsEachPreference(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	pub := h.forum("walking", func(f *forums.ForumForm) { f.Name = "Walking after surgery" })
	for _, who := range []string{"ana", "ben", "cam"} {
		h.account(who, models.RoleMember)
	}
	th := h.thread("ana", pub, "First walk around the block", "Six weeks after my bypass I managed the whole block today.", false)
	h.reply("cam", th.ID, "That is a real milestone, well done.", false) // cam now follows the thread
	h.mailNow()
	// ana hears of cam's reply at once (replies to her own thread).
	first := onlyMail(t, h.mailbox, "ana@example.org", 1)[0]
	h.reply("ben", th.ID, "I could only do half a block at six weeks: keep going!", false)
	h.mailNow()

	msgs := onlyMail(t, h.mailbox, "ana@example.org", 2)
	m := msgs[1]
	if m.Subject != "You have a new reply to your thread" {
		t.Fatalf("subject %q", m.Subject)
	}
	for _, part := range []string{m.Body, m.HTML} {
		if !strings.Contains(part, "ben replied") || !strings.Contains(part, "half a block at six weeks") || !strings.Contains(part, "First walk around the block") {
			t.Fatalf("a public reply is not quoted with its thread and author:\n%s", part)
		}
	}
	if !strings.Contains(m.HTML, `<html lang="en">`) || !strings.Contains(m.HTML, "/posts/") {
		t.Fatalf("HTML part lacks its language or the link:\n%s", m.HTML)
	}
	if got := m.Header.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Fatalf("List-Unsubscribe-Post = %q", got)
	}
	if u := m.Header.Get("List-Unsubscribe"); !strings.HasPrefix(u, "<http") || !strings.Contains(u, "c=my_threads") {
		t.Fatalf("List-Unsubscribe = %q", u)
	}
	if first.Subject != m.Subject {
		t.Fatalf("the two replies' subjects differ: %q, %q", first.Subject, m.Subject)
	}

	// cam follows the thread: a daily digest by default, nothing at once.
	onlyMail(t, h.mailbox, "cam@example.org", 0)
	h.clock.Advance(24 * time.Hour) // past the next 08:00 UTC
	h.mailNow()
	d := onlyMail(t, h.mailbox, "cam@example.org", 1)[0]
	if !strings.HasPrefix(d.Subject, "Your daily Kindred summary: 1 update") || !strings.Contains(d.Body, "ben replied") {
		t.Fatalf("digest: %q\n%s", d.Subject, d.Body)
	}
	if !strings.Contains(d.Header.Get("List-Unsubscribe"), "c=digest-daily") {
		t.Fatalf("digest List-Unsubscribe = %q", d.Header.Get("List-Unsubscribe"))
	}
	// A digest goes once a day: new replies wait for the next one.
	h.reply("ben", th.ID, "Also: good shoes help.", false)
	h.reply("ana", th.ID, "Thank you both.", false)
	h.clock.Advance(time.Hour)
	h.mailNow()
	onlyMail(t, h.mailbox, "cam@example.org", 1)
	h.clock.Advance(24 * time.Hour)
	h.mailNow()
	d = onlyMail(t, h.mailbox, "cam@example.org", 2)[1]
	if !strings.HasPrefix(d.Subject, "Your daily Kindred summary: 2 updates") || !strings.Contains(d.Body, "(2 new replies)") {
		t.Fatalf("grouped digest: %q\n%s", d.Subject, d.Body)
	}

	// Weekly: only on Mondays at 08:00. Never: nothing.
	camTok := h.tokenFor("cam", "write")
	if r := h.api(http.MethodPut, "/api/v1/me/email-preferences", camTok, map[string]any{"preferences": map[string]string{"followed": "weekly"}}); r.Status != http.StatusOK {
		t.Fatalf("set weekly: %d %s", r.Status, r.Raw)
	}
	h.reply("ben", th.ID, "One more tip: go early, before it gets hot.", false)
	h.mailNow()
	for i := 0; i < 3; i++ { // Thursday, Friday, Saturday
		h.clock.Advance(24 * time.Hour)
		h.mailNow()
	}
	onlyMail(t, h.mailbox, "cam@example.org", 2)
	h.clock.Advance(3 * 24 * time.Hour) // Tuesday: Monday 08:00 passed
	h.mailNow()
	w := onlyMail(t, h.mailbox, "cam@example.org", 3)[2]
	if !strings.HasPrefix(w.Subject, "Your weekly Kindred summary") || !strings.Contains(w.Body, "go early") {
		t.Fatalf("weekly digest: %q\n%s", w.Subject, w.Body)
	}
	if r := h.api(http.MethodPut, "/api/v1/me/email-preferences", camTok, map[string]any{"preferences": map[string]string{"followed": "never"}}); r.Status != http.StatusOK {
		t.Fatalf("set never: %d", r.Status)
	}
	h.reply("ben", th.ID, "Last one from me.", false)
	h.clock.Advance(8 * 24 * time.Hour)
	h.mailNow()
	onlyMail(t, h.mailbox, "cam@example.org", 3)

	// Read in the app before the e-mail went: no e-mail about it.
	anaTok := h.tokenFor("ana", "write")
	h.reply("ben", th.ID, "Did you try the park loop?", false)
	if r := h.api(http.MethodPost, "/api/v1/notifications/read-all", anaTok, nil); r.Status != http.StatusNoContent {
		t.Fatalf("read all: %d", r.Status)
	}
	before := len(mailTo(h.mailbox, "ana@example.org"))
	h.mailNow()
	onlyMail(t, h.mailbox, "ana@example.org", before)

	// No confirmed address, no e-mail.
	h.app.DB.Gorm.Exec(`UPDATE users SET email_verified_at = NULL WHERE handle = 'ana'`)
	h.reply("ben", th.ID, "Anyone?", false)
	h.mailNow()
	onlyMail(t, h.mailbox, "ana@example.org", before)
}

// Nothing from a members-only or clinicians-only forum or a private
// question reaches an e-mail, whatever the kind: every kind is written
// about sensitive content and every e-mail is searched for its words.
func TestNotificationEmailNeverCarriesPrivateText(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	sens := h.forum("mood", func(f *forums.ForumForm) {
		f.Name = "Depression canaryforum"
		f.Sensitive = true
		f.Specialties = []string{"psychiatry"}
	})
	h.account("ana", models.RoleMember)
	h.account("ben", models.RoleMember)
	h.account("mod_mo", models.RoleModerator)
	dr := h.clinician("dr_sky", "psychiatry")
	th := h.thread("ana", sens, "canarytitle my dark weeks", "canaryopening I have not left the house.", false)
	reply := h.reply("ben", th.ID, "canaryreply I know that feeling well.", false)
	q := h.ask("ana", "mood", "canaryquestion about my dose", "canaryquestionbody Should I change it?")

	// Every kind, to ana (and the clinician for clinician kinds), about
	// the sensitive thread, reply and question.
	kinds := []string{models.NotifyReply, models.NotifyMention, models.NotifyNewThread, models.NotifyBookmarkReminder, models.NotifyModerationWarning,
		models.NotifyReportResolved, models.NotifyQuestionOffered, models.NotifyQuestionStatus, models.NotifyQuestionMessage,
		models.NotifyQuestionClosed, models.NotifyQuestionConsent, models.NotifyQuestionPool, models.NotifyQuestionUrgent,
		models.NotifyQuestionRemind, models.NotifyQuestionMoved, models.NotifyQuestionWaiting, models.NotifyQuestionReopened,
		models.NotifyCredentialApproved, models.NotifyCredentialRejected, models.NotifyCredentialRevoked, models.NotifyCredentialExpired,
		models.NotifyCredentialExpiring, models.NotifyCredentialSubmitted}
	ana, ben := h.user("ana"), h.user("ben")
	for _, k := range kinds {
		for _, to := range []int64{ana.ID, dr.ID} {
			var msg *string
			if k == models.NotifyModerationWarning {
				s := "A moderator hid your post in “canarytitle my dark weeks”: canaryreason"
				msg = &s
			}
			if err := h.app.DB.Gorm.Exec(`INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, question_id, message, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, coalesce(?, ''), ?) ON CONFLICT DO NOTHING`, to, k, ben.ID, sens.ID, th.ID, reply.ID, q.ID, msg, h.clock.Now()).Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	// And the real moderation path: hiding the reply tells ben, with the
	// thread's title in the in-app words.
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("mod_mo")), models.TargetPost, reply.ID, moderation.ActHide, "canarymodreason", false); err != nil {
		t.Fatal(err)
	}
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("mod_mo")), models.TargetPost, reply.ID, moderation.ActRestore, "", false); err != nil {
		t.Fatal(err)
	}
	// Everyone wants everything at once.
	for _, who := range []string{"ana", "ben", "dr_sky"} {
		all := map[string]string{}
		for _, c := range notify.Categories {
			all[c.Key] = notify.ModeImmediately
		}
		if err := h.app.Mail.SetPreferences(ctx, h.user(who).ID, all); err != nil {
			t.Fatal(err)
		}
	}
	h.mailNow()
	if len(mailTo(h.mailbox, "ana@example.org")) == 0 || len(mailTo(h.mailbox, "dr_sky@example.org")) == 0 || len(mailTo(h.mailbox, "ben@example.org")) == 0 {
		t.Fatalf("expected e-mail to ana, the clinician and ben; got %d, %d, %d", len(mailTo(h.mailbox, "ana@example.org")),
			len(mailTo(h.mailbox, "dr_sky@example.org")), len(mailTo(h.mailbox, "ben@example.org")))
	}
	n := 0
	for _, m := range h.mailbox.All() {
		if strings.Contains(m.Subject, "Confirm") {
			continue
		}
		n++
		whole := m.Subject + "\n" + m.Body + "\n" + m.HTML
		for k, v := range m.Header {
			if k != "To" {
				whole += "\n" + strings.Join(v, " ")
			}
		}
		whole = strings.ToLower(whole)
		for _, canary := range []string{"canary", "depression", "mood", "dose", "ben replied", "dark weeks"} {
			if strings.Contains(whole, canary) {
				t.Errorf("e-mail %q to %v carries %q:\n%s", m.Subject, m.To, canary, m.Body)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d notification e-mails: the kinds were not mailed", n)
	}
}

func TestSuspendedMemberIsToldWhyByEmail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.account("dan", models.RoleMember)
	h.account("mod_mo", models.RoleModerator)
	dan := h.user("dan")
	until := h.clock.Now().Add(72 * time.Hour)
	if err := h.app.Moderation.ActOnMember(context.Background(), h.actor(h.user("mod_mo")), models.TargetUser, dan.ID, moderation.ActSuspend,
		"Repeated selling of supplements after two warnings.", until); err != nil {
		t.Fatal(err)
	}
	h.mailNow()
	m := onlyMail(t, h.mailbox, "dan@example.org", 1)[0]
	if m.Subject != "A message from the Kindred moderators" || !strings.Contains(m.Body, "suspended until") ||
		!strings.Contains(m.Body, "selling of supplements") || !strings.Contains(m.Body, "/appeal") {
		t.Fatalf("suspension e-mail: %q\n%s", m.Subject, m.Body)
	}
}

func TestUnsubscribeLinkWorksOnceClickedAndOnlyForItsKind(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	pub := h.forum("walking", nil)
	h.account("ana", models.RoleMember)
	h.account("ben", models.RoleMember)
	th := h.thread("ana", pub, "Knee brace advice", "Which one worked for you?", false)
	h.reply("ben", th.ID, "The hinged one.", false)
	h.mailNow()
	m := onlyMail(t, h.mailbox, "ana@example.org", 1)[0]
	link := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	u, err := url.Parse(link)
	if err != nil || !strings.Contains(m.Body, link) {
		t.Fatalf("unsubscribe link %q not in the text part", link)
	}
	path := u.RequestURI()
	mode := func() string {
		p, err := h.app.Mail.Preferences(context.Background(), h.user("ana").ID)
		if err != nil {
			t.Fatal(err)
		}
		return p["my_threads"]
	}

	// Opening it (a mail scanner, a preview) changes nothing.
	r := h.browser().get(path)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Stop these e-mails") || mode() != notify.ModeImmediately {
		t.Fatalf("GET: %d, mode %s", r.StatusCode, mode())
	}
	// Tampered: another category with the same token, or a changed token.
	for _, bad := range []string{strings.Replace(path, "c=my_threads", "c=moderation", 1), strings.Replace(path, "t=", "t=x", 1)} {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+bad, strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res := h.send(req); res.Status != http.StatusNotFound {
			t.Fatalf("tampered link %s: %d", bad, res.Status)
		}
	}
	if p, _ := h.app.Mail.Preferences(context.Background(), h.user("ana").ID); p["moderation"] != notify.ModeImmediately || p["my_threads"] != notify.ModeImmediately {
		t.Fatalf("a tampered link changed preferences: %v", p)
	}
	// RFC 8058: the mail client POSTs, with no cookie and no CSRF token.
	req, _ := http.NewRequest(http.MethodPost, link, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res := h.send(req); res.Status != http.StatusOK {
		t.Fatalf("one-click: %d %s", res.Status, res.Raw)
	}
	p, _ := h.app.Mail.Preferences(context.Background(), h.user("ana").ID)
	if p["my_threads"] != notify.ModeNever || p["moderation"] != notify.ModeImmediately || p["followed"] != notify.ModeDaily {
		t.Fatalf("after one-click: %v", p)
	}
	h.reply("ben", th.ID, "Also ice after walks.", false)
	h.mailNow()
	onlyMail(t, h.mailbox, "ana@example.org", 1)

	// The page's button (a browser without a session) does the same and says so.
	b := h.browser()
	r = b.postRaw(path, url.Values{})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("button: %d", r.StatusCode)
	}
	r = b.get(r.Header.Get("Location"))
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "You will not get these e-mails any more") {
		t.Fatalf("after the button: %d\n%s", r.StatusCode, r.body)
	}
}

func TestEmailPreferencesPageAndAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	b := h.member("pia")
	h.confirmEmail("pia")
	r := b.get("/account/notifications")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Replies to threads you started") || strings.Contains(r.body, "As a clinician") {
		t.Fatalf("settings page: %d\n%s", r.StatusCode, r.body)
	}
	if !strings.Contains(r.body, `id="followed-daily" name="followed" value="daily" checked`) {
		t.Fatal("the default (daily for follows) is not checked")
	}
	// A bad value: the form again with the error, nothing saved.
	r = b.post("/account/notifications", url.Values{"followed": {"hourly"}, "my_threads": {"never"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Choose how often") {
		t.Fatalf("bad value: %d", r.StatusCode)
	}
	if h.count("email_preferences") != 0 {
		t.Fatal("a refused form saved something")
	}
	r = b.post("/account/notifications", url.Values{"followed": {"weekly"}, "my_threads": {"never"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", r.StatusCode)
	}
	r = b.get("/account/notifications")
	if !strings.Contains(r.body, `value="weekly" checked`) || !strings.Contains(r.body, `id="my_threads-never" name="my_threads" value="never" checked`) {
		t.Fatal("saved choices not shown")
	}
	// Another member's page shows their own defaults.
	other := h.member("quinn")
	if r := other.get("/account/notifications"); !strings.Contains(r.body, `id="my_threads-immediately" name="my_threads" value="immediately" checked`) {
		t.Fatal("quinn sees pia's choices")
	}

	tok := h.tokenFor("pia", "write")
	got := h.api(http.MethodGet, "/api/v1/me/email-preferences", tok, nil)
	prefs, _ := got.Body["preferences"].(map[string]any)
	if got.Status != http.StatusOK || prefs["followed"] != "weekly" || prefs["moderation"] != "immediately" || got.Body["suppressed"] != nil {
		t.Fatalf("API get: %d %s", got.Status, got.Raw)
	}
	bad := h.api(http.MethodPut, "/api/v1/me/email-preferences", tok, map[string]any{"preferences": map[string]string{"followed": "daily", "gossip": "never", "moderation": "sometimes"}})
	errBody, _ := bad.Body["error"].(map[string]any)
	fields, _ := errBody["fields"].(map[string]any)
	if bad.Status != http.StatusUnprocessableEntity || fields["gossip"] == nil || fields["moderation"] == nil {
		t.Fatalf("API bad put: %d %s", bad.Status, bad.Raw)
	}
	if p, _ := h.app.Mail.Preferences(context.Background(), h.user("pia").ID); p["followed"] != "weekly" {
		t.Fatal("a refused PUT changed a valid category too")
	}
	if r := h.api(http.MethodPut, "/api/v1/me/email-preferences", tok, map[string]any{"prefs": map[string]string{}}); r.Status != http.StatusBadRequest && r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("unknown field: %d", r.Status)
	}
	if r := h.api(http.MethodGet, "/api/v1/me/email-preferences", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("visitor: %d", r.Status)
	}
	if r := h.browser().get("/account/notifications"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("visitor page: %d", r.StatusCode)
	}
	// Cross-site form posts are refused.
	if r := b.postRaw("/account/notifications", url.Values{"followed": {"never"}}); r.StatusCode != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d", r.StatusCode)
	}
}

func TestBouncedAddressStopsNotificationMail(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_MAIL_WEBHOOK_TOKEN": "hook-secret-for-tests"}})
	pub := h.forum("walking", nil)
	h.account("ana", models.RoleMember)
	h.account("ben", models.RoleMember)
	th := h.thread("ana", pub, "Blisters", "Any tips?", false)

	hook := func(auth string, body any) apiResp {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/hooks/email", strings.NewReader(string(raw)))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		return h.send(req)
	}
	if r := hook("wrong", map[string]string{"address": "ana@example.org", "type": "bounce"}); r.Status != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", r.Status)
	}
	if r := hook("hook-secret-for-tests", map[string]string{"address": "ana", "type": "spam"}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad event: %d %s", r.Status, r.Raw)
	}
	if h.count("email_suppressions") != 0 {
		t.Fatal("a refused event was stored")
	}
	if r := hook("hook-secret-for-tests", map[string]string{"address": "ANA@example.org", "type": "complaint"}); r.Status != http.StatusNoContent {
		t.Fatalf("complaint: %d %s", r.Status, r.Raw)
	}
	h.reply("ben", th.ID, "Second skin plasters.", false)
	h.mailNow()
	onlyMail(t, h.mailbox, "ana@example.org", 0)

	b := h.browser()
	b.signIn("ana", goodPassword)
	r := b.get("/account/notifications")
	if !strings.Contains(r.body, "reported as unwanted") {
		t.Fatalf("the settings page does not say why mail stopped:\n%s", r.body)
	}
	if r := b.post("/account/notifications/resume", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume: %d", r.StatusCode)
	}
	h.reply("ben", th.ID, "And change socks at half way.", false)
	h.mailNow()
	onlyMail(t, h.mailbox, "ana@example.org", 1)

	// Without a configured token the webhook does not exist.
	h.restartWith(map[string]string{"KINDRED_MAIL_WEBHOOK_TOKEN": ""})
	if r := hook("", map[string]string{"address": "ana@example.org", "type": "bounce"}); r.Status != http.StatusNotFound {
		t.Fatalf("webhook without a token configured: %d", r.Status)
	}
}

// The whole path with River's workers: the periodic sweep and the e-mail
// job reach the SMTP server.
func TestNotificationEmailThroughRiver(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	pub := h.forum("walking", nil)
	h.account("ana", models.RoleMember)
	h.account("ben", models.RoleMember)
	th := h.thread("ana", pub, "Stairs at home", "How did you manage stairs the first week?", false)
	h.reply("ben", th.ID, "One step at a time, good leg first.", false)
	if _, err := h.app.Mail.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := h.mailbox.Wait(t, "ana@example.org", "You have a new reply to your thread", 30*time.Second)
	if !strings.Contains(m.Body, "good leg first") {
		t.Fatalf("body:\n%s", m.Body)
	}
}

// TestBrowserEmailSettings: the settings page and the unsubscribe page in
// a real browser (axe-core clean, keyboard-reachable radios), and the HTML
// e-mail itself, rendered by Chromium, checked by axe-core.
func TestBrowserEmailSettings(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	pub := h.forum("es-walk", func(f *forums.ForumForm) { f.Name = "Walking" })
	h.member("es_pat")
	h.confirmEmail("es_pat")
	h.account("es_ben", models.RoleMember)
	th := h.thread("es_pat", pub, "Cold weather walks", "Does anyone else find the cold makes the chest tightness worse?", false)
	h.reply("es_ben", th.ID, "Yes: a scarf over the mouth helps me a lot.", false)
	h.mailNow()
	m := onlyMail(t, h.mailbox, "es_pat@example.org", 1)[0]

	p := newPage(t, h)
	p.do(chromedp.Navigate("data:text/html;charset=utf-8," + url.PathEscape(m.HTML)))
	p.waitText("a scarf over the mouth")
	p.checkA11yAll("notification e-mail (HTML part)")

	p.signIn("es_pat")
	p.visit("/account/notifications", "E-mail notifications")
	p.checkA11yAll("e-mail settings")
	// With the keyboard: space chooses a radio, Enter on the button saves.
	p.do(chromedp.Focus(chromedp.ID("followed-weekly")), chromedp.KeyEvent(" "),
		chromedp.Focus(chromedp.CSS(`form[action="/account/notifications"] button`)), chromedp.KeyEvent("\r"))
	p.waitText("Your e-mail choices are saved.")
	if got, _ := h.app.Mail.Preferences(context.Background(), h.user("es_pat").ID); got["followed"] != notify.ModeWeekly {
		t.Fatalf("followed = %s after choosing weekly with the keyboard", got["followed"])
	}
	link, _ := url.Parse(strings.Trim(m.Header.Get("List-Unsubscribe"), "<>"))
	p.visit(link.RequestURI(), "Stop these e-mails?")
	p.checkA11yAll("unsubscribe")
	p.do(chromedp.Click(chromedp.CSS(`main form button`)))
	p.waitText("You will not get these e-mails any more")
}

// A reply held for a moderator's approval is not mailed while held, and is
// mailed once approved; followers hear of nothing a moderator removed.
func TestHeldPostIsMailedOnceApproved(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_NEW_MEMBER_APPROVALS": "1"}})
	ctx := context.Background()
	pub := h.forum("hp-walk", nil)
	h.account("hp_ana", models.RoleMember)
	h.account("hp_ben", models.RoleMember)
	h.account("hp_mod", models.RoleModerator)
	th := h.thread("hp_ana", pub, "Cold hands on walks", "Gloves or mittens?", false)
	mod := h.actor(h.user("hp_mod"))
	if err := h.app.Moderation.Act(ctx, mod, models.TargetThread, th.ID, moderation.ActRestore, "", false); err != nil {
		t.Fatal(err)
	}
	held := h.reply("hp_ben", th.ID, "Mittens with a liner, always.", false)
	if held.Visibility != models.Pending {
		t.Fatalf("ben's first reply is %s, want held", held.Visibility)
	}
	h.mailNow()
	onlyMail(t, h.mailbox, "hp_ana@example.org", 0)
	if err := h.app.Moderation.Act(ctx, mod, models.TargetPost, held.ID, moderation.ActRestore, "", false); err != nil {
		t.Fatal(err)
	}
	h.mailNow()
	if m := onlyMail(t, h.mailbox, "hp_ana@example.org", 1)[0]; !strings.Contains(m.Body, "Mittens with a liner") {
		t.Fatalf("after approval:\n%s", m.Body)
	}
}
