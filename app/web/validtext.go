package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/models"
)

// ValidText applies the input rules of app/input to every request before
// any handler reads it, so forms and the JSON API refuse the same things:
//   - the address must be UTF-8 without NUL (else 404: nothing is called that);
//   - every query, form and multipart value, and every string of a JSON
//     body, must pass input.Check for its field (422 naming the field,
//     code invalid_text): UTF-8, no control characters but tab and line
//     breaks, and in one-line names no bidi controls and not only
//     invisible characters;
//   - a JSON body must be one JSON value without duplicate keys and not
//     nested too deeply (422 invalid_json), and JSON at all (400);
//   - the body is read here, whatever its type and transfer encoding, so
//     one past the body limit is a 413 (not a 400 from whoever reads it later).
//
// Form values have CRLF and lone CR turned into LF (textareas send CRLF);
// the Binder does the same for JSON strings.
//
// keepInput names routes (Echo paths such as "/f/:slug/threads") whose
// handlers check every field they keep with the same rules (input.Check,
// through their services) and show their form again with the member's
// text and the field errors: their HTML forms are passed on to them
// instead of getting an error page. JSON is refused here for every route.
func ValidText(keepInput ...string) echo.MiddlewareFunc {
	keep := map[string]bool{}
	for _, p := range keepInput {
		keep[p] = true
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return validText(next, keep)
	}
}

func validText(next echo.HandlerFunc, keep map[string]bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !utf8.ValidString(r.URL.Path) || strings.IndexByte(r.URL.Path, 0) >= 0 {
			return models.ErrNotFound
		}
		verr := models.NewValidationError()
		verr.Code = "invalid_text"
		checkValues(verr, r.URL.Query())
		if len(verr.Fields) > 0 {
			return verr
		}
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		switch mt {
		case echo.MIMEApplicationForm:
			if err := r.ParseForm(); err != nil {
				return bodyError(err)
			}
			checkValues(verr, r.PostForm)
			normalizeValues(r.PostForm)
			normalizeValues(r.Form)
			if keep[c.Path()] && r.Method == http.MethodPost && len(verr.Fields) > 0 && len(checkNames(r.PostForm)) == 0 {
				return next(c) // the handler says the same, over its form
			}
		case echo.MIMEMultipartForm:
			if err := r.ParseMultipartForm(multipartMemory); err != nil {
				return bodyError(err)
			}
			checkValues(verr, r.MultipartForm.Value)
			normalizeValues(r.MultipartForm.Value)
			normalizeValues(r.PostForm)
			normalizeValues(r.Form)
		default:
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return bodyError(err)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if mt == echo.MIMEApplicationJSON {
				if err := input.ScanJSON(body); err != nil {
					return jsonError(err)
				}
				c.Set(jsonScannedKey, true)
			}
		}
		if len(verr.Fields) > 0 {
			return verr
		}
		return next(c)
	}
}

// multipartMemory is how much of a multipart body is held in memory; the
// body limits (1 MB, 16 MB for uploads) keep every body below it.
const multipartMemory = 32 << 20

// jsonScannedKey marks a request whose JSON body ValidText has scanned,
// so the Binder does not scan it again.
const jsonScannedKey = "kindred.json_scanned"

// jsonError turns what input.ScanJSON found into the answer: 400 for a
// body that is not JSON, else the 422 naming the fields.
func jsonError(err error) error {
	var mal *input.MalformedError
	if errors.As(err, &mal) {
		return echo.NewHTTPError(http.StatusBadRequest, mal.Error()).SetInternal(err)
	}
	return err
}

// CheckText adds a field error for every value (or name) of form that
// input.Check refuses; handlers that read their own multipart forms call it.
func CheckText(verr *models.ValidationError, form map[string][]string) {
	checkValues(verr, form)
}

// checkNames returns the field names of form that cannot be stored.
func checkNames(form map[string][]string) []string {
	var bad []string
	for k := range form {
		if input.Check("", k) != "" {
			bad = append(bad, k)
		}
	}
	return bad
}

func checkValues(verr *models.ValidationError, form map[string][]string) {
	for k, vs := range form {
		if input.Check("", k) != "" {
			verr.Add("form", input.MsgNotText)
			continue
		}
		for _, v := range vs {
			if msg := input.Check(k, v); msg != "" {
				verr.Add(k, msg)
			}
		}
	}
}

func normalizeValues(form map[string][]string) {
	for _, vs := range form {
		for i, v := range vs {
			vs[i] = input.NormalizeNewlines(v)
		}
	}
}

// bodyError is what a body that cannot be read answers: too large, or
// not a form.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge) || strings.Contains(strings.ToLower(err.Error()), "too large") {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read. Please try again.")
}
