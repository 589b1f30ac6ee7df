-- +goose Up

-- A private question's whole life: the pool it waits in and for how long,
-- the answer deadline after a clinician takes it, the quiet period after
-- which an answered question closes, and what the next clinician may read
-- when the question changes hands.
ALTER TABLE questions
    ADD COLUMN crisis             boolean     NOT NULL DEFAULT false, -- crisis words in the question
    ADD COLUMN waiting_since      timestamptz,                         -- asked or lost its clinician; no clinician holds it since
    ADD COLUMN pool_level         int         NOT NULL DEFAULT 4,      -- widest routing level that sees it in the pool
    ADD COLUMN wait_alerted_at    timestamptz,                         -- admins were told it waits too long
    ADD COLUMN accepted_at        timestamptz,                         -- the current assignee took it
    ADD COLUMN answer_by          timestamptz,                         -- the current assignee's answer deadline
    ADD COLUMN answer_reminded_at timestamptz,
    ADD COLUMN answered_at        timestamptz,                         -- the first answer
    ADD COLUMN last_message_at    timestamptz,
    ADD COLUMN closed_at          timestamptz,
    ADD COLUMN auto_closed        boolean     NOT NULL DEFAULT false,
    -- Messages up to history_cutoff were written before the question changed
    -- hands: the new clinician reads them only if the asker shares them.
    ADD COLUMN history_cutoff     bigint      NOT NULL DEFAULT 0,
    ADD COLUMN share_history      boolean     NOT NULL DEFAULT false;

CREATE INDEX questions_answer_by_idx ON questions (answer_by) WHERE status = 'assigned';
CREATE INDEX questions_waiting_idx ON questions (waiting_since) WHERE status IN ('offered', 'pool');
CREATE INDEX questions_quiet_idx ON questions (last_message_at) WHERE status = 'answered';
CREATE INDEX questions_open_asker_idx ON questions (asker_id) WHERE status IN ('offered', 'pool', 'assigned', 'answered');

-- A clinician may be offered a question again in a later round (the pool,
-- after a cooling period): at most one pending offer per question instead.
ALTER TABLE question_offers DROP CONSTRAINT question_offers_question_id_clinician_id_key;
CREATE UNIQUE INDEX question_offers_one_pending_idx ON question_offers (question_id) WHERE outcome = 'pending';
CREATE INDEX question_offers_question_idx ON question_offers (question_id, clinician_id);
ALTER TABLE question_offers DROP CONSTRAINT question_offers_outcome_check;
ALTER TABLE question_offers ADD CONSTRAINT question_offers_outcome_check
    CHECK (outcome IN ('pending', 'accepted', 'declined', 'timed_out', 'withdrawn',
                       'handed_back', 'answer_timed_out', 'released'));
-- The clinician's reason for handing a question back (never shown to the asker).
ALTER TABLE question_offers ADD COLUMN reason text NOT NULL DEFAULT '';

-- When each clinician was last offered (or took) a question, for the
-- routing order "longest since the last offer": one row per clinician,
-- kept by a trigger, so routing among everyone reads a join, not a lookup
-- per clinician.
CREATE TABLE question_clinician_stats (
    user_id         bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_offered_at timestamptz NOT NULL
);
INSERT INTO question_clinician_stats (user_id, last_offered_at)
    SELECT clinician_id, max(offered_at) FROM question_offers GROUP BY clinician_id;
-- +goose StatementBegin
CREATE FUNCTION question_offers_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO question_clinician_stats (user_id, last_offered_at) VALUES (NEW.clinician_id, NEW.offered_at)
    ON CONFLICT (user_id) DO UPDATE SET last_offered_at = greatest(question_clinician_stats.last_offered_at, excluded.last_offered_at);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER question_offers_stats AFTER INSERT ON question_offers FOR EACH ROW EXECUTE FUNCTION question_offers_stats();

-- Generalists take questions that no specialist could; a clinician whose
-- offers time out again and again is paused until they turn questions on.
ALTER TABLE clinician_settings
    ADD COLUMN generalist boolean NOT NULL DEFAULT false,
    ADD COLUMN paused_at  timestamptz;

-- Existing pooled questions entered the pool when they were last updated.
UPDATE questions SET waiting_since = updated_at, pool_level = 4 WHERE status = 'pool';
UPDATE questions SET waiting_since = coalesce(offered_at, updated_at) WHERE status = 'offered';
UPDATE questions SET accepted_at = updated_at WHERE status IN ('assigned', 'answered', 'closed');
UPDATE questions SET last_message_at = (SELECT max(created_at) FROM question_messages m WHERE m.question_id = questions.id);
UPDATE questions SET answered_at = updated_at WHERE status IN ('answered', 'closed') AND answered_at IS NULL;
UPDATE questions SET closed_at = updated_at WHERE status IN ('closed', 'withdrawn');

-- +goose Down
DROP TRIGGER question_offers_stats ON question_offers;
DROP FUNCTION question_offers_stats();
DROP TABLE question_clinician_stats;
ALTER TABLE clinician_settings DROP COLUMN paused_at, DROP COLUMN generalist;
ALTER TABLE question_offers DROP COLUMN reason;
ALTER TABLE question_offers DROP CONSTRAINT question_offers_outcome_check;
UPDATE question_offers SET outcome = 'accepted' WHERE outcome IN ('handed_back', 'answer_timed_out', 'released');
ALTER TABLE question_offers ADD CONSTRAINT question_offers_outcome_check
    CHECK (outcome IN ('pending', 'accepted', 'declined', 'timed_out', 'withdrawn'));
DROP INDEX question_offers_question_idx;
DROP INDEX question_offers_one_pending_idx;
DELETE FROM question_offers o USING question_offers o2
    WHERE o.question_id = o2.question_id AND o.clinician_id = o2.clinician_id AND o.id > o2.id;
ALTER TABLE question_offers ADD CONSTRAINT question_offers_question_id_clinician_id_key UNIQUE (question_id, clinician_id);
DROP INDEX questions_open_asker_idx;
DROP INDEX questions_quiet_idx;
DROP INDEX questions_waiting_idx;
DROP INDEX questions_answer_by_idx;
ALTER TABLE questions
    DROP COLUMN share_history, DROP COLUMN history_cutoff, DROP COLUMN auto_closed, DROP COLUMN closed_at,
    DROP COLUMN last_message_at, DROP COLUMN answered_at, DROP COLUMN answer_reminded_at, DROP COLUMN answer_by,
    DROP COLUMN accepted_at, DROP COLUMN wait_alerted_at, DROP COLUMN pool_level, DROP COLUMN waiting_since, DROP COLUMN crisis;
