package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ErrSignInRequired means a visitor asked for something only members may
// see or do: pages send them to sign in, the API answers 401.
var ErrSignInRequired = errors.New("sign in required")

// ValidationError carries one message per invalid field. Handlers show it
// next to the form (HTML) or as {"error":{"fields":…}} (JSON), status 422.
type ValidationError struct {
	Message string
	Fields  map[string]string
	// Code, when set, replaces "invalid" in API errors (such as
	// "personal_data": confirm and send again).
	Code string
}

// NewValidationError starts an empty set of field errors.
func NewValidationError() *ValidationError {
	return &ValidationError{Message: "Please correct the highlighted fields.", Fields: map[string]string{}}
}

// Add records a message for field unless one is already there.
func (v *ValidationError) Add(field, msg string) {
	if _, ok := v.Fields[field]; !ok {
		v.Fields[field] = msg
	}
}

// OrNil returns v when it holds a field error, otherwise nil.
func (v *ValidationError) OrNil() error {
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *ValidationError) Error() string {
	names := make([]string, 0, len(v.Fields))
	for k := range v.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return "invalid " + strings.Join(names, ", ")
}

// RateLimitedError says a client must wait before trying again (429).
type RateLimitedError struct {
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("too many attempts; retry after %s", e.RetryAfter.Round(time.Second))
}

// RetryAfterSeconds is the Retry-After header value, at least one second.
func (e *RateLimitedError) RetryAfterSeconds() int {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// ConflictError says a request no longer fits the current state, such as
// approving an application that was already rejected (409).
type ConflictError struct {
	Message string
}

func (e *ConflictError) Error() string { return e.Message }

// TooLargeError says an upload is over its limit (413).
type TooLargeError struct {
	Field   string
	Message string
}

func (e *TooLargeError) Error() string { return e.Message }

// UnavailableError says something Kindred depends on (its database, the
// search engine, the document store) cannot answer now: 503 with
// Retry-After and a message saying what to do. Err is the cause, for the
// log.
type UnavailableError struct {
	Code       string // e.g. search_unavailable; "unavailable" when empty
	Message    string
	RetryAfter time.Duration
	Err        error
}

func (e *UnavailableError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// RetryAfterSeconds is the Retry-After header value, at least one second.
func (e *UnavailableError) RetryAfterSeconds() int {
	return max(int((e.RetryAfter+time.Second-1)/time.Second), 1)
}

// ErrOutcomeUnknown says a write's transaction was sent to be committed but
// the connection failed before PostgreSQL answered: it may or may not have
// been saved.
var ErrOutcomeUnknown = errors.New("the database connection failed while committing: the write may or may not have been saved")

// ForbiddenError refuses an action with a reason the person can act on
// (status 403, its own code), where ErrForbidden says only "not allowed".
type ForbiddenError struct {
	Code    string
	Message string
}

func (e *ForbiddenError) Error() string { return "forbidden: " + e.Code }

// PublicError is a refusal or failure explained for people: its status,
// code, heading and message are shown as they are (HTML and JSON), with a
// link to go on from; the cause stays in the log. An error type that
// knows how it should read implements Public.
type PublicError struct {
	Status     int
	Code       string
	Heading    string
	Message    string
	Link       string
	LinkText   string
	RetryAfter time.Duration // with 503
}

// Explained is an error that says how it should read (see PublicError).
type Explained interface {
	error
	Public() PublicError
}
