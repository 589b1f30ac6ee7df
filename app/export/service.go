// Package export gives members their data: a ZIP of JSON files and a
// readable HTML copy (GDPR art. 20), built by a River job into its own
// store and fetched once through an e-mailed link while signed in; and
// "who saw my data", the audit log's reads and staff actions about them.
package export

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/models"
)

// Defaults: a link works 48 hours; a member may ask once a day.
const (
	DefaultLinkTTL = 48 * time.Hour
	DefaultEvery   = 24 * time.Hour
	// MaxArchive is the export store's size limit per archive.
	MaxArchive = 4 << 30
)

// Mailer sends one plain-text message (notify's SMTP mailer).
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// Options tune the service.
type Options struct {
	Secret  []byte // the server key: links are stored as HMACs with it
	BaseURL string
	LinkTTL time.Duration // how long the e-mailed link works
	Every   time.Duration // one export per member in this time
}

// Service builds, mails, serves and sweeps exports.
type Service struct {
	db     *database.DB
	now    func() time.Time
	store  storage.Store // the archives
	docs   storage.Store // clinicians' proof documents (read only)
	images storage.Store // members' images (read only)
	mailer Mailer
	log    *slog.Logger
	opts   Options

	// orphans removes archives no export names (build.go).
	orphans *storage.Orphans
}

// New builds the service; every collaborator is required.
func New(db *database.DB, now func() time.Time, store, docs, images storage.Store, mailer Mailer, log *slog.Logger, o Options) (*Service, error) {
	switch {
	case db == nil:
		return nil, errors.New("export: no database")
	case store == nil || docs == nil || images == nil:
		return nil, errors.New("export: a store is missing (exports, documents or images)")
	case mailer == nil:
		return nil, errors.New("export: no mailer")
	case len(o.Secret) < 16:
		return nil, errors.New("export: no server secret")
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	if o.LinkTTL <= 0 {
		o.LinkTTL = DefaultLinkTTL
	}
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
	return &Service{db: db, now: now, store: store, docs: docs, images: images, mailer: mailer, log: log, opts: o, orphans: &storage.Orphans{Grace: orphanGrace}}, nil
}

// LimitError says the member already asked within the limit: 429 with
// the time they may ask again.
type LimitError struct {
	Next  time.Time
	After time.Duration
}

func (e *LimitError) Error() string { return "export: asked too recently" }

// Public explains the refusal (429, Retry-After).
func (e *LimitError) Public() models.PublicError {
	return models.PublicError{Status: http.StatusTooManyRequests, Code: "rate_limited", Heading: "Please wait before asking again",
		Message: "You can ask for one copy of your data a day. You can ask again after " + e.Next.UTC().Format("2 Jan 2006 15:04 UTC") + ".",
		Link:    "/account/export", LinkText: "Your data exports",
		RetryAfter: max(e.After.Round(time.Second), time.Second)}
}

// GoneError says a download link was used or has expired (410).
type GoneError struct{ Used bool }

func (e *GoneError) Error() string { return "export: link used or expired" }

// Public explains it.
func (e *GoneError) Public() models.PublicError {
	msg := "This download link has expired: links work for 48 hours, then the archive is deleted."
	if e.Used {
		msg = "This download link has already been used: each link works once, and the archive was deleted after the download."
	}
	return models.PublicError{Status: http.StatusGone, Code: "gone", Heading: "This link no longer works",
		Message: msg + " You can ask for a new copy of your data.", Link: "/account/export", LinkText: "Ask for a new copy"}
}

// Request queues a new export for the member, at most one per Every
// (failed ones do not count). The job builds it; nothing is built here.
func (s *Service) Request(ctx context.Context, actor models.Actor, ip string) (*models.Export, error) {
	u := actor.User
	if u == nil {
		return nil, models.ErrSignInRequired
	}
	now := s.now().UTC()
	var out *models.Export
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		// Two clicks at once: the second waits here and then sees the first.
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(38, (? % 2147483647)::int)`, u.ID).Error; err != nil {
			return err
		}
		var last models.Export
		if err := tx.Where("user_id = ? AND status <> ? AND created_at > ?", u.ID, models.ExportFailed, now.Add(-s.opts.Every)).
			Order("created_at DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		if last.ID != 0 {
			next := last.CreatedAt.Add(s.opts.Every)
			return &LimitError{Next: next, After: next.Sub(now)}
		}
		e := &models.Export{UserID: u.ID, Status: models.ExportQueued, CreatedAt: now}
		if err := tx.Omit("ID").Create(e).Error; err != nil {
			return err
		}
		if err := tx.Enqueue(ctx, BuildArgs{ExportID: e.ID}, nil); err != nil {
			return err
		}
		uid := u.ID
		if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &uid, Action: "export.request", TargetKind: "user", TargetID: &uid, IP: ip}); err != nil {
			return err
		}
		out = e
		return nil
	})
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return nil, err
		}
		return nil, fmt.Errorf("export: request: %w", err)
	}
	return out, nil
}

// List is the member's exports, newest first (no secrets).
func (s *Service) List(ctx context.Context, userID int64) ([]models.Export, error) {
	var out []models.Export
	err := s.db.Gorm.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC, id DESC").Limit(20).Find(&out).Error
	return out, err
}

// NextAllowed is when the member may ask again (zero: now).
func (s *Service) NextAllowed(ctx context.Context, userID int64) (time.Time, error) {
	var last models.Export
	err := s.db.Gorm.WithContext(ctx).Where("user_id = ? AND status <> ? AND created_at > ?", userID, models.ExportFailed, s.now().Add(-s.opts.Every)).
		Order("created_at DESC").Limit(1).Find(&last).Error
	if err != nil || last.ID == 0 {
		return time.Time{}, err
	}
	return last.CreatedAt.Add(s.opts.Every), nil
}

func newSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("export: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// keyed is the stored form of a link secret: HMAC with the server key, so
// a copy of the table yields no working link.
func (s *Service) keyed(secret string) []byte {
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("export\x00" + secret))
	return m.Sum(nil)
}
