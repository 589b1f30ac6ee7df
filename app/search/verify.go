package search

import (
	"context"

	"kindred/models"
)

// AllDocuments calls add with every visible thread's document in batches
// (app/forums implements it).
type AllDocuments func(ctx context.Context, batch int, add func([]models.ThreadDoc) error) error

// Report is what Verify found: documents missing from the index, stale
// ones (their digest differs from PostgreSQL's) and forbidden ones (in the
// index, but not visible threads).
type Report struct {
	Threads, Documents        int
	Missing, Stale, Forbidden []int64
}

// Clean is true when the index matches PostgreSQL.
func (r *Report) Clean() bool { return len(r.Missing)+len(r.Stale)+len(r.Forbidden) == 0 }

// Verify compares the index with the documents all builds; with fix it
// writes the missing and stale documents and deletes the forbidden ones.
func (c *Client) Verify(ctx context.Context, all AllDocuments, fix bool) (*Report, error) {
	want := map[int64]models.ThreadDoc{}
	if err := all(ctx, BatchSize, func(docs []models.ThreadDoc) error {
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
	var docs []models.ThreadDoc
	for _, id := range append(append([]int64{}, r.Missing...), r.Stale...) {
		docs = append(docs, want[id])
	}
	for len(docs) > 0 {
		n := min(len(docs), BatchSize)
		if err := c.Upsert(ctx, docs[:n]); err != nil {
			return nil, err
		}
		docs = docs[n:]
	}
	if len(r.Forbidden) > 0 {
		if err := c.Delete(ctx, r.Forbidden...); err != nil {
			return nil, err
		}
	}
	return r, nil
}
