package markdown

import (
	"bytes"
	"regexp"
	"strings"

	"golang.org/x/net/html"
)

// MaxMentions is how many members one post can mention: the first ones
// are linked and told, the rest stay plain text.
const MaxMentions = 10

// mentionRe finds "@handle" that does not follow a letter, digit, dot or
// slash (an e-mail address or a URL is not a mention). Handles are those
// app/auth accepts: a letter or digit, then letters, digits, _ . -.
var mentionRe = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.@/])@([A-Za-z0-9][A-Za-z0-9_.-]{0,29})`)

// Resolver says which of the handles written (lower case) belong to
// members, giving each one's handle as spelt on their account.
type Resolver func(lower []string) (map[string]string, error)

// candidates are the handles a mention could mean: as written, and
// without the full stops or dashes that end a sentence ("thanks @maya.").
func candidates(written string) []string {
	out := []string{strings.ToLower(written)}
	if t := strings.TrimRight(written, ".-"); t != written && t != "" {
		out = append(out, strings.ToLower(t))
	}
	return out
}

// RenderMentions is Render that also links each "@handle" of a member to
// their profile (outside code and links) and returns the members
// mentioned, at most MaxMentions, in the order first written.
func (r *Renderer) RenderMentions(src string, resolve Resolver) (string, []string, error) {
	return r.RenderPost(src, nil, resolve)
}

// RenderPost is RenderMentions that also shows the Kindred images named
// in images as pictures (RenderImages).
func (r *Renderer) RenderPost(src string, images map[string]ImageSize, resolve Resolver) (string, []string, error) {
	out, err := r.render(src, images)
	if err != nil || !strings.Contains(src, "@") {
		return out, nil, err
	}
	// The sanitised HTML's text is walked; mentions are only looked for in
	// text that is not inside a link or code.
	texts := mentionTexts(out)
	want := map[string]bool{}
	var lower []string
	for _, t := range texts {
		for _, m := range mentionRe.FindAllStringSubmatch(t, -1) {
			for _, c := range candidates(m[1]) {
				if !want[c] {
					want[c] = true
					lower = append(lower, c)
				}
			}
		}
	}
	if len(lower) == 0 {
		return out, nil, nil
	}
	known, err := resolve(lower)
	if err != nil {
		return "", nil, err
	}
	if len(known) == 0 {
		return out, nil, nil
	}
	var mentioned []string
	seen := map[string]bool{}
	linked := rewriteText(out, func(t string) string {
		var sb strings.Builder
		last := 0
		for _, m := range mentionRe.FindAllStringSubmatchIndex(t, -1) {
			hs, he := m[2], m[3]
			written := t[hs:he]
			for _, c := range candidates(written) {
				h, ok := known[c]
				if !ok {
					continue
				}
				if key := strings.ToLower(h); !seen[key] {
					if len(mentioned) >= MaxMentions {
						break
					}
					seen[key] = true
					mentioned = append(mentioned, h)
				}
				sb.WriteString(html.EscapeString(t[last : hs-1]))
				sb.WriteString(`<a href="/members/` + html.EscapeString(h) + `" class="mention">@` + html.EscapeString(written[:len(c)]) + `</a>`)
				last = hs + len(c)
				break
			}
		}
		sb.WriteString(html.EscapeString(t[last:]))
		return sb.String()
	})
	return r.policy.Sanitize(linked), mentioned, nil
}

// mentionTexts returns the text of html outside <a>, <code> and <pre>.
func mentionTexts(doc string) []string {
	var out []string
	rewriteText(doc, func(t string) string {
		out = append(out, t)
		return ""
	})
	return out
}

func skipTag(z *html.Tokenizer) bool {
	name, _ := z.TagName()
	switch string(name) {
	case "a", "code", "pre":
		return true
	}
	return false
}

// rewriteText rebuilds html with fn applied to the text outside <a>,
// <code> and <pre>; fn gets unescaped text and returns HTML.
func rewriteText(doc string, fn func(string) string) string {
	var b bytes.Buffer
	z := html.NewTokenizer(strings.NewReader(doc))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			if skipTag(z) {
				skip++
			}
		case html.EndTagToken:
			if skipTag(z) && skip > 0 {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				b.WriteString(fn(string(z.Text())))
				continue
			}
		}
		b.Write(z.Raw())
	}
}
