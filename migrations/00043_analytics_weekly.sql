-- +goose Up
-- Staff who asked for a weekly summary of the analytics by e-mail
-- (app/analytics, weekly.go). last_week is the Monday of the last week
-- whose summary went out, so a retried run mails nobody twice.
CREATE TABLE analytics_weekly_subscribers (
    user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    last_week  date
);

-- +goose Down
DROP TABLE analytics_weekly_subscribers;
