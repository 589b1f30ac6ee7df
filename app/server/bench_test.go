package server_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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
