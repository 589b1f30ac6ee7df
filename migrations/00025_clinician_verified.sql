-- +goose Up
-- "A verified clinician now" is written once: a credential counts while
-- its status is verified and its verification has not run out at the
-- given instant (the caller's clock, so tests and jobs agree with Go's
-- models.Credential.VerifiedAt). A plain SQL expression: PostgreSQL
-- inlines it, so the queries that use it keep their indexes.
-- +goose StatementBegin
CREATE FUNCTION clinician_verified(status text, verified_until timestamptz, at timestamptz) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status = 'verified' AND verified_until IS NOT NULL AND verified_until > at $$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION clinician_verified(text, timestamptz, timestamptz);
