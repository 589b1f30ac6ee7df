package notify

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// EraseMember deletes a member's notifications, e-mail preferences and
// digests and their address's suppression, inside the erasure's
// transaction; notifications others got about them no longer name them
// (their actor is cleared).
func EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) error {
	db := tx.WithContext(ctx)
	for _, q := range []string{
		`DELETE FROM notifications WHERE user_id = ?`,
		`UPDATE notifications SET actor_id = NULL WHERE actor_id = ?`,
		`DELETE FROM email_preferences WHERE user_id = ?`,
		`DELETE FROM email_digests WHERE user_id = ?`,
	} {
		if err := db.Exec(q, e.UserID).Error; err != nil {
			return fmt.Errorf("notify: erase %d: %w", e.UserID, err)
		}
	}
	if e.Email != "" {
		if err := db.Exec(`DELETE FROM email_suppressions WHERE address = ?`, strings.ToLower(e.Email)).Error; err != nil {
			return fmt.Errorf("notify: erase %d: %w", e.UserID, err)
		}
	}
	return nil
}

// PruneRead is the retention limit of notifications (run by app/privacy's
// daily job): those read before before are deleted.
func (n *InApp) PruneRead(ctx context.Context, before time.Time) (int64, error) {
	res := n.db.WithContext(ctx).Exec(`DELETE FROM notifications WHERE read_at < ?`, before)
	if res.Error != nil {
		return 0, fmt.Errorf("notify: prune read: %w", res.Error)
	}
	return res.RowsAffected, nil
}
