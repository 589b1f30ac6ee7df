package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"kindred/app/forums"
	"kindred/app/testenv"
	"kindred/models"
)

// benchHarness seeds 10,000 threads and 100,000 posts (scripts/bench-seed.sql).
func benchHarness(b *testing.B) (*harness, int64) {
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
	q := h.ask("asker", "heart", "A question to route", "Text.")
	ctx := b.Context()
	if c, ok, err := h.app.Questions.Decide(ctx, q.ID); err != nil || !ok || !strings.HasPrefix(h.userByID(c.ID).Handle, "clin_") {
		b.Fatalf("decide: %v %v %+v", ok, err, c)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok, err := h.app.Questions.Decide(ctx, q.ID); err != nil || !ok {
			b.Fatal(err)
		}
	}
}
