// Package clinicians verifies clinicians: applications with a licence and
// an optional proof document, the review queue, the verified → revoked |
// expired lifecycle, public badges and clinician settings.
package clinicians

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/models"
)

// Notifier tells the applicant about a change, inside its transaction.
type Notifier interface {
	NotifyCredential(ctx context.Context, tx *gorm.DB, userID int64, kind string, credentialID int64) error
	NotifyReviewers(ctx context.Context, tx *gorm.DB, credentialID, applicantID int64) error
}

// Options are the operator's settings.
type Options struct {
	// DocumentRetention is how long a proof document stays after the
	// decision on its application.
	DocumentRetention time.Duration
}

// VerificationListener hears, inside the transaction that ends it, that a
// clinician's verification ended: revoked (by an admin) or not (expired,
// superseded). Private questions end the clinician's access; forums take
// the "clinician answered" labels of a revoked clinician away.
type VerificationListener interface {
	VerificationEnded(ctx context.Context, tx *database.Tx, userID int64, revoked bool) error
}

// Service implements clinician verification.
type Service struct {
	db        *database.DB
	now       func() time.Time
	docs      storage.Store
	notifier  Notifier
	log       *slog.Logger
	opts      Options
	listeners []VerificationListener

	// orphans removes documents no credential names (sweep.go).
	orphans *storage.Orphans
}

// New builds the service. docs keeps the proof documents (local disk or
// object storage); ended are told of every verification that ends, inside
// its transaction (forums relabels the clinician's posts, private
// questions move on).
func New(db *database.DB, now func() time.Time, docs storage.Store, n Notifier, log *slog.Logger, opts Options, ended ...VerificationListener) *Service {
	return &Service{db: db, now: now, docs: docs, notifier: n, log: log, opts: opts, orphans: &storage.Orphans{Grace: orphanGrace, Max: 500}, listeners: ended}
}

// VerifiedFor is how long one approval lasts at most.
const VerifiedFor = 365 * 24 * time.Hour

// ReminderBefore is how long before verified_until the clinician is reminded.
const ReminderBefore = 30 * 24 * time.Hour

// transitions is the state machine: the action that moves a credential
// from one status to another. Anything not listed is refused.
var transitions = map[[2]models.CredentialStatus]string{
	{models.CredentialPending, models.CredentialVerified}:  "approve",
	{models.CredentialPending, models.CredentialRejected}:  "reject",
	{models.CredentialPending, models.CredentialWithdrawn}: "withdraw",
	{models.CredentialVerified, models.CredentialRevoked}:  "revoke",
	{models.CredentialVerified, models.CredentialExpired}:  "expire",
}

// notifications says which transitions notify the applicant, and how.
var notifications = map[models.CredentialStatus]string{
	models.CredentialVerified: models.NotifyCredentialApproved,
	models.CredentialRejected: models.NotifyCredentialRejected,
	models.CredentialRevoked:  models.NotifyCredentialRevoked,
	models.CredentialExpired:  models.NotifyCredentialExpired,
}

func refusedTransition(from, to models.CredentialStatus) error {
	verb := map[models.CredentialStatus]string{
		models.CredentialVerified: "approved", models.CredentialRejected: "rejected", models.CredentialWithdrawn: "withdrawn",
		models.CredentialRevoked: "revoked", models.CredentialExpired: "expired",
	}[to]
	return &models.ConflictError{Message: fmt.Sprintf("This application is %s (%s); it cannot be %s now.", from, strings.ToLower(from.Label()), verb)}
}
