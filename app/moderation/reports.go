package moderation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// ReportForm is a member's report.
type ReportForm struct {
	Kind   string              `json:"kind"`
	ID     int64               `json:"id"`
	Reason models.ReportReason `json:"reason"`
	Note   string              `json:"note"`
}

// MaxNote is the longest note a reporter may add.
const MaxNote = 1000

// canSee reports whether the actor may see the target (and so report it):
// visible forum content they can read, another member, or a message in
// one of their own private questions.
func (s *Service) canSee(actor models.Actor, t *Target) (bool, error) {
	switch t.Kind {
	case models.TargetUser:
		return true, nil
	case models.TargetQuestionMessage:
		return t.QuestionAsker == actor.ID() || t.QuestionHeld == actor.ID(), nil
	case models.TargetMessage:
		// Someone in the conversation (their own messages are refused
		// with a reason, as for posts).
		return slices.Contains(t.Participants, actor.ID()), nil
	}
	if t.Visibility != string(models.Visible) {
		return false, nil
	}
	// The one rule for reading a forum decides (models.Actor.MayReadForum).
	// Sensitive (members only) is passed for every forum: a reporter always
	// has an account, so it narrows nothing, and the target does not carry
	// the flag.
	f := &models.Forum{ClinicianOnly: t.ClinicianOnly, Sensitive: true}
	if t.ForumID != nil {
		f.ID = *t.ForumID
	}
	return actor.MayReadForum(f), nil
}

// stats reads what a reporter's weight depends on.
func (s *Service) stats(ctx context.Context, db *gorm.DB, userID int64) (ReporterStats, error) {
	var st ReporterStats
	err := db.WithContext(ctx).Raw(`SELECT
		EXISTS (SELECT 1 FROM credentials WHERE user_id = ? AND clinician_verified(status, verified_until, ?)) AS clinician,
		(SELECT count(*) FROM reports WHERE reporter_id = ? AND status = 'upheld') AS upheld,
		(SELECT count(*) FROM reports WHERE reporter_id = ? AND status = 'dismissed') AS dismissed`,
		userID, s.now().UTC(), userID, userID).Scan(&st).Error
	return st, err
}

// Report files a report. Content whose open reports together weigh at
// least the threshold is hidden until a moderator decides.
func (s *Service) Report(ctx context.Context, actor models.Actor, form ReportForm) (*models.Report, error) {
	u := actor.User
	now := s.now().UTC()
	if u == nil || !u.CanSignIn(now) {
		return nil, models.ErrForbidden
	}
	t, err := s.load(ctx, s.db.Gorm, form.Kind, form.ID)
	if err != nil {
		return nil, err
	}
	ok, err := s.canSee(actor, t)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("moderation: %s %d: %w", form.Kind, form.ID, models.ErrNotFound)
	}
	v := models.NewValidationError()
	if !form.Reason.Valid() {
		v.Add("reason", "Choose what is wrong.")
	}
	form.Note = strings.TrimSpace(form.Note)
	if !utf8.ValidString(form.Note) || utf8.RuneCountInString(form.Note) > MaxNote {
		v.Add("note", "Keep the note under 1,000 characters.")
	}
	if t.AuthorID == u.ID {
		v.Add("reason", "You cannot report yourself. You can edit or delete your own posts.")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	st, err := s.stats(ctx, s.db.Gorm, u.ID)
	if err != nil {
		return nil, err
	}
	r := &models.Report{ReporterID: &u.ID, TargetKind: t.Kind, TargetID: t.ID, ForumID: t.ForumID, Reason: form.Reason, Note: form.Note,
		Weight: Weight(st, form.Reason), Status: models.ReportOpen, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Omit("ID").Create(r).Error; err != nil {
			return err
		}
		if t.Kind != models.TargetPost && t.Kind != models.TargetThread {
			return nil
		}
		var total float64
		if err := tx.Raw(`SELECT coalesce(sum(weight), 0) FROM reports WHERE target_kind = ? AND target_id = ? AND status = 'open'`, t.Kind, t.ID).Scan(&total).Error; err != nil {
			return err
		}
		if total < s.opts.HideThreshold {
			return nil
		}
		hidden, err := s.content.SetVisibility(ctx, tx, t.Kind, t.ID, t.ThreadID, models.Hidden, models.Visible)
		if err != nil || !hidden {
			return err
		}
		if s.messenger != nil && t.AuthorID != 0 {
			msg := "Your " + t.Kind
			if t.Title != "" {
				msg += " in “" + t.Title + "”"
			}
			msg += " is hidden while a moderator looks at reports about it. You will hear what they decide."
			if err := s.messenger.NotifyMemberAbout(ctx, tx.DB, t.AuthorID, models.NotifyModerationWarning, msg, forumOf(t)); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, nil, "auto_hide", t, fmt.Sprintf("open reports weigh %.2f", total), "applied")
	})
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return nil, &models.ConflictError{Message: "You have already reported this. Moderators will look at it."}
	}
	if err != nil {
		return nil, fmt.Errorf("moderation: report: %w", err)
	}
	return r, nil
}

// MyReport is a report as its reporter sees it.
type MyReport struct {
	ID         int64               `json:"id"`
	TargetKind string              `json:"target_kind"`
	TargetID   int64               `json:"target_id"`
	Reason     models.ReportReason `json:"reason"`
	Status     string              `json:"status"`
	Resolution string              `json:"resolution"`
	CreatedAt  time.Time           `json:"created_at"`
	ResolvedAt *time.Time          `json:"resolved_at"`
}

// Outcome says in words what happened.
func (r MyReport) Outcome() string {
	switch {
	case r.Status == models.ReportOpen:
		return "Waiting for a moderator"
	case r.Resolution == ActRemove:
		return "Removed by a moderator"
	case r.Resolution == ActHide:
		return "Hidden by a moderator"
	case r.Status == models.ReportDismissed:
		return "Reviewed: a moderator decided it can stay"
	}
	return "Handled by a moderator"
}

// MyReports lists the member's reports, newest first.
func (s *Service) MyReports(ctx context.Context, actor models.Actor) ([]MyReport, error) {
	u := actor.User
	var out []MyReport
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, target_kind, target_id, reason, status, resolution, created_at, resolved_at
		FROM reports WHERE reporter_id = ? ORDER BY id DESC LIMIT 100`, u.ID).Scan(&out).Error
	return out, err
}
