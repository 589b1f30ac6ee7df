package database

import (
	"context"
	"fmt"
	"slices"
)

// The search index's queue (table search_queue, drained by app/search's
// Indexer) sits here beside River's because every feature that changes
// what a thread's search document holds marks the thread in its own
// transaction, as it would enqueue a job.

// queueSQL marks threads, in id order (two writers marking overlapping
// threads then lock them in the same order). A thread already queued
// counts one more write.
const queueSQL = `INSERT INTO search_queue (thread_id)
	SELECT id FROM unnest($1::bigint[]) AS id ORDER BY id
	ON CONFLICT (thread_id) DO UPDATE SET gen = search_queue.gen + 1`

// QueueSearch asks for the threads' search documents to be written again
// once the transaction commits; the write never waits on Meilisearch.
func (t *Tx) QueueSearch(ctx context.Context, threadIDs ...int64) error {
	if len(threadIDs) == 0 {
		return nil
	}
	if _, err := t.pgxTx.Exec(ctx, queueSQL, sortedIDs(threadIDs)); err != nil {
		return fmt.Errorf("database: queue %d thread(s) for search: %w", len(threadIDs), err)
	}
	return nil
}

// QueueSearch is Tx.QueueSearch outside a transaction.
func (d *DB) QueueSearch(ctx context.Context, threadIDs ...int64) error {
	if len(threadIDs) == 0 {
		return nil
	}
	if _, err := d.Pool.Exec(ctx, queueSQL, sortedIDs(threadIDs)); err != nil {
		return fmt.Errorf("database: queue %d thread(s) for search: %w", len(threadIDs), err)
	}
	return nil
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
