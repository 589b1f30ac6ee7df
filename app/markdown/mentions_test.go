package markdown

import (
	"strings"
	"testing"
)

func TestRenderMentions(t *testing.T) {
	r := New()
	members := map[string]string{"maya": "Maya", "dr.okafor": "dr.okafor", "ben_k": "ben_k"}
	asked := 0
	resolve := func(lower []string) (map[string]string, error) {
		asked++
		out := map[string]string{}
		for _, l := range lower {
			if h, ok := members[l]; ok {
				out[l] = h
			}
		}
		return out, nil
	}
	html, got, err := r.RenderMentions("Thanks @maya. Ask @Dr.Okafor, or @ben_k and @nobody. Mail maya@example.org, see `@maya` and [@maya](https://example.org).\n\n```\n@ben_k\n```\n", resolve)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "Maya,dr.okafor,ben_k" {
		t.Fatalf("mentioned %v", got)
	}
	for _, want := range []string{
		`Thanks <a href="/members/Maya" class="mention" rel="nofollow">@maya</a>.`,
		`<a href="/members/dr.okafor" class="mention" rel="nofollow">@Dr.Okafor</a>,`,
		`@nobody.`, `maya@example.org`, `<code>@maya</code>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("missing %q in\n%s", want, html)
		}
	}
	if strings.Count(html, `class="mention"`) != 3 {
		t.Errorf("links in code, a link or an address were made mentions:\n%s", html)
	}
	// Without "@", nothing is asked of the database.
	asked = 0
	if _, m, _ := r.RenderMentions("No mentions here.", resolve); m != nil || asked != 0 {
		t.Fatalf("asked %d times, mentioned %v", asked, m)
	}
	// Text around mentions stays escaped.
	html, _, _ = r.RenderMentions(`1 < 2 & @maya > "you"`, resolve)
	if !strings.Contains(html, "1 &lt; 2 &amp; ") || strings.Contains(html, "<2") {
		t.Fatalf("escaping lost:\n%s", html)
	}
	// At most MaxMentions members.
	many := map[string]string{}
	var b strings.Builder
	for i := 0; i < MaxMentions+3; i++ {
		h := "member" + string(rune('a'+i))
		many[h] = h
		b.WriteString("@" + h + " ")
	}
	_, got, _ = r.RenderMentions(b.String(), func(l []string) (map[string]string, error) { return many, nil })
	if len(got) != MaxMentions {
		t.Fatalf("%d mentioned, want %d", len(got), MaxMentions)
	}
}
