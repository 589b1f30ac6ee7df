-- +goose Up
-- Opening a thread marks the member's unread notifications about it read
-- (mentions and bookmark reminders as well as the grouped reply). Without
-- this index that update read every unread notification of the member,
-- on every thread page while any was unread (issue 21).
CREATE INDEX notifications_unread_thread_idx ON notifications (user_id, thread_id) WHERE read_at IS NULL AND thread_id IS NOT NULL;

-- +goose Down
DROP INDEX notifications_unread_thread_idx;
