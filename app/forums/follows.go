package forums

import (
	"context"

	"github.com/kindred-health/kindred/models"
)

// SetMembership joins or leaves a forum.
func (s *Service) SetMembership(ctx context.Context, v Viewer, f *models.Forum, join bool) (err error) {
	defer wrap(&err, "forums: membership of forum %d", f.ID)
	if !v.Active() || !CanReadForum(v, f) {
		return actError(v, f)
	}
	db := s.db.Gorm.WithContext(ctx)
	if join {
		if f.Archived() {
			return models.ErrForbidden
		}
		return db.Exec(`INSERT INTO forum_members (forum_id, user_id, joined_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, f.ID, v.User.ID, s.now()).Error
	}
	return db.Exec(`DELETE FROM forum_members WHERE forum_id = ? AND user_id = ?`, f.ID, v.User.ID).Error
}

// SetForumFollow follows or unfollows a forum (notifications of new threads).
func (s *Service) SetForumFollow(ctx context.Context, v Viewer, f *models.Forum, follow bool) (err error) {
	defer wrap(&err, "forums: follow forum %d", f.ID)
	if !v.Active() || !CanReadForum(v, f) {
		return actError(v, f)
	}
	db := s.db.Gorm.WithContext(ctx)
	if follow {
		return db.Exec(`INSERT INTO forum_follows (forum_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, f.ID, v.User.ID, s.now()).Error
	}
	return db.Exec(`DELETE FROM forum_follows WHERE forum_id = ? AND user_id = ?`, f.ID, v.User.ID).Error
}

// SetThreadFollow follows or unfollows a thread.
func (s *Service) SetThreadFollow(ctx context.Context, v Viewer, tv *ThreadView, follow bool) (err error) {
	defer wrap(&err, "forums: follow thread %d", tv.Thread.ID)
	if !v.Active() {
		return models.ErrSignInRequired
	}
	db := s.db.Gorm.WithContext(ctx)
	if follow {
		return db.Exec(`INSERT INTO thread_follows (thread_id, user_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, tv.Thread.ID, v.User.ID, s.now()).Error
	}
	return db.Exec(`DELETE FROM thread_follows WHERE thread_id = ? AND user_id = ?`, tv.Thread.ID, v.User.ID).Error
}
