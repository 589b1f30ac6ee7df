-- Seeds a database for benchmarks: 10,000 threads and 100,000 posts in one
-- public forum, plus one thread with 30 posts. Idempotent per database.
BEGIN;
INSERT INTO users (handle, role, status)
SELECT 'bench_' || g, 'member', 'active' FROM generate_series(1, 100) g
ON CONFLICT DO NOTHING;
INSERT INTO forums (slug, name, description) VALUES ('bench-forum', 'Bench forum', 'Ten thousand threads')
ON CONFLICT (slug) DO NOTHING;
INSERT INTO threads (forum_id, author_id, title, created_at, last_post_at, reply_count)
SELECT f.id, u0.id + (g % 100), 'Bench thread number ' || g, now() - g * interval '1 minute', now() - g * interval '1 minute', 9
FROM generate_series(1, 10000) g
CROSS JOIN (SELECT id FROM forums WHERE slug = 'bench-forum') f
CROSS JOIN (SELECT min(id) AS id FROM users WHERE handle LIKE 'bench\_%') u0;
INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
SELECT t.id, t.author_id, 'Post ' || p,
       '<p>Post ' || p || ' with <strong>some</strong> text, a <a href="https://example.org" rel="nofollow ugc noopener">link</a> and a list:</p><ul><li>one</li><li>two</li></ul>',
       t.created_at + p * interval '1 second'
FROM threads t CROSS JOIN generate_series(1, 10) p
WHERE t.forum_id = (SELECT id FROM forums WHERE slug = 'bench-forum');
-- One thread gets 30 posts: the page size.
INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
SELECT t.id, t.author_id, 'Extra ' || p, '<p>Extra post ' || p || '</p>', t.created_at + (100 + p) * interval '1 second'
FROM (SELECT id, author_id, created_at FROM threads WHERE title = 'Bench thread number 1') t CROSS JOIN generate_series(1, 20) p;
UPDATE threads SET reply_count = 29 WHERE title = 'Bench thread number 1';
UPDATE forums SET thread_count = 10000 WHERE slug = 'bench-forum';
COMMIT;
VACUUM ANALYZE;
