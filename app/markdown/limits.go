package markdown

import (
	"strconv"
	"strings"

	"github.com/kindred-health/kindred/models"
)

// Limits on what the renderer takes. goldmark's time grows faster than
// the text with nesting: a 20,000-character list nested 9,999 deep took
// 0.3–0.7 s of CPU per render here (docs/performance.md). Nobody writes
// more than a few levels, so deep nesting is refused before parsing.
const (
	// MaxDepth is the deepest nesting of lists and block quotes taken.
	MaxDepth = 24
	// MaxSourceBytes bounds any text rendered (a post is at most 20,000
	// characters, forum guidelines 10,000).
	MaxSourceBytes = 100_000
)

// Check refuses, as a field error on field, text that is too long for
// the renderer or nests lists and quotes more than MaxDepth deep. It is
// one linear pass over the text, done before goldmark sees it.
func Check(field, src string) error {
	switch {
	case len(src) > MaxSourceBytes:
		v := models.NewValidationError()
		v.Code = "too_long"
		v.Add(field, "This text is too long to show: keep it under "+strconv.Itoa(MaxSourceBytes/1000)+" KB.")
		return v
	case Depth(src) > MaxDepth:
		return tooDeep(field)
	}
	return nil
}

func tooDeep(field string) error {
	v := models.NewValidationError()
	v.Code = "too_deep"
	v.Add(field, "Lists or quotes are nested more than "+strconv.Itoa(MaxDepth)+" levels deep here. Please flatten them.")
	return v
}

// Depth is an upper bound of how deeply a line of src nests lists and
// block quotes, found without parsing: on each line, the container
// markers (>, -, *, +, 1. or 1)) it opens, plus one level for every two
// columns of indentation before them (a nested list item is indented at
// least that much). On lines that look fenced as code, only the markers
// count: this scan cannot tell for sure where goldmark opens and closes a
// fence (an indented fence, one inside a quote or a list, one after an HTML
// block), so a look-alike fence must never hide a deep list. Indentation
// alone, as deep code has it, nests nothing: deep nesting across lines needs
// a line per level, and the size limit bounds those to a cheap depth.
func Depth(src string) int {
	deepest := 0
	fenced := false
	for len(src) > 0 {
		line := src
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			src = ""
		}
		trimmed := strings.TrimLeft(line, " \t>")
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fenced = !fenced
			continue
		}
		if d := lineDepth(line, !fenced); d > deepest {
			deepest = d
		}
	}
	return deepest
}

func lineDepth(line string, countIndent bool) int {
	markers, indent, i := 0, 0, 0
	leading := true
	// Only the line's tail can be a divider: found once, from the end, so
	// the scan stays linear however many markers the line has.
	breakFrom := dividerTail(line)
	for i < len(line) {
		cols := 0
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			if line[i] == '\t' {
				cols += 4
			} else {
				cols++
			}
			i++
		}
		if leading {
			indent, leading = cols, false
		}
		if i >= breakFrom && isThematicBreak(line[i:]) {
			// "- - - -" is a divider, not lists in lists (CommonMark
			// prefers the break), however many dashes it has.
			break
		}
		n := markerLen(line[i:])
		if n == 0 {
			break
		}
		markers++
		i += n
	}
	if markers == 0 {
		return 0
	}
	if !countIndent {
		return markers
	}
	return markers + indent/2
}

// isThematicBreak reports whether s is a divider: three or more of one of
// '-', '*' or '_', with nothing else but spaces and tabs.
func isThematicBreak(s string) bool {
	var c byte
	n := 0
	for i := 0; i < len(s); i++ {
		switch b := s[i]; b {
		case ' ', '\t', '\r':
		case '-', '*', '_':
			if c != 0 && b != c {
				return false
			}
			c = b
			n++
		default:
			return false
		}
	}
	return n >= 3
}

// dividerTail is where the longest tail of line made only of spaces, tabs
// and one of '-', '*' or '_' begins (len(line) when there is none).
func dividerTail(line string) int {
	var c byte
	j := len(line)
	for j > 0 {
		switch b := line[j-1]; b {
		case ' ', '\t', '\r':
		case '-', '*', '_':
			if c != 0 && b != c {
				return j
			}
			c = b
		default:
			return j
		}
		j--
	}
	return j
}

// markerLen is the length of the container marker s starts with, or 0.
func markerLen(s string) int {
	if s == "" {
		return 0
	}
	spaceAfter := func(i int) bool { return i >= len(s) || s[i] == ' ' || s[i] == '\t' || s[i] == '\r' }
	switch c := s[0]; {
	case c == '>':
		return 1
	case c == '-' || c == '*' || c == '+':
		if spaceAfter(1) {
			return 1
		}
	case c >= '0' && c <= '9':
		i := 1
		for i < len(s) && i < 10 && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i < len(s) && (s[i] == '.' || s[i] == ')') && spaceAfter(i+1) {
			return i + 1
		}
	}
	return 0
}
