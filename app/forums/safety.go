package forums

import (
	"context"
	"strings"

	"kindred/app/database"
	"kindred/app/safety"
	"kindred/models"
)

// TextChecker runs the watched words and the personal-data check
// (app/moderation implements it).
type TextChecker interface {
	Check(ctx context.Context, text string) (safety.Result, error)
}

// Reporter files Kindred's own reports inside a write's transaction
// (app/moderation implements it).
type Reporter interface {
	SystemReport(ctx context.Context, tx *database.Tx, kind string, id int64, forumID *int64, reason models.ReportReason, note string) error
}

// SetSafety turns on the checks for new and edited posts, and holds a
// member's first newMember posts for approval. Without it (the demo seeder,
// for instance) posts are saved unchecked.
func (s *Service) SetSafety(c TextChecker, r Reporter, newMember int) {
	s.checker, s.reporter, s.newMember = c, r, newMember
}

// screenNew screens the text of a new thread or reply and decides its
// visibility: pending when a watched word asks for approval or the author
// is a new member.
func (s *Service) screenNew(ctx context.Context, v Viewer, text string, confirmPersonal bool) (screened, models.Visibility, error) {
	sc, err := s.screen(ctx, text, confirmPersonal)
	if err != nil {
		return sc, "", err
	}
	if sc.newMember, err = s.isNew(ctx, v); err != nil {
		return sc, "", err
	}
	if sc.hold() {
		return sc, models.Pending, nil
	}
	return sc, models.Visible, nil
}

// isNew reports whether v's next post waits for approval: fewer than
// newMember earlier posts, and neither staff nor a verified clinician.
func (s *Service) isNew(ctx context.Context, v Viewer) (bool, error) {
	if s.newMember <= 0 || v.User == nil || v.IsStaff() || v.Clinician {
		return false, nil
	}
	var n int64
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM (SELECT 1 FROM posts WHERE author_id = ? LIMIT ?) x`, v.User.ID, s.newMember).Scan(&n).Error
	return n < int64(s.newMember), err
}

// screened is what the checks decided about one text.
type screened struct {
	result    safety.Result
	pending   bool // waits for a moderator (watched words)
	newMember bool // waits for a moderator (a new member's first posts)
}

// hold reports whether the text waits for a moderator.
func (sc screened) hold() bool { return sc.pending || sc.newMember }

// screen checks a text before it is saved: blocked words refuse it,
// personal data must be confirmed (code "personal_data"), words needing
// approval make it pending.
func (s *Service) screen(ctx context.Context, text string, confirmPersonal bool) (screened, error) {
	if s.checker == nil {
		return screened{}, nil
	}
	r, err := s.checker.Check(ctx, text)
	if err != nil {
		return screened{}, err
	}
	if err := safety.Refusal(r, confirmPersonal, "Posts here are read by many people: remove it, or confirm that you want to share it."); err != nil {
		return screened{}, err
	}
	return screened{result: r, pending: r.Approval}, nil
}

// afterWrite files the automatic reports a text calls for, inside the
// write's transaction: flagged words, approval, and crisis.
func (s *Service) afterWrite(ctx context.Context, tx *database.Tx, sc screened, kind string, id, forumID int64) error {
	if s.reporter == nil {
		return nil
	}
	fid := forumID
	if sc.result.Crisis {
		if err := s.reporter.SystemReport(ctx, tx, kind, id, &fid, models.ReasonSelfHarm, "Crisis words: the author may be at risk."); err != nil {
			return err
		}
	}
	if len(sc.result.Flagged) > 0 {
		if err := s.reporter.SystemReport(ctx, tx, kind, id, &fid, models.ReasonOther, "Watched words: "+strings.Join(sc.result.Flagged, ", ")); err != nil {
			return err
		}
	}
	switch {
	case sc.pending:
		return s.reporter.SystemReport(ctx, tx, kind, id, &fid, models.ReasonOther, "Waiting for approval (watched words).")
	case sc.newMember:
		return s.reporter.SystemReport(ctx, tx, kind, id, &fid, models.ReasonOther, "A new member's first posts wait for approval.")
	}
	return nil
}
