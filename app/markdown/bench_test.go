package markdown

import (
	"errors"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
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

// staircase is a list that the line scan cannot see in full: after a
// look-alike fence (an indented one, which is code, not a fence) only the
// 24 markers of each line count, but each line, indented to the content of
// the one before, nests 24 levels deeper.
func staircase(steps int) string {
	var b strings.Builder
	b.WriteString("    ```\n")
	for k := 0; k < steps; k++ {
		b.WriteString(strings.Repeat(" ", 48*k) + strings.Repeat("- ", MaxDepth) + "x\n")
	}
	return b.String()
}

// TestRenderMeasuresTheParsedDepth: what the line scan lets through is
// parsed (its cost bounded by the scan) and refused if the parsed tree
// nests deeper than MaxDepth, with the same field error.
func TestRenderMeasuresTheParsedDepth(t *testing.T) {
	r := New()
	if err := Check("body", staircase(28)); err != nil {
		t.Fatalf("the line scan now refuses the staircase (%v): this test no longer covers the parsed check", err)
	}
	if _, err := r.Render(staircase(1)); err != nil {
		t.Errorf("24 levels: %v", err)
	}
	for _, steps := range []int{2, 28} {
		_, err := r.Render(staircase(steps))
		var v *models.ValidationError
		if !errors.As(err, &v) || v.Code != "too_deep" || v.Fields["body"] == "" {
			t.Errorf("a staircase %d levels deep: %v, want too_deep on body", steps*MaxDepth, err)
		}
	}
	// Deep code in a real fence nests nothing.
	if _, err := r.Render("```yaml\n" + strings.Repeat("  ", 60) + "- item\n```\n"); err != nil {
		t.Errorf("deep code in a fence: %v", err)
	}
}
