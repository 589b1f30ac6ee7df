package search

import (
	"context"
	"slices"

	"github.com/kindred-health/kindred/models"
)

// Report is what Verify found: documents missing from the index, stale
// ones (their digest differs from PostgreSQL's) and forbidden ones (in the
// index, but not of a visible post of a visible thread), by document id
// ("p" + post id).
type Report struct {
	// Expected counts the documents PostgreSQL says the index must hold;
	// Documents those it holds.
	Expected, Documents       int
	Missing, Stale, Forbidden []string
}

// Clean is true when the index matches PostgreSQL.
func (r *Report) Clean() bool { return len(r.Missing)+len(r.Stale)+len(r.Forbidden) == 0 }

// Verify compares the index with the documents src builds; with fix it
// writes again, whole, every thread with a missing, stale or forbidden
// document (through Sync, so a thread that changes meanwhile ends up
// right too).
func (c *Client) Verify(ctx context.Context, src Source, fix bool) (*Report, error) {
	want := map[string]Indexed{}
	if err := src.AllDocuments(ctx, BatchSize, func(docs []models.PostDoc) error {
		for _, d := range docs {
			want[d.ID] = Indexed{ThreadID: d.ThreadID, Digest: d.Digest}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	have, err := c.Indexed(ctx)
	if err != nil {
		return nil, err
	}
	r := &Report{Expected: len(want), Documents: len(have)}
	threads := map[int64]bool{}
	for id, d := range want {
		got, ok := have[id]
		switch {
		case !ok:
			r.Missing = append(r.Missing, id)
		case got.Digest != d.Digest:
			r.Stale = append(r.Stale, id)
		default:
			continue
		}
		threads[d.ThreadID] = true
	}
	for id, d := range have {
		if _, ok := want[id]; !ok {
			r.Forbidden = append(r.Forbidden, id)
			threads[d.ThreadID] = true
		}
	}
	slices.Sort(r.Missing)
	slices.Sort(r.Stale)
	slices.Sort(r.Forbidden)
	if !fix {
		return r, nil
	}
	ids := make([]int64, 0, len(threads))
	for id := range threads {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for len(ids) > 0 {
		n := min(len(ids), syncThreads)
		if err := c.Sync(ctx, src, ids[:n]); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return r, nil
}

// syncThreads is how many threads one Sync of Verify writes whole.
const syncThreads = 100

// Rebuild builds a fresh index from src and swaps it in (Reindex), then
// verifies it and repairs what changed while it was being built: the
// index writes of those changes went to the old index. It says how many
// threads and documents the new index was built with.
func (c *Client) Rebuild(ctx context.Context, src Source, batch int) (threads, docs int, caughtUp *Report, err error) {
	seen := map[int64]bool{}
	n, err := c.Reindex(ctx, func(add func([]models.PostDoc) error) error {
		return src.AllDocuments(ctx, batch, func(d []models.PostDoc) error {
			for _, x := range d {
				seen[x.ThreadID] = true
			}
			return add(d)
		})
	})
	if err != nil {
		return 0, 0, nil, err
	}
	r, err := c.Verify(ctx, src, true)
	if err != nil {
		return len(seen), n, nil, err
	}
	return len(seen), n, r, nil
}
