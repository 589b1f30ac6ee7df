package export

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// EraseMember deletes, inside the erasure's transaction, the member's
// exports, and returns what to do once it has committed: delete their
// archives (the sweep removes any it could not, as no row names them).
func (s *Service) EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) (func(context.Context) error, error) {
	var keys []*string
	if err := tx.WithContext(ctx).Raw(`DELETE FROM exports WHERE user_id = ? RETURNING object_key`, e.UserID).Scan(&keys).Error; err != nil {
		return nil, fmt.Errorf("export: erase %d: %w", e.UserID, err)
	}
	return func(ctx context.Context) error {
		for _, k := range keys {
			if k == nil {
				continue
			}
			if err := s.store.Delete(ctx, *k); err != nil {
				return fmt.Errorf("export: erase archive: %w", err)
			}
		}
		return nil
	}, nil
}
