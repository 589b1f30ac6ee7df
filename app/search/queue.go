package search

import (
	"context"
	"fmt"
	"slices"

	"github.com/kindred-health/kindred/app/database"
)

// The search queue (table search_queue, owned here and drained by the
// Indexer) sits beside River's jobs: whoever changes what a thread's search
// document holds marks the thread in its own transaction, as it would
// enqueue a job. Only app/forums does, through its operations.

// queueSQL marks threads, in id order (two writers marking overlapping
// threads then lock them in the same order). A thread already queued
// counts one more write.
const queueSQL = `INSERT INTO search_queue (thread_id)
	SELECT id FROM unnest($1::bigint[]) AS id ORDER BY id
	ON CONFLICT (thread_id) DO UPDATE SET gen = search_queue.gen + 1`

// Enqueue asks for the threads' search documents to be written again once
// tx commits; the write never waits on Meilisearch. It runs on pgx: it is
// part of every post's transaction.
func Enqueue(ctx context.Context, tx *database.Tx, threadIDs ...int64) error {
	if len(threadIDs) == 0 {
		return nil
	}
	if _, err := tx.Pgx().Exec(ctx, queueSQL, sortedIDs(threadIDs)); err != nil {
		return fmt.Errorf("search: queue %d thread(s): %w", len(threadIDs), err)
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
