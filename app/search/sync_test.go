package search

import (
	"context"
	"strings"
	"testing"

	"github.com/meilisearch/meilisearch-go"

	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// changingSource answers SearchDocuments from a list of states, one per
// call (the last one repeats): a thread that changes while it is written.
type changingSource struct {
	states []func() *Batch
	calls  int
}

func (s *changingSource) SearchDocuments(_ context.Context, _ []Change) (*Batch, error) {
	st := s.states[min(s.calls, len(s.states)-1)]
	s.calls++
	return st(), nil
}

func (s *changingSource) ThreadIDs(context.Context, models.IndexThreadsArgs, int, func([]int64) error) error {
	return nil
}

func (s *changingSource) AllDocuments(context.Context, int, func([]models.PostDoc) error) error {
	return nil
}

func doc(thread, post int64, title string) models.PostDoc {
	d := models.PostDoc{ID: models.PostDocID(post), ThreadID: thread, PostID: post, Head: post == thread || post == headOf(thread), Title: title,
		Audience: models.AudiencePublic, Tags: []string{}, ClinicianProfessions: []string{}}
	Seal(&d)
	return d
}

// TestSyncRewritesWhatChangedMeanwhile: a writer that read a thread before
// it changed rewrites it after its own write, so the index never keeps the
// older state (here: a reply that was edited, then hidden, then a thread
// that was hidden).
func TestSyncRewritesWhatChangedMeanwhile(t *testing.T) {
	url, key, prefix := testenv.Meili(t)
	c := New(url, key, prefix, 0, nil)
	ctx := context.Background()
	head, before, after := doc(1, 1, "thread"), doc(1, 2, "with the reply"), doc(1, 2, "reply edited")
	src := &changingSource{states: []func() *Batch{
		func() *Batch { return &Batch{Docs: []models.PostDoc{head, before}} },
		func() *Batch { return &Batch{Docs: []models.PostDoc{head, after}} },
	}}
	if err := c.Sync(ctx, src, []int64{1}); err != nil {
		t.Fatal(err)
	}
	have, err := c.Indexed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if have["p2"].Digest != after.Digest || src.calls != 3 {
		t.Fatalf("index holds %+v after %d reads, want the later document %q", have["p2"], src.calls, after.Digest)
	}
	// The reply is hidden by the second read: its document leaves, the
	// head stays.
	src = &changingSource{states: []func() *Batch{
		func() *Batch { return &Batch{Docs: []models.PostDoc{head, after}} },
		func() *Batch { return &Batch{Docs: []models.PostDoc{head}, GonePosts: []int64{2}} },
	}}
	if err := c.Sync(ctx, src, []int64{1}); err != nil {
		t.Fatal(err)
	}
	if have, _ := c.Indexed(ctx); len(have) != 1 || have["p1"].Digest != head.Digest {
		t.Fatalf("the hidden reply stayed in the index: %v", have)
	}
	// Visible when read, hidden by the second read: every document of the
	// thread leaves.
	src = &changingSource{states: []func() *Batch{
		func() *Batch { return &Batch{Docs: []models.PostDoc{head, after}} },
		func() *Batch { return &Batch{GoneThreads: []int64{1}} },
	}}
	if err := c.Sync(ctx, src, []int64{1}); err != nil {
		t.Fatal(err)
	}
	if have, _ := c.Indexed(ctx); len(have) != 0 {
		t.Fatalf("the hidden thread stayed in the index: %v", have)
	}
	// A thread that never settles is an error (the caller tries again later).
	n := 0
	src = &changingSource{states: []func() *Batch{func() *Batch {
		n++
		return &Batch{Docs: []models.PostDoc{doc(1, 1, "edit "+string(rune('a'+n)))}}
	}}}
	if err := c.Sync(ctx, src, []int64{1}); err == nil {
		t.Error("a thread that kept changing was reported as indexed")
	}
}

// TestFailedTaskIsAnError: Meilisearch accepts a write and fails it later;
// the wait turns the failed task into an error (so River retries the job).
func TestFailedTaskIsAnError(t *testing.T) {
	url, key, prefix := testenv.Meili(t)
	c := New(url, key, prefix, 0, nil)
	ctx := context.Background()
	if err := c.EnsureThreads(ctx); err != nil {
		t.Fatal(err)
	}
	bad := []map[string]any{{"id": "not a valid id"}}
	err := c.wait(ctx)(c.ms.Index(c.Index(threads)).AddDocumentsWithContext(ctx, bad, nil))
	if err == nil || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("a failed task gave %v", err)
	}
}

// TestSearchBeforeAnyIndexing: before the first write there is no index; a
// search finds nothing (it is not "unavailable") and creates nothing.
func TestSearchBeforeAnyIndexing(t *testing.T) {
	url, key, prefix := testenv.Meili(t)
	c := New(url, key, prefix, 0, nil)
	ctx := context.Background()
	res, err := c.Search(ctx, Query{Text: "anything", Audiences: []string{models.AudiencePublic}, Forum: "heart"})
	if err != nil || len(res.Hits) != 0 || res.Total != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := c.ms.GetIndexWithContext(ctx, c.Index(threads)); err == nil {
		t.Error("a search created the index")
	}
}

// TestRemovalsApplyBeforeAdditions: a batch that hides one post and adds
// another (a moderator's hide, then more replies to the thread) removes
// first. Meilisearch applies tasks in the order they were enqueued, so
// nobody who already finds the new reply can still find the hidden one.
func TestRemovalsApplyBeforeAdditions(t *testing.T) {
	url, key, prefix := testenv.Meili(t)
	c := New(url, key, prefix, 0, nil)
	ctx := context.Background()
	if err := c.apply(ctx, &Batch{Docs: []models.PostDoc{doc(1, 1, "thread"), doc(1, 2, "hidden soon"), doc(2, headOf(2), "other thread")}}); err != nil {
		t.Fatal(err)
	}
	tasks, err := c.send(ctx, c.Index(threads), &Batch{Docs: []models.PostDoc{doc(1, 3, "new reply")}, GonePosts: []int64{2}, GoneThreads: []int64{2}})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for i, uid := range tasks {
		if i > 0 && uid <= tasks[i-1] {
			t.Fatalf("tasks %v not in the order they were sent", tasks)
		}
		task, err := c.ms.GetTaskWithContext(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, string(task.Type))
		if err := c.wait(ctx)(&meilisearch.TaskInfo{TaskUID: uid}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if want := "documentDeletion documentDeletion documentAdditionOrUpdate"; strings.Join(kinds, " ") != want {
		t.Fatalf("tasks in order %v, want %s", kinds, want)
	}
	have, err := c.Indexed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := have["p3"]; !ok || len(have) != 2 {
		t.Fatalf("index holds %v, want p1 and p3", have)
	}
}
