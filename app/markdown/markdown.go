// Package markdown is the only way user text becomes HTML: goldmark (GFM,
// raw HTML off) renders it, and bluemonday's UGC policy sanitises the result.
package markdown

import (
	"bytes"
	"regexp"
	"strconv"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// linkRel marks every link in user content as user-generated, not endorsed,
// and unable to reach back into Kindred's window.
const linkRel = "nofollow ugc noopener"

// Renderer turns markdown into safe HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New builds the renderer.
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithExtensions(extension.GFM),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(relTransformer{}, 100))),
		// No WithUnsafe: raw HTML in the source is dropped, never passed on.
	)
	p := ugcPolicy()
	// Images: only Kindred's own, by their exact address (images.go).
	p.AllowAttrs("src").Matching(imageSrc).OnElements("img")
	p.AllowAttrs("alt").OnElements("img")
	p.AllowAttrs("width", "height").Matching(regexp.MustCompile(`^[1-9][0-9]{0,4}$`)).OnElements("img")
	p.AllowAttrs("loading").Matching(regexp.MustCompile(`^lazy$`)).OnElements("img")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	// GFM task lists render checkboxes; keep them, disabled.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	// Mentions of members link to their profile (mentions.go).
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^mention$`)).OnElements("a")
	return &Renderer{md: md, policy: p}
}

// Render returns sanitised HTML for src. Text over the limits of Check is
// refused (a *models.ValidationError on "body") before goldmark parses it;
// what passes that bound is parsed, and refused the same way if the
// parsed text nests lists and quotes deeper than MaxDepth after all (the
// line scan bounds the parse's cost; the tree gives the exact depth).
func (r *Renderer) Render(src string) (string, error) {
	return r.render(src, nil)
}

// RenderImages is Render that shows the Kindred images named in images
// (by key) as pictures of that size; every other image stays a link.
func (r *Renderer) RenderImages(src string, images map[string]ImageSize) (string, error) {
	return r.render(src, images)
}

func (r *Renderer) render(src string, images map[string]ImageSize) (string, error) {
	if err := Check("body", src); err != nil {
		return "", err
	}
	b := []byte(src)
	pc := parser.NewContext()
	pc.Set(imagesKey, images)
	doc := r.md.Parser().Parse(text.NewReader(b), parser.WithContext(pc))
	if treeDepth(doc) > MaxDepth {
		return "", tooDeep("body")
	}
	var buf bytes.Buffer
	if err := r.md.Renderer().Render(&buf, b, doc); err != nil {
		return "", err
	}
	return r.policy.Sanitize(buf.String()), nil
}

// treeDepth is how many list items and block quotes the most deeply
// nested block of doc is inside.
func treeDepth(doc ast.Node) int {
	deepest, depth := 0, 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n.Kind() {
		case ast.KindListItem, ast.KindBlockquote:
		default:
			if n.Type() == ast.TypeInline {
				return ast.WalkSkipChildren, nil
			}
			return ast.WalkContinue, nil
		}
		if entering {
			depth++
			deepest = max(deepest, depth)
		} else {
			depth--
		}
		return ast.WalkContinue, nil
	})
	return deepest
}

type relTransformer struct{}

// Transform turns every image into a link to it, named by its alt text,
// except Kindred's own images that the caller vouched for (by key, with
// their size): pages never fetch anything from elsewhere, and an address
// such as data: or a relative path is never shown as a picture. It sets
// rel on every link and autolink.
func (relTransformer) Transform(doc *ast.Document, _ text.Reader, pc parser.Context) {
	known, _ := pc.Get(imagesKey).(map[string]ImageSize)
	var images []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			images = append(images, img)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		if size, ok := known[ImageKey(string(img.Destination))]; ok && img.ChildCount() > 0 {
			img.SetAttributeString("loading", []byte("lazy"))
			img.SetAttributeString("width", []byte(strconv.Itoa(size.Width)))
			img.SetAttributeString("height", []byte(strconv.Itoa(size.Height)))
			continue
		}
		link := ast.NewLink()
		link.Destination, link.Title = img.Destination, img.Title
		for c := img.FirstChild(); c != nil; {
			next := c.NextSibling()
			link.AppendChild(link, c)
			c = next
		}
		if link.ChildCount() == 0 { // no alt text
			link.AppendChild(link, ast.NewString([]byte("an image")))
		}
		if parent := img.Parent(); parent != nil {
			parent.ReplaceChild(parent, img, link)
		}
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindLink, ast.KindAutoLink:
			n.SetAttributeString("rel", []byte(linkRel))
		}
		return ast.WalkContinue, nil
	})
}
