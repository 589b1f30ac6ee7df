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
CREATE TEMP TABLE sarr AS SELECT array_agg(s ORDER BY n) AS s, min(a) AS a FROM sentences;

INSERT INTO threads (forum_id, author_id, title, tags, created_at, last_post_at, reply_count, has_clinician_answer)
SELECT f.ids[1 + g % 8], u0.id + (g % 200),
       initcap(split_part(x.s[1 + (g * 31) % 1000], ' ', 1 + g % 5) || ' ' || x.s[1 + (g * 17) % 1000]) || ' ' || g,
       ARRAY[x.a[1 + g % 60], x.a[61 + g % 40]],
       now() - g * interval '5 minutes', now() - g * interval '5 minutes' + interval '3 hours', 3, g % 7 = 0
FROM generate_series(1, 100000) g
CROSS JOIN (SELECT array_agg(id ORDER BY slug) AS ids FROM forums WHERE slug LIKE 'sbench-%') f
CROSS JOIN (SELECT min(id) AS id FROM users WHERE handle LIKE 'sbench\_%') u0
CROSS JOIN sarr x;

INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
SELECT t.id, t.author_id, b.body, '<p>' || b.body || '</p>', t.created_at + p * interval '1 hour'
FROM threads t
CROSS JOIN generate_series(0, 3) p
CROSS JOIN sarr x
CROSS JOIN LATERAL (SELECT x.s[1 + (t.id * 13 + p * 7) % 1000] || '. ' || x.s[1 + (t.id * 29 + p * 11) % 1000] || '. ' ||
       x.s[1 + (t.id * 37 + p * 3) % 1000] || '. ' || x.s[1 + (t.id * 41 + p) % 1000] || '.' AS body) b
WHERE t.forum_id IN (SELECT id FROM forums WHERE slug LIKE 'sbench-%');
UPDATE forums f SET thread_count = (SELECT count(*) FROM threads t WHERE t.forum_id = f.id) WHERE slug LIKE 'sbench-%';
COMMIT;
VACUUM ANALYZE;
