package server_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/kindred-health/kindred/models"
)

// statements counts the SQL statements one GET costs.
func statements(t *testing.T, h *harness, b *browser, path string) int64 {
	n, _ := statementsAndTrips(t, h, b, path)
	return n
}

// statementsAndTrips counts a page's statements and the round trips they
// took (a batch is one).
func statementsAndTrips(t *testing.T, h *harness, b *browser, path string) (int64, int64) {
	t.Helper()
	before, trips := h.app.DB.Statements(), h.app.DB.RoundTrips()
	if r := b.get(path); r.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d", path, r.StatusCode)
	}
	return h.app.DB.Statements() - before, h.app.DB.RoundTrips() - trips
}

func TestPagesCostAFixedNumberOfQueries(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	small, big := h.forum("small-forum", nil), h.forum("big-forum", nil)
	for i := 0; i < 12; i++ {
		h.account(fmt.Sprintf("voice%02d", i), models.RoleMember)
	}
	smallThread := h.thread("voice00", small, "A short thread", "Hello", false)
	for i := 0; i < 2; i++ {
		h.reply(fmt.Sprintf("voice%02d", i+1), smallThread.ID, "Short reply", false)
	}
	for i := 0; i < 3; i++ {
		h.thread("voice01", small, fmt.Sprintf("Small forum thread %d", i), "x", false)
	}
	bigThread := h.thread("voice00", big, "A long thread", "Hello", false)
	for i := 0; i < 40; i++ {
		h.reply(fmt.Sprintf("voice%02d", i%12), bigThread.ID, fmt.Sprintf("Reply %d", i), false)
	}
	for i := 0; i < 35; i++ {
		h.thread(fmt.Sprintf("voice%02d", i%12), big, fmt.Sprintf("Big forum thread %d", i), "x", false)
	}
	member := h.member("counter")
	member.get("/") // settle the session's first touch
	for _, who := range []struct {
		name string
		b    *browser
	}{{"visitor", h.browser()}, {"member", member}} {
		threadSmall := statements(t, h, who.b, fmt.Sprintf("/t/%d", smallThread.ID))
		threadBig := statements(t, h, who.b, fmt.Sprintf("/t/%d", bigThread.ID))
		forumSmall := statements(t, h, who.b, "/f/small-forum")
		forumBig := statements(t, h, who.b, "/f/big-forum")
		t.Logf("%s: thread page %d/%d statements, forum page %d/%d", who.name, threadSmall, threadBig, forumSmall, forumBig)
		if threadSmall != threadBig {
			t.Errorf("%s: thread page costs %d statements with 3 posts but %d with 30", who.name, threadSmall, threadBig)
		}
		if forumSmall != forumBig {
			t.Errorf("%s: forum page costs %d statements with 4 threads but %d with 30", who.name, forumSmall, forumBig)
		}
		if threadBig > 10 || forumBig > 8 {
			t.Errorf("%s: too many statements: thread %d, forum %d", who.name, threadBig, forumBig)
		}
		// The signed-in thread page waits for PostgreSQL three times: the
		// session with its user, actor, consent and unread count; the page
		// (thread, posts with the member's reactions, draft) in one batch;
		// the read mark. A visitor's once.
		_, trips := statementsAndTrips(t, h, who.b, fmt.Sprintf("/t/%d", bigThread.ID))
		want := int64(1)
		if who.name == "member" {
			want = 3
		}
		t.Logf("%s: thread page %d round trips", who.name, trips)
		if trips > want {
			t.Errorf("%s: the thread page took %d round trips to PostgreSQL, want at most %d", who.name, trips, want)
		}
	}
}
