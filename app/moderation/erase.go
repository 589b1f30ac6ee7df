package moderation

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// ErasedText replaces what an erased member wrote in moderation records.
const ErasedText = "(erased with the member's account)"

// EraseMember keeps the moderation records about and by a member under
// their pseudonymous id, inside the erasure's transaction, but not their
// words: the notes of reports they filed and the text of their appeals
// are replaced. Open appeals are closed (nobody is left to hear back).
func EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) error {
	db := tx.WithContext(ctx)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`UPDATE reports SET note = ? WHERE reporter_id = ? AND note <> ''`, []any{ErasedText, e.UserID}},
		{`UPDATE appeals SET text = ?, status = CASE WHEN status = 'open' THEN 'upheld' ELSE status END,
			decision_reason = CASE WHEN status = 'open' THEN ? ELSE decision_reason END,
			decided_at = CASE WHEN status = 'open' THEN now() ELSE decided_at END WHERE member_id = ?`,
			[]any{ErasedText, "The member erased their account.", e.UserID}},
	} {
		if err := db.Exec(q.sql, q.args...).Error; err != nil {
			return fmt.Errorf("moderation: erase %d: %w", e.UserID, err)
		}
	}
	return nil
}
