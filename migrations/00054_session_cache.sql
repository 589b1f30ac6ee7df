-- +goose Up
-- Session cache (app/auth/sessioncache.go). Each instance keeps, per
-- session, what a signed-in page needs before its own data (the session,
-- its member, what they may do, their figures) and drops it when any of
-- that changes. Triggers say so on channel kindred_live, so that no writer
-- can forget to, on any instance:
--   a<ids>  these members (ids separated by commas, at most 300 a signal)
--   a*      every member
-- The bell's count already has its signal (n<ids>, 00029/00052/00053).
-- Payloads carry ids only; identical ones in a transaction arrive once,
-- after the commit, in commit order.

-- One row's member: the column named by the trigger's argument, in the old
-- and the new row.
-- +goose StatementBegin
CREATE FUNCTION session_member_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('kindred_live', 'a' || coalesce(to_jsonb(OLD) ->> TG_ARGV[0], ''));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('kindred_live', 'a' || coalesce(to_jsonb(NEW) ->> TG_ARGV[0], ''));
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- A statement's deleted rows' members, 300 to a signal: pruning expired
-- sessions or a member's notifications deletes many rows at once.
-- +goose StatementBegin
CREATE FUNCTION session_members_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text;
BEGIN
    FOR ids IN SELECT string_agg(id::text, ',') FROM (
            SELECT id, (row_number() OVER (ORDER BY id) - 1) / 300 AS chunk
            FROM (SELECT DISTINCT (to_jsonb(o) ->> TG_ARGV[0])::bigint AS id FROM old_rows o) d
            WHERE id IS NOT NULL) c
        GROUP BY chunk
    LOOP
        PERFORM pg_notify('kindred_live', 'a' || ids);
    END LOOP;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION session_everyone_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kindred_live', 'a*');
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- The member's account (role, status, suspension, handle, settings).
CREATE TRIGGER users_session_cache AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION session_member_changed('id');
-- The session itself, but not its once-a-minute last-seen update (the
-- cache goes to the database when that is due).
CREATE TRIGGER sessions_session_cache AFTER UPDATE ON sessions
    FOR EACH ROW WHEN ((to_jsonb(OLD) - '{last_seen_at,ip,user_agent}'::text[]) IS DISTINCT FROM (to_jsonb(NEW) - '{last_seen_at,ip,user_agent}'::text[]))
    EXECUTE FUNCTION session_member_changed('user_id');
CREATE TRIGGER sessions_session_cache_delete AFTER DELETE ON sessions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION session_members_deleted('user_id');
-- What the member may do (the Actor) and must do (consents).
CREATE TRIGGER forum_moderators_session_cache AFTER INSERT OR UPDATE OR DELETE ON forum_moderators
    FOR EACH ROW EXECUTE FUNCTION session_member_changed('user_id');
CREATE TRIGGER credentials_session_cache AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH ROW EXECUTE FUNCTION session_member_changed('user_id');
CREATE TRIGGER mutes_session_cache AFTER INSERT OR UPDATE OR DELETE ON mutes
    FOR EACH ROW EXECUTE FUNCTION session_member_changed('user_id');
CREATE TRIGGER mfa_totp_session_cache AFTER INSERT OR UPDATE OR DELETE ON mfa_totp
    FOR EACH ROW EXECUTE FUNCTION session_member_changed('user_id');
CREATE TRIGGER webauthn_credentials_session_cache AFTER INSERT OR UPDATE OR DELETE ON webauthn_credentials
    FOR EACH ROW EXECUTE FUNCTION session_member_changed('user_id');
CREATE TRIGGER consents_session_cache AFTER INSERT OR UPDATE OR DELETE ON consents
    FOR EACH ROW EXECUTE FUNCTION session_member_changed('user_id');
CREATE TRIGGER policy_documents_session_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy_documents
    FOR EACH STATEMENT EXECUTE FUNCTION session_everyone_changed();
-- The bell counts unread notifications of visible posts in visible
-- threads: a deleted notification, or a post or thread hidden or shown
-- again, changes it (the latter for whoever follows it: everyone).
CREATE TRIGGER notifications_session_cache_delete AFTER DELETE ON notifications
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION session_members_deleted('user_id');
CREATE TRIGGER posts_session_cache AFTER UPDATE OF visibility, deleted_at ON posts
    FOR EACH ROW WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION session_everyone_changed();
CREATE TRIGGER threads_session_cache AFTER UPDATE OF visibility ON threads
    FOR EACH ROW WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility)
    EXECUTE FUNCTION session_everyone_changed();

-- +goose Down
DROP TRIGGER threads_session_cache ON threads;
DROP TRIGGER posts_session_cache ON posts;
DROP TRIGGER notifications_session_cache_delete ON notifications;
DROP TRIGGER policy_documents_session_cache ON policy_documents;
DROP TRIGGER consents_session_cache ON consents;
DROP TRIGGER webauthn_credentials_session_cache ON webauthn_credentials;
DROP TRIGGER mfa_totp_session_cache ON mfa_totp;
DROP TRIGGER mutes_session_cache ON mutes;
DROP TRIGGER credentials_session_cache ON credentials;
DROP TRIGGER forum_moderators_session_cache ON forum_moderators;
DROP TRIGGER sessions_session_cache_delete ON sessions;
DROP TRIGGER sessions_session_cache ON sessions;
DROP TRIGGER users_session_cache ON users;
DROP FUNCTION session_everyone_changed();
DROP FUNCTION session_members_deleted();
DROP FUNCTION session_member_changed();
