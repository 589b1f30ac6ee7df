package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

func TestPostsAreSanitisedOnThePage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("safe-forum", nil)
	b := h.member("writer")
	th := h.thread("writer", f, "Markdown and mischief", "**Hello** [link](https://example.org)", false)
	payloads := []string{
		`<script>alert("x")</script>`,
		`[click](javascript:alert(1))`,
		`<img src=x onerror=alert(1)>`,
		`[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
		`<a href="https://ok.example" onmouseover="alert(1)">hover</a>`,
		`&#60;script&#62;alert(1)&#60;/script&#62;`,
	}
	for _, p := range payloads {
		b.get(fmt.Sprintf("/t/%d", th.ID))
		if r := b.post(fmt.Sprintf("/t/%d/replies", th.ID), url.Values{"body": {p}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("reply %q: %d", p, r.StatusCode)
		}
	}
	page := b.get(fmt.Sprintf("/t/%d", th.ID)).body
	main := page[strings.Index(page, `<main`):]
	for name, re := range map[string]*regexp.Regexp{
		"script":  regexp.MustCompile(`(?i)<script`),
		"handler": regexp.MustCompile(`(?i)<[^>]+\son\w+=`),
		"js url":  regexp.MustCompile(`(?i)(href|src)="\s*(javascript|data):`),
	} {
		if re.MatchString(main) {
			t.Errorf("%s survived into the thread page", name)
		}
	}
	if !strings.Contains(main, "<strong>Hello</strong>") || !strings.Contains(main, `<a href="https://example.org" rel="nofollow ugc noopener">link</a>`) {
		t.Fatal("ordinary markdown did not render")
	}
	// The API's preview renders through the same sanitiser.
	if a := h.api("POST", "/api/v1/preview", b.token("read"), map[string]any{"body": "<script>x</script> **ok**"}); a.Status != http.StatusForbidden {
		t.Fatalf("preview with a read-only token: %d", a.Status)
	}
	pv := h.api("POST", "/api/v1/preview", b.token("write"), map[string]any{"body": "**ok** <script>x</script>"})
	if html, _ := pv.Body["body_html"].(string); pv.Status != http.StatusOK || strings.Contains(html, "<script") || !strings.Contains(html, "<strong>ok</strong>") {
		t.Fatalf("preview: %d %s", pv.Status, pv.Raw)
	}
	// The API serves the same sanitised HTML.
	a := h.api("GET", fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), "", nil)
	posts, _ := a.Body["posts"].([]any)
	if len(posts) != 1+len(payloads) {
		t.Fatalf("API returned %d posts", len(posts))
	}
	for _, p := range posts {
		html := strings.ToLower(p.(map[string]any)["body_html"].(string))
		if strings.Contains(html, "<script") || strings.Contains(html, "onerror") || strings.Contains(html, "javascript:") {
			t.Errorf("the API returns unsanitised HTML: %s", html)
		}
	}
}

func TestKeysetPaginationSeesEveryThreadOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("busy-forum", nil)
	h.member("poster")
	want := map[int64]bool{}
	for i := 0; i < 75; i++ {
		h.clock.Advance(time.Minute)
		want[h.thread("poster", f, fmt.Sprintf("Thread number %02d", i), "Body", false).ID] = true
	}
	// A pinned thread comes first, exactly once.
	pinned := h.thread("poster", f, "Pinned welcome thread", "Read me", false)
	h.app.DB.Gorm.Exec(`UPDATE threads SET pinned = true, last_post_at = last_post_at - interval '10 days' WHERE id = ?`, pinned.ID)
	want[pinned.ID] = true

	seen := map[int64]int{}
	cursor, pages := "", 0
	for {
		path := "/api/v1/forums/busy-forum/threads"
		if cursor != "" {
			path += "?cursor=" + url.QueryEscape(cursor)
		}
		a := h.api("GET", path, "", nil)
		if a.Status != http.StatusOK {
			t.Fatalf("page %d: %d %s", pages, a.Status, a.Raw)
		}
		rows := a.Body["threads"].([]any)
		if pages == 0 && int64(rows[0].(map[string]any)["id"].(float64)) != pinned.ID {
			t.Fatal("the pinned thread is not first")
		}
		for _, r := range rows {
			seen[int64(r.(map[string]any)["id"].(float64))]++
		}
		pages++
		// New threads keep arriving while someone pages through.
		h.clock.Advance(time.Minute)
		h.thread("poster", f, fmt.Sprintf("Arrived during page %d", pages), "Body", false)
		next, _ := a.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if pages != 3 {
		t.Errorf("%d pages for 76 threads at 30 a page, want 3", pages)
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("thread %d seen %d times", id, seen[id])
		}
	}
	if len(seen) != len(want) {
		t.Errorf("saw %d threads, want %d (new arrivals must not leak into later pages)", len(seen), len(want))
	}
	// The HTML pager works too, and a broken cursor is a clear 422.
	b := h.browser()
	first := b.get("/f/busy-forum")
	m := regexp.MustCompile(`href="/f/busy-forum\?cursor=([^"]+)" rel="next"`).FindStringSubmatch(first.body)
	if m == nil {
		t.Fatal("no link to older threads")
	}
	if r := b.get("/f/busy-forum?cursor=" + m[1]); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Thread number") {
		t.Fatalf("second page: %d", r.StatusCode)
	}
	if r := b.get("/f/busy-forum?cursor=garbage"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("broken cursor: %d", r.StatusCode)
	}
	if a := h.api("GET", "/api/v1/forums/busy-forum/threads?cursor=bm9wZQ", "", nil); a.Status != http.StatusUnprocessableEntity {
		t.Fatalf("broken cursor via API: %d", a.Status)
	}
}

func TestConcurrentRepliesCountRight(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("lively", nil)
	h.member("starter")
	th := h.thread("starter", f, "Everyone reply at once", "Go!", false)
	var handles []string
	for i := 0; i < 20; i++ {
		handles = append(handles, fmt.Sprintf("replier%02d", i))
		h.account(handles[i], models.RoleMember)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i, handle := range handles {
		wg.Add(1)
		go func(i int, handle string) {
			defer wg.Done()
			v := h.viewer(handle)
			tv, err := h.app.Forums.Thread(context.Background(), v, th.ID)
			if err == nil {
				_, err = h.app.Forums.Reply(context.Background(), v, tv, forums.PostForm{Body: fmt.Sprintf("Reply %d", i)}, "")
			}
			errs <- err
		}(i, handle)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var got models.Thread
	h.app.DB.Gorm.First(&got, th.ID)
	var latest time.Time
	h.app.DB.Gorm.Raw(`SELECT max(created_at) FROM posts WHERE thread_id = ?`, th.ID).Scan(&latest)
	if got.ReplyCount != 20 {
		t.Fatalf("reply_count %d, want 20", got.ReplyCount)
	}
	if !got.LastPostAt.Equal(latest) {
		t.Fatalf("last_post_at %s, newest post %s", got.LastPostAt, latest)
	}
	// Starter follows the thread: one notification standing for the 20
	// replies, none for the repliers about their own posts.
	if n := countWhere(t, h, `SELECT count(*) FROM notifications WHERE user_id = ?`, h.user("starter").ID); n != 1 {
		t.Fatalf("starter has %d notifications, want 1 for the thread", n)
	}
	if n := countWhere(t, h, `SELECT sum(reply_count) FROM notifications WHERE user_id = ?`, h.user("starter").ID); n != 20 {
		t.Fatalf("starter's notification stands for %d replies, want 20", n)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM notifications n JOIN posts p ON p.id = n.post_id WHERE p.author_id = n.user_id`); n != 0 {
		t.Fatal("someone was notified of their own reply")
	}
}

func TestAnonymousPostsNeverRevealTheirAuthor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	h.forum("private-talk", func(f *forums.ForumForm) { f.Sensitive = true })
	h.forum("open-talk", nil)
	author := h.member("secret_author")
	reader := h.member("curious_reader")
	readerToken := reader.token("write")
	authorToken := author.token("write")

	// The reader follows the forum, so they get a notification of the new thread.
	reader.post("/f/private-talk/follow", nil)
	author.get("/f/private-talk/new")
	r := author.post("/f/private-talk/threads", url.Values{"title": {"Hard to say this out loud"}, "body": {"Something personal."}, "anonymous": {"on"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous thread: %d %s", r.StatusCode, r.body)
	}
	var th models.Thread
	h.app.DB.Gorm.Where("title = ?", "Hard to say this out loud").First(&th)
	// The reader replies; the author replies anonymously; the reader is notified.
	reader.get(fmt.Sprintf("/t/%d", th.ID))
	reader.post(fmt.Sprintf("/t/%d/replies", th.ID), url.Values{"body": {"Thank you for sharing."}})
	a := h.api("POST", fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), authorToken, map[string]any{"body": "Thanks, it helps.", "anonymous": true})
	if a.Status != http.StatusCreated || a.Body["author_handle"] != "" || a.Body["anonymous"] != true {
		t.Fatalf("anonymous API reply: %d %s", a.Status, a.Raw)
	}

	leaks := map[string]string{
		"forum page":          reader.get("/f/private-talk").body,
		"thread page":         reader.get(fmt.Sprintf("/t/%d", th.ID)).body,
		"notifications page":  reader.get("/notifications").body,
		"thread API":          h.api("GET", fmt.Sprintf("/api/v1/threads/%d", th.ID), readerToken, nil).Raw,
		"posts API":           h.api("GET", fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), readerToken, nil).Raw,
		"threads API":         h.api("GET", "/api/v1/forums/private-talk/threads", readerToken, nil).Raw,
		"notifications API":   h.api("GET", "/api/v1/notifications", readerToken, nil).Raw,
		"author profile":      reader.get("/members/secret_author").body,
		"author profile API":  h.api("GET", "/api/v1/members/secret_author", readerToken, nil).Raw,
		"admin's thread page": h.withRole("an_admin", models.RoleAdmin).get(fmt.Sprintf("/t/%d", th.ID)).body,
	}
	for where, body := range leaks {
		if strings.Contains(body, "secret_author") && where != "author profile" && where != "author profile API" {
			t.Errorf("%s reveals the anonymous author", where)
		}
	}
	for _, where := range []string{"author profile", "author profile API"} {
		if strings.Contains(leaks[where], "Hard to say this out loud") || strings.Contains(leaks[where], "private-talk") {
			t.Errorf("%s shows the anonymous thread or the sensitive forum", where)
		}
	}
	if !strings.Contains(leaks["thread page"], "Anonymous member") || !strings.Contains(leaks["notifications page"], "Anonymous member") {
		t.Fatal("anonymous posts are not labelled")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM notifications WHERE actor_id = ?`, h.user("secret_author").ID); n != 0 {
		t.Fatal("a notification row names the anonymous author")
	}
	// The author still sees their own post as theirs and may edit it.
	own := author.get(fmt.Sprintf("/t/%d", th.ID)).body
	if !strings.Contains(own, "(you)") || !strings.Contains(own, "/edit\">Edit") {
		t.Fatal("the author cannot recognise or edit their anonymous post")
	}
	// Anonymous posting is refused outside sensitive forums.
	if a := h.api("POST", "/api/v1/forums/open-talk/threads", authorToken, map[string]any{"title": "Not here please", "body": "x", "anonymous": true}); a.Status != http.StatusUnprocessableEntity {
		t.Fatalf("anonymous thread in a public forum: %d", a.Status)
	}
}

func TestEditsAndDeletionsKeepHistory(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("history", nil)
	author := h.member("reviser")
	other := h.member("bystander")
	mod := h.member("keeper")
	h.makeForumModerator("keeper", f)
	th := h.thread("reviser", f, "Version control for feelings", "First draft.", false)
	pid := h.firstPost(th.ID).ID

	author.get(fmt.Sprintf("/posts/%d/edit", pid))
	if r := author.post(fmt.Sprintf("/posts/%d/edit", pid), url.Values{"body": {"Second draft."}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.StatusCode)
	}
	if r := author.post(fmt.Sprintf("/posts/%d/edit", pid), url.Values{"body": {""}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("empty edit: %d", r.StatusCode)
	}
	author.post(fmt.Sprintf("/posts/%d/edit", pid), url.Values{"body": {"Third draft."}})
	page := other.get(fmt.Sprintf("/t/%d", th.ID)).body
	if !strings.Contains(page, "Third draft.") || !strings.Contains(page, "edited") {
		t.Fatal("edited post not shown with its marker")
	}
	// Only moderators see revisions.
	if r := other.get(fmt.Sprintf("/posts/%d/revisions", pid)); r.StatusCode != http.StatusForbidden {
		t.Fatalf("member reading revisions: %d", r.StatusCode)
	}
	if r := author.get(fmt.Sprintf("/posts/%d/delete", pid)); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Delete your post?") {
		t.Fatalf("delete confirmation: %d", r.StatusCode)
	}
	if r := other.post(fmt.Sprintf("/posts/%d/delete", pid), nil); r.StatusCode != http.StatusForbidden {
		t.Fatalf("someone else deleting: %d", r.StatusCode)
	}
	if r := author.post(fmt.Sprintf("/posts/%d/delete", pid), nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	page = other.get(fmt.Sprintf("/t/%d", th.ID)).body
	if !strings.Contains(page, "removed by its author") || strings.Contains(page, "Third draft.") {
		t.Fatal("deleted post still shows its text")
	}
	if a := h.api("GET", fmt.Sprintf("/api/v1/posts/%d", pid), "", nil); strings.Contains(a.Raw, "draft") {
		t.Fatal("the API still serves the deleted text")
	}
	revs := mod.get(fmt.Sprintf("/posts/%d/revisions", pid))
	for _, want := range []string{"First draft.", "Second draft.", "Third draft.", "Text before deletion"} {
		if !strings.Contains(revs.body, want) {
			t.Errorf("revisions lack %q", want)
		}
	}
	var texts []string
	h.app.DB.Gorm.Model(&models.PostRevision{}).Where("post_id = ?", pid).Order("id").Pluck("body", &texts)
	if strings.Join(texts, "|") != "First draft.|Second draft.|Third draft." {
		t.Fatalf("revisions %v", texts)
	}
}

func TestIdempotentWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("retry", nil)
	b := h.member("double_clicker")
	token := b.token("write")
	form := b.get("/f/retry/new")
	key := regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`).FindStringSubmatch(form.body)
	if key == nil {
		t.Fatal("the form has no idempotency key")
	}
	values := url.Values{"title": {"Only once please"}, "body": {"Hello"}, "idempotency_key": {key[1]}}
	r1 := b.post("/f/retry/threads", values)
	r2 := b.post("/f/retry/threads", values)
	if r1.StatusCode != http.StatusSeeOther || r1.Header.Get("Location") != r2.Header.Get("Location") {
		t.Fatalf("double submit: %d %s / %d %s", r1.StatusCode, r1.Header.Get("Location"), r2.StatusCode, r2.Header.Get("Location"))
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads WHERE forum_id = ?`, f.ID); n != 1 {
		t.Fatalf("%d threads after a double submit", n)
	}
	var th models.Thread
	h.app.DB.Gorm.Where("forum_id = ?", f.ID).First(&th)
	var ids []any
	for i := 0; i < 3; i++ {
		a := h.api("POST", fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), token, map[string]any{"body": "Retried reply"}, "Idempotency-Key", "retry-key-1")
		if a.Status != http.StatusCreated {
			t.Fatalf("retry %d: %d %s", i, a.Status, a.Raw)
		}
		ids = append(ids, a.Body["id"])
	}
	if ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("retries made different posts: %v", ids)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM posts WHERE thread_id = ?`, th.ID); n != 2 {
		t.Fatalf("%d posts, want the opening post and one reply", n)
	}
	// The same key for a different kind of request is refused.
	if a := h.api("POST", "/api/v1/forums/retry/threads", token, map[string]any{"title": "Another one", "body": "x"}, "Idempotency-Key", "retry-key-1"); a.Status != http.StatusUnprocessableEntity {
		t.Fatalf("reused key: %d", a.Status)
	}
	// Concurrent retries also make one post.
	var wg sync.WaitGroup
	results := make(chan any, 5)
	for i := 0; i < 5; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- h.api("POST", fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), token, map[string]any{"body": "Racing"}, "Idempotency-Key", "race-key").Body["id"]
		}()
	}
	wg.Wait()
	close(results)
	first := <-results
	for id := range results {
		if id != first || id == nil {
			t.Fatalf("concurrent retries returned %v and %v", first, id)
		}
	}
}

func TestReactions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("kind-words", nil)
	b := h.member("reactor")
	h.member("poster")
	th := h.thread("poster", f, "Reactions welcome here", "Hello", false)
	pid := h.firstPost(th.ID).ID
	for _, kind := range []string{"support", "hug", "me_too", "helpful"} {
		b.get(fmt.Sprintf("/t/%d", th.ID))
		if r := b.post(fmt.Sprintf("/posts/%d/reactions/%s", pid, kind), nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", kind, r.StatusCode)
		}
	}
	var p models.Post
	h.app.DB.Gorm.First(&p, pid)
	if p.SupportCount != 1 || p.HugCount != 1 || p.MeTooCount != 1 || p.HelpfulCount != 1 {
		t.Fatalf("counts %+v", p)
	}
	page := b.get(fmt.Sprintf("/t/%d", th.ID)).body
	if strings.Count(page, `aria-pressed="true"`) != 4 {
		t.Fatal("the page does not show the member's reactions as pressed")
	}
	// Toggling removes; the API's PUT is idempotent.
	b.post(fmt.Sprintf("/posts/%d/reactions/hug", pid), nil)
	tok := b.token("write")
	h.api("PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/support", pid), tok, nil)
	a := h.api("PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/support", pid), tok, nil)
	reactions := a.Body["reactions"].(map[string]any)
	if reactions["support"] != 1.0 || reactions["hug"] != 0.0 {
		t.Fatalf("reactions after toggling: %v", reactions)
	}
	if a := h.api("PUT", fmt.Sprintf("/api/v1/posts/%d/reactions/angry", pid), tok, nil); a.Status != http.StatusNotFound {
		t.Fatalf("unknown reaction: %d", a.Status)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM reactions WHERE post_id = ?`, pid); n != 3 {
		t.Fatalf("%d reaction rows, want 3", n)
	}
}

func TestTitlesAndHandlesAreEscapedInLists(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("escapes", nil)
	h.member("plain_name")
	title := `<img src=x onerror=alert(1)> & "quotes" <script>x</script>`
	th := h.thread("plain_name", f, title, "Body", false)
	for path, b := range map[string]*browser{"/f/escapes": h.browser(), fmt.Sprintf("/t/%d", th.ID): h.browser()} {
		body := b.get(path).body
		if strings.Contains(body, "<img src=x") || strings.Contains(body, "<script>x") {
			t.Errorf("%s: the title reached the page unescaped", path)
		}
		if !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt; &amp; &#34;quotes&#34;") {
			t.Errorf("%s: escaped title not found", path)
		}
	}
}

func TestLockedThreadsTakeNoReplies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("locks", nil)
	b := h.member("late_replier")
	h.member("opener")
	th := h.thread("opener", f, "Closed for replies", "Thanks all", false)
	h.app.DB.Gorm.Exec(`UPDATE threads SET state = 'locked' WHERE id = ?`, th.ID)
	page := b.get(fmt.Sprintf("/t/%d", th.ID))
	if !strings.Contains(page.body, "locked and takes no more replies") || strings.Contains(page.body, `action="/t/`+fmt.Sprint(th.ID)+`/replies"`) {
		t.Fatal("a locked thread still shows the reply form")
	}
	if r := b.post(fmt.Sprintf("/t/%d/replies", th.ID), url.Values{"body": {"Sneaking in"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reply to a locked thread: %d", r.StatusCode)
	}
	if a := h.api("POST", fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), b.token("write"), map[string]any{"body": "API sneak"}); a.Status != http.StatusUnprocessableEntity {
		t.Fatalf("API reply to a locked thread: %d", a.Status)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM posts WHERE thread_id = ?`, th.ID); n != 1 {
		t.Fatalf("%d posts in the locked thread", n)
	}
}

// After replying or reacting, a member lands on their post in the thread
// as it pages from the start (the right page, anchored), not on a page
// that holds only their post; notifications lead there the same way.
func TestLandOnThePostInItsPage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("landing", nil)
	th := h.thread(h.ensureAdmin(), f, "A long conversation", "Post number 1.", false)
	h.account("landing_regular", models.RoleMember)
	var ids []int64
	ids = append(ids, h.firstPost(th.ID).ID)
	for i := 2; i <= 34; i++ {
		ids = append(ids, h.reply("landing_regular", th.ID, "Post number "+itoa(int64(i))+".", false).ID)
	}
	b := h.member("landing_member")
	b.get("/t/" + itoa(th.ID))
	r := b.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {"Post number 35, mine."}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", r.StatusCode)
	}
	var mine int64
	h.app.DB.Gorm.Raw(`SELECT max(id) FROM posts WHERE thread_id = ?`, th.ID).Scan(&mine)
	want := "/t/" + itoa(th.ID) + "?after=" + itoa(ids[29]) + "#post-" + itoa(mine)
	if loc := r.Header.Get("Location"); loc != want {
		t.Fatalf("after replying: %q, want %q (page 2, from post 31)", loc, want)
	}
	page := b.get(strings.SplitN(want, "#", 2)[0]).body
	for _, n := range []string{"Post number 31.", "Post number 34.", "Post number 35, mine."} {
		if !strings.Contains(page, n) {
			t.Errorf("the page the reply lands on lacks %q", n)
		}
	}
	b.get("/t/" + itoa(th.ID))
	r = b.post("/posts/"+itoa(ids[4])+"/reactions/support", url.Values{})
	if loc := r.Header.Get("Location"); loc != "/t/"+itoa(th.ID)+"#post-"+itoa(ids[4]) {
		t.Errorf("after reacting to post 5: %q, want the first page", loc)
	}
	r = b.get("/posts/" + itoa(ids[32]))
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/t/"+itoa(th.ID)+"?after="+itoa(ids[29])+"#post-"+itoa(ids[32]) {
		t.Errorf("permalink of post 33: %d %q", r.StatusCode, loc)
	}
}

// In their own anonymous thread a member's reply form is set to anonymous
// (a reply under their handle would show who started it), and every reply
// form says which identity the reply will show.
func TestReplyFormSaysWhoYouReplyAs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("identity", func(f *forumsForm) { f.Sensitive = true })
	starter := h.member("anon_starter")
	other := h.member("named_helper")
	th := h.thread("anon_starter", f, "Something I cannot say under my name", "It is about my family.", true)
	checked := regexp.MustCompile(`<input type="checkbox" id="anonymous"[^>]*\bchecked\b`)
	page := starter.get("/t/" + itoa(th.ID)).body
	if !checked.MatchString(page) || !strings.Contains(page, "so it is ticked for you") || !strings.Contains(page, "<strong>anon_starter</strong>") {
		t.Error("the anonymous starter's reply form is not set to anonymous, or does not say why and who")
	}
	page = other.get("/t/" + itoa(th.ID)).body
	if checked.MatchString(page) || !strings.Contains(page, "<strong>named_helper</strong>") {
		t.Error("another member's reply form is set to anonymous, or does not name them")
	}
	// The starter's choice is kept when the form comes back with an error.
	starter.get("/t/" + itoa(th.ID))
	r := starter.post("/t/"+itoa(th.ID)+"/replies", url.Values{"body": {""}})
	if r.StatusCode != http.StatusUnprocessableEntity || checked.MatchString(r.body) {
		t.Errorf("an unticked box came back ticked (%d)", r.StatusCode)
	}
}

// Posts written before images became links are rewritten by migration
// 00020: the stored <img> of an outside image becomes a link named by its
// alt text.
func TestStoredImagesBecomeLinks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("old-images", nil)
	th := h.thread(h.ensureAdmin(), f, "An old post with a picture", "Placeholder.", false)
	post := h.firstPost(th.ID)
	old := `<p>My pump <img src="https://example.org/pump.jpg" alt="my new pump" title="T"> and <img src="https://example.org/x.png" alt=""></p>`
	h.app.DB.Gorm.Exec(`UPDATE posts SET body_html = ? WHERE id = ?`, old, post.ID)
	migration, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "migrations", "00020_images_as_links.sql"))
	if err != nil {
		t.Fatal(err)
	}
	up := strings.SplitN(strings.SplitN(string(migration), "-- +goose Down", 2)[0], "-- +goose Up", 2)[1]
	up = strings.NewReplacer("-- +goose StatementBegin", "", "-- +goose StatementEnd", "").Replace(up)
	if err := h.app.DB.Gorm.Exec(up).Error; err != nil {
		t.Fatal(err)
	}
	page := h.browser().get("/t/" + itoa(th.ID)).body
	if strings.Contains(page, "<img src=\"https://example.org") || !strings.Contains(page, `<a href="https://example.org/pump.jpg" rel="nofollow ugc noopener">my new pump</a>`) ||
		!strings.Contains(page, `<a href="https://example.org/x.png" rel="nofollow ugc noopener">an image</a>`) {
		t.Error("the stored images were not rewritten as links")
	}
}
