package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/kindred-health/kindred/models"
)

// MaxJSONDepth bounds how deeply objects and arrays may nest in a request
// body: Kindred's own bodies nest three levels at most.
const MaxJSONDepth = 32

// MalformedError says a body is not JSON at all (400): there is no field
// to name.
type MalformedError struct {
	Offset int64
	Reason string
}

func (e *MalformedError) Error() string {
	return fmt.Sprintf("The request body is not valid JSON (%s at byte %d).", e.Reason, e.Offset)
}

// CodeInvalidJSON is the error code of a JSON body that is JSON but not
// what the request takes (duplicate keys, trailing data, unknown fields,
// wrong types).
const CodeInvalidJSON = "invalid_json"

// ScanJSON reads body once, token by token, in time linear in its size,
// and refuses what encoding/json would quietly accept or change: bytes
// that are not UTF-8 and unpaired surrogate escapes (both would become
// U+FFFD), a key given twice in one object (the last would win), anything
// after the value, nesting deeper than MaxJSONDepth, and strings that
// Check refuses for their field. A body that is not JSON at all is a
// *MalformedError; the rest is a *models.ValidationError naming the fields.
func ScanJSON(body []byte) error {
	verr := models.NewValidationError()
	// Text that cannot be stored is marked with a NUL escape, which Check
	// refuses, so the field that holds it is the one named: bytes that are
	// not UTF-8, and escapes of unpaired surrogates (six bytes, as long as
	// the NUL escape, replaced in place). Outside a string the mark makes
	// the body malformed, as the bytes did.
	notText := false
	if !utf8.Valid(body) {
		body = []byte(strings.ToValidUTF8(string(body), `\u0000`))
		notText = true
	}
	if at := unpairedSurrogates(body); len(at) > 0 {
		body = bytes.Clone(body)
		for _, i := range at {
			copy(body[i:], `\u0000`)
		}
		notText = true
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object  bool
		path    string // the object's or array's own field name
		key     string // in an object, the key whose value comes next
		wantKey bool   // in an object, the next string is a key
		seen    map[string]bool
	}
	var stack []frame
	textCode := ""
	fieldOf := func() string {
		if len(stack) == 0 {
			return ""
		}
		if top := stack[len(stack)-1]; top.object {
			return join(top.path, top.key)
		}
		return stack[len(stack)-1].path
	}
	// valueDone is called after a whole value: in an object the next
	// string is a key again.
	valueDone := func() {
		if len(stack) > 0 && stack[len(stack)-1].object {
			stack[len(stack)-1].wantKey = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return malformed(dec, err)
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= MaxJSONDepth {
					verr.Code = CodeInvalidJSON
					verr.Add(orBody(fieldOf()), MsgTooDeep)
					return verr
				}
				stack = append(stack, frame{object: t == '{', path: fieldOf(), wantKey: t == '{', seen: map[string]bool{}})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if len(stack) > 0 && stack[len(stack)-1].object && stack[len(stack)-1].wantKey {
				top := &stack[len(stack)-1]
				// encoding/json matches keys to fields without regard to
				// case, so "Name" and "NAME" are both the field name: fold
				// them before the duplicate check and the field's text rule.
				t = foldKey(t)
				if msg := Check("", t); msg != "" {
					verr.Add(orBody(top.path), msg)
					textCode = "invalid_text"
				}
				if top.seen[t] {
					verr.Code = CodeInvalidJSON
					verr.Add(join(top.path, t), MsgDuplicateKey)
				}
				top.seen[t], top.key, top.wantKey = true, t, false
				continue
			}
			if msg := Check(fieldOf(), t); msg != "" {
				verr.Add(orBody(fieldOf()), msg)
				textCode = "invalid_text"
			}
			valueDone()
		default:
			valueDone()
		}
		if len(stack) == 0 {
			// The one value is complete: anything but white space after
			// it is refused.
			if _, err := dec.Token(); err != io.EOF {
				verr.Code = CodeInvalidJSON
				verr.Add("body", "Send one JSON value: there is more after it.")
				return verr
			}
			break
		}
	}
	if len(stack) > 0 {
		return &MalformedError{Offset: dec.InputOffset(), Reason: "it ends too early"}
	}
	if notText && len(verr.Fields) == 0 {
		// The mark landed where Check does not see it (after a
		// backslash): the body as a whole is refused.
		verr.Add("body", MsgNotText)
		textCode = "invalid_text"
	}
	if len(verr.Fields) == 0 {
		return nil
	}
	if verr.Code == "" {
		verr.Code = textCode
	}
	return verr
}

// foldKey is key as encoding/json matches it: case folded, so that the
// Kelvin sign and the long s fold too.
func foldKey(key string) string {
	return strings.ToLower(strings.ToUpper(key))
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orBody(field string) string {
	if field == "" {
		return "body"
	}
	return field
}

func malformed(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	reason := err.Error()
	if errors.As(err, &se) {
		reason = strings.TrimPrefix(se.Error(), "json: ")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		reason = "it ends too early"
	}
	return &MalformedError{Offset: dec.InputOffset(), Reason: reason}
}

// unpairedSurrogates gives the offsets in b of \uXXXX escapes of
// surrogates that are not part of a pair (encoding/json would turn each
// into U+FFFD).
func unpairedSurrogates(b []byte) []int {
	if !bytes.Contains(b, []byte(`\u`)) {
		return nil
	}
	var at []int
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		r, ok := hex4(b, i+2)
		if !ok {
			i++
			continue
		}
		switch {
		case r >= 0xd800 && r <= 0xdbff:
			if i+11 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
				if lo, ok := hex4(b, i+8); ok && lo >= 0xdc00 && lo <= 0xdfff {
					i += 11
					continue
				}
			}
			at = append(at, i)
		case r >= 0xdc00 && r <= 0xdfff:
			at = append(at, i)
		}
		i += 5
	}
	return at
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
