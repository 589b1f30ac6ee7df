package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/models"
)

// Build makes the archive of an export: in a temporary file (the store
// needs the size before it takes the bytes), then into the store, then
// the row says ready and the e-mail job is queued in the same
// transaction. A build that finds its export no longer queued or building
// does nothing; of two builds at once (a rescued job) only the first
// result is kept. last marks the export failed instead of retrying.
func (s *Service) Build(ctx context.Context, id int64, last bool) (err error) {
	db := s.db.Gorm.WithContext(ctx)
	var e models.Export
	if err := db.Limit(1).Find(&e, id).Error; err != nil {
		return err
	}
	if e.ID == 0 || (e.Status != models.ExportQueued && e.Status != models.ExportBuilding) {
		return nil
	}
	// The lease: a job River rescued while its first run still builds
	// (long exports outlive the rescue delay) waits instead of building
	// a second copy; a builder whose process died lets it go by not
	// extending it.
	claim := db.Exec(`UPDATE exports SET status = 'building', progress = greatest(progress, 1), building_until = ?
		WHERE id = ? AND (status = 'queued' OR (status = 'building' AND (building_until IS NULL OR building_until < ?)))`,
		s.now().Add(buildLease), id, s.now())
	if claim.Error != nil {
		return claim.Error
	}
	if claim.RowsAffected == 0 {
		return river.JobSnooze(time.Minute)
	}
	defer func() {
		if err == nil {
			return
		}
		s.log.ErrorContext(ctx, "export: build failed", "export_id", id, "error", err.Error(), "last_attempt", last)
		status := "queued" // and the lease goes with it
		msg := ""
		if last {
			status, msg = "failed", "We could not build your copy. Our team has been told; you can ask again now."
		}
		if uerr := s.db.Gorm.WithContext(context.WithoutCancel(ctx)).Exec(`UPDATE exports SET status = ?, error = ?, building_until = NULL WHERE id = ? AND status = 'building'`, status, msg, id).Error; uerr != nil {
			s.log.ErrorContext(ctx, "export: mark failed", "export_id", id, "error", uerr.Error())
		}
		if last {
			err = nil // recorded for the member; River need not retry
		}
	}()
	f, err := os.CreateTemp("", "kindred-export-*.zip")
	if err != nil {
		return err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	progress := func(p int) {
		if err := s.db.Gorm.WithContext(ctx).Exec(`UPDATE exports SET progress = greatest(progress, ?), building_until = ? WHERE id = ? AND status = 'building'`,
			p, s.now().Add(buildLease), id).Error; err != nil {
			s.log.WarnContext(ctx, "export: progress", "export_id", id, "error", err.Error())
		}
	}
	if err := s.writeArchive(ctx, f, e.UserID, progress); err != nil {
		return err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	key, err := storage.NewKey()
	if err != nil {
		return err
	}
	if err := s.store.Put(ctx, key, f, size, "application/zip"); err != nil {
		return err
	}
	now := s.now().UTC()
	kept := false
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		res := tx.Exec(`UPDATE exports SET status = 'ready', progress = 100, building_until = NULL, object_key = ?, bytes = ?, ready_at = ?, expires_at = ?
			WHERE id = ? AND status = 'building'`, key, size, now, now.Add(s.opts.LinkTTL), id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // another build finished first
		}
		kept = true
		return tx.Enqueue(ctx, MailArgs{ExportID: id}, nil)
	})
	if err != nil || !kept {
		if derr := s.store.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.log.WarnContext(ctx, "export: delete unkept archive", "export_id", id, "error", derr.Error())
		}
	}
	return err
}

// buildLease is how long a builder holds an export without showing
// progress; longer than River's rescue delay (server.RescueStuckJobsAfter).
const buildLease = 5 * time.Minute

// MailReady makes the download link and e-mails it. Each run makes a new
// secret, so a retried mail leaves only the last link working.
func (s *Service) MailReady(ctx context.Context, id int64) error {
	var row struct {
		Status          models.ExportStatus
		ExpiresAt       *time.Time
		Handle          string
		Email           *string
		EmailVerifiedAt *time.Time
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT e.status, e.expires_at, u.handle, u.email, u.email_verified_at FROM exports e JOIN users u ON u.id = e.user_id
		WHERE e.id = ? AND e.downloaded_at IS NULL AND e.deleted_at IS NULL`, id).Scan(&row).Error; err != nil {
		return err
	}
	if row.Status != models.ExportReady || !Mailable(&models.User{Email: row.Email, EmailVerifiedAt: row.EmailVerifiedAt}) ||
		row.ExpiresAt == nil || !row.ExpiresAt.After(s.now()) {
		return nil // nothing to send: gone, used, or no confirmed address (the page offers it then)
	}
	secret := newSecret()
	if err := s.db.Gorm.WithContext(ctx).Exec(`UPDATE exports SET token_hash = ? WHERE id = ?`, s.keyed(secret), id).Error; err != nil {
		return err
	}
	link := strings.TrimRight(s.opts.BaseURL, "/") + "/account/export/download?token=" + url.QueryEscape(secret)
	body := fmt.Sprintf(`Hello %s,

The copy of your Kindred data you asked for is ready:

%s

For your privacy:
- the link works once, and only while you are signed in to Kindred as %s;
- it expires on %s, and the archive is then deleted;
- the archive holds your private messages and questions: keep it somewhere safe.

If you did not ask for this, sign in, change your password and look at "Who saw my data" on your account page.

Kindred
`, row.Handle, link, row.Handle, row.ExpiresAt.UTC().Format("2 Jan 2006 at 15:04 UTC"))
	return s.mailer.Send(ctx, *row.Email, "Your Kindred data is ready to download", body)
}

// Sweep deletes archives that were downloaded or whose link expired, and
// marks expired exports. It returns how many archives it deleted; it
// stops at the first delete that fails (the next run retries).
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.now().UTC()
	var rows []struct {
		ID        int64
		ObjectKey string
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, object_key FROM exports WHERE object_key IS NOT NULL AND deleted_at IS NULL
		AND (expires_at <= ? OR downloaded_at IS NOT NULL) ORDER BY id LIMIT 500`, now).Scan(&rows).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rows {
		if err := s.store.Delete(ctx, r.ObjectKey); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return n, fmt.Errorf("export: sweep %d: %w", r.ID, err)
		}
		if err := s.db.Gorm.WithContext(ctx).Exec(`UPDATE exports SET deleted_at = ?,
			status = CASE WHEN downloaded_at IS NULL THEN 'expired' ELSE status END WHERE id = ?`, now, r.ID).Error; err != nil {
			return n, err
		}
		n++
	}
	if err := s.sweepUnnamed(ctx, now); err != nil {
		return n, err
	}
	return n, nil
}

// orphanGrace is how long an object no export names may stay: a build
// writes its object a moment before its row names it.
const orphanGrace = time.Hour

// sweepUnnamed deletes objects no export names (an account deleted with
// its rows, a build whose row update failed) once an earlier sweep at
// least orphanGrace before also found them unnamed. The first sightings
// live in the process: a restart only delays a removal.
func (s *Service) sweepUnnamed(ctx context.Context, now time.Time) error {
	_, err := s.orphans.Sweep(ctx, s.store, now, storage.ValidKey, func(ctx context.Context) ([]string, error) {
		var named []string
		err := s.db.Gorm.WithContext(ctx).Raw(`SELECT object_key FROM exports WHERE object_key IS NOT NULL AND deleted_at IS NULL`).Scan(&named).Error
		return named, err
	})
	return err
}

// DeleteExportsOf removes every export of userID, rows and archives: for
// erasing an account. An archive whose delete fails is removed by the
// sweep, as no row names it any more.
func (s *Service) DeleteExportsOf(ctx context.Context, userID int64) (int, error) {
	var keys []*string
	if err := s.db.Gorm.WithContext(ctx).Raw(`DELETE FROM exports WHERE user_id = ? RETURNING object_key`, userID).Scan(&keys).Error; err != nil {
		return 0, fmt.Errorf("export: delete exports of %d: %w", userID, err)
	}
	for _, k := range keys {
		if k == nil {
			continue
		}
		if err := s.store.Delete(ctx, *k); err != nil {
			s.log.ErrorContext(ctx, "export: delete archive (the sweep will)", "error", err.Error())
		}
	}
	return len(keys), nil
}
