-- +goose Up
-- Cheaper replies (issue 21). A reply to a thread with many followers
-- updates each follower's grouped reply row (00046). Those rows now keep
-- their id: the list orders by created_at (the latest reply's time), which
-- no index holds, so the update changes no indexed column and PostgreSQL
-- can make it a HOT update (no new index entries) when the row's page has
-- room. A fan-out writes a thread's followers' rows together, so they
-- share pages and one reply updates them all at once: half a page of
-- room lets every one of them stay HOT (fillfactor 80 gave 58%, 65 gave
-- 91%, 50 gave 100% at 2,000 followers; scripts/explain-fanout.sql). It
-- applies to pages written from now on.
ALTER TABLE notifications SET (fillfactor = 50);

-- The live bell's signal (00029) becomes one NOTIFY per statement and up
-- to 300 members, 'n' followed by their ids separated by commas, instead
-- of one per row. An update signals only the members whose row changed in
-- what the bell counts: read or unread, or the row's latest post (the fan-
-- out). Transition tables cannot be combined with UPDATE OF, hence the
-- comparison of the old and new rows.
DROP TRIGGER notifications_live ON notifications;

-- +goose StatementBegin
CREATE FUNCTION live_notification_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        FOR ids IN SELECT string_agg(user_id::text, ',') FROM (
                SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1) / 300 AS chunk
                FROM (SELECT DISTINCT user_id FROM new_rows) u) c
            GROUP BY chunk
        LOOP
            PERFORM pg_notify('kindred_live', 'n' || ids);
        END LOOP;
    ELSE
        FOR ids IN SELECT string_agg(user_id::text, ',') FROM (
                SELECT user_id, (row_number() OVER (ORDER BY user_id) - 1) / 300 AS chunk
                FROM (SELECT DISTINCT n.user_id FROM new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE n.read_at IS DISTINCT FROM o.read_at OR n.post_id IS DISTINCT FROM o.post_id) u) c
            GROUP BY chunk
        LOOP
            PERFORM pg_notify('kindred_live', 'n' || ids);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER notifications_live_insert AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION live_notification_count();
CREATE TRIGGER notifications_live_update AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION live_notification_count();

-- Watched words are kept in memory between writes (app/moderation); a
-- change on any instance tells every instance's live hub ('w').
-- +goose StatementBegin
CREATE FUNCTION live_watched_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kindred_live', 'w');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER watched_words_live AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON watched_words
    FOR EACH STATEMENT EXECUTE FUNCTION live_watched_words();

-- +goose Down
DROP TRIGGER watched_words_live ON watched_words;
DROP FUNCTION live_watched_words();
DROP TRIGGER notifications_live_update ON notifications;
DROP TRIGGER notifications_live_insert ON notifications;
DROP FUNCTION live_notification_count();
CREATE TRIGGER notifications_live AFTER INSERT OR UPDATE OF read_at ON notifications
    FOR EACH ROW EXECUTE FUNCTION live_count();
ALTER TABLE notifications RESET (fillfactor);
