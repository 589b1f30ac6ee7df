package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kindred-health/kindred/models"
)

// The session cache spares a signed-in page its session statement
// (resolve.go): on a busy instance that statement was a third of a page's
// PostgreSQL time. It keeps what ResolveSessionActor answered for a page
// (a GET), per session, and answers the same session's next pages from
// memory while nothing it holds can have changed. How it knows:
//
//   - Triggers (migration 00054, and the bell's signal of 00029/00052)
//     signal on channel kindred_live the members whose session, account,
//     moderated forums, credentials, mutes, second factors, consents or
//     unread notifications changed, or everyone (a policy update, a post
//     or thread hidden or shown again). Every instance's live hub hears
//     them and drops those members' entries (MembersChanged).
//   - While the hub is not listening nothing is answered from memory, and
//     whenever it starts listening the cache starts empty: a change may
//     have gone unheard.
//   - An instance's own writes (every request but GET, HEAD and OPTIONS,
//     and every job) are followed by a sync signal it sends itself
//     (Wrote). PostgreSQL delivers signals in the order their
//     transactions committed, so until the instance hears its own sync,
//     the signals of its writes may still be on their way, and its pages
//     go to the database. A member who signs out everywhere, or a
//     moderator who suspends someone, sees the result on the very next
//     page; other instances follow within the signal's delivery time
//     (milliseconds).
//   - A lookup that was under way when anything changed is not kept.
//   - Only page reads use it. A form post, an API call with a token and
//     anything that would end a session (expired, idle, suspended) go to
//     the database, which also deletes what is dead; so does a session
//     due for its last-seen update (once a minute), which bounds an
//     entry's life beside TTL and a credential's end of verification.
type sessionCache struct {
	max      int
	ttl      time.Duration
	sync     func(ctx context.Context, payload string) error
	log      *slog.Logger
	instance string // tells this instance's sync signals from others'

	mu        sync.Mutex
	listening bool
	gen       uint64 // moves on every change heard
	entries   map[string]*cachedSession
	byUser    map[int64]map[string]struct{}

	writes atomic.Uint64 // this instance's writes finished
	heard  atomic.Uint64 // the newest of them whose sync came back
	kick   chan struct{}

	hits, misses atomic.Int64
}

// cachedSession is one session's answer; handlers get copies.
type cachedSession struct {
	key     string
	user    models.User
	session models.Session
	actor   models.Actor // User is set per answer
	figures map[string]int64
	expires time.Time
}

// SessionCacheOptions size the session cache.
type SessionCacheOptions struct {
	// MaxEntries bounds the sessions kept (an arbitrary one goes when full).
	MaxEntries int
	// TTL is the longest an answer is kept without a change.
	TTL time.Duration
	// Sync sends payload as a signal on the live channel (server wiring:
	// pg_notify on kindred_live with live.SyncPayload).
	Sync func(ctx context.Context, payload string) error
}

// SessionCacheStats are counters for operators and tests.
type SessionCacheStats struct {
	Hits, Misses int64
	Entries      int
	Writes       uint64 // this instance's writes noted (Wrote)
	Trusted      bool   // listening, and every own write heard back
}

// UseSessionCache turns the session cache on. Called once while wiring,
// before serving; the cache answers nothing until the live hub listens
// (live.Changes.ObserveMembers with the service) and RunSessionCache runs.
func (s *Service) UseSessionCache(o SessionCacheOptions) {
	if o.MaxEntries <= 0 {
		// About 1.5 KB each (measured with realistic rows): 7 MB at most.
		o.MaxEntries = 5000
	}
	if o.TTL <= 0 {
		o.TTL = 30 * time.Second
	}
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	s.cache = &sessionCache{max: o.MaxEntries, ttl: o.TTL, sync: o.Sync, log: s.log, instance: hex.EncodeToString(b),
		entries: map[string]*cachedSession{}, byUser: map[int64]map[string]struct{}{}, kick: make(chan struct{}, 1)}
}

// SessionCacheStats returns the counters so far (zero without a cache).
func (s *Service) SessionCacheStats() SessionCacheStats {
	c := s.cache
	if c == nil {
		return SessionCacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return SessionCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Entries: len(c.entries), Writes: c.writes.Load(), Trusted: c.trustedLocked()}
}

// Wrote tells the cache that this instance finished a write: until the
// sync signal sent after it comes back, pages resolve their sessions in
// the database. Cheap; signals are coalesced.
func (s *Service) Wrote() {
	c := s.cache
	if c == nil {
		return
	}
	c.writes.Add(1)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// RunSessionCache sends the sync signals Wrote asks for until ctx ends.
func (s *Service) RunSessionCache(ctx context.Context) {
	c := s.cache
	if c == nil || c.sync == nil {
		return
	}
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
		w := c.writes.Load()
		if w <= c.heard.Load() {
			continue
		}
		if err := c.sync(ctx, c.instance+":"+strconv.FormatUint(w, 10)); err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing { // once per outage, not every retry
				c.log.WarnContext(ctx, "session cache: sync signal not sent; pages read sessions from the database until it is", "error", err.Error())
			}
			failing = true
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			select {
			case c.kick <- struct{}{}:
			default:
			}
			continue
		}
		failing = false
	}
}

// MembersChanged implements live.MemberObserver: ids nil is everyone.
func (s *Service) MembersChanged(ids []int64) {
	c := s.cache
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if ids == nil {
		c.clearLocked()
		return
	}
	for _, id := range ids {
		for key := range c.byUser[id] {
			delete(c.entries, key)
		}
		delete(c.byUser, id)
	}
}

// Synced implements live.MemberObserver: an instance's sync came back.
func (s *Service) Synced(payload string) {
	c := s.cache
	if c == nil {
		return
	}
	inst, seq, ok := strings.Cut(payload, ":")
	if !ok || inst != c.instance {
		return
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return
	}
	for {
		h := c.heard.Load()
		if n <= h || c.heard.CompareAndSwap(h, n) {
			return
		}
	}
}

// Listening implements live.MemberObserver.
func (s *Service) Listening(up bool) {
	c := s.cache
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.listening = up
	c.gen++
	c.clearLocked()
	if up {
		// A sync sent while nobody listened was lost: send it again.
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

func (c *sessionCache) clearLocked() {
	c.entries = map[string]*cachedSession{}
	c.byUser = map[int64]map[string]struct{}{}
}

func (c *sessionCache) trustedLocked() bool {
	return c.listening && c.heard.Load() >= c.writes.Load()
}

// get returns the live entry for key, if it may be used, and the
// generation a lookup begun now must be kept under (ok false: keep none).
func (c *sessionCache) get(key string, now time.Time) (e *cachedSession, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.trustedLocked() {
		return nil, 0, false
	}
	if e := c.entries[key]; e != nil {
		if now.Before(e.expires) {
			return e, c.gen, true
		}
		c.removeLocked(e)
	}
	return nil, c.gen, true
}

// put keeps e unless anything changed since gen was handed out.
func (c *sessionCache) put(e *cachedSession, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.trustedLocked() || c.gen != gen {
		return
	}
	if old := c.entries[e.key]; old != nil {
		c.removeLocked(old)
	}
	for _, victim := range c.entries {
		if len(c.entries) < c.max {
			break
		}
		c.removeLocked(victim) // map order: an arbitrary one
	}
	c.entries[e.key] = e
	set := c.byUser[e.user.ID]
	if set == nil {
		set = map[string]struct{}{}
		c.byUser[e.user.ID] = set
	}
	set[e.key] = struct{}{}
}

func (c *sessionCache) removeLocked(e *cachedSession) {
	delete(c.entries, e.key)
	if set := c.byUser[e.user.ID]; set != nil {
		delete(set, e.key)
		if len(set) == 0 {
			delete(c.byUser, e.user.ID)
		}
	}
}

// answer is e for one request, or false when the session must be read
// from the database: it may have ended (which only the database path
// decides, and deletes), or its last-seen time is due.
func (e *cachedSession) answer(s *Service, now time.Time) (*models.User, *models.Session, *models.Actor, map[string]int64, bool) {
	idle, absolute := s.timeouts(e.user.Role)
	sess := &e.session
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.CreatedAt.Add(absolute)) || !now.Before(sess.LastSeenAt.Add(idle)) ||
		now.Sub(sess.LastSeenAt) >= sessionTouchEvery || !e.user.CanSignIn(now) {
		return nil, nil, nil, nil, false
	}
	u := e.user
	session := e.session
	a := e.actor
	a.User, a.Now = &u, now
	return &u, &session, &a, e.figures, true
}
