package server_test

import (
	"strconv"
	"testing"
)

// BenchmarkThreadPageCached is BenchmarkThreadPage served from the page
// cache (the 30-post thread of the seeded data set, for a visitor).
func BenchmarkThreadPageCached(b *testing.B) {
	h, id := benchHarness(b)
	listenForPages(b, h.app)
	benchGet(b, h, "/t/"+strconv.FormatInt(id, 10))
	if st := h.app.Pages.Stats(); st.Hits == 0 {
		b.Fatalf("no page came from the cache: %+v", st)
	}
}
