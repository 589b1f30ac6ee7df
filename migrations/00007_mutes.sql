-- +goose Up

-- A member's mutes: the muted member's posts are collapsed for them and
-- send them no notifications. The muted member is never told.
CREATE TABLE mutes (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    muted_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, muted_id),
    CHECK (user_id <> muted_id)
);
CREATE INDEX mutes_muted_idx ON mutes (muted_id);

-- +goose Down
DROP TABLE mutes;
