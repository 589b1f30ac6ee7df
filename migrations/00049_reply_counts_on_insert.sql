-- +goose Up

-- A new post changed its thread's row twice (reply count, then last
-- activity) and worked the last activity out again from every post of the
-- thread: a reply to a long thread cost more the longer it was. A new
-- visible post can only move the last activity forward, so an insert now
-- writes the thread's row once, with greatest(); a reply is a post with an
-- earlier one in its thread (one index probe). Changes of visibility or
-- deletion (rare: moderators, authors) still work both out again.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION posts_thread_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := false;
    now_seen boolean := NEW.visibility = 'visible' AND NEW.deleted_at IS NULL;
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF now_seen THEN
            UPDATE threads SET
                reply_count = reply_count + CASE WHEN EXISTS (SELECT 1 FROM posts WHERE thread_id = NEW.thread_id AND id < NEW.id) THEN 1 ELSE 0 END,
                last_post_at = greatest(last_post_at, NEW.created_at)
            WHERE id = NEW.thread_id;
        END IF;
        RETURN NULL;
    END IF;
    was := OLD.visibility = 'visible' AND OLD.deleted_at IS NULL;
    IF was = now_seen THEN
        RETURN NULL;
    END IF;
    -- The thread's opening post is not a reply.
    IF NEW.id <> (SELECT min(id) FROM posts WHERE thread_id = NEW.thread_id) THEN
        UPDATE threads SET reply_count = greatest(reply_count + CASE WHEN now_seen THEN 1 ELSE -1 END, 0)
        WHERE id = NEW.thread_id;
    END IF;
    UPDATE threads t SET last_post_at = coalesce(
        (SELECT max(p.created_at) FROM posts p WHERE p.thread_id = t.id AND p.visibility = 'visible' AND p.deleted_at IS NULL),
        t.created_at)
    WHERE t.id = NEW.thread_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION posts_thread_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := false;
    now_seen boolean := NEW.visibility = 'visible' AND NEW.deleted_at IS NULL;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        was := OLD.visibility = 'visible' AND OLD.deleted_at IS NULL;
    END IF;
    IF was = now_seen THEN
        RETURN NULL;
    END IF;
    -- The thread's opening post is not a reply.
    IF NEW.id <> (SELECT min(id) FROM posts WHERE thread_id = NEW.thread_id) THEN
        UPDATE threads SET reply_count = greatest(reply_count + CASE WHEN now_seen THEN 1 ELSE -1 END, 0)
        WHERE id = NEW.thread_id;
    END IF;
    UPDATE threads t SET last_post_at = coalesce(
        (SELECT max(p.created_at) FROM posts p WHERE p.thread_id = t.id AND p.visibility = 'visible' AND p.deleted_at IS NULL),
        t.created_at)
    WHERE t.id = NEW.thread_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
