package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Error templates, one per status family.
const (
	TplError = "errors/error.html"
)

// APIError is the JSON error body: {"error":{"code","message","fields"}}.
type APIError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

type errorPage struct {
	Code     int
	Heading  string
	Message  string
	Fields   map[string]string
	Link     string // where to go on from an explained error ("" : home)
	LinkText string
}

// ErrorHandler is the one place where errors become responses.
func ErrorHandler(r *Renderer, log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if errors.Is(err, models.ErrSignInRequired) && !WantsJSON(c) && c.Request().Method == http.MethodGet {
			_ = Redirect(c, "/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			return
		}
		// A client that went away is not a server failure: nothing to send, nothing to log.
		if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
			c.Response().WriteHeader(499)
			return
		}
		status, body := classify(err)
		var ex models.Explained
		explained := errors.As(err, &ex)
		if status >= 500 && !explained { // an explained failure was logged where it happened
			log.ErrorContext(c.Request().Context(), "request failed",
				"error", err.Error(), "method", c.Request().Method, "path", c.Request().URL.Path,
				"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		}
		var rl *models.RateLimitedError
		var ue *models.UnavailableError
		switch {
		case errors.As(err, &rl):
			c.Response().Header().Set("Retry-After", strconv.Itoa(rl.RetryAfterSeconds()))
		case errors.As(err, &ue):
			c.Response().Header().Set("Retry-After", strconv.Itoa(ue.RetryAfterSeconds()))
		case explained && ex.Public().RetryAfter > 0:
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(ex.Public().RetryAfter/time.Second)))
		case status == http.StatusServiceUnavailable:
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(DatabaseRetryAfter/time.Second)))
		}
		if WantsJSON(c) {
			_ = c.JSON(status, map[string]APIError{"error": body})
			return
		}
		page := errorPage{Code: status, Heading: headingFor(status), Message: body.Message, Fields: body.Fields}
		if explained {
			pe := ex.Public()
			page.Heading, page.Link, page.LinkText = pe.Heading, pe.Link, pe.LinkText
		}
		p := r.NewPage(c, page.Heading)
		p.Noindex = true
		p.Data = page
		if rerr := r.Render(c, status, TplError, p); rerr != nil {
			log.Error("error page failed", "error", rerr.Error())
			_ = c.String(status, body.Message)
		}
	}
}

// DatabaseRetryAfter is what a request that could not reach PostgreSQL
// tells clients to wait.
const DatabaseRetryAfter = 5 * time.Second

// Messages for requests that met an unreachable database.
const (
	outcomeUnknownMessage = "We lost contact with our database while saving, so we cannot tell whether this was saved. " +
		"Please check before sending it again. (API clients: repeat the request with the same Idempotency-Key; it is never saved twice.)"
	databaseDownMessage = "Kindred cannot reach its database right now. Please try again in a few seconds."
)

func classify(err error) (int, APIError) {
	var verr *models.ValidationError
	var rl *models.RateLimitedError
	var he *echo.HTTPError
	var ce *models.ConflictError
	var tl *models.TooLargeError
	var ue *models.UnavailableError
	var fe *models.ForbiddenError
	var ex models.Explained
	switch {
	case errors.As(err, &ex):
		pe := ex.Public()
		return pe.Status, APIError{Code: pe.Code, Message: pe.Message}
	case errors.As(err, &fe):
		return http.StatusForbidden, APIError{Code: fe.Code, Message: fe.Message}
	case errors.Is(err, models.ErrOutcomeUnknown):
		return http.StatusServiceUnavailable, APIError{Code: "outcome_unknown", Message: outcomeUnknownMessage}
	case errors.As(err, &ue):
		code := ue.Code
		if code == "" {
			code = "unavailable"
		}
		return http.StatusServiceUnavailable, APIError{Code: code, Message: ue.Message}
	case database.ConnectionLost(err):
		return http.StatusServiceUnavailable, APIError{Code: "database_unavailable", Message: databaseDownMessage}
	case errors.As(err, &verr):
		code := verr.Code
		if code == "" {
			code = "invalid"
		}
		return http.StatusUnprocessableEntity, APIError{Code: code, Message: verr.Message, Fields: verr.Fields}
	case errors.As(err, &rl):
		return http.StatusTooManyRequests, APIError{Code: "rate_limited", Message: "Too many attempts. Please wait " + strconv.Itoa(rl.RetryAfterSeconds()) + " seconds and try again."}
	case errors.As(err, &ce):
		return http.StatusConflict, APIError{Code: "conflict", Message: ce.Message}
	case errors.As(err, &tl):
		return http.StatusRequestEntityTooLarge, APIError{Code: "too_large", Message: tl.Message, Fields: map[string]string{tl.Field: tl.Message}}
	case errors.Is(err, models.ErrSignInRequired):
		return http.StatusUnauthorized, APIError{Code: "unauthorized", Message: "Please sign in first."}
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound, APIError{Code: "not_found", Message: "We could not find that page."}
	case errors.Is(err, models.ErrForbidden):
		return http.StatusForbidden, APIError{Code: "forbidden", Message: "You do not have permission to do that."}
	case errors.Is(err, models.ErrConflict):
		return http.StatusConflict, APIError{Code: "conflict", Message: "That conflicts with something that already exists."}
	case errors.As(err, &he):
		msg, _ := he.Message.(string)
		code := codeFor(he.Code)
		switch he.Code {
		case http.StatusNotFound:
			msg = "We could not find that page."
		case http.StatusRequestEntityTooLarge:
			msg = "What you sent is too large. A document can be at most 5 MB and a post 20,000 characters: go back and send something smaller."
		}
		// A handler's own message for "unavailable" is meant for people;
		// any other 5xx text may be internal.
		if msg == "" || he.Code >= 500 && he.Code != http.StatusServiceUnavailable && he.Code != http.StatusBadGateway {
			msg = http.StatusText(he.Code)
		}
		return he.Code, APIError{Code: code, Message: msg}
	}
	return http.StatusInternalServerError, APIError{Code: "internal", Message: "Something went wrong on our side. It has been logged; please try again."}
}

func codeFor(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

func headingFor(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "Not allowed"
	case http.StatusUnauthorized:
		return "Please sign in"
	case http.StatusTooManyRequests:
		return "Too many attempts"
	case http.StatusUnprocessableEntity:
		return "Please check your input"
	case http.StatusRequestEntityTooLarge:
		return "Too large"
	case http.StatusServiceUnavailable:
		return "Temporarily unavailable"
	}
	if status >= 500 {
		return "Something went wrong"
	}
	return http.StatusText(status)
}

// Errors a handler can return directly.
var (
	ErrUnauthorized = echo.NewHTTPError(http.StatusUnauthorized, "Please sign in first.")
	ErrBadCSRF      = echo.NewHTTPError(http.StatusForbidden, "This form has expired or came from another site. Go back, reload the page and try again.")
)
