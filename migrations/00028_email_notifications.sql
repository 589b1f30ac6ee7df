-- +goose Up
-- E-mail about notifications (app/notify/email*.go). Every new notification
-- waits for the mail sweep (mail_pending), which sends it at once, keeps it
-- for a daily or weekly digest (digest), or lets it go, by the recipient's
-- preference for its category. Notifications written before this
-- migration are never mailed: the column starts false for them.
ALTER TABLE notifications ADD COLUMN mail_pending boolean NOT NULL DEFAULT false;
ALTER TABLE notifications ALTER COLUMN mail_pending SET DEFAULT true;
ALTER TABLE notifications ADD COLUMN digest text CHECK (digest IN ('daily', 'weekly'));
CREATE INDEX notifications_mail_pending_idx ON notifications (id) WHERE mail_pending;
CREATE INDEX notifications_digest_idx ON notifications (user_id, digest) WHERE digest IS NOT NULL;

-- A member's choice per category; a category without a row has its default.
CREATE TABLE email_preferences (
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category   text        NOT NULL,
    mode       text        NOT NULL CHECK (mode IN ('immediately', 'daily', 'weekly', 'never')),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, category)
);

-- When each member's last digest of a period went out.
CREATE TABLE email_digests (
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    period       text        NOT NULL CHECK (period IN ('daily', 'weekly')),
    last_sent_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, period)
);

-- Addresses that bounced or complained: notification mail to them stops
-- until their owner asks for it again or changes address. Kept by address
-- (lower case), so a report about an address no account uses still counts.
CREATE TABLE email_suppressions (
    address    text        PRIMARY KEY CHECK (address = lower(address)),
    reason     text        NOT NULL CHECK (reason IN ('bounce', 'complaint', 'manual')),
    created_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE email_suppressions;
DROP TABLE email_digests;
DROP TABLE email_preferences;
DROP INDEX notifications_digest_idx;
DROP INDEX notifications_mail_pending_idx;
ALTER TABLE notifications DROP COLUMN digest;
ALTER TABLE notifications DROP COLUMN mail_pending;
