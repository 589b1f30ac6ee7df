-- +goose Up

-- A member's report of a post, a thread, a member or a message in one of
-- their private questions. forum_id scopes it to the forum's moderators
-- (NULL: global moderators only).
CREATE TABLE reports (
    id          bigserial PRIMARY KEY,
    reporter_id bigint REFERENCES users (id) ON DELETE CASCADE, -- NULL: Kindred itself (watched words, crisis)
    target_kind text        NOT NULL CHECK (target_kind IN ('post', 'thread', 'user', 'question_message')),
    target_id   bigint      NOT NULL,
    forum_id    bigint REFERENCES forums (id),
    reason      text        NOT NULL
        CHECK (reason IN ('misinformation', 'harassment', 'spam', 'self_harm', 'privacy', 'off_topic', 'other')),
    note        text        NOT NULL DEFAULT '',
    weight      real        NOT NULL,
    status      text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'dismissed')),
    handler_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    resolution  text        NOT NULL DEFAULT '',
    resolved_at timestamptz,
    created_at  timestamptz NOT NULL
);
-- One open report per reporter and target.
CREATE UNIQUE INDEX reports_open_once_idx ON reports (reporter_id, target_kind, target_id) WHERE status = 'open';
CREATE INDEX reports_open_target_idx ON reports (target_kind, target_id) WHERE status = 'open';
CREATE INDEX reports_open_forum_idx ON reports (forum_id) WHERE status = 'open';
CREATE INDEX reports_reporter_idx ON reports (reporter_id, id DESC);

-- Every moderation step, including attempts that lost a race.
CREATE TABLE moderation_actions (
    id           bigserial PRIMARY KEY,
    moderator_id bigint, -- NULL: Kindred itself (auto-hide); no foreign key: the record outlives the account
    action       text        NOT NULL,
    target_kind  text        NOT NULL,
    target_id    bigint      NOT NULL,
    author_id    bigint, -- whose content it was
    reason       text        NOT NULL DEFAULT '',
    outcome      text        NOT NULL DEFAULT 'applied' CHECK (outcome IN ('applied', 'superseded')),
    created_at   timestamptz NOT NULL
);
CREATE INDEX moderation_actions_target_idx ON moderation_actions (target_kind, target_id, id);
CREATE INDEX moderation_actions_author_idx ON moderation_actions (author_id, id DESC);
-- +goose StatementBegin
CREATE FUNCTION moderation_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'moderation_actions is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER moderation_actions_no_change BEFORE UPDATE OR DELETE ON moderation_actions
    FOR EACH ROW EXECUTE FUNCTION moderation_actions_append_only();

ALTER TABLE notifications ADD COLUMN report_id bigint REFERENCES reports (id) ON DELETE CASCADE;

-- +goose Down
ALTER TABLE notifications DROP COLUMN report_id;
DROP TABLE moderation_actions;
DROP FUNCTION moderation_actions_append_only();
DROP TABLE reports;
