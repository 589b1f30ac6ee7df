// Package testenv, for tests only, gives tests real services: a freshly migrated PostgreSQL
// database per test (a copy of a template built once per migration set)
// and Meilisearch settings with index names unique to the run.
//
// Without DATABASE_URL / MEILI_URL a test is skipped, except under CI=true,
// where a missing service fails the test.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/migrations"
)

// Require fails (CI) or skips (elsewhere) when a service setting is missing.
func Require(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if os.Getenv(n) == "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not set: under CI=true a missing service is a failure (run `make test`)", n)
			}
			t.Skipf("%s is not set: run `make test` to start the services (CI=true makes this a failure)", n)
		}
	}
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func withDB(raw, db string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + db
	return u.String()
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// templateDB builds, once per migration set, a migrated database to copy.
// Concurrent test processes agree through an advisory lock.
func templateDB(ctx context.Context, admin string) (string, error) {
	templateOnce.Do(func() {
		h := sha256.New()
		_ = fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := fs.ReadFile(migrations.FS, p)
				h.Write([]byte(p))
				h.Write(b)
			}
			return nil
		})
		h.Write([]byte(migrations.GoFingerprint))
		name := "kindred_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
		templateName, templateErr = name, buildTemplate(ctx, admin, name)
	})
	return templateName, templateErr
}

func buildTemplate(ctx context.Context, admin, name string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(727274)") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil || exists {
		return err
	}
	building := name + "_build"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return err
	}
	db, err := database.Open(ctx, withDB(admin, building), database.Options{MaxConns: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	err = db.MigrateUp(ctx, io.Discard)
	db.Close()
	if err != nil {
		return fmt.Errorf("testenv: migrate template: %w", err)
	}
	// Renaming last means a template that exists is complete.
	_, err = conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name)
	return err
}

// DatabaseURL creates a fresh migrated database for this test and returns
// its URL; the database is dropped when the test ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	Require(t, "DATABASE_URL")
	admin := os.Getenv("DATABASE_URL")
	ctx := context.Background()
	tmpl, err := templateDB(ctx, admin)
	if err != nil {
		t.Fatalf("testenv: template database: %v", err)
	}
	name := randomName("kindred_test_")
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testenv: connect: %v", err)
	}
	defer conn.Close(ctx)
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl)
		// Another process may be copying the template this instant.
		if err == nil || attempt > 50 || !strings.Contains(err.Error(), "is being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(admin, name) })
	return withDB(admin, name)
}

// EmptyDatabaseURL creates a database with no schema at all, dropped when
// the test ends (for testing migrations and start-up checks).
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	Require(t, "DATABASE_URL")
	admin := os.Getenv("DATABASE_URL")
	ctx := context.Background()
	name := randomName("kindred_empty_")
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testenv: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() { dropDatabase(admin, name) })
	return withDB(admin, name)
}

func dropDatabase(admin, name string) {
	c, err := pgx.Connect(context.Background(), admin)
	if err != nil {
		return
	}
	defer c.Close(context.Background())
	_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
}

// DB opens a fresh migrated database for this test.
func DB(t testing.TB, now func() time.Time) *database.DB {
	t.Helper()
	return OpenDB(t, DatabaseURL(t), now)
}

// ProxiedDB is DB reached through a Proxy the test can cut.
func ProxiedDB(t testing.TB, now func() time.Time) (*database.DB, *Proxy) {
	t.Helper()
	raw := DatabaseURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProxy(t, u.Host)
	return OpenDB(t, p.ProxiedURL(raw), now), p
}

// DBWithReplica is DB with a replica: a second migrated database (which
// the test fills as a lagging copy would be) reached through a Proxy the
// test can cut. It returns the replica's own URL for filling it.
func DBWithReplica(t testing.TB, now func() time.Time) (*database.DB, string, *Proxy) {
	t.Helper()
	primary, replica := DatabaseURL(t), DatabaseURL(t)
	u, err := url.Parse(replica)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProxy(t, u.Host)
	db, err := database.Open(context.Background(), primary, database.Options{MaxConns: 8, Logger: Logger(t), Now: now, ReplicaURL: p.ProxiedURL(replica), CheckTxConns: true})
	if err != nil {
		t.Fatalf("testenv: open: %v", err)
	}
	t.Cleanup(db.Close)
	return db, replica, p
}

// OpenDB opens the database at u for the test.
func OpenDB(t testing.TB, u string, now func() time.Time) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), u, database.Options{MaxConns: 8, Logger: Logger(t), Now: now, CheckTxConns: true})
	if err != nil {
		t.Fatalf("testenv: open: %v", err)
	}
	t.Cleanup(db.Close)
	return db
}

// Logger discards logs unless KINDRED_TEST_LOG is set.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("KINDRED_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

var runID = randomName("")

// Meili returns the Meilisearch URL, API key and an index prefix unique to
// this test within this run.
func Meili(t testing.TB) (url, key, prefix string) {
	t.Helper()
	Require(t, "MEILI_URL", "MEILI_API_KEY")
	return os.Getenv("MEILI_URL"), os.Getenv("MEILI_API_KEY"), "test_" + runID + "_" + randomName("")[:6]
}

// RepoRoot finds the directory holding go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: go.mod not found")
		}
		dir = parent
	}
}

// Clock is a settable clock for deterministic time-dependent tests.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at a fixed instant.
func NewClock() *Clock {
	return &Clock{now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// PrivateMeili is a Meilisearch of the test's own (the binary make test
// fetched), which the test may stop and start again without disturbing
// others. It returns its URL and master key.
type PrivateMeili struct {
	URL, Key string
	t        testing.TB
	bin, dir string
	addr     string
	cmd      *exec.Cmd
	threads  int
}

// NewPrivateMeili starts one on a free loopback port, indexing on one
// thread (tests share the machine).
func NewPrivateMeili(t testing.TB) *PrivateMeili {
	t.Helper()
	return NewPrivateMeiliWith(t, 1)
}

// NewPrivateMeiliWith is NewPrivateMeili indexing on threads threads (load
// measurements give it the machine).
func NewPrivateMeiliWith(t testing.TB, threads int) *PrivateMeili {
	t.Helper()
	bin := filepath.Join(RepoRoot(t), ".cache", "meilisearch", "meilisearch")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("meilisearch binary missing at %s: run `make test`", bin)
		}
		t.Skipf("meilisearch binary missing at %s: run `make test` (CI=true makes this a failure)", bin)
	}
	addr := FixedPort(t)
	m := &PrivateMeili{threads: max(threads, 1), URL: "http://" + addr, Key: "private-test-master-key-" + randomName("")[:8], t: t, bin: bin, dir: t.TempDir(), addr: addr}
	m.Start()
	t.Cleanup(m.Stop)
	return m
}

// Start runs the server (again) on the same address and data.
func (m *PrivateMeili) Start() {
	m.t.Helper()
	m.cmd = exec.Command(m.bin, "--db-path", filepath.Join(m.dir, "db"), "--http-addr", m.addr, "--master-key", m.Key,
		"--no-analytics", "--max-indexing-threads", strconv.Itoa(m.threads), "--max-indexing-memory", "512MiB", "--env", "development")
	m.cmd.Dir = m.dir
	if err := m.cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(m.URL + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatal("private meilisearch did not start")
}

// Pause stops the process without ending it (SIGSTOP): its port still
// accepts connections, which then get no answer — a hung server.
func (m *PrivateMeili) Pause() {
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Signal(syscall.SIGSTOP)
		waitStopped(m.t, m.cmd.Process.Pid)
	}
}

// waitStopped waits until every thread of process pid has stopped: a
// SIGSTOP reaches the threads of a busy process one by one, and a request
// sent in between would still be answered.
func waitStopped(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			return // not Linux, or gone: nothing to wait for
		}
		stopped := true
		for _, task := range tasks {
			stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
			// The state follows the command name in parentheses: "T" when stopped.
			if i := strings.LastIndexByte(string(stat), ')'); err == nil && i >= 0 && i+2 < len(stat) && stat[i+2] != 'T' {
				stopped = false
				break
			}
		}
		if stopped {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d did not stop within 5 s of SIGSTOP", pid)
		}
		time.Sleep(time.Millisecond)
	}
}

// Resume lets a paused server go on (SIGCONT).
func (m *PrivateMeili) Resume() {
	if m.cmd != nil && m.cmd.Process != nil {
		_ = m.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// FixedPort is a free loopback address whose port is below Linux's
// ephemeral range (32768 and up), for servers a test stops and starts
// again: while one is down, a client reconnecting to it could otherwise be
// given its port as the client's own local port.
func FixedPort(t testing.TB) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		n, _ := rand.Int(rand.Reader, big.NewInt(12000))
		addr := "127.0.0.1:" + strconv.Itoa(20000+int(n.Int64()))
		l, err := net.Listen("tcp", addr)
		if err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("testenv: no free port below 32768")
	return ""
}

// Stop ends the server and waits for it.
func (m *PrivateMeili) Stop() {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGCONT) // a paused process must run to die
	_ = m.cmd.Process.Kill()
	_ = m.cmd.Wait()
	m.cmd = nil
}
