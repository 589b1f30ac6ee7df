-- +goose Up

-- One appeal per removal or suspension, decided by a moderator other than
-- the one who acted.
CREATE TABLE appeals (
    id              bigserial PRIMARY KEY,
    action_id       bigint      NOT NULL UNIQUE REFERENCES moderation_actions (id),
    member_id       bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text            text        NOT NULL,
    status          text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'upheld', 'overturned')),
    handler_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    decision_reason text        NOT NULL DEFAULT '',
    decided_at      timestamptz,
    created_at      timestamptz NOT NULL
);
CREATE INDEX appeals_open_idx ON appeals (created_at) WHERE status = 'open';

-- +goose Down
DROP TABLE appeals;
