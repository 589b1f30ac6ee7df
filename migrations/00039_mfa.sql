-- +goose Up

-- Strong sign-in (app/auth, docs/architecture.md "Strong sign-in").

-- A session waiting for its second factor (mfa_pending) is good for
-- nothing but the second step; mfa_at is when this session's owner last
-- proved a second factor.
ALTER TABLE sessions ADD COLUMN mfa_pending boolean NOT NULL DEFAULT false;
ALTER TABLE sessions ADD COLUMN mfa_at timestamptz;
-- The challenge of a passkey ceremony in progress (go-webauthn's session
-- data), kept server-side with the session that began it.
ALTER TABLE sessions ADD COLUMN webauthn_state jsonb;

-- One authenticator app per account. The secret is sealed with AES-GCM
-- under a key derived from KINDRED_SECRET_KEY, so a copy of the database
-- yields no working codes. last_step is the last 30-second step a code was
-- accepted for: a code (step) is never accepted twice.
CREATE TABLE mfa_totp (
    user_id      bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_enc   bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    confirmed_at timestamptz,
    last_step    bigint      NOT NULL DEFAULT 0
);

-- Ten single-use recovery codes, kept as HMAC-SHA256 under the server key.
CREATE TABLE mfa_recovery_codes (
    id         bigserial   PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    used_at    timestamptz,
    UNIQUE (user_id, code_hash)
);

-- Passkeys and security keys (WebAuthn), used as a second factor. record is
-- go-webauthn's credential (public key, flags, authenticator data): nothing
-- in it signs anything in.
CREATE TABLE webauthn_credentials (
    id            bigserial   PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id bytea       NOT NULL UNIQUE,
    public_key    bytea       NOT NULL,
    sign_count    bigint      NOT NULL DEFAULT 0,
    transports    text[]      NOT NULL DEFAULT '{}',
    name          text        NOT NULL,
    record        jsonb       NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz
);
CREATE INDEX webauthn_credentials_user_idx ON webauthn_credentials (user_id);

-- +goose Down
DROP TABLE webauthn_credentials;
DROP TABLE mfa_recovery_codes;
DROP TABLE mfa_totp;
ALTER TABLE sessions DROP COLUMN webauthn_state;
ALTER TABLE sessions DROP COLUMN mfa_at;
ALTER TABLE sessions DROP COLUMN mfa_pending;
