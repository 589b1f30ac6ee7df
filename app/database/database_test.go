package database_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/testenv"
)

type pingArgs struct {
	Note string `json:"note"`
}

func (pingArgs) Kind() string { return "test_ping" }

func count(t *testing.T, db *database.DB, sql string) int64 {
	t.Helper()
	var n int64
	if err := db.Gorm.Raw(sql).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestJobsCommitAndRollBackWithTheWrite(t *testing.T) {
	db := testenv.DB(t, nil)
	ctx := context.Background()
	insert := func(tx *database.Tx, handle string) error {
		if err := tx.Exec("INSERT INTO users (handle, role, status) VALUES (?, 'member', 'active')", handle).Error; err != nil {
			return err
		}
		return tx.Enqueue(ctx, pingArgs{Note: handle}, nil)
	}

	boom := errors.New("boom")
	err := db.InTx(ctx, func(tx *database.Tx) error {
		if err := insert(tx, "rolled_back"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v", err)
	}
	if n := count(t, db, "SELECT count(*) FROM users"); n != 0 {
		t.Fatalf("rolled-back transaction left %d user rows", n)
	}
	if n := count(t, db, "SELECT count(*) FROM river_job"); n != 0 {
		t.Fatalf("rolled-back transaction left %d jobs", n)
	}

	if err := db.InTx(ctx, func(tx *database.Tx) error { return insert(tx, "committed") }); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT count(*) FROM users WHERE handle = 'committed'"); n != 1 {
		t.Fatalf("committed user rows: %d", n)
	}
	if n := count(t, db, "SELECT count(*) FROM river_job WHERE kind = 'test_ping' AND args->>'note' = 'committed'"); n != 1 {
		t.Fatalf("committed jobs: %d", n)
	}

	// A panic inside the transaction rolls back too, and the pinned
	// connection goes back to the pool usable.
	func() {
		defer func() { _ = recover() }()
		_ = db.InTx(ctx, func(tx *database.Tx) error {
			_ = insert(tx, "panicked")
			panic("inside")
		})
	}()
	if n := count(t, db, "SELECT count(*) FROM users WHERE handle = 'panicked'"); n != 0 {
		t.Fatal("a panicking transaction committed")
	}
	if n := count(t, db, "SELECT count(*) FROM river_job"); n != 1 {
		t.Fatalf("jobs after panic: %d", n)
	}
}

func TestJobInsertOptionsInsideTransaction(t *testing.T) {
	db := testenv.DB(t, nil)
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *database.Tx) error {
		return tx.Enqueue(ctx, pingArgs{Note: "queued"}, &river.InsertOpts{Queue: "other", Priority: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT count(*) FROM river_job WHERE queue = 'other' AND priority = 2"); n != 1 {
		t.Fatal("insert options were not applied")
	}
}

func TestMigrationsReportAndRollBack(t *testing.T) {
	db := testenv.DB(t, nil)
	ctx := context.Background()
	if n, err := db.Pending(ctx); err != nil || n != 0 {
		t.Fatalf("fresh test database: %d pending, %v", n, err)
	}
	var out strings.Builder
	if err := db.MigrateDown(ctx, &out); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^rolled back \d{5}_\w+\.(sql|go)\n$`).MatchString(out.String()) {
		t.Fatalf("down output: %q", out.String())
	}
	if n, _ := db.Pending(ctx); n == 0 {
		t.Fatal("no pending migration after rolling one back")
	}
	if err := db.MigrateUp(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.Pending(ctx); n != 0 {
		t.Fatal("migrations pending after up")
	}
	if n := count(t, db, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'"); n != 1 {
		t.Fatal("users table missing after up")
	}
	// River's own migrations count too (read from river_migration).
	if err := db.Gorm.Exec(`DELETE FROM river_migration WHERE line = 'main' AND version = (SELECT max(version) FROM river_migration WHERE line = 'main')`).Error; err != nil {
		t.Fatal(err)
	}
	if n, err := db.Pending(ctx); err != nil || n != 1 {
		t.Fatalf("River's newest migration unrecorded: %d pending, %v; want 1", n, err)
	}
}

// TestHandleSkeletonBackfill: migration 00022 gives existing accounts
// their handle's skeleton, oldest first; a younger lookalike keeps NULL
// (its handle stays), and from then on the unique index refuses new ones.
func TestHandleSkeletonBackfill(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t, nil)
	ctx := context.Background()
	// Back to before 00022 (no skeletons), however many came after it.
	for i := 0; ; i++ {
		st, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		applied := false
		for _, m := range st {
			applied = applied || (strings.Contains(m.Source, "00022_handle_skeletons") && m.Applied)
		}
		if !applied {
			break
		}
		if i == 100 {
			t.Fatal("00022 still applied after 100 roll-backs")
		}
		if err := db.MigrateDown(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []string{"dr_okafor", "Dr.0kafor", "nurse_ada"} {
		if err := db.Gorm.Exec("INSERT INTO users (handle, role, status) VALUES (?, 'member', 'active')", h).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MigrateUp(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	got := map[string]*string{}
	rows, err := db.SQL.QueryContext(ctx, `SELECT handle, handle_skeleton FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		var sk *string
		if err := rows.Scan(&h, &sk); err != nil {
			t.Fatal(err)
		}
		got[h] = sk
	}
	rows.Close()
	if got["dr_okafor"] == nil || *got["dr_okafor"] != "drokafor" || got["Dr.0kafor"] != nil || got["nurse_ada"] == nil {
		t.Errorf("skeletons after the backfill: dr_okafor %v, Dr.0kafor %v, nurse_ada %v", got["dr_okafor"], got["Dr.0kafor"], got["nurse_ada"])
	}
	err = db.Gorm.Exec("INSERT INTO users (handle, handle_skeleton, role, status) VALUES ('dr-okafor', 'drokafor', 'member', 'active')").Error
	if err == nil || !strings.Contains(err.Error(), "users_handle_skeleton_key") {
		t.Errorf("a third lookalike: %v", err)
	}
}

// TestReplyNotificationsCollapse: migration 00046 turns a member's unread
// reply notifications of one thread into one row that counts them, starts
// at the oldest post and keeps the newest; read ones and other threads'
// are left as they are.
func TestReplyNotificationsCollapse(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t, nil)
	ctx := context.Background()
	for i := 0; ; i++ {
		st, err := db.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		applied := false
		for _, m := range st {
			applied = applied || (strings.Contains(m.Source, "00046_grouped_reply_notifications") && m.Applied)
		}
		if !applied {
			break
		}
		if i == 100 {
			t.Fatal("00046 still applied after 100 roll-backs")
		}
		if err := db.MigrateDown(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO users (handle, role, status) VALUES ('col_ana', 'member', 'active'), ('col_ben', 'member', 'active')`,
		`INSERT INTO forums (slug, name) VALUES ('col-forum', 'Forum')`,
		`INSERT INTO threads (forum_id, author_id, title, created_at, last_post_at)
			SELECT f.id, u.id, 'Thread ' || g, now(), now() FROM forums f, users u, generate_series(1, 2) g WHERE f.slug = 'col-forum' AND u.handle = 'col_ana'`,
		`INSERT INTO posts (thread_id, author_id, body, body_html, created_at)
			SELECT t.id, u.id, 'Reply ' || g, '<p>Reply</p>', now() FROM threads t, users u, generate_series(1, 4) g WHERE u.handle = 'col_ben' ORDER BY t.id, g`,
		// Thread 1: one read, three unread (the first two already mailed);
		// thread 2: one unread.
		`INSERT INTO notifications (user_id, kind, actor_id, forum_id, thread_id, post_id, created_at, read_at, mail_pending)
			SELECT a.id, 'reply', p.author_id, t.forum_id, t.id, p.id, now(),
				CASE WHEN p.id = (SELECT min(id) FROM posts WHERE thread_id = t.id) THEN now() END,
				p.id = (SELECT max(id) FROM posts WHERE thread_id = t.id)
			FROM posts p JOIN threads t ON t.id = p.thread_id, users a
			WHERE a.handle = 'col_ana' AND (t.title = 'Thread 1' OR p.id = (SELECT max(id) FROM posts WHERE thread_id = t.id))`,
	} {
		if err := db.Gorm.Exec(q).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := db.MigrateUp(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Title       string
		Read        bool
		ReplyCount  int
		MailedCount int
		Latest      bool
		First       int
		MailPending bool
	}
	if err := db.Gorm.Raw(`SELECT t.title, n.read_at IS NOT NULL AS read, n.reply_count, n.mailed_count,
		n.post_id = (SELECT max(id) FROM posts WHERE thread_id = t.id) AS latest,
		(SELECT count(*) FROM posts WHERE thread_id = t.id AND id <= coalesce(n.first_post_id, n.post_id)) AS first, n.mail_pending
		FROM notifications n JOIN threads t ON t.id = n.thread_id ORDER BY t.title, n.read_at IS NULL, n.id`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	want := "[{Thread 1 true 1 0 false 1 false} {Thread 1 false 3 2 true 2 true} {Thread 2 false 1 0 true 4 true}]"
	if got := fmt.Sprint(rows); got != want {
		t.Fatalf("after 00046:\n got %s\nwant %s", got, want)
	}
}

// WarmConns opens that many connections beside the first in the
// background, so that a starting server does not wait for them; without
// it the pool opens only the one it pings.
func TestWarmConnectionsOpenInTheBackground(t *testing.T) {
	u := testenv.DatabaseURL(t)
	ctx := context.Background()
	cold, err := database.Open(ctx, u, database.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer cold.Close()
	warm, err := database.Open(ctx, u, database.Options{MaxConns: 4, WarmConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer warm.Close()
	deadline := time.Now().Add(10 * time.Second)
	for warm.Pool.Stat().IdleConns() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := warm.Pool.Stat().IdleConns(); n < 3 {
		t.Errorf("warm pool: %d idle connections, want 3", n)
	}
	if n := cold.Pool.Stat().TotalConns(); n != 1 {
		t.Errorf("pool without WarmConns: %d connections, want the one it pinged", n)
	}
}

// CheckTxConns (on in every test database) fails a goroutine that asks
// the pool for a connection inside InTx: it holds one connection and
// waits for another, and under load every other connection can be held
// by writers waiting for its locks (the mail sweep did that: replies hung
// until their clients gave up). The transaction's own statements and
// statements outside a transaction are unaffected.
func TestCheckTxConnsFailsASecondConnectionInsideATransaction(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t, time.Now)
	ctx := context.Background()
	var n int
	if err := db.Gorm.WithContext(ctx).Raw(`SELECT 1`).Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("outside a transaction: %d, %v", n, err)
	}
	err := db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Raw(`SELECT 2`).Scan(&n).Error; err != nil || n != 2 {
			return fmt.Errorf("the transaction's own statement: %d, %w", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, second := range map[string]func() error{
		"GORM":         func() error { return db.Gorm.WithContext(ctx).Raw(`SELECT 3`).Scan(&n).Error },
		"pgx":          func() error { return db.Pool.QueryRow(ctx, `SELECT 4`).Scan(&n) },
		"InTx in InTx": func() error { return db.InTx(ctx, func(*database.Tx) error { return nil }) },
	} {
		err := db.InTx(ctx, func(tx *database.Tx) error { return second() })
		if !errors.Is(err, database.ErrConnInTx) {
			t.Errorf("%s inside a transaction: %v, want ErrConnInTx", name, err)
		}
	}
	// Other goroutines are not held to it while one is inside InTx.
	err = db.InTx(ctx, func(tx *database.Tx) error {
		done := make(chan error, 1)
		go func() { done <- db.Gorm.WithContext(ctx).Raw(`SELECT 5`).Scan(new(int)).Error }()
		return <-done
	})
	if err != nil {
		t.Fatalf("another goroutine's statement during a transaction: %v", err)
	}
}
