package server_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/pagecache"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/models"
)

// visited is one visitor's answer, its body read.
type visited struct {
	status int
	header http.Header
	body   string
}

// visit GETs base+path as a visitor: no cookie jar, no credentials.
func visit(t *testing.T, base, path string, headers ...string) visited {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return visited{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (v visited) cache() string { return v.header.Get(pagecache.Header) }

var cspNonce = regexp.MustCompile(`'nonce-([^']+)'`)

// nonce is the CSP nonce the answer's header allows.
func (v visited) nonce(t *testing.T) string {
	t.Helper()
	m := cspNonce.FindStringSubmatch(v.header.Get("Content-Security-Policy"))
	if m == nil {
		t.Fatalf("no nonce in the CSP: %q", v.header.Get("Content-Security-Policy"))
	}
	return m[1]
}

// listenForPages starts app's page cache listener, as `kindred serve`
// does, and waits until it listens.
func listenForPages(t testing.TB, app *server.App) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	app.StartPageCache(ctx)
	select {
	case <-app.Pages.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the page cache did not start listening")
	}
}

// cachedPage visits path until the answer comes from the cache, so that what
// follows proves an invalidation and not a first render.
func cachedPage(t *testing.T, base, path string) visited {
	t.Helper()
	for i := 0; i < 3; i++ {
		if v := visit(t, base, path); v.cache() == "hit" {
			return v
		}
	}
	t.Fatalf("%s never came from the cache", path)
	return visited{}
}

// visitUntil visits path until ok says yes, for at most five seconds
// (notifications arrive after the writer's commit, in milliseconds).
func visitUntil(t *testing.T, base, path, what string, ok func(visited) bool) visited {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := visit(t, base, path)
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s never showed (last answer %d from %q)", path, what, v.status, v.cache())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func pageShows(text string) func(visited) bool {
	return func(v visited) bool { return v.status == http.StatusOK && strings.Contains(v.body, text) }
}

func pageHides(text string) func(visited) bool {
	return func(v visited) bool { return v.status == http.StatusOK && !strings.Contains(v.body, text) }
}

// A visitor's public pages come from the cache: the same bytes (with
// each answer's own CSP nonce), an ETag and a 304 on If-None-Match, for
// the thread, forum and home pages; the query parameters that change a
// page make their own entry, others share one. Signed-in members and
// token clients neither get cached bytes nor cause a page to be kept.
func TestVisitorPagesComeFromTheCache(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_PAGE_CACHE_TTL": "1h"}})
	f := h.forum("pc-walks", nil)
	h.account("pc_ana", models.RoleMember)
	th := h.thread("pc_ana", f, "Short walks after surgery", "Ten minutes twice a day helped me.", false)
	h.reply("pc_ana", th.ID, "Same here, with a stick at first.", false)
	base, path := h.srv.URL, "/t/"+itoa(th.ID)

	// Before the cache listens for changes, nothing is kept.
	if v := visit(t, base, path); v.status != http.StatusOK || v.cache() != "bypass" || v.header.Get("ETag") != "" {
		t.Fatalf("before listening: %d, cache %q, ETag %q", v.status, v.cache(), v.header.Get("ETag"))
	}
	listenForPages(t, h.app)

	// A member's visit first: it must not leave a page for visitors.
	member := h.signedIn("pc_ana")
	m := member.get(path)
	if m.StatusCode != http.StatusOK || m.Header.Get(pagecache.Header) != "" || !strings.Contains(m.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("member: %d, cache %q, Cache-Control %q", m.StatusCode, m.Header.Get(pagecache.Header), m.Header.Get("Cache-Control"))
	}
	first := visit(t, base, path)
	if first.status != http.StatusOK || first.cache() != "miss" {
		t.Fatalf("first visit: %d from %q (a member's visit kept the page?)", first.status, first.cache())
	}
	second := visit(t, base, path)
	if second.cache() != "hit" {
		t.Fatalf("second visit: %q, want hit", second.cache())
	}
	etag := first.header.Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) || second.header.Get("ETag") != etag {
		t.Fatalf("ETags %q then %q", etag, second.header.Get("ETag"))
	}
	for _, v := range []visited{first, second} {
		if cc := v.header.Get("Cache-Control"); cc != pagecache.CacheControl {
			t.Errorf("Cache-Control %q", cc)
		}
		vary := strings.Join(v.header.Values("Vary"), ",")
		if !strings.Contains(vary, "Cookie") || !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("Vary %q", vary)
		}
		if len(v.header.Values("Set-Cookie")) > 0 {
			t.Errorf("a visitor's page sets a cookie: %q", v.header.Values("Set-Cookie"))
		}
	}
	// Each answer carries its own nonce, in the header and the script tag;
	// apart from it the bytes are the same.
	n1, n2 := first.nonce(t), second.nonce(t)
	if n1 == n2 {
		t.Fatal("the cached answer replays the nonce it was rendered with")
	}
	if !strings.Contains(second.body, `nonce="`+n2+`"`) || strings.Contains(second.body, n1) {
		t.Fatal("the cached page's script does not carry the answer's own nonce")
	}
	if strings.ReplaceAll(first.body, n1, "N") != strings.ReplaceAll(second.body, n2, "N") {
		t.Fatal("the cached bytes differ from the rendered ones")
	}
	if !strings.Contains(second.body, "Same here, with a stick at first.") {
		t.Fatal("the cached page lacks the reply")
	}

	// Revalidation: 304, no body, and no new policy header that would no
	// longer match the nonce in the browser's stored copy.
	nm := visit(t, base, path, "If-None-Match", etag)
	if nm.status != http.StatusNotModified || nm.body != "" || nm.header.Get("Content-Security-Policy") != "" || nm.header.Get("ETag") != etag {
		t.Fatalf("If-None-Match: %d, %d bytes, CSP %q, ETag %q", nm.status, len(nm.body), nm.header.Get("Content-Security-Policy"), nm.header.Get("ETag"))
	}
	if v := visit(t, base, path, "If-None-Match", `W/"other"`); v.status != http.StatusOK {
		t.Fatalf("another ETag: %d, want 200", v.status)
	}

	// Compressed for those who ask, from the same entry.
	if v := visit(t, base, path, "Accept-Encoding", "gzip"); v.cache() != "hit" || v.header.Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip: %q, Content-Encoding %q", v.cache(), v.header.Get("Content-Encoding"))
	} else if zr, err := gzip.NewReader(strings.NewReader(v.body)); err != nil {
		t.Error(err)
	} else if b, _ := io.ReadAll(zr); !strings.Contains(string(b), "Same here, with a stick at first.") || !strings.Contains(string(b), `nonce="`+v.nonce(t)+`"`) {
		t.Error("the compressed cached page is not the page")
	}

	// Tracking parameters share the page; a page of the thread is its own.
	if v := visit(t, base, path+"?utm_source=social&fbclid=x"); v.cache() != "hit" {
		t.Errorf("with tracking parameters: %q, want hit", v.cache())
	}
	if v := visit(t, base, path+"?page=last"); v.cache() != "miss" {
		t.Errorf("?page=last: %q, want its own entry (miss)", v.cache())
	}
	for _, p := range []string{"/", "/f/pc-walks", "/f/pc-walks?answered=1"} {
		if v := visit(t, base, p); v.status != http.StatusOK || v.cache() != "miss" {
			t.Errorf("%s first: %d %q", p, v.status, v.cache())
		}
		if v := visit(t, base, p); v.cache() != "hit" {
			t.Errorf("%s again: %q", p, v.cache())
		}
	}

	// Signed in, or with a token: rendered for them, never the cached bytes.
	m = member.get(path)
	if m.Header.Get(pagecache.Header) != "" || !strings.Contains(m.body, `href="/account"`) || !strings.Contains(m.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("member after visitors: cache %q, Cache-Control %q", m.Header.Get(pagecache.Header), m.Header.Get("Cache-Control"))
	}
	tok := member.token("read")
	if v := visit(t, base, path, "Authorization", "Bearer "+tok); v.cache() != "" || !strings.Contains(v.header.Get("Cache-Control"), "no-store") {
		t.Errorf("with a token: cache %q, Cache-Control %q", v.cache(), v.header.Get("Cache-Control"))
	}
	// A flash message (set for the next page) is shown and cleared, not
	// replaced by the cached page; the page holds one person's message,
	// so no proxy or browser cache may keep it either.
	if v := visit(t, base, path, "Cookie", "kindred_flash=Saved."); v.cache() != "" || !strings.Contains(v.body, "Saved.") ||
		v.header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("with a flash message: cache %q, Cache-Control %q", v.cache(), v.header.Get("Cache-Control"))
	}
	// One address per thread: other spellings of its id are no page at
	// all, so they cannot fill the cache with copies of it.
	for _, alias := range []string{"/t/0" + itoa(th.ID), "/t/+" + itoa(th.ID)} {
		if v := visit(t, base, alias); v.status != http.StatusNotFound || v.cache() == "miss" || v.cache() == "hit" {
			t.Errorf("%s: %d, cache %q", alias, v.status, v.cache())
		}
	}
	// Operators see it work.
	if v := visit(t, base, "/metrics"); !regexp.MustCompile(`(?m)^kindred_page_cache_hits_total [1-9]`).MatchString(v.body) {
		t.Error("/metrics does not count the cache's hits")
	}
	// Sensitive forums are not for visitors: a 404, never kept.
	sens := h.forum("pc-private", func(f *forums.ForumForm) { f.Sensitive = true })
	st := h.thread(h.ensureAdmin(), sens, "Hard nights", "Some nights are long.", false)
	for i := 0; i < 2; i++ {
		if v := visit(t, base, "/t/"+itoa(st.ID)); v.status != http.StatusNotFound || v.cache() == "hit" {
			t.Fatalf("sensitive thread for a visitor: %d from %q", v.status, v.cache())
		}
	}
}

// Every write that changes a public page shows on the visitor's next
// request, long before the TTL (an hour here): a reply, an edit, a
// moderator's hide, a pin, an announcement for visitors, a clinician's
// badge, a move to a sensitive forum.
func TestCachedPagesFollowWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_PAGE_CACHE_TTL": "1h"}})
	h.licensing()
	f := h.forum("pcw-knees", nil)
	h.forum("pcw-private", func(f *forums.ForumForm) { f.Sensitive = true })
	h.account("pcw_ana", models.RoleMember)
	h.clinician("pcw_doc", "cardiology")
	th := h.thread("pcw_ana", f, "Knee brace at night?", "Does anyone sleep in theirs?", false)
	docPost := h.reply("pcw_doc", th.ID, "Only if your surgeon asked for it.", false)
	listenForPages(t, h.app)
	base, path := h.srv.URL, "/t/"+itoa(th.ID)
	ctx := context.Background()
	admin := h.signedIn(h.ensureAdmin())

	if v := cachedPage(t, base, path); !strings.Contains(v.body, `class="clinician-badge"`) {
		t.Fatal("the clinician's badge is not on the page")
	}
	cachedPage(t, base, "/")
	cachedPage(t, base, "/f/pcw-knees")

	// A reply: on the thread, and the lists move.
	h.reply("pcw_ana", th.ID, "NEW-REPLY-CANARY", false)
	visitUntil(t, base, path, "the new reply", pageShows("NEW-REPLY-CANARY"))
	visitUntil(t, base, "/f/pcw-knees", "the new reply count", pageShows("2 replies"))

	// An edit by the author, through the API.
	cachedPage(t, base, path)
	tok := h.signedIn("pcw_ana").token("write")
	first := h.firstPost(th.ID)
	if r := h.api(http.MethodPatch, "/api/v1/posts/"+itoa(first.ID), tok, map[string]any{"body": "EDITED-CANARY: yes, every night."}); r.Status != http.StatusOK {
		t.Fatalf("edit: %d %s", r.Status, r.Raw)
	}
	visitUntil(t, base, path, "the edit", pageShows("EDITED-CANARY"))

	// A moderator hides the reply.
	cachedPage(t, base, path)
	var hidden int64
	if err := h.app.DB.Gorm.Raw(`SELECT id FROM posts WHERE body = 'NEW-REPLY-CANARY'`).Scan(&hidden).Error; err != nil {
		t.Fatal(err)
	}
	if err := h.app.Moderation.Act(ctx, h.actor(h.user(h.ensureAdmin())), models.TargetPost, hidden, "hide", "Checking a report.", false); err != nil {
		t.Fatal(err)
	}
	visitUntil(t, base, path, "the hidden reply gone", pageHides("NEW-REPLY-CANARY"))

	// A pin on the home page.
	cachedPage(t, base, "/")
	if err := h.app.Forums.SetPin(ctx, h.viewer(h.ensureAdmin()), th.ID, true, true); err != nil {
		t.Fatal(err)
	}
	visitUntil(t, base, "/", "the pinned thread", func(v visited) bool {
		return v.status == http.StatusOK && strings.Contains(v.body, `id="pinned-title"`)
	})

	// An announcement for everyone: a banner on every page.
	cachedPage(t, base, path)
	h.announce(admin, h.annForm("PC-BANNER-CANARY", "site", "everyone", "", "banner"))
	visitUntil(t, base, path, "the banner", pageShows("PC-BANNER-CANARY"))

	// The clinician's badge, revoked.
	cachedPage(t, base, path)
	var cred int64
	if err := h.app.DB.Gorm.Raw(`SELECT id FROM credentials WHERE user_id = ?`, h.user("pcw_doc").ID).Scan(&cred).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Clinicians.Revoke(ctx, h.actor(h.user(h.ensureAdmin())), cred, "Licence suspended by the board."); err != nil {
		t.Fatal(err)
	}
	visitUntil(t, base, path, "the badge gone", pageHides(`class="clinician-badge"`))
	_ = docPost

	// The JSON counterparts, for clients without a token.
	api := "/api/v1/threads/" + itoa(th.ID)
	for _, p := range []string{api, api + "/posts", "/api/v1/forums/pcw-knees/threads"} {
		cachedPage(t, base, p)
	}
	h.reply("pcw_ana", th.ID, "API-REPLY-CANARY", false)
	visitUntil(t, base, api+"/posts", "the reply in the API", pageShows("API-REPLY-CANARY"))
	count := `"reply_count":` + itoa(int64(threadModel(h, th.ID).ReplyCount))
	visitUntil(t, base, api, "the new reply count", pageShows(count))
	visitUntil(t, base, "/api/v1/forums/pcw-knees/threads", "the new reply count in the list", pageShows(count))
	if v := visit(t, base, api+"/posts", "Authorization", "Bearer "+tok); v.cache() != "" || !strings.Contains(v.header.Get("Cache-Control"), "no-store") {
		t.Errorf("API with a token: cache %q, Cache-Control %q", v.cache(), v.header.Get("Cache-Control"))
	}

	// A move to a sensitive forum: visitors get a 404 at once.
	cachedPage(t, base, path)
	cachedPage(t, base, api+"/posts")
	adminTok := admin.token("write")
	if r := h.api(http.MethodPost, "/api/v1/moderation/items/thread/"+itoa(th.ID)+"/move", adminTok, map[string]any{"forum": "pcw-private"}); r.Status != http.StatusOK {
		t.Fatalf("move: %d %s", r.Status, r.Raw)
	}
	for _, p := range []string{path, api + "/posts"} {
		visitUntil(t, base, p, "the 404 after the move", func(v visited) bool { return v.status == http.StatusNotFound })
	}
}

// Two instances on one database: a write through one drops the page the
// other kept; and an instance whose LISTEN connection is cut drops what it
// kept (a change may have been missed) and serves fresh pages.
func TestPageCacheAcrossInstances(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_PAGE_CACHE_TTL": "1h"}})
	f := h.forum("pci-sleep", nil)
	h.account("pci_ana", models.RoleMember)
	th := h.thread("pci_ana", f, "Melatonin doses", "What worked for you?", false)
	listenForPages(t, h.app)
	appB, baseB := h.secondInstance(t)
	listenForPages(t, appB)
	path := "/t/" + itoa(th.ID)
	cachedPage(t, baseB, path)

	// A reply through instance A's pages.
	ana := h.signedIn("pci_ana")
	ana.get(path)
	if r := ana.post(path+"/replies", url.Values{"body": {"THROUGH-A-CANARY"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply through A: %d", r.StatusCode)
	}
	visitUntil(t, baseB, path, "A's reply on B", pageShows("THROUGH-A-CANARY"))

	// Cut every page-cache listener, and wait until they are gone.
	cachedPage(t, baseB, path)
	var pids []int64
	if err := h.app.DB.Gorm.Raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN kindred_pages'`).Scan(&pids).Error; err != nil || len(pids) != 2 {
		t.Fatalf("listeners: %v (%v)", pids, err)
	}
	if err := h.app.DB.Gorm.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN ?`, pids).Error; err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for countWhere(t, h, `SELECT count(*) FROM pg_stat_activity WHERE pid IN ?`, pids) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the listeners were not cut")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// B kept nothing through the cut, though no change was written.
	visitUntil(t, baseB, path, "a fresh render after the cut", func(v visited) bool { return v.status == http.StatusOK && v.cache() != "hit" })
	// It listens again, keeps pages again, and follows writes again.
	deadline = time.Now().Add(5 * time.Second)
	for !appB.Pages.Enabled() {
		if time.Now().After(deadline) {
			t.Fatal("B does not listen again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cachedPage(t, baseB, path)
	h.reply("pci_ana", th.ID, "AFTER-CUT-CANARY", false)
	visitUntil(t, baseB, path, "the reply after the cut", pageShows("AFTER-CUT-CANARY"))
}

// KINDRED_PAGE_CACHE=off: no cache, no cache headers, every page rendered.
func TestPageCacheOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{env: map[string]string{"KINDRED_PAGE_CACHE": "off"}})
	f := h.forum("pco-eyes", nil)
	h.account("pco_ana", models.RoleMember)
	th := h.thread("pco_ana", f, "Dry eyes at work", "Screens make it worse.", false)
	if h.app.Pages != nil {
		t.Fatal("the page cache exists with KINDRED_PAGE_CACHE=off")
	}
	h.app.StartPageCache(context.Background()) // a no-op
	for i := 0; i < 2; i++ {
		v := visit(t, h.srv.URL, "/t/"+itoa(th.ID))
		if v.status != http.StatusOK || v.cache() != "" || v.header.Get("ETag") != "" || v.header.Get("Cache-Control") != "" {
			t.Fatalf("visit %d: %d, cache %q, ETag %q, Cache-Control %q", i, v.status, v.cache(), v.header.Get("ETag"), v.header.Get("Cache-Control"))
		}
	}
}
