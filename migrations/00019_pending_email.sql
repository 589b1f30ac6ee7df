-- +goose Up

-- An account made by a sign-up whose address another account already uses
-- keeps the address here, never confirmed, so that sign-up answers the
-- same whether or not an address is in use (the owner is told by e-mail).
ALTER TABLE users ADD COLUMN pending_email text CHECK (length(pending_email) <= 254);

-- +goose Down
ALTER TABLE users DROP COLUMN pending_email;
