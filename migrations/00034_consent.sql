-- +goose Up
-- Consent (app/privacy): the terms and the privacy notice are
-- admin-edited Markdown with versions; every agreement, and the explicit
-- consent to processing health information, is recorded with its version
-- and time. A new version asks signed-in members again.
CREATE TABLE policy_documents (
    id           bigserial PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('terms', 'privacy')),
    version      integer     NOT NULL CHECK (version > 0),
    body         text        NOT NULL,
    body_html    text        NOT NULL,
    published_at timestamptz NOT NULL,
    published_by bigint, -- no foreign key: the text outlives the admin's account
    UNIQUE (kind, version)
);

CREATE TABLE consents (
    id           bigserial PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- terms and privacy: agreement to that document's version; health_data:
    -- explicit consent to processing health information (version of the
    -- privacy notice it was given under).
    kind         text        NOT NULL CHECK (kind IN ('terms', 'privacy', 'health_data')),
    version      integer     NOT NULL,
    agreed_at    timestamptz NOT NULL,
    withdrawn_at timestamptz
);
CREATE INDEX consents_user_idx ON consents (user_id, kind, version);

-- The first versions, written for Kindred; admins replace them under
-- Admin → Terms and privacy.
INSERT INTO policy_documents (kind, version, body, body_html, published_at) VALUES
('terms', 1, E'# Terms of use\n\nKindred is a place for peer support between people living with health conditions and the people who care for them.\n\n- **Peer support, not medical care.** What members write is their own experience. Verified clinicians answer as individuals. In an emergency, call your local emergency number.\n- **Be kind.** No harassment, no selling, no sharing anyone''s private details.\n- **Moderators** may hide or remove posts and suspend accounts that break these terms; you can appeal every decision.\n- **Your content stays yours.** You let Kindred show it to the people each forum is for. You can delete it, and your account, at any time.',
 E'<h1>Terms of use</h1>\n<p>Kindred is a place for peer support between people living with health conditions and the people who care for them.</p>\n<ul>\n<li><strong>Peer support, not medical care.</strong> What members write is their own experience. Verified clinicians answer as individuals. In an emergency, call your local emergency number.</li>\n<li><strong>Be kind.</strong> No harassment, no selling, no sharing anyone''s private details.</li>\n<li><strong>Moderators</strong> may hide or remove posts and suspend accounts that break these terms; you can appeal every decision.</li>\n<li><strong>Your content stays yours.</strong> You let Kindred show it to the people each forum is for. You can delete it, and your account, at any time.</li>\n</ul>', now()),
('privacy', 1, E'# Privacy notice\n\nKindred holds health information about you: what you write in forums, private messages and private questions. We use it only to run this community.\n\n- **Who sees what.** Public forums are public; sensitive forums are for members; private questions are for you and the clinician who takes them; private messages are for the people in the conversation. Moderators read a private message or question only while a report on it is open, and you can see when they did.\n- **E-mail** never carries what you wrote in members-only or private places.\n- **Your rights.** You can download everything we hold about you, see who read your private data, withdraw your consent and delete your account from your account settings.\n- **Retention.** IP addresses are kept 30 days, read notifications 90 days, audit records six years; the operator may set other limits.',
 E'<h1>Privacy notice</h1>\n<p>Kindred holds health information about you: what you write in forums, private messages and private questions. We use it only to run this community.</p>\n<ul>\n<li><strong>Who sees what.</strong> Public forums are public; sensitive forums are for members; private questions are for you and the clinician who takes them; private messages are for the people in the conversation. Moderators read a private message or question only while a report on it is open, and you can see when they did.</li>\n<li><strong>E-mail</strong> never carries what you wrote in members-only or private places.</li>\n<li><strong>Your rights.</strong> You can download everything we hold about you, see who read your private data, withdraw your consent and delete your account from your account settings.</li>\n<li><strong>Retention.</strong> IP addresses are kept 30 days, read notifications 90 days, audit records six years; the operator may set other limits.</li>\n</ul>', now());

-- +goose Down
DROP TABLE consents;
DROP TABLE policy_documents;
