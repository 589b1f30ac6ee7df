-- +goose Up

-- A revoked clinician's posts stop counting as clinicians' answers
-- (app/forums clears posts.author_was_clinician in the revocation's
-- transaction), so "Clinician answered" is worked out again when that
-- column changes too, not only when a clinician's post is hidden, removed,
-- deleted or approved. A thread another clinician answered keeps its mark.
DROP TRIGGER posts_clinician_answer ON posts;
CREATE TRIGGER posts_clinician_answer AFTER UPDATE OF visibility, deleted_at, author_was_clinician ON posts
    FOR EACH ROW WHEN ((OLD.author_was_clinician OR NEW.author_was_clinician) AND (OLD.visibility IS DISTINCT FROM NEW.visibility
        OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.author_was_clinician IS DISTINCT FROM NEW.author_was_clinician))
    EXECUTE FUNCTION refresh_clinician_answer();

-- +goose Down
DROP TRIGGER posts_clinician_answer ON posts;
CREATE TRIGGER posts_clinician_answer AFTER UPDATE OF visibility, deleted_at ON posts
    FOR EACH ROW WHEN (OLD.author_was_clinician AND (OLD.visibility IS DISTINCT FROM NEW.visibility OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at))
    EXECUTE FUNCTION refresh_clinician_answer();
