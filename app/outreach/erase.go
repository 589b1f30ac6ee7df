package outreach

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// EraseMember removes, inside the erasure's transaction, the member's
// dismissals and reach markers (each campaign's count loses them), and
// takes their name off announcements and campaigns they wrote, which
// stay (they were said to others).
func (s *Service) EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) error {
	db := tx.WithContext(ctx)
	if err := db.Exec(`DELETE FROM announcement_dismissals WHERE user_id = ?`, e.UserID).Error; err != nil {
		return fmt.Errorf("outreach: erase %d: %w", e.UserID, err)
	}
	var campaigns []int64
	if err := db.Raw(`SELECT id FROM campaigns`).Scan(&campaigns).Error; err != nil {
		return fmt.Errorf("outreach: erase %d: %w", e.UserID, err)
	}
	for _, c := range campaigns {
		m := s.marker(c, e.UserID)
		if err := db.Exec(`DELETE FROM campaign_reach WHERE campaign_id = ? AND marker = ?`, c, m[:]).Error; err != nil {
			return fmt.Errorf("outreach: erase %d: %w", e.UserID, err)
		}
	}
	if err := db.Exec(`UPDATE announcements SET author_id = NULL WHERE author_id = ?`, e.UserID).Error; err != nil {
		return fmt.Errorf("outreach: erase %d: %w", e.UserID, err)
	}
	if err := db.Exec(`UPDATE campaigns SET created_by = NULL WHERE created_by = ?`, e.UserID).Error; err != nil {
		return fmt.Errorf("outreach: erase %d: %w", e.UserID, err)
	}
	return nil
}
