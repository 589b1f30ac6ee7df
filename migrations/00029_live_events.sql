-- +goose Up
-- Live updates (app/live). Triggers record what open pages may want to
-- know, so no writer can forget to: a reply that became visible in a
-- thread, news in a private question. Rows carry ids only, never text;
-- each instance's hub reads them after a NOTIFY on channel kindred_live
-- and checks every receiver's permission before sending. They are kept an
-- hour, for browsers that reconnect with Last-Event-ID.
CREATE TABLE live_events (
    id          bigserial PRIMARY KEY,
    kind        text        NOT NULL CHECK (kind IN ('reply', 'question')),
    thread_id   bigint,
    post_id     bigint,
    question_id bigint,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX live_events_thread_idx ON live_events (thread_id, id) WHERE thread_id IS NOT NULL;
CREATE INDEX live_events_question_idx ON live_events (question_id, id) WHERE question_id IS NOT NULL;
CREATE INDEX live_events_created_idx ON live_events (created_at);

-- +goose StatementBegin
CREATE FUNCTION live_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.visibility = 'visible' AND NEW.deleted_at IS NULL
       AND (TG_OP = 'INSERT' OR OLD.visibility <> 'visible') THEN
        INSERT INTO live_events (kind, thread_id, post_id) VALUES ('reply', NEW.thread_id, NEW.id);
        PERFORM pg_notify('kindred_live', 'e');
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER posts_live AFTER INSERT OR UPDATE OF visibility ON posts
    FOR EACH ROW EXECUTE FUNCTION live_post();

-- +goose StatementBegin
CREATE FUNCTION live_question() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'question_messages' THEN
        INSERT INTO live_events (kind, question_id) VALUES ('question', NEW.question_id);
    ELSIF OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id THEN
        INSERT INTO live_events (kind, question_id) VALUES ('question', NEW.id);
    ELSE
        RETURN NULL;
    END IF;
    PERFORM pg_notify('kindred_live', 'e');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER question_messages_live AFTER INSERT ON question_messages
    FOR EACH ROW EXECUTE FUNCTION live_question();
CREATE TRIGGER questions_live AFTER UPDATE OF status, assignee_id ON questions
    FOR EACH ROW EXECUTE FUNCTION live_question();

-- Counts that changed: a member's unread notifications (n<user id>), a
-- clinician's offers (o<user id>), the moderation queue (q). Identical
-- payloads in one transaction arrive once.
-- +goose StatementBegin
CREATE FUNCTION live_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'notifications' THEN
        PERFORM pg_notify('kindred_live', 'n' || NEW.user_id);
    ELSIF TG_TABLE_NAME = 'question_offers' THEN
        PERFORM pg_notify('kindred_live', 'o' || NEW.clinician_id);
    ELSE
        PERFORM pg_notify('kindred_live', 'q');
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER notifications_live AFTER INSERT OR UPDATE OF read_at ON notifications
    FOR EACH ROW EXECUTE FUNCTION live_count();
CREATE TRIGGER question_offers_live AFTER INSERT OR UPDATE OF outcome ON question_offers
    FOR EACH ROW EXECUTE FUNCTION live_count();
CREATE TRIGGER reports_live AFTER INSERT OR UPDATE OF status ON reports
    FOR EACH STATEMENT EXECUTE FUNCTION live_count();

-- +goose Down
DROP TRIGGER reports_live ON reports;
DROP TRIGGER question_offers_live ON question_offers;
DROP TRIGGER notifications_live ON notifications;
DROP FUNCTION live_count();
DROP TRIGGER questions_live ON questions;
DROP TRIGGER question_messages_live ON question_messages;
DROP FUNCTION live_question();
DROP TRIGGER posts_live ON posts;
DROP FUNCTION live_post();
DROP TABLE live_events;
