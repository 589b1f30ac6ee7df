package server_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/outreach"
	"github.com/kindred-health/kindred/models"
)

// BenchmarkThreadPageWithAnnouncements is BenchmarkThreadPage with a
// site banner, a site card and a card of the thread's own forum running:
// the cost of announcements on the busiest page (compare the two).
func BenchmarkThreadPageWithAnnouncements(b *testing.B) {
	h, id := benchHarness(b)
	h.account("bench_boss", models.RoleAdmin)
	admin := h.actor(h.user("bench_boss"))
	now := h.clock.Now()
	for _, f := range []outreach.AnnouncementForm{
		{Title: "Bench banner", Body: "Pharmacies close on **Friday**.", Scope: "site", Audience: "everyone", Priority: "banner"},
		{Title: "Bench card", Body: "Flu shots are free this week.", Scope: "site", Audience: "everyone", Priority: "card"},
		{Title: "Bench forum card", Body: "Our forum's meeting is on Tuesday.", Scope: "forum", Forum: "bench-forum", Audience: "everyone", Priority: "card"},
	} {
		f.StartsAt, f.EndsAt = now.Add(-time.Hour).Format(time.RFC3339), now.Add(24*time.Hour).Format(time.RFC3339)
		if _, err := h.app.Outreach.Create(context.Background(), admin, f, time.UTC, ""); err != nil {
			b.Fatal(err)
		}
	}
	benchGet(b, h, "/t/"+strconv.FormatInt(id, 10))
}
