package questions

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// need is what a question asks for: its specialty and its forum's.
func need(q *models.Question, forumSpecialties []string, now time.Time) Need {
	n := Need{AskerID: q.AskerID, ForumSpecialties: forumSpecialties, Now: now}
	if q.Specialty != nil {
		n.Specialty = *q.Specialty
	}
	return n
}

// usableAccount is the SQL test of an account that may act now: active,
// or suspended until a time that has passed. It takes the time twice.
const usableAccount = `(u.status = 'active' OR (u.status = 'suspended' AND u.suspended_until IS NOT NULL AND u.suspended_until <= ?))`

// holderSQL is the one rule for who may hold (be offered, read, answer) a
// private question: a verified clinician now, whose account may act now.
// Any step a clinician takes checks it, so revocation, expiry, a lapse or
// a suspension ends their access at once.
const holderSQL = `SELECT EXISTS (SELECT 1 FROM credentials c JOIN users u ON u.id = c.user_id
	WHERE c.user_id = ? AND clinician_verified(c.status, c.verified_until, ?) AND ` + usableAccount + `)`

// mayHold reports whether userID may hold a question now.
func (s *Service) mayHold(ctx context.Context, db *gorm.DB, userID int64, now time.Time) (bool, error) {
	var ok bool
	err := db.WithContext(ctx).Raw(holderSQL, userID, now, now).Scan(&ok).Error
	return ok, err
}

type candidateRow struct {
	UserID             int64
	VerifiedUntil      time.Time
	AcceptingQuestions bool
	Generalist         bool
	Specialties        pq.StringArray `gorm:"type:text[]"`
	MaxOpenQuestions   int
	Open               int
	LastOffer          time.Time
	OfferedBefore      bool
	Cooling            bool
}

// candidatesSQL reads every clinician who may take questions now, with
// what the ranking and the fallback chain need, in one query: open counts
// from one pass over the open questions, this question's offers from one
// pass over its own, the last offer from question_clinician_stats (kept by
// a trigger on question_offers). Arguments: the cooling limit, the question id, now three times,
// the asker.
const candidatesSQL = `SELECT c.user_id, c.verified_until, cs.accepting_questions, cs.generalist, c.specialties, cs.max_open_questions,
	coalesce(oc.open, 0) AS open,
	coalesce(st.last_offered_at, 'epoch') AS last_offer,
	(mine.clinician_id IS NOT NULL) AS offered_before, coalesce(mine.cooling, false) AS cooling
	FROM credentials c
	JOIN clinician_settings cs ON cs.user_id = c.user_id AND cs.accepting_questions
	JOIN users u ON u.id = c.user_id AND ` + usableAccount + `
	LEFT JOIN question_clinician_stats st ON st.user_id = c.user_id
	LEFT JOIN (SELECT q.assignee_id, count(*) AS open FROM questions q WHERE q.status IN ('offered', 'assigned', 'answered')
		GROUP BY q.assignee_id) oc ON oc.assignee_id = c.user_id
	LEFT JOIN (SELECT o.clinician_id, bool_or(o.decided_at IS NULL OR o.decided_at > ?) AS cooling FROM question_offers o
		WHERE o.question_id = ? GROUP BY o.clinician_id) mine ON mine.clinician_id = c.user_id
	WHERE clinician_verified(c.status, c.verified_until, ?) AND c.user_id <> ?`

// candidates loads the clinicians for q (only userID when it is not 0).
func (s *Service) candidates(ctx context.Context, db *gorm.DB, q *models.Question, now time.Time, userID int64) ([]Candidate, error) {
	return s.loadCandidates(ctx, db, q, now, userID, "", nil)
}

// closest finds the closest level of the fallback chain where a clinician
// passes ok, with the clinicians who could take q now, nearest first (see
// nearest).
//
// Most questions find someone among the specialists, read first through
// the specialties' GIN index; only then is everyone read.
func (s *Service) closest(ctx context.Context, db *gorm.DB, q *models.Question, n Need, now time.Time, ok func(Candidate, Need) bool) (Level, []Candidate, error) {
	if n.Specialty != "" || len(n.ForumSpecialties) > 0 {
		cands, err := s.nearest(ctx, db, q, n, now, true)
		if err != nil {
			return 0, nil, err
		}
		if l := Closest(cands, n, ok); l != 0 {
			return l, cands, nil
		}
	}
	cands, err := s.nearest(ctx, db, q, n, now, false)
	if err != nil {
		return 0, nil, err
	}
	return Closest(cands, n, ok), cands, nil
}

// maxNearest bounds the clinicians one routing decision reads.
const maxNearest = 300

// nearest reads the clinicians who could take q now (Available: verified,
// taking questions, below their cap, not cooling down), at most maxNearest,
// in the order of the fallback chain and then the routing order: closest
// level first, then those never offered the question, fewest open
// questions, longest since their last offer, lowest id. The level is
// worked out in SQL exactly as Need.Matches does, so Route and Closest over
// these rows decide as over everyone (only the farthest levels can be cut,
// and only past maxNearest clinicians), and the pool's notices reach at
// most that many anyway. specialists narrows it to the clinicians with
// the specialty asked for or one of the forum's.
func (s *Service) nearest(ctx context.Context, db *gorm.DB, q *models.Question, n Need, now time.Time, specialists bool) ([]Candidate, error) {
	forum := pq.StringArray(n.ForumSpecialties)
	if forum == nil {
		forum = pq.StringArray{}
	}
	inner, args := candidatesSQL, []any{now, now.Add(-s.opts.PoolCooling), q.ID, now, q.AskerID}
	if specialists {
		specs := append(pq.StringArray{n.Specialty}, forum...)
		inner += ` AND c.specialties && CAST(? AS text[])`
		args = append(args, specs)
	}
	var rows []candidateRow
	if err := db.WithContext(ctx).Raw(`SELECT * FROM (SELECT k.*, CASE
			WHEN ? = '' AND cardinality(CAST(? AS text[])) = 0 THEN 1
			WHEN ? <> '' AND ? = ANY (k.specialties) THEN 1
			WHEN k.specialties && CAST(? AS text[]) THEN 2
			WHEN k.generalist THEN 3 ELSE 4 END AS level
		FROM (`+inner+`) k WHERE k.open < k.max_open_questions AND NOT k.cooling) c
		ORDER BY c.level, c.offered_before, c.open, c.last_offer, c.user_id LIMIT ?`,
		append(append([]any{n.Specialty, forum, n.Specialty, n.Specialty, forum}, args...), maxNearest)...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("questions: nearest clinicians: %w", err)
	}
	return toCandidates(rows), nil
}

func toCandidates(rows []candidateRow) []Candidate {
	out := make([]Candidate, len(rows))
	for i, r := range rows {
		out[i] = Candidate{ID: r.UserID, Verified: true, VerifiedUntil: r.VerifiedUntil, Accepting: r.AcceptingQuestions, Generalist: r.Generalist,
			Specialties: r.Specialties, Open: r.Open, Cap: r.MaxOpenQuestions, LastOfferAt: r.LastOffer, OfferedBefore: r.OfferedBefore, Cooling: r.Cooling}
	}
	return out
}

func (s *Service) loadCandidates(ctx context.Context, db *gorm.DB, q *models.Question, now time.Time, userID int64, filter string, filterArgs []any) ([]Candidate, error) {
	sql, args := candidatesSQL+filter, append([]any{now, now.Add(-s.opts.PoolCooling), q.ID, now, q.AskerID}, filterArgs...)
	if userID != 0 {
		sql += ` AND c.user_id = ?`
		args = append(args, userID)
	}
	var rows []candidateRow
	if err := db.WithContext(ctx).Raw(sql, args...).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("questions: candidates: %w", err)
	}
	return toCandidates(rows), nil
}

// forumSpecs reads the specialties of q's forum.
func (s *Service) forumSpecs(db *gorm.DB, forumID int64) ([]string, error) {
	var specs pq.StringArray
	err := db.Raw(`SELECT specialties FROM forums WHERE id = ?`, forumID).Row().Scan(&specs)
	return specs, err
}

// route finds q its next clinician. An ordinary question is offered to the
// best eligible clinician along the fallback chain, one at a time, until
// Options.MaxOffers offers were made; then, or when nobody is eligible, it
// waits in the pool. An urgent question goes to the pool at once, and
// every clinician who may take it is told.
func (s *Service) route(ctx context.Context, tx *database.Tx, q *models.Question, forumSpecs []string, now time.Time) error {
	n := need(q, forumSpecs, now)
	if !q.Urgent() && q.Attempts < s.opts.MaxOffers {
		_, cands, err := s.closest(ctx, tx.DB, q, n, now, Eligible)
		if err != nil {
			return err
		}
		if chosen, _, ok := Route(cands, n); ok {
			return s.offer(ctx, tx, q, chosen.ID, now)
		}
	}
	return s.pool(ctx, tx, q, n, now)
}

// offer gives q to one clinician with a deadline and schedules the job
// that moves it on at that deadline.
func (s *Service) offer(ctx context.Context, tx *database.Tx, q *models.Question, clinicianID int64, now time.Time) error {
	if err := checkMove(q, models.QuestionOffered); err != nil {
		return err
	}
	due := now.Add(s.opts.RespondWithin)
	o := models.QuestionOffer{QuestionID: q.ID, ClinicianID: clinicianID, OfferedAt: now, RespondBy: due, Outcome: models.OfferPending}
	if err := tx.Omit("ID").Create(&o).Error; err != nil {
		return err
	}
	q.Status, q.AssigneeID, q.OfferedAt, q.RespondBy, q.Attempts = models.QuestionOffered, &clinicianID, &now, &due, q.Attempts+1
	if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(map[string]any{"status": models.QuestionOffered,
		"assignee_id": clinicianID, "offered_at": now, "respond_by": due, "attempts": q.Attempts, "updated_at": now}).Error; err != nil {
		return err
	}
	if err := s.event(tx, q.ID, "offered", models.QuestionOffered, now); err != nil {
		return err
	}
	if err := s.notifier.NotifyQuestion(ctx, tx.DB, clinicianID, models.NotifyQuestionOffered, q.ID); err != nil {
		return err
	}
	return tx.Enqueue(ctx, OfferDeadlineArgs{QuestionID: q.ID, OfferID: o.ID}, &river.InsertOpts{ScheduledAt: due})
}

// pool puts q where every clinician who may take it sees it: at the
// closest level of the fallback chain where somebody is available (the
// widest when nobody is: the first clinician to become available sees it,
// and admins are alerted when it waits too long). Those clinicians are
// told.
func (s *Service) pool(ctx context.Context, tx *database.Tx, q *models.Question, n Need, now time.Time) error {
	if err := checkMove(q, models.QuestionPool); err != nil {
		return err
	}
	level, cands, err := s.closest(ctx, tx.DB, q, n, now, Available)
	if err != nil {
		return err
	}
	if level == 0 {
		level = LevelAnyone
	}
	q.Status, q.AssigneeID, q.OfferedAt, q.RespondBy, q.PoolLevel = models.QuestionPool, nil, nil, nil, int(level)
	if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(map[string]any{"status": models.QuestionPool,
		"assignee_id": nil, "offered_at": nil, "respond_by": nil, "pool_level": int(level), "updated_at": now}).Error; err != nil {
		return err
	}
	if err := s.event(tx, q.ID, "pooled", models.QuestionPool, now); err != nil {
		return err
	}
	_, err = s.tellAvailable(ctx, tx, q, cands, n)
	return err
}

// maxPoolNotices bounds the notifications one pooled question sends.
const maxPoolNotices = 200

// tellAvailable notifies the clinicians who may take q from the pool at
// its level and were not told of it yet; earlier offerees see it in the
// pool without being told again. It returns how many it told.
func (s *Service) tellAvailable(ctx context.Context, tx *database.Tx, q *models.Question, cands []Candidate, n Need) (int, error) {
	kind := models.NotifyQuestionPool
	if q.Urgent() {
		kind = models.NotifyQuestionUrgent
	}
	var told []int64
	if err := tx.Raw(`SELECT user_id FROM notifications WHERE question_id = ? AND kind IN (?, ?)
		UNION SELECT clinician_id FROM question_offers WHERE question_id = ?`,
		q.ID, models.NotifyQuestionPool, models.NotifyQuestionUrgent, q.ID).Scan(&told).Error; err != nil {
		return 0, err
	}
	skip := make(map[int64]bool, len(told))
	for _, id := range told {
		skip[id] = true
	}
	sent := 0
	for _, c := range cands {
		if skip[c.ID] || c.OfferedBefore || !Available(c, n) || int(n.Matches(c)) > q.PoolLevel {
			continue
		}
		if sent+len(told) >= maxPoolNotices {
			break
		}
		if err := s.notifier.NotifyQuestion(ctx, tx.DB, c.ID, kind, q.ID); err != nil {
			return sent, err
		}
		sent++
	}
	return sent, nil
}

// Ways a clinician's hold on a question ends before it is done.
type release struct {
	outcome string // the offer's outcome
	kind    string // the asker's timeline
	reason  string // a hand-back's reason (never shown to the asker)
}

var (
	releaseHandBack      = release{outcome: models.OfferHandedBack, kind: "handed back"}
	releaseAnswerTimeout = release{outcome: models.OfferAnswerTimedOut, kind: "answer timed out"}
	releaseLostAccess    = release{outcome: models.OfferReleased, kind: "released"}
)

// release takes q (locked) from its assignee and routes it again at once.
// The asker is told; messages written so far stay for the next clinician
// only if the asker shares them.
func (s *Service) release(ctx context.Context, tx *database.Tx, q *models.Question, r release, now time.Time) error {
	if q.AssigneeID == nil {
		return nil
	}
	held := *q.AssigneeID
	if err := tx.Exec(`UPDATE question_offers SET outcome = ?, decided_at = ?, reason = ? WHERE id = (SELECT id FROM question_offers
		WHERE question_id = ? AND clinician_id = ? AND outcome IN ('pending', 'accepted') ORDER BY id DESC LIMIT 1)`,
		r.outcome, now, r.reason, q.ID, held).Error; err != nil {
		return err
	}
	var last int64
	if err := tx.Raw(`SELECT coalesce(max(id), 0) FROM question_messages WHERE question_id = ?`, q.ID).Scan(&last).Error; err != nil {
		return err
	}
	cols := map[string]any{"history_cutoff": last, "share_history": false,
		"accepted_at": nil, "answer_by": nil, "answer_reminded_at": nil, "publish_consent": false, "updated_at": now}
	if q.Status != models.QuestionOffered {
		// A new wait starts when a clinician who had taken it lets it go;
		// an offer that ends goes on counting the wait since it was asked.
		cols["waiting_since"], cols["wait_alerted_at"] = now, nil
		q.WaitingSince, q.WaitAlertedAt = &now, nil
	}
	if err := tx.Model(&models.Question{}).Where("id = ?", q.ID).Updates(cols).Error; err != nil {
		return err
	}
	q.HistoryCutoff, q.ShareHistory, q.AcceptedAt, q.AnswerBy, q.PublishConsent = last, false, nil, nil, false
	if err := s.event(tx, q.ID, r.kind, q.Status, now); err != nil {
		return err
	}
	if err := s.notifier.NotifyQuestion(ctx, tx.DB, held, models.NotifyQuestionMoved, q.ID); err != nil {
		return err
	}
	return s.reroute(ctx, tx, q, now)
}

// reroute routes q (locked) again after its clinician let it go, and tells
// the asker.
func (s *Service) reroute(ctx context.Context, tx *database.Tx, q *models.Question, now time.Time) error {
	specs, err := s.forumSpecs(tx.DB, q.ForumID)
	if err != nil {
		return err
	}
	if err := s.route(ctx, tx, q, specs, now); err != nil {
		return err
	}
	return s.notifier.NotifyQuestion(ctx, tx.DB, q.AskerID, models.NotifyQuestionStatus, q.ID)
}

// ReleaseHeldBy ends, inside tx, every open question offered to or held by
// userID if they may no longer hold questions (verification revoked,
// expired or lapsed; account suspended or banned), and routes each again.
// app/clinicians calls it when a verification ends; the server calls it
// when an account is restricted; the sweep catches lapses.
func (s *Service) ReleaseHeldBy(ctx context.Context, tx *database.Tx, userID int64) (err error) {
	defer wrap(&err, "questions: release the questions held by %d", userID)
	now := s.now().UTC()
	ok, err := s.mayHold(ctx, tx.DB, userID, now)
	if err != nil || ok {
		return err
	}
	var ids []int64
	if err := tx.Raw(`SELECT id FROM questions WHERE assignee_id = ? AND status IN ('offered', 'assigned', 'answered') ORDER BY id`, userID).
		Scan(&ids).Error; err != nil {
		return err
	}
	for _, id := range ids {
		q, err := locked(tx, id)
		if err != nil {
			return err
		}
		if q.AssigneeID == nil || *q.AssigneeID != userID || (q.Status != models.QuestionOffered && q.Status != models.QuestionAssigned && q.Status != models.QuestionAnswered) {
			continue
		}
		if err := s.release(ctx, tx, q, releaseLostAccess, now); err != nil {
			return fmt.Errorf("questions: release %d: %w", id, err)
		}
	}
	return nil
}

// VerificationEnded implements clinicians.VerificationListener: a clinician
// whose verification ended loses their questions in the same transaction.
func (s *Service) VerificationEnded(ctx context.Context, tx *database.Tx, userID int64, _ bool) (err error) {
	defer wrap(&err, "questions: end of verification of %d", userID)
	return s.ReleaseHeldBy(ctx, tx, userID)
}
