-- +goose Up

-- Tags a thread's author gives it (at most five short lowercase words),
-- shown on the thread and filterable in search.
ALTER TABLE threads ADD COLUMN tags text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(tags) <= 5);
CREATE INDEX threads_tags_idx ON threads USING gin (tags);

-- Synonym groups admins add on top of the synonyms file in the repo: every
-- term of a group finds the others.
CREATE TABLE search_synonyms (
    id         bigserial PRIMARY KEY,
    terms      text[]      NOT NULL CHECK (cardinality(terms) BETWEEN 2 AND 10),
    created_by bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- "Clinician answered" follows what readers can see: when a verified
-- clinician's reply is hidden, removed, deleted or approved, the thread's
-- mark is worked out again.
-- +goose StatementBegin
CREATE FUNCTION refresh_clinician_answer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE threads t SET has_clinician_answer = EXISTS (
        SELECT 1 FROM posts p
        WHERE p.thread_id = t.id AND p.author_was_clinician AND p.author_id <> t.author_id
          AND p.visibility = 'visible' AND p.deleted_at IS NULL)
    WHERE t.id = NEW.thread_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER posts_clinician_answer AFTER UPDATE OF visibility, deleted_at ON posts
    FOR EACH ROW WHEN (OLD.author_was_clinician AND (OLD.visibility IS DISTINCT FROM NEW.visibility OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at))
    EXECUTE FUNCTION refresh_clinician_answer();

-- +goose Down
DROP TRIGGER posts_clinician_answer ON posts;
DROP FUNCTION refresh_clinician_answer();
DROP TABLE search_synonyms;
ALTER TABLE threads DROP COLUMN tags;
