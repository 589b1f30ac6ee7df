-- +goose Up

-- Moderators on duty are alerted at once when someone may be in imminent
-- danger; one toggle each, on unless they turn it off.
ALTER TABLE users ADD COLUMN on_duty boolean NOT NULL DEFAULT true;

-- What each crisis level leads to in a forum. No row for a level: Kindred's
-- defaults (app/safety.DefaultCrisisActions).
CREATE TABLE forum_crisis_actions (
    forum_id   bigint      NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
    level      text        NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    actions    text[]      NOT NULL DEFAULT '{}'
        CHECK (actions <@ ARRAY['show_resources', 'show_check_in', 'report', 'priority_report', 'alert_on_duty', 'flag']::text[]),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (forum_id, level)
);

-- Imminent crisis reports go above everything else in the queue.
ALTER TABLE reports ADD COLUMN priority smallint NOT NULL DEFAULT 0;

-- The follow-up of one crisis report: acknowledged (who, when, how long it
-- waited), a note on how a moderator reached out, closed; escalated to the
-- admins once when nobody acknowledged it in time.
CREATE TABLE crisis_followups (
    report_id        bigint PRIMARY KEY REFERENCES reports (id) ON DELETE CASCADE,
    level            text        NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    acknowledged_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    acknowledged_at  timestamptz,
    ack_seconds      integer, -- from the report to the acknowledgement, for analytics
    reached_out_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    reached_out_at   timestamptz,
    reached_out_note text        NOT NULL DEFAULT '',
    closed_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    closed_at        timestamptz,
    escalated_at     timestamptz,
    created_at       timestamptz NOT NULL
);
CREATE INDEX crisis_followups_waiting_idx ON crisis_followups (created_at)
    WHERE acknowledged_at IS NULL AND escalated_at IS NULL AND closed_at IS NULL;

-- What the safety engine found in a post or thread: never the text, only
-- where (byte spans into the text as written), why and by which engine.
CREATE TABLE safety_findings (
    id             bigserial PRIMARY KEY,
    target_kind    text        NOT NULL CHECK (target_kind IN ('post', 'thread')),
    target_id      bigint      NOT NULL,
    report_id      bigint REFERENCES reports (id) ON DELETE SET NULL,
    detector       text        NOT NULL,
    category       text        NOT NULL,
    level          text        NOT NULL CHECK (level IN ('low', 'medium', 'high')),
    spans          jsonb       NOT NULL DEFAULT '[]',
    rule           text        NOT NULL,
    context        text        NOT NULL DEFAULT '',
    engine_version text        NOT NULL,
    text_length    integer     NOT NULL, -- of the text the spans point into
    created_at     timestamptz NOT NULL
);
CREATE INDEX safety_findings_target_idx ON safety_findings (target_kind, target_id, created_at DESC);

-- +goose Down
DROP TABLE safety_findings;
DROP TABLE crisis_followups;
ALTER TABLE reports DROP COLUMN priority;
DROP TABLE forum_crisis_actions;
ALTER TABLE users DROP COLUMN on_duty;
