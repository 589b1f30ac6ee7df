// Command kindred-dev starts the PostgreSQL and Meilisearch that `make run`
// and `make test` need (unless DATABASE_URL / MEILI_URL are given), and the
// S3 server of the storage tests (or of `make run` with KINDRED_STORAGE=s3),
// runs a command with them in its environment, and stops them afterwards.
//
//	kindred-dev run  -- CMD...   data kept under .data/
//	kindred-dev test -- CMD...   throwaway data in a temporary directory
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/kindred-health/kindred/app/search"
)

const (
	meiliVersion = "meilisearch 1.21.0"
	meiliBinary  = ".cache/meilisearch/meilisearch"
	// meiliIndexingMemory is given to Meilisearch so that it does not work
	// out the available memory before every indexing batch: left to itself,
	// it spent up to 2 s of CPU doing so for a one-document task here.
	meiliIndexingMemory = "1GiB"
	pgBinDir            = "/usr/lib/postgresql/15/bin"
	// versityGWBinary is a real S3 server (an S3 gateway over a directory),
	// built by scripts/deps.sh.
	versityGWBinary = ".cache/versitygw/versitygw"
	// runBucket holds `make run`'s documents when KINDRED_STORAGE=s3.
	runBucket = "kindred"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kindred-dev:", err)
		os.Exit(1)
	}
}

type services struct {
	temp     bool
	dataDir  string
	env      []string
	meiliPID int
	s3PID    int
	stops    []func()
}

func (s *services) stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}

func run() error {
	// If make (our parent) is killed, hear about it and clean up too.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0)
	args := os.Args[1:]
	if len(args) < 3 || (args[0] != "run" && args[0] != "test") || args[1] != "--" {
		return errors.New("usage: kindred-dev run|test -- COMMAND [ARGS...]")
	}
	s := &services{temp: args[0] == "test"}
	if s.temp {
		dir, err := os.MkdirTemp("", "kindred-test-")
		if err != nil {
			return err
		}
		s.dataDir = dir
		s.stops = append(s.stops, func() { os.RemoveAll(dir) })
	} else {
		abs, err := filepath.Abs(".data")
		if err != nil {
			return err
		}
		s.dataDir = abs
		if err := os.MkdirAll(abs, 0o755); err != nil {
			return err
		}
	}
	defer s.stop()

	// Ctrl-C reaches the child through the terminal's process group; we
	// wait for it to exit and then stop the services.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)

	if os.Getenv("DATABASE_URL") == "" {
		if err := s.startPostgres(); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(os.Stderr, "kindred-dev: using DATABASE_URL from the environment")
	}
	if os.Getenv("MEILI_URL") == "" {
		if err := s.startMeili(); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(os.Stderr, "kindred-dev: using MEILI_URL from the environment")
		if os.Getenv("MEILI_API_KEY") == "" && os.Getenv("MEILI_MASTER_KEY") != "" {
			key, err := appKey(os.Getenv("MEILI_URL"), os.Getenv("MEILI_MASTER_KEY"), s.temp)
			if err != nil {
				return err
			}
			s.env = append(s.env, "MEILI_API_KEY="+key)
		}
	}
	s.setDefault("KINDRED_DOCUMENT_DIR", filepath.Join(s.dataDir, "documents"))
	s.setDefault("KINDRED_IMAGE_DIR", filepath.Join(s.dataDir, "images"))
	switch {
	case s.temp && os.Getenv("S3_TEST_ENDPOINT") == "":
		if err := s.startS3(); err != nil {
			return err
		}
	case s.temp:
		fmt.Fprintln(os.Stderr, "kindred-dev: using S3_TEST_ENDPOINT from the environment")
	case os.Getenv("KINDRED_STORAGE") == "s3" && os.Getenv("KINDRED_S3_ENDPOINT") == "":
		if err := s.startS3(); err != nil {
			return err
		}
	}
	if !s.temp {
		secret, err := s.persistentSecret("secret-key")
		if err != nil {
			return err
		}
		s.setDefault("KINDRED_SECRET_KEY", secret)
		s.setDefault("KINDRED_MIGRATE_ON_START", "true")
		s.setDefault("KINDRED_ADDR", "127.0.0.1:8080")
		s.setDefault("KINDRED_BASE_URL", "http://localhost:8080")
		s.setDefault("KINDRED_LOG_FORMAT", "text")
	}

	cmd := exec.Command(args[2], args[3:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), s.env...)
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case sig := <-sigs:
		_ = cmd.Process.Signal(sig)
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			err = <-done
		}
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		s.stop()
		s.stops = nil
		os.Exit(exit.ExitCode())
	}
	return err
}

func (s *services) setDefault(name, value string) {
	if os.Getenv(name) == "" {
		s.env = append(s.env, name+"="+value)
	}
}

func (s *services) persistentSecret(name string) (string, error) {
	p := filepath.Join(s.dataDir, name)
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	v := randomHex(32)
	return v, os.WriteFile(p, []byte(v+"\n"), 0o600)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// asPostgres runs a PostgreSQL tool; initdb refuses root, so as root it
// runs as the postgres user.
func asPostgres(name string, args ...string) *exec.Cmd {
	bin := filepath.Join(pgBinDir, name)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

func chownPostgres(path string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("the postgres user is missing: install PostgreSQL 15 (apt-get install postgresql-15): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

func (s *services) startPostgres() error {
	if _, err := os.Stat(filepath.Join(pgBinDir, "initdb")); err != nil {
		return fmt.Errorf("PostgreSQL 15 server binaries not found in %s: run `make deps` (or apt-get install postgresql-15), or set DATABASE_URL", pgBinDir)
	}
	pgdir := filepath.Join(s.dataDir, "postgres")
	if err := os.MkdirAll(pgdir, 0o700); err != nil {
		return err
	}
	// The postgres user must be able to reach its data directory.
	_ = os.Chmod(s.dataDir, 0o755)
	if err := chownPostgres(pgdir); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(pgdir, "PG_VERSION")); err != nil {
		out, err := asPostgres("initdb", "-D", pgdir, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "-U", "postgres").CombinedOutput()
		if err != nil {
			return fmt.Errorf("initdb: %v\n%s", err, out)
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s", port, pgdir)
	if s.temp {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
	}
	logFile := filepath.Join(pgdir, "server.log")
	out, err := asPostgres("pg_ctl", "-D", pgdir, "-l", logFile, "-w", "-t", "60", "-o", opts, "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl start: %v\n%s\n(see %s)", err, out, logFile)
	}
	s.stops = append(s.stops, func() {
		_ = asPostgres("pg_ctl", "-D", pgdir, "-w", "-m", "fast", "stop").Run()
	})
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	url := admin
	if !s.temp {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		var exists bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'kindred')").Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := conn.Exec(ctx, "CREATE DATABASE kindred"); err != nil {
				return err
			}
		}
		url = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/kindred?sslmode=disable", port)
	}
	fmt.Fprintf(os.Stderr, "kindred-dev: PostgreSQL on 127.0.0.1:%d\n", port)
	s.env = append(s.env, "DATABASE_URL="+url)
	return nil
}

func (s *services) startMeili() error {
	bin, err := filepath.Abs(meiliBinary)
	if err != nil {
		return err
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != meiliVersion {
		return fmt.Errorf("%s is missing or not %q: run `make deps`, or set MEILI_URL and MEILI_API_KEY", meiliBinary, meiliVersion)
	}
	var master string
	if s.temp {
		master = randomHex(24)
	} else if master, err = s.persistentSecret("meili-master-key"); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	dbPath := filepath.Join(s.dataDir, "meilisearch")
	logf, err := os.Create(filepath.Join(s.dataDir, "meilisearch.log"))
	if err != nil {
		return err
	}
	// The master key goes in a file only its owner can read: on the
	// command line anyone on the machine would see it in the process list.
	conf, err := writeMeiliConfig(s.dataDir, master)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, meiliArgs(dbPath, fmt.Sprintf("127.0.0.1:%d", port), conf)...)
	// Meilisearch reads MEILI_* variables before its file: none may reach it.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MEILI_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Ctrl-C is ours to forward, in order
	if err := cmd.Start(); err != nil {
		return err
	}
	s.stopLater(cmd, logf)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("meilisearch did not start; see %s", logf.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
	key, err := appKey(url, master, s.temp)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "kindred-dev: Meilisearch on %s\n", url)
	s.meiliPID = cmd.Process.Pid
	s.env = append(s.env, "MEILI_URL="+url, "MEILI_API_KEY="+key)
	if s.temp {
		// Tests of key handling need the master key of their throwaway
		// instance; Kindred itself runs with the limited key only.
		s.env = append(s.env, "MEILI_MASTER_KEY="+master)
	}
	return nil
}

// meiliArgs is Meilisearch's command line: no secret on it.
func meiliArgs(dbPath, addr, configFile string) []string {
	return []string{"--config-file-path", configFile, "--db-path", dbPath, "--http-addr", addr,
		"--no-analytics", "--max-indexing-threads", "2", "--max-indexing-memory", meiliIndexingMemory, "--env", "development"}
}

// writeMeiliConfig writes Meilisearch's configuration file, holding the
// master key, readable by its owner only.
func writeMeiliConfig(dir, master string) (string, error) {
	p := filepath.Join(dir, "meilisearch.toml")
	if err := os.WriteFile(p, []byte("master_key = \""+master+"\"\n"), 0o600); err != nil {
		return "", err
	}
	return p, os.Chmod(p, 0o600) // an older file keeps its mode on rewrite
}

// appKey makes (or finds) the non-master key the app uses.
func appKey(url, master string, temp bool) (string, error) {
	pattern := "kindred*"
	if temp {
		pattern = "*" // each test run names its own indexes
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return search.EnsureAppKey(ctx, url, master, pattern)
}

// startS3 runs versitygw on a free loopback port over a directory of its
// own. For tests it gets random credentials and the S3_TEST_* variables
// name it (each test makes its own bucket); for `make run` the credentials
// persist under .data/ and Kindred gets a bucket of its own.
func (s *services) startS3() error {
	bin, err := filepath.Abs(versityGWBinary)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s is missing: run `scripts/deps.sh test`, or set S3_TEST_ENDPOINT (and S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY)", versityGWBinary)
	}
	access, secret := "test"+randomHex(6), randomHex(24)
	if !s.temp {
		if access, err = s.persistentSecret("s3-access-key"); err != nil {
			return err
		}
		if secret, err = s.persistentSecret("s3-secret-key"); err != nil {
			return err
		}
	}
	dir := filepath.Join(s.dataDir, "s3")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logf, err := os.Create(filepath.Join(s.dataDir, "s3.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, versityGWArgs(addr, dir)...)
	// The credentials go in its environment, never on its command line.
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+access, "ROOT_SECRET_ACCESS_KEY="+secret)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	s.stopLater(cmd, logf)
	endpoint := "http://" + addr
	client, err := minio.New(addr, &minio.Options{Creds: credentials.NewStaticV4(access, secret, ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, err := client.ListBuckets(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("the S3 server did not start: %v; see %s", err, logf.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "kindred-dev: S3 (versitygw) on %s\n", endpoint)
	s.s3PID = cmd.Process.Pid
	if s.temp {
		s.env = append(s.env, "S3_TEST_ENDPOINT="+endpoint, "S3_TEST_REGION=us-east-1",
			"S3_TEST_ACCESS_KEY="+access, "S3_TEST_SECRET_KEY="+secret)
		return nil
	}
	ok, err := client.BucketExists(ctx, runBucket)
	if err != nil {
		return err
	}
	if !ok {
		if err := client.MakeBucket(ctx, runBucket, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
			return err
		}
	}
	s.env = append(s.env, "KINDRED_S3_ENDPOINT="+endpoint, "KINDRED_S3_REGION=us-east-1", "KINDRED_S3_BUCKET="+runBucket,
		"KINDRED_S3_ACCESS_KEY="+access, "KINDRED_S3_SECRET_KEY="+secret, "KINDRED_S3_USE_PATH_STYLE=true")
	return nil
}

// versityGWArgs is versitygw's command line: listen on addr, keep buckets
// as directories under dir, no request log.
func versityGWArgs(addr, dir string) []string {
	return []string{"--port", addr, "--quiet", "posix", dir}
}

// stopLater stops a service process with the others: SIGTERM, then
// SIGKILL if it has not exited within 10 s; then closes its log.
func (s *services) stopLater(cmd *exec.Cmd, logf *os.File) {
	s.stops = append(s.stops, func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
}
