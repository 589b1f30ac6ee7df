-- +goose Up

-- The member's time zone (an IANA name such as America/Toronto; '' =
-- not chosen yet: times show in UTC, and the browser offers its own).
ALTER TABLE users ADD COLUMN time_zone text NOT NULL DEFAULT '' CHECK (length(time_zone) <= 64);

-- +goose Down
ALTER TABLE users DROP COLUMN time_zone;
