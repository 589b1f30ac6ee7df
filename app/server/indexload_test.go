package server_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// TestIndexLoad drives the search queue as a busy community would and
// reports, per phase, the writes offered and made, how long threads
// waited to become searchable (from their first queued write: the longest
// any write to them waited), the drain rate of a backlog, and the time to
// catch up after a Meilisearch outage. `make index-load` runs the long
// version (KINDRED_INDEX_LOAD=1: 60 s at 50, 200 and 1,000 writes/s, a
// backlog of 100,000 threads, a 3-minute outage), whose figures are in
// docs/performance.md; `make test` runs a short one. Either way it fails
// if a write is lost (at the end every thread's document must be the one
// PostgreSQL gives: search verify finds nothing missing or stale) or if a
// figure misses its bound: the targets in the long version, and
// bounds several times looser in the short one, which shares the machine
// with the rest of the suite (they catch a queue that stalls or crawls,
// not a few percent).
func TestIndexLoad(t *testing.T) {
	long := os.Getenv("KINDRED_INDEX_LOAD") != ""
	if !long {
		t.Parallel()
	}
	threads := 1
	if long {
		// Measured alone on the machine: Meilisearch may use both cores,
		// as `kindred-dev` and docker-compose let it.
		threads = 2
	}
	m := testenv.NewPrivateMeiliWith(t, threads)
	h := newHarness(t, harnessOpts{env: map[string]string{"MEILI_URL": m.URL, "MEILI_API_KEY": m.Key}})
	ctx := context.Background()
	f := h.forum("heart", nil)
	for i := 0; i < 20; i++ {
		h.account(fmt.Sprintf("writer%d", i), models.RoleMember)
	}
	backlogThreads, hotThreads := 2000, 500
	rates, phase, outage := []int{50, 200}, 5*time.Second, 10*time.Second
	// Bounds: the backlog's drain rate, the p95 wait of threads written
	// meanwhile, the p95 wait at a steady rate up to 200 writes/s, and the
	// catch-up after the outage.
	// In make test the machine is shared with every other test, so the
	// short run's bounds are loose: they catch a queue that stalls or
	// indexes one document per task (~17 documents/s), not a slow day
	// (159 documents/s was seen with twelve tests at once on two cores, and
	// a p95 of 10.3 s at 50 writes/s in a CI run beside other builds: the
	// threads the backlog phase left queued are timed from their first
	// write). The queue before batching drained about 17 documents/s.
	minDrain, maxBacklogP95, maxP95, maxCatchUp := 50.0, 30*time.Second, 30*time.Second, 30*time.Second
	if long {
		backlogThreads, hotThreads = 100000, 2000
		rates, phase, outage = []int{50, 200, 1000}, 60*time.Second, 3*time.Minute
		minDrain, maxBacklogP95, maxP95 = 2000, 10*time.Second, 2*time.Second
	}
	var missed []string
	bound := func(ok bool, format string, args ...any) {
		if !ok {
			missed = append(missed, fmt.Sprintf(format, args...))
		}
	}
	seedThreads(t, h, f, backlogThreads+hotThreads)
	safety.Warm() // as serve does at start: the first post would train the models
	var hot []int64
	h.app.DB.Gorm.Raw(`SELECT id FROM threads ORDER BY id DESC LIMIT ?`, hotThreads).Scan(&hot)

	rec := &lagRecorder{}
	ix := &search.Indexer{DB: h.app.DB, Client: h.app.Search, Source: h.app.Forums, Loops: 4, DBLoops: 2, OnIndexed: rec.add}
	ictx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { ix.Run(ictx); close(done) }()
	defer func() { stop(); <-done }()

	// The threads written to below are indexed first, so the backlog's
	// threads are the only ones the first phase finds missing.
	if err := search.EnqueueNow(ctx, h.app.DB, hot...); err != nil {
		t.Fatal(err)
	}
	waitQueueEmpty(t, h, 2*time.Minute)
	var report []string
	// 1. A backlog: every thread queued at once (a reindex of a forum, or
	// a long outage), with fresh writes at 50/s going on meanwhile.
	rec.reset()
	firstHot := hot[len(hot)-1] // hot are the newest threads, highest ids
	var backlog []int64
	if err := h.app.DB.Gorm.Raw(`SELECT id FROM threads WHERE id < ?`, firstHot).Scan(&backlog).Error; err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := search.EnqueueNow(ctx, h.app.DB, backlog...); err != nil {
		t.Fatal(err)
	}
	w := startWriters(t, h, hot, 50)
	deadline := time.Now().Add(20 * time.Minute)
	for {
		var left int64
		h.app.DB.Gorm.Raw(`SELECT count(*) FROM search_queue WHERE thread_id < ?`, firstHot).Scan(&left)
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d threads of the backlog still queued after 20 minutes", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	drained := time.Since(start)
	w.stop()
	waitQueueEmpty(t, h, 2*time.Minute)
	fresh := rec.lagsOf(w.threads())
	drainRate := float64(len(backlog)) / drained.Seconds()
	bound(drainRate >= minDrain, "the backlog drained at %.0f documents/s, below %.0f", drainRate, minDrain)
	bound(pctOf(fresh, 95) <= maxBacklogP95, "threads written while the backlog drained waited p95 %s, above %s", pctOf(fresh, 95), maxBacklogP95)
	report = append(report, fmt.Sprintf("backlog of %d threads drained in %s (%.0f documents/s); meanwhile %d writes at 50/s to %d other threads (slowest write %s), their wait p50 %s p95 %s max %s",
		len(backlog), drained.Round(time.Millisecond), float64(len(backlog))/drained.Seconds(), w.made.Load(), len(hot),
		time.Duration(w.slowest.Load()).Round(time.Millisecond), pct(fresh, 50), pct(fresh, 95), pct(fresh, 100)))

	// 2. Steady writes at each rate.
	for _, rate := range rates {
		rec.reset()
		w := startWriters(t, h, hot, rate)
		time.Sleep(phase)
		w.stop()
		left := queueLen(h)
		t0 := time.Now()
		waitQueueEmpty(t, h, 5*time.Minute)
		lags := rec.all()
		if rate <= 200 {
			bound(pctOf(lags, 95) <= maxP95, "at %d writes/s threads waited p95 %s, above %s", rate, pctOf(lags, 95), maxP95)
		}
		report = append(report, fmt.Sprintf("%d writes/s offered for %s: %d made (%.0f/s), %d errors; %d threads indexed, wait p50 %s p95 %s max %s; %d queued at the end, empty %s later",
			rate, phase, w.made.Load(), float64(w.made.Load())/phase.Seconds(), w.errors.Load(), len(lags), pct(lags, 50), pct(lags, 95), pct(lags, 100),
			left, time.Since(t0).Round(time.Millisecond)))
	}

	// 3. An outage at 20 writes/s, then catching up.
	m.Stop()
	w = startWriters(t, h, hot, 20)
	time.Sleep(outage)
	w.stop()
	left := queueLen(h)
	m.Start()
	t0 := time.Now()
	waitQueueEmpty(t, h, 10*time.Minute)
	caughtUp := time.Since(t0)
	bound(caughtUp <= maxCatchUp, "the index caught up %s after the outage, above %s", caughtUp, maxCatchUp)
	report = append(report, fmt.Sprintf("Meilisearch down for %s at 20 writes/s: %d writes made, %d errors; %d threads queued; caught up %s after it returned",
		outage, w.made.Load(), w.errors.Load(), left, caughtUp.Round(time.Millisecond)))

	// Nothing lost: the index holds exactly what PostgreSQL says.
	r, err := h.app.Search.Verify(ctx, h.app.Forums, false)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Clean() {
		t.Fatalf("after the load: %d missing, %d stale, %d forbidden documents", len(r.Missing), len(r.Stale), len(r.Forbidden))
	}
	report = append(report, fmt.Sprintf("verify: %d documents expected, %d indexed, 0 missing, 0 stale, 0 forbidden", r.Expected, r.Documents))
	for _, line := range report {
		t.Log(line)
	}
	for _, m := range missed {
		t.Error(m)
	}
}

// seedThreads writes n threads of a few realistic posts each straight
// into PostgreSQL (the service would take minutes for 100,000).
func seedThreads(t *testing.T, h *harness, f *models.Forum, n int) {
	t.Helper()
	err := h.app.DB.Gorm.Exec(`
		WITH a AS (SELECT min(id) AS id FROM users WHERE handle LIKE 'writer%'),
		t AS (INSERT INTO threads (forum_id, author_id, title, created_at, last_post_at, reply_count)
			SELECT ?, (SELECT id FROM a), 'Question ' || g || ' about ' || (ARRAY['palpitations','beta blockers','a new stent','cardiac rehab','blood pressure at night'])[1 + g % 5],
				now() - g * interval '1 minute', now() - g * interval '1 minute', 3
			FROM generate_series(1, ?) g RETURNING id, author_id, created_at)
		INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
		SELECT t.id, t.author_id, x.body, '<p>' || x.body || '</p>', t.created_at + p * interval '1 second'
		FROM t CROSS JOIN generate_series(0, 3) p
		CROSS JOIN LATERAL (SELECT (ARRAY[
			'Since my cardiologist changed the dose I feel my heart skipping in the evening, mostly after dinner and when I lie down.',
			'Rehab twice a week has helped more than I expected; the nurses adjust the bike to my heart rate and I am slowly building up.',
			'Has anyone else been told to keep a blood pressure diary? Mine is high in the morning and fine by the afternoon.',
			'The stent went in through the wrist and I was home the next day, but I still get tired walking up the hill to the shops.'])[1 + (t.id + p) % 4] AS body) x`,
		f.ID, n).Error
	if err != nil {
		t.Fatal(err)
	}
	// The forum's thread count follows from the rows (trigger threads_forum_counts).
}

func queueLen(h *harness) int64 {
	var n int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM search_queue`).Scan(&n)
	return n
}

// waitQueueEmpty waits for the search queue to empty.
func waitQueueEmpty(t *testing.T, h *harness, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for queueLen(h) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the search queue still holds %d threads after %s", queueLen(h), limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// writers reply to random threads of a set at a given total rate.
type writers struct {
	made, errors atomic.Int64
	slowest      atomic.Int64 // ns
	quit         chan struct{}
	wg           sync.WaitGroup
	mu           sync.Mutex
	touched      map[int64]bool
}

func startWriters(t *testing.T, h *harness, threads []int64, rate int) *writers {
	w := &writers{quit: make(chan struct{}), touched: map[int64]bool{}}
	n := min(max(rate/25, 1), 16)
	views := make([]forums.Viewer, n)
	for i := range views {
		views[i] = h.viewer(fmt.Sprintf("writer%d", i%20))
	}
	interval := time.Duration(float64(time.Second) * float64(n) / float64(rate))
	for i := 0; i < n; i++ {
		w.wg.Add(1)
		go func(i int) {
			defer w.wg.Done()
			rng := rand.New(rand.NewSource(int64(i)))
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for k := 0; ; k++ {
				select {
				case <-w.quit:
					return
				case <-tick.C:
				}
				id := threads[rng.Intn(len(threads))]
				began := time.Now()
				tv, err := h.app.Forums.Thread(context.Background(), views[i], id)
				if err == nil {
					_, err = h.app.Forums.Reply(context.Background(), views[i], tv,
						forums.PostForm{Body: fmt.Sprintf("Thank you for writing this; I have had the same %s since spring (note %d-%d).",
							[]string{"flutters", "dizziness", "tiredness"}[k%3], i, k)}, "")
				}
				if err != nil {
					w.errors.Add(1)
					continue
				}
				if d := int64(time.Since(began)); d > w.slowest.Load() {
					w.slowest.Store(d)
				}
				w.made.Add(1)
				w.mu.Lock()
				w.touched[id] = true
				w.mu.Unlock()
			}
		}(i)
	}
	return w
}

func (w *writers) stop() { close(w.quit); w.wg.Wait() }

func (w *writers) threads() map[int64]bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[int64]bool, len(w.touched))
	for k := range w.touched {
		out[k] = true
	}
	return out
}

// lagRecorder keeps what the indexer reported.
type lagRecorder struct {
	mu   sync.Mutex
	ids  []int64
	lags []time.Duration
}

func (r *lagRecorder) add(ids []int64, lags []time.Duration) {
	r.mu.Lock()
	r.ids, r.lags = append(r.ids, ids...), append(r.lags, lags...)
	r.mu.Unlock()
}

func (r *lagRecorder) reset() { r.mu.Lock(); r.ids, r.lags = nil, nil; r.mu.Unlock() }

func (r *lagRecorder) all() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.lags...)
}

func (r *lagRecorder) lagsOf(threads map[int64]bool) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for i, id := range r.ids {
		if threads[id] {
			out = append(out, r.lags[i])
		}
	}
	return out
}

// pct is the p-th percentile (100: the largest), "–" without data.
func pct(d []time.Duration, p int) string {
	if len(d) == 0 {
		return "–"
	}
	return pctOf(d, p).Round(time.Millisecond).String()
}

// pctOf is the p-th percentile of d (0 for none).
func pctOf(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(a, b int) bool { return s[a] < s[b] })
	return s[min(len(s)*p/100, len(s)-1)]
}
