package notify

import "testing"

// The plain-text part of an announcement e-mail: whole, readable, with
// every link's address.
func TestHTMLText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"emphasis loses its markers", `<p>Take <strong>two</strong> doses, <em>not</em> one.</p>`, "Take two doses, not one."},
		{"paragraphs and lists", "<p>First.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<p>Last.</p>", "First.\n\n- one\n- two\n\nLast."},
		{"links keep their address", `<p>See <a href="https://example.org/recall" rel="nofollow">the recall notice</a>.</p>`, "See the recall notice (https://example.org/recall)."},
		{"a bare link is not doubled", `<p><a href="https://example.org/">https://example.org/</a></p>`, "https://example.org/"},
		{"entities decoded", `<p>Fish &amp; chips &lt;3</p>`, "Fish & chips <3"},
		{"line breaks", `<p>a<br>b</p>`, "a\nb"},
	}
	for _, c := range cases {
		if got := HTMLText(c.in); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
