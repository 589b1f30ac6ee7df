// Package models holds Kindred's persistent types, enums and sentinel errors.
// It has no queries: stores in the feature packages own those.
package models

import (
	"errors"
	"time"
)

// Sentinel errors that the HTTP error handler maps to status codes.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("forbidden")
	ErrConflict  = errors.New("conflict")
)

// Role is what a user may do beyond being a member.
type Role string

// Roles, from least to most privileged. Clinician is not a role: it comes
// from a verified credential.
const (
	RoleMember    Role = "member"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Rank orders roles so that RequireRole can compare them.
func (r Role) Rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleModerator:
		return 2
	case RoleMember:
		return 1
	}
	return 0
}

// CanReviewCredentials is true for admins and granted reviewers.
func (u *User) CanReviewCredentials() bool {
	return u != nil && (u.Role == RoleAdmin || u.Reviewer)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.Rank() > 0 }

// IsStaff reports whether the role moderates (shorter sessions apply).
func (r Role) IsStaff() bool { return r.Rank() >= RoleModerator.Rank() }

// UserStatus says whether an account may sign in.
type UserStatus string

// User statuses.
const (
	StatusActive    UserStatus = "active"
	StatusSuspended UserStatus = "suspended"
	StatusBanned    UserStatus = "banned"
	// StatusErased is the pseudonymous tombstone of an erased account
	// (app/privacy): no handle of theirs, no e-mail, no way in.
	StatusErased UserStatus = "erased"
)

// ShownEmail is the address the account's owner sees in their settings.
func (u *User) ShownEmail() string {
	switch {
	case u.Email != nil:
		return *u.Email
	case u.PendingEmail != nil:
		return *u.PendingEmail
	}
	return ""
}

// EmailUnconfirmed: the owner sees an address waiting for confirmation.
func (u *User) EmailUnconfirmed() bool {
	return (u.Email != nil && u.EmailVerifiedAt == nil) || (u.Email == nil && u.PendingEmail != nil)
}

// User is an account. Handles are pseudonymous; e-mail and password are
// optional because OpenID Connect accounts may have neither.
type User struct {
	ID     int64
	Handle string
	// HandleSkeleton is what the handle looks like to a reader (see
	// input.Skeleton), unique among accounts; set by app/auth on every
	// handle it writes. NULL only for an account whose lookalike existed
	// before skeletons were kept (migration 00022).
	HandleSkeleton  *string `json:"-"`
	Email           *string
	EmailVerifiedAt *time.Time
	// PendingEmail is the address a sign-up gave when another account
	// already used it: shown to its owner as unconfirmed, never confirmed,
	// never used to sign in or to send mail.
	PendingEmail   *string `json:"-"`
	PasswordHash   *string `json:"-"`
	Role           Role
	Status         UserStatus
	SuspendedUntil *time.Time
	// ProfileVisibility is who may open the member's profile.
	ProfileVisibility ProfileVisibility `gorm:"default:members"`
	// TimeZone is an IANA zone name ("" = not chosen: UTC).
	TimeZone string
	// Reviewer may review clinician credentials (admins always may).
	Reviewer bool
	// SSOOnly accounts sign in only through their organisation's provider:
	// no local password, no API tokens, unless an admin allows them.
	SSOOnly bool `gorm:"column:sso_only"`
	// Language ("fr") and Region ("CA-QC") choose the crisis resources the
	// member sees; empty means the site's default.
	Language  string
	Region    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CanSignIn reports whether the account may hold a session at now.
func (u *User) CanSignIn(now time.Time) bool {
	switch u.Status {
	case StatusActive:
		return true
	case StatusSuspended:
		return u.SuspendedUntil != nil && !now.Before(*u.SuspendedUntil)
	}
	return false
}

// Identity links a user to an external sign-in provider account.
type Identity struct {
	ID       int64
	UserID   int64
	Provider string
	// Issuer is whose subject this is: the same subject at another issuer
	// is another person.
	Issuer     string
	Subject    string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// Session is a server-side sign-in. Only the SHA-256 of its token is stored.
type Session struct {
	ID         int64
	TokenHash  []byte
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	// AuthenticatedAt is when the owner last proved who they are (password
	// or provider); sensitive actions ask again after a while.
	AuthenticatedAt time.Time
	// IdentityID, ProviderSid and IDTokenHint tie a provider sign-in to the
	// provider's session, for back-channel and provider logout.
	IdentityID  *int64
	ProviderSid string `json:"-"`
	IDTokenHint string `json:"-"`
	// MFAPending: the password (or provider) was right, the second factor
	// is still to come; such a session is good for nothing else.
	MFAPending bool `gorm:"column:mfa_pending"`
	// MFAAt is when the owner last proved a second factor in this session.
	MFAAt *time.Time `gorm:"column:mfa_at"`
}

// TokenScope limits what an API token may do.
type TokenScope string

// API token scopes.
const (
	ScopeRead  TokenScope = "read"
	ScopeWrite TokenScope = "write"
)

// APIToken is a personal access token for the JSON API, stored hashed.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	TokenHash  []byte `json:"-"`
	Scope      TokenScope
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time // nil: until revoked (or the password changes)
}

// AccountTokenPurpose says what an e-mailed link is for.
type AccountTokenPurpose string

// Account token purposes.
const (
	PurposeVerifyEmail   AccountTokenPurpose = "verify_email"
	PurposeResetPassword AccountTokenPurpose = "reset_password"
	// PurposeAppeal lets a suspended member who signed in at their
	// provider appeal without a password (never e-mailed).
	PurposeAppeal AccountTokenPurpose = "appeal"
)

// AccountToken is a single-use, expiring secret sent by e-mail.
type AccountToken struct {
	ID        int64
	UserID    int64
	Purpose   AccountTokenPurpose
	TokenHash []byte
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// AuditEvent is one append-only record of who did what, when and why.
type AuditEvent struct {
	ID         int64
	ActorID    *int64
	Action     string
	TargetKind string
	TargetID   *int64
	Reason     string
	FromState  string
	ToState    string
	IP         string
	CreatedAt  time.Time
}
