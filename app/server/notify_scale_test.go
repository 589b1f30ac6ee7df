package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/models"
)

type replyRow struct {
	ID          int64
	PostID      int64
	FirstPostID int64
	ReplyCount  int
	ReadAt      *time.Time
}

func replyRows(t *testing.T, h *harness, handle string, threadID int64) []replyRow {
	t.Helper()
	var rows []replyRow
	if err := h.app.DB.Gorm.Raw(`SELECT id, post_id, coalesce(first_post_id, post_id) AS first_post_id, reply_count, read_at FROM notifications
		WHERE user_id = ? AND thread_id = ? AND kind = 'reply' ORDER BY id`, h.user(handle).ID, threadID).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestRepliesGroupIntoOneNotificationPerThread: while a member has an
// unread reply notification for a thread, new replies update it (a count,
// where reading starts, the latest post) instead of adding rows; the list,
// the bell and the API show one item; once read, the next reply starts a
// new one; a hidden latest reply takes the item away; a muted author adds
// nothing.
func TestRepliesGroupIntoOneNotificationPerThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("grp-walk", nil)
	for _, who := range []string{"grp_ana", "grp_ben", "grp_cat"} {
		h.account(who, models.RoleMember)
	}
	th := h.thread("grp_ana", f, "Walking after surgery", "How far did you go?", false)
	p1 := h.reply("grp_ben", th.ID, "A little further each day.", false)
	first := replyRows(t, h, "grp_ana", th.ID)[0].ID
	h.clock.Advance(time.Minute)
	p2 := h.reply("grp_cat", th.ID, "Ten minutes at first.", false)
	h.clock.Advance(time.Minute)
	p3 := h.reply("grp_ben", th.ID, "And rest on the stairs.", false)

	rows := replyRows(t, h, "grp_ana", th.ID)
	if len(rows) != 1 || rows[0].ReplyCount != 3 || rows[0].FirstPostID != p1.ID || rows[0].PostID != p3.ID || rows[0].ReadAt != nil || rows[0].ID != first {
		t.Fatalf("ana's reply rows: %+v (posts %d, %d, %d)", rows, p1.ID, p2.ID, p3.ID)
	}
	// Ben follows since his reply: told of Cat's, not of his own.
	if rows := replyRows(t, h, "grp_ben", th.ID); len(rows) != 1 || rows[0].ReplyCount != 1 || rows[0].PostID != p2.ID {
		t.Fatalf("ben's reply rows: %+v", rows)
	}

	token := h.tokenFor("grp_ana", "read")
	r := h.api("GET", "/api/v1/notifications", token, nil)
	items, _ := r.Body["notifications"].([]any)
	if r.Status != 200 || len(items) != 1 || r.Body["unread"] != float64(1) || r.Body["unread_capped"] != false {
		t.Fatalf("API: %d %s", r.Status, r.Raw)
	}
	it := items[0].(map[string]any)
	if it["count"] != float64(3) || it["first_post_id"] != float64(p1.ID) || it["post_id"] != float64(p3.ID) || it["actor_handle"] != "grp_ben" {
		t.Fatalf("item: %v", it)
	}
	ana := h.browser()
	ana.signIn("grp_ana", goodPassword)
	page := ana.get("/notifications")
	if !strings.Contains(page.body, "3 new replies in “Walking after surgery”") || !strings.Contains(page.body, `<span class="badge">1<`) {
		t.Fatalf("notifications page:\n%s", page.body)
	}

	// Opened (the row kept its id while it gathered replies): the
	// thread's notification is read.
	open := ana.post(fmt.Sprintf("/notifications/%d/open", first), url.Values{"thread": {fmt.Sprint(th.ID)}, "post": {fmt.Sprint(p1.ID)}})
	if open.StatusCode != 303 || open.Header.Get("Location") != fmt.Sprintf("/posts/%d", p1.ID) {
		t.Fatalf("open with the first id: %d %q", open.StatusCode, open.Header.Get("Location"))
	}
	// Read: the next reply is a new item of one.
	if r := h.api("POST", fmt.Sprintf("/api/v1/notifications/%d/read", rows[0].ID), h.tokenFor("grp_ana", "write"), nil); r.Status != 204 {
		t.Fatalf("mark read again: %d %s", r.Status, r.Raw)
	}
	p4 := h.reply("grp_cat", th.ID, "Shoes matter too.", false)
	rows = replyRows(t, h, "grp_ana", th.ID)
	if len(rows) != 2 || rows[0].ReadAt == nil || rows[1].ReadAt != nil || rows[1].ReplyCount != 1 || rows[1].PostID != p4.ID {
		t.Fatalf("after reading: %+v", rows)
	}

	// A muted author's reply changes nothing.
	if err := h.app.DB.Gorm.Exec(`INSERT INTO mutes (user_id, muted_id, created_at) VALUES (?, ?, now())`, h.user("grp_ana").ID, h.user("grp_ben").ID).Error; err != nil {
		t.Fatal(err)
	}
	h.reply("grp_ben", th.ID, "Muted words.", false)
	if rows := replyRows(t, h, "grp_ana", th.ID); len(rows) != 2 || rows[1].ReplyCount != 1 || rows[1].PostID != p4.ID {
		t.Fatalf("after a muted author's reply: %+v", rows)
	}

	// The latest reply hidden: the item leaves the list and the bell.
	p5 := h.reply("grp_cat", th.ID, "Something a moderator hides.", false)
	if n, _ := h.app.Notify.Unread(context.Background(), h.user("grp_ana").ID); n != 1 {
		t.Fatalf("unread %d before hiding, want 1", n)
	}
	if err := h.app.DB.Gorm.Exec(`UPDATE posts SET visibility = 'hidden' WHERE id = ?`, p5.ID).Error; err != nil {
		t.Fatal(err)
	}
	if n, _ := h.app.Notify.Unread(context.Background(), h.user("grp_ana").ID); n != 0 {
		t.Fatalf("unread %d with the latest reply hidden, want 0", n)
	}
	if r := h.api("GET", "/api/v1/notifications", token, nil); strings.Contains(r.Raw, fmt.Sprintf(`"post_id":%d`, p5.ID)) {
		t.Fatalf("hidden reply listed: %s", r.Raw)
	}
}

// TestGroupedReplyMovesUpAndPagesOnce: a thread's reply item keeps its
// id as replies gather and moves to the top of the list with each new one;
// paging the API and the page after it moved shows every item exactly once.
func TestGroupedReplyMovesUpAndPagesOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("order-walk", nil)
	h.account("ord_ana", models.RoleMember)
	h.account("ord_ben", models.RoleMember)
	n := notify.PerPage + 3
	threads := make([]int64, n)
	for i := range threads {
		threads[i] = h.thread("ord_ana", f, fmt.Sprintf("Stairs, day %d", i+1), "How many today?", false).ID
	}
	for _, th := range threads {
		h.clock.Advance(time.Minute)
		h.reply("ord_ben", th, "Two flights.", false)
	}
	first := replyRows(t, h, "ord_ana", threads[0])[0].ID
	token := h.tokenFor("ord_ana", "read")
	list := func(path string) ([]map[string]any, string) {
		t.Helper()
		r := h.api("GET", path, token, nil)
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
		}
		raw, _ := r.Body["notifications"].([]any)
		var out []map[string]any
		for _, it := range raw {
			out = append(out, it.(map[string]any))
		}
		next := ""
		if v, ok := r.Body["next_before"].(float64); ok {
			next = fmt.Sprint(int64(v))
		}
		return out, next
	}
	page1, next := list("/api/v1/notifications")
	if len(page1) != notify.PerPage || page1[0]["thread_id"] != float64(threads[n-1]) || next == "" {
		t.Fatalf("first page: %d items, first %v, next %q", len(page1), page1[0]["thread_id"], next)
	}
	// The oldest thread gets a new reply: its item moves to the top, same id.
	h.clock.Advance(time.Minute)
	h.reply("ord_ben", threads[0], "Three flights now.", false)
	if rows := replyRows(t, h, "ord_ana", threads[0]); len(rows) != 1 || rows[0].ID != first || rows[0].ReplyCount != 2 {
		t.Fatalf("oldest thread's rows: %+v (first id %d)", rows, first)
	}
	top, _ := list("/api/v1/notifications")
	if top[0]["id"] != float64(first) || top[0]["count"] != float64(2) {
		t.Fatalf("top item %v, want id %d with 2 replies", top[0], first)
	}
	// Paging on from the first page shown before it moved: the older
	// ones, none of the first page again.
	old2, _ := list("/api/v1/notifications?before=" + next)
	if len(old2) != n-notify.PerPage-1 || old2[0]["thread_id"] != float64(threads[n-notify.PerPage-1]) {
		t.Fatalf("second page after the first one shown before the move: %v", old2)
	}
	// Paging from the top now: every item exactly once.
	seen := map[any]int{}
	path := "/api/v1/notifications"
	for pages := 0; path != ""; pages++ {
		items, cursor := list(path)
		for _, it := range items {
			seen[it["thread_id"]]++
		}
		path = ""
		if cursor != "" && pages < 3 {
			path = "/api/v1/notifications?before=" + cursor
		}
	}
	if len(seen) != n {
		t.Fatalf("%d threads seen of %d", len(seen), n)
	}
	for th, c := range seen {
		if c != 1 {
			t.Fatalf("thread %v listed %d times", th, c)
		}
	}
	// The HTML page's pager gives the same cursor.
	ana := h.browser()
	ana.signIn("ord_ana", goodPassword)
	page := ana.get("/notifications")
	if !strings.Contains(page.body, `/notifications?before=`) || strings.Index(page.body, "Stairs, day 1”") > strings.Index(page.body, fmt.Sprintf("Stairs, day %d”", n)) {
		t.Fatalf("notifications page: the moved item is not first, or no pager:\n%s", page.body)
	}
}

// TestUnreadCountIsCappedAndBounded: a member with 5,000 unread
// notifications sees "99+"; the API says 100 and capped; the count's plan
// reads at most UnreadCap notifications (EXPLAIN ANALYZE), so its cost
// does not grow with the member's history.
func TestUnreadCountIsCappedAndBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("cap-walk", nil)
	h.account("cap_ana", models.RoleMember)
	h.account("cap_ben", models.RoleMember)
	ana := h.user("cap_ana").ID
	// 5,000 unread: 2,500 moderators' messages and replies in 2,500 threads.
	ben := h.user("cap_ben").ID
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO threads (forum_id, author_id, title, state, visibility, created_at, last_post_at)
			SELECT ?, ?, 'Bulk thread ' || g, 'open', 'visible', now(), now() FROM generate_series(1, 2500) g`, []any{f.ID, ben}},
		{`INSERT INTO posts (thread_id, author_id, body, body_html, visibility, created_at)
			SELECT t.id, ?, 'Bulk reply', '<p>Bulk reply</p>', 'visible', now() FROM threads t WHERE t.forum_id = ?`, []any{ben, f.ID}},
		{`INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at, mail_pending)
			SELECT ?, 'reply', p.author_id, t.forum_id, t.id, p.id, now(), false FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.forum_id = ?`, []any{ana, f.ID}},
		{`INSERT INTO notifications (user_id, kind, message, created_at, mail_pending)
			SELECT ?, 'moderation_notice', 'Notice ' || g, now(), false FROM generate_series(1, 2500) g`, []any{ana}},
		// Others' notifications, so the plan is the one of a real table.
		{`INSERT INTO notifications (user_id, kind, message, created_at, read_at, mail_pending)
			SELECT ?, 'moderation_notice', 'Notice ' || g, now(), CASE WHEN g % 2 = 0 THEN now() END, false FROM generate_series(1, 20000) g`, []any{ben}},
		{`ANALYZE notifications, threads, posts`, nil},
	} {
		if err := h.app.DB.Gorm.Exec(q.sql, q.args...).Error; err != nil {
			t.Fatal(err)
		}
	}
	if n := countWhere(t, h, `SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`, ana); n != 5000 {
		t.Fatalf("%d unread rows, want 5000", n)
	}
	n, err := h.app.Notify.Unread(context.Background(), ana)
	if err != nil || n != notify.UnreadCap {
		t.Fatalf("unread %d (%v), want %d", n, err, notify.UnreadCap)
	}
	r := h.api("GET", "/api/v1/notifications", h.tokenFor("cap_ana", "read"), nil)
	if r.Body["unread"] != float64(notify.UnreadCap) || r.Body["unread_capped"] != true {
		t.Fatalf("API: %s", r.Raw)
	}
	b := h.browser()
	b.signIn("cap_ana", goodPassword)
	if page := b.get("/"); !strings.Contains(page.body, `<span class="badge">99+<span class="visually-hidden"> unread</span>`) {
		t.Fatalf("bell:\n%s", page.body)
	}

	var plan []byte
	if err := h.app.DB.Gorm.Raw(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) `+notify.UnreadSQL, ana, notify.UnreadCap).Row().Scan(&plan); err != nil {
		t.Fatal(err)
	}
	var doc []struct {
		Plan map[string]any `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &doc); err != nil || len(doc) != 1 {
		t.Fatalf("plan: %v %s", err, plan)
	}
	read := 0.0
	var walk func(node map[string]any)
	walk = func(node map[string]any) {
		if node["Relation Name"] == "notifications" {
			read += node["Actual Rows"].(float64) * node["Actual Loops"].(float64)
		}
		children, _ := node["Plans"].([]any)
		for _, c := range children {
			walk(c.(map[string]any))
		}
	}
	walk(doc[0].Plan)
	if read == 0 || read > notify.UnreadCap {
		t.Fatalf("the count read %v notification rows, want 1..%d:\n%s", read, notify.UnreadCap, plan)
	}
	var text []string
	if err := h.app.DB.Gorm.Raw(`EXPLAIN (ANALYZE, BUFFERS) `+notify.UnreadSQL, ana, notify.UnreadCap).Scan(&text).Error; err == nil {
		t.Logf("unread count for a member with 5,000 unread:\n%s", strings.Join(text, "\n"))
	}

	// Mark all read: the bell is empty.
	if err := h.app.Notify.MarkAllRead(context.Background(), ana); err != nil {
		t.Fatal(err)
	}
	if n, _ := h.app.Notify.Unread(context.Background(), ana); n != 0 {
		t.Fatalf("unread %d after mark all read", n)
	}
}

// TestFanOutToManyFollowersIsAJob: a reply in a thread with 3,000
// followers writes no notification in the writer's transaction, only a
// job; the job tells each follower once, and running it again (a retry)
// adds nothing; the next reply joins each follower's unread row.
func TestFanOutToManyFollowersIsAJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("fan-viral", nil)
	h.account("fan_ana", models.RoleMember)
	h.account("fan_ben", models.RoleMember)
	th := h.thread("fan_ana", f, "A thread that went viral", "Tell me everything.", false)
	if err := h.app.DB.Gorm.Exec(`INSERT INTO users (handle, role, status, created_at, updated_at)
		SELECT 'fan_f' || g, 'member', 'active', now(), now() FROM generate_series(1, 3000) g`).Error; err != nil {
		t.Fatal(err)
	}
	if err := h.app.DB.Gorm.Exec(`INSERT INTO thread_follows (thread_id, user_id, created_at) SELECT ?, id, now() FROM users WHERE handle LIKE 'fan_f%'`, th.ID).Error; err != nil {
		t.Fatal(err)
	}
	p := h.reply("fan_ben", th.ID, "Here is everything.", false)
	if n := countWhere(t, h, `SELECT count(*) FROM notifications WHERE post_id = ?`, p.ID); n != 0 {
		t.Fatalf("%d notifications written by the writer, want none", n)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM river_job WHERE kind = 'notification_fan_out' AND args->>'post_id' = ?`, fmt.Sprint(p.ID)); n != 1 {
		t.Fatalf("%d fan-out jobs, want 1", n)
	}

	h.startWorkers()
	eventually(t, "the fan-out job completes", func() bool {
		return countWhere(t, h, `SELECT count(*) FROM river_job WHERE kind = 'notification_fan_out' AND state = 'completed'`) == 1
	})
	told := func() (rows, replies int64) {
		rows = countWhere(t, h, `SELECT count(*) FROM notifications WHERE thread_id = ? AND kind = 'reply'`, th.ID)
		replies = countWhere(t, h, `SELECT coalesce(sum(reply_count), 0) FROM notifications WHERE thread_id = ? AND kind = 'reply'`, th.ID)
		return
	}
	// 3,000 followers and Ana, the starter; not Ben, the writer.
	if rows, replies := told(); rows != 3001 || replies != 3001 {
		t.Fatalf("%d rows for %d replies, want 3001 each", rows, replies)
	}

	// A retry of the same job runs the same work again: nothing changes.
	args := notify.FanOutArgs{Target: "thread", Notify: models.NotifyReply, PostID: p.ID, ThreadID: th.ID, ForumID: f.ID,
		ActorID: &h.user("fan_ben").ID, Exclude: h.user("fan_ben").ID}
	if err := h.app.DB.InTx(context.Background(), func(tx *database.Tx) error { return h.app.Notify.FanOut(context.Background(), tx, args) }); err != nil {
		t.Fatal(err)
	}
	if rows, replies := told(); rows != 3001 || replies != 3001 {
		t.Fatalf("after a retry: %d rows for %d replies, want 3001 each", rows, replies)
	}

	// The next reply joins every follower's unread row; Ben, who follows
	// since his reply, gets a row of his own; Ana wrote it.
	p2 := h.reply("fan_ana", th.ID, "Thank you all.", false)
	eventually(t, "the second fan-out", func() bool {
		return countWhere(t, h, `SELECT count(*) FROM notifications WHERE thread_id = ? AND kind = 'reply' AND post_id = ?`, th.ID, p2.ID) == 3001
	})
	if rows, replies := told(); rows != 3002 || replies != 6002 {
		t.Fatalf("after a second reply: %d rows for %d replies, want 3002 and 6002", rows, replies)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM notifications WHERE thread_id = ? AND kind = 'reply' AND first_post_id = ? AND reply_count = 2`, th.ID, p.ID); n != 3000 {
		t.Fatalf("%d followers' rows start at the first reply with two replies, want 3000", n)
	}
}

// BenchmarkReplyFanOut is the writer's cost of a reply by the number of
// the thread's followers: at most notify.InlineFollowers are written in
// the reply's transaction, more make it insert one job (the workers do
// not run here: only the writer is measured).
func BenchmarkReplyFanOut(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	f := h.forum("fan-bench", nil)
	h.account("fb_ana", models.RoleMember)
	h.account("fb_ben", models.RoleMember)
	if err := h.app.DB.Gorm.Exec(`INSERT INTO users (handle, role, status, created_at, updated_at)
		SELECT 'fb_f' || g, 'member', 'active', now(), now() FROM generate_series(1, 3000) g`).Error; err != nil {
		b.Fatal(err)
	}
	for _, followers := range []int{1, 16, notify.InlineFollowers, notify.InlineFollowers + 1, 3000} {
		b.Run(fmt.Sprintf("followers=%d", followers), func(b *testing.B) {
			th := h.thread("fb_ana", f, fmt.Sprintf("Followed by %d", followers), "Hello.", false)
			// The starter follows; the others make up the number.
			if err := h.app.DB.Gorm.Exec(`INSERT INTO thread_follows (thread_id, user_id, created_at)
				SELECT ?, id, now() FROM users WHERE handle LIKE 'fb_f%' ORDER BY id LIMIT ?`, th.ID, followers-1).Error; err != nil {
				b.Fatal(err)
			}
			v := h.viewer("fb_ben")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				tv, err := h.app.Forums.Thread(context.Background(), v, th.ID)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := h.app.Forums.Reply(context.Background(), v, tv, forums.PostForm{Body: fmt.Sprintf("Reply %d", i)}, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
