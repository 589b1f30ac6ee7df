-- +goose Up

-- Personal API tokens may end on a date their owner chooses.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN expires_at;
