package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

func mentionsOf(h *harness, handle string) int64 {
	h.t.Helper()
	var n int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE lower(u.handle) = lower(?) AND n.kind = 'mention'`, handle).Scan(&n)
	return n
}

// TestMentions: "@handle" links to the member and tells them, once, if
// they may read the thread; never someone who cannot (a clinicians-only
// forum), who muted the writer, or a handle in code; an edit tells the
// newly mentioned.
func TestMentions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.licensing()
	ctx := context.Background()
	pub := h.forum("mn-walk", func(f *forums.ForumForm) { f.Name = "Walking" })
	clin := h.forum("mn-clin", func(f *forums.ForumForm) {
		f.Name = "Clinicians' room"
		f.ClinicianOnly = true
		f.Specialties = []string{"cardiology"}
	})
	for _, who := range []string{"mn_ana", "mn_ben", "mn_cat", "mn_dan"} {
		h.account(who, models.RoleMember)
	}
	h.clinician("mn_dr", "cardiology")
	h.clinician("mn_dr2", "cardiology")
	th := h.thread("mn_ben", pub, "Knee pain on stairs", "Any advice?", false) // ben follows it

	p := h.reply("mn_ana", th.ID, "Ask @MN_BEN's physio, or @mn_nobody. Not `@mn_cat`.", false)
	var html string
	h.app.DB.Gorm.Raw(`SELECT body_html FROM posts WHERE id = ?`, p.ID).Scan(&html)
	if !strings.Contains(html, `<a href="/members/mn_ben" class="mention" rel="nofollow">@MN_BEN</a>`) || strings.Contains(html, `/members/mn_nobody`) {
		t.Fatalf("post HTML:\n%s", html)
	}
	if mentionsOf(h, "mn_ben") != 1 || mentionsOf(h, "mn_cat") != 0 {
		t.Fatalf("mentions: ben %d, cat %d", mentionsOf(h, "mn_ben"), mentionsOf(h, "mn_cat"))
	}
	// Ben follows the thread: the mention replaces the reply notification.
	var replies int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM notifications WHERE post_id = ? AND user_id = ? AND kind = 'reply'`, p.ID, h.user("mn_ben").ID).Scan(&replies)
	if replies != 0 {
		t.Fatal("ben was told twice of one post")
	}
	b := h.browser()
	b.signIn("mn_ben", goodPassword)
	if r := b.get("/notifications"); !strings.Contains(r.body, "mn_ana mentioned you in “Knee pain on stairs”") {
		t.Fatalf("notifications page:\n%s", r.body)
	}

	// A clinicians-only thread: a member mentioned there learns nothing;
	// a clinician does.
	ct := h.thread("mn_dr", clin, "Case discussion", "Thoughts?", false)
	h.reply("mn_dr", ct.ID, "@mn_ben @mn_dr2 what do you think?", false)
	if mentionsOf(h, "mn_ben") != 1 || mentionsOf(h, "mn_dr2") != 1 {
		t.Fatalf("clinicians-only: ben %d (want 1, from before), dr2 %d", mentionsOf(h, "mn_ben"), mentionsOf(h, "mn_dr2"))
	}

	// Muted: cat muted ana, so ana's mention does not reach her.
	if err := h.app.Forums.SetMute(ctx, h.viewer("mn_cat"), "mn_ana", true); err != nil {
		t.Fatal(err)
	}
	h.reply("mn_ana", th.ID, "@mn_cat you had this too?", false)
	if mentionsOf(h, "mn_cat") != 0 {
		t.Fatal("a muted writer's mention reached the member who muted them")
	}
	// Mentioning yourself tells nobody.
	h.reply("mn_ana", th.ID, "Note to self @mn_ana: buy ice packs.", false)
	if mentionsOf(h, "mn_ana") != 0 {
		t.Fatal("a self-mention notified")
	}

	// An edit that adds a mention tells the new one, once.
	anaTok := h.tokenFor("mn_ana", "write")
	edit := func(body string) {
		t.Helper()
		if r := h.api(http.MethodPatch, "/api/v1/posts/"+itoa(p.ID), anaTok, map[string]any{"body": body}); r.Status != http.StatusOK {
			t.Fatalf("edit: %d %s", r.Status, r.Raw)
		}
	}
	edit("Ask @mn_ben's physio, and @mn_dan who had the same.")
	edit("Ask @mn_ben's physio, and @mn_dan who had the same knee.")
	if mentionsOf(h, "mn_dan") != 1 || mentionsOf(h, "mn_ben") != 1 {
		t.Fatalf("after edits: dan %d, ben %d", mentionsOf(h, "mn_dan"), mentionsOf(h, "mn_ben"))
	}
	// The API's preview links mentions too.
	if r := h.api(http.MethodPost, "/api/v1/preview", anaTok, map[string]any{"body": "hi @mn_ben"}); !strings.Contains(r.Raw, `class=\"mention\"`) {
		t.Fatalf("preview: %s", r.Raw)
	}
}

// TestMentionSuggestions: handles by prefix, people of the thread first;
// a staff-only profile only where its owner wrote; sign-in needed.
func TestMentionSuggestions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("ms-walk", nil)
	for _, who := range []string{"ms_ana", "ms_amy", "ms_abe", "ms_hidden", "ms_zed"} {
		h.account(who, models.RoleMember)
	}
	h.app.DB.Gorm.Exec(`UPDATE users SET profile_visibility = 'staff' WHERE handle IN ('ms_hidden', 'ms_abe')`)
	th := h.thread("ms_zed", f, "Hill walking", "Tips?", false)
	h.reply("ms_abe", th.ID, "Short steps.", false)
	tok := h.tokenFor("ms_ana", "read")
	get := func(q string) []string {
		t.Helper()
		r := h.api(http.MethodGet, "/api/v1/members/suggest?"+q, tok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("suggest %s: %d %s", q, r.Status, r.Raw)
		}
		var out []string
		for _, m := range r.Body["members"].([]any) {
			out = append(out, m.(map[string]any)["handle"].(string))
		}
		return out
	}
	if got := strings.Join(get("q=ms_a"), ","); got != "ms_amy" {
		t.Fatalf("without a thread: %s (ana is the caller, abe hides his profile)", got)
	}
	if got := strings.Join(get("q=ms_&thread="+itoa(th.ID)), ","); got != "ms_abe,ms_zed,ms_amy" {
		t.Fatalf("in the thread: %s", got)
	}
	if r := h.api(http.MethodGet, "/api/v1/members/suggest?q=%25", tok, nil); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad prefix: %d", r.Status)
	}
	if r := h.api(http.MethodGet, "/api/v1/members/suggest?q=ms", "", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("visitor: %d", r.Status)
	}
	sens := h.forum("ms-mood", func(f *forums.ForumForm) { f.ClinicianOnly = true })
	_ = sens
	hidden := h.thread(h.ensureAdmin(), sens, "Staff only", "x", false)
	if r := h.api(http.MethodGet, "/api/v1/members/suggest?q=ms&thread="+itoa(hidden.ID), tok, nil); r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
		t.Fatalf("a thread the caller may not read: %d", r.Status)
	}
}

// TestBrowserMentionsAndQuotes: "@" offers handles that the keyboard
// takes, and "Quote" puts the selected passage into the reply, linked.
func TestBrowserMentionsAndQuotes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("bq-walk", func(f *forums.ForumForm) { f.Name = "Walking" })
	h.account("bq_maya", models.RoleMember)
	h.account("bq_mark", models.RoleMember)
	th := h.thread("bq_maya", f, "Rain gear", "A light jacket and gaiters kept me dry on the long loop.", false)
	h.member("bq_ben")
	p := newPage(t, h)
	p.signIn("bq_ben")
	p.visit("/t/"+itoa(th.ID), "Rain gear")
	p.do(chromedp.Focus(chromedp.ID("body")), chromedp.SendKeys(chromedp.ID("body"), "Thanks @bq_ma"))
	p.waitText("@bq_maya")
	p.checkA11y("mention suggestions open")
	p.do(chromedp.KeyEvent("\r"))
	time.Sleep(100 * time.Millisecond)
	if got := p.eval(`document.getElementById("body").value`); got != "Thanks @bq_maya " {
		t.Fatalf("composer after choosing: %q", got)
	}
	// Select "gaiters kept me dry" in the first post and quote it.
	first := h.firstPost(th.ID)
	p.eval(`(function () {
		var prose = document.querySelector("#post-` + itoa(first.ID) + ` .prose p");
		var text = prose.firstChild, start = text.data.indexOf("gaiters");
		var range = document.createRange();
		range.setStart(text, start); range.setEnd(text, start + "gaiters kept me dry".length);
		var sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
		return "";
	})()`)
	p.do(chromedp.Click(chromedp.CSS(`#post-` + itoa(first.ID) + ` .quote-button`)))
	got := p.eval(`document.getElementById("body").value`)
	if !strings.Contains(got, "> gaiters kept me dry\n>\n> — [bq_maya](/posts/"+itoa(first.ID)+")") || strings.Contains(got, "light jacket") {
		t.Fatalf("composer after quoting: %q", got)
	}
	p.checkA11y("thread with quote buttons")
	p.do(chromedp.Click(chromedp.CSS(`form[action$="/replies"] button[value="post"]`)))
	p.waitText("Thanks @bq_maya")
	if n := p.eval(`String(document.querySelectorAll("blockquote a[href='/posts/` + itoa(first.ID) + `']").length)`); n != "1" {
		t.Fatalf("the posted quote has %s links to its post", n)
	}
	if n := p.eval(`String(document.querySelectorAll("a.mention[href='/members/bq_maya']").length)`); n != "1" {
		t.Fatalf("the posted mention has %s links", n)
	}
}
