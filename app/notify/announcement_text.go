package notify

import (
	"html/template"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// An e-mailed announcement arrives whole: an urgent health alert cut
// short could leave out what matters. The text part carries its text as
// plain words (HTMLText), the HTML part the sanitised HTML that
// app/markdown rendered when it was saved, and both the campaign's links.

// LineLink is a link listed under a line (an announcement's campaign links).
type LineLink struct {
	Title, URL string
}

// annLinks reads the "id<TAB>title" lines the mail query aggregates into
// links through the counting redirect.
func (m *Mail) annLinks(agg string) []LineLink {
	var out []LineLink
	for _, row := range strings.Split(agg, "\n") {
		id, title, ok := strings.Cut(row, "\t")
		if !ok || id == "" {
			continue
		}
		if _, err := strconv.ParseInt(id, 10, 64); err != nil {
			continue
		}
		out = append(out, LineLink{Title: title, URL: m.base + "/go/" + id})
	}
	return out
}

// annHTML is the stored, sanitised HTML of an announcement for the HTML
// part (app/markdown's sanitiser ran when it was saved).
func annHTML(s string) template.HTML { return template.HTML(s) }

// HTMLText turns rendered Markdown into readable plain text: paragraphs
// and list items on their own lines, emphasis without its markers, and
// every link's address kept after its words ("words (https://…)").
func HTMLText(src string) string {
	doc, err := html.Parse(strings.NewReader("<body>" + src + "</body>"))
	if err != nil {
		return ""
	}
	var b strings.Builder
	newline := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteString("\n")
		}
	}
	var walk func(n *html.Node, list string, depth int)
	walk = func(n *html.Node, list string, depth int) {
		switch n.Type {
		case html.TextNode:
			t := strings.Join(strings.Fields(n.Data), " ")
			if t == "" {
				if strings.TrimSpace(n.Data) == "" && n.Data != "" && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") && !strings.HasSuffix(b.String(), " ") {
					b.WriteString(" ")
				}
				return
			}
			if strings.HasPrefix(n.Data, " ") && b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") && !strings.HasSuffix(b.String(), " ") {
				b.WriteString(" ")
			}
			b.WriteString(t)
			if strings.HasSuffix(n.Data, " ") || strings.HasSuffix(n.Data, "\n") {
				b.WriteString(" ")
			}
			return
		case html.ElementNode:
			switch n.Data {
			case "br":
				b.WriteString("\n")
				return
			case "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "hr", "table", "tr":
				newline()
			case "li":
				newline()
				b.WriteString(strings.Repeat("  ", depth))
				b.WriteString("- ")
			case "img":
				for _, a := range n.Attr {
					if a.Key == "alt" && a.Val != "" {
						b.WriteString("[" + a.Val + "]")
					}
				}
				return
			}
		}
		nextList, nextDepth := list, depth
		if n.Type == html.ElementNode && (n.Data == "ul" || n.Data == "ol") {
			nextList = n.Data
			if list != "" {
				nextDepth++
			}
		}
		start := b.Len()
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, nextList, nextDepth)
		}
		if n.Type == html.ElementNode {
			switch n.Data {
			case "a":
				href := ""
				for _, a := range n.Attr {
					if a.Key == "href" {
						href = a.Val
					}
				}
				words := strings.TrimSpace(b.String()[start:])
				if href != "" && words != href && !strings.HasPrefix(href, "#") {
					b.WriteString(" (" + href + ")")
				}
			case "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "li", "ul", "ol", "tr":
				newline()
				if n.Data != "li" && n.Data != "tr" && !(n.Data != "ul" && n.Data != "ol" && list != "") {
					b.WriteString("\n")
				}
			case "td", "th":
				b.WriteString(" ")
			}
		}
	}
	walk(doc, "", 0)
	// Tidy: no trailing spaces, at most one blank line in a row.
	lines := strings.Split(b.String(), "\n")
	var out []string
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " ")
		if l == "" {
			if !blank && len(out) > 0 {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
