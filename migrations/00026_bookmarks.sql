-- +goose Up
-- A member's private bookmarks of posts (a thread is bookmarked through its
-- first post), each with an optional note only they see and an optional
-- reminder. Nobody else reads them: not moderators, not admins.
CREATE TABLE bookmarks (
    id          bigserial PRIMARY KEY,
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    post_id     bigint      NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    note        text        NOT NULL DEFAULT '' CHECK (char_length(note) <= 500),
    remind_at   timestamptz,
    reminded_at timestamptz,
    created_at  timestamptz NOT NULL,
    UNIQUE (user_id, post_id)
);
CREATE INDEX bookmarks_user_idx ON bookmarks (user_id, id DESC);
-- The reminder sweep reads only what is due.
CREATE INDEX bookmarks_due_idx ON bookmarks (remind_at) WHERE remind_at IS NOT NULL AND reminded_at IS NULL;

-- +goose Down
DROP TABLE bookmarks;
