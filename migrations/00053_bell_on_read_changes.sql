-- +goose Up
-- The bell's signal on updates goes back to a row trigger on read_at
-- (00029's live_count: 'n' and the member's id; PostgreSQL sends a
-- payload once per transaction however many rows repeat it). 00052 made
-- it a statement trigger with transition tables on every UPDATE of
-- notifications, so each fan-out update of 2,000 followers' grouped rows
-- copied them all into the trigger's tables and signalled every member,
-- though an unread row that gets a newer reply leaves the bell's count as
-- it was. Measured with kindred-perf -only writes (2,000 followers on the
-- hot threads), alternating: 48-56 posts/s and 18-23 ms of PostgreSQL CPU
-- per post with 00052's trigger, 85-99 posts/s and 8-9 ms with this one.
-- Inserts keep 00052's statement trigger (one signal per 300 members).
DROP TRIGGER notifications_live_update ON notifications;
CREATE TRIGGER notifications_live_read AFTER UPDATE OF read_at ON notifications
    FOR EACH ROW EXECUTE FUNCTION live_count();

-- +goose Down
DROP TRIGGER notifications_live_read ON notifications;
CREATE TRIGGER notifications_live_update AFTER UPDATE ON notifications
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION live_notification_count();
