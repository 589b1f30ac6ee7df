-- +goose Up
-- Reply notifications are grouped when they are written (issue 21): while a
-- member has an unread reply notification for a thread, a new reply updates
-- that row instead of adding one, so a member's rows grow with threads, not
-- posts. The row keeps where reading starts (first_post_id) and counts the
-- replies it stands for (reply_count); post_id, actor_id and created_at are
-- the latest reply's, so a digest waits for the latest one. mailed_count is
-- how many of its replies an e-mail already told of: the next e-mail about
-- the row counts the others.
ALTER TABLE notifications ADD COLUMN reply_count integer NOT NULL DEFAULT 1 CHECK (reply_count > 0);
ALTER TABLE notifications ADD COLUMN mailed_count integer NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN first_post_id bigint;

-- Existing unread replies collapse into the newest row of their thread.
WITH g AS (
    SELECT user_id, thread_id, max(id) AS keep, count(*) AS n, min(post_id) AS first_post,
           count(*) FILTER (WHERE NOT mail_pending AND digest IS NULL) AS mailed,
           bool_or(mail_pending) AS pending, min(digest) AS digest
    FROM notifications WHERE kind = 'reply' AND read_at IS NULL AND thread_id IS NOT NULL
    GROUP BY user_id, thread_id
)
UPDATE notifications n SET reply_count = g.n, first_post_id = g.first_post, mailed_count = g.mailed,
    mail_pending = g.pending, digest = coalesce(n.digest, g.digest)
FROM g WHERE n.id = g.keep;
DELETE FROM notifications n
WHERE n.kind = 'reply' AND n.read_at IS NULL AND n.thread_id IS NOT NULL
AND EXISTS (SELECT 1 FROM notifications k WHERE k.user_id = n.user_id AND k.thread_id = n.thread_id
    AND k.kind = 'reply' AND k.read_at IS NULL AND k.id > n.id);

-- One unread reply row per member and thread: the fan-out's
-- INSERT ... ON CONFLICT relies on it. It replaces the index the grouping
-- at read time used.
CREATE UNIQUE INDEX notifications_reply_group_idx ON notifications (user_id, thread_id) WHERE read_at IS NULL AND kind = 'reply';
DROP INDEX notifications_unread_reply_idx;

-- +goose Down
CREATE INDEX notifications_unread_reply_idx ON notifications (user_id, thread_id, id) WHERE read_at IS NULL AND kind = 'reply';
DROP INDEX notifications_reply_group_idx;
ALTER TABLE notifications DROP COLUMN mailed_count;
ALTER TABLE notifications DROP COLUMN first_post_id;
ALTER TABLE notifications DROP COLUMN reply_count;
