-- +goose Up
-- Forum resources keep who wrote them (app/forums, resources.go). An edit
-- no longer replaces the proposer: proposed_by/proposed_at stay the first
-- proposal, edited_by/edited_at name the latest edit, and authors holds
-- everyone who proposed or edited a version since the last approval, none
-- of whom may approve it. An approval empties authors.
ALTER TABLE forum_resources ADD COLUMN edited_by bigint REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE forum_resources ADD COLUMN edited_at timestamptz;
ALTER TABLE forum_resources ADD COLUMN authors bigint[] NOT NULL DEFAULT '{}';
UPDATE forum_resources SET authors = ARRAY[proposed_by] WHERE proposed_by IS NOT NULL AND status <> 'approved';
CREATE INDEX forum_resources_edited_by_idx ON forum_resources (edited_by) WHERE edited_by IS NOT NULL;
CREATE INDEX forum_resources_authors_idx ON forum_resources USING gin (authors);

-- +goose Down
DROP INDEX forum_resources_authors_idx;
DROP INDEX forum_resources_edited_by_idx;
ALTER TABLE forum_resources DROP COLUMN authors;
ALTER TABLE forum_resources DROP COLUMN edited_at;
ALTER TABLE forum_resources DROP COLUMN edited_by;
