package questions

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Oversight is what admins see of private questions: counts and ages only,
// never a title, a text or a member.
type Oversight struct {
	At             time.Time       `json:"at"`
	Waiting        int             `json:"waiting"`  // no clinician holds it: offered or in the pool
	Offered        int             `json:"offered"`  // offered to one clinician
	InPool         int             `json:"in_pool"`  // open to every clinician who may take it
	Held           int             `json:"held"`     // taken, not answered yet
	Answered       int             `json:"answered"` // answered, conversation open
	Overdue        int             `json:"overdue"`  // waited past its alert time, or past its answer deadline
	Urgent         int             `json:"urgent_waiting"`
	AnsweredInTime int             `json:"answered_in_time_30d"` // first answers in the last 30 days within the deadline
	AnsweredLate   int             `json:"answered_late_30d"`
	OldestWaiting  string          `json:"oldest_waiting"` // "3 h 10 min", "" when none
	OldestSince    *time.Time      `json:"oldest_waiting_since,omitempty"`
	Accepting      int             `json:"clinicians_accepting"` // verified clinicians taking questions now
	Paused         int             `json:"clinicians_paused"`
	BySpecialty    []OversightLine `json:"by_specialty"`
	ByForum        []OversightLine `json:"by_forum"`
}

// OversightLine is the counts of one specialty or forum.
type OversightLine struct {
	Name     string `json:"name"`
	Waiting  int    `json:"waiting"`
	Offered  int    `json:"offered"`
	InPool   int    `json:"in_pool"`
	Held     int    `json:"held"`
	Overdue  int    `json:"overdue"`
	Answered int    `json:"answered_30d"`
}

// overdueSQL is true for an open question that waited for a clinician
// past its alert time or is held past its answer deadline. Arguments: now
// minus the urgent alert time, now minus the ordinary one, now.
const overdueSQL = `((q.status IN ('offered', 'pool') AND q.waiting_since <= CASE WHEN q.not_emergency OR q.crisis THEN CAST(? AS timestamptz) ELSE CAST(? AS timestamptz) END)
	OR (q.status = 'assigned' AND q.answer_by <= ?))`

// Oversight counts the questions for admins.
func (s *Service) Oversight(ctx context.Context) (_ *Oversight, err error) {
	defer wrap(&err, "questions: oversight")
	now := s.now().UTC()
	db := s.db.Gorm.WithContext(ctx)
	o := &Oversight{At: now}
	var counts struct {
		Waiting, Offered, InPool, Held, Answered, Overdue, Urgent int
		OldestSince                                               *time.Time
	}
	var recentCounts struct{ AnsweredInTime, AnsweredLate int }
	var clinicianCounts struct{ Accepting, Paused int }
	args := []any{now.Add(-s.opts.UrgentWaitAlert), now.Add(-s.opts.WaitAlert), now}
	if err := db.Raw(`SELECT
		count(*) FILTER (WHERE q.status IN ('offered', 'pool')) AS waiting,
		count(*) FILTER (WHERE q.status = 'offered') AS offered,
		count(*) FILTER (WHERE q.status = 'pool') AS in_pool,
		count(*) FILTER (WHERE q.status = 'assigned') AS held,
		count(*) FILTER (WHERE q.status = 'answered') AS answered,
		count(*) FILTER (WHERE `+overdueSQL+`) AS overdue,
		count(*) FILTER (WHERE q.status IN ('offered', 'pool') AND (q.not_emergency OR q.crisis)) AS urgent,
		min(q.waiting_since) FILTER (WHERE q.status IN ('offered', 'pool')) AS oldest_since
		FROM questions q WHERE q.status IN ('offered', 'pool', 'assigned', 'answered')`, args...).Scan(&counts).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT count(*) FILTER (WHERE q.answer_by IS NULL OR q.answered_at <= q.answer_by) AS answered_in_time,
		count(*) FILTER (WHERE q.answered_at > q.answer_by) AS answered_late
		FROM questions q WHERE q.answered_at > ?`, now.Add(-30*24*time.Hour)).Scan(&recentCounts).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT count(*) FILTER (WHERE cs.accepting_questions) AS accepting, count(*) FILTER (WHERE cs.paused_at IS NOT NULL AND NOT cs.accepting_questions) AS paused
		FROM clinician_settings cs JOIN credentials c ON c.user_id = cs.user_id AND clinician_verified(c.status, c.verified_until, ?)`, now).Scan(&clinicianCounts).Error; err != nil {
		return nil, err
	}
	o.Waiting, o.Offered, o.InPool, o.Held, o.Answered, o.Overdue, o.Urgent = counts.Waiting, counts.Offered, counts.InPool, counts.Held, counts.Answered, counts.Overdue, counts.Urgent
	o.AnsweredInTime, o.AnsweredLate, o.Accepting, o.Paused, o.OldestSince = recentCounts.AnsweredInTime, recentCounts.AnsweredLate, clinicianCounts.Accepting, clinicianCounts.Paused, counts.OldestSince
	if o.OldestSince != nil {
		o.OldestWaiting = age(now.Sub(*o.OldestSince))
	}
	line := `count(*) FILTER (WHERE q.status IN ('offered', 'pool')) AS waiting,
		count(*) FILTER (WHERE q.status = 'offered') AS offered, count(*) FILTER (WHERE q.status = 'pool') AS in_pool,
		count(*) FILTER (WHERE q.status = 'assigned') AS held, count(*) FILTER (WHERE ` + overdueSQL + `) AS overdue,
		count(*) FILTER (WHERE q.answered_at > ?) AS answered`
	recent := append(append([]any{}, args...), now.Add(-30*24*time.Hour))
	// A question without a chosen specialty counts under its condition's.
	if err := db.Raw(`SELECT coalesce(sp.label, (SELECT string_agg(fs.label, ', ' ORDER BY fs.label) FROM specialties fs WHERE fs.code = ANY (f.specialties)),
		'No specialty') AS name, `+line+`
		FROM questions q JOIN forums f ON f.id = q.forum_id LEFT JOIN specialties sp ON sp.code = q.specialty
		WHERE q.status IN ('offered', 'pool', 'assigned', 'answered') OR q.answered_at > ?
		GROUP BY 1 ORDER BY 2 DESC, 1`, append(recent, now.Add(-30*24*time.Hour))...).Scan(&o.BySpecialty).Error; err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT f.name, `+line+`
		FROM questions q JOIN forums f ON f.id = q.forum_id
		WHERE q.status IN ('offered', 'pool', 'assigned', 'answered') OR q.answered_at > ?
		GROUP BY 1 ORDER BY 2 DESC, 1`, append(recent, now.Add(-30*24*time.Hour))...).Scan(&o.ByForum).Error; err != nil {
		return nil, err
	}
	return o, nil
}

// Oversight is the admins' page of counts.
func (h *Handlers) Oversight(c echo.Context) error {
	o, err := h.svc.Oversight(c.Request().Context())
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Private questions: overview")
	p.Noindex = true
	p.Data = o
	return h.r.Render(c, http.StatusOK, TplOversight, p)
}

// Oversight returns the counts as JSON.
func (a *API) Oversight(c echo.Context) error {
	o, err := a.h.svc.Oversight(c.Request().Context())
	if err != nil {
		return err
	}
	if o.BySpecialty == nil {
		o.BySpecialty = []OversightLine{}
	}
	if o.ByForum == nil {
		o.ByForum = []OversightLine{}
	}
	return c.JSON(http.StatusOK, o)
}

// age writes a duration as "2 d 3 h", "3 h 10 min" or "12 min".
func age(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	days, hours, mins := int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60
	switch {
	case days > 0:
		return fmt.Sprintf("%d d %d h", days, hours)
	case hours > 0:
		return fmt.Sprintf("%d h %d min", hours, mins)
	}
	return fmt.Sprintf("%d min", mins)
}
