package forums

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/models"
)

// The changes other features make to threads and posts (moderation hides,
// restores, locks and moves them) go through these operations, in the
// caller's transaction: forums owns the tables, and each operation also
// queues the thread's search document.

// SetVisibility sets a thread's or post's visibility; with from set, only
// while it is from. It reports whether the row changed.
func (s *Service) SetVisibility(ctx context.Context, tx *database.Tx, kind string, id, threadID int64, to, from models.Visibility) (bool, error) {
	var res *gorm.DB
	switch {
	case kind == models.TargetThread && from != "":
		res = tx.Exec(`UPDATE threads SET visibility = ? WHERE id = ? AND visibility = ?`, to, id, from)
	case kind == models.TargetThread:
		res = tx.Exec(`UPDATE threads SET visibility = ? WHERE id = ?`, to, id)
	case kind == models.TargetPost && from != "":
		res = tx.Exec(`UPDATE posts SET visibility = ? WHERE id = ? AND visibility = ?`, to, id, from)
	case kind == models.TargetPost:
		res = tx.Exec(`UPDATE posts SET visibility = ? WHERE id = ?`, to, id)
	default:
		return false, fmt.Errorf("forums: set the visibility of a %s: only threads and posts have one", kind)
	}
	if res.Error != nil {
		return false, fmt.Errorf("forums: set the visibility of %s %d: %w", kind, id, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, nil
	}
	if kind == models.TargetPost {
		return true, search.EnqueuePosts(ctx, tx, threadID, id)
	}
	return true, search.Enqueue(ctx, tx, threadID)
}

// SetThreadState locks or unlocks a thread.
func (s *Service) SetThreadState(ctx context.Context, tx *database.Tx, threadID int64, state models.ThreadState) error {
	if err := tx.Exec(`UPDATE threads SET state = ? WHERE id = ?`, state, threadID).Error; err != nil {
		return fmt.Errorf("forums: set the state of thread %d: %w", threadID, err)
	}
	return search.Enqueue(ctx, tx, threadID)
}

// MoveThread moves a thread to another forum; both forums' thread counts
// follow (trigger threads_forum_counts). Who may move it where is the
// caller's decision. A forum pin stays behind (it was the old forum's
// moderators' choice, and counts against the new forum's limit otherwise).
func (s *Service) MoveThread(ctx context.Context, tx *database.Tx, threadID, fromForumID, toForumID int64) error {
	if err := tx.Exec(`UPDATE threads SET forum_id = ?, pinned = false WHERE id = ?`, toForumID, threadID).Error; err != nil {
		return fmt.Errorf("forums: move thread %d from forum %d to %d: %w", threadID, fromForumID, toForumID, err)
	}
	return search.Enqueue(ctx, tx, threadID)
}
