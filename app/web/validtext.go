package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"kindred/models"
)

// invalidTextMessage is said of a field that holds what no text column
// can store.
const invalidTextMessage = "This holds a character Kindred cannot store (a NUL byte, or bytes that are not UTF-8 text). Please remove it and try again."

// storableText: s is valid UTF-8 without a NUL byte, which PostgreSQL's
// text cannot hold.
func storableText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// ValidText refuses, before any handler reads them, requests whose
// address, query, form or JSON body holds a NUL byte or bytes that are not
// UTF-8: a name in the address answers 404 (nothing is called that), a
// value 422 naming the field. Multipart uploads are checked by their
// handler, which reads them itself (its size limit has its own answer).
func ValidText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !storableText(r.URL.Path) {
			return models.ErrNotFound
		}
		verr := models.NewValidationError()
		verr.Code = "invalid_text"
		checkValues(verr, r.URL.Query())
		if len(verr.Fields) > 0 {
			return verr
		}
		mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		switch {
		case r.Body == nil || r.Body == http.NoBody:
		case mt == echo.MIMEApplicationForm:
			if err := r.ParseForm(); err != nil {
				return bodyError(err)
			}
			checkValues(verr, r.PostForm)
		case mt == echo.MIMEApplicationJSON:
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return bodyError(err)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			checkJSON(verr, body)
		}
		if len(verr.Fields) > 0 {
			return verr
		}
		return next(c)
	}
}

// CheckText adds a field error for every value (or name) of form that
// cannot be stored; handlers that read their own multipart forms call it.
func CheckText(verr *models.ValidationError, form map[string][]string) {
	checkValues(verr, form)
}

func checkValues(verr *models.ValidationError, form map[string][]string) {
	for k, vs := range form {
		if !storableText(k) {
			verr.Add("form", invalidTextMessage)
			continue
		}
		for _, v := range vs {
			if !storableText(v) {
				verr.Add(k, invalidTextMessage)
			}
		}
	}
}

// checkJSON looks at every string of a JSON body, keys included; a body
// that is not UTF-8 is refused whole (the decoder would quietly turn its
// bytes into U+FFFD). A body that is not JSON is left to the handler.
func checkJSON(verr *models.ValidationError, body []byte) {
	if !utf8.Valid(body) {
		verr.Add("body", invalidTextMessage)
		return
	}
	if !bytes.Contains(body, []byte(`\u0000`)) && bytes.IndexByte(body, 0) < 0 {
		return // nothing that could decode to NUL
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		if bytes.IndexByte(body, 0) >= 0 {
			verr.Add("body", invalidTextMessage)
		}
		return
	}
	walkJSON(verr, "", v)
}

func walkJSON(verr *models.ValidationError, field string, v any) {
	switch x := v.(type) {
	case string:
		if !storableText(x) {
			name := field
			if name == "" {
				name = "body"
			}
			verr.Add(name, invalidTextMessage)
		}
	case []any:
		for _, e := range x {
			walkJSON(verr, field, e)
		}
	case map[string]any:
		for k, e := range x {
			if !storableText(k) {
				verr.Add("body", invalidTextMessage)
				continue
			}
			name := k
			if field != "" {
				name = field + "." + k
			}
			walkJSON(verr, name, e)
		}
	}
}

// bodyError is what a body that cannot be read answers: too large, or
// not a form.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge) || strings.Contains(err.Error(), "too large") {
		return echo.ErrStatusRequestEntityTooLarge
	}
	return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read. Please try again.")
}
