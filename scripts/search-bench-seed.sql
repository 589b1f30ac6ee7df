-- Seeds a database for the search benchmark: 100,000 threads over eight
-- forums (two of them members-only), each with a first post and three
-- replies written from a vocabulary of patients' words, and tags. Text is
-- varied but deterministic (each word picked by the thread and position).
BEGIN;
INSERT INTO users (handle, role, status)
SELECT 'sbench_' || g, 'member', 'active' FROM generate_series(1, 200) g
ON CONFLICT DO NOTHING;
INSERT INTO forums (slug, name, description, sensitive)
SELECT 'sbench-' || s, initcap(replace(s, '-', ' ')), 'Search benchmark forum', s IN ('mental-health', 'sexual-health')
FROM unnest(ARRAY['diabetes', 'heart-health', 'mental-health', 'sexual-health', 'arthritis', 'cancer-care', 'asthma', 'kidney-care']) s
ON CONFLICT (slug) DO NOTHING;
-- 1,000 ten-word sentences from the vocabulary; bodies join four of them.
CREATE TEMP TABLE sentences AS
WITH v AS (SELECT ARRAY[
  'insulin', 'pump', 'sensor', 'glucose', 'hypo', 'night', 'sweats', 'metformin', 'tired', 'fatigue', 'diet', 'carbs',
  'walking', 'exercise', 'blood', 'pressure', 'heart', 'rhythm', 'palpitations', 'stent', 'bypass', 'recovery', 'statin',
  'cholesterol', 'anxiety', 'panic', 'sleep', 'therapy', 'counselling', 'sertraline', 'mood', 'winter', 'grief', 'work',
  'joints', 'swelling', 'morning', 'stiffness', 'methotrexate', 'flare', 'pain', 'knee', 'hip', 'chemo', 'radiotherapy',
  'scan', 'results', 'waiting', 'nausea', 'hair', 'inhaler', 'wheeze', 'cough', 'peak', 'flow', 'steroid', 'dialysis',
  'kidney', 'transplant', 'fluid', 'salt', 'potassium', 'family', 'partner', 'children', 'appointment', 'nurse', 'doctor',
  'pharmacy', 'side', 'effects', 'dose', 'weeks', 'months', 'better', 'worse', 'advice', 'worried', 'relief', 'support',
  'breathless', 'dizzy', 'headache', 'weight', 'appetite', 'travel', 'holiday', 'driving', 'sport', 'swimming', 'yoga',
  'eczema', 'thyroid', 'migraine', 'vitamin', 'iron', 'anaemia', 'bloods', 'clinic', 'referral', 'diagnosis', 'hypertension',
  'diabetes', 'asthma', 'arthritis', 'depression', 'infarction', 'angina', 'neuropathy', 'retinopathy', 'ketones'] AS a)
SELECT n, (SELECT string_agg(a[1 + ((n * 7919 + i * 104729 + (n % 89) * i * i) % array_length(a, 1))], ' ' ORDER BY i)
           FROM generate_series(1, 10) i) AS s, a
FROM v, generate_series(0, 999) n;
CREATE UNIQUE INDEX ON sentences (n);
ANALYZE sentences;

-- Words for titles and tags, joined by number (not taken from one big
-- array per row, which PostgreSQL would unpack every time).
CREATE TEMP TABLE words AS SELECT i - 1 AS n, w FROM (SELECT a FROM sentences LIMIT 1) v, unnest(v.a) WITH ORDINALITY AS x(w, i);
CREATE UNIQUE INDEX ON words (n);
ANALYZE words;

INSERT INTO threads (forum_id, author_id, title, tags, created_at, last_post_at, reply_count, has_clinician_answer)
SELECT f.ids[1 + g % 8], u0.id + (g % 200),
       initcap(w1.w || ' ' || s1.s) || ' ' || g,
       ARRAY[w2.w, w3.w],
       now() - g * interval '5 minutes', now() - g * interval '5 minutes' + interval '3 hours', 3, g % 7 = 0
FROM generate_series(1, 100000) g
CROSS JOIN (SELECT array_agg(id ORDER BY slug) AS ids FROM forums WHERE slug LIKE 'sbench-%') f
CROSS JOIN (SELECT min(id) AS id FROM users WHERE handle LIKE 'sbench\_%') u0
JOIN sentences s1 ON s1.n = (g * 17) % 1000
JOIN words w1 ON w1.n = (g * 31) % 60
JOIN words w2 ON w2.n = g % 60
JOIN words w3 ON w3.n = 60 + g % 40;

INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
SELECT t.id, t.author_id, b.body, '<p>' || b.body || '</p>', t.created_at + p * interval '1 hour'
FROM threads t
CROSS JOIN generate_series(0, 3) p
JOIN sentences s1 ON s1.n = (t.id * 13 + p * 7) % 1000
JOIN sentences s2 ON s2.n = (t.id * 29 + p * 11) % 1000
JOIN sentences s3 ON s3.n = (t.id * 37 + p * 3) % 1000
JOIN sentences s4 ON s4.n = (t.id * 41 + p) % 1000
CROSS JOIN LATERAL (SELECT s1.s || '. ' || s2.s || '. ' || s3.s || '. ' || s4.s || '.' AS body) b
WHERE t.forum_id IN (SELECT id FROM forums WHERE slug LIKE 'sbench-%');
UPDATE forums f SET thread_count = (SELECT count(*) FROM threads t WHERE t.forum_id = f.id) WHERE slug LIKE 'sbench-%';
COMMIT;
VACUUM ANALYZE;
