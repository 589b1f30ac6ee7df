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

// A Kindred image the caller vouched for is a picture with its size and
// alt text; any other image, even a Kindred address not vouched for, a
// data: address or a relative path, stays a link and is never fetched.
func TestKindredImagesShowOthersStayLinks(t *testing.T) {
	r := New()
	key := strings.Repeat("ab", 16)
	other := strings.Repeat("cd", 16)
	known := map[string]ImageSize{key: {Width: 640, Height: 480}}
	got, err := r.RenderImages("Here: ![my pump, on the belt](/images/"+key+")\n\n![x](/images/"+other+") ![y](https://example.org/p.png) ![z](data:image/png;base64,iVBORw0KGgo=) ![w](images/"+key+") ![v](/images/"+key+"?x=1)", known)
	if err != nil {
		t.Fatal(err)
	}
	want := `<img src="/images/` + key + `" alt="my pump, on the belt" loading="lazy" width="640" height="480">`
	if !strings.Contains(got, want) {
		t.Errorf("missing %s in\n%s", want, got)
	}
	if n := strings.Count(got, "<img"); n != 1 {
		t.Errorf("%d <img> in\n%s", n, got)
	}
	for _, link := range []string{`<a href="/images/` + other + `"`, `<a href="https://example.org/p.png"`, `<a href="images/` + key + `"`} {
		if !strings.Contains(got, link) {
			t.Errorf("missing link %s in\n%s", link, got)
		}
	}
	// Without the caller's word, the same Markdown shows no picture.
	plain, _ := r.Render("![my pump](/images/" + key + ")")
	if strings.Contains(plain, "<img") {
		t.Errorf("unvouched image shown: %s", plain)
	}
	// Raw HTML cannot smuggle an <img> in, whatever its address.
	raw, _ := r.RenderImages(`<img src="/images/`+key+`" alt="x">`, known)
	if strings.Contains(raw, "<img") {
		t.Errorf("raw <img> survived: %s", raw)
	}
	// No description: a link, never a picture without alt text.
	empty, _ := r.RenderImages("![](/images/"+key+")", known)
	if strings.Contains(empty, "<img") {
		t.Errorf("image without alt text shown: %s", empty)
	}
}

func TestImageRefs(t *testing.T) {
	k1, k2 := strings.Repeat("1", 32), strings.Repeat("2", 32)
	src := "![first *one*](/images/" + k1 + ") and `![code](/images/" + k2 + ")`\n\n![](/images/" + k2 + ") ![again](/images/" + k1 + ") ![out](https://x.example/a.png)\n\n    ![indented code](/images/" + k1 + ")"
	got := ImageRefs(src)
	if len(got) != 2 || got[0] != (ImageRef{Key: k1, Alt: "first one"}) || got[1] != (ImageRef{Key: k2, Alt: ""}) {
		t.Errorf("ImageRefs = %+v", got)
	}
	if alt := EscapeAlt(`a [b] \c`); alt != `a \[b\] \\c` {
		t.Errorf("EscapeAlt = %q", alt)
	}
}
