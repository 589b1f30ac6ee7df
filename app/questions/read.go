package questions

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// View is a question as a participant sees it.
type View struct {
	Question        models.Question
	ForumSlug       string
	ForumName       string
	SpecialtyName   string
	AssigneeName    string // the clinician who holds it, once taken
	AssigneeLabel   string // their standing: "verified clinician", …
	Asker           bool   // the viewer asked it
	Assignee        bool   // the viewer holds it (or is offered it)
	Messages        []MessageView
	Timeline        []models.QuestionEvent
	Readers         []Reader // for the asker: who else read it, why, when
	Status          string   // the status in plain words for the viewer
	EarlierHidden   int      // for the clinician: earlier messages the asker has not shared
	ShareChoice     bool     // for the asker: the question changed hands; share the earlier conversation?
	CanReopen       bool     // for the asker
	ReopenUntil     *time.Time
	NobodyAvailable bool // waiting, and no clinician can take it right now
}

// MessageView is a message with its author as this viewer may see them.
type MessageView struct {
	models.QuestionMessage
	FromAsker      bool
	Author         string `gorm:"-"` // by WhoWrote
	AuthorHandle   string
	AuthorStanding string // the author's verification: verified, lapsed, revoked, ""
	Earlier        bool   // written before the question changed hands
}

// Standing of a clinician who wrote a message, in the words pages use.
const (
	StandingVerified = "verified"
	StandingLapsed   = "lapsed"  // expired or lapsed normally
	StandingRevoked  = "revoked" // verification taken away
)

// StandingLabel says how a clinician's messages are labelled: revoked
// clinicians lose the label, others keep "verified at the time".
func StandingLabel(standing string) string {
	switch standing {
	case StandingVerified:
		return "verified clinician"
	case StandingLapsed:
		return "clinician verified at the time"
	case StandingRevoked:
		return "no longer a verified clinician"
	}
	return ""
}

// WhoWrote is the one rule for how a message's author is shown, on pages
// and in the API alike: the clinician never sees the asker's handle (only
// "the member"), the asker sees the clinician's handle and standing, and a
// clinician sees an earlier clinician only as such.
func WhoWrote(viewerIsAsker bool, viewerID int64, m MessageView) string {
	switch {
	case m.FromAsker && viewerIsAsker:
		return "You"
	case m.FromAsker:
		return "The member"
	case !viewerIsAsker && m.AuthorID == viewerID:
		return "You"
	case !viewerIsAsker:
		return "An earlier clinician"
	}
	if l := StandingLabel(m.AuthorStanding); l != "" {
		return m.AuthorHandle + " (" + l + ")"
	}
	return m.AuthorHandle
}

// Reader is one audited reader other than the asker.
type Reader struct {
	Handle string    `json:"handle"`
	Role   string    `json:"role"`   // clinician, moderator, admin
	Reason string    `json:"reason"` // why they read it
	Times  int       `json:"times"`
	At     time.Time `json:"last_at"`
}

// Get loads a question for the asker or the clinician who may hold it now;
// everyone else gets ErrNotFound. A read by anyone but the asker is
// audited, with why they read it.
func (s *Service) Get(ctx context.Context, actor models.Actor, id int64, ip string) (_ *View, err error) {
	u := actor.User
	defer wrap(&err, "questions: read question %d", id)
	if u == nil {
		return nil, notFound(id)
	}
	now := s.now().UTC()
	db := s.db.Gorm.WithContext(ctx)
	var q models.Question
	if err := db.Limit(1).Find(&q, id).Error; err != nil {
		return nil, err
	}
	if q.ID == 0 {
		return nil, notFound(id)
	}
	holds := false
	if assignedTo(actor, &q) {
		if holds, err = s.mayHold(ctx, s.db.Gorm, u.ID, now); err != nil {
			return nil, err
		}
	}
	p := partyOf(actor, &q, holds)
	if !mayRead(p, q.Status) {
		return nil, notFound(id)
	}
	v := &View{Question: q, Asker: p == asker, Assignee: p == holder}
	if v.Assignee {
		reason := "answering it"
		if q.Status == models.QuestionOffered {
			reason = "offered it to answer"
		}
		if err := audit.Record(ctx, s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "question.read", TargetKind: "question", TargetID: &q.ID,
			IP: ip, Reason: reason}); err != nil {
			return nil, err
		}
	}
	var meta struct {
		ForumSlug, ForumName, SpecialtyName, AssigneeName string
	}
	if err := db.Raw(`SELECT f.slug AS forum_slug, f.name AS forum_name, coalesce(sp.label, '') AS specialty_name,
		coalesce(a.handle, '') AS assignee_name
		FROM questions q JOIN forums f ON f.id = q.forum_id LEFT JOIN specialties sp ON sp.code = q.specialty
		LEFT JOIN users a ON a.id = q.assignee_id AND q.status <> 'offered'
		WHERE q.id = ?`, id).Scan(&meta).Error; err != nil {
		return nil, err
	}
	v.ForumSlug, v.ForumName, v.SpecialtyName, v.AssigneeName = meta.ForumSlug, meta.ForumName, meta.SpecialtyName, meta.AssigneeName
	if err := s.loadMessages(ctx, v, u.ID, now); err != nil {
		return nil, err
	}
	if v.AssigneeName != "" && q.AssigneeID != nil {
		st, err := s.standing(ctx, *q.AssigneeID, now)
		if err != nil {
			return nil, err
		}
		v.AssigneeLabel = StandingLabel(st)
	}
	if v.Asker {
		if err := db.Where("question_id = ?", id).Order("id").Find(&v.Timeline).Error; err != nil {
			return nil, err
		}
		if err := db.Raw(readersSQL, id, id).Scan(&v.Readers).Error; err != nil {
			return nil, err
		}
		v.ShareChoice = q.HistoryCutoff > 0 && !q.ShareHistory && q.Status.Open()
		if q.Status == models.QuestionClosed && q.ClosedAt != nil && q.AssigneeID != nil {
			until := q.ClosedAt.Add(s.opts.ReopenWithin)
			v.ReopenUntil = &until
			v.CanReopen = now.Before(until)
		}
		if q.Status == models.QuestionPool || q.Status == models.QuestionOffered {
			nobody, err := s.nobodyAvailable(ctx, &q, now)
			if err != nil {
				return nil, err
			}
			v.NobodyAvailable = nobody && q.Status == models.QuestionPool
		}
	}
	v.Status = s.StatusText(v, now)
	return v, nil
}

// readersSQL lists everyone but the asker who read a question or one of
// its messages: clinicians who held it and moderators who read a reported
// message, each with the reason recorded at the time.
const readersSQL = `SELECT coalesce(u.handle, 'a former member') AS handle,
	CASE WHEN e.action = 'question.read' THEN 'clinician' WHEN u.role = 'admin' THEN 'admin' ELSE 'moderator' END AS role,
	e.reason, count(*) AS times, max(e.created_at) AS at
	FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
	WHERE (e.target_kind = 'question' AND e.target_id = ? AND e.action = 'question.read')
	   OR (e.target_kind = 'question_message' AND e.action = 'question_message.read'
	       AND e.target_id IN (SELECT m.id FROM question_messages m WHERE m.question_id = ?))
	GROUP BY e.actor_id, u.handle, u.role, e.action, e.reason ORDER BY max(e.created_at) DESC LIMIT 100`

// loadMessages reads the conversation as viewer may see it: a clinician
// who took the question over reads the earlier messages only if the asker
// shared them.
func (s *Service) loadMessages(ctx context.Context, v *View, viewerID int64, now time.Time) error {
	q := v.Question
	var rows []MessageView
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT m.*, (m.author_id = ?) AS from_asker, u.handle AS author_handle, (m.id <= ?) AS earlier,
		CASE WHEN m.author_id = ? THEN ''
		     WHEN EXISTS (SELECT 1 FROM credentials c WHERE c.user_id = m.author_id AND clinician_verified(c.status, c.verified_until, ?)) THEN 'verified'
		     WHEN EXISTS (SELECT 1 FROM credentials c WHERE c.user_id = m.author_id AND c.status = 'revoked') THEN 'revoked'
		     ELSE 'lapsed' END AS author_standing
		FROM question_messages m JOIN users u ON u.id = m.author_id
		WHERE m.question_id = ? ORDER BY m.id`, q.AskerID, q.HistoryCutoff, q.AskerID, now, q.ID).Scan(&rows).Error; err != nil {
		return err
	}
	for _, m := range rows {
		if !v.Asker && m.Earlier && !q.ShareHistory {
			v.EarlierHidden++
			continue
		}
		m.Author = WhoWrote(v.Asker, viewerID, m)
		v.Messages = append(v.Messages, m)
	}
	return nil
}

// standing reads a clinician's verification standing now.
func (s *Service) standing(ctx context.Context, userID int64, now time.Time) (string, error) {
	var st string
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT CASE
		WHEN EXISTS (SELECT 1 FROM credentials c WHERE c.user_id = ? AND clinician_verified(c.status, c.verified_until, ?)) THEN 'verified'
		WHEN EXISTS (SELECT 1 FROM credentials c WHERE c.user_id = ? AND c.status = 'revoked') THEN 'revoked'
		ELSE 'lapsed' END`, userID, now, userID).Scan(&st).Error
	return st, err
}

// nobodyAvailable reports whether no clinician could take q now.
func (s *Service) nobodyAvailable(ctx context.Context, q *models.Question, now time.Time) (bool, error) {
	specs, err := s.forumSpecs(s.db.Gorm.WithContext(ctx), q.ForumID)
	if err != nil {
		return false, err
	}
	level, _, err := s.closest(ctx, s.db.Gorm, q, need(q, specs, now), now, Available)
	return level == 0, err
}

// StatusText tells the viewer, truthfully, where the question stands and
// what happens next.
func (s *Service) StatusText(v *View, now time.Time) string {
	q := v.Question
	o := s.opts
	switch q.Status {
	case models.QuestionOffered:
		if !v.Asker {
			return "Offered to you: accept or decline it by " + stamp(q.RespondBy) + "."
		}
		return "Offered to a verified clinician, who has until " + stamp(q.RespondBy) + " to take it. If they cannot, it goes to the next suitable clinician at once."
	case models.QuestionPool:
		switch {
		case v.NobodyAvailable && q.WaitAlertedAt != nil:
			return "No clinician is taking questions in this area right now, and our team has been alerted. Your question stays open to the first clinician who can take it."
		case v.NobodyAvailable:
			return "No clinician is taking questions in this area right now. Your question stays open to the first one who can, and our team is told if it waits more than " + hours(o.waitAlert(&q)) + "."
		case q.WaitAlertedAt != nil:
			return "No clinician has taken it yet. Every clinician who can take it sees it, and our team has been alerted."
		case q.Urgent():
			return "Every clinician who can take it has been told at once; the first one to take it answers you. If nobody has within " + hours(o.waitAlert(&q)) + ", our team is alerted."
		}
		return "Waiting for the first suitable clinician to take it; they all see it. If nobody has within " + hours(o.waitAlert(&q)) + ", our team is alerted."
	case models.QuestionAssigned:
		if !v.Asker {
			return "You hold this question: please answer by " + stamp(q.AnswerBy) + ", or hand it back."
		}
		return "A verified clinician is working on it and aims to answer by " + stamp(q.AnswerBy) + ". If they cannot, it goes to another clinician."
	case models.QuestionAnswered:
		return "Answered. The conversation stays open; it closes by itself after " + days(o.QuietClose) + " without a message."
	case models.QuestionClosed:
		if v.CanReopen {
			return "Closed. You can reopen it until " + stamp(v.ReopenUntil) + "."
		}
		return "Closed."
	case models.QuestionWithdrawn:
		return "Withdrawn. Nobody can read it any more but you."
	}
	return q.Status.Label()
}

func stamp(t *time.Time) string {
	if t == nil {
		return "soon"
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
}

func hours(d time.Duration) string {
	if h := int(d.Hours()); h >= 1 {
		if h == 1 {
			return "an hour"
		}
		return fmt.Sprintf("%d hours", h)
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()))
}

func days(d time.Duration) string {
	n := int(d.Hours() / 24)
	if n == 1 {
		return "a day"
	}
	return fmt.Sprintf("%d days", n)
}

// Summary is a line of a dashboard list: never the text, only the title
// for participants.
type Summary struct {
	ID            int64                 `json:"id"`
	Title         string                `json:"title"`
	Status        models.QuestionStatus `json:"status"`
	ForumName     string                `json:"forum"`
	Specialty     string                `json:"specialty"`
	RespondBy     *time.Time            `json:"respond_by,omitempty"`
	AnswerBy      *time.Time            `json:"answer_by,omitempty"`
	Rating        *string               `json:"rating,omitempty"`
	Urgent        bool                  `json:"urgent"`
	Match         string                `json:"match,omitempty" gorm:"-"` // in the pool: how the question fits this clinician
	CreatedAt     time.Time             `json:"created_at"`
	UpdatedAt     time.Time             `json:"updated_at"`
	Remaining     string                `json:"-" gorm:"-"` // "5 h 20 min left", for pages
	SpecialtyCode *string               `json:"-"`
	ForumSpecs    pq.StringArray        `json:"-" gorm:"type:text[]"`
	PoolLevel     int                   `json:"-"`
	Cooling       bool                  `json:"-"`
	AskerID       int64                 `json:"-"`
}

const summarySQL = `SELECT q.id, q.title, q.status, f.name AS forum_name, coalesce(sp.label, '') AS specialty, q.respond_by, q.answer_by, q.rating,
	(q.not_emergency OR q.crisis) AS urgent, q.created_at, q.updated_at, q.specialty AS specialty_code, f.specialties AS forum_specs, q.pool_level, q.asker_id
	FROM questions q JOIN forums f ON f.id = q.forum_id LEFT JOIN specialties sp ON sp.code = q.specialty `

// Asked lists the member's own questions, newest first.
func (s *Service) Asked(ctx context.Context, actor models.Actor) (_ []Summary, err error) {
	u := actor.User
	defer wrap(&err, "questions: questions asked")
	var out []Summary
	err = s.db.Gorm.WithContext(ctx).Raw(summarySQL+`WHERE q.asker_id = ? ORDER BY q.id DESC LIMIT 100`, u.ID).Scan(&out).Error
	return out, err
}

// Dashboard is what a clinician sees.
type Dashboard struct {
	Offers   []Summary                `json:"offers"`   // offered to them, with deadlines
	Open     []Summary                `json:"open"`     // assigned or answered, still open
	Finished []Summary                `json:"finished"` // closed or withdrawn after they took it
	Pool     []Summary                `json:"pool"`     // waiting for any eligible clinician
	Eligible bool                     `json:"eligible"` // verified and accepting
	Verified bool                     `json:"verified"`
	Paused   bool                     `json:"paused"` // Kindred paused their offers after repeated time-outs
	Settings models.ClinicianSettings `json:"-"`
}

// Has reports whether id is one of the clinician's offers, questions or
// pool items (a notification's question may have moved on).
func (d *Dashboard) Has(id int64) bool {
	for _, l := range [][]Summary{d.Offers, d.Open, d.Pool} {
		for _, s := range l {
			if s.ID == id {
				return true
			}
		}
	}
	return false
}

// ClinicianDashboard lists a clinician's offers, questions and the pool
// they may claim from. A clinician who may no longer hold questions sees
// none of them.
func (s *Service) ClinicianDashboard(ctx context.Context, actor models.Actor) (_ *Dashboard, err error) {
	u := actor.User
	defer wrap(&err, "questions: clinician dashboard")
	db := s.db.Gorm.WithContext(ctx)
	now := s.now().UTC()
	d := &Dashboard{}
	ok, err := s.mayHold(ctx, s.db.Gorm, u.ID, now)
	if err != nil {
		return nil, err
	}
	d.Verified = ok
	if ok {
		if err := db.Raw(summarySQL+`WHERE q.assignee_id = ? AND q.status = 'offered' ORDER BY q.respond_by`, u.ID).Scan(&d.Offers).Error; err != nil {
			return nil, err
		}
		if err := db.Raw(summarySQL+`WHERE q.assignee_id = ? AND q.status IN ('assigned', 'answered') ORDER BY q.updated_at DESC`, u.ID).Scan(&d.Open).Error; err != nil {
			return nil, err
		}
		if err := db.Raw(summarySQL+`WHERE q.assignee_id = ? AND q.status IN ('closed', 'withdrawn') ORDER BY q.updated_at DESC LIMIT 50`, u.ID).Scan(&d.Finished).Error; err != nil {
			return nil, err
		}
		pool, err := s.Pool(ctx, actor)
		if err != nil {
			return nil, err
		}
		d.Pool = pool
	}
	d.Settings = models.ClinicianSettings{UserID: u.ID, MaxOpenQuestions: 5}
	if err := db.Where("user_id = ?", u.ID).Limit(1).Find(&d.Settings).Error; err != nil {
		return nil, err
	}
	d.Eligible = d.Verified && d.Settings.AcceptingQuestions
	d.Paused = d.Settings.PausedAt != nil && !d.Settings.AcceptingQuestions
	return d, nil
}

// Pool lists the pooled questions this clinician may take, urgent ones
// first, then oldest: title, condition and specialty only, and how the
// question fits them; the text opens on taking it.
func (s *Service) Pool(ctx context.Context, actor models.Actor) (_ []Summary, err error) {
	u := actor.User
	defer wrap(&err, "questions: the pool")
	now := s.now().UTC()
	self, err := s.candidates(ctx, s.db.Gorm, &models.Question{}, now, u.ID)
	if err != nil || len(self) == 0 || !Available(self[0], Need{Now: now}) {
		return nil, err
	}
	var rows []Summary
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT * FROM (`+summarySQL+`WHERE q.status = 'pool' AND q.asker_id <> ?) q,
		LATERAL (SELECT EXISTS (SELECT 1 FROM question_offers o WHERE o.question_id = q.id AND o.clinician_id = ?
			AND (o.decided_at IS NULL OR o.decided_at > ?)) AS cooling) c
		ORDER BY q.urgent DESC, q.created_at, q.id LIMIT 500`, u.ID, u.ID, now.Add(-s.opts.PoolCooling)).Scan(&rows).Error; err != nil {
		return nil, err
	}
	var out []Summary
	for _, r := range rows {
		c := self[0]
		c.Cooling = r.Cooling
		n := Need{AskerID: r.AskerID, ForumSpecialties: r.ForumSpecs, Now: now}
		if r.SpecialtyCode != nil {
			n.Specialty = *r.SpecialtyCode
		}
		l := n.Matches(c)
		if !Available(c, n) || int(l) > r.PoolLevel {
			continue
		}
		r.Match = l.Label()
		if n.Specialty == "" && len(n.ForumSpecialties) == 0 {
			r.Match = "open to every clinician"
		}
		out = append(out, r)
		if len(out) == 200 {
			break
		}
	}
	return out, nil
}

// Decide makes one routing decision for a question without acting on it:
// the candidates query and Route, as route does (the benchmark measures it).
func (s *Service) Decide(ctx context.Context, id int64) (_ Candidate, _ bool, err error) {
	defer wrap(&err, "questions: decide on question %d", id)
	var q models.Question
	if err := s.db.Gorm.WithContext(ctx).First(&q, id).Error; err != nil {
		return Candidate{}, false, err
	}
	specs, err := s.forumSpecs(s.db.Gorm.WithContext(ctx), q.ForumID)
	if err != nil {
		return Candidate{}, false, err
	}
	now := s.now().UTC()
	n := need(&q, specs, now)
	_, cands, err := s.closest(ctx, s.db.Gorm, &q, n, now, Eligible)
	if err != nil {
		return Candidate{}, false, err
	}
	c, _, ok := Route(cands, n)
	return c, ok, nil
}

// PublishForm is the asker's anonymised copy: they may edit out anything
// that could identify them.
type PublishForm struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Publish shares an answered question as a public thread: the asker's
// edited text anonymously, the clinician's answers under their name. It
// needs the consent of the clinician who answered, who must still be
// verified, and happens once.
func (s *Service) Publish(ctx context.Context, actor models.Actor, id int64, form PublishForm) (_ int64, err error) {
	defer wrap(&err, "questions: publish question %d", id)
	var threadID int64
	now := s.now().UTC()
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		q, err := askerLocked(tx, actor, id)
		if err != nil {
			return err
		}
		switch {
		case q.PublishedThreadID != nil:
			return &models.ConflictError{Message: "This question is already published."}
		case !q.PublishConsent || q.AssigneeID == nil:
			return &models.ConflictError{Message: "The clinician has not agreed to publishing yet."}
		case q.AnsweredAt == nil || (q.Status != models.QuestionAnswered && q.Status != models.QuestionClosed):
			return &models.ConflictError{Message: "Only an answered question can be published."}
		}
		ok, err := s.mayHold(ctx, tx.DB, *q.AssigneeID, now)
		if err != nil {
			return err
		}
		if !ok {
			return &models.ConflictError{Message: "The clinician who answered is no longer verified, so the answer cannot be published as a clinician's."}
		}
		var answers []models.PublishedAnswer
		if err := tx.Raw(`SELECT author_id, body, created_at AS at FROM question_messages
			WHERE question_id = ? AND author_id = ? AND NOT info_request AND id > ? ORDER BY id`, id, *q.AssigneeID, q.HistoryCutoff).Scan(&answers).Error; err != nil {
			return err
		}
		threadID, err = s.publisher.PublishAnonymised(ctx, tx, q.ForumID, q.AskerID, form.Title, form.Body, answers)
		if err != nil {
			return err
		}
		if err := tx.Model(&models.Question{}).Where("id = ?", id).Updates(map[string]any{"published_thread_id": threadID, "updated_at": now}).Error; err != nil {
			return err
		}
		return s.event(tx, id, "published", q.Status, now)
	})
	return threadID, err
}

// SpecialtyOption is a specialty the ask form offers: one that at least
// one clinician taking questions covers now.
type SpecialtyOption struct {
	Code, Label string
}

// AskChoices are what the ask form offers: the specialties clinicians
// cover now, and how long members usually wait for a clinician to take a
// question (over the last 90 days; 0 when too few questions to say).
type AskChoices struct {
	Specialties []SpecialtyOption
	UsualWait   time.Duration
}

// Choices reads the ask form's choices.
func (s *Service) Choices(ctx context.Context) (_ *AskChoices, err error) {
	defer wrap(&err, "questions: ask choices")
	now := s.now().UTC()
	db := s.db.Gorm.WithContext(ctx)
	out := &AskChoices{}
	if err := db.Raw(`SELECT sp.code, sp.label FROM specialties sp WHERE EXISTS (
		SELECT 1 FROM credentials c JOIN clinician_settings cs ON cs.user_id = c.user_id AND cs.accepting_questions
		JOIN users u ON u.id = c.user_id AND `+usableAccount+`
		WHERE clinician_verified(c.status, c.verified_until, ?) AND sp.code = ANY (c.specialties))
		ORDER BY sp.label`, now, now).Scan(&out.Specialties).Error; err != nil {
		return nil, err
	}
	var wait struct {
		N       int
		Seconds float64
	}
	if err := db.Raw(`SELECT count(*) AS n, coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.taken - q.created_at)), 0) AS seconds
		FROM questions q CROSS JOIN LATERAL (SELECT min(e.created_at) AS taken FROM question_events e
			WHERE e.question_id = q.id AND e.kind IN ('accepted', 'claimed')) t
		WHERE q.created_at > ? AND t.taken IS NOT NULL`, now.Add(-90*24*time.Hour)).Scan(&wait).Error; err != nil {
		return nil, err
	}
	if wait.N >= 5 {
		out.UsualWait = time.Duration(wait.Seconds) * time.Second
	}
	return out, nil
}

// Wait writes a usual wait for people: "about 3 hours".
func Wait(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Hour:
		return "less than an hour"
	case d < 48*time.Hour:
		return fmt.Sprintf("about %d hours", int(d.Hours()+0.5))
	}
	return fmt.Sprintf("about %d days", int(d.Hours()/24+0.5))
}

// PendingOffers counts the questions offered to the clinician now and
// waiting for their answer (live updates show it on their pages).
func (s *Service) PendingOffers(ctx context.Context, clinicianID int64) (int64, error) {
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM question_offers o JOIN questions q ON q.id = o.question_id
		WHERE o.clinician_id = ? AND o.outcome = 'pending' AND q.status = 'offered' AND q.assignee_id = o.clinician_id`, clinicianID).Scan(&n).Error
	return n, err
}
