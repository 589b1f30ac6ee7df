package moderation

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// Report priorities: an imminent crisis goes above everything else.
const (
	PriorityNormal = 0
	PriorityCrisis = 2
)

// Crisis follow-up steps a moderator takes from the queue.
const (
	ActAcknowledge = "acknowledge"
	ActReachedOut  = "reached_out"
	ActCloseCrisis = "close_crisis"
)

// FileCrisis acts on a text's crisis level for the moderators, inside the
// write's transaction, as the forum's mapping says (actions): a self-harm
// report (at the very top of the queue for priority_report) with a
// follow-up to acknowledge, on-duty moderators alerted at once (in-app and
// by an e-mail that carries no text), or a low-priority flag. It records
// the engine's findings (never the text) in every case; textLen is the
// length of the text their spans point into. Alerting needs an item to
// open, so alert_on_duty without a report files a priority report.
func (s *Safety) FileCrisis(ctx context.Context, tx *database.Tx, kind string, id, forumID int64, level safety.Level, actions []string, r safety.Result, textLen int) error {
	has := map[string]bool{}
	for _, a := range actions {
		has[a] = true
	}
	now := s.now().UTC()
	fid := forumID
	var reportID *int64
	if has[safety.CrisisReport] || has[safety.CrisisPriorityReport] || has[safety.CrisisAlertOnDuty] {
		prio := PriorityNormal
		if has[safety.CrisisPriorityReport] || (has[safety.CrisisAlertOnDuty] && !has[safety.CrisisReport]) {
			prio = PriorityCrisis
		}
		note := "The safety engine found crisis language (level " + level.String() + "): the author may be at risk."
		if level == safety.LevelHigh {
			note = "The safety engine found signs of imminent danger (level high): reach out now."
		}
		rep := &models.Report{TargetKind: kind, TargetID: id, ForumID: &fid, Reason: models.ReasonSelfHarm, Note: note, Weight: 0,
			Status: models.ReportOpen, CreatedAt: now, Priority: prio}
		if err := tx.Omit("ID", "ReporterID").Create(rep).Error; err != nil {
			return fmt.Errorf("moderation: crisis report: %w", err)
		}
		reportID = &rep.ID
		if err := tx.Exec(`INSERT INTO crisis_followups (report_id, level, created_at) VALUES (?, ?, ?)`, rep.ID, level.String(), now).Error; err != nil {
			return fmt.Errorf("moderation: crisis follow-up: %w", err)
		}
		if has[safety.CrisisAlertOnDuty] {
			if err := s.alertOnDuty(ctx, tx, forumID, rep.ID); err != nil {
				return err
			}
		}
	} else if has[safety.CrisisFlag] {
		rep := &models.Report{TargetKind: kind, TargetID: id, ForumID: &fid, Reason: models.ReasonOther,
			Note: "The safety engine found crisis language (level " + level.String() + "): for a look when there is time.", Weight: 0,
			Status: models.ReportOpen, CreatedAt: now}
		if err := tx.Omit("ID", "ReporterID").Create(rep).Error; err != nil {
			return fmt.Errorf("moderation: crisis flag: %w", err)
		}
		reportID = &rep.ID
	}
	return s.recordFindings(ctx, tx, kind, id, reportID, r, textLen, now)
}

// alertOnDuty tells every moderator on duty who may act on the forum
// (global moderators, admins and the forum's own) at once: in-app, and by
// e-mail when mail is configured and their address is confirmed.
func (s *Safety) alertOnDuty(ctx context.Context, tx *database.Tx, forumID, reportID int64) error {
	var ids []int64
	if err := tx.WithContext(ctx).Raw(`SELECT id FROM users WHERE status = 'active' AND on_duty AND (role IN ('moderator', 'admin')
		   OR id IN (SELECT user_id FROM forum_moderators WHERE forum_id = ?)) ORDER BY id`, forumID).Scan(&ids).Error; err != nil {
		return fmt.Errorf("moderation: alert moderators: %w", err)
	}
	if err := s.notifier.NotifyReportTo(ctx, tx.DB, ids, models.NotifyReportUrgent, reportID); err != nil {
		return fmt.Errorf("moderation: alert moderators: %w", err)
	}
	return s.mailAlerts(ctx, tx, ids, reportID, AlertUrgent)
}

// mailAlerts enqueues one alert e-mail per user with a confirmed address.
func (s *Safety) mailAlerts(ctx context.Context, tx *database.Tx, userIDs []int64, reportID int64, why string) error {
	if !s.opts.Mail || len(userIDs) == 0 {
		return nil
	}
	var to []int64
	if err := tx.WithContext(ctx).Raw(`SELECT id FROM users WHERE id IN ? AND email IS NOT NULL AND email_verified_at IS NOT NULL ORDER BY id`, userIDs).Scan(&to).Error; err != nil {
		return err
	}
	for _, uid := range to {
		if err := tx.Enqueue(ctx, AlertEmailArgs{UserID: uid, ReportID: reportID, Why: why}, nil); err != nil {
			return err
		}
	}
	return nil
}

// recordFindings stores what the engine found in a text: detector,
// category, level, spans, rule, context and engine version, never the text.
// Each write adds its own rows, so an edit's findings come with the new
// version; watched crisis words are recorded as findings of their own.
func (s *Safety) recordFindings(ctx context.Context, tx *database.Tx, kind string, id int64, reportID *int64, r safety.Result, textLen int, now time.Time) error {
	type row struct {
		Detector, Category, Level, Rule, Context string
		Spans                                    []safety.Span
	}
	var rows []row
	for _, f := range r.Findings {
		if f.Level == safety.LevelNone {
			continue
		}
		rows = append(rows, row{f.Detector, f.Category, f.Level.String(), f.Rule, f.Context, f.Spans})
	}
	for _, w := range r.CrisisWords {
		rows = append(rows, row{safety.DetectorCrisis, "watched_word", safety.LevelHigh.String(), "watched word: " + w, "", nil})
	}
	for _, f := range rows {
		if f.Spans == nil {
			f.Spans = []safety.Span{}
		}
		spans, err := json.Marshal(f.Spans)
		if err != nil {
			return err
		}
		if err := tx.WithContext(ctx).Exec(`INSERT INTO safety_findings (target_kind, target_id, report_id, detector, category, level, spans, rule, context, engine_version, text_length, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, kind, id, reportID, f.Detector, f.Category, f.Level, string(spans), f.Rule, f.Context, safety.Version, textLen, now).Error; err != nil {
			return fmt.Errorf("moderation: findings: %w", err)
		}
	}
	return nil
}

// FollowupView is a crisis item's follow-up as moderators see it.
type FollowupView struct {
	ReportID       int64      `json:"report_id"`
	Level          string     `json:"level"`
	Priority       int        `json:"priority"`
	ReportStatus   string     `json:"report_status"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	AckSeconds     *int       `json:"ack_seconds,omitempty"`
	ReachedOutBy   string     `json:"reached_out_by,omitempty"`
	ReachedOutAt   *time.Time `json:"reached_out_at,omitempty"`
	ReachedOutNote string     `json:"reached_out_note,omitempty"`
	ClosedBy       string     `json:"closed_by,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	EscalatedAt    *time.Time `json:"escalated_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
}

// Open reports whether the follow-up still waits for a moderator.
func (f FollowupView) Open() bool { return f.ClosedAt == nil && f.ReportStatus == models.ReportOpen }

// followups lists a target's crisis follow-ups, newest first.
func followups(ctx context.Context, db *gorm.DB, kind string, id int64) ([]FollowupView, error) {
	var out []FollowupView
	err := db.WithContext(ctx).Raw(`SELECT cf.report_id, cf.level, r.priority, r.status AS report_status,
		coalesce(a.handle, '') AS acknowledged_by, cf.acknowledged_at, cf.ack_seconds,
		coalesce(o.handle, '') AS reached_out_by, cf.reached_out_at, cf.reached_out_note,
		coalesce(c.handle, '') AS closed_by, cf.closed_at, cf.escalated_at, cf.created_at
		FROM crisis_followups cf JOIN reports r ON r.id = cf.report_id
		LEFT JOIN users a ON a.id = cf.acknowledged_by LEFT JOIN users o ON o.id = cf.reached_out_by LEFT JOIN users c ON c.id = cf.closed_by
		WHERE r.target_kind = ? AND r.target_id = ? ORDER BY cf.report_id DESC LIMIT 20`, kind, id).Scan(&out).Error
	return out, err
}

// FindingView is a stored finding as moderators see it.
type FindingView struct {
	Detector      string        `json:"detector"`
	Category      string        `json:"category"`
	Level         string        `json:"level"`
	Rule          string        `json:"rule"`
	Context       string        `json:"context,omitempty"`
	Spans         []safety.Span `json:"spans"`
	EngineVersion string        `json:"engine_version"`
	TextLength    int           `json:"-"`
	CreatedAt     time.Time     `json:"created_at"`
	// Current is true when the findings were made on the text as it is
	// now, so that their spans point into it.
	Current bool `json:"current"`
}

// findings loads the target's findings, newest write first.
func findings(ctx context.Context, db *gorm.DB, kind string, id int64) ([]FindingView, error) {
	var rows []struct {
		Detector, Category, Level, Rule, Context, EngineVersion, SpansJSON string
		TextLength                                                         int
		CreatedAt                                                          time.Time
	}
	if err := db.WithContext(ctx).Raw(`SELECT detector, category, level, rule, context, spans::text AS spans_json, engine_version, text_length, created_at
		FROM safety_findings WHERE target_kind = ? AND target_id = ? ORDER BY created_at DESC, id LIMIT 50`, kind, id).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]FindingView, len(rows))
	for i, r := range rows {
		out[i] = FindingView{Detector: r.Detector, Category: r.Category, Level: r.Level, Rule: r.Rule, Context: r.Context,
			EngineVersion: r.EngineVersion, TextLength: r.TextLength, CreatedAt: r.CreatedAt}
		if err := json.Unmarshal([]byte(r.SpansJSON), &out[i].Spans); err != nil {
			return nil, fmt.Errorf("moderation: finding spans: %w", err)
		}
	}
	return out, nil
}

// evidence loads the findings of a post or thread and highlights the
// spans of the latest write in the text as it is now (when it is still
// the text they were found in). Moderators already see that text.
func (s *Service) evidence(ctx context.Context, db *gorm.DB, t *Target) ([]FindingView, template.HTML, error) {
	if t.Kind != models.TargetPost && t.Kind != models.TargetThread {
		return nil, "", nil
	}
	fs, err := findings(ctx, db, t.Kind, t.ID)
	if err != nil || len(fs) == 0 {
		return fs, "", err
	}
	var text string
	switch t.Kind {
	case models.TargetPost:
		err = db.WithContext(ctx).Raw(`SELECT body FROM posts WHERE id = ? AND deleted_at IS NULL`, t.ID).Scan(&text).Error
	case models.TargetThread:
		// As the thread was checked: title, first post, tags.
		err = db.WithContext(ctx).Raw(`SELECT t.title || E'\n' || coalesce((SELECT p.body FROM posts p WHERE p.thread_id = t.id ORDER BY p.id LIMIT 1), '')
			|| E'\n' || array_to_string(t.tags, ' ') FROM threads t WHERE t.id = ?`, t.ID).Scan(&text).Error
	}
	if err != nil {
		return nil, "", err
	}
	latest := fs[0].CreatedAt
	var spans []safety.Span
	for i := range fs {
		if fs[i].CreatedAt.Equal(latest) && fs[i].TextLength == len(text) && text != "" {
			fs[i].Current = true
			if fs[i].Detector == safety.DetectorCrisis {
				spans = append(spans, fs[i].Spans...)
			}
		}
	}
	return fs, Highlight(text, spans, 160), nil
}

// errNoCrisisItem answers a follow-up step on a target without crisis items.
var errNoCrisisItem = fmt.Errorf("moderation: no crisis item: %w", models.ErrNotFound)

// CrisisStep takes a follow-up step on the open crisis items of a target:
// acknowledge (one moderator wins; the others are told who did), note how
// a moderator reached out, or close (which resolves the crisis reports).
// Each step is a moderation action and an audit event.
func (s *Service) CrisisStep(ctx context.Context, actor models.Actor, kind string, id int64, step, note string) error {
	u := actor.User
	sc, err := s.scopeFor(ctx, actor, kind)
	if err != nil {
		return err
	}
	if kind != models.TargetPost && kind != models.TargetThread {
		return errNoCrisisItem
	}
	note = strings.TrimSpace(note)
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > 2000 {
		v := models.NewValidationError()
		v.Add("note", "Keep the note under 2,000 characters.")
		return v
	}
	if step == ActReachedOut && utf8.RuneCountInString(note) < 5 {
		v := models.NewValidationError()
		v.Add("note", "Say in a few words what you did: for example “sent a private message with the helpline”.")
		return v
	}
	now := s.now().UTC()
	var conflict error
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		table := "posts"
		if kind == models.TargetThread {
			table = "threads"
		}
		// The content's row lock makes a second moderator wait, then see
		// what the first one did.
		if err := tx.Exec(`SELECT 1 FROM `+table+` WHERE id = ? FOR UPDATE`, id).Error; err != nil {
			return err
		}
		t, _, err := s.moderated(ctx, tx.DB, u, sc, kind, id)
		if err != nil {
			return err
		}
		var open []struct {
			ReportID       int64
			AcknowledgedBy string
			AcknowledgedAt *time.Time
		}
		if err := tx.Raw(`SELECT cf.report_id, coalesce(a.handle, 'a moderator') AS acknowledged_by, cf.acknowledged_at
			FROM crisis_followups cf JOIN reports r ON r.id = cf.report_id LEFT JOIN users a ON a.id = cf.acknowledged_by
			WHERE r.target_kind = ? AND r.target_id = ? AND r.status = 'open' AND cf.closed_at IS NULL ORDER BY cf.report_id`, kind, id).Scan(&open).Error; err != nil {
			return err
		}
		if len(open) == 0 {
			return errNoCrisisItem
		}
		var waiting, acked []int64
		by, at := "", time.Time{}
		for _, f := range open {
			if f.AcknowledgedAt == nil {
				waiting = append(waiting, f.ReportID)
			} else {
				acked = append(acked, f.ReportID)
				by, at = f.AcknowledgedBy, *f.AcknowledgedAt
			}
		}
		modID := u.ID
		switch step {
		case ActAcknowledge:
			if len(waiting) == 0 {
				conflict = &models.ConflictError{Message: fmt.Sprintf("%s already acknowledged this at %s UTC.", by, at.Format("15:04"))}
				return s.record(ctx, tx, &modID, "crisis_acknowledge", t, "", "superseded")
			}
			if err := tx.Exec(`UPDATE crisis_followups cf SET acknowledged_by = ?, acknowledged_at = ?,
				ack_seconds = greatest(0, floor(extract(epoch FROM (CAST(? AS timestamptz) - r.created_at))))::int
				FROM reports r WHERE r.id = cf.report_id AND cf.report_id IN ? AND cf.acknowledged_at IS NULL`, u.ID, now, now, waiting).Error; err != nil {
				return err
			}
			return s.record(ctx, tx, &modID, "crisis_acknowledge", t, note, "applied")
		case ActReachedOut, ActCloseCrisis:
			if len(waiting) > 0 {
				conflict = &models.ConflictError{Message: "Acknowledge this item first, so that other moderators know someone is on it."}
				return nil
			}
			if step == ActReachedOut {
				if err := tx.Exec(`UPDATE crisis_followups SET reached_out_by = ?, reached_out_at = ?, reached_out_note = ? WHERE report_id IN ?`,
					u.ID, now, note, acked).Error; err != nil {
					return err
				}
				return s.record(ctx, tx, &modID, "crisis_reached_out", t, note, "applied")
			}
			if err := tx.Exec(`UPDATE crisis_followups SET closed_by = ?, closed_at = ? WHERE report_id IN ?`, u.ID, now, acked).Error; err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE reports SET status = ?, handler_id = ?, resolution = 'crisis_closed', resolved_at = ? WHERE id IN ? AND status = 'open'`,
				models.ReportUpheld, u.ID, now, acked).Error; err != nil {
				return err
			}
			return s.record(ctx, tx, &modID, "crisis_close", t, note, "applied")
		}
		return fmt.Errorf("moderation: crisis step %q: %w", step, models.ErrNotFound)
	})
	if err == nil && conflict != nil {
		return conflict
	}
	return err
}

// SweepCrisis alerts the admins about crisis items nobody acknowledged
// within the configured time: once per item (escalated_at), in-app and by
// e-mail, in one transaction. Two sweeps at once escalate each item once:
// the second waits on the first's row locks and then finds them escalated.
func (s *Service) SweepCrisis(ctx context.Context) (int, error) {
	now := s.now().UTC()
	n := 0
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var ids []int64
		if err := tx.Raw(`UPDATE crisis_followups cf SET escalated_at = ? FROM reports r
			WHERE r.id = cf.report_id AND r.status = 'open' AND cf.acknowledged_at IS NULL AND cf.closed_at IS NULL
			  AND cf.escalated_at IS NULL AND cf.created_at <= ?
			RETURNING cf.report_id`, now, now.Add(-s.opts.AckWithin)).Scan(&ids).Error; err != nil {
			return err
		}
		n = len(ids)
		for _, rid := range ids {
			var admins []int64
			if err := tx.Raw(`SELECT id FROM users WHERE status = 'active' AND role = 'admin' ORDER BY id`).Scan(&admins).Error; err != nil {
				return err
			}
			if err := s.notifier.NotifyReportTo(ctx, tx.DB, admins, models.NotifyCrisisUnacknowledged, rid); err != nil {
				return err
			}
			if err := s.mailAlerts(ctx, tx, admins, rid, AlertUnacknowledged); err != nil {
				return err
			}
			id := rid
			if err := audit.Record(ctx, tx.DB, models.AuditEvent{Action: "moderation.crisis_escalate", TargetKind: "report", TargetID: &id,
				Reason: fmt.Sprintf("not acknowledged within %s", s.opts.AckWithin)}); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// OnDuty reports whether a moderator is on duty (alerted at once).
func (s *Service) OnDuty(ctx context.Context, actor models.Actor) (bool, error) {
	u := actor.User
	var on bool
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT on_duty FROM users WHERE id = ?`, u.ID).Scan(&on).Error
	return on, err
}

// SetOnDuty turns a moderator's immediate crisis alerts on or off
// (moderators of any scope; audited).
func (s *Service) SetOnDuty(ctx context.Context, actor models.Actor, on bool) error {
	u := actor.User
	if _, ok, err := s.ScopeOf(ctx, actor); err != nil {
		return err
	} else if !ok {
		return models.ErrForbidden
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.accounts.SetOnDuty(ctx, tx, u.ID, on); err != nil {
			return err
		}
		action := "moderation.off_duty"
		if on {
			action = "moderation.on_duty"
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: action, TargetKind: "user", TargetID: &u.ID})
	})
}

// MessageCrisis tells the moderators, inside a private message's
// transaction, that its writer may be at risk. The report names the member,
// never the message: private text stays private (only a participant's
// report opens one message to staff). Medium is a self-harm report above
// ordinary ones; high is at the very top of the queue with the moderators
// on duty alerted at once, as the default mapping does for posts. While
// such a report on the member is still open, another one is not filed: a
// member in distress writing many messages must not bury the queue.
func (s *Safety) MessageCrisis(ctx context.Context, tx *database.Tx, authorID int64, level safety.Level) error {
	if level < safety.LevelMedium {
		return nil
	}
	var open int64
	if err := tx.WithContext(ctx).Raw(`SELECT count(*) FROM reports WHERE target_kind = ? AND target_id = ? AND status = ? AND reason = ? AND reporter_id IS NULL`,
		models.TargetUser, authorID, models.ReportOpen, models.ReasonSelfHarm).Scan(&open).Error; err != nil {
		return fmt.Errorf("moderation: message crisis: %w", err)
	}
	if open > 0 {
		return nil
	}
	now := s.now().UTC()
	prio := PriorityNormal
	note := "Crisis language in a private message (level " + level.String() + "): this member may be at risk. The message stays private; send them a check-in."
	if level >= safety.LevelHigh {
		prio = PriorityCrisis
		note = "Signs of imminent danger in a private message (level high): reach out to this member now. The message stays private; send them a check-in."
	}
	rep := &models.Report{TargetKind: models.TargetUser, TargetID: authorID, Reason: models.ReasonSelfHarm, Note: note, Status: models.ReportOpen, CreatedAt: now, Priority: prio}
	if err := tx.Omit("ID", "ReporterID").Create(rep).Error; err != nil {
		return fmt.Errorf("moderation: message crisis: %w", err)
	}
	if err := tx.Exec(`INSERT INTO crisis_followups (report_id, level, created_at) VALUES (?, ?, ?)`, rep.ID, level.String(), now).Error; err != nil {
		return fmt.Errorf("moderation: message crisis follow-up: %w", err)
	}
	if prio == PriorityCrisis {
		return s.alertOnDuty(ctx, tx, 0, rep.ID)
	}
	return nil
}
