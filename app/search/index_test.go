package search

import "testing"

func TestHighlighted(t *testing.T) {
	in := "<script>alert(1)</script> \x02heart\x03 & <b>soul</b>"
	want := "&lt;script&gt;alert(1)&lt;/script&gt; <mark>heart</mark> &amp; &lt;b&gt;soul&lt;/b&gt;"
	if got := highlighted(in); got != want {
		t.Fatalf("%q\nwant %q", got, want)
	}
	if Clean("a\x02b\x03c") != "abc" {
		t.Fatal("markers not removed")
	}
}
