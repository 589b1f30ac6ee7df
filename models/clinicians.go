package models

import (
	"time"

	"github.com/lib/pq"
)

// CredentialStatus is where an application stands.
type CredentialStatus string

// Credential statuses. Pending and verified are open: a member holds at
// most one open credential.
const (
	CredentialPending   CredentialStatus = "pending"
	CredentialVerified  CredentialStatus = "verified"
	CredentialRejected  CredentialStatus = "rejected"
	CredentialWithdrawn CredentialStatus = "withdrawn"
	CredentialRevoked   CredentialStatus = "revoked"
	CredentialExpired   CredentialStatus = "expired"
)

// Label is the status as members read it.
func (s CredentialStatus) Label() string {
	switch s {
	case CredentialPending:
		return "Waiting for review"
	case CredentialVerified:
		return "Verified"
	case CredentialRejected:
		return "Not approved"
	case CredentialWithdrawn:
		return "Withdrawn"
	case CredentialRevoked:
		return "Revoked"
	case CredentialExpired:
		return "Expired"
	}
	return string(s)
}

// Credential is one application to be recognised as a clinician, and,
// once approved, the verification itself.
type Credential struct {
	ID                int64
	UserID            int64
	Profession        string
	Specialties       pq.StringArray `gorm:"type:text[]"`
	LicenceNumber     string
	Jurisdiction      string
	LicenceExpires    time.Time `gorm:"type:date"`
	Status            CredentialStatus
	Reason            string
	SubmittedAt       time.Time
	ReviewerID        *int64
	ReviewedAt        *time.Time
	VerifiedUntil     *time.Time
	EndedAt           *time.Time
	ReminderSentAt    *time.Time
	DocumentFile      *string
	DocumentType      *string
	DocumentSize      *int64
	DocumentDeletedAt *time.Time
}

// VerifiedAt reports whether the credential makes its owner a verified
// clinician at t: the one Go spelling of the rule SQL spells as
// clinician_verified(status, verified_until, t) (migration 00025).
func VerifiedAt(status string, verifiedUntil *time.Time, t time.Time) bool {
	return status == string(CredentialVerified) && verifiedUntil != nil && verifiedUntil.After(t)
}

// VerifiedAt reports whether the credential makes its owner a verified
// clinician at t.
func (c *Credential) VerifiedAt(t time.Time) bool {
	return VerifiedAt(string(c.Status), c.VerifiedUntil, t)
}

// HasDocument reports whether a proof document is still stored.
func (c *Credential) HasDocument() bool { return c.DocumentFile != nil && c.DocumentDeletedAt == nil }

// Profession is an entry of the admin-managed list of professions.
type Profession struct {
	Code      string `json:"code"`
	Label     string `json:"label"`
	Position  int    `json:"position"`
	CreatedAt time.Time
}

// Specialty is an entry of the admin-managed list of specialties, shared by
// credentials and forums (private-question routing matches the two).
type Specialty struct {
	Code      string `json:"code"`
	Label     string `json:"label"`
	CreatedAt time.Time
}

// TableName keeps GORM from guessing "specialties" wrongly.
func (Specialty) TableName() string { return "specialties" }

// Jurisdiction is a licensing authority with the URL template of its
// public register ({licence} stands for the licence number).
type Jurisdiction struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	RegisterURL string `json:"register_url"`
	CreatedAt   time.Time
}

// ClinicianSettings are a clinician's private-question preferences.
type ClinicianSettings struct {
	UserID             int64 `gorm:"primaryKey"`
	AcceptingQuestions bool
	MaxOpenQuestions   int
	Generalist         bool       // takes questions outside their specialties
	PausedAt           *time.Time // Kindred paused their offers after repeated time-outs
	UpdatedAt          time.Time
}

// Notification kinds about credentials.
const (
	NotifyCredentialApproved = "credential_approved"
	NotifyCredentialRejected = "credential_rejected"
	NotifyCredentialRevoked  = "credential_revoked"
	NotifyCredentialExpired  = "credential_expired"
	NotifyCredentialExpiring = "credential_expiring"
	// NotifyCredentialSubmitted tells reviewers a new application waits.
	NotifyCredentialSubmitted = "credential_submitted"
)

// CredentialStatusLabels lists every status (for filters) with its label.
var CredentialStatusLabels = map[CredentialStatus]string{
	CredentialPending: CredentialPending.Label(), CredentialVerified: CredentialVerified.Label(),
	CredentialRejected: CredentialRejected.Label(), CredentialWithdrawn: CredentialWithdrawn.Label(),
	CredentialRevoked: CredentialRevoked.Label(), CredentialExpired: CredentialExpired.Label(),
}
