-- +goose Up
-- A member's unsent text, kept on the server so it survives a closed tab or
-- another device: one reply draft per thread, one new-thread draft per
-- forum. Posting discards it in the same transaction. Only its author
-- reads it; it is never searched, e-mailed or shown to moderators.
CREATE TABLE drafts (
    id         bigserial PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    thread_id  bigint REFERENCES threads (id) ON DELETE CASCADE,
    forum_id   bigint REFERENCES forums (id) ON DELETE CASCADE,
    title      text        NOT NULL DEFAULT '' CHECK (char_length(title) <= 150),
    body       text        NOT NULL DEFAULT '' CHECK (char_length(body) <= 20000),
    updated_at timestamptz NOT NULL,
    CHECK ((thread_id IS NULL) <> (forum_id IS NULL))
);
CREATE UNIQUE INDEX drafts_reply_idx ON drafts (user_id, thread_id) WHERE thread_id IS NOT NULL;
CREATE UNIQUE INDEX drafts_thread_idx ON drafts (user_id, forum_id) WHERE forum_id IS NOT NULL;

-- +goose Down
DROP TABLE drafts;
