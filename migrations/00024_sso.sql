-- +goose Up
-- An identity belongs to the issuer that vouched for it: the same subject
-- at another provider is another person. Rows of the generic "oidc"
-- provider keep an empty issuer until Kindred starts with that provider
-- configured and binds them to its issuer (auth.BindLegacyIdentities);
-- an empty issuer never matches a sign-in.
ALTER TABLE identities ADD COLUMN issuer text NOT NULL DEFAULT '';
UPDATE identities SET issuer = 'https://accounts.google.com' WHERE provider = 'google';
UPDATE identities SET issuer = 'https://github.com' WHERE provider = 'github';
ALTER TABLE identities DROP CONSTRAINT identities_provider_subject_key;
ALTER TABLE identities ADD CONSTRAINT identities_provider_issuer_subject_key UNIQUE (provider, issuer, subject);

-- Accounts a provider created with "SSO only": no local password and no
-- API tokens unless an admin allows them.
ALTER TABLE users ADD COLUMN sso_only boolean NOT NULL DEFAULT false;

-- What a session knows of how it began: when its owner last proved who
-- they are (sensitive actions ask again after a while), and for a
-- provider sign-in, the identity, the provider's session id (back-channel
-- logout) and the id_token to name at the provider's logout.
ALTER TABLE sessions
    ADD COLUMN authenticated_at timestamptz,
    ADD COLUMN identity_id      bigint REFERENCES identities (id) ON DELETE SET NULL,
    ADD COLUMN provider_sid     text NOT NULL DEFAULT '',
    ADD COLUMN id_token_hint    text NOT NULL DEFAULT '';
UPDATE sessions SET authenticated_at = created_at;
ALTER TABLE sessions ALTER COLUMN authenticated_at SET NOT NULL;
CREATE INDEX sessions_identity_idx ON sessions (identity_id) WHERE identity_id IS NOT NULL;

-- An attempt now keeps its PKCE verifier and nonce, what it is for, and
-- where to go afterwards. Attempts live ten minutes: old ones are dropped.
DELETE FROM oauth_attempts;
ALTER TABLE oauth_attempts
    DROP COLUMN session_data,
    ADD COLUMN purpose       text        NOT NULL DEFAULT 'signin' CHECK (purpose IN ('signin', 'reauth', 'link')),
    ADD COLUMN user_id       bigint REFERENCES users (id) ON DELETE CASCADE,
    ADD COLUMN code_verifier text        NOT NULL,
    ADD COLUMN nonce         text        NOT NULL,
    ADD COLUMN next_path     text        NOT NULL DEFAULT '/',
    ADD COLUMN created_at    timestamptz NOT NULL DEFAULT now();

DELETE FROM oauth_pending;
ALTER TABLE oauth_pending
    ADD COLUMN issuer        text    NOT NULL,
    ADD COLUMN role          text    NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'moderator', 'admin')),
    ADD COLUMN sso_only      boolean NOT NULL DEFAULT false,
    ADD COLUMN provider_sid  text    NOT NULL DEFAULT '',
    ADD COLUMN id_token_hint text    NOT NULL DEFAULT '',
    ADD COLUMN next_path     text    NOT NULL DEFAULT '/';

-- A suspended member who signed in at their provider appeals with a
-- short-lived ticket instead of a password they may not have.
ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check CHECK (purpose IN ('verify_email', 'reset_password', 'appeal'));

-- +goose Down
DELETE FROM account_tokens WHERE purpose = 'appeal';
ALTER TABLE account_tokens DROP CONSTRAINT account_tokens_purpose_check;
ALTER TABLE account_tokens ADD CONSTRAINT account_tokens_purpose_check CHECK (purpose IN ('verify_email', 'reset_password'));
DELETE FROM oauth_pending;
ALTER TABLE oauth_pending DROP COLUMN issuer, DROP COLUMN role, DROP COLUMN sso_only,
    DROP COLUMN provider_sid, DROP COLUMN id_token_hint, DROP COLUMN next_path;
DELETE FROM oauth_attempts;
ALTER TABLE oauth_attempts DROP COLUMN purpose, DROP COLUMN user_id, DROP COLUMN code_verifier,
    DROP COLUMN nonce, DROP COLUMN next_path, DROP COLUMN created_at,
    ADD COLUMN session_data text NOT NULL DEFAULT '';
DROP INDEX sessions_identity_idx;
ALTER TABLE sessions DROP COLUMN authenticated_at, DROP COLUMN identity_id, DROP COLUMN provider_sid, DROP COLUMN id_token_hint;
ALTER TABLE users DROP COLUMN sso_only;
-- Identities of the same subject at two issuers cannot both survive the old key.
DELETE FROM identities a USING identities b
    WHERE a.provider = b.provider AND a.subject = b.subject AND a.id > b.id;
ALTER TABLE identities DROP CONSTRAINT identities_provider_issuer_subject_key;
ALTER TABLE identities ADD CONSTRAINT identities_provider_subject_key UNIQUE (provider, subject);
ALTER TABLE identities DROP COLUMN issuer;
