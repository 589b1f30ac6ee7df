package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// TestWriteLoad posts replies through the JSON API as busy members would:
// 8 concurrent HTTP clients, each its own member with its own API token,
// replying (~870 bytes, some Markdown) to hundreds of threads, a few of
// them followed by many members, over real HTTP to a server whose River
// workers and search indexer run. `make write-load` runs the long
// version (KINDRED_WRITE_LOAD=1: a private Meilisearch on two indexing
// threads, a warm-up, then KINDRED_WRITE_LOAD_SECONDS of load, 30 by
// default) and prints posts/s, latency percentiles, errors by status, the
// CPU each post cost Kindred, PostgreSQL and Meilisearch, statements per
// post and the index lag; KINDRED_WRITE_LOAD_PROFILE=file writes a CPU
// profile of the load. `make test` runs a short one (8 clients × 50
// posts) that checks correctness, not speed: every acknowledged post is
// stored exactly once and its unique word finds its thread in search.
func TestWriteLoad(t *testing.T) {
	long := os.Getenv("KINDRED_WRITE_LOAD") != ""
	if !long {
		t.Parallel()
	}
	clients, perClient, threads, hot, followers := 8, 50, 300, 4, 60
	seconds := 0
	opts := harnessOpts{workers: true}
	var meili *testenv.PrivateMeili
	if long {
		threads, hot, followers, perClient = 2000, 10, 500, 0
		seconds = 30
		if s, err := strconv.Atoi(os.Getenv("KINDRED_WRITE_LOAD_SECONDS")); err == nil && s > 0 {
			seconds = s
		}
		// Measured alone on the machine: Meilisearch may use both cores,
		// as kindred-dev and docker-compose let it.
		meili = testenv.NewPrivateMeiliWith(t, 2)
		opts.env = map[string]string{"MEILI_URL": meili.URL, "MEILI_API_KEY": meili.Key}
	}
	h := newHarness(t, opts)
	ctx := context.Background()
	f := h.forum("heart-rhythm", nil)
	h.account("writer0", models.RoleMember) // seedThreads' author
	seedThreads(t, h, f, threads)
	// Members who follow the hot threads (their replies notify them all).
	if err := h.app.DB.Gorm.Exec(fmt.Sprintf(`
		INSERT INTO users (handle, role, status, created_at, updated_at)
		SELECT 'follower_' || g, 'member', 'active', now(), now() FROM generate_series(1, %d) g;
		INSERT INTO thread_follows (thread_id, user_id, created_at)
		SELECT t.id, u.id, now() FROM (SELECT id FROM threads ORDER BY id LIMIT %d) t CROSS JOIN users u WHERE u.handle LIKE 'follower\_%%';
		ANALYZE;`, followers, hot)).Error; err != nil {
		t.Fatal(err)
	}
	var threadIDs []int64
	h.app.DB.Gorm.Raw(`SELECT id FROM threads ORDER BY id`).Scan(&threadIDs)
	tokens := make([]string, clients)
	writerIDs := make([]int64, clients)
	for i := range tokens {
		handle := fmt.Sprintf("poster%d", i)
		h.account(handle, models.RoleMember)
		tokens[i] = h.tokenFor(handle, "write")
		writerIDs[i] = h.user(handle).ID
	}
	safety.Warm() // as serve does at start
	reader := h.viewer("poster0")
	audiences := reader.Audiences()

	lg := &writeLog{status: map[int]int{}}
	lags := &lagSampler{h: h, audiences: audiences}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	post := func(c, n int, rng *rand.Rand) {
		word := uniqueWord(rng)
		tid := threadIDs[hot+rng.Intn(len(threadIDs)-hot)]
		if rng.Intn(10) == 0 { // one reply in ten goes to a followed thread
			tid = threadIDs[rng.Intn(hot)]
		}
		body, _ := json.Marshal(map[string]any{"body": replyText(rng, word)})
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+fmt.Sprintf("/api/v1/threads/%d/posts", tid), bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokens[c])
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("wl-%d-%d-%s", c, n, word))
		began := time.Now()
		res, err := client.Do(req)
		status := 0
		var out struct {
			ID       int64 `json:"id"`
			ThreadID int64 `json:"thread_id"`
		}
		if err == nil {
			status = res.StatusCode
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			_ = json.Unmarshal(raw, &out)
		}
		took := time.Since(began)
		lg.add(status, took, ackedPost{id: out.ID, thread: tid, word: word, at: time.Now()})
		if status == http.StatusCreated && n%10 == 0 {
			lags.sample(word, tid)
		}
	}
	run := func(until time.Time, posts int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				rng := rand.New(rand.NewSource(time.Now().UnixNano() + int64(c)))
				for n := 0; posts == 0 || n < posts; n++ {
					if posts == 0 && time.Now().After(until) {
						return
					}
					post(c, n, rng)
				}
			}(c)
		}
		wg.Wait()
		return time.Since(start)
	}

	if long {
		run(time.Now().Add(5*time.Second), 0) // warm-up: pools, plan caches, the index
		waitQueueEmpty(t, h, 2*time.Minute)
		lags.wait()
		lg.reset()
		lags.reset()
	}
	if p := os.Getenv("KINDRED_WRITE_LOAD_PROFILE"); p != "" && long {
		fp, err := os.Create(filepath.Clean(p))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(fp); err != nil {
			t.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); fp.Close() }()
	}
	pgPM := postmasterPID(t, h)
	meiliPID := 0
	if meili != nil {
		meiliPID = childNamed("meilisearch")
	}
	self0, pg0, meili0, st0 := selfCPU(), pgCPU(pgPM), procCPU(meiliPID), h.app.DB.Statements()
	took := run(time.Now().Add(time.Duration(seconds)*time.Second), perClient)
	self1, pg1, meili1, st1 := selfCPU(), pgCPU(pgPM), procCPU(meiliPID), h.app.DB.Statements()
	// What the indexer still had to do belongs to these posts too.
	t0 := time.Now()
	waitQueueEmpty(t, h, 5*time.Minute)
	drain := time.Since(t0)
	lags.wait()
	self2, pg2, meili2, st2 := selfCPU(), pgCPU(pgPM), procCPU(meiliPID), h.app.DB.Statements()

	acked := lg.acked()
	n := len(acked)
	if n == 0 {
		t.Fatalf("no post acknowledged: answers by status %v", lg.statuses())
	}
	per := func(d time.Duration) string {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)/float64(n))
	}
	t.Logf("%d clients: %d posts in %s = %.0f posts/s; latency p50 %s p95 %s p99 %s max %s; answers by status %v",
		clients, n, took.Round(time.Millisecond), float64(n)/took.Seconds(), pct(lg.lat, 50), pct(lg.lat, 95), pct(lg.lat, 99), pct(lg.lat, 100), lg.statuses())
	t.Logf("CPU per post during the load: kindred (server and clients) %s, PostgreSQL %s, Meilisearch %s; statements %.1f per post",
		per(self1-self0), per(pg1-pg0), perOrNA(meiliPID, meili1-meili0, n), float64(st1-st0)/float64(n))
	t.Logf("CPU per post with the index drained (%s after the load): kindred %s, PostgreSQL %s, Meilisearch %s; statements %.1f per post",
		drain.Round(time.Millisecond), per(self2-self0), per(pg2-pg0), perOrNA(meiliPID, meili2-meili0, n), float64(st2-st0)/float64(n))
	found, missed := lags.results()
	t.Logf("index lag (acknowledged → found by its unique word), %d sampled: p50 %s p95 %s max %s; %d never found",
		len(found), pct(found, 50), pct(found, 95), pct(found, 100), missed)

	// Correctness, long or short: every acknowledged post exists exactly
	// once, with its text, in its thread.
	if bad := lg.failures(); bad > 0 && !long {
		t.Errorf("%d posts refused or failed: %v", bad, lg.statuses())
	}
	var stored int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM posts WHERE author_id IN ?`, writerIDs).Scan(&stored)
	if stored != int64(n) && !long {
		t.Errorf("%d posts stored for %d acknowledged", stored, n)
	}
	ids := make([]int64, n)
	for i, a := range acked {
		ids[i] = a.id
	}
	var rows []struct {
		ID       int64
		ThreadID int64
		Body     string
	}
	h.app.DB.Gorm.Raw(`SELECT id, thread_id, body FROM posts WHERE id IN ?`, ids).Scan(&rows)
	byID := map[int64]int{}
	for i, r := range rows {
		byID[r.ID] = i
	}
	wrong := 0
	for _, a := range acked {
		i, ok := byID[a.id]
		if !ok || rows[i].ThreadID != a.thread || strings.Count(rows[i].Body, a.word) != 1 {
			wrong++
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d acknowledged posts are missing or not as sent", wrong, n)
	}
	var dup int64
	h.app.DB.Gorm.Raw(`SELECT count(*) FROM (SELECT body FROM posts WHERE author_id IN ? GROUP BY body HAVING count(*) > 1) d`, writerIDs).Scan(&dup)
	if dup > 0 {
		t.Errorf("%d texts stored more than once", dup)
	}
	if long {
		return
	}
	// Findable: each post's unique word finds its thread.
	notFound := 0
	for _, a := range acked {
		res, err := h.app.Search.Search(ctx, search.Query{Text: a.word, Audiences: audiences, Page: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !hitsHold(res, a.thread) {
			notFound++
		}
	}
	if notFound > 0 || missed > 0 {
		t.Errorf("%d of %d acknowledged posts cannot be found by their word (%d sampled never found during the load)", notFound, n, missed)
	}
}

func hitsHold(res *search.Result, thread int64) bool {
	for _, h := range res.Hits {
		if h.ID == thread {
			return true
		}
	}
	return false
}

type ackedPost struct {
	id, thread int64
	word       string
	at         time.Time
}

// writeLog keeps every answer of a load.
type writeLog struct {
	mu     sync.Mutex
	lat    []time.Duration
	status map[int]int
	posts  []ackedPost
}

func (l *writeLog) add(status int, took time.Duration, p ackedPost) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.status[status]++
	l.lat = append(l.lat, took)
	if status == http.StatusCreated && p.id > 0 {
		l.posts = append(l.posts, p)
	}
}

func (l *writeLog) reset() {
	l.mu.Lock()
	l.lat, l.status, l.posts = nil, map[int]int{}, nil
	l.mu.Unlock()
}

func (l *writeLog) acked() []ackedPost {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ackedPost(nil), l.posts...)
}

func (l *writeLog) failures() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for s, c := range l.status {
		if s != http.StatusCreated {
			n += c
		}
	}
	return n
}

func (l *writeLog) statuses() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var keys []int
	for s := range l.status {
		keys = append(keys, s)
	}
	sort.Ints(keys)
	var parts []string
	for _, s := range keys {
		name := strconv.Itoa(s)
		if s == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, l.status[s]))
	}
	return strings.Join(parts, ", ")
}

// lagSampler times, for a sample of acknowledged posts, how long search
// takes to find the post's unique word in its thread (polled every 25 ms
// straight from Meilisearch, so Kindred's own search log stays out of the
// figures).
type lagSampler struct {
	h         *harness
	audiences []string
	wg        sync.WaitGroup
	mu        sync.Mutex
	found     []time.Duration
	missed    int
}

func (s *lagSampler) sample(word string, thread int64) {
	acked := time.Now()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		deadline := acked.Add(60 * time.Second)
		for time.Now().Before(deadline) {
			res, err := s.h.app.Search.Search(context.Background(), search.Query{Text: word, Audiences: s.audiences, Page: 1})
			if err == nil && hitsHold(res, thread) {
				s.mu.Lock()
				s.found = append(s.found, time.Since(acked))
				s.mu.Unlock()
				return
			}
			time.Sleep(25 * time.Millisecond)
		}
		s.mu.Lock()
		s.missed++
		s.mu.Unlock()
	}()
}

func (s *lagSampler) wait() { s.wg.Wait() }

func (s *lagSampler) reset() { s.mu.Lock(); s.found, s.missed = nil, 0; s.mu.Unlock() }

func (s *lagSampler) results() ([]time.Duration, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.found...), s.missed
}

// uniqueWord is a made-up word of 12 random letters: two of them share
// too few letters for Meilisearch's typo tolerance to mix them up.
func uniqueWord(rng *rand.Rand) string {
	b := make([]byte, 12)
	for i := range b {
		b[i] = byte('a' + rng.Intn(26))
	}
	return "wl" + string(b)
}

// replyOpenings, replyMiddles and replyClosings make replies of about
// 870 bytes, as a heart-rhythm support forum's would read.
var replyOpenings = []string{
	"Thank you for posting this, it could have been me writing it two years ago.",
	"I was diagnosed with paroxysmal AF last spring, so I recognise a lot of what you describe.",
	"Welcome to the forum. You are definitely not the only one who feels this way after an ablation.",
	"This is such a useful thread; I have been reading it every evening since my cardiology appointment.",
	"Sorry to hear the last few weeks have been hard. Here is what helped me, for what it is worth.",
	"My husband had the same question before his pacemaker check, so I asked the nurse on his behalf.",
}

var replyMiddles = []string{
	"The palpitations were worst at night, lying on my left side, and my GP suggested keeping a simple diary of when they happened, how long they lasted and what I had eaten or drunk that day.",
	"What made the difference for me was **cutting back on caffeine** and alcohol, and being honest with the rhythm nurse about how often I was missing the evening dose of my beta blocker.",
	"Things I took to the appointment:\n\n- a list of every medication and the doses\n- my diary of episodes, with times\n- the readings from the home monitor\n- my questions written down, because I always forget them",
	"The cardiac rehab classes were gentler than I feared: a warm-up, some time on the bike with the nurse watching the monitor, and a chat about pacing yourself on bad days.",
	"It took about three months for the tiredness to lift after the procedure. The team said that is common while the heart settles, and to call them if the racing came back for longer than an hour.",
	"I found the [British Heart Foundation pages](https://www.bhf.org.uk) on atrial fibrillation clear and calm, without the scary stories you find elsewhere.",
	"My anticoagulant made me bruise easily at first, which frightened me, but the pharmacist explained what was expected and which signs meant I should ring straight away.",
	"Sleep has been the hardest part. A consistent bedtime, no screens for an hour before, and a short walk after dinner have helped more than I expected.",
	"When the episodes came in clusters, my cardiologist changed the timing of my tablets rather than the dose, and that small change settled things for me within a couple of weeks.",
	"> Take it one day at a time\n\nThat is what my rehab nurse kept telling me, and I have it written on the fridge now.",
}

var replyClosings = []string{
	"Please keep us posted on how the next appointment goes.",
	"Wishing you a calm week, and do ask the nurses anything that worries you; they would rather hear from you.",
	"Sending you strength. It does get easier to live with, I promise.",
	"Happy to share more about the monitor I use if it would help.",
	"Take care of yourself, and be kind to yourself on the tired days.",
}

// replyText is a reply of about 870 bytes carrying word once.
func replyText(rng *rand.Rand, word string) string {
	var b strings.Builder
	b.WriteString(replyOpenings[rng.Intn(len(replyOpenings))])
	b.WriteString("\n\n")
	first := rng.Intn(len(replyMiddles))
	for k := 0; b.Len() < 680; k++ {
		b.WriteString(replyMiddles[(first+k*3)%len(replyMiddles)])
		b.WriteString("\n\n")
	}
	b.WriteString(replyClosings[rng.Intn(len(replyClosings))])
	b.WriteString(" (Reference for the group: " + word + ".)")
	return b.String()
}

// selfCPU is the CPU time this process (the server and the load's
// clients) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ticks is utime+stime (+ the children's, with children) of process pid
// from /proc (0 when it cannot be read).
func ticks(pid int, children bool) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses.
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	n := 2
	if children {
		n = 4
	}
	var t int64
	for i := 0; i < n && 11+i < len(f); i++ {
		v, _ := strconv.ParseInt(f[11+i], 10, 64)
		t += v
	}
	return t
}

const clockTick = 100 // USER_HZ on Linux

func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	return time.Duration(ticks(pid, false)) * time.Second / clockTick
}

// pgCPU is the CPU of the whole PostgreSQL cluster: the postmaster's
// live children plus what exited ones left in its children's counters.
func pgCPU(pm int) time.Duration {
	if pm == 0 {
		return 0
	}
	t := ticks(pm, true)
	for _, c := range childrenOf(pm) {
		t += ticks(c, false)
	}
	return time.Duration(t) * time.Second / clockTick
}

func childrenOf(ppid int) []int {
	dirs, _ := os.ReadDir("/proc")
	var out []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			out = append(out, pid)
		}
	}
	return out
}

// childNamed is the pid of this process's child running command name.
func childNamed(name string) int {
	for _, pid := range childrenOf(os.Getpid()) {
		if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); strings.TrimSpace(string(comm)) == name {
			return pid
		}
	}
	return 0
}

// postmasterPID is the PostgreSQL server's main process when it runs on
// this machine (0 otherwise: its CPU is then not reported).
func postmasterPID(t *testing.T, h *harness) int {
	var pid int
	if err := h.app.DB.Gorm.Raw(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'`).Scan(&pid).Error; err != nil || pid == 0 {
		t.Logf("PostgreSQL's CPU not measured: %v", err)
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	pm, _ := strconv.Atoi(strings.Fields(s[strings.LastIndexByte(s, ')')+2:])[1])
	return pm
}

func perOrNA(pid int, d time.Duration, n int) string {
	if pid == 0 {
		return "not measured"
	}
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)/float64(n))
}

// TestReplyCostsFewStatements counts the statements one reply through the
// JSON API sends to PostgreSQL (workers off, so nothing else counts):
// authentication and consent (4), the thread (1), the watched words (1),
// the transaction (begin, the reply with its key, draft, follow and read
// mark in one statement, the followers' notifications, the search queue,
// commit) and the answer (2): 13. It was 23 before the reply's
// statements were merged (docs/performance.md, "Writes (issue 21)"); the
// bound leaves room for a job or two in the transaction.
func TestReplyCostsFewStatements(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("rhythm", nil)
	h.account("counted", models.RoleMember)
	h.account("opener", models.RoleMember)
	th := h.thread("opener", f, "Beta blockers and tiredness", "Does the tiredness settle after a few weeks?", false)
	tok := h.tokenFor("counted", "write")
	rng := rand.New(rand.NewSource(1))
	reply := func(key string) (int64, apiResp) {
		before := h.app.DB.Statements()
		r := h.api(http.MethodPost, fmt.Sprintf("/api/v1/threads/%d/posts", th.ID), tok, map[string]any{"body": replyText(rng, uniqueWord(rng))}, "Idempotency-Key", key)
		return h.app.DB.Statements() - before, r
	}
	reply("warm-up") // the first write of a member touches more (session, follow)
	n, r := reply("counted-1")
	if r.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", r.Status, r.Raw)
	}
	t.Logf("one reply through the API: %d statements", n)
	if n > 15 {
		t.Errorf("one reply costs %d statements", n)
	}
}

// TestReplyRetryAndLockedThread: the reply is one statement that claims
// its idempotency key with the post; a retry answers with the first reply
// (the retry's own insert rolled back), and a reply to a thread locked
// meanwhile is refused without leaving its key or a post behind.
func TestReplyRetryAndLockedThread(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{})
	f := h.forum("locking", nil)
	h.account("retrier", models.RoleMember)
	h.account("starter", models.RoleMember)
	th := h.thread("starter", f, "Ablation next month", "Anyone had one recently?", false)
	tok := h.tokenFor("retrier", "write")
	path := fmt.Sprintf("/api/v1/threads/%d/posts", th.ID)
	first := h.api(http.MethodPost, path, tok, map[string]any{"body": "Mine was in May; home the same evening."}, "Idempotency-Key", "before-lock")
	if first.Status != http.StatusCreated {
		t.Fatalf("reply: %d %s", first.Status, first.Raw)
	}
	again := h.api(http.MethodPost, path, tok, map[string]any{"body": "Mine was in May; home the same evening."}, "Idempotency-Key", "before-lock")
	if again.Status != http.StatusCreated || again.Body["id"] != first.Body["id"] {
		t.Fatalf("retry: %d %s, want the first reply %v", again.Status, again.Raw, first.Body["id"])
	}
	// Locked after the service read the thread: the statement finds it
	// no longer open.
	tv, err := h.app.Forums.Thread(context.Background(), h.viewer("retrier"), th.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.app.DB.Gorm.Exec(`UPDATE threads SET state = 'locked' WHERE id = ?`, th.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := h.app.Forums.Reply(context.Background(), h.viewer("retrier"), tv, forums.PostForm{Body: "Too late."}, "raced-lock"); err == nil {
		t.Fatal("a reply to a thread locked meanwhile was saved")
	}
	refused := h.api(http.MethodPost, path, tok, map[string]any{"body": "Another thought."}, "Idempotency-Key", "after-lock")
	if refused.Status != http.StatusUnprocessableEntity {
		t.Fatalf("reply to a locked thread: %d %s", refused.Status, refused.Raw)
	}
	if n := countWhere(t, h, `SELECT count(*) FROM idempotency_keys WHERE key IN ('after-lock', 'raced-lock')`); n != 0 {
		t.Errorf("a refused reply left its key behind")
	}
	if n := countWhere(t, h, `SELECT count(*) FROM posts WHERE thread_id = ?`, th.ID); n != 2 {
		t.Errorf("%d posts, want the opening post and one reply", n)
	}
	var tr models.Thread
	h.app.DB.Gorm.First(&tr, th.ID)
	if tr.ReplyCount != 1 {
		t.Errorf("reply count %d, want 1", tr.ReplyCount)
	}
}
