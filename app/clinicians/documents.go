package clinicians

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/models"
)

// MaxDocumentSize is the largest proof document accepted (5 MB).
const MaxDocumentSize = 5 << 20

// Accepted document types, found from the file's content (never from its
// name or the browser's claim).
var documentTypes = map[string]string{
	"application/pdf": "pdf",
	"image/png":       "png",
	"image/jpeg":      "jpg",
}

// DetectDocumentType returns the real type of a document and its file
// extension, or ok=false when it is not a PDF, PNG or JPEG. An HTML or SVG
// file renamed to .pdf is detected as text and refused.
func DetectDocumentType(content []byte) (mime, ext string, ok bool) {
	mime = http.DetectContentType(content)
	ext, ok = documentTypes[mime]
	return mime, ext, ok
}

// Upload is a proof document on its way in: its size as the form announced
// it and its content, streamed to the document store.
type Upload struct {
	Size    int64
	Content io.Reader
}

// UploadOf wraps content held in memory (nil when empty).
func UploadOf(content []byte) *Upload {
	if len(content) == 0 {
		return nil
	}
	return &Upload{Size: int64(len(content)), Content: bytes.NewReader(content)}
}

// sniff reads the start of the document, as much as type detection looks
// at, and returns its type and the whole content again.
func (u *Upload) sniff() (mime string, ok bool, content io.Reader, err error) {
	head := make([]byte, min(u.Size, 512))
	if _, err := io.ReadFull(u.Content, head); err != nil {
		return "", false, nil, fmt.Errorf("clinicians: read upload: %w", err)
	}
	mime, _, ok = DetectDocumentType(head)
	return mime, ok, io.MultiReader(bytes.NewReader(head), u.Content), nil
}

// documentKey matches the keys documents are stored under (storage.NewKey):
// the sweep removes only objects of this shape that no credential names.
var documentKey = regexp.MustCompile(`^[0-9a-f]{32}$`)

// How long a document may sit in the store with no credential naming it
// before the sweep removes it: far longer than any upload takes between
// writing the object and committing its row.
const orphanGrace = time.Hour

// storeRetryAfter is what viewers and applicants are told to wait when the
// document store does not answer.
const storeRetryAfter = 30 * time.Second

// unavailable is what applicants and viewers see when the document store
// failed; err (for the log) says why.
func unavailable(message string, err error) error {
	return &models.UnavailableError{Message: message, RetryAfter: storeRetryAfter, Err: err}
}

// StoredDocument is a proof document a credential still names.
type StoredDocument struct {
	CredentialID int64
	Key          string
	Type         string
}

// StoredDocuments lists every proof document a credential still names,
// oldest first (for moving them to another store).
func StoredDocuments(ctx context.Context, db *database.DB) ([]StoredDocument, error) {
	var out []StoredDocument
	err := db.Gorm.WithContext(ctx).Raw(`SELECT id AS credential_id, document_file AS key, coalesce(document_type, '') AS type FROM credentials
		WHERE document_file IS NOT NULL AND document_deleted_at IS NULL ORDER BY id`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("clinicians: stored documents: %w", err)
	}
	return out, nil
}

// Document opens a credential's proof document for the applicant or a
// reviewer; everyone else gets ErrNotFound (the document's existence is
// not revealed). Every successful open is audited. A store that does not
// answer in time is a 503 (models.UnavailableError), never a wait without end.
func (s *Service) Document(ctx context.Context, actor models.Actor, id int64, ip string) (*storage.Object, *models.Credential, error) {
	u := actor.User
	notFound := fmt.Errorf("clinicians: document %d: %w", id, models.ErrNotFound)
	if u == nil {
		return nil, nil, notFound
	}
	var c models.Credential
	if err := s.db.Gorm.WithContext(ctx).Limit(1).Find(&c, id).Error; err != nil {
		return nil, nil, err
	}
	if c.ID == 0 || !c.HasDocument() || c.DocumentType == nil || (c.UserID != u.ID && !u.CanReviewCredentials()) {
		return nil, nil, notFound
	}
	obj, err := s.docs.Open(ctx, *c.DocumentFile)
	switch {
	case errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrBadKey):
		return nil, nil, notFound
	case err != nil && ctx.Err() != nil:
		return nil, nil, err
	case err != nil:
		return nil, nil, unavailable("The document store is not answering just now, so this document cannot be shown. Please try again in a minute.",
			fmt.Errorf("clinicians: document %d: %w", id, err))
	}
	if err := audit.Record(ctx, s.db.Gorm, models.AuditEvent{ActorID: &u.ID, Action: "credential.document.view", TargetKind: "credential", TargetID: &c.ID, IP: ip}); err != nil {
		obj.Close()
		return nil, nil, err
	}
	return obj, &c, nil
}
