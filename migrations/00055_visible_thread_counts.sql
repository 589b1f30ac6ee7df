-- +goose Up

-- A forum's thread count is meant to be what its list shows: the visible
-- threads. It counted every thread created in or moved into the forum, so
-- a thread held for a moderator's review, or hidden by one, made the count
-- one more than the list holds, telling every visitor that something was
-- waiting there or had been taken down. A trigger now keeps the count from
-- the threads themselves (as posts_thread_counts does for replies), and it
-- is recounted once here.
-- +goose StatementBegin
CREATE FUNCTION threads_forum_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.visibility = NEW.visibility AND OLD.forum_id = NEW.forum_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.visibility = 'visible' THEN
        UPDATE forums SET thread_count = greatest(thread_count - 1, 0) WHERE id = OLD.forum_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.visibility = 'visible' THEN
        UPDATE forums SET thread_count = thread_count + 1 WHERE id = NEW.forum_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER threads_forum_counts AFTER INSERT OR DELETE OR UPDATE OF visibility, forum_id ON threads
    FOR EACH ROW EXECUTE FUNCTION threads_forum_counts();

UPDATE forums f SET thread_count = (SELECT count(*) FROM threads t WHERE t.forum_id = f.id AND t.visibility = 'visible')
WHERE thread_count <> (SELECT count(*) FROM threads t WHERE t.forum_id = f.id AND t.visibility = 'visible');

-- +goose Down
-- The counts stay as they are; the code before this migration adds to them
-- itself again.
DROP TRIGGER threads_forum_counts ON threads;
DROP FUNCTION threads_forum_counts();
