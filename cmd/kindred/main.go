// Command kindred runs the Kindred server and its maintenance tasks.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/kindred-health/kindred/app/safety"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/images"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/app/server"
	"github.com/kindred-health/kindred/models"
)

func main() {
	images.ServeHEICChild() // in the HEIC-decoding child, decodes and exits
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kindred:", err)
		os.Exit(1)
	}
}

const usage = `usage: kindred <command>

commands:
  serve                 run the web server and background jobs
  migrate up|down|status
                        apply, roll back (one step) or list schema migrations
  create-admin --handle NAME [--email ADDR]
                        create an admin (or promote NAME); the password is read
                        from KINDRED_ADMIN_PASSWORD or the first line of stdin
  seed-demo             add demo accounts (skips those that exist)
  reindex               rebuild the search index from PostgreSQL and swap it in
  search verify [--fix] compare the search index with PostgreSQL (and repair it)
  backup verify         after a restore: check the schema, that every proof
                        document is in the store, and the search index
  ready [URL]           exit 0 if the server at URL (default: this host's
                        KINDRED_ADDR) answers /readyz with 200: a container
                        health check without curl
  safety eval [--detector D] [--split dev|test] [--misses] [--json] [FILE]
                        measure the safety engine on its corpus or on a labelled
                        file (one "label<TAB>text" per line)
  safety eval --cross [--detector D]
                        leave each development file out of the model's training
                        in turn and read it (crisis, urgent)
  safety check          print what the safety engine finds in the text on stdin
  storage copy local|s3 local|s3
                        copy every proof document a credential names from one
                        store to the other (checked byte for byte; run it again
                        to catch up; deletes nothing)
  sso relink --provider KEY --from ISSUER --to ISSUER [--to-provider KEY]
             [--map FILE.csv] [--apply]
                        move sign-in identities to a new provider's issuer when
                        the organisation changes provider (counts only without
                        --apply; never automatic)
  mail suppress ADDRESS [bounce|complaint|manual]
  mail unsuppress ADDRESS
                        stop (or resume) notification e-mail to an address that
                        bounced or complained, when the mail provider cannot
                        call POST /hooks/email

Settings come from the environment; see README.md.`

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	switch args[0] {
	case "serve":
		return serve(ctx, getenv, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout, stderr)
	case "create-admin":
		return createAdmin(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "seed-demo":
		return seedDemo(ctx, getenv, stdout, stderr)
	case "reindex":
		return reindex(ctx, getenv, stdout, stderr)
	case "safety":
		return safetyCommand(args[1:], stdin, stdout, stderr)
	case "ready":
		return ready(ctx, args[1:], getenv, stdout)
	case "backup":
		if len(args) < 2 || args[1] != "verify" {
			return fmt.Errorf("usage: kindred backup verify")
		}
		return backupVerify(ctx, getenv, stdout, stderr)
	case "storage":
		return storageCommand(ctx, args[1:], getenv, stdout, stderr)
	case "sso":
		return ssoCommand(ctx, args[1:], getenv, stdout, stderr)
	case "mail":
		return mailCommand(ctx, args[1:], getenv, stdout, stderr)
	case "search":
		if len(args) < 2 || args[1] != "verify" {
			return fmt.Errorf("usage: kindred search verify [--fix]")
		}
		return verifySearch(ctx, getenv, len(args) > 2 && args[2] == "--fix", stdout, stderr)
	}
	return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func openDB(ctx context.Context, cfg *config.Config, log *slog.Logger) (*database.DB, error) {
	return openDBWarm(ctx, cfg, log, 0)
}

// openDBWarm is openDB with warm connections opened in the background
// (database.Options.WarmConns): serve's, which needs several at once.
func openDBWarm(ctx context.Context, cfg *config.Config, log *slog.Logger, warm int32) (*database.DB, error) {
	return database.Open(ctx, cfg.DatabaseURL, database.Options{MaxConns: cfg.DBMaxConns, SlowQuery: cfg.DBSlowQuery, Logger: log,
		ReplicaURL: cfg.ReplicaDatabaseURL, WarmConns: warm})
}

func serve(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if cfg.MeiliAPIKey == "" {
		// Run with a key limited to our own indexes, never the master key.
		key, err := appKey(ctx, cfg, log)
		if err != nil {
			return err
		}
		cfg.MeiliAPIKey, cfg.MeiliMasterKey = key, ""
	}
	began := time.Now()
	db, err := openDBWarm(ctx, cfg, log, 3)
	if err != nil {
		return err
	}
	defer db.Close()
	opened := time.Now()
	pending, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if pending > 0 {
		if !cfg.MigrateOnStart {
			return fmt.Errorf("%d database migration(s) pending: run `kindred migrate up`, or set KINDRED_MIGRATE_ON_START=true", pending)
		}
		if err := db.MigrateUp(ctx, logWriter{log}); err != nil {
			return err
		}
	}
	if getenv("GOGC") == "" {
		// Kindred's heap is small and short-lived: trading a little memory
		// for far fewer collections roughly doubled page throughput here.
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		// ... but only up to a point: past the soft limit the collector
		// runs as often as it must to stay under it. What stays live is
		// about 20 MB serving pages (the safety engine's models and
		// tables, the templates of the pages served, the pools), up to
		// 10 MB more once the safety engine's word caches fill, plus the
		// page cache.
		debug.SetMemoryLimit(memoryLimit(cfg.PageCacheMB))
	} else if msg := pageCacheFits(debug.SetMemoryLimit(-1), cfg.PageCacheMB); msg != "" {
		log.Warn(msg, "page_cache_mb", cfg.PageCacheMB, "gomemlimit_mib", debug.SetMemoryLimit(-1)>>20)
	}
	checked := time.Now()
	app, err := server.New(cfg, server.Deps{DB: db, Log: log})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           app.Echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	// Event streams never end by themselves: Shutdown would wait for them.
	srv.RegisterOnShutdown(app.Live.Close)
	// Listen first: requests need only PostgreSQL (readiness says so).
	// What follows runs while the first requests are answered: the page
	// templates are parsed (a broken one stops the app), search settings
	// and the document store are checked, workers and the page cache's
	// listener start (the cache stores nothing until it listens).
	l, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(l) }()
	// What the start cost, from opening the database to listening (the
	// process's own start and Meilisearch's key, before it, are not in it).
	log.Info("kindred accepting", "addr", l.Addr().String(), "open_ms", ms(opened.Sub(began)), "migration_check_ms", ms(checked.Sub(opened)),
		"wiring_ms", ms(time.Since(checked)))
	go func() {
		if err := app.ParseTemplates(); err != nil {
			errc <- err
		}
	}()
	go func() {
		if err := app.PrepareSearch(ctx); err != nil {
			log.WarnContext(ctx, "search index not ready yet; the settings job will retry", "error", err.Error())
		}
		// A store that does not answer affects proof documents only: say
		// so now rather than on the first upload, and serve the rest.
		if err := app.CheckDocuments(ctx); err != nil {
			log.WarnContext(ctx, "document store not reachable: proof documents cannot be uploaded or viewed until it is", "store", fmt.Sprint(app.Documents), "error", err.Error())
		} else {
			log.InfoContext(ctx, "proof documents", "store", fmt.Sprint(app.Documents))
		}
	}()
	// The safety engine reads its stored models and builds its rule
	// tables once the server listens, not on a member's first post.
	go safety.Warm()
	stopWorkers, err := app.StartWorkers(ctx)
	if err != nil {
		_ = srv.Close()
		return err
	}
	app.StartPageCache(ctx)
	if cfg.PprofAddr != "" {
		servePprof(ctx, log, cfg.PprofAddr)
	}
	log.Info("kindred listening", "addr", cfg.Addr, "base_url", cfg.BaseURL.String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		log.Warn("http shutdown", "error", err.Error())
	}
	if err := stopWorkers(shutCtx); err != nil {
		log.Warn("workers shutdown", "error", err.Error())
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// baseMemoryMiB is the soft memory limit `serve` sets, before the page
// cache's share, when GOMEMLIMIT is not given.
const baseMemoryMiB = 40

func memoryLimit(pageCacheMB int) int64 { return int64(baseMemoryMiB+pageCacheMB) << 20 }

// pageCacheFits says what is wrong when an operator's GOMEMLIMIT (limit,
// in bytes) leaves the page cache too little room: the cache fills to its
// size and the rest of Kindred needs about baseMemoryMiB, so below their
// sum the collector runs nearly all the time. "" when it fits.
func pageCacheFits(limit int64, pageCacheMB int) string {
	if limit <= 0 || limit == math.MaxInt64 || pageCacheMB <= 0 {
		return ""
	}
	if limit < memoryLimit(pageCacheMB) {
		return fmt.Sprintf("GOMEMLIMIT is below the page cache (KINDRED_PAGE_CACHE_MB) plus the %d MiB the rest of Kindred keeps: raise GOMEMLIMIT or lower the page cache, or pages will slow down as the collector runs all the time", baseMemoryMiB)
	}
	return ""
}

// servePprof serves Go's profiler on a loopback address of its own until
// ctx ends (KINDRED_PPROF_ADDR; config refuses other addresses).
func servePprof(ctx context.Context, log *slog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("profiler", "error", err.Error())
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("profiler listening", "addr", addr)
}

// logWriter turns migration progress lines into log records.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info("migration", "step", strings.TrimSpace(string(p)))
	return len(p), nil
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return errors.New("usage: kindred migrate up|down|status")
	}
	cfg, err := config.LoadDatabaseOnly(getenv)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	switch args[0] {
	case "up":
		if err := db.MigrateUp(ctx, stdout); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "database is up to date")
		return nil
	case "down":
		return db.MigrateDown(ctx, stdout)
	case "status":
		st, err := db.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%-8s %s\n", state, s.Source)
		}
		return nil
	}
	return fmt.Errorf("unknown migrate step %q: use up, down or status", args[0])
}

func flagValue(args []string, name string) (string, error) {
	for i := 0; i < len(args); i++ {
		if args[i] == name {
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", name)
			}
			return args[i+1], nil
		}
		if v, ok := strings.CutPrefix(args[i], name+"="); ok {
			return v, nil
		}
	}
	return "", nil
}

// accountService is the auth service for command-line account work, which
// starts no sessions and sends no mail.
func accountService(db *database.DB, log *slog.Logger) *auth.Service {
	return auth.New(db, time.Now, log, auth.Options{})
}

func createAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	handle, err := flagValue(args, "--handle")
	if err != nil {
		return err
	}
	email, err := flagValue(args, "--email")
	if err != nil {
		return err
	}
	if handle == "" {
		return errors.New("usage: kindred create-admin --handle NAME [--email ADDR] (password from KINDRED_ADMIN_PASSWORD or stdin)")
	}
	password := getenv("KINDRED_ADMIN_PASSWORD")
	if password == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
	}
	cfg, err := config.LoadDatabaseOnly(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if n, err := db.Pending(ctx); err != nil || n > 0 {
		if err != nil {
			return err
		}
		return fmt.Errorf("%d database migration(s) pending: run `kindred migrate up` first", n)
	}
	u, created, err := accountService(db, log).CreateAdmin(ctx, handle, email, password)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		var lines []string
		for f, m := range verr.Fields {
			lines = append(lines, f+": "+m)
		}
		return errors.New("cannot create admin:\n  " + strings.Join(lines, "\n  "))
	}
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stdout, "created admin %s (id %d)\n", u.Handle, u.ID)
	} else {
		fmt.Fprintf(stdout, "promoted %s (id %d) to admin and set its password\n", u.Handle, u.ID)
	}
	return nil
}

// appKey finds or creates the Meilisearch key serve runs with. Search is
// not needed to serve (readiness is PostgreSQL's), so an unreachable or hung
// Meilisearch does not stop the start: the key's value is worked out from
// the master key, and the key is created in the background once
// Meilisearch answers; until then search answers 503 and index jobs wait.
// A master key Meilisearch refuses is a setting to fix and stops the start.
func appKey(ctx context.Context, cfg *config.Config, log *slog.Logger) (string, error) {
	url, master, pattern, timeout := cfg.MeiliURL, cfg.MeiliMasterKey, cfg.MeiliPrefix+"*", cfg.SearchTimeout
	ensure := func() (string, error) {
		bounded, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return search.EnsureAppKey(bounded, url, master, pattern)
	}
	key, err := ensure()
	if err == nil {
		return key, nil
	}
	if search.IsRefused(err) {
		return "", fmt.Errorf("%w (check MEILI_MASTER_KEY)", err)
	}
	log.WarnContext(ctx, "Meilisearch does not answer: serving without search until it does", "error", err.Error())
	go func() {
		wait := time.Second
		for {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			_, err := ensure()
			if err == nil {
				log.InfoContext(ctx, "Meilisearch answers: the application key is ready")
				return
			}
			if search.IsRefused(err) {
				log.ErrorContext(ctx, "Meilisearch refuses MEILI_MASTER_KEY: search stays off until the setting is fixed and Kindred restarted", "error", err.Error())
				return
			}
			wait = min(2*wait, 10*time.Second)
		}
	}()
	return search.AppKey(master, pattern), nil
}

// searchTools opens what reindex and verify need.
func searchTools(ctx context.Context, getenv func(string) string, stderr io.Writer) (*database.DB, *forums.Documents, *search.Client, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, nil, nil, err
	}
	log := newLogger(cfg, stderr)
	if cfg.MeiliAPIKey == "" {
		bounded, cancel := context.WithTimeout(ctx, cfg.SearchTimeout)
		key, err := search.EnsureAppKey(bounded, cfg.MeiliURL, cfg.MeiliMasterKey, cfg.MeiliPrefix+"*")
		cancel()
		if err != nil {
			return nil, nil, nil, err
		}
		cfg.MeiliAPIKey = key
	}
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, err
	}
	fs := forums.NewDocuments(db, time.Now)
	client := search.New(cfg.MeiliURL, cfg.MeiliAPIKey, cfg.MeiliPrefix, cfg.SearchTimeout, search.NewSynonyms(db).Groups)
	return db, fs, client, nil
}

// verifySearch reports documents missing from the index, stale ones and
// forbidden ones (threads that are not visible); with fix it repairs them.
func verifySearch(ctx context.Context, getenv func(string) string, fix bool, stdout, stderr io.Writer) error {
	db, fs, client, err := searchTools(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := client.Verify(ctx, fs, fix)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "search verify: %d documents expected, %d indexed; %d missing, %d stale, %d forbidden\n",
		r.Expected, r.Documents, len(r.Missing), len(r.Stale), len(r.Forbidden))
	if !fix {
		if !r.Clean() {
			return fmt.Errorf("the search index differs from PostgreSQL: run `kindred search verify --fix` or `kindred reindex`")
		}
		return nil
	}
	fmt.Fprintf(stdout, "search verify: repaired %d and removed %d\n", len(r.Missing)+len(r.Stale), len(r.Forbidden))
	return nil
}

// reindex rebuilds the search index from PostgreSQL and swaps it in
// atomically: searches keep working, on the old index, until the swap.
func reindex(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	db, fs, client, err := searchTools(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	threads, docs, r, err := client.Rebuild(ctx, fs, search.BatchSize)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reindex: %d threads indexed and swapped in (%d post documents, %s); %d documents changed meanwhile and were caught up\n",
		threads, docs, time.Since(start).Round(time.Millisecond), len(r.Missing)+len(r.Stale)+len(r.Forbidden))
	return nil
}

// ms is a duration in milliseconds, to a tenth, for the log.
func ms(d time.Duration) float64 { return float64(d.Microseconds()/100) / 10 }
