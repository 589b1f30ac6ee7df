// Package input holds the rules every piece of text must pass before
// Kindred keeps it, whether it came from an HTML form or the JSON API:
// which characters are refused, which fields are one-line names, the
// strict reading of JSON bodies and the confusable skeleton of handles.
// It is pure (no I/O); app/web applies it at the edge (ValidText, the
// Binder) and the features call it where they choose names.
package input

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Messages said of a refused field. They name no character by code: the
// reader sees the field and what to do.
const (
	MsgNotText      = "This holds a character Kindred cannot store (a NUL byte, or bytes that are not UTF-8 text). Please remove it and try again."
	MsgControl      = "This holds an invisible control character (perhaps pasted from another program). Please retype it without it."
	MsgBidi         = "This holds a character that reverses the direction of text, which can make a name look like something it is not. Please remove it."
	MsgDirMark      = "This holds an invisible direction mark. Please remove it."
	MsgInvisible    = "This is made only of invisible characters. Please type something people can read."
	MsgOneLine      = "This must fit on one line."
	MsgTooDeep      = "This is nested too deeply."
	MsgDuplicateKey = "This field is given twice; send it once."
)

// lineFields are the names (form fields, JSON keys) of one-line text that
// others read as a name: titles, handles, tags, forum and token names,
// labels. They get the stricter rules of CheckLine. The names are
// Kindred's own; a new one-line field joins this list.
var lineFields = map[string]bool{
	"title": true, "handle": true, "login": true, "name": true, "tags": true, "tag": true, "slug": true,
	"label": true, "profession": true, "jurisdiction": true, "code": true, "word": true,
}

// identifierFields are one-line names that are identifiers, not prose:
// even the invisible direction marks that right-to-left prose may need
// have no place in them.
var identifierFields = map[string]bool{"handle": true, "login": true, "tags": true, "tag": true, "slug": true, "code": true}

// IsLineField reports whether field (a form name or a JSON path such as
// "tags" or "forum.title") names one-line text.
func IsLineField(field string) bool {
	return lineFields[leaf(field)]
}

func leaf(field string) string {
	if i := strings.LastIndexByte(field, '.'); i >= 0 {
		return field[i+1:]
	}
	return field
}

// Check returns what is wrong with s as the value of field, or "": any
// field must be UTF-8 without NUL or control characters other than tab,
// newline and carriage return; a one-line field (IsLineField) also holds
// no line breaks, no bidi overrides, embeddings or isolates (no direction
// marks either in identifiers) and is not made only of invisible
// characters.
func Check(field, s string) string {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return MsgNotText
	}
	if !IsLineField(field) {
		for _, r := range s {
			if isControl(r) && r != '\n' && r != '\t' && r != '\r' {
				return MsgControl
			}
		}
		return ""
	}
	return checkLine(s, identifierFields[leaf(field)])
}

func checkLine(s string, identifier bool) string {
	visible, invisible := false, false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			return MsgOneLine
		case isControl(r) && r != '\t':
			return MsgControl
		case isBidiControl(r):
			return MsgBidi
		case isDirMark(r):
			if identifier {
				return MsgDirMark
			}
			invisible = true
		case unicode.IsSpace(r):
		case IsInvisible(r):
			invisible = true
		default:
			visible = true
		}
	}
	if invisible && !visible {
		return MsgInvisible
	}
	return ""
}

// isControl: C0 and C1 control characters and DEL.
func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f)
}

// isBidiControl: the explicit embeddings and overrides (U+202A–U+202E)
// and isolates (U+2066–U+2069) that reorder what follows them: with one,
// "gnp.exe" shows as "exe.png".
func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// isDirMark: left-to-right, right-to-left and Arabic letter marks.
func isDirMark(r rune) bool {
	return r == 0x200e || r == 0x200f || r == 0x061c
}

// IsInvisible reports whether r draws nothing a reader could see:
// format characters (zero-width space, joiners, word joiner, BOM, …),
// combining marks with nothing to combine with, and the blank letters
// that fonts draw empty (Hangul fillers, the braille blank, …).
func IsInvisible(r rune) bool {
	switch r {
	case 0x115f, 0x1160, 0x3164, 0xffa0, 0x2800, 0x034f, 0x180e, 0x17b4, 0x17b5, 0xfffc:
		return true
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) ||
		unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r)
}

// NormalizeNewlines turns CRLF and lone CR into LF: browsers send
// textarea lines as CRLF, and Kindred keeps one kind of line break.
func NormalizeNewlines(s string) string {
	if strings.IndexByte(s, '\r') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}
