-- The reply fan-out to a hot thread's followers, measured apart (issue 21,
-- docs/performance.md "reply costs measured apart"). Run against the perf
-- dataset (kindred-perf -only seed -followers 2000):
--
--   psql "$URL" -v renumber=false -v timeindex=false -f scripts/explain-fanout.sql
--
-- renumber=true gives the row a new id as the code before migration 00052
-- did; timeindex=true adds an index holding created_at (what ordering the
-- list by an indexed time would need) to show what it costs the updates. The statement is notify.InApp.fanOut's, with the values written in.
-- The first reply inserts one row per follower; the second updates them,
-- and that one is shown with EXPLAIN (ANALYZE, BUFFERS, WAL).
\set ON_ERROR_STOP on
SELECT min(id) AS th FROM threads \gset
SELECT forum_id AS forum FROM threads WHERE id = :th \gset
SELECT id AS author FROM users WHERE handle = 'perf_1' \gset
SELECT count(*) AS followers FROM thread_follows WHERE thread_id = :th \gset
\echo thread :th with :followers followers

\if :renumber
PREPARE fan(bigint, bigint, bigint, bigint) AS INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at, first_post_id)
    SELECT f.user_id, 'reply', $3, $4, $2, $1, now(), $1 FROM (SELECT user_id FROM thread_follows WHERE thread_id = $2 AND user_id <> $3) f
    JOIN users u ON u.id = f.user_id AND u.status = 'active'
    WHERE EXISTS (SELECT 1 FROM posts p WHERE p.id = $1 AND p.deleted_at IS NULL AND p.visibility IN ('visible', 'pending'))
    AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = f.user_id AND m.muted_id = $3)
    AND NOT EXISTS (SELECT 1 FROM thread_reads r WHERE r.user_id = f.user_id AND r.thread_id = $2 AND r.last_read_post_id >= $1)
    ORDER BY f.user_id
    ON CONFLICT (user_id, thread_id) WHERE read_at IS NULL AND kind = 'reply' DO UPDATE SET
        id = CASE WHEN excluded.post_id > notifications.post_id THEN nextval('notifications_id_seq') ELSE notifications.id END,
        actor_id = CASE WHEN excluded.post_id > notifications.post_id THEN excluded.actor_id ELSE notifications.actor_id END,
        created_at = CASE WHEN excluded.post_id > notifications.post_id THEN excluded.created_at ELSE notifications.created_at END,
        post_id = greatest(notifications.post_id, excluded.post_id),
        first_post_id = least(coalesce(notifications.first_post_id, notifications.post_id), excluded.post_id),
        reply_count = notifications.reply_count + 1,
        mail_pending = true,
        read_at = NULL
    WHERE excluded.post_id > notifications.post_id OR excluded.post_id < coalesce(notifications.first_post_id, notifications.post_id);
\else
PREPARE fan(bigint, bigint, bigint, bigint) AS INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at, first_post_id)
    SELECT f.user_id, 'reply', $3, $4, $2, $1, now(), $1 FROM (SELECT user_id FROM thread_follows WHERE thread_id = $2 AND user_id <> $3) f
    JOIN users u ON u.id = f.user_id AND u.status = 'active'
    WHERE EXISTS (SELECT 1 FROM posts p WHERE p.id = $1 AND p.deleted_at IS NULL AND p.visibility IN ('visible', 'pending'))
    AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.user_id = f.user_id AND m.muted_id = $3)
    AND NOT EXISTS (SELECT 1 FROM thread_reads r WHERE r.user_id = f.user_id AND r.thread_id = $2 AND r.last_read_post_id >= $1)
    ORDER BY f.user_id
    ON CONFLICT (user_id, thread_id) WHERE read_at IS NULL AND kind = 'reply' DO UPDATE SET
        actor_id = CASE WHEN excluded.post_id > notifications.post_id THEN excluded.actor_id ELSE notifications.actor_id END,
        created_at = CASE WHEN excluded.post_id > notifications.post_id THEN excluded.created_at ELSE notifications.created_at END,
        post_id = greatest(notifications.post_id, excluded.post_id),
        first_post_id = least(coalesce(notifications.first_post_id, notifications.post_id), excluded.post_id),
        reply_count = notifications.reply_count + 1,
        mail_pending = true,
        read_at = NULL
    WHERE excluded.post_id > notifications.post_id OR excluded.post_id < coalesce(notifications.first_post_id, notifications.post_id);
\endif

-- First reply: inserts.
INSERT INTO posts (thread_id, author_id, body, body_html, created_at) VALUES (:th, :author, 'First.', '<p>First.</p>', now()) RETURNING id AS p \gset
EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF) EXECUTE fan(:p, :th, :author, :forum);
\if :timeindex
CREATE INDEX notifications_time_idx ON notifications (user_id, created_at DESC, id DESC);
\endif
VACUUM ANALYZE notifications;

-- Replies two to four: updates of the same rows (the second may find
-- pages without room; later ones show the steady state).
INSERT INTO posts (thread_id, author_id, body, body_html, created_at) VALUES (:th, :author, 'Second.', '<p>Second.</p>', now()) RETURNING id AS p \gset
EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF) EXECUTE fan(:p, :th, :author, :forum);
INSERT INTO posts (thread_id, author_id, body, body_html, created_at) VALUES (:th, :author, 'Third.', '<p>Third.</p>', now()) RETURNING id AS p \gset
EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF) EXECUTE fan(:p, :th, :author, :forum);
SELECT pg_stat_force_next_flush();
SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'notifications' \gset before_
INSERT INTO posts (thread_id, author_id, body, body_html, created_at) VALUES (:th, :author, 'Fourth.', '<p>Fourth.</p>', now()) RETURNING id AS p \gset
EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF) EXECUTE fan(:p, :th, :author, :forum);
SELECT pg_stat_force_next_flush();
SELECT n_tup_upd - :before_n_tup_upd AS updated, n_tup_hot_upd - :before_n_tup_hot_upd AS hot FROM pg_stat_user_tables WHERE relname = 'notifications';
