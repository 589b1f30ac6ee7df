package server_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// searchIDs runs the search API as token's owner (or a visitor) and
// returns the thread ids found.
func (h *harness) searchIDs(token, query string) []int64 {
	h.t.Helper()
	r := h.api("GET", "/api/v1/search?"+query, token, nil)
	if r.Status != http.StatusOK {
		h.t.Fatalf("search %s: %d %s", query, r.Status, r.Raw)
	}
	var ids []int64
	for _, x := range r.Body["hits"].([]any) {
		ids = append(ids, int64(x.(map[string]any)["id"].(float64)))
	}
	return ids
}

// eventually polls cond until it holds (the index is written by a job).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}

func has(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestSearchFollowsVisibility: threads reach the index through jobs
// enqueued with the write; hidden, removed and pending content leaves it or
// never enters; private questions are never in it; audiences follow the
// viewer; request parameters never become filter syntax.
func TestSearchFollowsVisibility(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	h.licensing()
	ctx := context.Background()
	pub := h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	mind := h.forum("mind", func(f *forums.ForumForm) { f.Sensitive = true })
	lounge := h.forum("lounge", func(f *forums.ForumForm) { f.ClinicianOnly = true })
	h.account("author", models.RoleMember)
	h.account("mod_sam", models.RoleModerator)
	member := h.member("searcher")
	memberTok := member.token("read")
	doc := h.clinician("dr_find", "cardiology")
	docB := h.browser()
	docB.signIn("dr_find", goodPassword)
	docTok := docB.token("read")

	a := h.thread("author", pub, "Walking after bypass surgery", "How far did you walk? zebrapublic", false)
	b := h.thread("author", mind, "Sleepless nights", "Nothing helps. zebramembers", false)
	c := h.thread("dr_find", lounge, "Referral pathways", "Rural clinics. zebraclinicians", false)
	eventually(t, "the public thread is searchable", func() bool { return has(h.searchIDs("", "q=zebrapublic"), a.ID) })
	eventually(t, "the lounge thread is searchable by clinicians", func() bool { return has(h.searchIDs(docTok, "q=zebraclinicians"), c.ID) })
	eventually(t, "the members' thread is searchable by members", func() bool { return has(h.searchIDs(memberTok, "q=zebramembers"), b.ID) })
	if has(h.searchIDs("", "q=zebramembers"), b.ID) {
		t.Error("a visitor finds a members-only thread")
	}
	if !has(h.searchIDs(memberTok, "q=zebramembers"), b.ID) {
		t.Error("a member does not find a members-only thread")
	}
	if has(h.searchIDs(memberTok, "q=zebraclinicians"), c.ID) {
		t.Error("a member finds a clinician-lounge thread")
	}
	// Filter syntax in parameters finds nothing extra.
	for _, q := range []string{
		"q=zebraclinicians&forum=" + url.QueryEscape(`x" OR audience = "clinicians`),
		"q=" + url.QueryEscape(`zebraclinicians" OR audience = "clinicians`),
		"q=zebraclinicians&audience=clinicians",
	} {
		if ids := h.searchIDs(memberTok, q); has(ids, c.ID) {
			t.Errorf("injection %q found the lounge thread", q)
		}
	}
	// A reply's text becomes searchable; hiding takes the thread out.
	h.reply("author", a.ID, "Reply text zebrareply", false)
	eventually(t, "the reply is searchable", func() bool { return has(h.searchIDs("", "q=zebrareply"), a.ID) })
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("mod_sam")), models.TargetThread, a.ID, moderation.ActHide, "Checking the reports", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the hidden thread leaves the index", func() bool { return !has(h.searchIDs(memberTok, "q=zebrapublic"), a.ID) })
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("mod_sam")), models.TargetThread, a.ID, moderation.ActRestore, "", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the restored thread comes back", func() bool { return has(h.searchIDs("", "q=zebrapublic"), a.ID) })
	if err := h.app.Moderation.Act(ctx, h.actor(h.user("mod_sam")), models.TargetThread, a.ID, moderation.ActRemove, "Off topic for this forum", false); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the removed thread leaves the index", func() bool { return !has(h.searchIDs("", "q=zebrapublic"), a.ID) })
	// Pending content and private questions never enter it.
	if err := h.app.Moderation.SaveWord(ctx, h.actor(h.user(h.ensureAdmin())), "discount code", "require_approval"); err != nil {
		t.Fatal(err)
	}
	pending := h.thread("author", pub, "Use my discount code", "zebrapending", false)
	q := h.ask("author", "heart", "Private zebraprivate", "zebraprivate text")
	if err := h.app.Questions.Accept(ctx, h.actor(doc), q.ID); err != nil {
		t.Fatal(err)
	}
	control := h.thread("author", pub, "A control thread", "zebracontrol", false)
	eventually(t, "the control thread is searchable (later jobs have run)", func() bool { return has(h.searchIDs("", "q=zebracontrol"), control.ID) })
	for _, tok := range []string{"", memberTok, docTok} {
		if ids := h.searchIDs(tok, "q=zebrapending"); has(ids, pending.ID) {
			t.Error("pending thread found")
		}
		if r := h.api("GET", "/api/v1/search?q=zebraprivate", tok, nil); strings.Contains(r.Raw, "zebraprivate") {
			t.Error("a private question reached search")
		}
	}
}

// TestSearchSynonymsAndTypos: lay words find clinical ones, and a typo
// still finds the thread.
func TestSearchSynonymsAndTypos(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	f := h.forum("heart", nil)
	h.account("author", models.RoleMember)
	mi := h.thread("author", f, "Recovering from a myocardial infarction", "Six weeks on.", false)
	dm := h.thread("author", f, "Newly diagnosed with diabetes", "Where do I start?", false)
	eventually(t, "indexed", func() bool {
		return has(h.searchIDs("", "q=myocardial"), mi.ID) && has(h.searchIDs("", "q=diagnosed"), dm.ID)
	})
	if !has(h.searchIDs("", "q="+url.QueryEscape("heart attack")), mi.ID) {
		t.Error("“heart attack” does not find the myocardial infarction thread")
	}
	if !has(h.searchIDs("", "q=diabetis"), dm.ID) {
		t.Error("“diabetis” does not find diabetes")
	}
	// Highlights are escaped text with only <mark> added.
	x := h.thread("author", f, `<img src=x onerror=alert(1)> palpitations`, `Night palpitations <script>alert("x")</script> again`, false)
	eventually(t, "indexed", func() bool { return has(h.searchIDs("", "q=palpitations"), x.ID) })
	r := h.api("GET", "/api/v1/search?q=palpitations", "", nil)
	hit := r.Body["hits"].([]any)[0].(map[string]any)
	title, snippet := hit["title_html"].(string), hit["snippet_html"].(string)
	if strings.Contains(title+snippet, "<script") || strings.Contains(title, "<img") || !strings.Contains(title, "<mark>palpitations</mark>") ||
		!strings.Contains(snippet, "&lt;script&gt;") || !strings.Contains(snippet, "<mark>palpitations</mark>") {
		t.Errorf("highlights: %q %q", title, snippet)
	}
	page := h.browser().get("/search?q=palpitations").body
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") || !strings.Contains(page, "<mark>palpitations</mark>") {
		t.Error("the search page shows unescaped text or no highlight")
	}
}

// TestWritesSurviveASearchOutage: with Meilisearch stopped, 50 threads are
// written and all succeed; search says it is unavailable; once it is back
// every thread becomes searchable and nothing is missing from the index.
func TestWritesSurviveASearchOutage(t *testing.T) {
	t.Parallel()
	m := testenv.NewPrivateMeili(t)
	h := newHarness(t, harnessOpts{workers: true, env: map[string]string{"MEILI_URL": m.URL, "MEILI_API_KEY": m.Key}})
	f := h.forum("heart", nil)
	h.account("writer", models.RoleMember)
	first := h.thread("writer", f, "Before the outage", "zebrabefore", false)
	eventually(t, "indexed before the outage", func() bool { return has(h.searchIDs("", "q=zebrabefore"), first.ID) })

	m.Stop()
	for i := 0; i < 50; i++ {
		if _, err := h.app.Forums.CreateThread(context.Background(), h.viewer("writer"), f,
			forums.ThreadForm{Title: "Written during the outage " + itoa(int64(i)), Body: "zebraoutage"}, ""); err != nil {
			t.Fatalf("write %d during the outage: %v", i, err)
		}
	}
	if r := h.api("GET", "/api/v1/search?q=zebraoutage", "", nil); r.Status != http.StatusServiceUnavailable {
		t.Errorf("search during the outage: %d", r.Status)
	}
	if r := h.browser().get("/search?q=zebraoutage"); r.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(r.body, "Search is temporarily unavailable") {
		t.Errorf("the search page during the outage: %d", r.StatusCode)
	}
	if r := h.browser().get("/healthz/details"); r.StatusCode != http.StatusServiceUnavailable || !strings.Contains(r.body, `"meilisearch":"unavailable"`) {
		t.Errorf("healthz/details during the outage: %d %s", r.StatusCode, r.body)
	}
	if r := h.browser().get("/readyz"); r.StatusCode != http.StatusOK {
		t.Errorf("readyz during a search outage: %d %s (only PostgreSQL decides readiness)", r.StatusCode, r.body)
	}
	backlog := func() string {
		for _, line := range strings.Split(h.browser().get("/metrics").body, "\n") {
			if strings.HasPrefix(line, "kindred_search_index_backlog ") {
				return strings.TrimPrefix(line, "kindred_search_index_backlog ")
			}
		}
		return "missing"
	}
	// At least the 50 new threads' jobs (the first one's may not be marked
	// done yet: River records completions in batches).
	if n, err := strconv.Atoi(backlog()); err != nil || n < 50 || n > 51 {
		t.Errorf("backlog during the outage: %d %v, want 50", n, err)
	}
	m.Start()
	deadline := time.Now().Add(90 * time.Second)
	for {
		r := h.api("GET", "/api/v1/search?q=zebraoutage", "", nil)
		if total, _ := r.Body["estimated_total"].(float64); r.Status == http.StatusOK && total == 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backlog did not drain: %d %s", r.Status, r.Raw)
		}
		time.Sleep(200 * time.Millisecond)
	}
	eventually(t, "the backlog metric is back to 0", func() bool { return backlog() == "0" })
	// What `kindred search verify` checks: nothing missing, stale or
	// forbidden.
	r, err := h.app.Search.Verify(context.Background(), h.app.Forums, false)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Clean() || r.Expected != 51 || r.Documents != 51 { // 51 threads of one post each
		t.Errorf("after the outage: %d documents expected, %d indexed; missing %v, stale %v, forbidden %v", r.Expected, r.Documents, r.Missing, r.Stale, r.Forbidden)
	}
}
