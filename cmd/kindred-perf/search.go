package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// vocabulary is what patients search for; posts carry three of these
// words beside the sentences, so queries match few or many threads.
var vocabulary = strings.Fields(`insulin pump sensor glucose hypo night sweats metformin tired fatigue diet carbs walking
exercise blood pressure heart rhythm palpitations stent bypass recovery statin cholesterol anxiety panic sleep therapy
counselling sertraline mood winter grief work joints swelling morning stiffness methotrexate flare pain knee hip chemo
radiotherapy scan results waiting nausea hair inhaler wheeze cough peak flow steroid dialysis kidney transplant fluid
salt potassium family partner children appointment nurse doctor pharmacy side effects dose weeks months better worse
advice worried relief support breathless dizzy headache weight appetite travel holiday driving sport swimming yoga
eczema thyroid migraine vitamin iron anaemia bloods clinic referral diagnosis hypertension diabetes asthma arthritis
depression infarction angina neuropathy retinopathy ketones`)

func seedSearch(ctx context.Context, cfg config) (string, int64, error) {
	start := time.Now()
	dbURL, err := freshDatabase(ctx, cfg, "kindred_perf_search")
	if err != nil {
		return "", 0, err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return "", 0, err
	}
	defer conn.Close(ctx)
	n, per := cfg.searchThreads, cfg.postsPer
	stmts := []string{
		`INSERT INTO users (handle, role, status, created_at) SELECT 'sperf_' || g, 'member', 'active', now() - interval '1 year' FROM generate_series(1, 500) g`,
		`INSERT INTO forums (slug, name, description, sensitive) SELECT 'sperf-' || s, initcap(replace(s, '-', ' ')), 'Search harness forum', s = 'mental-health'
			FROM unnest(ARRAY['diabetes', 'heart-health', 'mental-health', 'arthritis', 'cancer-care', 'asthma', 'kidney-care', 'carers']) s`,
		`CREATE TEMP TABLE s AS SELECT n - 1 AS n, x AS s FROM unnest(` + sqlArray(sentences) + `) WITH ORDINALITY AS t(x, n)`,
		`CREATE TEMP TABLE w AS SELECT n - 1 AS n, x AS w FROM unnest(` + sqlArray(vocabulary) + `) WITH ORDINALITY AS t(x, n)`,
		`CREATE UNIQUE INDEX ON s (n)`, `CREATE UNIQUE INDEX ON w (n)`, `ANALYZE s`, `ANALYZE w`,
		fmt.Sprintf(`INSERT INTO threads (forum_id, author_id, title, tags, created_at, last_post_at, reply_count, has_clinician_answer)
			SELECT f.ids[1 + g %% 8], u0.id + (g %% 500), initcap(w1.w) || ' and ' || w2.w || ': ' || split_part(s1.s, ',', 1) || ' (' || g || ')',
			ARRAY[w2.w, w3.w], now() - g * interval '1 minute', now() - g * interval '1 minute' + interval '2 hours', %[1]d, g %% 7 = 0
			FROM generate_series(1, %[2]d) g
			CROSS JOIN (SELECT array_agg(id ORDER BY slug) AS ids FROM forums) f
			CROSS JOIN (SELECT min(id) AS id FROM users) u0
			JOIN s s1 ON s1.n = (g * 7) %% 30 JOIN w w1 ON w1.n = (g * 31) %% %[3]d JOIN w w2 ON w2.n = (g * 17) %% %[3]d JOIN w w3 ON w3.n = (g * 3) %% %[3]d`, per-1, n, len(vocabulary)),
		fmt.Sprintf(`INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
			SELECT t.id, u0.id + ((t.author_id - u0.id + p) %% 500), b.body, '<p>' || b.body || '</p>', t.created_at + p * interval '10 minutes'
			FROM threads t CROSS JOIN generate_series(0, %[1]d) p CROSS JOIN (SELECT min(id) AS id FROM users) u0
			JOIN s s1 ON s1.n = (t.id * 13 + p * 7) %% 30 JOIN s s2 ON s2.n = (t.id * 29 + p * 11) %% 30 JOIN s s3 ON s3.n = (t.id * 37 + p * 3) %% 30
			JOIN w w1 ON w1.n = (t.id * 41 + p * 5) %% %[3]d JOIN w w2 ON w2.n = (t.id * 43 + p * 19) %% %[3]d JOIN w w3 ON w3.n = (t.id * 47 + p * 23) %% %[3]d
			CROSS JOIN LATERAL (SELECT s1.s || ' ' || s2.s || ' It is mostly the ' || w1.w || ', the ' || w2.w || ' and the ' || w3.w || ' now. ' || s3.s AS body) b`, per-1, 0, len(vocabulary)),
		`UPDATE forums f SET thread_count = (SELECT count(*) FROM threads t WHERE t.forum_id = f.id)`,
	}
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return "", 0, fmt.Errorf("%.80s…: %w", strings.Join(strings.Fields(q), " "), err)
		}
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return "", 0, err
	}
	var posts int64
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM posts`).Scan(&posts); err != nil {
		return "", 0, err
	}
	fmt.Printf("  search dataset: %d threads, %d posts (%s)\n", n, posts, time.Since(start).Round(time.Second))
	return dbURL, posts, nil
}

// queries are what visitors type: one or two words, typos, prefixes.
func queries(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		a, b := vocabulary[r.IntN(len(vocabulary))], vocabulary[r.IntN(len(vocabulary))]
		switch i % 5 {
		case 0, 1:
			out[i] = a
		case 2:
			out[i] = a + " " + b
		case 3: // a typo: two letters swapped
			if len(a) > 4 {
				k := 1 + r.IntN(len(a)-3)
				a = a[:k] + string(a[k+1]) + string(a[k]) + a[k+2:]
			}
			out[i] = a
		default: // a prefix, as typed so far
			if len(a) > 4 {
				a = a[:4]
			}
			out[i] = b + " " + a
		}
	}
	return out
}

func searches(ctx context.Context, cfg config, t *table) error {
	dbURL, posts, err := seedSearch(ctx, cfg)
	if err != nil {
		return fmt.Errorf("search dataset: %w", err)
	}
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "KINDRED_MEILI_INDEX_PREFIX=perf_", "KINDRED_SECRET_KEY="+secretKey)
	start := time.Now()
	meili := meiliPID()
	m0 := cpuTicks(meili)
	peak := sampleRSS(meili)
	cmd := exec.CommandContext(ctx, cfg.bin, "reindex")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	peakRSS := peak.end()
	if err != nil {
		return fmt.Errorf("reindex: %v\n%s", err, out)
	}
	took := time.Since(start)
	t.add(fmt.Sprintf("indexing %d threads with %d posts (kindred reindex)", cfg.searchThreads, posts),
		fmt.Sprintf("%s: %.0f posts/s; Meilisearch CPU %.0f s, RSS highest %d MB, after %d MB; its data on disk %s", took.Round(time.Second), float64(posts)/took.Seconds(),
			float64(cpuTicks(meili)-m0)/clockTick, peakRSS/1024, rssKiB(meili)/1024, diskSize(meiliDBPath(meili))), "", nil)
	s, err := startServer(ctx, cfg, dbURL)
	if err != nil {
		return err
	}
	defer s.stop()
	r := rand.New(rand.NewPCG(21, 21))
	for _, clients := range []int{1, 4} {
		n := 300
		if cfg.quick {
			n = 60
		}
		qs := queries(r, n*clients)
		// Warm up: the first queries after a restart read from disk.
		if _, _, err := runQueries(ctx, s.base, qs[:min(50, len(qs))], clients); err != nil {
			return err
		}
		lat, hits, err := runQueries(ctx, s.base, qs, clients)
		if err != nil {
			return err
		}
		sortDurations(lat)
		p95 := percentile(lat, 95)
		t.add(fmt.Sprintf("search p95, %d posts, %d client(s)", posts, clients),
			fmt.Sprintf("p50 %s, p95 %s, max %s over %d queries (%d with hits)", ms(percentile(lat, 50)), ms(p95), ms(percentile(lat, 100)), len(lat), hits),
			"≤ 20 ms", boolp(p95 <= 20*time.Millisecond))
	}
	t.add("Meilisearch RSS after the search runs", fmt.Sprintf("%d MB", rssKiB(meili)/1024), "", nil)
	return nil
}

// runQueries sends the queries from clients at once through the JSON API,
// as a visitor, and returns each one's time.
func runQueries(ctx context.Context, base string, qs []string, clients int) ([]time.Duration, int, error) {
	var mu sync.Mutex
	var out []time.Duration
	hits := 0
	var firstErr error
	next := make(chan string)
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range next {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/search?q="+url.QueryEscape(q), nil)
				t0 := time.Now()
				resp, err := c.Do(req)
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					continue
				}
				var body struct {
					Hits []json.RawMessage `json:"hits"`
				}
				derr := json.NewDecoder(resp.Body).Decode(&body)
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				d := time.Since(t0)
				mu.Lock()
				if resp.StatusCode != http.StatusOK || derr != nil {
					firstErr = fmt.Errorf("search %q: %d", q, resp.StatusCode)
				} else {
					out = append(out, d)
					if len(body.Hits) > 0 {
						hits++
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, q := range qs {
		next <- q
	}
	close(next)
	wg.Wait()
	return out, hits, firstErr
}

// meiliDBPath reads Meilisearch's --db-path from its command line.
func meiliDBPath(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	args := strings.Split(string(b), "\x00")
	for i, a := range args {
		if a == "--db-path" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// diskSize is du -sh of a directory.
func diskSize(dir string) string {
	if dir == "" {
		return "?"
	}
	out, err := exec.Command("du", "-sh", dir).Output()
	if err != nil {
		return "?"
	}
	return strings.Fields(string(out))[0]
}
