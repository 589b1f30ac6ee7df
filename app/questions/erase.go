package questions

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// RemovedByAsker replaces the words of an erased member's question when a
// minimal record is kept.
const RemovedByAsker = "Removed: the member who asked left Kindred."

// EraseMember erases what private questions hold of a member, inside the
// erasure's transaction (after their credentials are gone, so a clinician
// no longer holds anything). Questions they asked are deleted with their
// conversations and timelines, unless e.KeepQuestionRecords: then a
// minimal record stays for the clinician (dates, status, specialty and
// the clinician's own messages), with none of the member's words. As a
// clinician, open questions go back to routing and their past answers
// stay in the askers' records under the tombstone.
func (s *Service) EraseMember(ctx context.Context, tx *database.Tx, e models.Erasure) error {
	db := tx.WithContext(ctx)
	if e.KeepQuestionRecords {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DELETE FROM question_messages WHERE author_id = ? AND question_id IN (SELECT id FROM questions WHERE asker_id = ?)`, []any{e.UserID, e.UserID}},
			{`UPDATE questions SET title = ?, body = ?, body_html = ? WHERE asker_id = ?`, []any{RemovedByAsker, RemovedByAsker, "<p>" + RemovedByAsker + "</p>", e.UserID}},
		} {
			if err := db.Exec(q.sql, q.args...).Error; err != nil {
				return fmt.Errorf("questions: erase %d: %w", e.UserID, err)
			}
		}
	} else if err := db.Exec(`DELETE FROM questions WHERE asker_id = ?`, e.UserID).Error; err != nil {
		return fmt.Errorf("questions: erase %d: %w", e.UserID, err)
	}
	if err := s.ReleaseHeldBy(ctx, tx, e.UserID); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM question_offers WHERE clinician_id = ? AND outcome = 'pending'`,
		`DELETE FROM question_clinician_stats WHERE user_id = ?`,
	} {
		if err := db.Exec(q, e.UserID).Error; err != nil {
			return fmt.Errorf("questions: erase %d: %w", e.UserID, err)
		}
	}
	return nil
}
