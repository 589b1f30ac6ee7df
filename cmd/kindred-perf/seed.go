package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Writers: members who post in the write test, each with a token. A
// member's posts are spread over many of them, as in a real community.
const writers = 400

// pagesData is the dataset of the page and write measurements: the issue's
// comparison with NodeBB (one forum, 200 threads of 20 posts of about 870
// bytes), a reader with 5,000 unread notifications, and writers; every
// other member has 25 read notifications.
type pagesData struct {
	dbURL        string
	forumSlug    string
	threadIDs    []int64
	readerCookie string // the session cookie's value
	quietCookie  string // a member with no unread notifications
	readerToken  string // read scope
	writerTokens []string
}

// sentences are what members of a heart-health forum write; bodies are
// six of them, picked by post number, so no two posts are the same.
var sentences = []string{
	"I was diagnosed with atrial fibrillation last spring and I still feel uneasy every time my heart skips.",
	"My cardiologist suggested a beta blocker, and the first weeks left me tired in the afternoons.",
	"Walking after dinner has helped more than I expected, even on the evenings I did not feel like it.",
	"Does anyone else notice palpitations after a strong coffee, or is that just me being anxious?",
	"The cardiac rehab nurse told us to keep a diary of symptoms, and it made the appointments much easier.",
	"My partner worries more than I do, so we started going to the clinic visits together.",
	"I cut down on salt slowly over a month and honestly I stopped missing it after a few weeks.",
	"Waiting for the echo results was the hardest part, the test itself took twenty minutes.",
	"Some nights the worry keeps me awake and I read this forum instead of scrolling the news.",
	"Thank you all for sharing, it helps to know other people have been through the same thing.",
	"After the stent I was scared to climb stairs, but the physio built it up one step at a time.",
	"I keep my medication list on my phone now, because the pharmacy asked for it twice last month.",
	"Swimming twice a week has become my favourite part of recovery, the water feels calming.",
	"My blood pressure readings are lower in the morning, so I take them at the same time every day.",
	"The support group at the hospital meets on Thursdays, and newcomers are always welcome there.",
	"I found it hard to talk to my children about the surgery, but they took it better than I feared.",
	"When the dizziness came back I called the nurse line, and they were kind and quick to help.",
	"Breathing exercises before bed helped with the racing thoughts more than I thought they would.",
	"I brought a list of questions to my appointment and left feeling I had actually been heard.",
	"Cooking with less butter took some practice, but olive oil and herbs have made it easy.",
	"Six months on, I can garden again for an hour without needing to sit down every few minutes.",
	"The wearable monitor was uncomfortable for a day and then I forgot I was wearing it.",
	"My GP explained the difference between angina and heartburn, which took away a lot of fear.",
	"It is fine to have bad days; what matters is that the good ones slowly outnumber them.",
	"I asked about driving after the procedure and the answer depended on the kind of device fitted.",
	"Keeping a water bottle by the desk helps me remember to drink regularly during work.",
	"The first time I exercised after the heart attack I went with a friend, just in case.",
	"Learning to read my own ECG strip from the watch calmed me down more than I expected.",
	"Reducing alcohol was easier once I found drinks I actually enjoy without it.",
	"If you feel chest pain that does not settle, please call emergency services straight away.",
}

func newSecret() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// sqlArray writes strings as a PostgreSQL array literal.
func sqlArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return "ARRAY[" + strings.Join(q, ", ") + "]"
}

func sha(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// withDatabase returns DATABASE_URL pointing at another database.
func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// freshDatabase drops and recreates a database and migrates it.
func freshDatabase(ctx context.Context, cfg config, name string) (string, error) {
	admin, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return "", err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	dbURL, err := withDatabase(os.Getenv("DATABASE_URL"), name)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, cfg.bin, "migrate", "up")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("migrate: %v\n%s", err, out)
	}
	return dbURL, nil
}

func seedPages(ctx context.Context, cfg config) (*pagesData, error) {
	start := time.Now()
	dbURL, err := freshDatabase(ctx, cfg, "kindred_perf")
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	ds := &pagesData{dbURL: dbURL, forumSlug: "perf-heart"}
	stmts := []string{
		// Members joined a year ago, agreed to the current documents and
		// have posted before (so no first-posts approval holds them).
		`INSERT INTO users (handle, role, status, created_at) SELECT 'perf_' || g, 'member', 'active', now() - interval '1 year' FROM generate_series(1, ` + fmt.Sprint(writers) + `) g`,
		`INSERT INTO users (handle, role, status, created_at) VALUES ('perf_reader', 'member', 'active', now() - interval '1 year')`,
		`INSERT INTO users (handle, role, status, created_at) SELECT 'perf_follower_' || g, 'member', 'active', now() - interval '1 year' FROM generate_series(1, ` + fmt.Sprint(cfg.followers) + `) g`,
		`INSERT INTO consents (user_id, kind, version, agreed_at) SELECT u.id, k.kind, k.v, now() - interval '1 year' FROM users u
			CROSS JOIN (SELECT kind, max(version) AS v FROM policy_documents GROUP BY kind UNION ALL SELECT 'health_data', max(version) FROM policy_documents WHERE kind = 'privacy') k`,
		`INSERT INTO forums (slug, name, description) VALUES ('perf-heart', 'Heart health', 'Living with heart conditions: rhythm, rehab, medication and everyday life.')`,
		`CREATE TEMP TABLE s AS SELECT ` + sqlArray(sentences) + ` AS s`,
		`INSERT INTO threads (forum_id, author_id, title, created_at, last_post_at, reply_count)
			SELECT f.id, u0.id + (g % ` + fmt.Sprint(writers) + `), 'Living with it, week ' || g || ': ' || split_part(s.s[1 + g % cardinality(s.s)], ',', 1),
			now() - (200 - g) * interval '1 hour', now() - (200 - g) * interval '1 hour' + interval '19 minutes', 19
			FROM generate_series(1, 200) g, s, (SELECT id FROM forums WHERE slug = 'perf-heart') f, (SELECT min(id) AS id FROM users WHERE handle LIKE 'perf\_%') u0`,
		`INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
			SELECT t.id, CASE WHEN p = 0 THEN t.author_id ELSE u0.id + ((t.id * 7 + p * 13) % ` + fmt.Sprint(writers) + `) END, b.body,
			'<p>' || b.body || '</p>', t.created_at + p * interval '1 minute'
			FROM threads t CROSS JOIN generate_series(0, 19) p CROSS JOIN s, (SELECT min(id) AS id FROM users WHERE handle LIKE 'perf\_%') u0,
			LATERAL (SELECT array_to_string(ARRAY[s.s[1 + (t.id * 20 + p) * 7 % cardinality(s.s)], s.s[1 + ((t.id * 20 + p) * 11 + 3) % cardinality(s.s)],
				s.s[1 + ((t.id * 20 + p) * 13 + 5) % cardinality(s.s)], s.s[1 + ((t.id * 20 + p) * 17 + 7) % cardinality(s.s)],
				s.s[1 + ((t.id * 20 + p) * 19 + 11) % cardinality(s.s)], s.s[1 + ((t.id * 20 + p) * 23 + 13) % cardinality(s.s)]], ' ') AS body) b`,
		`UPDATE forums SET thread_count = 200 WHERE slug = 'perf-heart'`,
		// Everyone who wrote follows their threads, as replying does; the
		// reader follows them all; 2,000 members follow the first ten.
		`INSERT INTO thread_follows (thread_id, user_id, created_at) SELECT DISTINCT thread_id, author_id, now() FROM posts ON CONFLICT DO NOTHING`,
		`INSERT INTO thread_follows (thread_id, user_id, created_at) SELECT t.id, u.id, now() FROM threads t, users u WHERE u.handle = 'perf_reader' ON CONFLICT DO NOTHING`,
		`INSERT INTO thread_follows (thread_id, user_id, created_at) SELECT t.id, u.id, now() FROM (SELECT id FROM threads ORDER BY id LIMIT 10) t, users u
			WHERE u.handle LIKE 'perf\_follower\_%' ON CONFLICT DO NOTHING`,
		// The reader has 5,000 unread notifications: a reply in each of the
		// 200 threads and 4,800 mentions, none of them e-mailed.
		`INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at, mail_pending)
			SELECT r.id, 'reply', p.author_id, t.forum_id, t.id, p.id, p.created_at, false
			FROM users r, threads t JOIN LATERAL (SELECT id, author_id, created_at FROM posts WHERE thread_id = t.id ORDER BY id DESC LIMIT 1) p ON true
			WHERE r.handle = 'perf_reader'`,
		`INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at, mail_pending)
			SELECT r.id, 'mention', p.author_id, t.forum_id, t.id, p.id, p.created_at, false
			FROM users r, posts p JOIN threads t ON t.id = p.thread_id, generate_series(1, 2) k WHERE r.handle = 'perf_reader' ORDER BY p.id, k LIMIT 4800`,
		// Everyone else has a history too, all of it read, as on a real
		// site: with the reader's rows alone, PostgreSQL's statistics said
		// every notification was the reader's, and the bell's count of a
		// member with none read the whole table instead of the unread index.
		`INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at, read_at, mail_pending)
			SELECT u.id, 'reply', p.author_id, t.forum_id, t.id, p.id, p.created_at, p.created_at + interval '1 hour', false
			FROM users u CROSS JOIN generate_series(1, 25) k JOIN threads t ON t.id = (SELECT min(id) FROM threads) + (u.id * 7 + k) % 200
			JOIN LATERAL (SELECT id, author_id, created_at FROM posts WHERE thread_id = t.id ORDER BY id DESC LIMIT 1) p ON true
			WHERE u.handle <> 'perf_reader' AND u.handle LIKE 'perf\_%'`,
	}
	for _, q := range stmts {
		if _, err := conn.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("%.80s…: %w", strings.Join(strings.Fields(q), " "), err)
		}
	}
	// The reader's session and tokens; a token for each writer.
	ds.readerCookie = newSecret()
	readerToken := "kdr_" + newSecret()
	ds.readerToken = readerToken
	if _, err := conn.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, authenticated_at)
		SELECT $1, id, now(), now(), now() + interval '30 days', now() FROM users WHERE handle = 'perf_reader'`, sha(ds.readerCookie)); err != nil {
		return nil, err
	}
	ds.quietCookie = newSecret()
	if _, err := conn.Exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, authenticated_at)
		SELECT $1, id, now(), now(), now() + interval '30 days', now() FROM users WHERE handle = 'perf_1'`, sha(ds.quietCookie)); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, scope, created_at)
		SELECT id, 'perf', $1, 'read', now() FROM users WHERE handle = 'perf_reader'`, sha(readerToken)); err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, `SELECT id FROM users WHERE handle ~ '^perf_[0-9]+$' ORDER BY id`)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	for _, id := range ids {
		tok := "kdr_" + newSecret()
		ds.writerTokens = append(ds.writerTokens, tok)
		b.Queue(`INSERT INTO api_tokens (user_id, name, token_hash, scope, created_at) VALUES ($1, 'perf', $2, 'write', now())`, id, sha(tok))
	}
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	rows, err = conn.Query(ctx, `SELECT id FROM threads ORDER BY id`)
	if err != nil {
		return nil, err
	}
	if ds.threadIDs, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		return nil, err
	}
	var unread, posts int64
	if err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM notifications WHERE read_at IS NULL AND user_id = (SELECT id FROM users WHERE handle = 'perf_reader')),
		(SELECT count(*) FROM posts)`).Scan(&unread, &posts); err != nil {
		return nil, err
	}
	fmt.Printf("  pages dataset: %d threads, %d posts, the reader has %d unread notifications, %d followers on each of ten threads (%s)\n",
		len(ds.threadIDs), posts, unread, cfg.followers, time.Since(start).Round(time.Millisecond))
	return ds, nil
}
