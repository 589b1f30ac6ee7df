package clinicians

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// EraseMember deletes, inside the erasure's transaction, the member's
// credential applications (licence numbers, register links, reviewers'
// notes) and clinician settings. It returns what to do once the
// transaction has committed: delete their proof documents from the store
// (the sweep deletes any it could not, as for every object no row names).
func (s *Service) EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) (func(context.Context) error, error) {
	db := tx.WithContext(ctx)
	var files []string
	if err := db.Raw(`SELECT document_file FROM credentials WHERE user_id = ? AND document_file IS NOT NULL AND document_deleted_at IS NULL`, e.UserID).Scan(&files).Error; err != nil {
		return nil, fmt.Errorf("clinicians: erase %d: %w", e.UserID, err)
	}
	for _, q := range []string{
		`DELETE FROM credentials WHERE user_id = ?`,
		`DELETE FROM clinician_settings WHERE user_id = ?`,
	} {
		if err := db.Exec(q, e.UserID).Error; err != nil {
			return nil, fmt.Errorf("clinicians: erase %d: %w", e.UserID, err)
		}
	}
	return func(ctx context.Context) error {
		for _, f := range files {
			if err := s.docs.Delete(ctx, f); err != nil {
				return fmt.Errorf("clinicians: erase document: %w", err)
			}
		}
		return nil
	}, nil
}
