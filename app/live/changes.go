package live

import "sync/atomic"

// Changes tells caches on this instance whether what they keep may have
// changed in PostgreSQL, by what the hub's LISTEN connection hears: a
// generation that moves on every signal for them and whenever the
// connection is made or lost, and whether it is listening now (while it
// is not, nothing can be kept: a change would go unheard).
type Changes struct {
	words     atomic.Uint64
	listening atomic.Bool
}

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
}

func (c *Changes) wordsChanged() {
	if c != nil {
		c.words.Add(1)
	}
}
