-- +goose Up

-- The search index's queue: threads whose document must be written (or
-- removed) again. A write marks its threads in its own transaction; the
-- indexer drains the queue in batches of up to 1,000 documents per
-- Meilisearch task. One row per thread, however many writes touched it:
-- gen counts the writes since the row was made, so the indexer removes a
-- row only if no write came after it read the thread.
CREATE TABLE search_queue (
    thread_id     bigint PRIMARY KEY,
    gen           bigint NOT NULL DEFAULT 1,
    queued_at     timestamptz NOT NULL DEFAULT now(), -- first write not yet indexed
    claimed_until timestamptz                         -- an indexer is writing it until then
);
CREATE INDEX search_queue_queued_at ON search_queue (queued_at);

-- Index jobs enqueued before this (River's search_index_thread) are moved
-- here by their worker when they run.

-- +goose Down
DROP TABLE search_queue;
