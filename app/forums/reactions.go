package forums

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// SetReaction adds (on) or removes a reaction; repeating either is a no-op.
func (s *Service) SetReaction(ctx context.Context, v Viewer, pc *PostContext, kind models.ReactionKind, on bool) (err error) {
	defer wrap(&err, "forums: reaction to post %d", pc.Post.ID)
	if !kind.Valid() {
		return fmt.Errorf("forums: reaction %q: %w", kind, models.ErrNotFound)
	}
	if !CanReact(v, &pc.Forum) {
		if !v.SignedIn() {
			return models.ErrSignInRequired
		}
		return models.ErrForbidden
	}
	if pc.Post.DeletedAt != nil {
		return models.ErrForbidden
	}
	col := kind.Column()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var res *gorm.DB
		delta := "+ 1"
		if on {
			res = tx.Exec(`INSERT INTO reactions (post_id, user_id, kind, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, pc.Post.ID, v.User.ID, kind, s.now().UTC())
		} else {
			res = tx.Exec(`DELETE FROM reactions WHERE post_id = ? AND user_id = ? AND kind = ?`, pc.Post.ID, v.User.ID, kind)
			delta = "- 1"
		}
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return tx.Exec(`UPDATE posts SET `+col+` = `+col+` `+delta+` WHERE id = ?`, pc.Post.ID).Error
	})
}

// HasReacted reports whether v gave kind to the post.
func (s *Service) HasReacted(ctx context.Context, v Viewer, postID int64, kind models.ReactionKind) (bool, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM reactions WHERE post_id = ? AND user_id = ? AND kind = ?`, postID, v.User.ID, kind).Scan(&n).Error
	return n > 0, err
}
