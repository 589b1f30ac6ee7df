package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresBin is where Debian's PostgreSQL 15 server binaries are.
const PostgresBin = "/usr/lib/postgresql/15/bin"

// PrivatePostgres is a PostgreSQL cluster of the test's own, which it may
// stop, restart or kill without disturbing others (the fault suite).
type PrivatePostgres struct {
	Addr string // 127.0.0.1:port
	t    testing.TB
	dir  string
}

// NewPrivatePostgres initialises and starts a throwaway cluster on a port
// below the ephemeral range (it comes back on the same port).
func NewPrivatePostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	if _, err := os.Stat(filepath.Join(PostgresBin, "initdb")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL server binaries missing in %s: run `make test`", PostgresBin)
		}
		t.Skipf("PostgreSQL server binaries missing in %s (CI=true makes this a failure)", PostgresBin)
	}
	dir, err := os.MkdirTemp("", "kindred-pg-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755) // the postgres user must reach its data
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := chownToPostgres(data); err != nil {
		t.Fatal(err)
	}
	p := &PrivatePostgres{Addr: FixedPort(t), t: t, dir: data}
	t.Cleanup(func() {
		_ = p.pgctl("stop", "-m", "immediate")
		os.RemoveAll(dir)
	})
	if out, err := asPostgres("initdb", "-D", data, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "-U", "postgres").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.Start()
	return p
}

// URL is a connection URL for database name.
func (p *PrivatePostgres) URL(name string) string {
	return "postgres://postgres@" + p.Addr + "/" + name + "?sslmode=disable"
}

// CreateDatabase makes a database and returns its URL.
func (p *PrivatePostgres) CreateDatabase(name string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		p.t.Fatal(err)
	}
	return p.URL(name)
}

// Start starts the cluster and waits until it accepts connections.
func (p *PrivatePostgres) Start() {
	p.t.Helper()
	_, port, _ := strings.Cut(p.Addr, ":")
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %s -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, p.dir)
	if out, err := asPostgres("pg_ctl", "-D", p.dir, "-l", filepath.Join(p.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start").CombinedOutput(); err != nil {
		p.t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

// Stop shuts the cluster down (fast: open transactions are rolled back).
func (p *PrivatePostgres) Stop() {
	p.t.Helper()
	if err := p.pgctl("stop", "-m", "fast"); err != nil {
		p.t.Fatalf("pg_ctl stop: %v", err)
	}
}

func (p *PrivatePostgres) pgctl(args ...string) error {
	out, err := asPostgres("pg_ctl", append([]string{"-D", p.dir, "-w", "-t", "60"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// asPostgres runs a PostgreSQL tool; initdb refuses root, so as root it
// runs as the postgres user.
func asPostgres(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(PostgresBin, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func chownToPostgres(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("testenv: the postgres user is missing: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}
