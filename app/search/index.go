package search

import (
	"context"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meilisearch/meilisearch-go"
	"github.com/riverqueue/river"

	"kindred/models"
)

// threads is the name of the thread index (after the deployment prefix).
const threads = "threads"

var ensureMu sync.Mutex

// wait waits for a Meilisearch task and turns a failed task into an error
// (meilisearch-go returns failed tasks without one).
func (c *Client) wait(ctx context.Context) func(*meilisearch.TaskInfo, error) error {
	return func(info *meilisearch.TaskInfo, err error) error {
		if err != nil {
			return err
		}
		t, err := c.ms.WaitForTaskWithContext(ctx, info.TaskUID, 50*time.Millisecond)
		if err != nil {
			return err
		}
		if t.Status != meilisearch.TaskStatusSucceeded {
			return fmt.Errorf("search: task %d %s: %s", t.UID, t.Status, t.Error.Message)
		}
		return nil
	}
}

// EnsureThreads creates the thread index and applies its settings; safe
// to run at every start and concurrently.
func (c *Client) EnsureThreads(ctx context.Context) error {
	ensureMu.Lock()
	defer ensureMu.Unlock()
	if c.ensured {
		return nil
	}
	uid := c.Index(threads)
	if _, err := c.ms.GetIndexWithContext(ctx, uid); err != nil {
		if err := c.wait(ctx)(c.ms.CreateIndexWithContext(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: "id"})); err != nil &&
			!strings.Contains(err.Error(), "index_already_exists") {
			return fmt.Errorf("search: create index: %w", err)
		}
	}
	err := c.wait(ctx)(c.ms.Index(uid).UpdateSettingsWithContext(ctx, threadSettings()))
	if err != nil {
		return fmt.Errorf("search: settings: %w", err)
	}
	c.ensured = true
	return nil
}

// Upsert writes thread documents.
func (c *Client) Upsert(ctx context.Context, docs []models.ThreadDoc) error {
	if err := c.EnsureThreads(ctx); err != nil {
		return err
	}
	pk := "id"
	return c.wait(ctx)(c.ms.Index(c.Index(threads)).AddDocumentsWithContext(ctx, docs, &meilisearch.DocumentOptions{PrimaryKey: &pk}))
}

// Delete removes thread documents.
func (c *Client) Delete(ctx context.Context, ids ...int64) error {
	if err := c.EnsureThreads(ctx); err != nil {
		return err
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return c.wait(ctx)(c.ms.Index(c.Index(threads)).DeleteDocumentsWithContext(ctx, s, nil))
}

// Query is a search. Audiences come from the server (who is asking), never
// from the request; Forum must be a slug.
type Query struct {
	Text      string
	Audiences []string
	Forum     string
	Answered  bool
	Sort      string // "", "newest" or "active"
	Page      int    // from 1
}

// Hit is one result. TitleHTML and Snippet are escaped text with only
// <mark> around the matched words.
type Hit struct {
	ID        int64  `json:"id"`
	Title     string `json:"title"`
	Forum     string `json:"forum"`
	ForumName string `json:"forum_name"`
	Answered  bool   `json:"has_clinician_answer"`
	Replies   int    `json:"reply_count"`
	TitleHTML string `json:"title_html"`
	Snippet   string `json:"snippet_html"`
}

// Highlight markers: control characters nobody types, replaced by <mark>
// after the text is escaped.
const (
	markOpen  = "\x02"
	markClose = "\x03"
)

// highlighted escapes text and turns the markers into <mark> tags. The
// documents never hold the marker characters themselves (Clean strips
// them), so only Meilisearch's markers become tags.
func highlighted(s string) string {
	return strings.NewReplacer(markOpen, "<mark>", markClose, "</mark>").Replace(html.EscapeString(s))
}

// Clean removes the highlight marker characters from document text.
func Clean(s string) string {
	return strings.NewReplacer(markOpen, "", markClose, "").Replace(s)
}

// PerPage is how many hits a page holds.
const PerPage = 20

var slugRe = regexp.MustCompile(`^[a-z0-9-]{3,60}$`)

// ErrUnavailable means Meilisearch cannot answer now.
var ErrUnavailable = errors.New("search is temporarily unavailable")

// Search runs a query. User input reaches Meilisearch only as the query
// text; filters are built from allow-listed values.
func (c *Client) Search(ctx context.Context, q Query) ([]Hit, int64, error) {
	if len(q.Audiences) == 0 {
		return nil, 0, nil
	}
	if err := c.EnsureThreads(ctx); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	filter := []string{}
	var aud []string
	for _, a := range q.Audiences {
		switch a {
		case models.AudiencePublic, models.AudienceMembers, models.AudienceClinicians:
			aud = append(aud, `audience = "`+a+`"`)
		}
	}
	filter = append(filter, "("+strings.Join(aud, " OR ")+")")
	if q.Forum != "" {
		if !slugRe.MatchString(q.Forum) {
			return nil, 0, nil
		}
		filter = append(filter, `forum = "`+q.Forum+`"`)
	}
	if q.Answered {
		filter = append(filter, "has_clinician_answer = true")
	}
	req := &meilisearch.SearchRequest{Filter: strings.Join(filter, " AND "), Limit: PerPage, Offset: int64(max(q.Page-1, 0) * PerPage),
		AttributesToHighlight: []string{"title", "first_post", "replies"}, AttributesToCrop: []string{"first_post", "replies"},
		CropLength: 24, HighlightPreTag: markOpen, HighlightPostTag: markClose, CropMarker: "…"}
	switch q.Sort {
	case "newest":
		req.Sort = []string{"created_at:desc"}
	case "active":
		req.Sort = []string{"last_activity:desc"}
	}
	res, err := c.ms.Index(c.Index(threads)).SearchWithContext(ctx, q.Text, req)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var raw []struct {
		Hit
		Formatted struct {
			Title     string `json:"title"`
			FirstPost string `json:"first_post"`
			Replies   string `json:"replies"`
		} `json:"_formatted"`
	}
	if err := res.Hits.DecodeInto(&raw); err != nil {
		return nil, 0, err
	}
	hits := make([]Hit, len(raw))
	for i, r := range raw {
		h := r.Hit
		h.TitleHTML = highlighted(r.Formatted.Title)
		snippet := r.Formatted.FirstPost
		if strings.Contains(r.Formatted.Replies, markOpen) && !strings.Contains(snippet, markOpen) {
			snippet = r.Formatted.Replies
		}
		h.Snippet = highlighted(snippet)
		hits[i] = h
	}
	return hits, res.EstimatedTotalHits, nil
}

// Source builds a thread's document, or nil when the thread must not be
// in the index (app/forums implements it).
type Source interface {
	ThreadDocument(ctx context.Context, id int64) (*models.ThreadDoc, error)
}

// IndexWorker writes or removes one thread's document. A Meilisearch
// outage fails the job and River retries it with backoff; the write that
// enqueued it has long been committed.
type IndexWorker struct {
	river.WorkerDefaults[models.IndexThreadArgs]
	Client *Client
	Source Source
}

// Work indexes one thread.
func (w *IndexWorker) Work(ctx context.Context, job *river.Job[models.IndexThreadArgs]) error {
	doc, err := w.Source.ThreadDocument(ctx, job.Args.ThreadID)
	if err != nil {
		return err
	}
	if doc == nil {
		return w.Client.Delete(ctx, job.Args.ThreadID)
	}
	return w.Client.Upsert(ctx, []models.ThreadDoc{*doc})
}

// settings are the thread index's settings, applied to every index this
// package makes.
func threadSettings() *meilisearch.Settings {
	return &meilisearch.Settings{
		SearchableAttributes: []string{"title", "first_post", "replies", "forum_name"},
		FilterableAttributes: []string{"forum", "audience", "has_clinician_answer", "created_at", "last_activity"},
		SortableAttributes:   []string{"last_activity", "created_at", "reply_count"},
		Synonyms:             Synonyms(),
	}
}

// Reindex builds a fresh thread index from fill (which calls add with
// batches of documents), then swaps it with the live one in one
// Meilisearch task, so searches never meet an empty index, and drops the
// old one.
func (c *Client) Reindex(ctx context.Context, fill func(add func([]models.ThreadDoc) error) error) (int, error) {
	if err := c.EnsureThreads(ctx); err != nil {
		return 0, err
	}
	live := c.Index(threads)
	tmp := live + "_rebuild_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := c.wait(ctx)(c.ms.CreateIndexWithContext(ctx, &meilisearch.IndexConfig{Uid: tmp, PrimaryKey: "id"})); err != nil {
		return 0, fmt.Errorf("search: reindex: %w", err)
	}
	defer func() { _, _ = c.ms.DeleteIndexWithContext(context.WithoutCancel(ctx), tmp) }()
	if err := c.wait(ctx)(c.ms.Index(tmp).UpdateSettingsWithContext(ctx, threadSettings())); err != nil {
		return 0, fmt.Errorf("search: reindex settings: %w", err)
	}
	n := 0
	pk := "id"
	err := fill(func(docs []models.ThreadDoc) error {
		if len(docs) == 0 {
			return nil
		}
		n += len(docs)
		return c.wait(ctx)(c.ms.Index(tmp).AddDocumentsWithContext(ctx, docs, &meilisearch.DocumentOptions{PrimaryKey: &pk}))
	})
	if err != nil {
		return 0, fmt.Errorf("search: reindex: %w", err)
	}
	if err := c.wait(ctx)(c.ms.SwapIndexesWithContext(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{live, tmp}}})); err != nil {
		return 0, fmt.Errorf("search: swap: %w", err)
	}
	return n, nil
}

// Indexed lists every thread document's id with its last activity, for
// verification against PostgreSQL.
func (c *Client) Indexed(ctx context.Context) (map[int64]int64, error) {
	if err := c.EnsureThreads(ctx); err != nil {
		return nil, err
	}
	out := map[int64]int64{}
	const page = 1000
	for offset := int64(0); ; offset += page {
		var res meilisearch.DocumentsResult
		if err := c.ms.Index(c.Index(threads)).GetDocumentsWithContext(ctx, &meilisearch.DocumentsQuery{Offset: offset, Limit: page,
			Fields: []string{"id", "last_activity"}}, &res); err != nil {
			return nil, err
		}
		var docs []struct {
			ID           int64 `json:"id"`
			LastActivity int64 `json:"last_activity"`
		}
		if err := res.Results.DecodeInto(&docs); err != nil {
			return nil, err
		}
		for _, d := range docs {
			out[d.ID] = d.LastActivity
		}
		if int64(len(docs)) < page {
			return out, nil
		}
	}
}

// NextRetry retries index jobs quickly while Meilisearch is away: 1, 2, 4
// … seconds, at most 10, so the backlog drains soon after it returns
// (River's default backoff grows to minutes).
func (w *IndexWorker) NextRetry(job *river.Job[models.IndexThreadArgs]) time.Time {
	d := time.Second << min(job.Attempt, 4)
	if d > 10*time.Second {
		d = 10 * time.Second
	}
	return time.Now().Add(d)
}
