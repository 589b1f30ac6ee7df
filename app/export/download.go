package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/models"
)

// find is the export a link names, for this member only: someone else's
// link, or no link, is not found (the same answer); a used or expired
// one is gone.
func (s *Service) find(ctx context.Context, me int64, secret string) (*models.Export, error) {
	if me == 0 || secret == "" || len(secret) > 100 {
		return nil, models.ErrNotFound
	}
	var e models.Export
	if err := s.db.Gorm.WithContext(ctx).Where("token_hash = ? AND user_id = ?", s.keyed(secret), me).Limit(1).Find(&e).Error; err != nil {
		return nil, err
	}
	if err := s.usable(&e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Check tells whether a link would download now (for its confirm page,
// which a mail scanner may open without using the link up).
func (s *Service) Check(ctx context.Context, me int64, secret string) (*models.Export, error) {
	return s.find(ctx, me, secret)
}

// Download uses the link once and streams the archive to w through begin,
// which is called once the archive is open (to set headers). The link is
// used up when the transfer completes; then the archive is deleted. A
// transfer that fails midway leaves the link usable until it expires.
func (s *Service) Download(ctx context.Context, me int64, secret, ip string, begin func(size int64) io.Writer) error {
	e, err := s.find(ctx, me, secret)
	if err != nil {
		return err
	}
	return s.send(ctx, e, me, ip, begin)
}

// DownloadWithoutEmail is Download for a member with no confirmed e-mail
// address (an organisation account, an address never confirmed): no link
// can reach them, so the export page offers the archive itself, once,
// after a fresh sign-in (the handler checks it). Members with an address
// use the link.
func (s *Service) DownloadWithoutEmail(ctx context.Context, u *models.User, id int64, ip string, begin func(size int64) io.Writer) error {
	if u == nil || Mailable(u) {
		return models.ErrNotFound
	}
	var e models.Export
	if err := s.db.Gorm.WithContext(ctx).Where("id = ? AND user_id = ?", id, u.ID).Limit(1).Find(&e).Error; err != nil {
		return err
	}
	if err := s.usable(&e); err != nil {
		return err
	}
	return s.send(ctx, &e, u.ID, ip, begin)
}

// Mailable tells whether the ready link is e-mailed to u: only to a
// confirmed address.
func Mailable(u *models.User) bool { return u.Email != nil && u.EmailVerifiedAt != nil }

// usable says why an export cannot be downloaded now, if it cannot.
func (s *Service) usable(e *models.Export) error {
	switch {
	case e.ID == 0:
		return models.ErrNotFound
	case e.DownloadedAt != nil:
		return &GoneError{Used: true}
	case e.Status != models.ExportReady || e.DeletedAt != nil || e.ExpiresAt == nil || !e.ExpiresAt.After(s.now()):
		return &GoneError{}
	}
	return nil
}

// send uses the export up and streams its archive.
func (s *Service) send(ctx context.Context, e *models.Export, me int64, ip string, begin func(size int64) io.Writer) error {
	now := s.now().UTC()
	res := s.db.Gorm.WithContext(ctx).Exec(`UPDATE exports SET downloaded_at = ? WHERE id = ? AND downloaded_at IS NULL AND status = 'ready'`, now, e.ID)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return &GoneError{Used: true} // another request took it first
	}
	release := func() {
		if err := s.db.Gorm.WithContext(context.WithoutCancel(ctx)).Exec(`UPDATE exports SET downloaded_at = NULL WHERE id = ?`, e.ID).Error; err != nil {
			s.log.ErrorContext(ctx, "export: release link", "export_id", e.ID, "error", err.Error())
		}
	}
	obj, err := s.store.Open(ctx, *e.ObjectKey)
	if err != nil {
		release()
		if errors.Is(err, storage.ErrNotFound) {
			return &GoneError{}
		}
		if errors.Is(err, storage.ErrUnavailable) {
			return &models.UnavailableError{Code: "storage_unavailable", Message: "Your archive cannot be reached right now. Please try the link again in a minute: it still works.",
				RetryAfter: 30 * time.Second, Err: err}
		}
		return fmt.Errorf("export: open %d: %w", e.ID, err)
	}
	defer obj.Close()
	if _, err := io.Copy(begin(obj.Size), obj); err != nil {
		release()
		return fmt.Errorf("export: send %d: %w", e.ID, err)
	}
	uid := me
	if err := audit.Record(context.WithoutCancel(ctx), s.db.Gorm, models.AuditEvent{ActorID: &uid, Action: "export.download", TargetKind: "user", TargetID: &uid, IP: ip}); err != nil {
		s.log.ErrorContext(ctx, "export: audit download", "export_id", e.ID, "error", err.Error())
	}
	// Downloaded: the archive goes now, not at expiry.
	dctx := context.WithoutCancel(ctx)
	if err := s.store.Delete(dctx, *e.ObjectKey); err != nil {
		s.log.WarnContext(ctx, "export: delete after download (the sweep retries)", "export_id", e.ID, "error", err.Error())
		return nil
	}
	if err := s.db.Gorm.WithContext(dctx).Exec(`UPDATE exports SET deleted_at = ? WHERE id = ?`, now, e.ID).Error; err != nil {
		s.log.WarnContext(ctx, "export: mark deleted", "export_id", e.ID, "error", err.Error())
	}
	return nil
}
