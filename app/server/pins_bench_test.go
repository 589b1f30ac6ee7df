package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/kindred-health/kindred/app/forums"
)

// BenchmarkForumPageWithResources is BenchmarkForumPage with the forum's
// ten resources approved (the most it can list): the cost of the list.
func BenchmarkForumPageWithResources(b *testing.B) {
	h, _ := benchHarness(b)
	ctx := context.Background()
	h.licensing()
	h.clinician("bench_doc", "cardiology")
	f := forumBySlug(b, h, "bench-forum")
	admin, doc := h.actor(h.user(h.ensureAdmin())), h.actor(h.user("bench_doc"))
	for i := 0; i < forums.MaxResources; i++ {
		r, err := h.app.Forums.ProposeResource(ctx, admin, f, forums.ResourceForm{Title: fmt.Sprintf("Leaflet %d", i), URL: fmt.Sprintf("https://leaflets.example.org/%d", i), Note: "A short note."})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := h.app.Forums.ReviewResource(ctx, doc, r.ID, forums.ReviewForm{Decision: forums.ReviewApprove, Version: r.Version()}); err != nil {
			b.Fatal(err)
		}
	}
	benchGet(b, h, "/f/bench-forum")
}

// BenchmarkHomePageWithPins renders the home page for a visitor with three
// threads pinned on it.
func BenchmarkHomePageWithPins(b *testing.B) {
	h, id := benchHarness(b)
	admin := h.actor(h.user(h.ensureAdmin()))
	for i := int64(0); i < forums.MaxGlobalPins; i++ {
		if err := h.app.Forums.SetPin(context.Background(), admin, id+i, true, true); err != nil {
			b.Fatal(err)
		}
	}
	benchGet(b, h, "/")
}

// BenchmarkHomePage is the same page with nothing pinned.
func BenchmarkHomePage(b *testing.B) {
	h, _ := benchHarness(b)
	benchGet(b, h, "/")
}
