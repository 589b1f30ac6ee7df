package search

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// versionedSource is a set of threads whose documents carry a version a
// test can move on, as writes would; it counts every thread it was asked
// for. Thread n's head is post 1000n, its replies are listed in replies.
// onRead runs inside SearchDocuments (a write landing while an indexer
// works).
type versionedSource struct {
	mu      sync.Mutex
	version map[int64]int
	gone    map[int64]bool
	reads   map[int64]int
	replies map[int64][]int64
	asked   []Change
	onRead  func(ids []int64)
}

func newVersionedSource() *versionedSource {
	return &versionedSource{version: map[int64]int{}, gone: map[int64]bool{}, reads: map[int64]int{}, replies: map[int64][]int64{}}
}

func headOf(thread int64) int64 { return 1000 * thread }

func (s *versionedSource) docOf(thread, post int64) models.PostDoc {
	return doc(thread, post, fmt.Sprintf("thread %d version %d", thread, s.version[thread]))
}

func (s *versionedSource) SearchDocuments(_ context.Context, changes []Change) (*Batch, error) {
	s.mu.Lock()
	b := &Batch{}
	var ids []int64
	for _, ch := range changes {
		ids = append(ids, ch.ThreadID)
		s.reads[ch.ThreadID]++
		s.asked = append(s.asked, ch)
		if s.gone[ch.ThreadID] {
			b.GoneThreads = append(b.GoneThreads, ch.ThreadID)
			continue
		}
		posts := ch.Posts
		if ch.Whole {
			posts = s.replies[ch.ThreadID]
		}
		for _, p := range append([]int64{headOf(ch.ThreadID)}, posts...) {
			b.Docs = append(b.Docs, s.docOf(ch.ThreadID, p))
		}
	}
	hook := s.onRead
	s.mu.Unlock()
	if hook != nil {
		hook(ids)
	}
	return b, nil
}

func (s *versionedSource) ThreadIDs(context.Context, models.IndexThreadsArgs, int, func([]int64) error) error {
	return nil
}

func (s *versionedSource) AllDocuments(context.Context, int, func([]models.PostDoc) error) error {
	return nil
}

func (s *versionedSource) bump(id int64) {
	s.mu.Lock()
	s.version[id]++
	s.mu.Unlock()
}

func queued(t *testing.T, ix *Indexer) int64 {
	t.Helper()
	var n int64
	if err := ix.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM search_queue`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func newTestIndexer(t *testing.T, src Source) *Indexer {
	t.Helper()
	url, key, prefix := testenv.Meili(t)
	return &Indexer{DB: testenv.DB(t, time.Now), Client: New(url, key, prefix, 0, nil), Source: src}
}

// TestIndexerCoalescesWrites: a hundred writes to one thread and one to
// another are two queue entries and one Meilisearch task; the documents
// are the latest, and the queue is empty after.
func TestIndexerCoalescesWrites(t *testing.T) {
	t.Parallel()
	src := newVersionedSource()
	ix := newTestIndexer(t, src)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		src.bump(1)
		if err := EnqueueNow(ctx, ix.DB, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := EnqueueNow(ctx, ix.DB, 2, 1); err != nil {
		t.Fatal(err)
	}
	if n := queued(t, ix); n != 2 {
		t.Fatalf("%d queue entries for 101 writes to thread 1 and 1 to thread 2, want 2", n)
	}
	var lags []time.Duration
	ix.OnIndexed = func(_ []int64, l []time.Duration) { lags = append(lags, l...) }
	n, err := ix.DrainOnce(ctx)
	if err != nil || n != 2 {
		t.Fatalf("drain: %d threads, %v", n, err)
	}
	have, err := ix.Client.Indexed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if have["p1000"].Digest != doc(1, 1000, "thread 1 version 100").Digest || have["p2000"].Digest != doc(2, 2000, "thread 2 version 0").Digest {
		t.Fatalf("index holds %v", have)
	}
	if queued(t, ix) != 0 || len(lags) != 2 || src.reads[1] != 1 {
		t.Fatalf("after the drain: %d queued, %d lags, thread 1 read %d times", queued(t, ix), len(lags), src.reads[1])
	}
}

// TestIndexerKeepsWhatWasWrittenMeanwhile: a write that lands after the
// indexer read a thread leaves the thread queued, and the next round
// writes the newer document; a thread hidden meanwhile leaves the index.
func TestIndexerKeepsWhatWasWrittenMeanwhile(t *testing.T) {
	t.Parallel()
	src := newVersionedSource()
	ix := newTestIndexer(t, src)
	ctx := context.Background()
	if err := EnqueueNow(ctx, ix.DB, 7, 8); err != nil {
		t.Fatal(err)
	}
	once := sync.Once{}
	src.onRead = func([]int64) {
		once.Do(func() { // a reply to 7 and a hide of 8 commit while the first batch is written
			src.bump(7)
			src.mu.Lock()
			src.gone[8] = true
			src.mu.Unlock()
			if err := EnqueueNow(ctx, ix.DB, 7, 8); err != nil {
				t.Error(err)
			}
		})
	}
	if _, err := ix.DrainOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n := queued(t, ix); n != 2 {
		t.Fatalf("%d threads still queued after writes landed during the batch, want 2", n)
	}
	if _, err := ix.DrainOnce(ctx); err != nil {
		t.Fatal(err)
	}
	have, _ := ix.Client.Indexed(ctx)
	if have["p7000"].Digest != doc(7, 7000, "thread 7 version 1").Digest || len(have) != 1 || queued(t, ix) != 0 {
		t.Fatalf("after the second round: index %v, %d queued", have, queued(t, ix))
	}
}

// TestIndexersShareTheQueue: two indexers (two instances) draining 2,500
// threads at once write every one, and never the same thread twice (each
// holds a lease on its batch); the newest writes are taken first even
// behind a backlog.
func TestIndexersShareTheQueue(t *testing.T) {
	t.Parallel()
	src := newVersionedSource()
	a := newTestIndexer(t, src)
	b := &Indexer{DB: a.DB, Client: a.Client, Source: src}
	ctx := context.Background()
	ids := make([]int64, 2500)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if err := EnqueueNow(ctx, a.DB, ids...); err != nil {
		t.Fatal(err)
	}
	// Thread 2500 was written last, long after the others.
	if _, err := a.DB.Pool.Exec(ctx, `UPDATE search_queue SET queued_at = now() - interval '1 hour' WHERE thread_id < 2500`); err != nil {
		t.Fatal(err)
	}
	first, err := a.DrainOnce(ctx)
	if err != nil || first != QueueBatch || src.reads[2500] != 1 {
		t.Fatalf("first batch: %d threads (%v); the newest read %d times", first, err, src.reads[2500])
	}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, ix := range []*Indexer{a, b} {
		ix.Poll = 20 * time.Millisecond
		wg.Add(1)
		go func() { defer wg.Done(); ix.Run(rctx) }()
	}
	deadline := time.Now().Add(60 * time.Second)
	for queued(t, a) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	have, err := a.Client.Indexed(ctx)
	if err != nil || len(have) != 2500 || queued(t, a) != 0 {
		t.Fatalf("%d documents (%v), %d still queued", len(have), err, queued(t, a))
	}
	for _, id := range ids {
		if src.reads[id] != 1 {
			t.Fatalf("thread %d was read %d times: two indexers took it", id, src.reads[id])
		}
	}
}

func enqueuePosts(t *testing.T, ix *Indexer, thread int64, posts ...int64) {
	t.Helper()
	if err := ix.DB.InTx(context.Background(), func(tx *database.Tx) error { return EnqueuePosts(context.Background(), tx, thread, posts...) }); err != nil {
		t.Fatal(err)
	}
}

// TestIndexerWritesARepliesDocumentOnly: a reply queues its post; the
// indexer asks for that post and the head only (not the thread's other
// posts) and writes them; replies queued together are one entry. When the
// thread's own fields changed too (its title), the head the index holds
// has another thread digest and the thread is written whole at once.
func TestIndexerWritesARepliesDocumentOnly(t *testing.T) {
	t.Parallel()
	src := newVersionedSource()
	ix := newTestIndexer(t, src)
	ctx := context.Background()
	src.replies[1] = []int64{1001, 1002}
	if err := EnqueueNow(ctx, ix.DB, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.DrainOnce(ctx); err != nil {
		t.Fatal(err)
	}
	src.replies[1] = append(src.replies[1], 1003, 1004)
	enqueuePosts(t, ix, 1, 1003)
	enqueuePosts(t, ix, 1, 1004)
	if n := queued(t, ix); n != 1 {
		t.Fatalf("%d queue entries for two replies to one thread", n)
	}
	src.asked = nil
	if _, err := ix.DrainOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(src.asked) != 1 || src.asked[0].Whole || fmt.Sprint(src.asked[0].Posts) != "[1003 1004]" {
		t.Fatalf("the indexer asked for %+v, want posts 1003 and 1004 of thread 1", src.asked)
	}
	have, err := ix.Client.Indexed(ctx)
	if err != nil || len(have) != 5 {
		t.Fatalf("index holds %v (%v), want the head and four replies", have, err)
	}
	// The title changes with a reply: every document is written again.
	src.bump(1)
	src.replies[1] = append(src.replies[1], 1005)
	enqueuePosts(t, ix, 1, 1005)
	src.asked = nil
	if _, err := ix.DrainOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(src.asked) != 2 || src.asked[0].Whole || !src.asked[1].Whole {
		t.Fatalf("the indexer asked for %+v, want the reply, then the whole thread", src.asked)
	}
	have, _ = ix.Client.Indexed(ctx)
	for _, p := range []int64{1000, 1001, 1002, 1003, 1004, 1005} {
		if have[models.PostDocID(p)].Digest != src.docOf(1, p).Digest {
			t.Fatalf("post %d's document is stale after the thread changed: %v", p, have)
		}
	}
}

// TestIndexerDuringAnOutage: with Meilisearch unreachable a batch fails,
// the threads stay queued and are not held, so the next attempt (or
// another instance) takes them.
func TestIndexerDuringAnOutage(t *testing.T) {
	t.Parallel()
	src := newVersionedSource()
	ix := newTestIndexer(t, src)
	ix.Client = New("http://127.0.0.1:1", "key", "none", 200*time.Millisecond, nil)
	ctx := context.Background()
	if err := EnqueueNow(ctx, ix.DB, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.DrainOnce(ctx); err == nil {
		t.Fatal("a batch against an unreachable Meilisearch succeeded")
	}
	var held bool
	if err := ix.DB.Pool.QueryRow(ctx, `SELECT claimed_until IS NOT NULL FROM search_queue WHERE thread_id = 3`).Scan(&held); err != nil || held {
		t.Fatalf("the thread is not queued and free after the failure (held %v, %v)", held, err)
	}
}
