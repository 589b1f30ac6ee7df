package analytics

import (
	"context"
	"maps"
	"time"

	"gorm.io/gorm"
)

// Settle is how long after a day its figures can still change: a thread's
// reply within 24 hours, a clinician's answer within 7 days, a new
// member's return in days 30–36 (the longest), a rating. The nightly run
// recomputes this many days; older days are final.
const Settle = 37

// dayOf is the UTC day of a timestamp column, whatever the session's time
// zone.
func dayOf(col string) string { return "(" + col + " AT TIME ZONE 'UTC')::date" }

// contributions are what makes a member active: posts (threads and
// replies), reactions, private questions and their messages, private
// messages. One row per member, forum (NULL: not in a forum) and UTC day
// between @clo and @chi, for members passing filter (a SQL condition on
// the member id column u, or "true").
func contributions(filter string) string {
	return `
	SELECT p.author_id AS u, t.forum_id AS f, ` + dayOf("p.created_at") + ` AS d
	  FROM posts p JOIN threads t ON t.id = p.thread_id
	 WHERE p.created_at >= @clo AND p.created_at < @chi AND ` + sub(filter, "p.author_id") + `
	UNION
	SELECT r.user_id, t.forum_id, ` + dayOf("r.created_at") + `
	  FROM reactions r JOIN posts p ON p.id = r.post_id JOIN threads t ON t.id = p.thread_id
	 WHERE r.created_at >= @clo AND r.created_at < @chi AND ` + sub(filter, "r.user_id") + `
	UNION
	SELECT q.asker_id, q.forum_id, ` + dayOf("q.created_at") + `
	  FROM questions q WHERE q.created_at >= @clo AND q.created_at < @chi AND ` + sub(filter, "q.asker_id") + `
	UNION
	SELECT qm.author_id, NULL, ` + dayOf("qm.created_at") + `
	  FROM question_messages qm WHERE qm.created_at >= @clo AND qm.created_at < @chi AND ` + sub(filter, "qm.author_id") + `
	UNION
	SELECT m.author_id, NULL, ` + dayOf("m.created_at") + `
	  FROM messages m WHERE m.author_id IS NOT NULL AND NOT m.as_moderator AND m.created_at >= @clo AND m.created_at < @chi AND ` + sub(filter, "m.author_id")
}

func sub(filter, col string) string {
	if filter == "true" {
		return "true"
	}
	return col + " " + filter
}

// The notes forums' automatic reports carry (app/forums/safety.go): held
// posts and watched-word hits are counted from them.
const (
	noteHeldWords     = "Waiting for approval (watched words)."
	noteHeldNewMember = "A new member's first posts wait for approval."
	noteFlaggedPrefix = "Watched words: "
)

// rollupCounts are the statements that compute counts: each yields rows
// (day, forum_id, metric, key, n) for days between @from and @to.
var rollupCounts = []string{
	// Community.
	`SELECT ` + dayOf("created_at") + `, 0, 'new_members', '', count(*) FROM users
	  WHERE created_at >= @lo AND created_at < @hi GROUP BY 1`,
	`SELECT ` + dayOf("created_at") + `, forum_id, 'threads', '', count(*) FROM threads
	  WHERE created_at >= @lo AND created_at < @hi GROUP BY 1, 2`,
	// A thread's first post is written with it (same time, same forum):
	// replies are the posts beyond the threads.
	`SELECT p.d, p.f, 'replies', '', p.n - coalesce(t.n, 0) FROM
	   (SELECT ` + dayOf("p.created_at") + ` AS d, t.forum_id AS f, count(*) AS n FROM posts p JOIN threads t ON t.id = p.thread_id
	     WHERE p.created_at >= @lo AND p.created_at < @hi GROUP BY 1, 2) p
	   LEFT JOIN (SELECT ` + dayOf("created_at") + ` AS d, forum_id AS f, count(*) AS n FROM threads
	     WHERE created_at >= @lo AND created_at < @hi GROUP BY 1, 2) t ON t.d = p.d AND t.f = p.f
	  WHERE p.n - coalesce(t.n, 0) > 0`,
	`SELECT ` + dayOf("t.created_at") + `, t.forum_id, 'threads_replied_24h', '', count(*) FROM threads t
	  WHERE t.created_at >= @lo AND t.created_at < @hi AND EXISTS (SELECT 1 FROM posts p WHERE p.thread_id = t.id
	    AND p.author_id <> t.author_id AND p.visibility = 'visible' AND p.created_at <= t.created_at + interval '24 hours')
	  GROUP BY 1, 2`,
	`SELECT ` + dayOf("t.created_at") + `, t.forum_id, 'threads_clinician_7d', '', count(*) FROM threads t
	  WHERE t.created_at >= @lo AND t.created_at < @hi AND EXISTS (SELECT 1 FROM posts p WHERE p.thread_id = t.id
	    AND p.author_was_clinician AND p.author_id <> t.author_id AND p.visibility = 'visible' AND p.created_at <= t.created_at + interval '7 days')
	  GROUP BY 1, 2`,
	// Active members: on the day (dau), in the 7 days (wau) and the 30
	// days (mau) ending on it, per forum; and for the whole site (forum 0)
	// outside sensitive and clinician-only forums, which are counted only
	// in their own rows (else the site's count minus the open forums'
	// would tell how few were active only there).
	activeCounts("c.f", "c.f IS NOT NULL"),
	activeCounts("0", "(c.f IS NULL OR c.f NOT IN (SELECT id FROM forums WHERE sensitive OR clinician_only))"),

	// Moderation. Members' reports (Kindred's own are counted below).
	`SELECT ` + dayOf("created_at") + `, coalesce(forum_id, 0), 'reports', reason, count(*) FROM reports
	  WHERE reporter_id IS NOT NULL AND created_at >= @lo AND created_at < @hi GROUP BY 1, 2, 4`,
	`SELECT ` + dayOf("resolved_at") + `, coalesce(forum_id, 0), 'report_outcomes', status, count(*) FROM reports
	  WHERE reporter_id IS NOT NULL AND resolved_at >= @lo AND resolved_at < @hi GROUP BY 1, 2, 4`,
	`SELECT ` + dayOf("a.created_at") + `, coalesce(` + forumOfA + `, 0), 'auto_hidden', '', count(*) FROM moderation_actions a
	  WHERE a.action = 'auto_hide' AND a.created_at >= @lo AND a.created_at < @hi GROUP BY 1, 2`,
	`SELECT ` + dayOf("f.created_at") + `, coalesce(r.forum_id, 0), 'crisis_items', f.level, count(*) FROM crisis_followups f JOIN reports r ON r.id = f.report_id
	  WHERE f.created_at >= @lo AND f.created_at < @hi GROUP BY 1, 2, 4`,
	`SELECT ` + dayOf("f.acknowledged_at") + `, coalesce(r.forum_id, 0), 'crisis_acknowledged', '', count(*) FROM crisis_followups f JOIN reports r ON r.id = f.report_id
	  WHERE f.acknowledged_at >= @lo AND f.acknowledged_at < @hi GROUP BY 1, 2`,
	`SELECT ` + dayOf("ap.created_at") + `, coalesce(` + forumOfA + `, 0), 'appeals', '', count(*) FROM appeals ap JOIN moderation_actions a ON a.id = ap.action_id
	  WHERE ap.created_at >= @lo AND ap.created_at < @hi GROUP BY 1, 2`,
	`SELECT ` + dayOf("ap.decided_at") + `, coalesce(` + forumOfA + `, 0), 'appeal_decisions', ap.status, count(*) FROM appeals ap JOIN moderation_actions a ON a.id = ap.action_id
	  WHERE ap.decided_at >= @lo AND ap.decided_at < @hi AND ap.status <> 'open' GROUP BY 1, 2, 4`,
	`SELECT ` + dayOf("created_at") + `, coalesce(forum_id, 0), 'held', '', count(*) FROM reports
	  WHERE reporter_id IS NULL AND note IN ( @held_words, @held_new) AND created_at >= @lo AND created_at < @hi GROUP BY 1, 2`,
	`SELECT ` + dayOf("resolved_at") + `, coalesce(forum_id, 0), 'held_outcomes', CASE status WHEN 'dismissed' THEN 'approved' ELSE 'refused' END, count(*) FROM reports
	  WHERE reporter_id IS NULL AND note IN ( @held_words, @held_new) AND resolved_at >= @lo AND resolved_at < @hi GROUP BY 1, 2, 4`,
	`SELECT ` + dayOf("created_at") + `, coalesce(forum_id, 0), 'watched_word_hits', CASE WHEN note = @held_words THEN 'require_approval' ELSE 'flag' END, count(*) FROM reports
	  WHERE reporter_id IS NULL AND (note = @held_words OR starts_with(note, @flag_prefix)) AND created_at >= @lo AND created_at < @hi GROUP BY 1, 2, 4`,

	// Private questions (tied to no forum here: the area is the admins').
	`SELECT ` + dayOf("created_at") + `, 0, 'q_asked', coalesce(specialty, ''), count(*) FROM questions
	  WHERE created_at >= @lo AND created_at < @hi GROUP BY 1, 4`,
	`SELECT ` + dayOf("q.created_at") + `, 0, 'q_routed', '', count(*) FROM questions q
	  WHERE q.created_at >= @lo AND q.created_at < @hi AND EXISTS (SELECT 1 FROM question_offers o WHERE o.question_id = q.id) GROUP BY 1`,
	`SELECT ` + dayOf("decided_at") + `, 0, 'q_offer_outcomes', outcome, count(*) FROM question_offers
	  WHERE decided_at >= @lo AND decided_at < @hi AND outcome IN ('accepted', 'declined', 'timed_out') GROUP BY 1, 4`,
	`SELECT ` + dayOf("decided_at") + `, 0, 'q_accepted_in_time', '', count(*) FROM question_offers
	  WHERE decided_at >= @lo AND decided_at < @hi AND outcome = 'accepted' AND decided_at <= respond_by GROUP BY 1`,
	`SELECT ` + dayOf("created_at") + `, 0, m.metric, '', count(*) FROM questions
	  CROSS JOIN LATERAL (VALUES ('q_answered_24h', interval '24 hours'), ('q_answered_48h', interval '48 hours')) m(metric, within)
	  WHERE created_at >= @lo AND created_at < @hi AND answered_at IS NOT NULL AND answered_at <= created_at + m.within GROUP BY 1, 3`,
	`SELECT ` + dayOf("created_at") + `, 0, CASE kind WHEN 'pooled' THEN 'q_pooled' ELSE 'q_stranded' END, '', count(DISTINCT question_id) FROM question_events
	  WHERE kind IN ('pooled', 'wait alert') AND created_at >= @lo AND created_at < @hi GROUP BY 1, 3`,
	`SELECT ` + dayOf("created_at") + `, 0, 'q_ratings', rating, count(*) FROM questions
	  WHERE rating IS NOT NULL AND created_at >= @lo AND created_at < @hi GROUP BY 1, 4`,
	// Per clinician: never an erased one (their rows were deleted with
	// them; the offers and questions that still point at the tombstone
	// must not bring them back at the next run).
	`SELECT ` + dayOf("offered_at") + `, 0, 'q_load_offers', clinician_id::text, count(*) FROM question_offers
	  WHERE offered_at >= @lo AND offered_at < @hi AND NOT EXISTS (SELECT 1 FROM users e WHERE e.id = clinician_id AND e.status = 'erased') GROUP BY 1, 4`,
	`SELECT ` + dayOf("decided_at") + `, 0, 'q_load_accepted', clinician_id::text, count(*) FROM question_offers
	  WHERE outcome = 'accepted' AND decided_at >= @lo AND decided_at < @hi AND NOT EXISTS (SELECT 1 FROM users e WHERE e.id = clinician_id AND e.status = 'erased') GROUP BY 1, 4`,
	`SELECT ` + dayOf("answered_at") + `, 0, 'q_load_answered', assignee_id::text, count(*) FROM questions
	  WHERE answered_at >= @lo AND answered_at < @hi AND assignee_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users e WHERE e.id = assignee_id AND e.status = 'erased') GROUP BY 1, 4`,

	// Clinicians.
	`SELECT ` + dayOf("submitted_at") + `, 0, 'applications', profession, count(*) FROM credentials
	  WHERE submitted_at >= @lo AND submitted_at < @hi GROUP BY 1, 4`,
	`SELECT ` + dayOf("reviewed_at") + `, 0, 'decisions', CASE WHEN status = 'rejected' THEN 'rejected' ELSE 'verified' END, count(*) FROM credentials
	  WHERE reviewed_at >= @lo AND reviewed_at < @hi AND status IN ('verified', 'revoked', 'expired', 'rejected') GROUP BY 1, 4`,
}

// activeCounts counts active members per day into forum (a column of
// the contributions, or 0) from the contributions passing where: on the
// day (dau), and in the 7 (wau) and 30 (mau) days ending on it. Each
// contribution day d makes its member active on days d..d+len-1; one
// member's overlapping runs are merged (gaps and islands), and a running
// sum of +1 at each run's start and -1 after its end counts the distinct
// members of every day in one pass, instead of a join of each day with
// its 30 days of contributions.
func activeCounts(forum, where string) string {
	return `WITH c AS (SELECT DISTINCT c.u, ` + forum + ` AS f, c.d FROM (` + contributions("true") + `) c WHERE ` + where + `),
	iv AS (SELECT u, f, d, lag(d) OVER (PARTITION BY u, f ORDER BY d) AS prev FROM c),
	isl AS (SELECT iv.u, iv.f, g.len, iv.d,
	               sum(CASE WHEN iv.prev IS NULL OR iv.d > iv.prev + g.len THEN 1 ELSE 0 END) OVER (PARTITION BY iv.u, iv.f, g.len ORDER BY iv.d) AS grp
	          FROM iv CROSS JOIN (VALUES (7), (30)) g(len)),
	runs AS (SELECT f, len, min(d) AS a, max(d) + len AS b FROM isl GROUP BY u, f, len, grp),
	ev AS (SELECT f, len, a AS day, 1 AS delta FROM runs
	       UNION ALL SELECT f, len, b, -1 FROM runs
	       UNION ALL SELECT fs.f, g.len, ds.day::date, 0 FROM (SELECT DISTINCT f FROM c) fs CROSS JOIN (VALUES (7), (30)) g(len)
	                 CROSS JOIN generate_series( @from ::date, @to ::date, interval '1 day') ds(day)),
	running AS (SELECT f, len, day, sum(sum(delta)) OVER (PARTITION BY f, len ORDER BY day) AS n FROM ev GROUP BY f, len, day)
	SELECT day, f, CASE len WHEN 7 THEN 'wau' ELSE 'mau' END, '', n FROM running WHERE day BETWEEN @from ::date AND @to ::date AND n > 0
	UNION ALL
	SELECT d, f, 'dau', '', count(*) FROM c WHERE d BETWEEN @from ::date AND @to ::date GROUP BY d, f`
}

// forumOfA is the forum of the moderation action a's target (a post or a
// thread), NULL for anything else.
var forumOfA = `CASE a.target_kind
	WHEN 'thread' THEN (SELECT th.forum_id FROM threads th WHERE th.id = a.target_id)
	WHEN 'post' THEN (SELECT th.forum_id FROM posts po JOIN threads th ON th.id = po.thread_id WHERE po.id = a.target_id)
	END`

// retentionCounts: new members of a day who contributed again in days
// 7–13 (retained_7) or 30–36 (retained_30) after it; the base counts only
// days whose window has ended by @y. It needs the CTEs nm (new members)
// and c (their contributions), joined once (a hash join), not probed per
// member.
var retentionCounts = `, flags AS (
	   SELECT nm.id, nm.d,
	          coalesce(bool_or(c.d BETWEEN nm.d + 7 AND nm.d + 13), false) AS back7,
	          coalesce(bool_or(c.d BETWEEN nm.d + 30 AND nm.d + 36), false) AS back30
	     FROM nm LEFT JOIN c ON c.u = nm.id GROUP BY nm.id, nm.d)
	SELECT x.d, 0, m.metric, '', m.n FROM (
	   SELECT d,
	          count(*) FILTER (WHERE d + 13 <= @y ::date) AS base7,
	          count(*) FILTER (WHERE d + 13 <= @y ::date AND back7) AS r7,
	          count(*) FILTER (WHERE d + 36 <= @y ::date) AS base30,
	          count(*) FILTER (WHERE d + 36 <= @y ::date AND back30) AS r30
	     FROM flags GROUP BY d) x
	  CROSS JOIN LATERAL (VALUES ('retention_base_7', x.base7), ('retained_7', x.r7), ('retention_base_30', x.base30), ('retained_30', x.r30)) m(metric, n)
	  WHERE m.n > 0`

// rollupDurations yield (day, forum_id, metric, seconds) rows, one per
// duration that ended on the day.
var rollupDurations = []string{
	// From a member's report to the moderator's decision that closed it.
	`SELECT ` + dayOf("resolved_at") + `, coalesce(forum_id, 0), 'first_action', extract(epoch FROM resolved_at - created_at) FROM reports
	  WHERE reporter_id IS NOT NULL AND resolved_at >= @lo AND resolved_at < @hi`,
	`SELECT ` + dayOf("f.acknowledged_at") + `, coalesce(r.forum_id, 0), 'crisis_ack', coalesce(f.ack_seconds, extract(epoch FROM f.acknowledged_at - f.created_at)) FROM crisis_followups f JOIN reports r ON r.id = f.report_id
	  WHERE f.acknowledged_at >= @lo AND f.acknowledged_at < @hi`,
	`SELECT ` + dayOf("resolved_at") + `, coalesce(forum_id, 0), 'held_approval', extract(epoch FROM resolved_at - created_at) FROM reports
	  WHERE reporter_id IS NULL AND status = 'dismissed' AND note IN ( @held_words, @held_new) AND resolved_at >= @lo AND resolved_at < @hi`,
	`SELECT ` + dayOf("answered_at") + `, 0, 'q_answer_time', extract(epoch FROM answered_at - created_at) FROM questions
	  WHERE answered_at >= @lo AND answered_at < @hi`,
	`SELECT ` + dayOf("reviewed_at") + `, 0, 'decision_time', extract(epoch FROM reviewed_at - submitted_at) FROM credentials
	  WHERE reviewed_at >= @lo AND reviewed_at < @hi AND status IN ('verified', 'revoked', 'expired', 'rejected')`,
}

// Rollup computes the figures of the UTC days from..to (inclusive) again
// and replaces what was stored for them, in one transaction: running it
// twice gives the same rows.
func (s *Service) Rollup(ctx context.Context, from, to time.Time) (err error) {
	defer wrap("rollup", &err)
	from, to = Day(from), Day(to)
	if to.Before(from) {
		return nil
	}
	y := s.Yesterday()
	args := map[string]any{
		"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly), "y": y.Format(time.DateOnly),
		"lo": from, "hi": to.AddDate(0, 0, 1),
		"clo": from.AddDate(0, 0, -29), "chi": to.AddDate(0, 0, 1),
		"held_words": noteHeldWords, "held_new": noteHeldNewMember, "flag_prefix": noteFlaggedPrefix,
	}
	return s.db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// One rollup at a time (the nightly run and a backfill may meet).
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('kindred.analytics.rollup'))`).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM analytics_counts WHERE day BETWEEN @from ::date AND @to ::date`, args).Error; err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM analytics_durations WHERE day BETWEEN @from ::date AND @to ::date`, args).Error; err != nil {
			return err
		}
		for _, q := range rollupCounts {
			if err := tx.Exec(`INSERT INTO analytics_counts (day, forum_id, metric, key, n) `+q, args).Error; err != nil {
				return err
			}
		}
		// Retention reads the new members' contributions in the weeks after.
		rargs := maps.Clone(args)
		rargs["clo"], rargs["chi"] = from.AddDate(0, 0, 7), to.AddDate(0, 0, 37)
		if err := tx.Exec(`INSERT INTO analytics_counts (day, forum_id, metric, key, n)
			WITH nm AS (SELECT id, `+dayOf("created_at")+` AS d FROM users WHERE created_at >= @lo AND created_at < @hi),
			     c AS (`+contributions("IN (SELECT id FROM nm)")+`)`+retentionCounts, rargs).Error; err != nil {
			return err
		}
		for _, q := range rollupDurations {
			if err := tx.Exec(`INSERT INTO analytics_durations (day, forum_id, metric, seconds)
				SELECT d, f, m, array_agg(greatest(0, least(s, 2147483647))::int ORDER BY s) FROM (`+q+`) x(d, f, m, s) GROUP BY d, f, m`, args).Error; err != nil {
				return err
			}
		}
		return tx.Exec(`INSERT INTO analytics_days (day, rolled_at)
			SELECT generate_series( @from ::date, @to ::date, interval '1 day')::date, @now
			ON CONFLICT (day) DO UPDATE SET rolled_at = excluded.rolled_at`, map[string]any{"from": args["from"], "to": args["to"], "now": s.now()}).Error
	})
}

// Nightly recomputes the days whose figures may still change (Settle days
// up to yesterday), fills any day never computed, and prunes the search
// tokens past their retention.
func (s *Service) Nightly(ctx context.Context) error {
	y := s.Yesterday()
	if err := s.Rollup(ctx, y.AddDate(0, 0, -(Settle-1)), y); err != nil {
		return err
	}
	if err := s.Backfill(ctx); err != nil {
		return err
	}
	return s.PruneSearches(ctx)
}

// Backfill computes the days never computed, from the first account's
// day to yesterday, in runs of consecutive missing days.
func (s *Service) Backfill(ctx context.Context) (err error) {
	defer wrap("backfill", &err)
	y := s.Yesterday()
	var first *time.Time
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT min(created_at) FROM users`).Scan(&first).Error; err != nil {
		return err
	}
	if first == nil {
		return nil
	}
	var missing []time.Time
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT d::date FROM generate_series(?::date, ?::date, interval '1 day') d
		WHERE NOT EXISTS (SELECT 1 FROM analytics_days a WHERE a.day = d::date) ORDER BY 1`,
		Day(*first).Format(time.DateOnly), y.Format(time.DateOnly)).Scan(&missing).Error; err != nil {
		return err
	}
	for i := 0; i < len(missing); {
		j := i
		for j+1 < len(missing) && Day(missing[j+1]).Equal(Day(missing[j]).AddDate(0, 0, 1)) {
			j++
		}
		if err := s.Rollup(ctx, missing[i], missing[j]); err != nil {
			return err
		}
		i = j + 1
	}
	return nil
}
