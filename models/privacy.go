package models

import "strings"

// Erasure modes.
const (
	// EraseDelete removes the member's posts (their text is gone; replies
	// by others stay).
	EraseDelete = "delete"
	// EraseAnonymise keeps the member's posts, shown as "a former member".
	EraseAnonymise = "anonymise"
)

// Erasure is one account being erased, as every table owner sees it. The
// users row stays as a tombstone under the same id, which is the
// pseudonym moderation records and the audit log keep.
type Erasure struct {
	UserID int64
	Mode   string
	// Handle and Email are what the account had, for owners whose rows
	// hold them as text (suppression lists, pending links).
	Handle string
	Email  string
	// KeepQuestionRecords keeps a minimal record of the member's private
	// questions for the clinicians who answered (KINDRED_ERASURE_KEEP_QUESTIONS):
	// no text of the member's, the clinician's answers, dates and status.
	KeepQuestionRecords bool
}

// FormerMemberPrefix starts every tombstone's handle; sign-up refuses it,
// and pages show such an author as "a former member".
const FormerMemberPrefix = "former_member_"

// IsFormerMember reports whether a handle is an erased account's.
func IsFormerMember(handle string) bool { return strings.HasPrefix(handle, FormerMemberPrefix) }
