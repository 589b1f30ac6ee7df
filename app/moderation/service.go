package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Notifier tells a reporter their report was decided, inside the decision's
// transaction, and moderators that a report needs them (app/notify).
type Notifier interface {
	NotifyReport(ctx context.Context, tx *gorm.DB, userID int64, reportID int64) error
	NotifyReportTo(ctx context.Context, tx *gorm.DB, userIDs []int64, kind string, reportID int64) error
}

// Content changes threads and posts, which app/forums owns; each change
// also queues the thread's search document.
type Content interface {
	SetVisibility(ctx context.Context, tx *database.Tx, kind string, id, threadID int64, to, from models.Visibility) (bool, error)
	SetThreadState(ctx context.Context, tx *database.Tx, threadID int64, state models.ThreadState) error
	MoveThread(ctx context.Context, tx *database.Tx, threadID, fromForumID, toForumID int64) error
}

// Options are the operator's settings.
type Options struct {
	// HideThreshold is the open-report weight at which content is hidden
	// until a moderator decides.
	HideThreshold float64
	// AckWithin is how long a crisis item may wait for a moderator's
	// acknowledgement before admins are alerted.
	AckWithin time.Duration
	// Mail sends alert e-mails (SMTP is configured).
	Mail bool
	// Words, when set, lets Safety keep the watched words between writes
	// (nil: read them for every write).
	Words WordsVersion
}

// WordsVersion says whether the watched words may have changed: a
// generation that moves on every change on any instance, and whether it
// can be trusted now (app/live's Changes, from the hub's LISTEN).
type WordsVersion interface {
	WordsVersion() (gen uint64, ok bool)
}

// Safety is the part of moderation that the writing features call while
// they save a text: the watched words, Kindred's own reports, crisis
// filing and alerts, the crisis resources and the emergency guidance. It
// needs no other feature, so it is built first and handed to forums and
// private questions; the Service that acts on their content comes after
// them.
type Safety struct {
	db       *database.DB
	now      func() time.Time
	notifier Notifier
	log      *slog.Logger
	opts     Options
	words    wordCache
}

// NewSafety builds the safety checks.
func NewSafety(db *database.DB, now func() time.Time, n Notifier, log *slog.Logger, opts Options) (*Safety, error) {
	if db == nil || now == nil || n == nil || log == nil {
		return nil, errors.New("moderation: NewSafety needs a database, a clock, a notifier and a logger")
	}
	if opts.HideThreshold <= 0 {
		opts.HideThreshold = 3
	}
	if opts.AckWithin <= 0 {
		opts.AckWithin = 15 * time.Minute
	}
	return &Safety{db: db, now: now, notifier: n, log: log, opts: opts}, nil
}

// Service implements reports and moderation. It shares the Safety's
// database, clock, notifier and settings.
type Service struct {
	*Safety
	content   Content
	accounts  Accounts
	messenger Messenger
}

// New builds the service on the safety checks, with the features whose
// tables moderation changes: forums' content (threads and posts) and
// accounts (app/auth, with private questions for a restricted clinician),
// and the member messages that tell people what was decided.
func New(safety *Safety, content Content, accounts Accounts, messenger Messenger) (*Service, error) {
	var missing []string
	if safety == nil {
		missing = append(missing, "safety checks")
	}
	if content == nil {
		missing = append(missing, "forum content")
	}
	if accounts == nil {
		missing = append(missing, "accounts")
	}
	if messenger == nil {
		missing = append(missing, "member messages")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("moderation: New needs %s", strings.Join(missing, ", "))
	}
	return &Service{Safety: safety, content: content, accounts: accounts, messenger: messenger}, nil
}

// record appends a moderation action and its audit event.
func (s *Service) record(ctx context.Context, tx *database.Tx, moderator *int64, action string, t *Target, reason, outcome string) error {
	author := t.AuthorID
	if err := tx.Create(&models.ModerationAction{ModeratorID: moderator, Action: action, TargetKind: t.Kind, TargetID: t.ID, AuthorID: &author,
		Reason: reason, Outcome: outcome, CreatedAt: s.now().UTC()}).Error; err != nil {
		return err
	}
	if outcome != "applied" {
		return nil
	}
	id := t.ID
	return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: moderator, Action: "moderation." + action, TargetKind: t.Kind, TargetID: &id, Reason: reason})
}
