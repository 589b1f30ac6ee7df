-- +goose Up
-- Erasure (app/privacy): a member's account is erased after a grace period
-- (or at once, by an admin on request). The users row stays as a
-- pseudonymous tombstone (status 'erased', a random handle, nothing else),
-- so that moderation records and the append-only audit log keep a
-- pseudonymous id and every foreign key still holds; everything else of
-- the member is deleted by the owner of each table.
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'suspended', 'banned', 'erased'));

CREATE TABLE erasure_requests (
    user_id      bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- delete: their posts are removed; anonymise: kept, shown as "a
    -- former member".
    mode         text        NOT NULL CHECK (mode IN ('delete', 'anonymise')),
    -- 'member' (their own request, or withdrawing consent), 'admin' (on
    -- their request, with a reason in the audit log).
    requested_by text        NOT NULL CHECK (requested_by IN ('member', 'admin')),
    requested_at timestamptz NOT NULL,
    due_at       timestamptz NOT NULL
);
CREATE INDEX erasure_requests_due_idx ON erasure_requests (due_at);

-- Retention (app/privacy, app/audit): the audit log stays append-only,
-- except for the retention job, which says so for its own transaction
-- (SET LOCAL kindred.retention = 'on') and may then delete events past
-- the retention limit and blank the IP address of older ones, nothing else.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('kindred.retention', true) = 'on' THEN
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF NEW.ip = '' AND (to_jsonb(NEW) - 'ip') = (to_jsonb(OLD) - 'ip') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE INDEX audit_events_created_idx ON audit_events (created_at);

-- +goose Down
DROP INDEX audit_events_created_idx;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd
DROP TABLE erasure_requests;
UPDATE users SET status = 'banned' WHERE status = 'erased';
ALTER TABLE users DROP CONSTRAINT users_status_check;
ALTER TABLE users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'suspended', 'banned'));
