package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// errorCode is the code of a JSON error answer.
func errorCode(r apiResp) string {
	e, _ := r.Body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// TestSearchAgainstAHungMeilisearch: a Meilisearch that accepts
// connections and never answers (SIGSTOP) makes search answer 503 with
// Retry-After and a helpful message within the configured deadline, pages
// and API alike; readiness stays up (only PostgreSQL decides it) while the
// details say search is down; writing goes on; once Meilisearch runs again
// search answers.
func TestSearchAgainstAHungMeilisearch(t *testing.T) {
	t.Parallel()
	m := testenv.NewPrivateMeili(t)
	h := newHarness(t, harnessOpts{env: map[string]string{"MEILI_URL": m.URL, "MEILI_API_KEY": m.Key, "KINDRED_SEARCH_TIMEOUT": "500ms"}})
	f := h.forum("heart", nil)
	h.account("writer", models.RoleMember)
	h.thread("writer", f, "Palpitations after coffee", "Is it the caffeine?", false)

	if up, pg := metricValue(h, "kindred_meilisearch_up"), metricValue(h, "kindred_postgres_up"); up != "1" || pg != "1" {
		t.Errorf("metrics before the fault: kindred_meilisearch_up %s, kindred_postgres_up %s", up, pg)
	}
	m.Pause()
	start := time.Now()
	r := h.api("GET", "/api/v1/search?q=palpitations", "", nil)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a search against a hung Meilisearch took %s; the deadline is 500ms", took)
	}
	if r.Status != http.StatusServiceUnavailable || errorCode(r) != "search_unavailable" || r.Header.Get("Retry-After") == "" ||
		!strings.Contains(r.Raw, "Posting and reading still work") {
		t.Errorf("API search while Meilisearch hangs: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
	start = time.Now()
	page := h.browser().get("/search?q=palpitations")
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the search page took %s", took)
	}
	if page.StatusCode != http.StatusServiceUnavailable || page.Header.Get("Retry-After") == "" || !strings.Contains(page.body, "Search is temporarily unavailable") {
		t.Errorf("search page while Meilisearch hangs: %d (Retry-After %q)", page.StatusCode, page.Header.Get("Retry-After"))
	}
	if r := h.browser().get("/readyz"); r.StatusCode != http.StatusOK || !strings.Contains(r.body, `"postgres":"ok"`) {
		t.Errorf("readyz while only Meilisearch hangs: %d %s", r.StatusCode, r.body)
	}
	var details map[string]any
	d := h.browser().get("/healthz/details")
	_ = json.Unmarshal([]byte(d.body), &details)
	if d.StatusCode != http.StatusServiceUnavailable || details["meilisearch"] != "unavailable" || details["postgres"] != "ok" {
		t.Errorf("healthz/details while Meilisearch hangs: %d %s", d.StatusCode, d.body)
	}
	if up, pg := metricValue(h, "kindred_meilisearch_up"), metricValue(h, "kindred_postgres_up"); up != "0" || pg != "1" {
		t.Errorf("metrics while Meilisearch hangs: kindred_meilisearch_up %s, kindred_postgres_up %s", up, pg)
	}
	// Writing does not wait on search.
	start = time.Now()
	h.thread("writer", f, "Written while search hangs", "Still saved", false)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a write took %s while Meilisearch hung", took)
	}

	m.Resume()
	eventually(t, "search answers again", func() bool {
		return h.api("GET", "/api/v1/search?q=palpitations", "", nil).Status == http.StatusOK
	})
	if up := metricValue(h, "kindred_meilisearch_up"); up != "1" {
		t.Errorf("kindred_meilisearch_up after Meilisearch came back: %s", up)
	}
}

// metricValue is the value of an unlabelled metric at /metrics, or
// "missing".
func metricValue(h *harness, name string) string {
	for _, line := range strings.Split(h.browser().get("/metrics").body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return "missing"
}

// TestDatabaseOutageAnswers503: while PostgreSQL cannot be reached, pages
// and API answer 503 with Retry-After and say so (not 500 "internal");
// readiness is down; once it is back, the next requests work.
func TestDatabaseOutageAnswers503(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{dbProxy: true})
	f := h.forum("heart", nil)
	h.account("writer", models.RoleMember)
	tok := h.tokenFor("writer", "write")
	b := h.member("reader")

	h.dbProxy.Down()
	for _, path := range []string{"/", "/f/" + f.Slug} {
		r := b.get(path)
		if r.StatusCode != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" || !strings.Contains(r.body, "cannot reach its database") {
			t.Errorf("GET %s with the database down: %d (Retry-After %q)", path, r.StatusCode, r.Header.Get("Retry-After"))
		}
	}
	r := h.api("POST", "/api/v1/forums/"+f.Slug+"/threads", tok, map[string]any{"title": "During the outage", "body": "Does this get saved?"})
	if r.Status != http.StatusServiceUnavailable || errorCode(r) != "database_unavailable" || r.Header.Get("Retry-After") == "" {
		t.Errorf("API write with the database down: %d %s", r.Status, r.Raw)
	}
	if r := h.browser().get("/readyz"); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database down: %d %s", r.StatusCode, r.body)
	}

	h.dbProxy.Up()
	back := time.Now()
	for {
		if r := b.get("/f/" + f.Slug); r.StatusCode == http.StatusOK {
			break
		}
		if time.Since(back) > 5*time.Second {
			t.Fatal("pages still fail 5 s after the database came back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// No backoff holds requests back once the database answers: a pool
	// that waited out a retry timer would take its seconds here. The
	// bound leaves room for a busy 2-core machine (1.26 s seen with the
	// suite and other builds sharing the cores).
	if took := time.Since(back); took > 3*time.Second {
		t.Errorf("recovery took %s after the database came back", took)
	}
	if r := h.api("POST", "/api/v1/forums/"+f.Slug+"/threads", tok, map[string]any{"title": "After the outage", "body": "Saved now"}); r.Status != http.StatusCreated {
		t.Errorf("API write after the outage: %d %s", r.Status, r.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads WHERE title = 'During the outage'`); n != 0 {
		t.Errorf("%d threads saved during the outage", n)
	}
}

// TestWriteWithUnknownOutcome: the connection breaks after COMMIT was sent,
// so PostgreSQL saved the thread but Kindred never heard: the answer is 503
// "outcome_unknown" advising a retry with the same Idempotency-Key, and
// that retry returns the saved thread instead of a second one.
func TestWriteWithUnknownOutcome(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{dbProxy: true})
	f := h.forum("heart", nil)
	h.account("writer", models.RoleMember)
	tok := h.tokenFor("writer", "write")
	body := map[string]any{"title": "Beta blockers and running", "body": "Does anyone else feel capped at a slow pace?"}

	h.dbProxy.CutAtCommitAfter("Beta blockers and running") // the title, a parameter of the thread's INSERT
	r := h.api("POST", "/api/v1/forums/"+f.Slug+"/threads", tok, body, "Idempotency-Key", "run-42")
	if h.dbProxy.Cuts() != 1 {
		t.Fatalf("the proxy cut %d connections at COMMIT; answer %d %s", h.dbProxy.Cuts(), r.Status, r.Raw)
	}
	if r.Status != http.StatusServiceUnavailable || errorCode(r) != "outcome_unknown" || !strings.Contains(r.Raw, "Idempotency-Key") {
		t.Fatalf("write whose commit went unanswered: %d %s", r.Status, r.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads WHERE title = 'Beta blockers and running'`); n != 1 {
		t.Fatalf("%d threads saved; the COMMIT reached PostgreSQL, so 1", n)
	}
	again := h.api("POST", "/api/v1/forums/"+f.Slug+"/threads", tok, body, "Idempotency-Key", "run-42")
	if again.Status != http.StatusCreated && again.Status != http.StatusOK {
		t.Fatalf("retry with the same Idempotency-Key: %d %s", again.Status, again.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM threads WHERE title = 'Beta blockers and running'`); n != 1 {
		t.Errorf("%d threads after the retry, want 1", n)
	}
}

// TestStuckJobIsRescued: a job left "running" by a process that died
// (kill -9, a lost machine) is run again within minutes: River's default
// would leave it for an hour.
func TestStuckJobIsRescued(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	res, err := h.app.DB.River.Insert(ctx, auth.PruneArgs{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := res.Job.ID
	// As if a worker on another machine took it ten minutes ago and died.
	if err := h.app.DB.Gorm.Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - interval '10 minutes',
		attempted_by = ARRAY['a-machine-that-died'] WHERE id = ?`, id).Error; err != nil {
		t.Fatal(err)
	}
	h.startWorkers()
	deadline := time.Now().Add(45 * time.Second)
	for {
		var state string
		h.app.DB.Gorm.Raw(`SELECT state FROM river_job WHERE id = ?`, id).Scan(&state)
		if state == "completed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stuck job is still %q after 45 s", state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
