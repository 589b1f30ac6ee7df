-- +goose Up

-- The vocabularies of a credential. Admins extend them; codes never change
-- once used, labels may.
CREATE TABLE professions (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    label      text        NOT NULL UNIQUE,
    position   int         NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO professions (code, label, position) VALUES
    ('physician', 'Physician', 10),
    ('nurse-practitioner', 'Nurse practitioner', 20),
    ('registered-nurse', 'Registered nurse', 30),
    ('physician-assistant', 'Physician assistant', 40),
    ('pharmacist', 'Pharmacist', 50),
    ('dietitian', 'Dietitian', 60),
    ('psychologist', 'Psychologist', 70),
    ('social-worker', 'Social worker', 80),
    ('therapist', 'Therapist', 90),
    ('other', 'Other', 1000);

CREATE TABLE specialties (
    code       text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    label      text        NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO specialties (code, label) VALUES
    ('allergy', 'Allergy and immunology'),
    ('cardiology', 'Cardiology'),
    ('dermatology', 'Dermatology'),
    ('dietetics', 'Dietetics and nutrition'),
    ('endocrinology', 'Endocrinology'),
    ('family-medicine', 'Family medicine'),
    ('gastroenterology', 'Gastroenterology'),
    ('geriatrics', 'Geriatrics'),
    ('nephrology', 'Nephrology'),
    ('neurology', 'Neurology'),
    ('obstetrics-gynaecology', 'Obstetrics and gynaecology'),
    ('oncology', 'Oncology'),
    ('paediatrics', 'Paediatrics'),
    ('palliative-care', 'Palliative care'),
    ('pharmacy', 'Pharmacy'),
    ('psychiatry', 'Psychiatry'),
    ('psychology', 'Psychology'),
    ('rehabilitation', 'Rehabilitation medicine'),
    ('respiratory', 'Respiratory medicine'),
    ('rheumatology', 'Rheumatology'),
    ('sexual-health', 'Sexual health');

-- Forum specialties become codes of that list: existing free-text values
-- are turned into codes and added to it, so nothing is lost.
UPDATE forums SET specialties = ARRAY(
    SELECT DISTINCT trim(both '-' from lower(regexp_replace(s, '[^A-Za-z0-9]+', '-', 'g')))
    FROM unnest(specialties) s WHERE trim(s) <> '');
INSERT INTO specialties (code, label)
    SELECT DISTINCT s, initcap(replace(s, '-', ' ')) FROM forums, unnest(specialties) s
    WHERE s ~ '^[a-z][a-z0-9-]{1,39}$'
    ON CONFLICT DO NOTHING;

-- Licensing authorities. register_url is a template: {licence} becomes the
-- URL-escaped licence number, so reviewers open the public register entry.
CREATE TABLE jurisdictions (
    code         text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    name         text        NOT NULL UNIQUE,
    register_url text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per application. Status moves pending → verified | rejected |
-- withdrawn, verified → revoked | expired; every move is audited.
CREATE TABLE credentials (
    id                  bigserial PRIMARY KEY,
    user_id             bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    profession          text        NOT NULL REFERENCES professions (code),
    specialties         text[]      NOT NULL DEFAULT '{}',
    licence_number      text        NOT NULL,
    jurisdiction        text        NOT NULL REFERENCES jurisdictions (code),
    licence_expires     date        NOT NULL,
    status              text        NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'verified', 'rejected', 'withdrawn', 'revoked', 'expired')),
    reason              text        NOT NULL DEFAULT '', -- given with the latest decision
    submitted_at        timestamptz NOT NULL,
    reviewer_id         bigint REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at         timestamptz, -- approval, rejection or withdrawal
    verified_until      timestamptz,
    ended_at            timestamptz, -- revocation or expiry
    reminder_sent_at    timestamptz,
    document_file       text, -- random name in the document directory
    document_type       text,
    document_size       bigint,
    document_deleted_at timestamptz,
    CHECK (status <> 'verified' OR verified_until IS NOT NULL)
);
-- At most one pending application and one verification per member (a
-- verified clinician may have a renewal pending).
CREATE UNIQUE INDEX credentials_pending_idx ON credentials (user_id) WHERE status = 'pending';
CREATE UNIQUE INDEX credentials_verified_idx ON credentials (user_id) WHERE status = 'verified';
CREATE INDEX credentials_user_idx ON credentials (user_id, id DESC);
CREATE INDEX credentials_queue_idx ON credentials (submitted_at, id) WHERE status = 'pending';
CREATE INDEX credentials_due_idx ON credentials (verified_until) WHERE status = 'verified';
CREATE INDEX credentials_documents_idx ON credentials (reviewed_at) WHERE document_file IS NOT NULL AND document_deleted_at IS NULL;

-- What a clinician accepts from private-question routing.
CREATE TABLE clinician_settings (
    user_id             bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    accepting_questions boolean     NOT NULL DEFAULT false,
    max_open_questions  int         NOT NULL DEFAULT 5 CHECK (max_open_questions BETWEEN 1 AND 50),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Admins grant the reviewer permission to trusted members.
ALTER TABLE users ADD COLUMN reviewer boolean NOT NULL DEFAULT false;

-- State changes record where they came from and went to.
ALTER TABLE audit_events ADD COLUMN from_state text NOT NULL DEFAULT '';
ALTER TABLE audit_events ADD COLUMN to_state text NOT NULL DEFAULT '';

-- Notifications about a credential rather than a post.
ALTER TABLE notifications ADD COLUMN credential_id bigint REFERENCES credentials (id) ON DELETE CASCADE;

-- Forum pages filtered to threads a clinician answered.
CREATE INDEX threads_forum_answered_idx ON threads (forum_id, pinned DESC, last_post_at DESC, id DESC)
    WHERE visibility = 'visible' AND has_clinician_answer;

-- +goose Down
DROP INDEX threads_forum_answered_idx;
ALTER TABLE notifications DROP COLUMN credential_id;
ALTER TABLE audit_events DROP COLUMN to_state;
ALTER TABLE audit_events DROP COLUMN from_state;
ALTER TABLE users DROP COLUMN reviewer;
DROP TABLE clinician_settings;
DROP TABLE credentials;
DROP TABLE jurisdictions;
DROP TABLE specialties;
DROP TABLE professions;
