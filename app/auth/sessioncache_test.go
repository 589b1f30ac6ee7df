package auth

import (
	"testing"
	"time"

	"github.com/kindred-health/kindred/models"
)

func cacheForTest(max int) (*Service, *time.Time) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := &Service{now: func() time.Time { return now }, opts: Options{SessionIdle: time.Hour, SessionAbsolute: 24 * time.Hour, StaffSessionIdle: time.Hour, StaffSessionAbsolute: 24 * time.Hour}}
	s.UseSessionCache(SessionCacheOptions{MaxEntries: max})
	s.Listening(true)
	return s, &now
}

func entryFor(s *Service, key string, userID int64, now time.Time) *cachedSession {
	return &cachedSession{key: key, user: models.User{ID: userID, Handle: "member" + key, Role: models.RoleMember, Status: models.StatusActive},
		session: models.Session{UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
		actor:   models.Actor{ModeratedForums: map[int64]bool{}, Muted: map[int64]bool{}}, expires: now.Add(s.cache.ttl)}
}

// The cache's rules without PostgreSQL: what is kept, what a change, a
// lost connection or an unheard own write does, and that answers are
// copies.
func TestSessionCacheRules(t *testing.T) {
	s, now := cacheForTest(3)
	c := s.cache
	_, gen, ok := c.get("k1", *now)
	if !ok {
		t.Fatal("a listening cache with no own writes is not trusted")
	}
	c.put(entryFor(s, "k1", 1, *now), gen)
	e, _, _ := c.get("k1", *now)
	if e == nil {
		t.Fatal("not kept")
	}
	u, _, a, _, ok := e.answer(s, *now)
	if !ok || a.User != u || u.ID != 1 {
		t.Fatalf("answer: ok %v, actor's user %p vs %p", ok, a.User, u)
	}
	u.Handle = "changed by a handler"
	if e2, _, _ := c.get("k1", *now); e2.user.Handle != "memberk1" {
		t.Fatal("a handler's change reached the cache")
	}

	// A lookup that overlapped a change is not kept.
	_, gen, _ = c.get("k2", *now)
	s.MembersChanged([]int64{99})
	c.put(entryFor(s, "k2", 2, *now), gen)
	if e, _, _ := c.get("k2", *now); e != nil {
		t.Fatal("kept a lookup that overlapped a change")
	}
	// A member's change drops their entries only; everyone's drops all.
	_, gen, _ = c.get("k2", *now)
	c.put(entryFor(s, "k2", 2, *now), gen)
	s.MembersChanged([]int64{1})
	if e, _, _ := c.get("k1", *now); e != nil {
		t.Fatal("member 1's entry survived their change")
	}
	if e, _, _ := c.get("k2", *now); e == nil {
		t.Fatal("member 2's entry went with member 1's change")
	}
	s.MembersChanged(nil)
	if s.SessionCacheStats().Entries != 0 {
		t.Fatal("a change for everyone left entries")
	}

	// An own write: nothing is answered or kept until its sync comes back;
	// another instance's sync does not count.
	_, gen, _ = c.get("k3", *now)
	c.put(entryFor(s, "k3", 3, *now), gen)
	s.Wrote()
	if _, _, ok := c.get("k3", *now); ok {
		t.Fatal("trusted before its own write was heard back")
	}
	s.Synced("someoneelse:1")
	if _, _, ok := c.get("k3", *now); ok {
		t.Fatal("another instance's sync was taken for its own")
	}
	s.Synced(c.instance + ":1")
	if e, _, ok := c.get("k3", *now); !ok || e == nil {
		t.Fatal("not trusted again after its sync")
	}

	// The connection lost: nothing answered, and it starts empty.
	s.Listening(false)
	if _, _, ok := c.get("k3", *now); ok {
		t.Fatal("trusted while not listening")
	}
	s.Listening(true)
	if e, _, _ := c.get("k3", *now); e != nil {
		t.Fatal("an entry survived the lost connection")
	}
	// A write whose sync went out while nobody listened: listening again
	// asks for the sync once more.
	s.Wrote()
	<-c.kick // the syncer took it, and its signal was lost
	s.Listening(false)
	s.Listening(true)
	select {
	case <-c.kick:
	default:
		t.Fatal("listening again did not ask for the lost sync")
	}
	s.Synced(c.instance + ":2")

	// Bounded: the fourth session pushes one out.
	for i, k := range []string{"a", "b", "c", "d"} {
		_, gen, _ := c.get(k, *now)
		c.put(entryFor(s, k, int64(10+i), *now), gen)
	}
	if n := s.SessionCacheStats().Entries; n != 3 {
		t.Fatalf("%d entries kept, want at most 3", n)
	}

	// Time: an entry past its TTL is gone; a session whose last-seen
	// update is due, or that may have ended, goes to the database.
	c.ttl = 2 * sessionTouchEvery
	_, gen, _ = c.get("t", *now)
	c.put(entryFor(s, "t", 20, *now), gen)
	e, _, _ = c.get("t", now.Add(sessionTouchEvery))
	if e == nil {
		t.Fatal("gone before its TTL")
	}
	if _, _, _, _, ok := e.answer(s, now.Add(sessionTouchEvery)); ok {
		t.Fatal("answered from memory though its last-seen update is due")
	}
	susp := entryFor(s, "s", 21, *now)
	until := now.Add(time.Hour)
	susp.user.Status, susp.user.SuspendedUntil = models.StatusSuspended, &until
	if _, _, _, _, ok := susp.answer(s, *now); ok {
		t.Fatal("a suspended member's session answered from memory")
	}
	if e, _, _ := c.get("t", now.Add(c.ttl)); e != nil {
		t.Fatal("kept past its TTL")
	}
}
