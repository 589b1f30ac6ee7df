-- +goose Up

-- A member's private question. Only the asker and the current assignee may
-- read it; status moves offered → assigned → answered → closed, with the
-- pool for questions nobody took in time, and withdrawn at the asker's wish.
CREATE TABLE questions (
    id                  bigserial PRIMARY KEY,
    asker_id            bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    forum_id            bigint      NOT NULL REFERENCES forums (id),
    specialty           text REFERENCES specialties (code),
    title               text        NOT NULL,
    body                text        NOT NULL,
    body_html           text        NOT NULL,
    status              text        NOT NULL
        CHECK (status IN ('offered', 'pool', 'assigned', 'answered', 'closed', 'withdrawn')),
    assignee_id         bigint REFERENCES users (id) ON DELETE SET NULL, -- the offeree while offered
    offered_at          timestamptz,
    respond_by          timestamptz,
    attempts            int         NOT NULL DEFAULT 0,
    not_emergency       boolean     NOT NULL DEFAULT false, -- the asker confirmed after the urgent-symptom warning
    rating              text CHECK (rating IN ('helpful', 'not_helpful')),
    publish_consent     boolean     NOT NULL DEFAULT false, -- given by the clinician who answered
    published_thread_id bigint REFERENCES threads (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CHECK (status NOT IN ('offered', 'assigned', 'answered') OR assignee_id IS NOT NULL)
);
CREATE INDEX questions_asker_idx ON questions (asker_id, id DESC);
CREATE INDEX questions_assignee_idx ON questions (assignee_id, status);
CREATE INDEX questions_pool_idx ON questions (created_at, id) WHERE status = 'pool';

-- Every offer of a question to a clinician: a clinician is never offered
-- the same question twice.
CREATE TABLE question_offers (
    id           bigserial PRIMARY KEY,
    question_id  bigint      NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    clinician_id bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    offered_at   timestamptz NOT NULL,
    respond_by   timestamptz NOT NULL,
    outcome      text        NOT NULL DEFAULT 'pending'
        CHECK (outcome IN ('pending', 'accepted', 'declined', 'timed_out', 'withdrawn')),
    decided_at   timestamptz,
    UNIQUE (question_id, clinician_id)
);
CREATE INDEX question_offers_clinician_idx ON question_offers (clinician_id, offered_at DESC);

-- The conversation between asker and assignee.
CREATE TABLE question_messages (
    id          bigserial PRIMARY KEY,
    question_id bigint      NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    author_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body        text        NOT NULL,
    body_html   text        NOT NULL,
    info_request boolean    NOT NULL DEFAULT false, -- the clinician asks for more information
    created_at  timestamptz NOT NULL
);
CREATE INDEX question_messages_question_idx ON question_messages (question_id, id);

-- The status timeline the asker sees.
CREATE TABLE question_events (
    id          bigserial PRIMARY KEY,
    question_id bigint      NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    kind        text        NOT NULL,
    status      text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX question_events_question_idx ON question_events (question_id, id);

ALTER TABLE notifications ADD COLUMN question_id bigint REFERENCES questions (id) ON DELETE CASCADE;

-- Routing reads verified clinicians by specialty.
CREATE INDEX credentials_verified_specialties_idx ON credentials USING gin (specialties) WHERE status = 'verified';

-- +goose Down
DROP INDEX credentials_verified_specialties_idx;
ALTER TABLE notifications DROP COLUMN question_id;
DROP TABLE question_events;
DROP TABLE question_messages;
DROP TABLE question_offers;
DROP TABLE questions;
