package search

import (
	"context"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/app/testenv"
	"github.com/kindred-health/kindred/models"
)

// changingSource answers ThreadDocuments from a list of states, one per
// call (the last one repeats): a thread that changes while a job runs.
type changingSource struct {
	states []func() ([]models.ThreadDoc, []int64)
	calls  int
}

func (s *changingSource) ThreadDocuments(_ context.Context, _ []int64) ([]models.ThreadDoc, []int64, error) {
	st := s.states[min(s.calls, len(s.states)-1)]
	s.calls++
	docs, gone := st()
	return docs, gone, nil
}

func (s *changingSource) ThreadIDs(context.Context, models.IndexThreadsArgs, int, func([]int64) error) error {
	return nil
}

func (s *changingSource) AllThreadDocuments(context.Context, int, func([]models.ThreadDoc) error) error {
	return nil
}

func doc(id int64, title string) models.ThreadDoc {
	d := models.ThreadDoc{ID: id, Title: title, Audience: models.AudiencePublic, Tags: []string{}, ClinicianProfessions: []string{}}
	Seal(&d)
	return d
}

// TestSyncRewritesWhatChangedMeanwhile: a job that read a thread before it
// changed rewrites it after its own write, so the index never keeps the
// older state (here: a reply that was hidden, then a thread that was).
func TestSyncRewritesWhatChangedMeanwhile(t *testing.T) {
	url, key, prefix := testenv.Meili(t)
	c := New(url, key, prefix, 0, nil)
	ctx := context.Background()
	before, after := doc(1, "with the reply"), doc(1, "reply hidden")
	src := &changingSource{states: []func() ([]models.ThreadDoc, []int64){
		func() ([]models.ThreadDoc, []int64) { return []models.ThreadDoc{before}, nil },
		func() ([]models.ThreadDoc, []int64) { return []models.ThreadDoc{after}, nil },
	}}
	if err := c.Sync(ctx, src, []int64{1}); err != nil {
		t.Fatal(err)
	}
	have, err := c.Indexed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if have[1] != after.Digest || src.calls != 3 {
		t.Fatalf("index holds %q after %d reads, want the later document %q", have[1], src.calls, after.Digest)
	}
	// Visible when read, gone by the second read: the document leaves.
	src = &changingSource{states: []func() ([]models.ThreadDoc, []int64){
		func() ([]models.ThreadDoc, []int64) { return []models.ThreadDoc{after}, nil },
		func() ([]models.ThreadDoc, []int64) { return nil, []int64{1} },
	}}
	if err := c.Sync(ctx, src, []int64{1}); err != nil {
		t.Fatal(err)
	}
	if have, _ := c.Indexed(ctx); len(have) != 0 {
		t.Fatalf("the hidden thread stayed in the index: %v", have)
	}
	// A thread that never settles is an error (River tries again later).
	n := 0
	src = &changingSource{states: []func() ([]models.ThreadDoc, []int64){func() ([]models.ThreadDoc, []int64) {
		n++
		return []models.ThreadDoc{doc(1, "edit "+string(rune('a'+n)))}, nil
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
