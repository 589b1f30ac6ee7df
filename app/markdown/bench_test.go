package markdown

import (
	"strings"
	"testing"
)

// pathological are bodies that fit a post's 20,000 characters and nest
// as deeply as they can.
var pathological = map[string]string{
	"list 9999 deep":      strings.Repeat("- ", 9999) + "x",
	"quote 19999 deep":    strings.Repeat(">", 19999) + "x",
	"indented list 140":   indentedList(140),
	"ordered 6000 deep":   strings.Repeat("1. ", 6000) + "x",
	"list in quote 5000":  strings.Repeat("> - ", 4999) + "x",
	"list 9999 lines":     strings.Repeat("- ", 9999) + "x\n" + strings.Repeat("- ", 1) + "y",
	"star list 9999":      strings.Repeat("* ", 9999) + "*x*",
	"ordinary 19 KB post": strings.Repeat("Some words about sleep, **bold** and a [link](https://example.org).\n\n- one\n- two\n  - nested\n\n", 190),
}

func indentedList(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", 2*i) + "- item\n")
	}
	return b.String()
}

func BenchmarkRender(b *testing.B) {
	r := New()
	for name, src := range pathological {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				_, _ = r.Render(src)
			}
		})
	}
}

func TestDepthLimit(t *testing.T) {
	cases := []struct {
		name  string
		src   string
		taken bool
	}{
		{"ordinary post", pathological["ordinary 19 KB post"], true},
		{"24 deep on one line", strings.Repeat("- ", MaxDepth) + "x", true},
		{"25 deep on one line", strings.Repeat("- ", MaxDepth+1) + "x", false},
		{"quotes at the limit", strings.Repeat(">", MaxDepth) + " x", true},
		{"quotes past it", strings.Repeat(">", MaxDepth+1) + " x", false},
		{"indented list at the limit", indentedList(MaxDepth / 2), true},
		{"indented list past it", indentedList(MaxDepth + 2), false},
		{"deep code in a fence", "```\n" + strings.Repeat(" ", 200) + "- yaml: item\n```\n", true},
		{"deep list after an indented fence", "    ```\n" + strings.Repeat("- ", 9990) + "x\n", false},
		{"deep list after a fence in a quote", "> ```\n" + strings.Repeat("- ", 9990) + "x\n", false},
		{"deep list after a fence with a backtick in its info", "``` a`b\n" + strings.Repeat("- ", 9990) + "x\n", false},
		{"deep list after a fence inside an HTML block", "<div>\n```\n\n" + strings.Repeat("- ", 9990) + "x\n", false},
		{"deep list after a fence in a list item", "- a\n  ```\n" + strings.Repeat("- ", 9990) + "x\n", false},
		{"a thematic break", "- - -\n\ntext", true},
		{"a long spaced divider", "Part one\n\n" + strings.Repeat("- ", 40) + "\n\nPart two", true},
		{"a long starred divider in a quote", "> " + strings.Repeat("* ", 60) + "\n", true},
		{"a divider in a list item", "* " + strings.Repeat("_ ", 30) + "\n", true},
		{"mixed markers are lists, not a divider", strings.Repeat("- * ", MaxDepth) + "x", false},
		{"numbers that are not markers", strings.Repeat("1.5 ", 100), true},
		{"too long", strings.Repeat("a", MaxSourceBytes+1), false},
	}
	for _, c := range cases {
		err := Check("body", c.src)
		if (err == nil) != c.taken {
			t.Errorf("%s: Check = %v, want taken %v", c.name, err, c.taken)
		}
	}
	r := New()
	for name, src := range pathological {
		if strings.HasPrefix(name, "ordinary") || strings.Contains(name, "(taken)") {
			continue
		}
		if _, err := r.Render(src); err == nil {
			t.Errorf("%s: rendered, want refused", name)
		}
	}
}
