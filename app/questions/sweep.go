package questions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// SweepResult counts what one sweep did.
type SweepResult struct {
	Released, OffersTimedOut, AnswersTimedOut, Reminded, AutoClosed, Widened, Told, Alerted int
}

// sweepBatch bounds the questions one step of a sweep handles; the next
// sweep, a minute later, takes the rest.
const sweepBatch = 200

// Sweep keeps every question moving; a River periodic job runs it every
// minute and it is safe to run at any time and repeatedly. It ends the
// hold of clinicians who may no longer hold questions (a lapse or a
// suspension no hook saw), times out offers whose deadline job was lost,
// moves on questions not answered by their answer deadline (after a
// reminder), closes answered questions after the quiet period, opens
// pooled questions to the next level of the fallback chain when nobody at
// theirs can take them, and alerts admins about questions that wait too
// long for a clinician.
func (s *Service) Sweep(ctx context.Context) (_ SweepResult, err error) {
	defer wrap(&err, "questions: sweep")
	var res SweepResult
	now := s.now().UTC()
	db := s.db.Gorm.WithContext(ctx)
	ids := func(query string, args ...any) ([]int64, error) {
		var out []int64
		err := db.Raw(query+fmt.Sprintf(" ORDER BY 1 LIMIT %d", sweepBatch), args...).Scan(&out).Error
		return out, err
	}

	// Holders who may no longer hold questions.
	held, err := ids(`SELECT DISTINCT q.assignee_id AS id FROM questions q WHERE q.status IN ('offered', 'assigned', 'answered')
		AND NOT EXISTS (SELECT 1 FROM credentials c JOIN users u ON u.id = c.user_id WHERE c.user_id = q.assignee_id
			AND clinician_verified(c.status, c.verified_until, ?) AND `+usableAccount+`)`, now, now)
	if err != nil {
		return res, err
	}
	for _, userID := range held {
		var n int
		db.Raw(`SELECT count(*) FROM questions WHERE assignee_id = ? AND status IN ('offered', 'assigned', 'answered')`, userID).Scan(&n)
		if err := s.db.InTx(ctx, func(tx *database.Tx) error { return s.ReleaseHeldBy(ctx, tx, userID) }); err != nil {
			return res, err
		}
		res.Released += n
	}

	// Offers past their deadline (the deadline job normally does this).
	due, err := ids(`SELECT q.id FROM questions q WHERE q.status = 'offered' AND q.respond_by <= ?`, now)
	if err != nil {
		return res, err
	}
	for _, id := range due {
		var clinician int64
		db.Raw(`SELECT coalesce(assignee_id, 0) FROM questions WHERE id = ?`, id).Scan(&clinician)
		if err := s.timeOut(ctx, id, clinician); err != nil {
			return res, err
		}
		res.OffersTimedOut++
	}

	// Answer deadlines: the reminder, then the question moves on.
	late, err := ids(`SELECT q.id FROM questions q WHERE q.status = 'assigned' AND q.answer_by <= ?`, now)
	if err != nil {
		return res, err
	}
	for _, id := range late {
		done, err := s.answerTimeout(ctx, id, now)
		if err != nil {
			return res, err
		}
		if done {
			res.AnswersTimedOut++
		}
	}
	if err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var rows []models.Question
		if err := tx.Raw(`SELECT * FROM questions WHERE status = 'assigned' AND answer_reminded_at IS NULL AND answer_by > ? ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`,
			now, sweepBatch*5).Scan(&rows).Error; err != nil {
			return err
		}
		for i := range rows {
			q := &rows[i]
			if q.AnswerBy == nil || q.AssigneeID == nil || q.AnswerBy.Sub(now) > s.opts.remindBefore(q) {
				continue
			}
			if err := tx.Exec(`UPDATE questions SET answer_reminded_at = ? WHERE id = ?`, now, q.ID).Error; err != nil {
				return err
			}
			if err := s.notifier.NotifyQuestion(ctx, tx.DB, *q.AssigneeID, models.NotifyQuestionRemind, q.ID); err != nil {
				return err
			}
			res.Reminded++
		}
		return nil
	}); err != nil {
		return res, err
	}

	// Answered questions that went quiet close, so clinicians' caps free up.
	quiet, err := ids(`SELECT q.id FROM questions q WHERE q.status = 'answered' AND coalesce(q.last_message_at, q.updated_at) <= ?`, now.Add(-s.opts.QuietClose))
	if err != nil {
		return res, err
	}
	for _, id := range quiet {
		done, err := s.autoClose(ctx, id, now)
		if err != nil {
			return res, err
		}
		if done {
			res.AutoClosed++
		}
	}

	// The pool: widen where nobody can take a question; alert admins
	// about questions waiting too long.
	pooled, err := ids(`SELECT q.id FROM questions q WHERE q.status = 'pool'`)
	if err != nil {
		return res, err
	}
	for _, id := range pooled {
		widened, told, err := s.refreshPool(ctx, id, now)
		if err != nil {
			return res, err
		}
		if widened {
			res.Widened++
		}
		res.Told += told
	}
	waiting, err := ids(`SELECT q.id FROM questions q WHERE q.status IN ('offered', 'pool') AND q.waiting_since IS NOT NULL
		AND q.waiting_since <= ? AND (q.wait_alerted_at IS NULL OR q.wait_alerted_at < q.waiting_since)`, now.Add(-s.opts.UrgentWaitAlert))
	if err != nil {
		return res, err
	}
	for _, id := range waiting {
		done, err := s.alertWait(ctx, id, now)
		if err != nil {
			return res, err
		}
		if done {
			res.Alerted++
		}
	}
	return res, nil
}

// answerTimeout moves on a question its clinician did not answer in time.
func (s *Service) answerTimeout(ctx context.Context, id int64, now time.Time) (bool, error) {
	done := false
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionAssigned || q.AnswerBy == nil || now.Before(*q.AnswerBy) || q.AssigneeID == nil {
			return nil
		}
		clinician := *q.AssigneeID
		if err := s.release(ctx, tx, q, releaseAnswerTimeout, now); err != nil {
			return err
		}
		done = true
		return s.pauseAfterTimeouts(ctx, tx, clinician, now)
	})
	return done, ignoreGone(err)
}

// autoClose closes an answered question after the quiet period.
func (s *Service) autoClose(ctx context.Context, id int64, now time.Time) (bool, error) {
	done := false
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		last := q.UpdatedAt
		if q.LastMessageAt != nil {
			last = *q.LastMessageAt
		}
		if q.Status != models.QuestionAnswered || now.Sub(last) < s.opts.QuietClose || q.AssigneeID == nil {
			return nil
		}
		if err := s.setStatus(ctx, tx, q, models.QuestionClosed, "auto-closed", now, *q.AssigneeID, map[string]any{"closed_at": now, "auto_closed": true}); err != nil {
			return err
		}
		done = true
		return s.notifier.NotifyQuestion(ctx, tx.DB, q.AskerID, models.NotifyQuestionStatus, q.ID)
	})
	return done, ignoreGone(err)
}

// refreshPool keeps a pooled question in front of the clinicians who can
// take it: it opens the question to the next level of the fallback chain
// where somebody can take it, when nobody at its level can, and tells the
// clinicians who became able to take it (turned questions on, came below
// their cap, got verified) since it entered the pool.
func (s *Service) refreshPool(ctx context.Context, id int64, now time.Time) (widened bool, told int, err error) {
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionPool {
			return nil
		}
		specs, err := s.forumSpecs(tx.DB, q.ForumID)
		if err != nil {
			return err
		}
		n := need(q, specs, now)
		next, cands, err := s.closest(ctx, tx.DB, q, n, now, Available)
		if err != nil {
			return err
		}
		within := func(c Candidate, n Need) bool { return Available(c, n) && int(n.Matches(c)) <= q.PoolLevel }
		if Closest(cands, n, within) == 0 {
			if next != 0 && int(next) > q.PoolLevel {
				if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(map[string]any{"pool_level": int(next), "updated_at": now}).Error; err != nil {
					return err
				}
				q.PoolLevel = int(next)
				if err := s.event(tx, q.ID, "pool widened", q.Status, now); err != nil {
					return err
				}
				widened = true
			}
		}
		told, err = s.tellAvailable(ctx, tx, q, cands, n)
		return err
	})
	return widened, told, ignoreGone(err)
}

// alertWait tells every admin (without title or text) that a question has
// waited longer than it should for a clinician, once per wait.
func (s *Service) alertWait(ctx context.Context, id int64, now time.Time) (bool, error) {
	done := false
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		if (q.Status != models.QuestionOffered && q.Status != models.QuestionPool) || q.WaitingSince == nil ||
			now.Sub(*q.WaitingSince) < s.opts.waitAlert(q) || (q.WaitAlertedAt != nil && !q.WaitAlertedAt.Before(*q.WaitingSince)) {
			return nil
		}
		if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Update("wait_alerted_at", now).Error; err != nil {
			return err
		}
		if err := s.event(tx, q.ID, "wait alert", q.Status, now); err != nil {
			return err
		}
		var admins []int64
		if err := tx.Raw(`SELECT id FROM users u WHERE u.role = 'admin' AND `+usableAccount+` AND u.id <> ? ORDER BY id`, now, q.AskerID).
			Scan(&admins).Error; err != nil {
			return err
		}
		for _, a := range admins {
			if err := s.notifier.NotifyQuestion(ctx, tx.DB, a, models.NotifyQuestionWaiting, q.ID); err != nil {
				return err
			}
		}
		if len(admins) == 0 {
			s.log.WarnContext(ctx, "questions: a question waits too long and there is no admin to alert", "question", q.ID)
		}
		done = true
		return nil
	})
	return done, ignoreGone(err)
}

func ignoreGone(err error) error {
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	return err
}

// SweepArgs is the periodic job that runs Sweep.
type SweepArgs struct{}

// Kind names the job in River's table.
func (SweepArgs) Kind() string { return "questions_sweep" }

// SweepWorker runs Service.Sweep.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Svc *Service
}

// Work runs one sweep.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	res, err := w.Svc.Sweep(ctx)
	if err != nil {
		return err
	}
	if res != (SweepResult{}) {
		w.Svc.log.InfoContext(ctx, "questions: sweep", "released", res.Released, "offers_timed_out", res.OffersTimedOut,
			"answers_timed_out", res.AnswersTimedOut, "reminded", res.Reminded, "auto_closed", res.AutoClosed, "widened", res.Widened, "told", res.Told, "alerted", res.Alerted)
	}
	return nil
}
