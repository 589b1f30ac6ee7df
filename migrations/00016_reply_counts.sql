-- +goose Up

-- A thread's reply count and last activity count only what readers see:
-- visible posts that are not deleted (held, hidden and removed ones do not
-- count). The database keeps them as posts are written, approved, hidden,
-- removed, restored or deleted, whichever code path does it.
-- +goose StatementBegin
CREATE FUNCTION posts_thread_counts() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER posts_thread_counts AFTER INSERT OR UPDATE OF visibility, deleted_at ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_thread_counts();

-- Counts written before this migration counted held, hidden and removed
-- replies: work them out again.
UPDATE threads t SET
    reply_count = (SELECT count(*) FROM posts p WHERE p.thread_id = t.id AND p.visibility = 'visible' AND p.deleted_at IS NULL
                   AND p.id <> (SELECT min(id) FROM posts q WHERE q.thread_id = t.id)),
    last_post_at = coalesce((SELECT max(p.created_at) FROM posts p WHERE p.thread_id = t.id AND p.visibility = 'visible' AND p.deleted_at IS NULL), t.created_at);

-- +goose Down
DROP TRIGGER posts_thread_counts ON posts;
DROP FUNCTION posts_thread_counts();
