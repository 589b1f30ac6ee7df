package moderation

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/models"
)

// messageReport is an open report that lets staff read one message of a
// private question.
type messageReport struct {
	ID     int64
	Reason models.ReportReason
}

// errReportsClosed says a message was reported but no report on it is open
// now. It is a not-found error (the page answers 404, as for a message that
// does not exist); only Act looks further, to record a dismissal that came
// too late as superseded.
var errReportsClosed = fmt.Errorf("moderation: no open report names this question_message: %w", models.ErrNotFound)

// privateTables names the table of each kind of private text.
var privateTables = map[string]string{
	models.TargetQuestionMessage: "question_messages",
	models.TargetMessage:         "messages",
}

// reportedMessage is the one rule for staff and private text (DESIGN.md
// invariant 9): a global moderator or admin may read, or act on, a
// private-question message or a private message only while an open report
// names that message. Anyone else, forum moderators included, and anyone
// at all for a message no open report names, gets ErrNotFound, like a
// message that does not exist.
//
// db must be a transaction. The check, the read of the text and a lock on the
// open reports are one statement, so a report resolved meanwhile is either no
// longer seen as open or waits until the caller's transaction (with its audit
// record) commits. When the message has reports but none is open, a target
// without text (kind, id, author) comes back with errReportsClosed.
func (s *Service) reportedMessage(ctx context.Context, db *gorm.DB, u *models.User, kind string, id int64) (*Target, []messageReport, error) {
	notFound := fmt.Errorf("moderation: %s %d: %w", kind, id, models.ErrNotFound)
	table, ok := privateTables[kind]
	if !ok || u == nil || !u.Role.IsStaff() || id <= 0 {
		return nil, nil, notFound
	}
	var rows []struct {
		ReportID     int64
		Reason       models.ReportReason
		BodyHTML     string
		AuthorID     int64
		AuthorHandle string
	}
	if err := db.WithContext(ctx).Raw(`SELECT r.id AS report_id, r.reason, m.body_html, m.author_id, u.handle AS author_handle
		FROM reports r JOIN `+table+` m ON m.id = r.target_id JOIN users u ON u.id = m.author_id
		WHERE r.target_kind = ? AND r.target_id = ? AND r.status = ?
		ORDER BY r.id FOR UPDATE OF r`, kind, id, models.ReportOpen).Scan(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("moderation: %s %d: %w", kind, id, err)
	}
	if len(rows) == 0 {
		var author int64
		if err := db.WithContext(ctx).Raw(`SELECT coalesce(m.author_id, 0) FROM `+table+` m
			WHERE m.id = ? AND EXISTS (SELECT 1 FROM reports r WHERE r.target_kind = ? AND r.target_id = m.id)`,
			id, kind).Scan(&author).Error; err != nil {
			return nil, nil, fmt.Errorf("moderation: %s %d: %w", kind, id, err)
		}
		if author == 0 {
			return nil, nil, notFound
		}
		return &Target{Kind: kind, ID: id, AuthorID: author}, nil, errReportsClosed
	}
	t := &Target{Kind: kind, ID: id, BodyHTML: rows[0].BodyHTML, AuthorID: rows[0].AuthorID, AuthorHandle: rows[0].AuthorHandle}
	open := make([]messageReport, len(rows))
	for i, r := range rows {
		open[i] = messageReport{ID: r.ReportID, Reason: r.Reason}
	}
	return t, open, nil
}

// scopeFor is ScopeOf for a moderation route: a non-moderator is refused
// with ErrForbidden, but with ErrNotFound for a private-question message,
// where even a refusal would say the message exists.
func (s *Service) scopeFor(ctx context.Context, actor models.Actor, kind string) (Scope, error) {
	sc, ok, err := s.ScopeOf(ctx, actor)
	switch {
	case err != nil:
		return sc, err
	case ok:
		return sc, nil
	case models.PrivateTarget(kind):
		return sc, fmt.Errorf("moderation: %s: %w", kind, models.ErrNotFound)
	}
	return sc, models.ErrForbidden
}

// moderated loads a target for a moderator acting in the scope sc, inside
// the transaction db: private-question messages only through
// reportedMessage, everything else when the scope covers it. open lists the
// open reports that allow a message to be read (nil for other kinds).
func (s *Service) moderated(ctx context.Context, db *gorm.DB, u *models.User, sc Scope, kind string, id int64) (t *Target, open []messageReport, err error) {
	if models.PrivateTarget(kind) {
		return s.reportedMessage(ctx, db, u, kind, id)
	}
	if t, err = s.load(ctx, db, kind, id); err != nil {
		return nil, nil, err
	}
	if !sc.Covers(t) {
		return nil, nil, models.ErrForbidden
	}
	return t, nil, nil
}

// readReason says why a moderator read a private-question message, in words
// for the asker, who sees it in the list of everyone who read their question:
// "Reviewing report #12 (harassment or abuse)".
func readReason(open []messageReport) string {
	const shown = 5
	parts := make([]string, 0, shown+1)
	for i, r := range open {
		if i == shown {
			parts = append(parts, fmt.Sprintf("%d more", len(open)-shown))
			break
		}
		parts = append(parts, fmt.Sprintf("#%d (%s)", r.ID, strings.ToLower(r.Reason.Label())))
	}
	switch len(parts) {
	case 0:
		return "Reviewing a report"
	case 1:
		return "Reviewing report " + parts[0]
	}
	return "Reviewing reports " + strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
