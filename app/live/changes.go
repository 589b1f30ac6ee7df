package live

import (
	"strconv"
	"strings"
	"sync/atomic"
)

// Changes tells caches on this instance whether what they keep may have
// changed in PostgreSQL, by what the hub's LISTEN connection hears: a
// generation that moves on every signal for them and whenever the
// connection is made or lost, and whether it is listening now (while it
// is not, nothing can be kept: a change would go unheard).
type Changes struct {
	words     atomic.Uint64
	listening atomic.Bool
	members   atomic.Pointer[MemberObserver]
}

// MemberObserver is told what the hub hears about members: whose
// session-time figures may have changed (the triggers of migration 00054
// and the bell's signal), the sync signals an instance sends itself, and
// whether the hub is listening (while it is not, changes go unheard).
// Calls come from the hub's one listening goroutine, in the order
// PostgreSQL delivers the signals: the order their transactions
// committed.
type MemberObserver interface {
	// MembersChanged: ids nil means every member.
	MembersChanged(ids []int64)
	// Synced hears a payload sent with SyncPayload.
	Synced(payload string)
	// Listening is called with true once listening starts (nothing heard
	// before can be trusted) and false when it stops.
	Listening(up bool)
}

// ObserveMembers registers o (one observer; the last call wins).
func (c *Changes) ObserveMembers(o MemberObserver) {
	if c != nil {
		c.members.Store(&o)
	}
}

// SyncPayload is the kindred_live payload that reaches MemberObserver.Synced
// with s: an instance sends it after its own writes and knows, once it
// hears it, that it has heard every signal they caused.
func SyncPayload(s string) string { return "y" + s }

// WordsVersion is the watched words' generation and whether it can be
// trusted (moderation.WordsVersion).
func (c *Changes) WordsVersion() (uint64, bool) {
	if c == nil {
		return 0, false
	}
	return c.words.Load(), c.listening.Load()
}

func (c *Changes) connected(up bool) {
	if c == nil {
		return
	}
	c.listening.Store(up)
	c.words.Add(1)
	if o := c.observer(); o != nil {
		o.Listening(up)
	}
}

func (c *Changes) wordsChanged() {
	if c != nil {
		c.words.Add(1)
	}
}

func (c *Changes) observer() MemberObserver {
	if c == nil {
		return nil
	}
	if p := c.members.Load(); p != nil {
		return *p
	}
	return nil
}

// membersChanged passes on a list of ids ("12,40,7") or "*" (everyone).
func (c *Changes) membersChanged(list string) {
	o := c.observer()
	if o == nil {
		return
	}
	if list == "*" {
		o.MembersChanged(nil)
		return
	}
	ids := memberIDs(list)
	if len(ids) > 0 {
		o.MembersChanged(ids)
	}
}

func (c *Changes) synced(payload string) {
	if o := c.observer(); o != nil {
		o.Synced(payload)
	}
}

// memberIDs parses comma-separated ids, skipping what is not one.
func memberIDs(list string) []int64 {
	ids := make([]int64, 0, strings.Count(list, ",")+1)
	for _, f := range strings.Split(list, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}
