package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// TestWhatsNewInPages: a member's read mark follows what they were shown;
// lists say "N new" and "New", forums count unread threads, the thread
// page marks what came since the last visit, /t/{id}/new goes to the first
// unread post; the Latest page lists only what the viewer may read.
func TestWhatsNewInPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	pub := h.forum("wn-walk", func(f *forums.ForumForm) { f.Name = "Walking" })
	sens := h.forum("wn-mood", func(f *forums.ForumForm) { f.Name = "Low mood"; f.Sensitive = true })
	h.account("wn_ana", models.RoleMember)
	b := h.member("wn_ben") // joined now: older threads never count as new for him
	h.confirmEmail("wn_ben")
	h.clock.Advance(time.Minute)
	th := h.thread("wn_ana", pub, "Morning or evening walks?", "Which suits a tired heart better?", false)
	quiet := h.thread("wn_ana", sens, "Grey weeks", "How do you get out of the door?", false)

	// Never opened, started since he joined: "New", counted per forum.
	r := b.get("/f/wn-walk")
	if !strings.Contains(r.body, `<span class="tag tag-new">New</span>`) {
		t.Fatalf("a new thread is not marked new:\n%s", r.body)
	}
	if r := b.get("/"); !strings.Contains(r.body, "1 unread") {
		t.Fatalf("the forum list has no unread count:\n%s", r.body)
	}
	r = b.get("/t/" + itoa(th.ID))
	if strings.Contains(r.body, "New since your last visit") {
		t.Fatal("a first visit marks posts new")
	}
	// Read: nothing new. Two replies later: "2 new", and the first of them
	// is where "new" starts.
	if r := b.get("/f/wn-walk"); strings.Contains(r.body, "tag-new") {
		t.Fatal("a read thread is still marked")
	}
	p1 := h.reply("wn_ana", th.ID, "Mornings, before the heat.", false)
	h.reply("wn_ana", th.ID, "And after breakfast, not before.", false)
	r = b.get("/f/wn-walk")
	if !strings.Contains(r.body, `href="/t/`+itoa(th.ID)+`/new">2 new`) {
		t.Fatalf("no “2 new” link:\n%s", r.body)
	}
	if r := b.get("/t/" + itoa(th.ID) + "/new"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/posts/"+itoa(p1.ID) {
		t.Fatalf("/new: %d → %s", r.StatusCode, r.Header.Get("Location"))
	}
	r = b.get("/t/" + itoa(th.ID))
	marker := strings.Index(r.body, "New since your last visit")
	if marker < 0 || marker > strings.Index(r.body, "Mornings, before the heat") || marker < strings.Index(r.body, "Which suits a tired heart") {
		t.Fatal("the marker is not just before the first new reply")
	}
	if r := b.get("/t/" + itoa(th.ID)); strings.Contains(r.body, "New since your last visit") {
		t.Fatal("the marker stays after reading")
	}
	// Seeing nothing new writes nothing: the row is not even locked (a
	// lock or an update changes its xmin or xmax), so a busy thread's
	// readers do not queue behind each other.
	tuple := func() string {
		var v string
		h.app.DB.Gorm.Raw(`SELECT xmin::text || '/' || xmax::text FROM thread_reads WHERE thread_id = ? AND user_id = ?`, th.ID, h.user("wn_ben").ID).Scan(&v)
		return v
	}
	before := tuple()
	b.get("/t/" + itoa(th.ID))
	if after := tuple(); after != before {
		t.Fatalf("a view with nothing new touched the read mark: %s → %s", before, after)
	}
	// His own reply does not make the thread unread for him.
	h.reply("wn_ben", th.ID, "Evenings for me: my legs are stiff early.", false)
	if r := b.get("/f/wn-walk"); strings.Contains(r.body, "tag-new") {
		t.Fatal("his own reply made the thread unread for him")
	}

	// Latest: members see the sensitive forum's thread, visitors do not.
	r = b.get("/latest")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Grey weeks") || !strings.Contains(r.body, "Morning or evening walks?") || !strings.Contains(r.body, `href="/f/wn-mood"`) {
		t.Fatalf("member's latest:\n%s", r.body)
	}
	v := h.browser()
	if r := v.get("/latest"); strings.Contains(r.body, "Grey weeks") || !strings.Contains(r.body, "Morning or evening walks?") || strings.Contains(r.body, "tag-new") {
		t.Fatalf("visitor's latest:\n%s", r.body)
	}
	if r := v.get("/"); !strings.Contains(r.body, "Latest activity") || strings.Contains(r.body, "Grey weeks") {
		t.Fatal("visitor's home page latest section")
	}
	if r := v.get("/latest?cursor=@@"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad cursor: %d", r.StatusCode)
	}
	if r := v.get("/t/" + itoa(th.ID) + "/new"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Fatalf("visitor /new: %d", r.StatusCode)
	}
	_ = quiet
}

// TestWhatsNewAPI: the same through the API, and notifications grouped
// per thread ("5 new replies in …") in the list, the count and reading.
func TestWhatsNewAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	pub := h.forum("wa-walk", nil)
	h.account("wa_ana", models.RoleMember)
	h.account("wa_ben", models.RoleMember)
	h.account("wa_cat", models.RoleMember)
	h.clock.Advance(time.Minute) // threads started after the accounts
	th := h.thread("wa_ana", pub, "Stretching before walks", "Does it help?", false)
	other := h.thread("wa_cat", pub, "Shoes for wide feet", "Any brand?", false)
	h.reply("wa_ben", th.ID, "Gentle stretches, yes.", false) // ben follows th
	anaTok, benTok := h.tokenFor("wa_ana", "write"), h.tokenFor("wa_ben", "write")
	var replies []int64
	for _, body := range []string{"Calves first.", "Then hamstrings.", "Never bounce.", "Hold 20 seconds.", "Breathe out."} {
		replies = append(replies, h.reply("wa_ana", th.ID, body, false).ID)
	}
	h.reply("wa_cat", other.ID, "Wide fit trainers from a running shop.", false)

	list := h.api(http.MethodGet, "/api/v1/notifications", benTok, nil)
	items, _ := list.Body["notifications"].([]any)
	if list.Status != http.StatusOK || len(items) != 1 || list.Body["unread"] != float64(1) {
		t.Fatalf("grouped list: %s", list.Raw)
	}
	first := items[0].(map[string]any)
	if first["count"] != float64(5) || first["first_post_id"] != float64(replies[0]) || first["post_id"] != float64(replies[4]) {
		t.Fatalf("group item: %v", first)
	}
	b := h.browser()
	b.signIn("wa_ben", goodPassword)
	if r := b.get("/notifications"); !strings.Contains(r.body, "5 new replies in “Stretching before walks”") {
		t.Fatalf("notifications page:\n%s", r.body)
	}
	if r := h.api(http.MethodPost, "/api/v1/notifications/"+itoa(int64(first["id"].(float64)))+"/read", benTok, nil); r.Status != http.StatusNoContent {
		t.Fatalf("read: %d", r.Status)
	}
	if n, _ := h.app.Notify.Unread(ctx, h.user("wa_ben").ID); n != 0 {
		t.Fatalf("reading the group left %d unread", n)
	}

	// Read marks through the API.
	got := h.api(http.MethodGet, "/api/v1/threads/"+itoa(th.ID), benTok, nil)
	if got.Body["last_read_post_id"] == float64(0) {
		t.Fatalf("ben replied, so he read up to his reply: %s", got.Raw)
	}
	lat := h.api(http.MethodGet, "/api/v1/latest", benTok, nil)
	threads, _ := lat.Body["threads"].([]any)
	if lat.Status != http.StatusOK || len(threads) != 2 {
		t.Fatalf("latest: %s", lat.Raw)
	}
	byID := map[float64]map[string]any{}
	for _, x := range threads {
		m := x.(map[string]any)
		byID[m["id"].(float64)] = m
	}
	if byID[float64(th.ID)]["unread_replies"] != float64(5) || byID[float64(other.ID)]["new"] != true || byID[float64(th.ID)]["forum"] != "wa-walk" {
		t.Fatalf("latest marks: %s", lat.Raw)
	}
	if r := h.api(http.MethodPut, "/api/v1/threads/"+itoa(th.ID)+"/read", benTok, map[string]any{"post_id": replies[2]}); r.Status != http.StatusOK || r.Body["last_read_post_id"] != float64(replies[2]) {
		t.Fatalf("mark read: %d %s", r.Status, r.Raw)
	}
	// Never back, and only posts of the thread.
	if r := h.api(http.MethodPut, "/api/v1/threads/"+itoa(th.ID)+"/read", benTok, map[string]any{"post_id": replies[0]}); r.Body["last_read_post_id"] != float64(replies[2]) {
		t.Fatalf("the mark went back: %s", r.Raw)
	}
	if r := h.api(http.MethodPut, "/api/v1/threads/"+itoa(th.ID)+"/read", benTok, map[string]any{"post_id": h.firstPost(other.ID).ID}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("another thread's post: %d", r.Status)
	}
	forumsList := h.api(http.MethodGet, "/api/v1/forums", benTok, nil)
	fs, _ := forumsList.Body["forums"].([]any)
	if len(fs) != 1 || fs[0].(map[string]any)["unread_threads"] != float64(2) {
		t.Fatalf("forum unread count: %s", forumsList.Raw)
	}
	if r := h.api(http.MethodGet, "/api/v1/threads/"+itoa(th.ID), "", nil); r.Body["last_read_post_id"] != float64(0) {
		t.Fatal("a visitor has a read mark")
	}
	_ = anaTok
}

// TestBrowserWhatsNew: the Latest page, a forum with unread marks, a
// thread with its "new since your last visit" marker and the grouped
// notification, in Chromium, axe-core clean.
func TestBrowserWhatsNew(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("bw-walk", func(f *forums.ForumForm) { f.Name = "Walking" })
	h.account("bw_ana", models.RoleMember)
	h.member("bw_ben")
	h.confirmEmail("bw_ben")
	h.clock.Advance(time.Minute)
	th := h.thread("bw_ana", f, "Walking poles", "Do they help on hills?", false)
	h.thread("bw_ana", f, "Rest days", "How many a week?", false)
	h.reply("bw_ben", th.ID, "They take weight off the knees.", false)
	h.reply("bw_ana", th.ID, "Good to know.", false)
	h.reply("bw_ana", th.ID, "I will try a pair.", false)
	p := newPage(t, h)
	p.signIn("bw_ben")
	p.visit("/latest", "Latest activity")
	p.waitText("2 new")
	p.checkA11yAll("latest activity with unread marks")
	p.visit("/notifications", "2 new replies in “Walking poles”")
	p.checkA11yAll("grouped notification")
	p.visit("/t/"+itoa(th.ID)+"/new", "New since your last visit")
	p.checkA11yAll("thread with the new-since marker")
	p.visit("/", "Latest activity")
	p.checkA11yAll("home with latest activity")
}
