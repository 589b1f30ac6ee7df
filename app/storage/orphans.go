package storage

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Orphans removes objects that no database row names: left behind when a
// row's transaction failed and the store did not answer the delete, or
// when the store kept an upload its owner gave up on. An object goes only
// when two sweeps at least Grace apart both found it unnamed, so an upload
// between writing its object and committing its row is never touched. The
// first sightings live in the process: a restart only delays a removal.
// Clinicians' documents, images and exports each keep one.
type Orphans struct {
	Grace time.Duration
	// Max bounds the deletes of one sweep (0: no bound).
	Max int

	mu   sync.Mutex
	seen map[string]time.Time
}

// Sweep lists store, keeping the keys keep accepts (the store's own kind
// of key), asks named for the keys rows name, and deletes the rest that
// were already unnamed Grace ago. It returns how many it deleted.
func (o *Orphans) Sweep(ctx context.Context, store Store, now time.Time, keep func(key string) bool, named func(ctx context.Context) ([]string, error)) (int, error) {
	var stored []string
	if err := store.List(ctx, func(key string) error {
		if keep(key) {
			stored = append(stored, key)
		}
		return nil
	}); err != nil {
		return 0, fmt.Errorf("storage: orphans: list: %w", err)
	}
	names, err := named(ctx)
	if err != nil {
		return 0, fmt.Errorf("storage: orphans: named: %w", err)
	}
	isNamed := make(map[string]bool, len(names))
	for _, k := range names {
		isNamed[k] = true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	next := map[string]time.Time{}
	deleted := 0
	var failed error
	for _, key := range stored {
		if isNamed[key] {
			continue
		}
		first, seen := o.seen[key]
		if !seen {
			first = now
		}
		if failed != nil || now.Sub(first) < o.Grace || (o.Max > 0 && deleted >= o.Max) {
			next[key] = first
			continue
		}
		if err := store.Delete(ctx, key); err != nil {
			failed = fmt.Errorf("storage: orphans: delete: %w", err)
			next[key] = first
			continue
		}
		deleted++
	}
	o.seen = next
	return deleted, failed
}
