-- +goose Up
-- Private messages (app/messages): one-to-one conversations between two
-- members, and conversations a moderator opens with a member (a check-in
-- after a crisis alert, a warning explained). Never indexed for search and
-- never quoted in e-mail; moderators read a message only while an open
-- report by a participant names it (app/moderation).
CREATE TABLE conversations (
    id              bigserial PRIMARY KEY,
    -- member: two members; moderators: a member and the moderation team
    -- (the moderator who opened it, and every global moderator and admin).
    kind            text        NOT NULL CHECK (kind IN ('member', 'moderators')),
    -- The member a moderators' conversation is with (NULL for member ones).
    member_id       bigint REFERENCES users (id) ON DELETE CASCADE,
    started_by      bigint REFERENCES users (id) ON DELETE SET NULL,
    subject         text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    last_message_at timestamptz NOT NULL
);
CREATE INDEX conversations_moderators_idx ON conversations (last_message_at DESC) WHERE kind = 'moderators';

-- Who takes part, and how far each has read. A member conversation has
-- exactly two rows; at most one member conversation exists per pair
-- (pair_key "low:high").
CREATE TABLE conversation_members (
    conversation_id bigint      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_id    bigint      NOT NULL DEFAULT 0,
    joined_at       timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_idx ON conversation_members (user_id);
ALTER TABLE conversations ADD COLUMN pair_key text;
CREATE UNIQUE INDEX conversations_pair_idx ON conversations (pair_key) WHERE kind = 'member';

CREATE TABLE messages (
    id              bigserial PRIMARY KEY,
    conversation_id bigint      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       bigint REFERENCES users (id) ON DELETE SET NULL,
    -- Written as one of the moderators (shown "from the moderators").
    as_moderator    boolean     NOT NULL DEFAULT false,
    -- The safety engine found crisis language: the reader is shown what to
    -- do if they are worried (the writer saw the crisis resources).
    crisis          boolean     NOT NULL DEFAULT false,
    body            text        NOT NULL,
    body_html       text        NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE INDEX messages_author_idx ON messages (author_id, created_at);

-- Who may write to a member: everyone, only people they follow, or nobody
-- (moderators always may). No row: everyone.
CREATE TABLE message_settings (
    user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    accept     text        NOT NULL CHECK (accept IN ('everyone', 'followed', 'nobody')),
    updated_at timestamptz NOT NULL
);

-- Members a member follows (app/forums): for now it decides who may write
-- to a member who accepts messages only from people they follow.
CREATE TABLE member_follows (
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followed_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, followed_id),
    CHECK (user_id <> followed_id)
);
CREATE INDEX member_follows_followed_idx ON member_follows (followed_id);

-- A notification about a conversation links to it (never its text).
ALTER TABLE notifications ADD COLUMN conversation_id bigint REFERENCES conversations (id) ON DELETE CASCADE;
CREATE INDEX notifications_conversation_idx ON notifications (user_id, conversation_id) WHERE conversation_id IS NOT NULL AND read_at IS NULL;

-- A message can be reported; only the reported message becomes readable
-- to staff, and only while a report on it is open.
ALTER TABLE reports DROP CONSTRAINT reports_target_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_target_kind_check CHECK (target_kind IN ('post', 'thread', 'user', 'question_message', 'message'));

-- Live updates (app/live): a new message tells the open conversation
-- pages; ids only, the hub checks who is in the conversation now.
ALTER TABLE live_events ADD COLUMN conversation_id bigint;
ALTER TABLE live_events DROP CONSTRAINT live_events_kind_check;
ALTER TABLE live_events ADD CONSTRAINT live_events_kind_check CHECK (kind IN ('reply', 'question', 'message'));
CREATE INDEX live_events_conversation_idx ON live_events (conversation_id, id) WHERE conversation_id IS NOT NULL;
-- +goose StatementBegin
CREATE FUNCTION live_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO live_events (kind, conversation_id) VALUES ('message', NEW.conversation_id);
    PERFORM pg_notify('kindred_live', 'e');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER messages_live AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION live_message();

-- +goose Down
DROP TRIGGER messages_live ON messages;
DROP FUNCTION live_message();
DELETE FROM live_events WHERE kind = 'message';
ALTER TABLE live_events DROP CONSTRAINT live_events_kind_check;
ALTER TABLE live_events ADD CONSTRAINT live_events_kind_check CHECK (kind IN ('reply', 'question'));
DROP INDEX live_events_conversation_idx;
ALTER TABLE live_events DROP COLUMN conversation_id;
DELETE FROM reports WHERE target_kind = 'message';
ALTER TABLE reports DROP CONSTRAINT reports_target_kind_check;
ALTER TABLE reports ADD CONSTRAINT reports_target_kind_check CHECK (target_kind IN ('post', 'thread', 'user', 'question_message'));
DROP INDEX notifications_conversation_idx;
ALTER TABLE notifications DROP COLUMN conversation_id;
DROP TABLE member_follows;
DROP TABLE message_settings;
DROP TABLE messages;
DROP TABLE conversation_members;
DROP TABLE conversations;
