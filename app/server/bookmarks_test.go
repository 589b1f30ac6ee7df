package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// TestBookmarksInPages: a member bookmarks a reply from the thread page
// (the button says so afterwards), sees it on their bookmarks page, adds a
// note and a reminder, and removing a bookmark that has a note asks first.
// Nobody else sees the bookmark or can change it.
func TestBookmarksInPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("heart", nil)
	h.account("writer", models.RoleMember)
	th := h.thread("writer", f, "Beta blockers and tiredness", "Does the tiredness ever pass?", false)
	reply := h.reply("writer", th.ID, "For me it eased after about six weeks.", false)
	b := h.member("reader")

	empty := b.get("/bookmarks")
	if empty.StatusCode != http.StatusOK || !strings.Contains(empty.body, "No bookmarks yet") {
		t.Fatalf("empty bookmarks page: %d", empty.StatusCode)
	}
	if r := h.browser().get("/bookmarks"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin?next=") {
		t.Errorf("a visitor's /bookmarks: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	page := b.get("/t/" + itoa(th.ID))
	if !strings.Contains(page.body, `action="/posts/`+itoa(reply.ID)+`/bookmark"`) {
		t.Fatal("no bookmark button under the reply")
	}
	if r := b.post("/posts/"+itoa(reply.ID)+"/bookmark", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("bookmark: %d %s", r.StatusCode, r.body)
	}
	page = b.get("/t/" + itoa(th.ID))
	if !strings.Contains(page.body, `aria-pressed="true">Bookmarked`) {
		t.Error("the thread page does not show the reply as bookmarked")
	}
	list := b.get("/bookmarks")
	if !strings.Contains(list.body, "A reply in “Beta blockers and tiredness”") || !strings.Contains(list.body, `href="/posts/`+itoa(reply.ID)+`"`) {
		t.Fatalf("bookmarks page does not list the reply:\n%s", list.body)
	}
	var id int64
	h.app.DB.Gorm.Raw(`SELECT id FROM bookmarks WHERE post_id = ?`, reply.ID).Scan(&id)

	// Note and reminder, with a bad note first.
	edit := "/bookmarks/" + itoa(id) + "/edit"
	if r := b.post(edit, url.Values{"note": {strings.Repeat("n", 501)}, "remind": {"1w"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "500 characters") || !strings.Contains(r.body, strings.Repeat("n", 501)) {
		t.Errorf("a 501-character note: %d", r.StatusCode)
	}
	if r := b.post(edit, url.Values{"note": {"Ask Dr Mensah about this at the March check-up"}, "remind": {"soon"}}); r.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(r.body, "Choose one of the reminders offered") {
		t.Errorf("an unknown reminder: %d", r.StatusCode)
	}
	if r := b.post(edit, url.Values{"note": {"Ask Dr Mensah about this at the March check-up"}, "remind": {"1w"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save note: %d %s", r.StatusCode, r.body)
	}
	var remindAt time.Time
	h.app.DB.Gorm.Raw(`SELECT remind_at FROM bookmarks WHERE id = ?`, id).Scan(&remindAt)
	if want := h.clock.Now().Add(7 * 24 * time.Hour); !remindAt.Equal(want) {
		t.Errorf("reminder at %s, want %s", remindAt, want)
	}
	if list := b.get("/bookmarks"); !strings.Contains(list.body, "Ask Dr Mensah about this at the March check-up") || !strings.Contains(list.body, "Reminder") {
		t.Error("the note or the reminder is not on the bookmarks page")
	}

	// Someone else: the bookmark is not theirs to see, change or remove.
	other := h.member("other")
	for _, path := range []string{edit, "/bookmarks/" + itoa(id) + "/remove"} {
		if r := other.get(path); r.StatusCode != http.StatusNotFound {
			t.Errorf("another member GET %s: %d", path, r.StatusCode)
		}
	}
	if r := other.post("/bookmarks/"+itoa(id)+"/remove", url.Values{}); r.StatusCode != http.StatusNotFound {
		t.Errorf("another member removes it: %d", r.StatusCode)
	}
	if r := other.get("/bookmarks"); strings.Contains(r.body, "Mensah") || strings.Contains(r.body, "Beta blockers") {
		t.Error("another member's bookmarks page shows this one")
	}
	if n := h.count("bookmarks"); n != 1 {
		t.Fatalf("%d bookmarks", n)
	}

	// With a note, the thread page's button asks first.
	if r := b.post("/posts/"+itoa(reply.ID)+"/bookmark", url.Values{}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/bookmarks/"+itoa(id)+"/remove" {
		t.Fatalf("unbookmarking a bookmark with a note: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	confirm := b.get("/bookmarks/" + itoa(id) + "/remove")
	if !strings.Contains(confirm.body, "Remove this bookmark?") || !strings.Contains(confirm.body, "Mensah") {
		t.Error("the confirmation does not show what goes")
	}
	if n := h.count("bookmarks"); n != 1 {
		t.Fatal("the bookmark went before the confirmation")
	}
	if r := b.post("/bookmarks/"+itoa(id)+"/remove", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.StatusCode)
	}
	if n := h.count("bookmarks"); n != 0 {
		t.Fatalf("%d bookmarks after removing", n)
	}
	// Without a note the button removes at once.
	b.post("/posts/"+itoa(reply.ID)+"/bookmark", url.Values{})
	b.post("/posts/"+itoa(reply.ID)+"/bookmark", url.Values{})
	if n := h.count("bookmarks"); n != 0 {
		t.Errorf("toggling twice left %d bookmarks", n)
	}
}

// TestBookmarksAPI: the JSON API sets, reads, lists and removes
// bookmarks, refuses what the form refuses with the field named, and a
// post the caller may not read cannot be bookmarked.
func TestBookmarksAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("diabetes", nil)
	h.forum("lounge", func(ff *forums.ForumForm) { ff.ClinicianOnly = true })
	h.account("writer", models.RoleMember)
	h.account("reader", models.RoleMember)
	th := h.thread("writer", f, "Insulin pump or pens?", "Weighing up a pump after ten years of pens.", false)
	first := h.firstPost(th.ID)
	tok := h.tokenFor("reader", "write")
	path := "/api/v1/posts/" + itoa(first.ID) + "/bookmark"

	if r := h.api("GET", path, tok, nil); r.Status != http.StatusNotFound {
		t.Errorf("no bookmark yet: %d", r.Status)
	}
	if r := h.api("PUT", path, "", map[string]any{}); r.Status != http.StatusUnauthorized {
		t.Errorf("without a token: %d", r.Status)
	}
	remind := h.clock.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	r := h.api("PUT", path, tok, map[string]any{"note": "Compare with what the clinic nurse said", "remind_at": remind.Format(time.RFC3339)})
	if r.Status != http.StatusOK || r.Body["note"] != "Compare with what the clinic nurse said" || r.Body["available"] != true ||
		r.Body["thread_title"] != "Insulin pump or pens?" || r.Body["first_post"] != true {
		t.Fatalf("PUT bookmark: %d %s", r.Status, r.Raw)
	}
	if got, _ := time.Parse(time.RFC3339, r.Body["remind_at"].(string)); !got.Equal(remind) {
		t.Errorf("remind_at %v, want %s", r.Body["remind_at"], remind)
	}
	// Again, changed: still one bookmark.
	if r := h.api("PUT", path, tok, map[string]any{"note": "", "remind_at": nil}); r.Status != http.StatusOK || r.Body["remind_at"] != nil {
		t.Errorf("PUT again: %d %s", r.Status, r.Raw)
	}
	list := h.api("GET", "/api/v1/bookmarks", tok, nil)
	items, _ := list.Body["bookmarks"].([]any)
	if list.Status != http.StatusOK || len(items) != 1 {
		t.Fatalf("GET bookmarks: %d %s", list.Status, list.Raw)
	}
	if posts := h.api("GET", "/api/v1/threads/"+itoa(th.ID)+"/posts", tok, nil); !strings.Contains(posts.Raw, `"bookmarked":true`) {
		t.Errorf("the thread's posts do not say bookmarked: %s", posts.Raw)
	}

	bad := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"a note too long", map[string]any{"note": strings.Repeat("é", 501)}, "note"},
		{"a control character", map[string]any{"note": "call \u001b[31mback"}, "note"},
		{"a reminder in the past", map[string]any{"remind_at": h.clock.Now().Add(-time.Hour).Format(time.RFC3339)}, "remind_at"},
		{"a reminder two years ahead", map[string]any{"remind_at": h.clock.Now().Add(2 * 366 * 24 * time.Hour).Format(time.RFC3339)}, "remind_at"},
		{"a reminder that is not a time", map[string]any{"remind_at": "next Tuesday"}, "remind_at"},
		{"an unknown field", map[string]any{"colour": "red"}, "colour"},
	}
	for _, c := range bad {
		r := h.api("PUT", path, tok, c.body)
		fields, _ := r.Body["error"].(map[string]any)["fields"].(map[string]any)
		if r.Status != http.StatusUnprocessableEntity || fields[c.field] == nil {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
	}
	var note string
	h.app.DB.Gorm.Raw(`SELECT note FROM bookmarks WHERE post_id = ?`, first.ID).Scan(&note)
	if note != "" {
		t.Errorf("a refused request changed the note to %q", note)
	}

	// A post in a forum the caller cannot read is not there to bookmark.
	h.licensing()
	h.account("dr_ines", models.RoleMember)
	h.verify("dr_ines", 300)
	lounge := h.thread("dr_ines", h.forumBySlug("lounge"), "Rota swaps in December", "Anyone free on the 23rd?", false)
	if r := h.api("PUT", "/api/v1/posts/"+itoa(h.firstPost(lounge.ID).ID)+"/bookmark", tok, map[string]any{}); r.Status != http.StatusNotFound {
		t.Errorf("bookmark a post in the clinicians' lounge as a member: %d %s", r.Status, r.Raw)
	}

	// The most a member keeps: a new bookmark past it is refused, saying
	// why; changing one already kept still works.
	reader := h.user("reader")
	more := h.thread("writer", f, "Night-time lows", "Waking at 3 am shaky.", false)
	// 999 more replies and their bookmarks, written straight in: the
	// service would take a minute for them.
	var ids []int64
	if err := h.app.DB.Gorm.Raw(`INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
		SELECT ?, ?, 'Same here.', '<p>Same here.</p>', now() FROM generate_series(1, ?) RETURNING id`,
		more.ID, h.user("writer").ID, forums.MaxBookmarks-1).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	if err := h.app.DB.Gorm.Exec(`INSERT INTO bookmarks (user_id, post_id, created_at) SELECT ?, id, now() FROM posts WHERE id IN ?`, reader.ID, ids).Error; err != nil {
		t.Fatal(err)
	}
	full := h.api("PUT", "/api/v1/posts/"+itoa(h.firstPost(more.ID).ID)+"/bookmark", tok, map[string]any{})
	if full.Status != http.StatusConflict || !strings.Contains(full.Raw, "1000 bookmarks") {
		t.Errorf("bookmark number 1,001: %d %s", full.Status, full.Raw)
	}
	if r := h.api("PUT", path, tok, map[string]any{"note": "still changeable"}); r.Status != http.StatusOK {
		t.Errorf("changing a kept bookmark at the limit: %d %s", r.Status, r.Raw)
	}
	if err := h.app.DB.Gorm.Exec(`DELETE FROM bookmarks WHERE post_id IN ?`, ids).Error; err != nil {
		t.Fatal(err)
	}

	if r := h.api("DELETE", path, tok, nil); r.Status != http.StatusNoContent {
		t.Errorf("DELETE: %d", r.Status)
	}
	if r := h.api("DELETE", path, tok, nil); r.Status != http.StatusNoContent {
		t.Errorf("DELETE again: %d", r.Status)
	}
	if n := h.count("bookmarks"); n != 0 {
		t.Errorf("%d bookmarks left", n)
	}
}

// TestBookmarksOfPostsNoLongerReadable: a clinician who bookmarked a
// thread in the clinicians' lounge and whose verification ran out, and a
// member whose bookmarked reply moderators removed, still see that they
// have a bookmark (and their own note) and can remove it, but nothing of
// the post, its thread or its forum, in pages or the API.
func TestBookmarksOfPostsNoLongerReadable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("lounge", func(ff *forums.ForumForm) { ff.ClinicianOnly = true })
	f := h.forum("heart", nil)
	h.licensing()
	h.account("dr_ines", models.RoleMember)
	h.verify("dr_ines", 30)
	secret := h.thread("dr_ines", h.forumBySlug("lounge"), "Handover notes for ward 7", "Bed 4 needs a review.", false)
	tok := h.tokenFor("dr_ines", "write")
	if r := h.api("PUT", "/api/v1/posts/"+itoa(h.firstPost(secret.ID).ID)+"/bookmark", tok, map[string]any{"note": "my own words"}); r.Status != http.StatusOK {
		t.Fatalf("bookmark in the lounge: %d %s", r.Status, r.Raw)
	}
	h.account("pat", models.RoleMember)
	th := h.thread("pat", f, "Cardiac rehab", "Week three.", false)
	gone := h.reply("pat", th.ID, "A reply moderators will remove.", false)
	if r := h.api("PUT", "/api/v1/posts/"+itoa(gone.ID)+"/bookmark", tok, map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("bookmark a reply: %d", r.Status)
	}
	if err := h.app.DB.Gorm.Exec(`UPDATE posts SET visibility = 'removed' WHERE id = ?`, gone.ID).Error; err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(31 * 24 * time.Hour) // the verification runs out

	b := h.browser()
	b.signIn("dr_ines", goodPassword)
	page := b.get("/bookmarks")
	if strings.Count(page.body, "no longer there for you to read") != 2 || !strings.Contains(page.body, "my own words") {
		t.Fatalf("bookmarks page after losing access:\n%s", page.body)
	}
	for _, leak := range []string{"Handover", "ward 7", "lounge", "Cardiac rehab", "/posts/" + itoa(gone.ID)} {
		if strings.Contains(page.body, leak) {
			t.Errorf("the bookmarks page shows %q of a post no longer readable", leak)
		}
	}
	tok = h.tokenFor("dr_ines", "write")
	list := h.api("GET", "/api/v1/bookmarks", tok, nil)
	for _, leak := range []string{"Handover", "lounge", "Cardiac rehab", `"thread_id"`} {
		if strings.Contains(list.Raw, leak) {
			t.Errorf("the API's bookmarks show %q: %s", leak, list.Raw)
		}
	}
	var ids []int64
	h.app.DB.Gorm.Raw(`SELECT id FROM bookmarks ORDER BY id`).Scan(&ids)
	if r := b.get("/bookmarks/" + itoa(ids[0]) + "/edit"); r.StatusCode != http.StatusNotFound || strings.Contains(r.body, "Handover") {
		t.Errorf("edit page of a bookmark of an unreadable post: %d", r.StatusCode)
	}
	if r := b.post("/bookmarks/"+itoa(ids[0])+"/edit", url.Values{"note": {"x"}, "remind": {""}}); r.StatusCode != http.StatusNotFound {
		t.Errorf("changing a bookmark of an unreadable post: %d", r.StatusCode)
	}
	if r := b.get("/bookmarks/" + itoa(ids[0]) + "/remove"); r.StatusCode != http.StatusOK || strings.Contains(r.body, "Handover") {
		t.Errorf("remove page: %d", r.StatusCode)
	}
	b.post("/bookmarks/"+itoa(ids[0])+"/remove", url.Values{})
	if r := h.api("DELETE", "/api/v1/posts/"+itoa(gone.ID)+"/bookmark", tok, nil); r.Status != http.StatusNoContent {
		t.Errorf("API removal of a bookmark of a removed post: %d", r.Status)
	}
	if n := h.count("bookmarks"); n != 0 {
		t.Errorf("%d bookmarks left after removing both", n)
	}
}

// TestBookmarkReminders: a due reminder becomes one notification (naming
// no thread), a sweep run again sends nothing more, a reminder not yet
// due waits, and a new reminder time is reminded again.
func TestBookmarkReminders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("sleep", nil)
	h.account("writer", models.RoleMember)
	th := h.thread("writer", f, "Melatonin and shift work", "Has it helped anyone?", false)
	b := h.member("nurse_night")
	tok := h.tokenFor("nurse_night", "write")
	path := "/api/v1/posts/" + itoa(h.firstPost(th.ID).ID) + "/bookmark"
	at := h.clock.Now().Add(3 * time.Hour)
	if r := h.api("PUT", path, tok, map[string]any{"remind_at": at.Format(time.RFC3339)}); r.Status != http.StatusOK {
		t.Fatalf("set reminder: %d %s", r.Status, r.Raw)
	}
	reminders := func() int64 {
		var n int64
		h.app.DB.Gorm.Raw(`SELECT count(*) FROM notifications WHERE kind = ? AND user_id = ?`, models.NotifyBookmarkReminder, h.user("nurse_night").ID).Scan(&n)
		return n
	}
	ctx := context.Background()
	if n, err := h.app.Forums.SendBookmarkReminders(ctx); err != nil || n != 0 || reminders() != 0 {
		t.Fatalf("before it is due: %d %v", n, err)
	}
	h.clock.Advance(3*time.Hour + time.Minute)
	if n, err := h.app.Forums.SendBookmarkReminders(ctx); err != nil || n != 1 {
		t.Fatalf("when due: %d %v", n, err)
	}
	if n, err := h.app.Forums.SendBookmarkReminders(ctx); err != nil || n != 0 || reminders() != 1 {
		t.Fatalf("a second sweep: %d %v, %d notifications", n, err, reminders())
	}
	page := b.get("/notifications")
	if !strings.Contains(page.body, "Your reminder: a post you bookmarked") || strings.Contains(page.body, "Melatonin") {
		t.Errorf("the reminder notification:\n%s", page.body)
	}
	// A new time is reminded again.
	if r := h.api("PUT", path, tok, map[string]any{"remind_at": h.clock.Now().Add(time.Hour).Format(time.RFC3339)}); r.Status != http.StatusOK || r.Body["reminded_at"] != nil {
		t.Fatalf("a new reminder: %d %s", r.Status, r.Raw)
	}
	h.clock.Advance(2 * time.Hour)
	if n, _ := h.app.Forums.SendBookmarkReminders(ctx); n != 1 || reminders() != 2 {
		t.Errorf("the new reminder: %d sent, %d notifications", n, reminders())
	}
}

// TestBrowserBookmarksAndDrafts: in a real browser, a member bookmarks a
// post from the thread page, finds it under Bookmarks, writes a note, and
// is asked before removing it; then saves a half-written reply as a draft
// and finds it in the form again. Every page passes axe.
func TestBrowserBookmarksAndDrafts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("bm-heart", func(f *forums.ForumForm) { f.Name = "Heart health" })
	h.account("bm_writer", models.RoleMember)
	th := h.thread("bm_writer", f, "Walking after a stent", "How far did you walk in the first week?", false)
	h.reply("bm_writer", th.ID, "About ten minutes twice a day, then a little more each week.", false)
	h.member("bm_reader")
	p := newPage(t, h)
	p.signIn("bm_reader")
	p.visit("/t/"+itoa(th.ID), "Walking after a stent")
	p.do(chromedp.Click(chromedp.CSS(`form[action="/posts/` + itoa(h.firstPost(th.ID).ID) + `/bookmark"] button`)))
	p.waitText("Bookmarked. Find it under Bookmarks")
	p.checkA11y("thread page with a bookmark")
	p.visit("/bookmarks", "Walking after a stent")
	p.checkA11yAll("bookmarks")
	p.do(chromedp.Click(chromedp.CSS(`a[href$="/edit"]`)))
	p.waitText("Only you see the note")
	p.checkA11yAll("bookmark note and reminder")
	p.submit(`form[action$="/edit"]`, "note", "Ask the rehab nurse about hills")
	p.waitText("Bookmark saved.")
	p.waitText("Ask the rehab nurse about hills")
	p.do(chromedp.Click(chromedp.CSS(`a[href$="/remove"]`)))
	p.waitText("Remove this bookmark?")
	p.checkA11yAll("remove a bookmark")
	p.do(chromedp.Click(chromedp.CSS(`form[action$="/remove"] button`)))
	p.waitText("No bookmarks yet")

	p.visit("/t/"+itoa(th.ID), "Walking after a stent")
	p.do(chromedp.SendKeys(chromedp.ID("body"), "I managed the park loop by week two, but"))
	p.do(chromedp.Click(chromedp.CSS(`button[value="draft"]`)))
	p.waitText("Draft saved. It waits here for you")
	p.visit("/t/"+itoa(th.ID), "Walking after a stent")
	if got := p.eval(`document.getElementById("body").value`); got != "I managed the park loop by week two, but" {
		t.Errorf("the reply form after reloading holds %q", got)
	}
	p.checkA11y("thread page with a saved draft")
}
