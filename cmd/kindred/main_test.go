package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meilisearch/meilisearch-go"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

func envFrom(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, envFrom(env), strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

func TestHelpAndUnknownCommand(t *testing.T) {
	t.Parallel()
	out, err := runCmd(t, nil, "", "help")
	if err != nil || !strings.Contains(out, "create-admin") || !strings.Contains(out, "seed-demo") {
		t.Fatalf("help: %v %q", err, out)
	}
	if _, err := runCmd(t, nil, "", "frobnicate"); err == nil || !strings.Contains(err.Error(), `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: %v", err)
	}
}

func TestServeNamesMissingSettings(t *testing.T) {
	t.Parallel()
	_, err := runCmd(t, map[string]string{}, "", "serve")
	if err == nil {
		t.Fatal("serve started without configuration")
	}
	for _, name := range []string{"DATABASE_URL", "MEILI_URL", "MEILI_API_KEY", "KINDRED_SECRET_KEY"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestMigrateCommands(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": testenv.EmptyDatabaseURL(t)}
	out, err := runCmd(t, env, "", "migrate", "status")
	if err != nil || !strings.Contains(out, "pending  00001_accounts.sql") || !strings.Contains(out, "pending  river") {
		t.Fatalf("status before: %v\n%s", err, out)
	}
	out, err = runCmd(t, env, "", "migrate", "up")
	if err != nil || !strings.Contains(out, "applied 00001_accounts.sql") || !strings.Contains(out, "database is up to date") {
		t.Fatalf("up: %v\n%s", err, out)
	}
	out, err = runCmd(t, env, "", "migrate", "status")
	if err != nil || strings.Contains(out, "\npending ") || strings.HasPrefix(out, "pending ") || !strings.Contains(out, "applied  00001_accounts.sql") {
		t.Fatalf("status after up: %v\n%s", err, out)
	}
	out, err = runCmd(t, env, "", "migrate", "down")
	if err != nil || !strings.HasPrefix(out, "rolled back 000") {
		t.Fatalf("down: %v\n%s", err, out)
	}
	if _, err := runCmd(t, env, "", "migrate", "sideways"); err == nil {
		t.Fatal("unknown migrate step accepted")
	}
}

func serveEnv(t *testing.T, dbURL string) map[string]string {
	meiliURL, key, prefix := testenv.Meili(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return map[string]string{
		"DATABASE_URL": dbURL, "MEILI_URL": meiliURL, "MEILI_API_KEY": key, "KINDRED_MEILI_INDEX_PREFIX": prefix,
		"KINDRED_SECRET_KEY": hex.EncodeToString(secret), "KINDRED_ADDR": addr, "KINDRED_BASE_URL": "http://" + addr,
		"KINDRED_DOCUMENT_DIR": t.TempDir(), "KINDRED_IMAGE_DIR": t.TempDir(),
	}
}

func TestServeRefusesPendingMigrations(t *testing.T) {
	t.Parallel()
	env := serveEnv(t, testenv.EmptyDatabaseURL(t))
	_, err := runCmd(t, env, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "migration(s) pending") || !strings.Contains(err.Error(), "KINDRED_MIGRATE_ON_START") {
		t.Fatalf("serve with pending migrations: %v", err)
	}
}

func TestServeMigratesOnStartAndShutsDownGracefully(t *testing.T) {
	t.Parallel()
	env := serveEnv(t, testenv.EmptyDatabaseURL(t))
	env["KINDRED_MIGRATE_ON_START"] = "true"
	// Given only the master key, serve makes and uses a limited key.
	testenv.Require(t, "MEILI_MASTER_KEY")
	delete(env, "MEILI_API_KEY")
	env["MEILI_MASTER_KEY"] = os.Getenv("MEILI_MASTER_KEY")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var out, errOut bytes.Buffer
		done <- run(ctx, []string{"serve"}, envFrom(env), strings.NewReader(""), &out, &errOut)
	}()
	url := "http://" + env["KINDRED_ADDR"] + "/readyz"
	// Fifty-odd migrations run first: under a second on a quiet machine,
	// more than 30 s with the whole suite on two cores.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not become ready")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Without GOMEMLIMIT, serve bounds its memory: the base and the
	// default page cache (16 MB).
	if got, want := debug.SetMemoryLimit(-1), int64(56<<20); got != want {
		t.Errorf("soft memory limit %d MiB, want %d MiB", got>>20, want>>20)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestCreateAdminAndSeedDemo(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DATABASE_URL": testenv.DatabaseURL(t)}
	if _, err := runCmd(t, env, "short\n", "create-admin", "--handle", "head_nurse"); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Fatalf("weak password: %v", err)
	}
	if _, err := runCmd(t, env, "", "create-admin"); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("no handle: %v", err)
	}
	out, err := runCmd(t, env, "a long admin passphrase\n", "create-admin", "--handle", "head_nurse", "--email", "nurse@example.org")
	if err != nil || !strings.Contains(out, "created admin head_nurse") {
		t.Fatalf("create: %v %q", err, out)
	}
	env2 := map[string]string{"DATABASE_URL": env["DATABASE_URL"], "KINDRED_ADMIN_PASSWORD": "another long passphrase"}
	out, err = runCmd(t, env2, "", "create-admin", "--handle=HEAD_NURSE")
	if err != nil || !strings.Contains(out, "promoted head_nurse") {
		t.Fatalf("promote: %v %q", err, out)
	}
	out, err = runCmd(t, env, "", "seed-demo")
	if err != nil || !strings.Contains(out, "13 account(s) added") || !strings.Contains(out, "9 forums") {
		t.Fatalf("seed: %v %q", err, out)
	}
	out, err = runCmd(t, env, "", "seed-demo")
	if err != nil || !strings.Contains(out, "0 account(s) added") || !strings.Contains(out, "forums already exist") {
		t.Fatalf("seed again: %v %q", err, out)
	}
	db, err := database.Open(context.Background(), env["DATABASE_URL"], database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var users int64
	db.Gorm.Model(&models.User{}).Count(&users)
	if users != 14 {
		t.Fatalf("%d users, want head_nurse and thirteen demo accounts", users)
	}
	var convs, msgs int64
	db.Gorm.Raw(`SELECT count(*) FROM conversations`).Scan(&convs)
	db.Gorm.Raw(`SELECT count(*) FROM messages`).Scan(&msgs)
	if convs != 2 || msgs != 3 {
		t.Errorf("%d demo conversations with %d messages, want 2 with 3", convs, msgs)
	}
	var sensitiveAnon, threads int64
	db.Gorm.Model(&models.Thread{}).Count(&threads)
	db.Gorm.Raw(`SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id JOIN forums f ON f.id = t.forum_id WHERE p.anonymous AND NOT f.sensitive`).Scan(&sensitiveAnon)
	var tagged int64
	db.Gorm.Raw(`SELECT count(*) FROM threads WHERE cardinality(tags) > 0`).Scan(&tagged)
	if tagged != 15 {
		t.Errorf("%d demo threads with tags, want 15", tagged)
	}
	if threads < 25 || sensitiveAnon != 0 {
		t.Fatalf("%d threads, %d anonymous posts outside sensitive forums", threads, sensitiveAnon)
	}
	var admins int64
	db.Gorm.Model(&models.User{}).Where("role = 'admin'").Count(&admins)
	if admins != 2 {
		t.Fatalf("%d admins, want head_nurse and demo_admin", admins)
	}
	var audits int64
	db.Gorm.Model(&models.AuditEvent{}).Count(&audits)
	if audits != 30 {
		t.Fatalf("%d audit events, want 30 (2 create-admin, 13 accounts, 9 forums, 1 licensing board, 3 applications, 2 approvals)", audits)
	}
	var verified, pending, answered, clinicianPosts int64
	db.Gorm.Model(&models.Credential{}).Where("status = 'verified'").Count(&verified)
	db.Gorm.Model(&models.Credential{}).Where("status = 'pending'").Count(&pending)
	db.Gorm.Model(&models.Thread{}).Where("has_clinician_answer").Count(&answered)
	db.Gorm.Model(&models.Post{}).Where("author_was_clinician").Count(&clinicianPosts)
	var asked, offered int64
	db.Gorm.Model(&models.Question{}).Where("status = 'answered'").Count(&asked)
	db.Gorm.Model(&models.Question{}).Where("status = 'offered'").Count(&offered)
	var reports int64
	db.Gorm.Model(&models.Report{}).Where("status = 'open'").Count(&reports)
	if asked != 1 || offered != 1 || reports != 1 {
		t.Fatalf("demo questions: %d answered, %d offered; %d open reports", asked, offered, reports)
	}
	if verified != 2 || pending != 1 || answered != 5 || clinicianPosts != 6 {
		t.Fatalf("demo clinicians: %d verified, %d pending, %d answered threads, %d clinician posts", verified, pending, answered, clinicianPosts)
	}
}

// TestReindexWithTheMasterKey: given only MEILI_MASTER_KEY (what README,
// docker-compose and `make run` use), Kindred makes itself a key limited
// to its own indexes, which cannot see the swap task; reindex still
// finishes the swap, catches up and exits 0.
func TestReindexWithTheMasterKey(t *testing.T) {
	t.Parallel()
	testenv.Require(t, "MEILI_MASTER_KEY")
	env := serveEnv(t, testenv.DatabaseURL(t))
	env["MEILI_API_KEY"], env["MEILI_MASTER_KEY"] = "", os.Getenv("MEILI_MASTER_KEY")
	if _, err := runCmd(t, env, "", "seed-demo"); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, env, "", "reindex")
	if err != nil || !strings.Contains(out, "33 threads indexed and swapped in") || !strings.Contains(out, "were caught up") {
		t.Fatalf("reindex with the master key: %v %q", err, out)
	}
	// The key it ran with is limited to this deployment's indexes (so the
	// swap task was invisible to it: the path this test is about).
	key, err := search.EnsureAppKey(context.Background(), env["MEILI_URL"], env["MEILI_MASTER_KEY"], env["KINDRED_MEILI_INDEX_PREFIX"]+"*")
	if err != nil {
		t.Fatal(err)
	}
	c := search.New(env["MEILI_URL"], key, env["KINDRED_MEILI_INDEX_PREFIX"], 0, nil)
	all := []string{models.AudiencePublic, models.AudienceMembers, models.AudienceClinicians}
	if n, err := threadsFound(c, search.Query{Text: "", Audiences: all}); err != nil || n != 33 {
		t.Fatalf("search with the limited key after reindex: %v, %d threads", err, n)
	}
	swaps := &meilisearch.TasksQuery{Types: []meilisearch.TaskType{meilisearch.TaskTypeIndexSwap}, Limit: 1000}
	seen, err := meilisearch.New(env["MEILI_URL"], meilisearch.WithAPIKey(key)).GetTasksWithContext(context.Background(), swaps)
	if err != nil || len(seen.Results) != 0 {
		t.Fatalf("the key Kindred made for itself sees swap tasks (%v, %+v): this test no longer covers the limited key", err, seen)
	}
}

// threadsFound pages through a search and counts the distinct threads it
// shows (the search's total is an estimate in posts).
func threadsFound(c *search.Client, q search.Query) (int, error) {
	seen := map[int64]bool{}
	for q.Page = 1; q.Page <= search.MaxPage; q.Page++ {
		res, err := c.Search(context.Background(), q)
		if err != nil {
			return 0, err
		}
		for _, h := range res.Hits {
			if seen[h.ID] {
				return 0, fmt.Errorf("thread %d on two pages", h.ID)
			}
			seen[h.ID] = true
		}
		if !res.More {
			break
		}
	}
	return len(seen), nil
}

// TestReindex: `kindred reindex` builds the thread index from PostgreSQL
// (demo data here) and swaps it in; a search then finds the threads, and a
// second run replaces the index again without duplicates.
func TestReindex(t *testing.T) {
	t.Parallel()
	env := serveEnv(t, testenv.DatabaseURL(t))
	if _, err := runCmd(t, env, "", "seed-demo"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		out, err := runCmd(t, env, "", "reindex")
		if err != nil || !strings.Contains(out, "33 threads indexed and swapped in") {
			t.Fatalf("reindex: %v %q", err, out)
		}
	}
	c := search.New(env["MEILI_URL"], env["MEILI_API_KEY"], env["KINDRED_MEILI_INDEX_PREFIX"], 0, nil)
	all := []string{models.AudiencePublic, models.AudienceMembers, models.AudienceClinicians}
	res, err := c.Search(context.Background(), search.Query{Text: "sensor", Audiences: all})
	if err != nil || res.Total != 1 || len(res.Hits) != 1 || res.Hits[0].Title != "First week on a sensor: the beeping at night" {
		t.Fatalf("search after reindex: %v %+v", err, res)
	}
	if n, err := threadsFound(c, search.Query{Text: "", Audiences: all}); err != nil || n != 33 {
		t.Errorf("%d threads found (%v), want 33", n, err)
	}
	// verify: clean; then a stale, a missing and a forbidden document are
	// reported, and --fix repairs them.
	if out, err := runCmd(t, env, "", "search", "verify"); err != nil || !strings.Contains(out, "0 missing, 0 stale, 0 forbidden") {
		t.Fatalf("verify: %v %q", err, out)
	}
	db, err := database.Open(context.Background(), env["DATABASE_URL"], database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The first thread's activity (its head's), the last thread hidden
	// (every post of it), the second thread's first post gone from the
	// index.
	db.Gorm.Exec(`UPDATE threads SET last_post_at = last_post_at + interval '1 hour' WHERE id = (SELECT min(id) FROM threads)`)
	db.Gorm.Exec(`UPDATE threads SET visibility = 'hidden' WHERE id = (SELECT max(id) FROM threads)`)
	var hiddenPosts, secondHead int64
	db.Gorm.Raw(`SELECT count(*) FROM posts WHERE thread_id = (SELECT max(id) FROM threads) AND visibility = 'visible' AND deleted_at IS NULL`).Scan(&hiddenPosts)
	db.Gorm.Raw(`SELECT min(id) FROM posts WHERE thread_id = (SELECT min(id) FROM threads WHERE id > (SELECT min(id) FROM threads))`).Scan(&secondHead)
	ms := meilisearch.New(env["MEILI_URL"], meilisearch.WithAPIKey(env["MEILI_API_KEY"]))
	task, err := ms.Index(env["KINDRED_MEILI_INDEX_PREFIX"]+"_posts").DeleteDocument(models.PostDocID(secondHead), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ms.WaitForTask(task.TaskUID, 10*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, env, "", "search", "verify")
	if want := fmt.Sprintf("1 missing, 1 stale, %d forbidden", hiddenPosts); err == nil || hiddenPosts == 0 || !strings.Contains(out, want) {
		t.Fatalf("verify after changes: %v %q, want %q", err, out, want)
	}
	if out, err := runCmd(t, env, "", "search", "verify", "--fix"); err != nil || !strings.Contains(out, fmt.Sprintf("repaired 2 and removed %d", hiddenPosts)) {
		t.Fatalf("verify --fix: %v %q", err, out)
	}
	if out, err := runCmd(t, env, "", "search", "verify"); err != nil || !strings.Contains(out, "0 missing, 0 stale, 0 forbidden") {
		t.Fatalf("verify after fix: %v %q", err, out)
	}
	// Visitors do not see the sensitive forums' threads.
	if res, _ := c.Search(context.Background(), search.Query{Text: "menopause", Audiences: []string{models.AudiencePublic}}); res.Total != 0 {
		t.Errorf("a visitor's search finds a sensitive thread: %+v", res.Hits)
	}
}

// TestReadyCommand: `kindred ready` (the container health check) exits 0
// only when /readyz answers 200.
func TestReadyCommand(t *testing.T) {
	t.Parallel()
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"postgres":"ok"}`))
	}))
	defer srv.Close()
	if out, err := runCmd(t, nil, "", "ready", srv.URL); err != nil || !strings.Contains(out, `"postgres":"ok"`) {
		t.Fatalf("ready against a ready server: %v %q", err, out)
	}
	status = http.StatusServiceUnavailable
	if _, err := runCmd(t, nil, "", "ready", srv.URL); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("ready against an unready server: %v", err)
	}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	if _, err := runCmd(t, map[string]string{"KINDRED_ADDR": ":" + port}, "", "ready"); err == nil {
		t.Fatal("ready from KINDRED_ADDR against an unready server succeeded")
	}
	srv.Close()
	if _, err := runCmd(t, nil, "", "ready", srv.URL); err == nil {
		t.Fatal("ready with nothing listening succeeded")
	}
}

// TestServeStartsWhileMeilisearchHangs: given only the master key, serve
// must not wait on Meilisearch to make its application key. It starts and
// is ready (readiness is PostgreSQL's), search answers 503 while
// Meilisearch hangs, and once Meilisearch answers again the key is created
// in the background and search works, without a restart.
func TestServeStartsWhileMeilisearchHangs(t *testing.T) {
	t.Parallel()
	m := testenv.NewPrivateMeili(t)
	// A migrated database: the 30 s below are for starting while
	// Meilisearch hangs, not for migrating an empty one (52 migrations
	// took longer than that with the whole suite on the machine).
	env := serveEnv(t, testenv.DatabaseURL(t))
	env["MEILI_URL"], env["MEILI_API_KEY"], env["MEILI_MASTER_KEY"] = m.URL, "", m.Key
	env["KINDRED_SEARCH_TIMEOUT"] = "500ms"
	m.Pause()
	paused := true
	defer func() {
		if paused {
			m.Resume()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncBuffer
	go func() {
		var out bytes.Buffer
		done <- run(ctx, []string{"serve"}, envFrom(env), strings.NewReader(""), &out, &logs)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	base := "http://" + env["KINDRED_ADDR"]
	status := func(path string) int {
		c := http.Client{Timeout: 10 * time.Second}
		res, err := c.Get(base + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitFor := func(what, path string, want int, limit time.Duration) {
		t.Helper()
		deadline := time.Now().Add(limit)
		for status(path) != want {
			select {
			case err := <-done:
				t.Fatalf("serve exited: %v\n%s", err, logs.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s did not answer %d within %s\n%s", what, path, want, limit, logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("start while Meilisearch hangs", "/readyz", http.StatusOK, 30*time.Second)
	if got := status("/api/v1/search?q=insulin"); got != http.StatusServiceUnavailable {
		t.Errorf("search while Meilisearch hangs: %d, want 503", got)
	}
	if !strings.Contains(logs.String(), "Meilisearch does not answer") {
		t.Errorf("serve did not say it started without search:\n%s", logs.String())
	}
	m.Resume()
	paused = false
	waitFor("after Meilisearch came back", "/api/v1/search?q=insulin", http.StatusOK, 60*time.Second)
	// The key is created in the background: search can answer (its value is
	// derived from its UID) a moment before the line is written.
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(logs.String(), "the application key is ready"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the key was not reported created:\n%s", logs.String())
		}
	}
}

// TestServeRefusesAWrongMasterKey: a master key Meilisearch refuses is a
// setting to fix, said at start, not an outage to wait out.
func TestServeRefusesAWrongMasterKey(t *testing.T) {
	t.Parallel()
	m := testenv.NewPrivateMeili(t)
	env := serveEnv(t, testenv.DatabaseURL(t))
	env["MEILI_URL"], env["MEILI_API_KEY"], env["MEILI_MASTER_KEY"] = m.URL, "", "not-the-master-key"
	_, err := runCmd(t, env, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "check MEILI_MASTER_KEY") {
		t.Fatalf("serve with a wrong master key: %v", err)
	}
}

// syncBuffer is a bytes.Buffer safe to write from serve's goroutines while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPageCacheMustFitTheMemoryLimit: an operator's GOMEMLIMIT below the
// page cache plus what the rest keeps gets a warning naming both settings;
// no limit, or one with room, gets none.
func TestPageCacheMustFitTheMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		limit int64
		mb    int
		warn  bool
	}{
		{math.MaxInt64, 512, false}, // no GOMEMLIMIT
		{256 << 20, 64, false},
		{56 << 20, 16, false}, // the default: exactly the sum
		{48 << 20, 16, true},
		{512 << 20, 1024, true},
		{32 << 20, 0, false}, // no page cache
	} {
		msg := pageCacheFits(c.limit, c.mb)
		if (msg != "") != c.warn || (c.warn && (!strings.Contains(msg, "GOMEMLIMIT") || !strings.Contains(msg, "KINDRED_PAGE_CACHE_MB"))) {
			t.Errorf("limit %d MiB, page cache %d MB: %q", c.limit>>20, c.mb, msg)
		}
	}
}
