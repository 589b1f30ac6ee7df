package images

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// EraseMember deletes, inside the erasure's transaction, the images the
// member uploaded: all of them in mode delete; in mode anonymise those no
// post shows (the posts stay, and so do their pictures, under the
// tombstone). It returns what to do once the transaction has committed:
// delete the objects (the sweep removes any it could not).
func (s *Service) EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) (func(context.Context) error, error) {
	q := `DELETE FROM images i WHERE i.uploader_id = ?`
	if e.Mode == models.EraseAnonymise {
		q += ` AND NOT EXISTS (SELECT 1 FROM post_images pi WHERE pi.image_id = i.id)`
	}
	var keys []string
	if err := tx.WithContext(ctx).Raw(q+` RETURNING i.key`, e.UserID).Scan(&keys).Error; err != nil {
		return nil, fmt.Errorf("images: erase %d: %w", e.UserID, err)
	}
	return func(ctx context.Context) error {
		for _, k := range keys {
			if err := s.store.Delete(ctx, k); err != nil {
				return fmt.Errorf("images: erase object: %w", err)
			}
		}
		return nil
	}, nil
}
