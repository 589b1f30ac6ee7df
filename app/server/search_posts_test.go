package server_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
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
	// A word in every reply: one result; the estimate counts posts.
	r := h.api("GET", "/api/v1/search?q=steady", "", nil)
	if total, _ := r.Body["estimated_total"].(float64); total < 1 || total > 997 || len(r.Body["hits"].([]any)) != 1 || r.Body["has_more"] != false {
		t.Errorf("a word in 997 replies of one thread: %s", r.Raw)
	}
	t.Logf("a word in 997 replies of one thread: estimated total %v, forum counts %v", r.Body["estimated_total"], r.Body["forum_counts"])
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

// TestSearchCountsPostsAndPagesThreads: the numbers a search shows are
// Meilisearch's estimates (fast at a million posts; counting threads
// exactly was not): at least the matching threads, at most the matching
// posts, and the page says so; the results are still one per thread. A
// thread whose 30 replies match is one result, and the total and its
// forum's count are at least one and at most its 31 matching posts.
// 45 threads with three matching posts each page as 20, 20 and 5 threads,
// in every order: no thread twice, none missing, a next page exactly when
// there is one.
func TestSearchCountsPostsAndPagesThreads(t *testing.T) {
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
	// within checks a search's counts: between the threads it shows and
	// the posts that match, per forum too.
	within := func(q string, total [2]float64, forums map[string][2]float64) {
		t.Helper()
		r := h.api("GET", "/api/v1/search?"+q, "", nil)
		got, _ := r.Body["estimated_total"].(float64)
		counts, _ := r.Body["forum_counts"].(map[string]any)
		ok := got >= total[0] && got <= total[1] && len(counts) == len(forums)
		for f, want := range forums {
			n, _ := counts[f].(float64)
			ok = ok && n >= want[0] && n <= want[1]
		}
		if !ok {
			t.Errorf("%s: total %v, forum counts %v; want total in %v, forums in %v", q, got, counts, total, forums)
		}
		t.Logf("%s: total %v, forum counts %v", q, got, counts)
	}
	within("q=zebracount", [2]float64{2, 32}, map[string][2]float64{"heart": {1, 31}, "lungs": {1, 1}})
	within("tag=pump", [2]float64{2, 32}, map[string][2]float64{"heart": {1, 31}, "lungs": {1, 1}}) // no words: every post matches
	within("q=zebracount&forum=heart", [2]float64{1, 31}, map[string][2]float64{"heart": {1, 31}, "lungs": {1, 1}})
	if ids := h.searchIDs("", "q=zebracount"); !sameIDs(sorted(ids), sorted([]int64{busy.ID, quiet.ID})...) {
		t.Errorf("one result per thread: %v", ids)
	}
	if ids := h.searchIDs("", "q=zebracount&sort=active"); !sameIDs(ids, busy.ID, quiet.ID) {
		t.Errorf("most replies first: %v", ids)
	}
	page := h.browser().get("/search?q=zebracount").body
	if !regexp.MustCompile(`About \d+ match(es)?, one result per thread <span class="hint">\(a thread with several matching posts may count more than once\)</span>\.`).MatchString(page) ||
		!regexp.MustCompile(`Forum heart \(about \d+ match(es)?\)`).MatchString(page) ||
		!strings.Contains(page, "Forum lungs (about 1 match)") || strings.Contains(page, " threads.") {
		t.Error("the search page does not say what its numbers count")
	}

	// 45 threads, three matching posts each.
	var many []int64
	for i := 0; i < 45; i++ {
		h.clock.Advance(time.Minute) // distinct start times for "newest"
		many = append(many, h.thread("author", lungs, fmt.Sprintf("Breathing %d", i), "zebramany at first", false).ID)
	}
	if err := h.app.DB.Gorm.Exec(`INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
		SELECT t.id, t.author_id, 'zebramany again', '<p>zebramany again</p>', now() FROM threads t, generate_series(1, 2) WHERE t.id IN ?`, many).Error; err != nil {
		t.Fatal(err)
	}
	if err := search.EnqueueNow(ctx, h.app.DB, many...); err != nil {
		t.Fatal(err)
	}
	eventually(t, "135 posts of 45 threads indexed", func() bool {
		n := 0
		for _, id := range many {
			n += h.docsOf(id)
		}
		return n == 135
	})
	want := map[int64]bool{}
	for _, id := range many {
		want[id] = true
	}
	for _, order := range []string{"", "&sort=newest", "&sort=active", "&sort=recent", "&forum=lungs"} {
		seen := map[int64]int{}
		for p, size := range []int{20, 20, 5} {
			q := fmt.Sprintf("q=zebramany%s&page=%d", order, p+1)
			r := h.api("GET", "/api/v1/search?"+q, "", nil)
			hits, _ := r.Body["hits"].([]any)
			if r.Status != http.StatusOK || len(hits) != size || r.Body["has_more"] != (p < 2) {
				t.Errorf("%s: %d %d hits, has_more %v; want %d hits, has_more %v", q, r.Status, len(hits), r.Body["has_more"], size, p < 2)
			}
			for _, x := range hits {
				seen[int64(x.(map[string]any)["id"].(float64))]++
			}
			// At least as many posts as the pages so far showed threads,
			// at most the 135 that match.
			if total, _ := r.Body["estimated_total"].(float64); total < float64(20*p+size) || total > 135 {
				t.Errorf("%s: estimated total %v", q, total)
			} else if order == "" {
				t.Logf("%s: estimated total %v, forum counts %v", q, total, r.Body["forum_counts"])
			}
			html := h.browser().get("/search?" + q).body
			if strings.Contains(html, `rel="next"`) != (p < 2) || strings.Contains(html, `rel="prev"`) != (p > 0) {
				t.Errorf("%s: the page's next and previous links are wrong", q)
			}
		}
		for id, n := range seen {
			if n != 1 || !want[id] {
				t.Errorf("%s: thread %d shown %d times (one of the 45: %v)", order, id, n, want[id])
			}
		}
		if len(seen) != len(want) {
			t.Errorf("%s: %d of the 45 threads reached across the pages", order, len(seen))
		}
	}
	if r := h.api("GET", "/api/v1/search?q=zebramany&page=4", "", nil); len(r.Body["hits"].([]any)) != 0 || r.Body["has_more"] != false {
		t.Errorf("past the last page: %s", r.Raw)
	}
	tags, err := h.app.Search.PopularTags(ctx, []string{models.AudiencePublic}, 5)
	if err != nil || len(tags) != 1 || tags[0].Tag != "pump" || tags[0].Threads != 2 {
		t.Errorf("popular tags: %+v %v", tags, err)
	}
}

// A thread whose opening post a moderator hid stays findable by its
// title, but its hit carries no text of that post and no post id: the
// searcher could not open the post.
func TestSearchHitOfAHiddenOpeningPostNamesNoPost(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	ctx := context.Background()
	pub := h.forum("carers", nil)
	h.account("carer_sam", models.RoleMember)
	h.account("mod_ola", models.RoleModerator)
	th := h.thread("carer_sam", pub, "Respite weekends for carers", "My sister zebrarespite takes over on Saturdays.", false)
	h.reply("carer_sam", th.ID, "Update: the council pays for two weekends a year.", false)
	var first int64
	h.app.DB.Gorm.Raw(`SELECT min(id) FROM posts WHERE thread_id = ?`, th.ID).Scan(&first)
	eventually(t, "the thread is found", func() bool { return has(h.searchIDs("", "q=zebrarespite"), th.ID) })
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("mod_ola")), models.TargetPost, first, moderation.ActHide, "Names a relative", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the hidden post's words are no longer found", func() bool { return len(h.searchIDs("", "q=zebrarespite")) == 0 })
	hits := h.searchHits("", "q=respite+weekends")
	want := fmt.Sprintf("/t/%d", th.ID)
	if len(hits) != 1 || hits[0]["post_id"] != 0.0 || hits[0]["url"] != want || strings.Contains(fmt.Sprint(hits[0]), "zebrarespite") {
		t.Errorf("the thread's hit after its opening post was hidden: %v, want post_id 0 and %s", hits, want)
	}
}
