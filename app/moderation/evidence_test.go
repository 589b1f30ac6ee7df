package moderation

import (
	"testing"

	"github.com/kindred-health/kindred/app/safety"
)

func TestHighlight(t *testing.T) {
	cases := []struct {
		name   string
		text   string
		spans  []safety.Span
		around int
		want   string
	}{
		{"one span, all text", "I want to die tonight", []safety.Span{{Start: 2, End: 13}}, 100, "I <mark>want to die</mark> tonight"},
		{"overlapping spans merge", "everyone would be better off without me", []safety.Span{{Start: 9, End: 39}, {Start: 0, End: 20}}, 100,
			"<mark>everyone would be better off without me</mark>"},
		{"the author's markup is escaped", `<script>x</script> I'm cutting "again"`, []safety.Span{{Start: 23, End: 30}}, 100,
			"&lt;script&gt;x&lt;/script&gt; I&#39;m <mark>cutting</mark> &#34;again&#34;"},
		{"text left out is marked", "aaaa bbbb KEY cccc dddd", []safety.Span{{Start: 10, End: 13}}, 5, "… bbbb <mark>KEY</mark> cccc …"},
		{"spans outside the text are ignored", "short", []safety.Span{{Start: 3, End: 50}}, 10, ""},
		{"cuts at whole characters", "été à l'hôpital", []safety.Span{{Start: 1, End: 2}}, 0, "<mark>é</mark> …"},
	}
	for _, c := range cases {
		if got := string(Highlight(c.text, c.spans, c.around)); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
