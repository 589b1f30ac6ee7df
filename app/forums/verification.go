package forums

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/models"
)

// VerificationEnded applies the end of a clinician's verification to the
// posts they wrote as one, inside the transaction that ends it
// (app/clinicians calls it on every verified → revoked | expired move).
//
// Expired (or lapsed): nothing changes here. The posts still count as
// clinicians' answers; pages and the API show them as written by a
// clinician verified at the time, since the live badge is gone.
//
// Revoked: the posts stop counting at all. author_was_clinician is cleared
// (the posts and their revisions stay, only the label goes), the
// posts_clinician_answer trigger works out "Clinician answered" again for
// each thread (another clinician's answer keeps it), and every thread
// touched gets an index job in this transaction, so its search document
// loses the mark and the profession.
func (s *Service) VerificationEnded(ctx context.Context, tx *database.Tx, userID int64, revoked bool) error {
	if !revoked {
		return nil
	}
	var threads []int64
	if err := tx.WithContext(ctx).Raw(`UPDATE posts SET author_was_clinician = false WHERE author_id = ? AND author_was_clinician RETURNING thread_id`, userID).Scan(&threads).Error; err != nil {
		return fmt.Errorf("forums: clear clinician labels of user %d: %w", userID, err)
	}
	if len(threads) == 0 {
		return nil
	}
	posts := len(threads)
	seen := make(map[int64]bool, len(threads))
	distinct := make([]int64, 0, len(threads))
	for _, id := range threads {
		if !seen[id] {
			seen[id] = true
			distinct = append(distinct, id)
		}
	}
	if err := search.Enqueue(ctx, tx, distinct...); err != nil {
		return err
	}
	return audit.Record(ctx, tx.DB, models.AuditEvent{Action: "post.clinician_label.remove", TargetKind: "user", TargetID: &userID,
		Reason: fmt.Sprintf("Verification revoked: %d posts in %d threads no longer show as a clinician's answer", posts, len(distinct))})
}
