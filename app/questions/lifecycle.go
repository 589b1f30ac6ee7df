package questions

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// setStatus moves q, records the timeline and tells notifyID (0: nobody).
func (s *Service) setStatus(ctx context.Context, tx *database.Tx, q *models.Question, to models.QuestionStatus, kind string, now time.Time, notifyID int64, extra map[string]any) error {
	if err := checkMove(q, to); err != nil {
		return err
	}
	cols := map[string]any{"status": to, "updated_at": now}
	for k, v := range extra {
		cols[k] = v
	}
	if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(cols).Error; err != nil {
		return err
	}
	q.Status = to
	if err := s.event(tx, q.ID, kind, to, now); err != nil {
		return err
	}
	if notifyID == 0 {
		return nil
	}
	notice := models.NotifyQuestionStatus
	if notifyID != q.AskerID {
		notice = models.NotifyQuestionClosed
	}
	return s.notifier.NotifyQuestion(ctx, tx.DB, notifyID, notice, q.ID)
}

// holderLocked loads q for an action of the clinician who holds it (or is
// offered it): anyone else, and a clinician who may no longer hold
// questions, finds nothing.
func (s *Service) holderLocked(ctx context.Context, tx *database.Tx, actor models.Actor, id int64, now time.Time) (*models.Question, error) {
	q, err := locked(tx, id)
	if err != nil {
		return nil, err
	}
	if !assignedTo(actor, q) {
		return nil, notFound(id)
	}
	holds, err := s.mayHold(ctx, tx.DB, actor.ID(), now)
	if err != nil {
		return nil, err
	}
	if !mayActAsHolder(partyOf(actor, q, holds)) {
		return nil, notFound(id)
	}
	return q, nil
}

// take records that the clinician now holds q: the answer deadline starts.
func (s *Service) take(ctx context.Context, tx *database.Tx, q *models.Question, kind string, now time.Time) error {
	due := now.Add(s.opts.answerWithin(q))
	q.AcceptedAt, q.AnswerBy = &now, &due
	return s.setStatus(ctx, tx, q, models.QuestionAssigned, kind, now, q.AskerID, map[string]any{"accepted_at": now, "answer_by": due,
		"answer_reminded_at": nil, "waiting_since": nil, "wait_alerted_at": nil, "respond_by": nil})
}

// Accept takes an offered question: the clinician now holds it, with an
// answer deadline. Anyone the question was not offered to gets
// ErrNotFound, exactly like a missing id.
func (s *Service) Accept(ctx context.Context, actor models.Actor, id int64) (err error) {
	u := actor.User
	defer wrap(&err, "questions: accept question %d", id)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := s.holderLocked(ctx, tx, actor, id, now)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionOffered {
			if q.Status.Open() {
				return &models.ConflictError{Message: "You already hold this question."}
			}
			return notFound(id)
		}
		if err := tx.Exec(`UPDATE question_offers SET outcome = 'accepted', decided_at = ? WHERE question_id = ? AND clinician_id = ? AND outcome = 'pending'`,
			now, id, u.ID).Error; err != nil {
			return err
		}
		return s.take(ctx, tx, q, "accepted", now)
	})
}

// Decline hands an offer back: the question is routed again at once.
func (s *Service) Decline(ctx context.Context, actor models.Actor, id int64) (err error) {
	defer wrap(&err, "questions: decline question %d", id)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := s.holderLocked(ctx, tx, actor, id, now)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionOffered {
			return notFound(id)
		}
		return s.endOffer(ctx, tx, q, models.OfferDeclined, "declined", now)
	})
}

// Deadline is the offer-deadline job's work: an offer still pending at its
// respond_by times out and the question is routed again. Anything else
// (accepted, declined, withdrawn) makes it a no-op.
func (s *Service) Deadline(ctx context.Context, questionID, offerID int64) (waitUntil time.Time, err error) {
	var o models.QuestionOffer
	if err := s.db.Gorm.WithContext(ctx).Limit(1).Find(&o, offerID).Error; err != nil || o.ID == 0 || o.Outcome != models.OfferPending {
		return time.Time{}, err
	}
	if now := s.now(); now.Before(o.RespondBy) {
		return o.RespondBy, nil
	}
	return time.Time{}, s.timeOut(ctx, questionID, o.ClinicianID)
}

// timeOut ends an offer whose deadline passed, if it is still pending.
func (s *Service) timeOut(ctx context.Context, questionID, clinicianID int64) error {
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, questionID)
		if errors.Is(err, models.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if q.Status != models.QuestionOffered || q.AssigneeID == nil || *q.AssigneeID != clinicianID || q.RespondBy == nil || now.Before(*q.RespondBy) {
			return nil // decided meanwhile
		}
		if err := s.endOffer(ctx, tx, q, models.OfferTimedOut, "timed out", now); err != nil {
			return err
		}
		return s.pauseAfterTimeouts(ctx, tx, clinicianID, now)
	})
}

// endOffer closes the pending offer of q (locked, offered) and routes the
// question again.
func (s *Service) endOffer(ctx context.Context, tx *database.Tx, q *models.Question, outcome, kind string, now time.Time) error {
	if err := tx.Exec(`UPDATE question_offers SET outcome = ?, decided_at = ? WHERE question_id = ? AND clinician_id = ? AND outcome = 'pending'`,
		outcome, now, q.ID, *q.AssigneeID).Error; err != nil {
		return err
	}
	if err := s.event(tx, q.ID, kind, q.Status, now); err != nil {
		return err
	}
	return s.reroute(ctx, tx, q, now)
}

// pauseAfterTimeouts stops offers to a clinician whose last
// Options.PauseAfterTimeouts offers or answers all timed out, and tells
// them; they start again by turning questions back on.
func (s *Service) pauseAfterTimeouts(ctx context.Context, tx *database.Tx, clinicianID int64, now time.Time) error {
	var outcomes []string
	if err := tx.Raw(`SELECT outcome FROM question_offers WHERE clinician_id = ? AND outcome <> 'pending' ORDER BY decided_at DESC, id DESC LIMIT ?`,
		clinicianID, s.opts.PauseAfterTimeouts).Scan(&outcomes).Error; err != nil {
		return err
	}
	if len(outcomes) < s.opts.PauseAfterTimeouts {
		return nil
	}
	for _, o := range outcomes {
		if o != models.OfferTimedOut && o != models.OfferAnswerTimedOut {
			return nil
		}
	}
	if s.pauser == nil {
		return nil
	}
	if err := s.pauser.PauseQuestions(ctx, tx, clinicianID); err != nil {
		return err
	}
	return s.notifier.NotifyMember(ctx, tx.DB, clinicianID, models.NotifyQuestionsPaused,
		"Your last offers of private questions timed out, so Kindred stopped offering you new ones. Turn questions back on in your clinician settings when you can take them again.")
}

// Claim takes a question from the pool. Exactly one claimant wins; anyone
// for whom the question is not (or no longer) theirs to take gets
// ErrNotFound, exactly like a missing id, so claiming tells nobody which
// questions exist.
func (s *Service) Claim(ctx context.Context, actor models.Actor, id int64) (err error) {
	u := actor.User
	defer wrap(&err, "questions: claim question %d", id)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		if assignedTo(actor, q) && conversationOpen(q.Status) {
			if ok, err := s.mayHold(ctx, tx.DB, u.ID, now); err != nil || ok {
				if err != nil {
					return err
				}
				return &models.ConflictError{Message: "You already hold this question."}
			}
		}
		if q.Status != models.QuestionPool || u == nil {
			return notFound(id)
		}
		ok, err := s.mayTakeFromPool(ctx, tx, q, u.ID, now)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(id)
		}
		if err := tx.Create(&models.QuestionOffer{QuestionID: q.ID, ClinicianID: u.ID, OfferedAt: now, RespondBy: now, Outcome: models.OfferAccepted, DecidedAt: &now}).Error; err != nil {
			return err
		}
		q.AssigneeID = &u.ID
		if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(map[string]any{"assignee_id": u.ID, "offered_at": now}).Error; err != nil {
			return err
		}
		return s.take(ctx, tx, q, "claimed", now)
	})
}

// mayTakeFromPool: the clinician is available for q and within its pool's
// level of the fallback chain.
func (s *Service) mayTakeFromPool(ctx context.Context, tx *database.Tx, q *models.Question, userID int64, now time.Time) (bool, error) {
	specs, err := s.forumSpecs(tx.DB, q.ForumID)
	if err != nil {
		return false, err
	}
	cands, err := s.candidates(ctx, tx.DB, q, now, userID)
	if err != nil || len(cands) == 0 {
		return false, err
	}
	n := need(q, specs, now)
	return Available(cands[0], n) && int(n.Matches(cands[0])) <= q.PoolLevel, nil
}

// HandBackMin and HandBackMax bound a hand-back's reason.
const (
	HandBackMin = 5
	HandBackMax = 1000
)

// HandBack lets the clinician who holds a question give it back with a
// reason (kept for the team, never shown to the asker); it goes to another
// clinician at once.
func (s *Service) HandBack(ctx context.Context, actor models.Actor, id int64, reason string) (err error) {
	defer wrap(&err, "questions: hand back question %d", id)
	reason = strings.TrimSpace(reason)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		// Who may hand it back is decided before the reason is read, so
		// anyone else gets 404 whatever they send.
		q, err := s.holderLocked(ctx, tx, actor, id, now)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionAssigned && q.Status != models.QuestionAnswered {
			return notFound(id)
		}
		if n := utf8.RuneCountInString(reason); n < HandBackMin || n > HandBackMax || !utf8.ValidString(reason) || strings.ContainsRune(reason, 0) {
			v := models.NewValidationError()
			v.Add("reason", "Say in 5 to 1,000 characters why you are handing it back. The member does not see it.")
			return v
		}
		r := releaseHandBack
		r.reason = reason
		return s.release(ctx, tx, q, r, now)
	})
}

// Withdraw takes a question back before it is answered.
func (s *Service) Withdraw(ctx context.Context, actor models.Actor, id int64) (err error) {
	defer wrap(&err, "questions: withdraw question %d", id)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, actor, id)
		if err != nil {
			return err
		}
		switch q.Status {
		case models.QuestionOffered, models.QuestionPool, models.QuestionAssigned:
		default:
			return &models.ConflictError{Message: "Only a question that is not answered yet can be withdrawn. You can close it instead."}
		}
		if err := tx.Exec(`UPDATE question_offers SET outcome = 'withdrawn', decided_at = ? WHERE question_id = ? AND outcome = 'pending'`, now, id).Error; err != nil {
			return err
		}
		notify := int64(0)
		if q.AssigneeID != nil {
			notify = *q.AssigneeID
		}
		extra := map[string]any{"closed_at": now, "waiting_since": nil, "answer_by": nil, "respond_by": nil}
		if q.Status != models.QuestionAssigned {
			extra["assignee_id"] = nil
		}
		return s.setStatus(ctx, tx, q, models.QuestionWithdrawn, "withdrawn", now, notify, extra)
	})
}

// Close ends an answered conversation (the asker).
func (s *Service) Close(ctx context.Context, actor models.Actor, id int64) (err error) {
	defer wrap(&err, "questions: close question %d", id)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, actor, id)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionAnswered {
			return &models.ConflictError{Message: "Only an answered question can be closed. Withdraw it if you no longer need an answer."}
		}
		return s.setStatus(ctx, tx, q, models.QuestionClosed, "closed", now, *q.AssigneeID, map[string]any{"closed_at": now, "auto_closed": false})
	})
}

// Reopen lets the asker go on with a closed question within
// Options.ReopenWithin of its closing. The same clinician continues if they
// still may; otherwise the question goes to another clinician.
func (s *Service) Reopen(ctx context.Context, actor models.Actor, id int64) (err error) {
	u := actor.User
	defer wrap(&err, "questions: reopen question %d", id)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`SELECT 1 FROM users WHERE id = ? FOR UPDATE`, u.ID).Error; err != nil {
			return err
		}
		q, err := askerLocked(tx, actor, id)
		if err != nil {
			return err
		}
		if q.Status != models.QuestionClosed || q.ClosedAt == nil || q.AssigneeID == nil || now.Sub(*q.ClosedAt) > s.opts.ReopenWithin {
			return &models.ConflictError{Message: "Only a question closed within the last 14 days can be reopened. Ask a new question instead."}
		}
		if err := s.checkOpenLimit(ctx, tx.DB, u.ID); err != nil {
			return err
		}
		if err := s.setStatus(ctx, tx, q, models.QuestionAnswered, "reopened", now, 0,
			map[string]any{"closed_at": nil, "auto_closed": false, "last_message_at": now}); err != nil {
			return err
		}
		ok, err := s.mayHold(ctx, tx.DB, *q.AssigneeID, now)
		if err != nil {
			return err
		}
		if !ok {
			return s.release(ctx, tx, q, releaseLostAccess, now)
		}
		return s.notifier.NotifyQuestion(ctx, tx.DB, *q.AssigneeID, models.NotifyQuestionReopened, q.ID)
	})
}

// ShareHistory lets the asker give the clinician who now holds the
// question the conversation they had with the previous one.
func (s *Service) ShareHistory(ctx context.Context, actor models.Actor, id int64) (err error) {
	defer wrap(&err, "questions: share the history of question %d", id)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, actor, id)
		if err != nil {
			return err
		}
		if q.ShareHistory {
			return &models.ConflictError{Message: "You have already shared the earlier conversation."}
		}
		if q.HistoryCutoff == 0 || !q.Status.Open() {
			return &models.ConflictError{Message: "There is no earlier conversation to share."}
		}
		if err := tx.Model(&models.Question{}).Where("id = ?", id).Updates(map[string]any{"share_history": true, "updated_at": now}).Error; err != nil {
			return err
		}
		return s.event(tx, id, "history shared", q.Status, now)
	})
}

// Rate records whether the answer helped (the asker, once answered).
func (s *Service) Rate(ctx context.Context, actor models.Actor, id int64, rating string) (err error) {
	defer wrap(&err, "questions: rate question %d", id)
	if rating != "helpful" && rating != "not_helpful" {
		v := models.NewValidationError()
		v.Add("rating", "Choose helpful or not helpful.")
		return v
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, actor, id)
		if err != nil {
			return err
		}
		if q.AnsweredAt == nil || (q.Status != models.QuestionAnswered && q.Status != models.QuestionClosed) {
			return &models.ConflictError{Message: "You can rate the answer once there is one."}
		}
		return tx.Model(&models.Question{}).Where("id = ?", id).Updates(map[string]any{"rating": rating, "updated_at": s.now().UTC()}).Error
	})
}

// MessageForm is one message of the conversation.
type MessageForm struct {
	Body            string `json:"body"`
	InfoRequest     bool   `json:"info_request"` // the clinician asks for more information
	ConfirmPersonal bool   `json:"confirm_personal_data"`
}

// Message adds to the conversation (asker or holder, once taken). The
// clinician's first message that is not a request for information answers
// the question.
func (s *Service) Message(ctx context.Context, actor models.Actor, id int64, form MessageForm) (_ *models.QuestionMessage, err error) {
	u := actor.User
	defer wrap(&err, "questions: message in question %d", id)
	v := models.NewValidationError()
	form.Body = checkText(v, "body", "Your message", form.Body, 1, BodyMax)
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	crisis, err := s.screen(ctx, form.Body, form.ConfirmPersonal)
	if err != nil {
		return nil, err
	}
	html, err := s.md.Render(form.Body)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var m models.QuestionMessage
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		p := asker
		if q.AskerID != u.ID {
			if q, err = s.holderLocked(ctx, tx, actor, id, now); err != nil {
				return err
			}
			p = holder
		}
		if !mayJoinConversation(p, q.Status) {
			return notFound(id)
		}
		if !conversationOpen(q.Status) {
			return &models.ConflictError{Message: "The conversation is open once a clinician has taken the question, until it is closed."}
		}
		m = models.QuestionMessage{QuestionID: id, AuthorID: u.ID, Body: form.Body, BodyHTML: html, InfoRequest: p == holder && form.InfoRequest, CreatedAt: now}
		if err := tx.Omit("ID").Create(&m).Error; err != nil {
			return err
		}
		to := q.AskerID
		if p == asker {
			to = *q.AssigneeID
		}
		cols := map[string]any{"last_message_at": now, "updated_at": now}
		switch {
		case p == holder && m.InfoRequest:
			if err := s.event(tx, id, "more information requested", q.Status, now); err != nil {
				return err
			}
		case p == holder && q.Status == models.QuestionAssigned:
			if err := checkMove(q, models.QuestionAnswered); err != nil {
				return err
			}
			cols["status"] = models.QuestionAnswered
			if q.AnsweredAt == nil {
				cols["answered_at"] = now
			}
			if err := s.event(tx, id, "answered", models.QuestionAnswered, now); err != nil {
				return err
			}
		}
		if err := tx.Model(&models.Question{}).Where("id = ?", id).Updates(cols).Error; err != nil {
			return err
		}
		return s.notifier.NotifyQuestion(ctx, tx.DB, to, models.NotifyQuestionMessage, id)
	})
	if err != nil {
		return nil, err
	}
	m.Crisis = crisis
	return &m, nil
}

// SetConsent lets the clinician who answered allow (or stop) publishing an
// anonymised copy.
func (s *Service) SetConsent(ctx context.Context, actor models.Actor, id int64, consent bool) (err error) {
	defer wrap(&err, "questions: publishing consent for question %d", id)
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := s.holderLocked(ctx, tx, actor, id, now)
		if err != nil {
			return err
		}
		if q.Status == models.QuestionOffered {
			return notFound(id)
		}
		if q.AnsweredAt == nil || (q.Status != models.QuestionAnswered && q.Status != models.QuestionClosed) {
			return &models.ConflictError{Message: "You can agree to publishing once you have answered."}
		}
		if q.PublishedThreadID != nil {
			return &models.ConflictError{Message: "The question is already published."}
		}
		if err := tx.Model(&models.Question{}).Where("id = ?", id).Updates(map[string]any{"publish_consent": consent, "updated_at": now}).Error; err != nil {
			return err
		}
		if consent {
			return s.notifier.NotifyQuestion(ctx, tx.DB, q.AskerID, models.NotifyQuestionConsent, id)
		}
		return nil
	})
}
