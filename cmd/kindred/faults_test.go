package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// TestFaults is the fault suite: real `kindred serve` processes (two
// instances on one database), their own PostgreSQL and Meilisearch, and a
// client writing replies through the API at a steady rate, retrying each
// with its Idempotency-Key until it is acknowledged, as a careful client
// does. Each scenario breaks something while the writes go on, repairs it,
// and counts acknowledged writes, lost ones (acknowledged but not in the
// database: must be 0), duplicates (one write saved twice: must be 0),
// answers by status, and how long after the repair writes (and search)
// worked again. `make faults` runs it at length (KINDRED_FAULTS=1); `make
// test` runs a short version.
func TestFaults(t *testing.T) {
	long := os.Getenv("KINDRED_FAULTS") != ""
	if !long {
		t.Parallel()
	}
	outage := 3 * time.Second
	// Bounds on the figures: writes work again this soon after PostgreSQL
	// returns (the 1 s in the long version; looser in the short one, which
	// shares the machine with the rest of the suite), the index catches up
	// this soon, and a search while Meilisearch is broken answers within its
	// 1 s deadline plus this much.
	maxRecovery, maxCaughtUp, searchSlack := 5*time.Second, 30*time.Second, 2*time.Second
	if long {
		outage = 30 * time.Second
		maxRecovery = time.Second
	}
	ctx := context.Background()
	bin := buildKindred(t)
	pg := testenv.NewPrivatePostgres(t)
	meili := testenv.NewPrivateMeili(t)
	env := map[string]string{
		"DATABASE_URL": pg.CreateDatabase("kindred"), "MEILI_URL": meili.URL, "MEILI_MASTER_KEY": meili.Key,
		"KINDRED_MEILI_INDEX_PREFIX": "faults", "KINDRED_SECRET_KEY": randomHex(32), "KINDRED_MIGRATE_ON_START": "true",
		"KINDRED_DOCUMENT_DIR": t.TempDir(), "KINDRED_NEW_MEMBER_APPROVALS": "0", "KINDRED_SEARCH_TIMEOUT": "1s",
		"KINDRED_LOG_FORMAT": "text", "KINDRED_BASE_URL": "http://localhost", "KINDRED_DB_MAX_CONNS": "8",
	}
	if _, err := runCmd(t, env, "", "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, env, "", "seed-demo"); err != nil {
		t.Fatal(err)
	}
	token, threads := faultWriter(t, env)
	apps := []*appProcess{startApp(t, bin, env), startApp(t, bin, env)}
	c := &faultClient{apps: apps, token: token, threads: threads}

	type scenario struct {
		name  string
		fault func() // breaks it
		fix   func() // repairs it
		// search: look at search while broken (and wait for the index
		// to catch up after the repair).
		search bool
		// instant: repaired at once (a restart), not after the outage.
		instant bool
		// postgres: the fault is PostgreSQL's; writes must work again
		// within maxRecovery of its return.
		postgres bool
	}
	scenarios := []scenario{
		{name: "Meilisearch killed (SIGKILL)", fault: meili.Stop, fix: meili.Start, search: true},
		{name: "Meilisearch hung (SIGSTOP)", fault: meili.Pause, fix: meili.Resume, search: true},
		{name: "PostgreSQL restarted (pg_ctl stop -m fast, then start)", fault: pg.Stop, fix: pg.Start, instant: true, postgres: true},
		{name: "PostgreSQL stopped for the outage", fault: pg.Stop, fix: pg.Start, postgres: true},
		{name: "one app instance killed (kill -9)", fault: apps[0].kill, fix: func() { apps[0].start(t) }},
	}
	var report, missed []string
	failed := false
	for i, s := range scenarios {
		fix := s.fix
		var caughtUp chan time.Duration
		if s.search {
			// From the repair until the index has caught up (the queue is
			// empty), measured while the writes go on.
			caughtUp = make(chan time.Duration, 1)
			fix = func() {
				s.fix()
				go func() { caughtUp <- waitSearchCaughtUp(t, env["DATABASE_URL"], 2*time.Minute) }()
			}
		}
		hold := outage
		if s.instant {
			hold = 0
		}
		res := c.run(t, ctx, i, hold, s.fault, fix, s.search)
		if caughtUp != nil {
			res.searchCaughtUp = <-caughtUp
		}
		res.lost, res.duplicates = res.check(t, env["DATABASE_URL"], i)
		failed = failed || res.lost > 0 || res.duplicates > 0
		report = append(report, s.name+": "+res.String())
		// The issue bounds recovery after PostgreSQL returns; after the
		// other faults writes never stopped (Meilisearch) or went on at
		// the other instance (kill -9), and their figure is reported only.
		if s.postgres && res.recovery > maxRecovery {
			missed = append(missed, fmt.Sprintf("%s: writes worked again %s after the repair, above %s", s.name, res.recovery, maxRecovery))
		}
		if s.search && res.searchCaughtUp > maxCaughtUp {
			missed = append(missed, fmt.Sprintf("%s: the index caught up %s after the repair, above %s", s.name, res.searchCaughtUp, maxCaughtUp))
		}
		if s.search && res.slowestSearch > time.Second+searchSlack {
			missed = append(missed, fmt.Sprintf("%s: a search took %s while Meilisearch was broken; its deadline is 1s", s.name, res.slowestSearch))
		}
	}
	for _, line := range report {
		t.Log(line)
	}
	if failed {
		t.Error("writes were lost or duplicated (see above)")
	}
	for _, m := range missed {
		t.Error(m)
	}
}

// buildKindred builds the command under test into the test's directory.
func buildKindred(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "kindred")
	cmd := exec.Command("go", "build", "-o", out, ".")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// faultWriter makes the member who writes and an API token, and lists the
// public threads to reply to.
func faultWriter(t *testing.T, env map[string]string) (string, []int64) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, env["DATABASE_URL"], database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := auth.New(db, time.Now, testenv.Logger(t), auth.Options{Secret: []byte(env["KINDRED_SECRET_KEY"]), BaseURL: env["KINDRED_BASE_URL"], Limits: auth.DefaultLimits})
	u, err := svc.SeedAccount(ctx, "fault_writer", "fault_writer@example.org", "a long and careful passphrase", models.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	// The writer agreed to the terms, as at sign-up (else the API answers
	// consent_required).
	if err := db.Gorm.Exec(`INSERT INTO consents (user_id, kind, version, agreed_at)
		SELECT ?, k, (SELECT max(version) FROM policy_documents WHERE kind = 'privacy'), now() FROM unnest(ARRAY['terms', 'privacy', 'health_data']) k`, u.ID).Error; err != nil {
		t.Fatal(err)
	}
	_, raw, err := svc.CreateAPIToken(ctx, u, auth.TokenForm{Name: "faults", Scope: string(models.ScopeWrite)})
	if err != nil {
		t.Fatal(err)
	}
	var threads []int64
	db.Gorm.Raw(`SELECT t.id FROM threads t JOIN forums f ON f.id = t.forum_id WHERE NOT f.sensitive AND NOT f.clinician_only
		AND t.visibility = 'visible' AND t.state = 'open' ORDER BY t.id LIMIT 8`).Scan(&threads)
	if len(threads) == 0 {
		t.Fatal("no public thread to reply to in the demo data")
	}
	return raw, threads
}

// appProcess is one `kindred serve`.
type appProcess struct {
	bin  string
	env  []string
	addr string
	cmd  *exec.Cmd
	log  *os.File
	mu   sync.Mutex
}

func startApp(t *testing.T, bin string, env map[string]string) *appProcess {
	t.Helper()
	a := &appProcess{bin: bin, addr: testenv.FixedPort(t)}
	for k, v := range env {
		a.env = append(a.env, k+"="+v)
	}
	a.env = append(a.env, "KINDRED_ADDR="+a.addr, "PATH="+os.Getenv("PATH"))
	f, err := os.CreateTemp(t.TempDir(), "serve-*.log")
	if err != nil {
		t.Fatal(err)
	}
	a.log = f
	a.start(t)
	t.Cleanup(func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.cmd != nil {
			_ = a.cmd.Process.Signal(syscall.SIGTERM)
			_ = a.cmd.Wait()
		}
	})
	return a
}

func (a *appProcess) url() string { return "http://" + a.addr }

func (a *appProcess) start(t *testing.T) {
	a.mu.Lock()
	cmd := exec.Command(a.bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = a.env, a.log, a.log
	if err := cmd.Start(); err != nil {
		a.mu.Unlock()
		t.Fatal(err)
	}
	a.cmd = cmd
	a.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		// As a container health check would ask.
		if err := run(context.Background(), []string{"ready", a.url()}, os.Getenv, nil, io.Discard, io.Discard); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("kindred serve did not become ready on %s (log %s)", a.addr, a.log.Name())
}

// kill ends the process with SIGKILL: no shutdown, jobs left running.
func (a *appProcess) kill() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cmd != nil {
		_ = a.cmd.Process.Kill()
		_ = a.cmd.Wait()
		a.cmd = nil
	}
}

// faultClient writes replies through the API with Idempotency-Keys.
type faultClient struct {
	apps    []*appProcess
	token   string
	threads []int64
}

type faultResult struct {
	acked, attempts     int64
	statuses            map[string]int64
	searchStatuses      map[string]int64
	slowestSearch       time.Duration
	recovery            time.Duration // from the repair to the first write acknowledged after it
	searchCaughtUp      time.Duration
	lost, duplicates    int
	ackedKeys           []string
	mu                  sync.Mutex
	repairedAt, firstOK time.Time
}

func (r *faultResult) String() string {
	var st []string
	for k, v := range r.statuses {
		st = append(st, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(st)
	s := fmt.Sprintf("%d writes acknowledged (%d attempts: %s), %d lost, %d duplicated, writes worked again %s after the repair",
		r.acked, r.attempts, strings.Join(st, " "), r.lost, r.duplicates, r.recovery.Round(time.Millisecond))
	if len(r.searchStatuses) > 0 {
		var ss []string
		for k, v := range r.searchStatuses {
			ss = append(ss, fmt.Sprintf("%s×%d", k, v))
		}
		sort.Strings(ss)
		s += fmt.Sprintf("; searches while broken: %s, slowest %s; index caught up %s after the repair",
			strings.Join(ss, " "), r.slowestSearch.Round(time.Millisecond), r.searchCaughtUp.Round(time.Millisecond))
	}
	return s
}

const faultWriters = 4

// run writes at about 20 per second: a second of calm, the fault for
// outage, the repair, then until every write started is acknowledged.
func (c *faultClient) run(t *testing.T, ctx context.Context, scenario int, outage time.Duration, fault, fix func(), search bool) *faultResult {
	t.Helper()
	res := &faultResult{statuses: map[string]int64{}, searchStatuses: map[string]int64{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < faultWriters; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c.write(res, fmt.Sprintf("fk-%d-%d-%d", scenario, w, n), w+n)
				time.Sleep(200 * time.Millisecond)
			}
		}(w)
	}
	searching := make(chan struct{})
	var swg sync.WaitGroup
	time.Sleep(time.Second)
	fault()
	if search {
		swg.Add(1)
		go func() {
			defer swg.Done()
			for {
				select {
				case <-searching:
					return
				case <-time.After(250 * time.Millisecond):
				}
				start := time.Now()
				status := get(c.apps[1].url() + "/api/v1/search?q=fault")
				took := time.Since(start)
				res.mu.Lock()
				res.searchStatuses[status]++
				res.slowestSearch = max(res.slowestSearch, took)
				res.mu.Unlock()
			}
		}()
	}
	time.Sleep(outage)
	close(searching)
	swg.Wait()
	fix()
	res.mu.Lock()
	res.repairedAt = time.Now()
	res.mu.Unlock()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	if !res.firstOK.IsZero() {
		res.recovery = max(res.firstOK.Sub(res.repairedAt), 0)
	}
	return res
}

// write sends one reply until it is acknowledged, moving to the other
// instance when one does not answer.
func (c *faultClient) write(res *faultResult, key string, pick int) {
	body, _ := json.Marshal(map[string]string{"body": "Checking in after my appointment today; the new dose seems to suit me (" + key + ")."})
	thread := c.threads[pick%len(c.threads)]
	deadline := time.Now().Add(3 * time.Minute)
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		app := c.apps[(pick+attempt)%len(c.apps)]
		req, _ := http.NewRequest(http.MethodPost, app.url()+"/api/v1/threads/"+strconv.FormatInt(thread, 10)+"/posts", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Idempotency-Key", key)
		status := "conn_error"
		r, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			status = strconv.Itoa(r.StatusCode)
		}
		res.mu.Lock()
		res.attempts++
		res.statuses[status]++
		ok := status == "201" || status == "200"
		if ok {
			res.acked++
			res.ackedKeys = append(res.ackedKeys, key)
			if !res.repairedAt.IsZero() && res.firstOK.IsZero() {
				res.firstOK = time.Now()
			}
		}
		res.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func get(url string) string {
	r, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		return "conn_error"
	}
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return strconv.Itoa(r.StatusCode)
}

var faultKey = regexp.MustCompile(`\((fk-\d+-\d+-\d+)\)`)

// check counts, for one scenario, acknowledged writes missing from the
// database and writes saved more than once.
func (r *faultResult) check(t *testing.T, dbURL string, scenario int) (lost, duplicates int) {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, dbURL, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var bodies []string
	db.Gorm.Raw(`SELECT body FROM posts WHERE body LIKE ?`, fmt.Sprintf("%%(fk-%d-%%", scenario)).Scan(&bodies)
	saved := map[string]int{}
	for _, b := range bodies {
		if m := faultKey.FindStringSubmatch(b); m != nil {
			saved[m[1]]++
		}
	}
	for _, n := range saved {
		if n > 1 {
			duplicates++
		}
	}
	for _, k := range r.ackedKeys {
		if saved[k] == 0 {
			lost++
		}
	}
	return lost, duplicates
}

// waitSearchCaughtUp waits until the search queue is empty.
func waitSearchCaughtUp(t *testing.T, dbURL string, limit time.Duration) time.Duration {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, dbURL, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	for time.Since(start) < limit {
		var n int64
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM search_queue`).Scan(&n); err == nil && n == 0 {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("the search queue did not empty within %s of the repair", limit)
	return limit
}
