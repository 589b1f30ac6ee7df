package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// benchHarness seeds 10,000 threads and 100,000 posts (scripts/bench-seed.sql).
func benchHarness(b testing.TB) (*harness, int64) {
	b.Helper()
	sql, err := os.ReadFile(filepath.Join(testenv.RepoRoot(b), "scripts", "bench-seed.sql"))
	if err != nil {
		b.Fatal(err)
	}
	h := newHarness(b, harnessOpts{})
	// VACUUM cannot run inside the implicit transaction of a multi-statement string.
	body, vacuum, _ := strings.Cut(string(sql), "VACUUM ANALYZE;")
	if err := h.app.DB.Gorm.Exec(body).Error; err != nil {
		b.Fatal(err)
	}
	if err := h.app.DB.Gorm.Exec("VACUUM ANALYZE" + strings.TrimSpace(vacuum)).Error; err != nil {
		b.Fatal(err)
	}
	var id int64
	h.app.DB.Gorm.Raw(`SELECT id FROM threads WHERE title = 'Bench thread number 1'`).Scan(&id)
	var posts int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM posts`).Scan(&posts)
	if posts < 100_000 {
		b.Fatalf("seeded %d posts", posts)
	}
	return h, id
}

func benchGet(b *testing.B, h *harness, path string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	h.app.Echo.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d", path, rec.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.app.Echo.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d", path, rec.Code)
		}
	}
}

// BenchmarkThreadPage renders a 30-post thread page for a visitor.
func BenchmarkThreadPage(b *testing.B) {
	h, id := benchHarness(b)
	benchGet(b, h, "/t/"+strconv.FormatInt(id, 10))
}

// BenchmarkForumPage renders the first 30 of 10,000 threads.
func BenchmarkForumPage(b *testing.B) {
	h, _ := benchHarness(b)
	benchGet(b, h, "/f/bench-forum")
}

// BenchmarkForumPageDeep renders a page far down the forum through its cursor.
func BenchmarkForumPageDeep(b *testing.B) {
	h, _ := benchHarness(b)
	var cursor string
	path := "/f/bench-forum"
	for i := 0; i < 200; i++ {
		rows, next, err := h.app.Forums.Threads(b.Context(), h.viewer(""), forumBySlug(b, h, "bench-forum"), cursor, false)
		if err != nil || len(rows) == 0 {
			b.Fatal(err)
		}
		cursor = next
	}
	benchGet(b, h, path+"?cursor="+cursor)
}

func forumBySlug(b *testing.B, h *harness, slug string) *models.Forum {
	var f models.Forum
	if err := h.app.DB.Gorm.Where("slug = ?", slug).First(&f).Error; err != nil {
		b.Fatal(err)
	}
	return &f
}

// BenchmarkRouting makes one routing decision (the candidates query plus
// the ranking) for a cardiology question among 1,000 verified clinicians,
// 100 of them cardiologists who take questions, with a history of 5,000
// offers.
func BenchmarkRouting(b *testing.B) {
	h := newHarness(b, harnessOpts{})
	h.licensing()
	f := h.forum("heart", func(f *forums.ForumForm) { f.Specialties = []string{"cardiology"} })
	h.account("asker", models.RoleMember)
	err := h.app.DB.Gorm.Exec(fmt.Sprintf(`
		INSERT INTO users (handle, role, status, created_at, updated_at)
		SELECT 'clin_' || g, 'member', 'active', now(), now() FROM generate_series(1, 1000) g;
		INSERT INTO credentials (user_id, profession, specialties, licence_number, jurisdiction, licence_expires, status, submitted_at, reviewed_at, verified_until)
		SELECT u.id, 'physician', CASE WHEN g <= 100 THEN ARRAY['cardiology', 'endocrinology'] ELSE ARRAY['dermatology', 'oncology'] END,
		       'MD-' || g, 'test-board', now() + interval '2 years', 'verified', now(), now(), now() + interval '1 year'
		FROM generate_series(1, 1000) g JOIN users u ON u.handle = 'clin_' || g;
		INSERT INTO clinician_settings (user_id, accepting_questions, max_open_questions)
		SELECT u.id, true, 5 FROM users u WHERE u.handle LIKE 'clin_%%';
		INSERT INTO questions (asker_id, forum_id, title, body, body_html, status, created_at, updated_at)
		SELECT (SELECT id FROM users WHERE handle = 'asker'), %d, 'Old question ' || g, 'Text', '<p>Text</p>', 'closed', now(), now()
		FROM generate_series(1, 5000) g;
		INSERT INTO question_offers (question_id, clinician_id, offered_at, respond_by, outcome)
		SELECT q.id, (SELECT id FROM users WHERE handle = 'clin_' || (1 + q.id %% 1000)), now() - (q.id || ' minutes')::interval, now(), 'declined'
		FROM questions q;
		ANALYZE;`, f.ID)).Error
	if err != nil {
		b.Fatal(err)
	}
	// Specialists cover the question: one query over them.
	b.Run("specialists", func(b *testing.B) {
		q := h.ask("asker", "heart", "A question to route", "Text.")
		benchDecide(b, h, q.ID)
	})
	// Nobody covers the condition's specialty and nobody takes general
	// questions: the fallback chain reads every clinician taking questions.
	h.forum("kidneys", func(f *forums.ForumForm) { f.Specialties = []string{"nephrology"} })
	b.Run("fallback to anyone", func(b *testing.B) {
		q := h.ask("asker", "kidneys", "A question nobody specialises in", "Text.")
		benchDecide(b, h, q.ID)
	})
}

func benchDecide(b *testing.B, h *harness, id int64) {
	ctx := b.Context()
	if c, ok, err := h.app.Questions.Decide(ctx, id); err != nil || !ok || !strings.HasPrefix(h.userByID(c.ID).Handle, "clin_") {
		b.Fatalf("decide: %v %v %+v", ok, err, c)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok, err := h.app.Questions.Decide(ctx, id); err != nil || !ok {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearch seeds 100,000 threads with 400,000 posts
// (scripts/search-bench-seed.sql), indexes them all the way `kindred
// reindex` does (one document per visible post, built from PostgreSQL and
// sent in batches of 1,000
// to a fresh index, swapped in) and reports documents per second and the
// time of the verification that follows; then it
// runs 1,000 varied queries, one at a time, through the app's search API
// over HTTP and reports their p50 and p95 latency.
func BenchmarkSearch(b *testing.B) {
	sql, err := os.ReadFile(filepath.Join(testenv.RepoRoot(b), "scripts", "search-bench-seed.sql"))
	if err != nil {
		b.Fatal(err)
	}
	h := newHarness(b, harnessOpts{})
	body, vacuum, _ := strings.Cut(string(sql), "VACUUM ANALYZE;")
	seedStart := time.Now()
	if err := h.app.DB.Gorm.Exec(body).Error; err != nil {
		b.Fatal(err)
	}
	if err := h.app.DB.Gorm.Exec("VACUUM ANALYZE" + strings.TrimSpace(vacuum)).Error; err != nil {
		b.Fatal(err)
	}
	var threads int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM threads`).Scan(&threads)
	if threads != 100_000 {
		b.Fatalf("seeded %d threads", threads)
	}
	var posts int64 // one document per visible post
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id
		WHERE t.visibility = 'visible' AND p.visibility = 'visible' AND p.deleted_at IS NULL`).Scan(&posts)
	b.Logf("seeded 100,000 threads, %d visible posts, in %s", posts, time.Since(seedStart).Round(time.Second))
	ctx := context.Background()
	queries := benchQueries(1000)
	var docsPerSec, verifySec float64
	var lat, lat4 []time.Duration
	for b.Loop() {
		start := time.Now()
		n, err := h.app.Search.Reindex(ctx, func(add func([]models.PostDoc) error) error {
			return h.app.Forums.AllDocuments(ctx, search.BatchSize, add)
		})
		if err != nil || int64(n) != posts {
			b.Fatalf("reindex: %d documents, %v", n, err)
		}
		docsPerSec = float64(n) / time.Since(start).Seconds()
		// What `kindred reindex` does next: verify the new index against
		// PostgreSQL (and repair what changed meanwhile: nothing here).
		vstart := time.Now()
		r, err := h.app.Search.Verify(ctx, h.app.Forums, true)
		if err != nil || !r.Clean() {
			b.Fatalf("verify after the rebuild: %v %+v", err, r)
		}
		verifySec = time.Since(vstart).Seconds()
		for _, q := range queries[:50] { // warm-up
			benchSearch(b, h, q)
		}
		lat = lat[:0]
		for _, q := range queries {
			t0 := time.Now()
			benchSearch(b, h, q)
			lat = append(lat, time.Since(t0))
		}
		// The same 1,000 queries from four clients at once.
		lat4 = lat4[:0]
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < len(queries); i += 4 {
					t0 := time.Now()
					benchSearch(b, h, queries[i])
					d := time.Since(t0)
					mu.Lock()
					lat4 = append(lat4, d)
					mu.Unlock()
				}
			}(w)
		}
		wg.Wait()
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(l []time.Duration, p int) float64 {
		sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
		return ms(l[min(len(l)*p/100, len(l)-1)])
	}
	b.ReportMetric(docsPerSec, "docs/s")
	b.ReportMetric(verifySec, "verify-s")
	b.ReportMetric(pct(lat, 50), "p50-ms")
	b.ReportMetric(pct(lat, 95), "p95-ms")
	b.ReportMetric(pct(lat, 100), "max-ms")
	b.ReportMetric(pct(lat4, 95), "p95-4clients-ms")
}

// benchSearch runs one search as a visitor and checks it answered.
func benchSearch(b *testing.B, h *harness, q string) {
	res, err := http.Get(h.srv.URL + "/api/v1/search?" + q)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d", q, res.StatusCode)
	}
}

// benchQueries makes n varied searches: one and two words from the seed's
// vocabulary, typos, synonyms, and filters, orders and pages mixed in.
func benchQueries(n int) []string {
	words := []string{"insulin", "pump", "sensor", "glucose", "night", "sweats", "metformin", "tired", "fatigue", "walking",
		"blood", "pressure", "palpitations", "stent", "recovery", "cholesterol", "anxiety", "panic", "sleep", "therapy", "mood",
		"grief", "joints", "stiffness", "methotrexate", "flare", "knee", "chemo", "scan", "nausea", "inhaler", "wheeze",
		"dialysis", "kidney", "transplant", "appointment", "nurse", "dose", "worried", "breathless", "dizzy", "migraine",
		"thyroid", "anaemia", "referral", "diagnosis", "hypertension", "diabetes", "asthma", "depression"}
	phrases := []string{"heart attack", "high blood pressure", "low mood", "kidney failure", "water tablets", "sugar levels"}
	forumsList := []string{"sbench-diabetes", "sbench-heart-health", "sbench-arthritis", "sbench-asthma"}
	sorts := []string{"newest", "active", "recent"}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		w := words[(i*7)%len(words)]
		var text string
		switch i % 6 {
		case 0, 1:
			text = w
		case 2:
			text = w + " " + words[(i*13+5)%len(words)]
		case 3:
			text = w[:len(w)-2] + w[len(w)-1:] // a letter missing: a typo
		case 4:
			text = phrases[i%len(phrases)]
		case 5:
			text = w[:4] // a prefix, as typed
		}
		v := url.Values{"q": {text}}
		if i%5 == 0 {
			v.Set("forum", forumsList[i%len(forumsList)])
		}
		if i%7 == 0 {
			v.Set("clinician_answered", "true")
		}
		if i%4 == 0 {
			v.Set("sort", sorts[i%len(sorts)])
		}
		if i%9 == 0 {
			v.Set("page", "2")
		}
		if i%11 == 0 {
			v.Set("tag", words[i%len(words)])
		}
		out = append(out, v.Encode())
	}
	return out
}

// BenchmarkThreadPageSignedIn renders the same page for a signed-in member:
// session, actor, consent, unread count, own reactions, draft and read mark
// on top of the visitor's page.
func BenchmarkThreadPageSignedIn(b *testing.B) {
	h, id := benchHarness(b)
	m := h.member("bench_reader")
	cookie := m.cookie("kindred_session")
	path := "/t/" + strconv.FormatInt(id, 10)
	get := func() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(&http.Cookie{Name: "kindred_session", Value: cookie})
		rec := httptest.NewRecorder()
		h.app.Echo.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "bench_reader") {
			b.Fatalf("%s: %d, or not signed in", path, rec.Code)
		}
	}
	get()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		get()
	}
}
