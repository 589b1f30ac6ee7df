package search

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kindred-health/kindred/app/database"
)

// Indexer drains the search queue (table search_queue, filled by writes
// through Enqueue and EnqueuePosts): it takes up to Batch threads at a
// time, writes their documents (a reply's thread: that reply's and the
// head's; a thread queued whole: all of them) and removes those that must
// go, in one Meilisearch task per kind, and removes from the queue the
// threads no write touched meanwhile. Every instance runs one; they share the queue
// through leases, so a thread is written by one indexer at a time.
//
// One task per batch instead of one job per write is what lets the index
// keep up: Meilisearch indexes a thousand documents in about the time it
// takes for one, and a thread written a hundred times while queued is
// indexed once.
type Indexer struct {
	DB     *database.DB
	Client *Client
	Source Source
	Log    *slog.Logger
	// Batch is the most threads in one Meilisearch task (QueueBatch).
	Batch int
	// Loops drain at once in this instance (4): some prepare batches
	// while Meilisearch indexes the others'. At most DBLoops of them use
	// the database at a time (2), so a large backlog never takes more
	// than two of the instance's connections from its pages.
	Loops   int
	DBLoops int
	// Poll is how often an idle indexer looks at the queue (200 ms).
	Poll time.Duration

	dbOnce  sync.Once
	dbSlots chan struct{}
	// OnIndexed, if set, is told how long each thread written (ids[i])
	// waited from its first queued write until its document was
	// searchable (lags[i]).
	OnIndexed func(ids []int64, lags []time.Duration)
}

// QueueBatch is the default Indexer.Batch.
const QueueBatch = 1000

// leaseFor is how long an indexer may hold a batch before others may take
// it: far above a batch's work, so it only runs out when a process died
// holding it.
const leaseFor = time.Minute

// Run drains the queue until ctx ends.
func (ix *Indexer) Run(ctx context.Context) {
	loops := max(ix.Loops, 1)
	var wg sync.WaitGroup
	for i := 0; i < loops; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ix.loop(ctx)
		}()
	}
	wg.Wait()
}

func (ix *Indexer) loop(ctx context.Context) {
	poll := ix.Poll
	if poll <= 0 {
		poll = 200 * time.Millisecond
	}
	failures := 0
	for ctx.Err() == nil {
		if failures > 0 {
			// After a failure, wait for Meilisearch to answer (a cheap
			// health check each second) rather than read a batch of
			// documents again for nothing: the backlog starts draining
			// within a second of its return.
			if err := ix.Client.Ping(ctx); err != nil {
				if !sleep(ctx, time.Second) {
					return
				}
				continue
			}
		}
		n, err := ix.DrainOnce(ctx)
		wait := poll
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			wait = min(retryDelay(failures), time.Second)
			if failures == 1 || failures%60 == 0 {
				ix.log().WarnContext(ctx, "search: indexing a batch failed; retrying", "error", err.Error(), "failures", failures)
			}
		case err != nil:
			return
		case n >= ix.batch():
			failures, wait = 0, 0 // more waiting: go on at once
		default:
			failures = 0
		}
		if wait > 0 && !sleep(ctx, wait) {
			return
		}
	}
}

// sleep waits d, or less if ctx ends (then false).
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (ix *Indexer) batch() int {
	if ix.Batch > 0 {
		return ix.Batch
	}
	return QueueBatch
}

func (ix *Indexer) log() *slog.Logger {
	if ix.Log != nil {
		return ix.Log
	}
	return slog.Default()
}

// claimSQL leases up to 2×$1 queued threads nobody holds: the newest
// ones, so fresh writes are searchable within seconds even behind a large
// backlog, and the oldest ones, so the backlog drains too.
const claimSQL = `WITH newest AS (
		SELECT thread_id FROM search_queue WHERE claimed_until IS NULL OR claimed_until < now()
		ORDER BY queued_at DESC LIMIT $1 FOR UPDATE SKIP LOCKED),
	oldest AS (
		SELECT thread_id FROM search_queue WHERE claimed_until IS NULL OR claimed_until < now()
		ORDER BY queued_at LIMIT $1 FOR UPDATE SKIP LOCKED)
	UPDATE search_queue q SET claimed_until = now() + make_interval(secs => $2)
	WHERE q.thread_id IN (SELECT thread_id FROM newest UNION SELECT thread_id FROM oldest)
	RETURNING q.thread_id, q.gen, q.whole, q.posts`

// doneSQL removes the threads whose queue entry is still the one read
// (no write since), and says how long each waited.
const doneSQL = `DELETE FROM search_queue q USING unnest($1::bigint[], $2::bigint[]) AS x(id, gen)
	WHERE q.thread_id = x.id AND q.gen = x.gen
	RETURNING q.thread_id, extract(epoch FROM now() - q.queued_at)::float8`

// releaseSQL gives back the threads still queued (written again
// meanwhile, or the batch failed) for the next round.
const releaseSQL = `UPDATE search_queue SET claimed_until = NULL WHERE thread_id = ANY($1::bigint[])`

// withDB runs fn holding one of the DBLoops database slots.
func (ix *Indexer) withDB(ctx context.Context, fn func() error) error {
	ix.dbOnce.Do(func() { ix.dbSlots = make(chan struct{}, max(ix.DBLoops, 1)) })
	select {
	case ix.dbSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-ix.dbSlots }()
	return fn()
}

// DrainOnce indexes one batch and returns how many threads it held.
func (ix *Indexer) DrainOnce(ctx context.Context) (int, error) {
	var ids, gens []int64
	var changes []Change
	var b *Batch
	err := ix.withDB(ctx, func() error {
		var err error
		ids, gens, changes, err = ix.claim(ctx)
		if err != nil || len(ids) == 0 {
			return err
		}
		// The queue entries were read before the threads: a write
		// committed after this read bumps its entry, which then stays
		// queued.
		b, err = ix.Source.SearchDocuments(ctx, changes)
		return err
	})
	if err == nil && len(ids) > 0 {
		err = ix.write(ctx, changes, b)
	}
	if err != nil {
		if len(ids) > 0 {
			_, _ = ix.DB.Pool.Exec(context.WithoutCancel(ctx), releaseSQL, ids)
		}
		return len(ids), err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	var doneIDs []int64
	var lags []time.Duration
	if err := ix.withDB(ctx, func() error {
		var err error
		doneIDs, lags, err = ix.done(ctx, ids, gens)
		return err
	}); err != nil {
		return len(ids), err
	}
	if ix.OnIndexed != nil && len(lags) > 0 {
		ix.OnIndexed(doneIDs, lags)
	}
	return len(ids), nil
}

// claim leases a batch of queued threads.
func (ix *Indexer) claim(ctx context.Context) (ids, gens []int64, changes []Change, err error) {
	rows, err := ix.DB.Pool.Query(ctx, claimSQL, (ix.batch()+1)/2, leaseFor.Seconds())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("search: claim queued threads: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch Change
		var gen int64
		if err := rows.Scan(&ch.ThreadID, &gen, &ch.Whole, &ch.Posts); err != nil {
			return nil, nil, nil, err
		}
		ch.Posts = sortedIDs(ch.Posts)
		ids, gens, changes = append(ids, ch.ThreadID), append(gens, gen), append(changes, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("search: claim queued threads: %w", err)
	}
	return ids, gens, changes, nil
}

// write applies the batch built for changes. A thread queued for some
// posts whose own fields changed too (a clinician's first answer, a title
// edited with its first post) is written whole instead: its head document
// in the index then carries another thread digest than the one just
// built.
func (ix *Indexer) write(ctx context.Context, changes []Change, b *Batch) error {
	c := ix.Client
	if err := c.EnsureThreads(ctx); err != nil {
		return err
	}
	var partial []int64
	for _, ch := range changes {
		if !ch.Whole {
			partial = append(partial, ch.ThreadID)
		}
	}
	if len(partial) > 0 {
		built := map[int64]string{}
		for _, d := range b.Docs {
			if d.Head {
				built[d.ThreadID] = d.ThreadDigest
			}
		}
		indexed, err := c.headDigests(ctx, partial)
		if err != nil {
			return err
		}
		var whole []Change
		for _, id := range partial {
			if want, ok := built[id]; ok && indexed[id] != want {
				whole = append(whole, Change{ThreadID: id, Whole: true})
			}
		}
		if len(whole) > 0 {
			more, err := ix.withDBResult(ctx, whole)
			if err != nil {
				return err
			}
			redo := map[int64]bool{}
			for _, ch := range whole {
				redo[ch.ThreadID] = true
			}
			kept := b.Docs[:0:0]
			for _, d := range b.Docs {
				if !redo[d.ThreadID] {
					kept = append(kept, d)
				}
			}
			b = &Batch{Docs: append(kept, more.Docs...), GonePosts: append(b.GonePosts, more.GonePosts...),
				GoneThreads: append(b.GoneThreads, more.GoneThreads...)}
		}
	}
	return c.apply(ctx, b)
}

// withDBResult builds the documents of changes holding a database slot.
func (ix *Indexer) withDBResult(ctx context.Context, changes []Change) (*Batch, error) {
	var b *Batch
	err := ix.withDB(ctx, func() error {
		var err error
		b, err = ix.Source.SearchDocuments(ctx, changes)
		return err
	})
	return b, err
}

func (ix *Indexer) done(ctx context.Context, ids, gens []int64) ([]int64, []time.Duration, error) {
	rows, err := ix.DB.Pool.Query(ctx, doneSQL, ids, gens)
	if err != nil {
		return nil, nil, fmt.Errorf("search: dequeue indexed threads: %w", err)
	}
	var doneIDs []int64
	var lags []time.Duration
	for rows.Next() {
		var id int64
		var s float64
		if err := rows.Scan(&id, &s); err != nil {
			rows.Close()
			return nil, nil, err
		}
		doneIDs, lags = append(doneIDs, id), append(lags, time.Duration(s*float64(time.Second)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("search: dequeue indexed threads: %w", err)
	}
	if len(doneIDs) < len(ids) {
		if _, err := ix.DB.Pool.Exec(ctx, releaseSQL, ids); err != nil {
			return doneIDs, lags, fmt.Errorf("search: release queued threads: %w", err)
		}
	}
	return doneIDs, lags, nil
}

// Backlog counts the threads waiting in the queue and the jobs that will
// queue many (a forum's or a clinician's threads).
func Backlog(ctx context.Context, db *database.DB) (int64, error) {
	var n int64
	err := db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM search_queue) + (SELECT count(*) FROM river_job
		WHERE kind IN ('search_index_thread', 'search_index_threads') AND state IN ('available', 'pending', 'scheduled', 'retryable', 'running'))`).Scan(&n)
	return n, err
}
