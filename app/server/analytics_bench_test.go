package server_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/models"
)

// benchSize is the history TestAnalyticsLoad builds: with
// KINDRED_ANALYTICS_BENCH=1 (make analytics-bench) the year of
// 100,000 members and 1,000,000 posts; otherwise a small one, for make
// test, which checks what the rollup computed and not how fast.
type benchSize struct {
	Members, Threads, Posts, Reactions, Reports, Questions, Credentials, Queries int
}

var (
	smallBench = benchSize{Members: 600, Threads: 400, Posts: 4000, Reactions: 1500, Reports: 300, Questions: 200, Credentials: 40, Queries: 20}
	fullBench  = benchSize{Members: 100_000, Threads: 100_000, Posts: 1_000_000, Reactions: 300_000, Reports: 20_000, Questions: 20_000, Credentials: 2_000, Queries: 200}
)

// A year of history made with bulk SQL (generate_series), the rollup's
// backfill over it, and every analytics page (HTML and JSON) over 365
// days. Figures are checked against the source tables; with
// KINDRED_ANALYTICS_BENCH=1 the backfill's time and each page's p50/p95
// are printed (docs/performance.md), never asserted.
func TestAnalyticsLoad(t *testing.T) {
	t.Parallel()
	full := os.Getenv("KINDRED_ANALYTICS_BENCH") != ""
	size := smallBench
	if full {
		size = fullBench
	}
	h := newHarness(t, harnessOpts{})
	ctx := context.Background()
	h.licensing()
	for i := range 20 {
		sensitive := i%7 == 3
		h.forum(fmt.Sprintf("bench-%02d", i), func(f *forums.ForumForm) { f.Sensitive = sensitive })
	}
	h.account("bench_admin", models.RoleAdmin)
	start := time.Now()
	loadHistory(t, h, size)
	t.Logf("history: %d members, %d threads, %d posts, %d reactions, %d reports, %d questions in %s",
		size.Members, size.Threads, size.Posts, size.Reactions, size.Reports, size.Questions, time.Since(start).Round(time.Second))

	start = time.Now()
	if err := h.app.Analytics.Backfill(ctx); err != nil {
		t.Fatal(err)
	}
	backfill := time.Since(start)
	t.Logf("backfill: %d days in %s", countWhere(t, h, `SELECT count(*) FROM analytics_days`), backfill.Round(time.Millisecond))
	start = time.Now()
	h.rollup()
	t.Logf("nightly run (recomputes %d days): %s", 37, time.Since(start).Round(time.Millisecond))
	if n := countWhere(t, h, `SELECT count(*) FROM generate_series((SELECT min(created_at) FROM users)::date, ?::date, interval '1 day') d
		WHERE NOT EXISTS (SELECT 1 FROM analytics_days a WHERE a.day = d::date)`, h.app.Analytics.Yesterday().Format(time.DateOnly)); n != 0 {
		t.Errorf("%d days not rolled up", n)
	}

	// The figures over 365 days agree with the source tables.
	y := h.app.Analytics.Yesterday()
	from := y.AddDate(0, 0, -364)
	lo, hi := from, y.AddDate(0, 0, 1)
	token := h.tokenFor("bench_admin", "read")
	res := h.analyticsAPI(token, "community", "period=365")
	open := `forum_id NOT IN (SELECT id FROM forums WHERE sensitive OR clinician_only)`
	if got, _ := fig(t, res, "threads"); got != float64(countWhere(t, h, `SELECT count(*) FROM threads WHERE created_at >= ? AND created_at < ? AND `+open, lo, hi)) {
		t.Errorf("threads over 365 days: %v", got)
	}
	if got, _ := fig(t, res, "replies"); got != float64(countWhere(t, h, `SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id
		WHERE p.created_at >= ? AND p.created_at < ? AND t.`+open+` AND p.id <> (SELECT min(id) FROM posts f WHERE f.thread_id = t.id)`, lo, hi)) {
		t.Errorf("replies over 365 days: %v", got)
	}
	// Members active in the 30 and 7 days ending yesterday, counted
	// again from the source tables: in one open forum, and over the site
	// outside restricted forums.
	active := func(forumCond string, days int) int64 {
		since := y.AddDate(0, 0, 1-days)
		return countWhere(t, h, `SELECT count(DISTINCT u) FROM (
			SELECT p.author_id AS u FROM posts p JOIN threads t ON t.id = p.thread_id WHERE p.created_at >= ? AND p.created_at < ? AND t.`+forumCond+`
			UNION SELECT r.user_id FROM reactions r JOIN posts p ON p.id = r.post_id JOIN threads t ON t.id = p.thread_id WHERE r.created_at >= ? AND r.created_at < ? AND t.`+forumCond+`
			UNION SELECT q.asker_id FROM questions q WHERE q.created_at >= ? AND q.created_at < ? AND q.`+forumCond+`) x`, since, hi, since, hi, since, hi)
	}
	if got, _ := fig(t, res, "monthly_active"); got != float64(active(open, 30)) {
		t.Errorf("monthly active members: %v, want %d", got, active(open, 30))
	}
	if got, _ := fig(t, res, "weekly_active"); got != float64(active(open, 7)) {
		t.Errorf("weekly active members: %v, want %d", got, active(open, 7))
	}
	var first int64
	h.app.DB.Gorm.Raw(`SELECT min(id) FROM forums WHERE slug = 'bench-00'`).Scan(&first)
	if r := row(t, res, "forums", "Forum bench-00"); r == nil || r[7] != float64(active(fmt.Sprintf("forum_id = %d", first), 30)) {
		t.Errorf("monthly active in bench-00: %v, want %d", r, active(fmt.Sprintf("forum_id = %d", first), 30))
	}
	res = h.analyticsAPI(token, "moderation", "period=365")
	if got, _ := fig(t, res, "reports"); got != float64(countWhere(t, h, `SELECT count(*) FROM reports WHERE reporter_id IS NOT NULL AND created_at >= ? AND created_at < ?
		AND (forum_id IS NULL OR `+open+`)`, lo, hi)) {
		t.Errorf("reports over 365 days: %v", got)
	}
	// Percentiles over the period come from every duration of the open
	// forums' reports, not from days.
	var p50, p90 float64
	if err := h.app.DB.Gorm.Raw(`SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s), percentile_cont(0.9) WITHIN GROUP (ORDER BY s)
		FROM (SELECT extract(epoch FROM resolved_at - created_at) AS s FROM reports WHERE reporter_id IS NOT NULL AND resolved_at >= ? AND resolved_at < ?
		AND (forum_id IS NULL OR `+open+`)) x`, lo, hi).Row().Scan(&p50, &p90); err != nil {
		t.Fatal(err)
	}
	if got, _ := fig(t, res, "first_action_p50"); got != math.Round(p50/360)/10 {
		t.Errorf("time to decision p50: %v h, want %v h", got, math.Round(p50/360)/10)
	}
	if got, _ := fig(t, res, "first_action_p90"); got != math.Round(p90/360)/10 {
		t.Errorf("time to decision p90: %v h, want %v h", got, math.Round(p90/360)/10)
	}
	res = h.analyticsAPI(token, "search", "period=365")
	if got, _ := fig(t, res, "searches"); got != float64(countWhere(t, h, `SELECT coalesce(sum(searches), 0) FROM analytics_search_days WHERE day BETWEEN ?::date AND ?::date`,
		from.Format(time.DateOnly), y.Format(time.DateOnly))) {
		t.Errorf("searches over 365 days: %v", got)
	}
	if list, _ := res.Body["no_result_queries"].([]any); len(list) == 0 {
		t.Error("no query that found nothing is listed")
	}

	// Every page, HTML and JSON, answers; with the full history each is
	// timed over repeated requests.
	b := h.browser()
	b.signIn("bench_admin", goodPassword)
	rounds := 2
	if full {
		rounds = 30
	}
	var lines []string
	for _, area := range []string{"community", "moderation", "questions", "clinicians", "search"} {
		for _, kind := range []string{"HTML", "JSON"} {
			var took []time.Duration
			for i := 0; i < rounds+2; i++ {
				st := time.Now()
				status := 0
				if kind == "HTML" {
					status = b.get("/admin/analytics/" + area + "?period=365").StatusCode
				} else {
					status = h.analyticsAPI(token, area, "period=365").Status
				}
				if status != http.StatusOK {
					t.Fatalf("%s %s: %d", kind, area, status)
				}
				if i >= 2 { // two warm-up requests
					took = append(took, time.Since(st))
				}
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			lines = append(lines, fmt.Sprintf("| %s | %s | %.1f | %.1f |", area, kind,
				float64(took[len(took)/2].Microseconds())/1000, float64(took[(len(took)*95+99)/100-1].Microseconds())/1000))
		}
	}
	if full {
		up, _ := exec.Command("uptime").Output()
		t.Logf("backfill %s; pages over 365 days, %d requests each after 2 warm-ups (ms):\n| area | form | p50 | p95 |\n|---|---|---|---|\n%s\nuptime: %s",
			backfill.Round(time.Millisecond), rounds, strings.Join(lines, "\n"), strings.TrimSpace(string(up)))
	}
}

// loadHistory writes a year of activity with bulk SQL, triggers off (the
// live-event and counter triggers would only slow the load).
func loadHistory(t *testing.T, h *harness, s benchSize) {
	t.Helper()
	now := h.clock.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	args := map[string]any{
		"members": s.Members, "threads": s.Threads, "replies": s.Posts - s.Threads, "reactions": s.Reactions, "reports": s.Reports,
		"questions": s.Questions, "credentials": s.Credentials, "queries": s.Queries,
		"ustart": today.AddDate(0, 0, -395), "tstart": today.AddDate(0, 0, -365), "now": today.Add(-time.Minute),
	}
	steps := []string{
		`INSERT INTO users (handle, role, status, created_at, updated_at)
		 SELECT 'bench_m' || i, 'member', 'active', CAST(@ustart AS timestamptz) + (i::float / @members) * interval '395 days', CAST(@now AS timestamptz) FROM generate_series(1::bigint, @members) i`,
		`CREATE TEMP TABLE bench_ids ON COMMIT DROP AS SELECT (SELECT min(id) FROM users WHERE handle LIKE 'bench_m%') AS u0,
		   (SELECT array_agg(id ORDER BY id) FROM forums) AS forums`,
		`INSERT INTO threads (forum_id, author_id, title, visibility, created_at, last_post_at)
		 SELECT b.forums[1 + i % array_length(b.forums, 1)], b.u0 + (i * 7919) % @members, 'Bench thread ' || i, 'visible', x.ts, x.ts
		 FROM generate_series(1::bigint, @threads) i CROSS JOIN bench_ids b
		 CROSS JOIN LATERAL (SELECT CAST(@tstart AS timestamptz) + ((i * 104729) % 1000003)::float / 1000003 * interval '365 days' + i * interval '0 s' AS ts) x`,
		`ALTER TABLE bench_ids ADD COLUMN t0 bigint`,
		`UPDATE bench_ids SET t0 = (SELECT min(id) FROM threads WHERE title LIKE 'Bench thread %')`,
		`INSERT INTO posts (thread_id, author_id, body, body_html, visibility, created_at)
		 SELECT id, author_id, 'First post', '<p>First post</p>', 'visible', created_at FROM threads WHERE title LIKE 'Bench thread %'`,
		`INSERT INTO posts (thread_id, author_id, body, body_html, visibility, author_was_clinician, created_at)
		 SELECT t.id, b.u0 + (i * 15485863::bigint) % @members, 'A reply', '<p>A reply</p>', 'visible', i % 37 = 0,
		        least(t.created_at + ((i * 7) % 96) * interval '1 hour' + interval '1 minute', CAST(@now AS timestamptz))
		 FROM generate_series(1::bigint, @replies) i CROSS JOIN bench_ids b JOIN threads t ON t.id = b.t0 + (i * 2654435761::bigint) % @threads`,
		`ALTER TABLE bench_ids ADD COLUMN p0 bigint, ADD COLUMN np bigint`,
		`UPDATE bench_ids SET p0 = (SELECT min(p.id) FROM posts p WHERE p.thread_id >= bench_ids.t0), np = (SELECT count(*) FROM posts p WHERE p.thread_id >= bench_ids.t0)`,
		`INSERT INTO reactions (post_id, user_id, kind, created_at)
		 SELECT p.id, b.u0 + (i * 31337) % @members, (ARRAY['support', 'hug', 'me_too', 'helpful'])[1 + i % 4], least(p.created_at + interval '2 hours', CAST(@now AS timestamptz))
		 FROM generate_series(1::bigint, @reactions) i CROSS JOIN bench_ids b JOIN posts p ON p.id = b.p0 + (i * 7727) % b.np
		 ON CONFLICT DO NOTHING`,
		`INSERT INTO reports (reporter_id, target_kind, target_id, forum_id, reason, weight, status, resolved_at, created_at)
		 SELECT b.u0 + (i * 92821) % @members, 'post', p.id, t.forum_id,
		        (ARRAY['misinformation', 'harassment', 'spam', 'self_harm', 'privacy', 'off_topic', 'other'])[1 + i % 7], 1,
		        CASE WHEN i % 5 = 0 THEN 'open' WHEN i % 3 = 0 THEN 'upheld' ELSE 'dismissed' END,
		        CASE WHEN i % 5 = 0 THEN NULL ELSE least(p.created_at + ((i * 13) % 4000) * interval '1 minute' + interval '31 minutes', CAST(@now AS timestamptz)) END,
		        least(p.created_at + interval '30 minutes', CAST(@now AS timestamptz))
		 FROM generate_series(1::bigint, @reports) i CROSS JOIN bench_ids b JOIN posts p ON p.id = b.p0 + (i * 9973) % b.np JOIN threads t ON t.id = p.thread_id
		 ON CONFLICT DO NOTHING`,
		`INSERT INTO reports (reporter_id, target_kind, target_id, forum_id, reason, note, weight, status, resolved_at, created_at)
		 SELECT NULL, 'post', p.id, t.forum_id, 'other', 'Waiting for approval (watched words).', 1, 'dismissed', least(p.created_at + ((i % 9) + 1) * interval '1 hour', CAST(@now AS timestamptz)), p.created_at
		 FROM generate_series(1::bigint, @reports / 10) i CROSS JOIN bench_ids b JOIN posts p ON p.id = b.p0 + (i * 4421) % b.np JOIN threads t ON t.id = p.thread_id`,
		`WITH r AS (INSERT INTO reports (reporter_id, target_kind, target_id, forum_id, reason, note, weight, status, created_at)
		   SELECT NULL, 'post', p.id, t.forum_id, 'self_harm', 'Crisis language', 1, 'open', p.created_at
		   FROM generate_series(1::bigint, @reports / 20) i CROSS JOIN bench_ids b JOIN posts p ON p.id = b.p0 + (i * 3571) % b.np JOIN threads t ON t.id = p.thread_id
		   RETURNING id, created_at)
		 INSERT INTO crisis_followups (report_id, level, acknowledged_at, ack_seconds, created_at)
		 SELECT id, (ARRAY['low', 'medium', 'high'])[1 + id % 3], least(created_at + (id % 50) * interval '1 minute', CAST(@now AS timestamptz)), (id % 50) * 60, created_at FROM r`,
		`INSERT INTO moderation_actions (moderator_id, action, target_kind, target_id, author_id, reason, created_at)
		 SELECT NULL, 'auto_hide', 'post', p.id, p.author_id, 'open reports weigh 3', least(p.created_at + interval '3 hours', CAST(@now AS timestamptz))
		 FROM generate_series(1::bigint, @reports / 10) i CROSS JOIN bench_ids b JOIN posts p ON p.id = b.p0 + (i * 6007) % b.np`,
		`INSERT INTO questions (asker_id, forum_id, specialty, title, body, body_html, status, assignee_id, rating, created_at, updated_at, accepted_at, answered_at)
		 SELECT b.u0 + 500 + (i * 613) % (@members - 500), b.forums[1 + i % array_length(b.forums, 1)], (SELECT array_agg(code ORDER BY code) FROM specialties)[1 + i % 10],
		        'Bench question ' || i, 'Text', '<p>Text</p>', 'answered', b.u0 + i % 200, CASE i % 4 WHEN 0 THEN 'helpful' WHEN 1 THEN 'not_helpful' END,
		        x.ts, x.ts, x.ts + interval '1 hour', x.ts + ((i % 60) + 2) * interval '1 hour'
		 FROM generate_series(1::bigint, @questions) i CROSS JOIN bench_ids b
		 CROSS JOIN LATERAL (SELECT CAST(@tstart AS timestamptz) + ((i * 7901) % 1000003)::float / 1000003 * interval '360 days' AS ts) x`,
		`INSERT INTO question_offers (question_id, clinician_id, offered_at, respond_by, outcome, decided_at)
		 SELECT id, assignee_id, created_at, created_at + interval '24 hours', 'accepted', accepted_at FROM questions WHERE title LIKE 'Bench question %'`,
		`INSERT INTO question_events (question_id, kind, status, created_at)
		 SELECT id, 'pooled', 'pool', created_at + interval '30 minutes' FROM questions WHERE title LIKE 'Bench question %' AND id % 10 = 0`,
		`INSERT INTO credentials (user_id, profession, specialties, licence_number, jurisdiction, licence_expires, status, submitted_at, reviewer_id, reviewed_at, verified_until)
		 SELECT b.u0 + 200 + i, (SELECT array_agg(code ORDER BY code) FROM professions)[1 + i % 3], '{}', 'B-' || i, 'test-board', (CAST(@now AS timestamptz) + interval '400 days')::date,
		        CASE WHEN i % 6 = 0 THEN 'rejected' ELSE 'verified' END, x.ts, NULL, x.ts + ((i % 90) + 1) * interval '1 hour',
		        CASE WHEN i % 6 = 0 THEN NULL ELSE x.ts + interval '365 days' END
		 FROM generate_series(1::bigint, @credentials) i CROSS JOIN bench_ids b
		 CROSS JOIN LATERAL (SELECT CAST(@tstart AS timestamptz) + (i::float / @credentials) * interval '360 days' AS ts) x`,
		`INSERT INTO analytics_search_days (day, searches, no_result)
		 SELECT d::date, 30 * @queries + (extract(doy FROM d)::int % 17) * 10, 4 * @queries FROM generate_series(CAST(@tstart AS timestamptz), CAST(@now AS timestamptz), interval '1 day') d`,
		`INSERT INTO analytics_search_queries (day, query, searches)
		 SELECT d::date, 'bench query ' || q, 1 + q % 7 FROM generate_series(CAST(@tstart AS timestamptz), CAST(@now AS timestamptz), interval '1 day') d, generate_series(1::bigint, @queries) q`,
		`INSERT INTO analytics_search_members (day, query, token)
		 SELECT d::date, 'bench query ' || q, decode(md5(q || '/' || m), 'hex') FROM generate_series(CAST(@tstart AS timestamptz), CAST(@now AS timestamptz), interval '3 days') d, generate_series(1::bigint, @queries) q, generate_series(1, 1 + q % 9) m
		 ON CONFLICT DO NOTHING`,
	}
	err := h.app.DB.Gorm.Transaction(func(tx *gorm.DB) error {
		var super bool
		if err := tx.Raw(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&super).Error; err != nil {
			return err
		}
		if super {
			if err := tx.Exec(`SET LOCAL session_replication_role = replica`).Error; err != nil {
				return err
			}
		}
		for i, q := range steps {
			st := time.Now()
			var err error
			if strings.Contains(q, "@") {
				err = tx.Exec(q, args).Error
			} else {
				err = tx.Exec(q).Error
			}
			if err != nil {
				return fmt.Errorf("step %d: %w", i, err)
			}
			if d := time.Since(st); d > 10*time.Second {
				t.Logf("load step %d: %s", i, d.Round(time.Second))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.app.DB.Gorm.Exec(`ANALYZE`)
}
