-- +goose Up

-- The search index now holds one document per visible post (issue 21):
-- a queued thread says either that all its documents must be written
-- again (whole: the thread changed, or a write from before this version)
-- or only those of the posts listed (a reply, an edit, a hidden post),
-- which the indexer sends with the thread's head document. A thread stays
-- one row, leased by one indexer at a time, however many posts are listed.
ALTER TABLE search_queue
    ADD COLUMN whole boolean NOT NULL DEFAULT true,
    ADD COLUMN posts bigint[] NOT NULL DEFAULT '{}';

-- The documents live in a new index (<prefix>_posts): queue every visible
-- thread so the indexer fills it; until then search finds what is done.
INSERT INTO search_queue (thread_id)
    SELECT id FROM threads WHERE visibility = 'visible'
    ON CONFLICT (thread_id) DO UPDATE SET gen = search_queue.gen + 1, whole = true, posts = '{}';

-- +goose Down
UPDATE search_queue SET gen = gen + 1 WHERE NOT whole;
ALTER TABLE search_queue DROP COLUMN posts, DROP COLUMN whole;
