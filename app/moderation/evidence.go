package moderation

import (
	"html"
	"html/template"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/safety"
)

// Highlight shows where findings are in a text: the text around each span
// (up to around bytes on either side), escaped, with the spans in <mark>
// and "…" where text is left out. Spans are byte offsets into text; those
// outside it are ignored and the others widened to whole characters. It
// works on the text as written, not on its rendered Markdown, so nothing
// the author wrote can become markup.
func Highlight(text string, spans []safety.Span, around int) template.HTML {
	var ss []safety.Span
	for _, s := range spans {
		if s.Start < 0 || s.End > len(text) || s.Start >= s.End {
			continue
		}
		for s.Start > 0 && !utf8.RuneStart(text[s.Start]) {
			s.Start--
		}
		for s.End < len(text) && !utf8.RuneStart(text[s.End]) {
			s.End++
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return ""
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].Start < ss[j].Start })
	merged := []safety.Span{ss[0]}
	for _, s := range ss[1:] {
		last := &merged[len(merged)-1]
		if s.Start <= last.End {
			if s.End > last.End {
				last.End = s.End
			}
			continue
		}
		merged = append(merged, s)
	}
	var b strings.Builder
	pos := 0 // text before pos is written (or left out)
	for i, s := range merged {
		from := s.Start - around
		if from < pos {
			from = pos
		}
		for from > pos && !utf8.RuneStart(text[from]) {
			from--
		}
		if from > pos || (i == 0 && from > 0) {
			b.WriteString("… ")
		}
		b.WriteString(html.EscapeString(text[from:s.Start]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[s.Start:s.End]))
		b.WriteString("</mark>")
		to := s.End + around
		if i+1 < len(merged) && to >= merged[i+1].Start {
			to = merged[i+1].Start
		}
		if to > len(text) {
			to = len(text)
		}
		for to < len(text) && !utf8.RuneStart(text[to]) {
			to++
		}
		b.WriteString(html.EscapeString(text[s.End:to]))
		pos = to
	}
	if pos < len(text) {
		b.WriteString(" …")
	}
	return template.HTML(b.String()) // every piece of text above is escaped
}
