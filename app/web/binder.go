package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/models"
)

// Binder is the server's echo.Binder: every c.Bind of a JSON body reads
// it strictly. Beyond what ValidText already refused (duplicate keys,
// trailing data, text), a field the request does not take and a value of
// the wrong type are 422 invalid_json naming the field, and strings have
// CRLF turned into LF. Path, query and form binding are echo's.
type Binder struct {
	echo.DefaultBinder
}

// Bind implements echo.Binder.
func (b *Binder) Bind(i any, c echo.Context) error {
	if err := b.BindPathParams(c, i); err != nil {
		return err
	}
	r := c.Request()
	switch r.Method {
	case http.MethodGet, http.MethodDelete, http.MethodHead:
		if err := b.BindQueryParams(c, i); err != nil {
			return err
		}
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if mt != echo.MIMEApplicationJSON || r.Body == nil || r.Body == http.NoBody {
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			return nil
		}
		return b.BindBody(c, i)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return bodyError(err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return DecodeJSON(c, body, i)
}

// DecodeJSON decodes body into v as the Binder does, for handlers that
// decode over a value they filled first (PATCH).
func DecodeJSON(c echo.Context, body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if scanned, _ := c.Get(jsonScannedKey).(bool); !scanned {
		if err := input.ScanJSON(body); err != nil {
			return jsonError(err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	normalizeStrings(reflect.ValueOf(v))
	return nil
}

var unknownFieldRe = regexp.MustCompile(`unknown field "((?:[^"\\]|\\.)*)"`)

// decodeError names the field a decoding error is about.
func decodeError(err error) error {
	verr := models.NewValidationError()
	verr.Code = input.CodeInvalidJSON
	verr.Message = "The request body does not fit this request: see the fields."
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		verr.Add(field, "Must be "+kindOf(te.Type)+", not "+article(te.Value)+".")
	case unknownFieldRe.MatchString(err.Error()):
		name := unknownFieldRe.FindStringSubmatch(err.Error())[1]
		verr.Add(name, "This request takes no field of that name.")
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return echo.NewHTTPError(http.StatusBadRequest, "The request body is not valid JSON.").SetInternal(err)
	default:
		verr.Add("body", "This body does not fit this request.")
	}
	return verr
}

// kindOf says in words what JSON a Go type takes.
func kindOf(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		if t.String() == "time.Time" {
			return "a date and time (RFC 3339)"
		}
		return "an object"
	}
	return "another type"
}

func article(jsonKind string) string {
	switch {
	case jsonKind == "":
		return "that"
	case strings.HasPrefix(jsonKind, "number"):
		return "a number"
	case jsonKind == "array":
		return "a list"
	case jsonKind == "bool":
		return "true or false"
	case jsonKind == "object":
		return "an object"
	case jsonKind == "string":
		return "a string"
	}
	return jsonKind
}

// normalizeStrings turns CRLF and lone CR into LF in every string v
// reaches (fields, slices, map values).
func normalizeStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			normalizeStrings(v.Elem())
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(input.NormalizeNewlines(v.String()))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				normalizeStrings(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			normalizeStrings(v.Index(i))
		}
	case reflect.Map:
		if v.Type().Elem().Kind() == reflect.String {
			for _, k := range v.MapKeys() {
				v.SetMapIndex(k, reflect.ValueOf(input.NormalizeNewlines(v.MapIndex(k).String())).Convert(v.Type().Elem()))
			}
			return
		}
		for _, k := range v.MapKeys() {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(v.MapIndex(k))
			normalizeStrings(e)
			v.SetMapIndex(k, e)
		}
	}
}
