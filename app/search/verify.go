package search

import (
	"context"

	"github.com/kindred-health/kindred/models"
)

// Report is what Verify found: documents missing from the index, stale
// ones (their digest differs from PostgreSQL's) and forbidden ones (in the
// index, but not visible threads).
type Report struct {
	Threads, Documents        int
	Missing, Stale, Forbidden []int64
}

// Clean is true when the index matches PostgreSQL.
func (r *Report) Clean() bool { return len(r.Missing)+len(r.Stale)+len(r.Forbidden) == 0 }

// Verify compares the index with the documents src builds; with fix it
// writes the missing and stale documents and deletes the forbidden ones
// (through Sync, so a thread that changes meanwhile ends up right too).
func (c *Client) Verify(ctx context.Context, src Source, fix bool) (*Report, error) {
	want := map[int64]models.ThreadDoc{}
	if err := src.AllThreadDocuments(ctx, BatchSize, func(docs []models.ThreadDoc) error {
		for _, d := range docs {
			want[d.ID] = d
		}
		return nil
	}); err != nil {
		return nil, err
	}
	have, err := c.Indexed(ctx)
	if err != nil {
		return nil, err
	}
	r := &Report{Threads: len(want), Documents: len(have)}
	for id, d := range want {
		got, ok := have[id]
		switch {
		case !ok:
			r.Missing = append(r.Missing, id)
		case got != d.Digest:
			r.Stale = append(r.Stale, id)
		}
	}
	for id := range have {
		if _, ok := want[id]; !ok {
			r.Forbidden = append(r.Forbidden, id)
		}
	}
	if !fix {
		return r, nil
	}
	ids := append(append(append([]int64{}, r.Missing...), r.Stale...), r.Forbidden...)
	for len(ids) > 0 {
		n := min(len(ids), BatchSize)
		if err := c.Sync(ctx, src, ids[:n]); err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return r, nil
}

// Rebuild builds a fresh index from src and swaps it in (Reindex), then
// verifies it and repairs what changed while it was being built: the
// index jobs of those changes wrote to the old index.
func (c *Client) Rebuild(ctx context.Context, src Source, batch int) (indexed int, caughtUp *Report, err error) {
	n, err := c.Reindex(ctx, func(add func([]models.ThreadDoc) error) error { return src.AllThreadDocuments(ctx, batch, add) })
	if err != nil {
		return 0, nil, err
	}
	r, err := c.Verify(ctx, src, true)
	if err != nil {
		return n, nil, err
	}
	return n, r, nil
}
