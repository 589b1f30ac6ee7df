-- +goose Up
CREATE TABLE users (
    id                bigserial PRIMARY KEY,
    handle            text        NOT NULL,
    email             text,
    email_verified_at timestamptz,
    password_hash     text,
    role              text        NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'admin')),
    status            text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'banned')),
    suspended_until   timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- Handles and e-mail addresses are unique regardless of case.
CREATE UNIQUE INDEX users_handle_key ON users (lower(handle));
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email IS NOT NULL;

CREATE TABLE identities (
    id           bigserial PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider     text        NOT NULL,
    subject      text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, subject)
);
CREATE INDEX identities_user_idx ON identities (user_id);

CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    ip           text        NOT NULL DEFAULT '',
    user_agent   text        NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        NOT NULL,
    token_hash   bytea       NOT NULL UNIQUE,
    scope        text        NOT NULL CHECK (scope IN ('read', 'write')),
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- Single-use links sent by e-mail (verification, password reset).
CREATE TABLE account_tokens (
    id         bigserial PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash bytea       NOT NULL UNIQUE,
    email      text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- Fixed-window counters shared by every app instance.
CREATE TABLE rate_limits (
    key          text        NOT NULL,
    window_start timestamptz NOT NULL,
    count        integer     NOT NULL,
    PRIMARY KEY (key, window_start)
);

-- An OAuth/OpenID Connect sign-in in flight, bound to one browser.
CREATE TABLE oauth_attempts (
    state_hash   bytea PRIMARY KEY,
    browser_hash bytea       NOT NULL,
    provider     text        NOT NULL,
    session_data text        NOT NULL,
    expires_at   timestamptz NOT NULL
);

-- A verified external identity waiting for its owner to choose a handle.
CREATE TABLE oauth_pending (
    token_hash   bytea PRIMARY KEY,
    browser_hash bytea       NOT NULL,
    provider     text        NOT NULL,
    subject      text        NOT NULL,
    email        text        NOT NULL DEFAULT '',
    expires_at   timestamptz NOT NULL
);

CREATE TABLE audit_events (
    id          bigserial PRIMARY KEY,
    actor_id    bigint, -- no foreign key: the record outlives the account
    action      text        NOT NULL,
    target_kind text        NOT NULL DEFAULT '',
    target_id   bigint,
    reason      text        NOT NULL DEFAULT '',
    ip          text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_target_idx ON audit_events (target_kind, target_id);

-- The audit log is append-only: refuse updates and deletes outright.
-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- +goose Down
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE oauth_pending;
DROP TABLE oauth_attempts;
DROP TABLE rate_limits;
DROP TABLE account_tokens;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE identities;
DROP TABLE users;
