-- +goose Up
-- A member's data exports (GDPR art. 20, app/export). A River job builds
-- the ZIP into the export store (disk or S3) under object_key; the member
-- gets an e-mailed link whose secret is stored only as an HMAC with the
-- server key (token_hash). The link works once (downloaded_at) and until
-- expires_at, after which the sweep deletes the object and marks the row
-- expired. Rows stay as the member's history of requests.
CREATE TABLE exports (
    id            bigserial   PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status        text        NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'building', 'ready', 'failed', 'expired')),
    progress      smallint    NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    object_key    text        CHECK (object_key ~ '^[0-9a-f]{32}$'),
    bytes         bigint,
    token_hash    bytea       UNIQUE,
    error         text        NOT NULL DEFAULT '', -- for the member, never internal details
    created_at    timestamptz NOT NULL,
    ready_at      timestamptz,
    downloaded_at timestamptz,
    expires_at    timestamptz,
    deleted_at    timestamptz, -- the object is gone from the store
    building_until timestamptz -- a builder's lease, extended as it goes: a rescued job waits while it is live
);
CREATE INDEX exports_user_idx ON exports (user_id, created_at DESC);
CREATE INDEX exports_live_idx ON exports (expires_at) WHERE deleted_at IS NULL AND object_key IS NOT NULL;

-- +goose Down
DROP TABLE exports;
