package search

import (
	"context"
	"fmt"
	"slices"

	"github.com/kindred-health/kindred/app/database"
)

// The search queue (table search_queue, owned here and drained by the
// Indexer) sits beside River's jobs: whoever changes what a thread's search
// documents hold marks the thread in its own transaction, as it would
// enqueue a job. Only app/forums does, through its operations. A thread is
// queued whole (every document of it is written again: its title, forum,
// tags or visibility changed) or for some of its posts (a reply, an edit,
// a hidden or deleted post: those posts' documents and the thread's head
// document are written). Whole wins over posts.

// queueSQL marks threads whole, in id order (two writers marking
// overlapping threads then lock them in the same order). A thread already
// queued counts one more write.
const queueSQL = `INSERT INTO search_queue (thread_id, whole)
	SELECT id, true FROM unnest($1::bigint[]) AS id ORDER BY id
	ON CONFLICT (thread_id) DO UPDATE SET gen = search_queue.gen + 1, whole = true, posts = '{}'`

// queuePostsSQL marks some of a thread's posts; on a thread queued whole
// it only counts the write.
const queuePostsSQL = `INSERT INTO search_queue (thread_id, whole, posts) VALUES ($1, false, coalesce($2::bigint[], '{}'))
	ON CONFLICT (thread_id) DO UPDATE SET gen = search_queue.gen + 1,
		posts = CASE WHEN search_queue.whole THEN '{}'::bigint[] ELSE search_queue.posts || coalesce($2::bigint[], '{}') END`

// Enqueue asks for every document of the threads to be written again
// once tx commits; the write never waits on Meilisearch. It runs on pgx:
// it is part of many transactions.
func Enqueue(ctx context.Context, tx *database.Tx, threadIDs ...int64) error {
	if len(threadIDs) == 0 {
		return nil
	}
	if _, err := tx.Pgx().Exec(ctx, queueSQL, sortedIDs(threadIDs)); err != nil {
		return fmt.Errorf("search: queue %d thread(s): %w", len(threadIDs), err)
	}
	return nil
}

// EnqueuePosts asks for the documents of some posts of a thread (and of
// its head, which carries the thread's counts) to be written or removed
// once tx commits: what a reply, an edit or a hidden post changes. A
// change to the thread's own fields that comes with it (a clinician's
// first answer) is found by the indexer, which then writes the thread
// whole.
func EnqueuePosts(ctx context.Context, tx *database.Tx, threadID int64, postIDs ...int64) error {
	if _, err := tx.Pgx().Exec(ctx, queuePostsSQL, threadID, sortedIDs(postIDs)); err != nil {
		return fmt.Errorf("search: queue thread %d: %w", threadID, err)
	}
	return nil
}

// EnqueueNow is Enqueue outside a transaction.
func EnqueueNow(ctx context.Context, db *database.DB, threadIDs ...int64) error {
	if len(threadIDs) == 0 {
		return nil
	}
	if _, err := db.Pool.Exec(ctx, queueSQL, sortedIDs(threadIDs)); err != nil {
		return fmt.Errorf("search: queue %d thread(s): %w", len(threadIDs), err)
	}
	return nil
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
