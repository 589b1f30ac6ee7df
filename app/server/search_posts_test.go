package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/models"
)

// longThread adds n replies to a thread straight in PostgreSQL (about 100
// characters each; reply number deep holds word), as a thread that grew
// before this version would be, and queues the thread whole, as the
// migration does. It returns the deep reply's id.
func (h *harness) longThread(threadID int64, n, deep int, word string) int64 {
	h.t.Helper()
	err := h.app.DB.Gorm.Exec(`INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
		SELECT t.id, t.author_id, b, '<p>' || b || '</p>', now() - interval '1 hour' + g * interval '1 second'
		FROM threads t, generate_series(1, ?) g,
			LATERAL (SELECT 'Reply ' || g || ': ' || CASE WHEN g = ? THEN ? ELSE 'steady' END || repeat(' the same long words again', 3) AS b) x
		WHERE t.id = ? ORDER BY g`, n, deep, word, threadID).Error
	if err != nil {
		h.t.Fatal(err)
	}
	h.app.DB.Gorm.Exec(`UPDATE threads SET reply_count = reply_count + ? WHERE id = ?`, n, threadID)
	var id int64
	h.app.DB.Gorm.Raw(`SELECT id FROM posts WHERE thread_id = ? AND body LIKE ?`, threadID, "Reply "+fmt.Sprint(deep)+": %").Scan(&id)
	if err := search.EnqueueNow(context.Background(), h.app.DB, threadID); err != nil {
		h.t.Fatal(err)
	}
	return id
}

// docsOf counts the documents the index holds for a thread.
func (h *harness) docsOf(threadID int64) int {
	h.t.Helper()
	have, err := h.app.Search.Indexed(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, d := range have {
		if d.ThreadID == threadID {
			n++
		}
	}
	return n
}

// TestEveryReplyIsFindable: in a thread of 1,000 posts, a word in reply
// 350 (after 35,000 characters of replies, which the thread document of
// old cut off) and one in the latest reply are found: one result for the
// thread, the snippet from the matching reply and a link to it, in the API
// and on the search page. A reply hidden far down is never found, by
// anyone. Hiding the thread removes its 1,000 documents, restoring brings
// them back, moving it to a sensitive forum hides it from visitors; the
// time each took is logged.
func TestEveryReplyIsFindable(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	ctx := context.Background()
	pub := h.forum("heart", nil)
	h.forum("mind", func(f *forums.ForumForm) { f.Sensitive = true })
	h.account("author", models.RoleMember)
	h.account("mod_lee", models.RoleModerator)
	mod := h.actor(h.user("mod_lee"))
	th := h.thread("author", pub, "A long thread about pacemakers", "How it started.", false)
	deep := h.longThread(th.ID, 997, 350, "zebradeepreply")
	eventually(t, "the deep reply is found", func() bool { return has(h.searchIDs("", "q=zebradeepreply"), th.ID) })

	hidden := h.reply("author", th.ID, "zebrafarhidden should never be found", false)
	if err := h.app.Moderation.Act(ctx, mod, models.TargetPost, hidden.ID, moderation.ActHide, "Off topic", false); err != nil {
		t.Fatal(err)
	}
	last := h.reply("author", th.ID, "zebrafarreply: the thousandth post of the thread", false)
	start := time.Now()
	eventually(t, "the latest reply is found", func() bool { return has(h.searchIDs("", "q=zebrafarreply"), th.ID) })
	t.Logf("a reply to a 1,000-post thread was found %s after it was written", time.Since(start).Round(time.Millisecond))

	for word, post := range map[string]*int64{"zebradeepreply": &deep, "zebrafarreply": &last.ID} {
		hits := h.searchHits("", "q="+word)
		want := fmt.Sprintf("/t/%d?after=%d#post-%d", th.ID, *post-1, *post)
		if len(hits) != 1 || hits[0]["post_id"] != float64(*post) || hits[0]["url"] != want ||
			!strings.Contains(hits[0]["snippet_html"].(string), "<mark>"+word+"</mark>") {
			t.Errorf("%s: %v, want one hit linking to %s with the word marked", word, hits, want)
		}
		page := h.browser().get("/search?q=" + word).body
		if !strings.Contains(page, `href="`+strings.ReplaceAll(want, "&", "&amp;")+`"`) || !strings.Contains(page, "<mark>"+word+"</mark>") {
			t.Errorf("the search page for %s does not link to the post", word)
		}
	}
	// A word in every reply: one result, counted once.
	r := h.api("GET", "/api/v1/search?q=steady", "", nil)
	if r.Body["estimated_total"] != 1.0 || fmt.Sprint(r.Body["forum_counts"]) != "map[heart:1]" || len(r.Body["hits"].([]any)) != 1 {
		t.Errorf("a word in 997 replies of one thread: %s", r.Raw)
	}
	viewers := map[string]string{"visitor": "", "member": h.member("reader").token("read"), "moderator": h.tokenFor("mod_lee", "read"),
		"admin": h.tokenFor(h.ensureAdmin(), "read")}
	for who, tok := range viewers {
		for _, o := range []string{"", "&forum=heart", "&sort=recent", "&sort=active"} {
			if r := h.api("GET", "/api/v1/search?q=zebrafarhidden"+o, tok, nil); r.Status != http.StatusOK || strings.Contains(r.Raw, "zebrafarhidden") ||
				r.Body["estimated_total"] != 0.0 {
				t.Errorf("%s finds the hidden reply: %s", who, r.Raw)
			}
		}
	}
	var visible int
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM posts WHERE thread_id = ? AND visibility = 'visible' AND deleted_at IS NULL`, th.ID).Scan(&visible)
	if n := h.docsOf(th.ID); n != visible || visible != 999 {
		t.Errorf("%d documents for %d visible posts", n, visible)
	}

	// Thread-wide changes reach every document of the thread.
	timed := func(what string, cond func() bool) {
		t.Helper()
		start := time.Now()
		eventually(t, what, cond)
		t.Logf("1,000-post thread: %s after %s", what, time.Since(start).Round(time.Millisecond))
	}
	if err := h.app.Moderation.Act(ctx, mod, models.TargetThread, th.ID, moderation.ActHide, "Checking", false); err != nil {
		t.Fatal(err)
	}
	timed("hidden: no document left", func() bool { return h.docsOf(th.ID) == 0 })
	if err := h.app.Moderation.Act(ctx, mod, models.TargetThread, th.ID, moderation.ActRestore, "Fine", false); err != nil {
		t.Fatal(err)
	}
	timed("restored: every document back", func() bool { return h.docsOf(th.ID) == visible })
	if err := h.app.Moderation.MoveThread(ctx, mod, models.TargetThread, th.ID, "mind", "Belongs here", false); err != nil {
		t.Fatal(err)
	}
	timed("moved to a sensitive forum: visitors no longer find the deep reply", func() bool {
		return len(h.searchIDs("", "q=zebradeepreply")) == 0 && len(h.searchIDs("", "q=steady")) == 0
	})
	if ids := h.searchIDs(viewers["member"], "q=zebradeepreply&forum=mind"); !sameIDs(ids, th.ID) {
		t.Errorf("a member does not find the moved thread's deep reply in its new forum: %v", ids)
	}
	r0, err := h.app.Search.Verify(ctx, h.app.Forums, false)
	if err != nil || !r0.Clean() {
		t.Errorf("the index differs from PostgreSQL: %v %+v", err, r0)
	}
}

// TestSearchCountsThreadsNotPosts: a thread whose 30 replies match counts
// once in the total, the forum counts and the tag counts, and sorts by its
// own reply count (Meilisearch's estimated total, with offset and limit,
// counted it up to once per matching post).
func TestSearchCountsThreadsNotPosts(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	ctx := context.Background()
	heart, lungs := h.forum("heart", nil), h.forum("lungs", nil)
	h.account("author", models.RoleMember)
	busy, err := h.app.Forums.CreateThread(ctx, h.viewer("author"), heart, forums.ThreadForm{Title: "Many answers", Body: "zebracount first",
		Tags: []string{"pump"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		h.reply("author", busy.ID, fmt.Sprintf("zebracount reply %d", i), false)
	}
	quiet, err := h.app.Forums.CreateThread(ctx, h.viewer("author"), lungs, forums.ThreadForm{Title: "One answer", Body: "zebracount alone",
		Tags: []string{"pump"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "both indexed with every reply", func() bool {
		return len(h.searchIDs("", "q=zebracount")) == 2 && h.docsOf(busy.ID) == 31
	})
	r := h.api("GET", "/api/v1/search?q=zebracount", "", nil)
	if r.Body["estimated_total"] != 2.0 || fmt.Sprint(r.Body["forum_counts"]) != "map[heart:1 lungs:1]" {
		t.Errorf("counts: %s", r.Raw)
	}
	r = h.api("GET", "/api/v1/search?tag=pump", "", nil) // no words: every post matches
	if r.Body["estimated_total"] != 2.0 || fmt.Sprint(r.Body["forum_counts"]) != "map[heart:1 lungs:1]" {
		t.Errorf("counts of a tag search: %s", r.Raw)
	}
	r = h.api("GET", "/api/v1/search?q=zebracount&forum=heart", "", nil)
	if r.Body["estimated_total"] != 1.0 || fmt.Sprint(r.Body["forum_counts"]) != "map[heart:1 lungs:1]" {
		t.Errorf("counts within a forum: %s", r.Raw)
	}
	if ids := h.searchIDs("", "q=zebracount&sort=active"); !sameIDs(ids, busy.ID, quiet.ID) {
		t.Errorf("most replies first: %v", ids)
	}
	// More threads than a page holds, three matching posts each: the
	// total and the counts are still threads.
	var many []int64
	for i := 0; i < 25; i++ {
		many = append(many, h.thread("author", lungs, fmt.Sprintf("Breathing %d", i), "zebramany at first", false).ID)
	}
	if err := h.app.DB.Gorm.Exec(`INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
		SELECT t.id, t.author_id, 'zebramany again', '<p>zebramany again</p>', now() FROM threads t, generate_series(1, 2) WHERE t.id IN ?`, many).Error; err != nil {
		t.Fatal(err)
	}
	if err := search.EnqueueNow(ctx, h.app.DB, many...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "75 posts of 25 threads indexed", func() bool {
		n := 0
		for _, id := range many {
			n += h.docsOf(id)
		}
		return n == 75
	})
	for _, q := range []string{"q=zebramany", "q=zebramany&forum=lungs", "q=zebramany&page=2"} {
		r := h.api("GET", "/api/v1/search?"+q, "", nil)
		if r.Body["estimated_total"] != 25.0 || fmt.Sprint(r.Body["forum_counts"]) != "map[lungs:25]" {
			t.Errorf("%s: total %v, forum counts %v, want 25 threads", q, r.Body["estimated_total"], r.Body["forum_counts"])
		}
	}
	// No words (a forum's threads): every post matches.
	if r := h.api("GET", "/api/v1/search?forum=lungs", "", nil); r.Body["estimated_total"] != 26.0 ||
		fmt.Sprint(r.Body["forum_counts"]) != "map[heart:1 lungs:26]" {
		t.Errorf("forum=lungs: total %v, forum counts %v, want 26 threads", r.Body["estimated_total"], r.Body["forum_counts"])
	}
	if hits := h.searchHits("", "q=zebramany&page=2"); len(hits) != 5 {
		t.Errorf("page 2 holds %d threads, want 5", len(hits))
	}
	tags, err := h.app.Search.PopularTags(ctx, []string{models.AudiencePublic}, 5)
	if err != nil || len(tags) != 1 || tags[0].Tag != "pump" || tags[0].Threads != 2 {
		t.Errorf("popular tags: %+v %v", tags, err)
	}
}
