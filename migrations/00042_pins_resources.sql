-- +goose Up
-- Pinned threads (app/forums, pins.go). threads.pinned already existed
-- (the forum listing sorts by it); pinned_globally_at marks the threads an
-- admin pinned on the home page, in the order they were pinned. Only
-- visible threads are shown or counted as pinned: a thread that is hidden
-- keeps its marks, which come back with it if it is restored.
ALTER TABLE threads ADD COLUMN pinned_globally_at timestamptz;
CREATE INDEX threads_pinned_globally_idx ON threads (pinned_globally_at DESC) WHERE pinned_globally_at IS NOT NULL;
CREATE INDEX threads_pinned_idx ON threads (forum_id) WHERE pinned;

-- Forum resources (app/forums, resources.go): a short list of links per
-- forum, proposed by its moderators and reviewed by a verified clinician.
-- title/url/note are the latest proposal; shown_* are the version a
-- clinician approved, kept on the page while an edit waits for review.
-- The approval shows only while reviewed_by is verified now (computed when
-- read, as the post badge is): a reviewer who loses verification, or whose
-- account is erased (reviewed_by NULL), leaves the resource needing review.
CREATE TABLE forum_resources (
    id             bigserial   PRIMARY KEY,
    forum_id       bigint      NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
    title          text        NOT NULL CHECK (char_length(title) BETWEEN 1 AND 120),
    url            text        NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    note           text        NOT NULL DEFAULT '' CHECK (char_length(note) <= 300),
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'returned')),
    proposed_by    bigint      REFERENCES users (id) ON DELETE SET NULL,
    proposed_at    timestamptz NOT NULL,
    shown_title    text,
    shown_url      text,
    shown_note     text,
    reviewed_by    bigint      REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at    timestamptz,
    return_reason  text        NOT NULL DEFAULT '' CHECK (char_length(return_reason) <= 500),
    returned_by    bigint      REFERENCES users (id) ON DELETE SET NULL,
    position       integer     NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL
);
CREATE INDEX forum_resources_forum_idx ON forum_resources (forum_id, position, id);
CREATE INDEX forum_resources_review_idx ON forum_resources (proposed_at) WHERE status = 'pending';
CREATE INDEX forum_resources_proposed_by_idx ON forum_resources (proposed_by) WHERE proposed_by IS NOT NULL;
CREATE INDEX forum_resources_reviewed_by_idx ON forum_resources (reviewed_by) WHERE reviewed_by IS NOT NULL;
CREATE INDEX forum_resources_returned_by_idx ON forum_resources (returned_by) WHERE returned_by IS NOT NULL;

-- +goose Down
DROP TABLE forum_resources;
DROP INDEX threads_pinned_idx;
DROP INDEX threads_pinned_globally_idx;
ALTER TABLE threads DROP COLUMN pinned_globally_at;
