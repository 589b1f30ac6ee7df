-- +goose Up
-- What each member has read of each thread they opened: the newest post
-- they were shown. "New since your last visit", unread counts in lists and
-- per forum come from it. Private to the member; nobody else reads it.
CREATE TABLE thread_reads (
    user_id           bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id         bigint      NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    last_read_post_id bigint      NOT NULL,
    read_at           timestamptz NOT NULL,
    PRIMARY KEY (user_id, thread_id)
);
-- Latest activity across forums, and threads started lately.
CREATE INDEX threads_latest_idx ON threads (last_post_at DESC, id DESC) WHERE visibility = 'visible';
CREATE INDEX threads_created_idx ON threads (created_at) WHERE visibility = 'visible';
-- Unread replies of one thread are one notification item ("5 new replies").
CREATE INDEX notifications_unread_reply_idx ON notifications (user_id, thread_id, id) WHERE read_at IS NULL AND kind = 'reply';

-- +goose Down
DROP INDEX notifications_unread_reply_idx;
DROP INDEX threads_created_idx;
DROP INDEX threads_latest_idx;
DROP TABLE thread_reads;
