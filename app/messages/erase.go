package messages

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// EraseMember deletes, inside the erasure's transaction, every message
// the member wrote (private text is never kept, in either mode), their
// seats and settings, their conversations with the moderators, and any
// conversation left with nobody in it.
func EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) error {
	db := tx.WithContext(ctx)
	for _, q := range []string{
		`DELETE FROM messages WHERE author_id = ?`,
		`DELETE FROM conversations WHERE kind = 'moderators' AND member_id = ?`,
		`DELETE FROM conversation_members WHERE user_id = ?`,
		`DELETE FROM message_settings WHERE user_id = ?`,
		`UPDATE conversations SET started_by = NULL WHERE started_by = ?`,
	} {
		if err := db.Exec(q, e.UserID).Error; err != nil {
			return fmt.Errorf("messages: erase %d: %w", e.UserID, err)
		}
	}
	if err := db.Exec(`DELETE FROM conversations c WHERE NOT EXISTS (SELECT 1 FROM conversation_members m WHERE m.conversation_id = c.id)`).Error; err != nil {
		return fmt.Errorf("messages: erase %d: %w", e.UserID, err)
	}
	return nil
}
