package markdown

import (
	"regexp"
	"strings"
	"testing"
)

// Payloads that try to get script into a page through a post.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//evil.example/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)>`,
	`<a href="javascript:alert(1)">click</a>`,
	`[click](javascript:alert(1))`,
	`[click](JaVaScRiPt:alert(1))`,
	`[click](  javascript:alert(1))`,
	`[click](java&#x09;script:alert(1))`,
	`[click](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))`,
	`[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
	`![x](javascript:alert(1))`,
	`<javascript:alert(1)>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<a href="https://ok.example" onclick="alert(1)">x</a>`,
	`<<script>script>alert(1)<</script>/script>`,
	`<img src="x" onerror="alert(1)"`,
	`<scr<script>ipt>alert(1)</script>`,
	`&lt;script&gt;alert(1)&lt;/script&gt;`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`[a](https://ok.example "title\" onmouseover=\"alert(1)")`,
	`<form action="javascript:alert(1)"><button>x</button></form>`,
	`<object data="javascript:alert(1)"></object>`,
	`<base href="javascript:alert(1)//">`,
	"```html\n<script>alert(1)</script>\n```",
	`<details open ontoggle=alert(1)>`,
	`[x](vbscript:msgbox(1))`,
	`<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)">x</a>`,
}

var (
	scriptTag  = regexp.MustCompile(`(?i)<\s*script`)
	eventAttr  = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	badURL     = regexp.MustCompile(`(?i)(href|src|action|data)\s*=\s*["']?\s*(javascript|data|vbscript):`)
	dangerTags = regexp.MustCompile(`(?i)<\s*(iframe|object|embed|form|base|style|svg|math)\b`)
)

func TestXSSCorpusIsNeutralised(t *testing.T) {
	r := New()
	for _, src := range xssCorpus {
		out, err := r.Render(src)
		if err != nil {
			t.Fatal(err)
		}
		for name, re := range map[string]*regexp.Regexp{"script tag": scriptTag, "event handler": eventAttr, "dangerous URL": badURL, "dangerous element": dangerTags} {
			if re.MatchString(out) {
				t.Errorf("%s survived in %q:\n%s", name, src, out)
			}
		}
	}
}

func TestOrdinaryMarkdownStillRenders(t *testing.T) {
	r := New()
	src := "Some **bold** and _soft_ words.\n\n- first\n- second\n\n1. one\n2. two\n\n[NHS advice](https://www.nhs.uk/conditions/) and https://example.org/auto\n\n`inline code`\n\n```\nblock code\n```\n\n> a quote\n\n~~gone~~\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n- [ ] todo\n"
	out, err := r.Render(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<strong>bold</strong>", "<em>soft</em>", "<ul>", "<li>first</li>", "<ol>",
		`<a href="https://www.nhs.uk/conditions/" rel="nofollow ugc noopener">NHS advice</a>`,
		`<a href="https://example.org/auto" rel="nofollow ugc noopener">https://example.org/auto</a>`,
		"<code>inline code</code>", "<pre><code>block code", "<blockquote>", "<del>gone</del>", "<table>",
		`<input checked="" disabled="" type="checkbox"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// An image in a post becomes a link to it named by its alt text: pages
// only show Kindred's own images, so an outside one would show broken.
func TestImagesBecomeLinks(t *testing.T) {
	r := New()
	for src, want := range map[string]string{
		"Look: ![my new pump](https://example.org/pump.jpg)":           `<a href="https://example.org/pump.jpg" rel="nofollow ugc noopener">my new pump</a>`,
		"![](https://example.org/x.png)":                               `<a href="https://example.org/x.png" rel="nofollow ugc noopener">an image</a>`,
		"![chart *of* sugars](https://example.org/c.png \"My chart\")": `title="My chart"`,
		"![x](javascript:alert(1))":                                    `x`,
	} {
		got, err := r.Render(src)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(got, "<img") || !strings.Contains(got, want) {
			t.Errorf("%q → %s, want %s and no <img>", src, got, want)
		}
		if strings.Contains(got, "javascript:") {
			t.Errorf("%q → %s keeps a javascript: address", src, got)
		}
	}
}
