package markdown

import (
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// imageSrc is the only address an <img> in a post may have: a Kindred
// image, /images/ and its 32 hex-digit key (app/storage.NewKey).
var imageSrc = regexp.MustCompile(`^/images/([0-9a-f]{32})$`)

// ImageKey returns the key of a Kindred image address, or "".
func ImageKey(dest string) string {
	if m := imageSrc.FindStringSubmatch(dest); m != nil {
		return m[1]
	}
	return ""
}

// ImageSize is what a page needs to reserve room for an image.
type ImageSize struct{ Width, Height int }

// ImageRef is a Kindred image written in Markdown: its key and alt text.
type ImageRef struct {
	Key string
	Alt string
}

var imagesKey = parser.NewContextKey()

// refsParser reads Markdown as Render does, without rewriting images.
var refsParser = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// ImageRefs lists the Kindred images src shows (![alt](/images/key)), in
// the order written, each key once (with the first alt text found empty,
// if any is, so that a missing description is never hidden by another).
// Call it on text that passed Check.
func ImageRefs(src string) []ImageRef {
	if !strings.Contains(src, "/images/") {
		return nil
	}
	b := []byte(src)
	doc := refsParser.Parse(text.NewReader(b))
	var out []ImageRef
	at := map[string]int{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		key := ImageKey(string(img.Destination))
		if key == "" {
			return ast.WalkSkipChildren, nil
		}
		alt := strings.TrimSpace(altText(img, b))
		if i, seen := at[key]; seen {
			if alt == "" {
				out[i].Alt = ""
			}
			return ast.WalkSkipChildren, nil
		}
		at[key] = len(out)
		out = append(out, ImageRef{Key: key, Alt: alt})
		return ast.WalkSkipChildren, nil
	})
	return out
}

// altText is the plain text of an image's description.
func altText(n ast.Node, src []byte) string {
	var sb strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			sb.Write(t.Segment.Value(src))
			if t.SoftLineBreak() || t.HardLineBreak() {
				sb.WriteByte(' ')
			}
		case *ast.String:
			sb.Write(t.Value)
		case *ast.CodeSpan:
			for cc := t.FirstChild(); cc != nil; cc = cc.NextSibling() {
				if tt, ok := cc.(*ast.Text); ok {
					sb.Write(tt.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return sb.String()
}

// EscapeAlt makes text safe as the description of ![text](…).
func EscapeAlt(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "\n", " ", "\r", " ")
	return r.Replace(s)
}

// ugcPolicy is bluemonday's UGCPolicy without its images: UGCPolicy lets
// an <img> load any http(s) address, and bluemonday can add rules but not
// take one away. Kept in step with bluemonday v1.0.27's UGCPolicy.
func ugcPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardAttributes()
	p.AllowStandardURLs()
	p.AllowElements("article", "aside")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`(?i)^(|open)$`)).OnElements("details")
	p.AllowElements("figure", "section", "summary", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup")
	p.AllowAttrs("cite").OnElements("blockquote")
	p.AllowElements("br", "div", "hr", "p", "span", "wbr")
	p.AllowAttrs("href").OnElements("a")
	p.AllowElements("abbr", "acronym", "cite", "code", "dfn", "em",
		"figcaption", "mark", "s", "samp", "strong", "sub", "sup", "var")
	p.AllowAttrs("cite").OnElements("q")
	p.AllowAttrs("datetime").Matching(bluemonday.ISO8601).OnElements("time")
	p.AllowElements("b", "i", "pre", "small", "strike", "tt", "u")
	p.AllowAttrs("dir").Matching(bluemonday.Direction).OnElements("bdi", "bdo")
	p.AllowElements("rp", "rt", "ruby")
	p.AllowAttrs("cite").Matching(bluemonday.Paragraph).OnElements("del", "ins")
	p.AllowAttrs("datetime").Matching(bluemonday.ISO8601).OnElements("del", "ins")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("value", "min", "max", "low", "high", "optimum").Matching(bluemonday.Number).OnElements("meter")
	p.AllowAttrs("value", "max").Matching(bluemonday.Number).OnElements("progress")
	return p
}
