package clinicians

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/lib/pq"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/models"
)

// Apply records a new application. doc is the proof document (nil for
// none): over MaxDocumentSize is a 413, a type other than PDF, PNG or JPEG
// a field error. The document is stored first and the row written after,
// in one transaction; if that fails the document is deleted again (and
// should that fail too, the sweep removes it later), so no credential ever
// names a document that is not there. A store that does not answer is a
// 503 (models.UnavailableError) and nothing is recorded.
func (s *Service) Apply(ctx context.Context, actor models.Actor, form ApplicationForm, doc *Upload) (*models.Credential, error) {
	u := actor.User
	now := s.now().UTC()
	if u == nil || !u.CanSignIn(now) {
		return nil, models.ErrForbidden
	}
	if doc != nil && doc.Size == 0 {
		doc = nil
	}
	if doc != nil && doc.Size > MaxDocumentSize {
		return nil, &models.TooLargeError{Field: "document", Message: "The document is larger than 5 MB. Upload a smaller scan or photo."}
	}
	voc, err := s.Vocabulary(ctx)
	if err != nil {
		return nil, err
	}
	verr := models.NewValidationError()
	if err := form.Validate(voc, now); err != nil {
		verr = err.(*models.ValidationError)
	}
	var mime string
	var content io.Reader
	if doc != nil {
		var ok bool
		if mime, ok, content, err = doc.sniff(); err != nil {
			return nil, err
		}
		if !ok {
			verr.Add("document", "The document must be a PDF, PNG or JPEG file.")
		}
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	latest, verified, err := s.Standing(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if err := CanApply(latest, verified, now); err != nil {
		return nil, err
	}
	c := &models.Credential{UserID: u.ID, Profession: form.Profession, Specialties: pq.StringArray(form.Specialties),
		LicenceNumber: form.LicenceNumber, Jurisdiction: form.Jurisdiction, LicenceExpires: form.expires,
		Status: models.CredentialPending, SubmittedAt: now}
	if doc != nil {
		key, err := storage.NewKey()
		if err != nil {
			return nil, err
		}
		if err := s.docs.Put(ctx, key, content, doc.Size, mime); err != nil {
			switch {
			case errors.Is(err, storage.ErrTooLarge):
				return nil, &models.TooLargeError{Field: "document", Message: "The document is larger than 5 MB. Upload a smaller scan or photo."}
			case ctx.Err() != nil:
				return nil, err // the applicant went away
			}
			return nil, unavailable("We could not store your document just now, so your application was not sent.", err)
		}
		size := doc.Size
		c.DocumentFile, c.DocumentType, c.DocumentSize = &key, &mime, &size
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Omit("ID").Create(c).Error; err != nil {
			return err
		}
		if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: "credential.apply", TargetKind: "credential", TargetID: &c.ID,
			ToState: string(models.CredentialPending)}); err != nil {
			return err
		}
		return s.notifier.NotifyReviewers(ctx, tx.DB, c.ID, u.ID)
	})
	if err != nil {
		if c.DocumentFile != nil {
			// Even when the applicant has gone away: the document must not stay.
			if derr := s.docs.Delete(context.WithoutCancel(ctx), *c.DocumentFile); derr != nil {
				s.log.ErrorContext(ctx, "clinicians: remove document of failed application (the sweep will)", "error", derr.Error())
			}
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return nil, &models.ConflictError{Message: "You already have an application waiting for review."}
		}
		return nil, fmt.Errorf("clinicians: apply: %w", err)
	}
	return c, nil
}
