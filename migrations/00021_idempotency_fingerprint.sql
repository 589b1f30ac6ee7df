-- +goose Up
-- The fingerprint (SHA-256 of kind, place and checked form) of the request
-- that first used a key: the same key with another request is refused
-- instead of answered with the first result. Keys from before stay NULL
-- and are judged by their kind alone.
ALTER TABLE idempotency_keys ADD COLUMN request_hash text;

-- +goose Down
ALTER TABLE idempotency_keys DROP COLUMN request_hash;
