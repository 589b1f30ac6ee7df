package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/outreach"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// mailAnnouncement runs the e-mail job's work for an announcement (the
// job is queued when it is saved) and then the notification mail.
func (h *harness) mailAnnouncement(id int64) int64 {
	h.t.Helper()
	n, err := h.app.Outreach.MailAudience(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	h.mailNow()
	return n
}

// E-mailed announcements follow each member's preference: at once, in
// the summary, or never; never to suppressed, unconfirmed or suspended
// addresses; each member once, even when the job runs again. An urgent
// health alert skips the summary, labelled, but not "never".
func TestAnnouncementEmailFollowsPreferences(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	h.account("boss", models.RoleAdmin)
	for _, m := range []string{"m_now", "m_digest", "m_off", "m_supp", "m_unconf", "m_susp"} {
		h.account(m, models.RoleMember)
	}
	if err := h.app.Mail.SetPreferences(ctx, h.user("m_digest").ID, map[string]string{"announcements": notify.ModeDaily}); err != nil {
		t.Fatal(err)
	}
	offTok := h.tokenFor("m_off", "write")
	if r := h.api(http.MethodPut, "/api/v1/me/email-preferences", offTok, map[string]any{"preferences": map[string]string{"announcements": "never"}}); r.Status != http.StatusOK {
		t.Fatalf("turn announcements off: %d %s", r.Status, r.Raw)
	}
	if _, err := notify.SuppressAddress(ctx, h.app.DB.Gorm, h.clock.Now(), "m_supp@example.org", "bounce"); err != nil {
		t.Fatal(err)
	}
	h.app.DB.Gorm.Exec(`UPDATE users SET email_verified_at = NULL WHERE handle = 'm_unconf'`)
	h.app.DB.Gorm.Exec(`UPDATE users SET status = 'suspended', suspended_until = ? WHERE handle = 'm_susp'`, h.clock.Now().Add(30*24*time.Hour))

	admin := h.signedIn("boss")
	v := h.annForm("Clinic hours change in December", "site", "members", "", "card")
	v.Set("email", "on")
	id := h.announce(admin, v)
	if n := countWhere(t, h, `SELECT count(*) FROM river_job WHERE kind = ? AND args->>'announcement_id' = ?`, outreach.MailArgs{}.Kind(), itoa(id)); n != 1 {
		t.Fatalf("%d e-mail jobs queued, want 1", n)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM notifications WHERE announcement_id = ?`, id); n != 0 {
		t.Fatalf("members were told inside the request: %d", n)
	}
	h.mailAnnouncement(id)
	// A retry that lost its place tells nobody again.
	h.app.DB.Gorm.Exec(`UPDATE announcements SET mail_cursor = 0, mailed_at = NULL WHERE id = ?`, id)
	if n := h.mailAnnouncement(id); n != 0 {
		t.Errorf("a second run told %d members again", n)
	}
	m := onlyMail(t, h.mailbox, "m_now@example.org", 1)[0]
	if m.Subject != "An announcement from Kindred" || !strings.Contains(m.Body, "Clinic hours change in December") || !strings.Contains(m.Body, "/announcements/"+itoa(id)) {
		t.Errorf("announcement e-mail: %q\n%s", m.Subject, m.Body)
	}
	if u := m.Header.Get("List-Unsubscribe"); !strings.Contains(u, "c=announcements") {
		t.Errorf("List-Unsubscribe = %q", u)
	}
	for _, addr := range []string{"m_digest", "m_off", "m_supp", "m_unconf", "m_susp"} {
		onlyMail(t, h.mailbox, addr+"@example.org", 0)
	}
	// The summary carries it the next morning.
	h.clock.Advance(24 * time.Hour)
	h.mailNow()
	d := onlyMail(t, h.mailbox, "m_digest@example.org", 1)[0]
	if !strings.Contains(d.Subject, "daily Kindred summary") || !strings.Contains(d.Body, "Clinic hours change in December") {
		t.Errorf("digest: %q\n%s", d.Subject, d.Body)
	}
	onlyMail(t, h.mailbox, "m_now@example.org", 1)

	// An urgent health alert: at once for the summary reader, labelled;
	// still nothing for the member who turned announcements off.
	admin = h.signedIn("boss")
	v = h.annForm("Contaminated batch of insulin pens", "site", "members", "", "banner")
	v.Set("email", "on")
	v.Set("health_alert", "on")
	urgent := h.announce(admin, v)
	h.mailAnnouncement(urgent)
	u := onlyMail(t, h.mailbox, "m_digest@example.org", 2)[1]
	if !strings.Contains(u.Subject, "URGENT HEALTH ALERT") || !strings.Contains(u.Body, "URGENT HEALTH ALERT: Contaminated batch of insulin pens") {
		t.Errorf("urgent alert: %q\n%s", u.Subject, u.Body)
	}
	onlyMail(t, h.mailbox, "m_now@example.org", 2)
	for _, addr := range []string{"m_off", "m_supp", "m_unconf", "m_susp"} {
		onlyMail(t, h.mailbox, addr+"@example.org", 0)
	}
	// Only admins flag health alerts.
	h.account("any_mod", models.RoleModerator)
	mod := h.signedIn("any_mod")
	mv := h.annForm("Moderator alert", "forum", "everyone", "", "card")
	h.forum("mailforum", nil)
	mv.Set("forum", "mailforum")
	mv.Set("email", "on")
	mv.Set("health_alert", "on")
	mod.get("/moderation/announcements/new")
	if r := mod.post("/moderation/announcements", mv); r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Only admins send urgent health alerts") {
		t.Errorf("moderator health alert: %d", r.StatusCode)
	}
}

// A forum's members hear of its announcements only while they may read
// it, and a members-only or clinicians' forum's text is never quoted.
func TestAnnouncementEmailToForumMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	docs := h.forum("docs-room", func(f *forums.ForumForm) { f.ClinicianOnly = true })
	h.clinician("doc_yes", "cardiology")
	h.clinician("doc_gone", "cardiology")
	h.account("outsider", models.RoleMember)
	for _, who := range []string{"doc_yes", "doc_gone", "outsider"} {
		// Joined while they could (the outsider as if the forum changed kind).
		h.app.DB.Gorm.Exec(`INSERT INTO forum_members (forum_id, user_id, joined_at) VALUES (?, ?, now())`, docs.ID, h.user(who).ID)
	}
	h.app.DB.Gorm.Exec(`UPDATE credentials SET status = 'revoked' WHERE user_id = ?`, h.user("doc_gone").ID)
	h.account("boss", models.RoleAdmin)
	admin := h.signedIn("boss")
	v := h.annForm("SECRET-ROTA-TEXT changes", "forum", "forum_members", "docs-room", "card")
	v.Set("body", "SECRET-ROTA-BODY: the on-call rota moves to Tuesdays.")
	v.Set("email", "on")
	id := h.announce(admin, v)
	h.mailAnnouncement(id)
	got := announcementMail(h, "doc_yes@example.org")
	if len(got) != 1 {
		t.Fatalf("doc_yes got %d announcement e-mails", len(got))
	}
	m := got[0]
	if strings.Contains(m.Raw, "SECRET-ROTA") || !strings.Contains(m.Body, "a new announcement in a forum you belong to") {
		t.Errorf("a clinicians' forum announcement quoted or unlabelled:\n%s", m.Body)
	}
	for _, addr := range []string{"doc_gone@example.org", "outsider@example.org"} {
		if got := announcementMail(h, addr); len(got) != 0 {
			t.Errorf("%s got the announcement, without access to the forum", addr)
		}
	}
	// On the site, the same rule: the outsider does not see it.
	out := h.signedIn("outsider")
	if r := out.get("/announcements/" + itoa(id)); r.StatusCode != http.StatusNotFound {
		t.Errorf("outsider opens the clinicians' announcement: %d", r.StatusCode)
	}
}

// announcementMail is the announcement e-mail an address received.
func announcementMail(h *harness, addr string) []testenv.Message {
	var out []testenv.Message
	for _, m := range mailTo(h.mailbox, addr) {
		if strings.Contains(m.Subject, "announcement") || strings.Contains(m.Subject, "URGENT") {
			out = append(out, m)
		}
	}
	return out
}
