package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meilisearch/meilisearch-go"
	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// threads is the name of the index (after the deployment prefix): one
// document per visible post, one result per thread. (Until issue 21 it
// held one document per thread under the name "threads"; migration 00047
// queues every thread so the indexer fills this one.)
const threads = "posts"

// legacyThreads is the name of the index of one document per thread that
// this one replaces; Reindex drops it.
const legacyThreads = "threads"

// wait waits for a Meilisearch task and turns a failed task into an error
// (meilisearch-go returns failed tasks without one).
func (c *Client) wait(ctx context.Context) func(*meilisearch.TaskInfo, error) error {
	return func(info *meilisearch.TaskInfo, err error) error {
		if err != nil {
			return err
		}
		// Look often at first (a small task takes milliseconds), then
		// less: 5, 10, 20 … 100 ms.
		for pause := 5 * time.Millisecond; ; pause = min(2*pause, 100*time.Millisecond) {
			t, err := c.ms.GetTaskWithContext(ctx, info.TaskUID)
			if err != nil {
				return err
			}
			switch t.Status {
			case meilisearch.TaskStatusSucceeded:
				return nil
			case meilisearch.TaskStatusFailed, meilisearch.TaskStatusCanceled:
				return fmt.Errorf("search: task %d %s: %s", t.UID, t.Status, t.Error.Message)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("search: task %d not done: %w", info.TaskUID, ctx.Err())
			case <-time.After(pause):
			}
		}
	}
}

// EnsureThreads creates the thread index and applies its settings once per
// process; safe to run at every start and concurrently (both steps are
// idempotent). Only writers call it: a search never waits on settings.
func (c *Client) EnsureThreads(ctx context.Context) error {
	if c.ensured.Load() {
		return nil
	}
	return c.ApplySettings(ctx)
}

// applySettings writes the settings, with the admins' synonyms, to an index.
func (c *Client) applySettings(ctx context.Context, uid string) error {
	extra, err := c.extraSynonyms(ctx)
	if err != nil {
		return err
	}
	idx := c.ms.Index(uid)
	if err := c.wait(ctx)(idx.UpdateSettingsWithContext(ctx, threadSettings(extra))); err != nil {
		return fmt.Errorf("search: settings: %w", err)
	}
	filterable := filterableAttributes()
	if err := c.wait(ctx)(idx.UpdateFilterableAttributesWithContext(ctx, &filterable)); err != nil {
		return fmt.Errorf("search: filterable attributes: %w", err)
	}
	// Nothing searches facet values (/facet-search): not building what it
	// needs makes each indexing batch cheaper.
	if err := c.wait(ctx)(idx.UpdateFacetSearchWithContext(ctx, false)); err != nil {
		return fmt.Errorf("search: facet search: %w", err)
	}
	return nil
}

// filterableAttributes are the attributes filters and facet counts use,
// each with only the operations it needs (granular filterable
// attributes): comparisons only for the creation time, equality for the
// rest. The last activity is sorted on, never filtered.
func filterableAttributes() []any {
	type filterOps struct {
		Equality   bool `json:"equality"`
		Comparison bool `json:"comparison"`
	}
	type features struct {
		FacetSearch bool      `json:"facetSearch"`
		Filter      filterOps `json:"filter"`
	}
	type pattern struct {
		AttributePatterns []string `json:"attributePatterns"`
		Features          features `json:"features"`
	}
	return []any{
		pattern{[]string{"forum", "tags", "audience", "has_clinician_answer", "thread_id", "head"}, features{Filter: filterOps{Equality: true}}},
		pattern{[]string{"created_at"}, features{Filter: filterOps{Equality: true, Comparison: true}}},
	}
}

// SynonymSource gives the synonym groups admins added (app/search's
// Synonyms service, from PostgreSQL).
type SynonymSource func(ctx context.Context) ([][]string, error)

func (c *Client) extraSynonyms(ctx context.Context) ([][]string, error) {
	if c.synonyms == nil {
		return nil, nil
	}
	g, err := c.synonyms(ctx)
	if err != nil {
		return nil, fmt.Errorf("search: synonyms: %w", err)
	}
	return g, nil
}

// ApplySettings creates the thread index if it is missing and writes its
// settings (at start, every six hours, and after admins changed the
// synonyms). No lock is held while Meilisearch works: searches go on, on
// the index as it is, until the settings task is done.
func (c *Client) ApplySettings(ctx context.Context) error {
	uid := c.Index(threads)
	if _, err := c.ms.GetIndexWithContext(ctx, uid); err != nil {
		if err := c.wait(ctx)(c.ms.CreateIndexWithContext(ctx, &meilisearch.IndexConfig{Uid: uid, PrimaryKey: "id"})); err != nil &&
			!strings.Contains(err.Error(), "index_already_exists") {
			return fmt.Errorf("search: create index: %w", err)
		}
	}
	if err := c.applySettings(ctx, uid); err != nil {
		return err
	}
	c.ensured.Store(true)
	return nil
}

// Change is what the queue holds for one thread: every document of it
// (Whole), or the documents of Posts and of the thread's head.
type Change struct {
	ThreadID int64
	Whole    bool
	Posts    []int64
}

// Batch is what the index must do for a set of changes: write Docs,
// remove the documents of GonePosts (posts no longer visible) and every
// document of GoneThreads (threads no longer visible, or gone).
type Batch struct {
	Docs        []models.PostDoc
	GonePosts   []int64
	GoneThreads []int64
}

// Empty is true when the batch asks for nothing.
func (b *Batch) Empty() bool { return len(b.Docs)+len(b.GonePosts)+len(b.GoneThreads) == 0 }

// send enqueues the batch's tasks on index uid, all in flight at once,
// and returns their ids. Removals go first: Meilisearch applies tasks in
// the order they were enqueued, so whoever can search a post written in
// this batch can no longer find one it hides or removes (a moderator's
// hide followed by more replies to the thread is one batch).
func (c *Client) send(ctx context.Context, uid string, b *Batch) ([]int64, error) {
	idx := c.ms.Index(uid)
	var tasks []int64
	if len(b.GoneThreads) > 0 {
		// One filter for every document of these threads: a hidden thread
		// of 1,000 posts is one small request.
		info, err := idx.DeleteDocumentsByFilterWithContext(ctx, "thread_id IN ["+joinIDs(b.GoneThreads)+"]", nil)
		if err != nil {
			return tasks, fmt.Errorf("search: remove the documents of %d threads: %w", len(b.GoneThreads), err)
		}
		tasks = append(tasks, info.TaskUID)
	}
	if len(b.GonePosts) > 0 {
		ids := make([]string, len(b.GonePosts))
		for i, id := range b.GonePosts {
			ids[i] = models.PostDocID(id)
		}
		info, err := idx.DeleteDocumentsWithContext(ctx, ids, nil)
		if err != nil {
			return tasks, fmt.Errorf("search: remove %d documents: %w", len(ids), err)
		}
		tasks = append(tasks, info.TaskUID)
	}
	if len(b.Docs) > 0 {
		pk := "id"
		info, err := idx.AddDocumentsWithContext(ctx, b.Docs, &meilisearch.DocumentOptions{PrimaryKey: &pk})
		if err != nil {
			return tasks, fmt.Errorf("search: write %d documents: %w", len(b.Docs), err)
		}
		tasks = append(tasks, info.TaskUID)
	}
	return tasks, nil
}

// apply writes a batch to the live index and waits until Meilisearch has
// applied all of it.
func (c *Client) apply(ctx context.Context, b *Batch) error {
	if b.Empty() {
		return nil
	}
	if err := c.EnsureThreads(ctx); err != nil {
		return err
	}
	tasks, err := c.send(ctx, c.Index(threads), b)
	for _, uid := range tasks {
		if werr := c.wait(ctx)(&meilisearch.TaskInfo{TaskUID: uid}, nil); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// Query is a search. Audiences come from the server (who is asking), never
// from the request; Forum must be a slug and Tag a tag.
type Query struct {
	Text      string
	Audiences []string
	Forum     string
	Tag       string
	Answered  bool
	From, To  time.Time // created on or after From, before To (zero: open)
	Sort      string    // "", "newest", "active" or "recent"
	Page      int       // from 1
}

// Sorts are the orders a search can ask for, with their labels.
var Sorts = []struct{ Value, Label string }{
	{"", "Best match"}, {"newest", "Newest"}, {"active", "Most replies"}, {"recent", "Latest activity"},
}

// Hit is one result: a thread, with the post that matched best. TitleHTML
// and Snippet (from that post) are escaped text with only <mark> around
// the matched words; URL links to that post.
type Hit struct {
	ID          int64    `json:"id"` // the thread's
	PostID      int64    `json:"post_id"`
	URL         string   `json:"url"`
	Title       string   `json:"title"`
	Forum       string   `json:"forum"`
	ForumName   string   `json:"forum_name"`
	Tags        []string `json:"tags"`
	Answered    bool     `json:"has_clinician_answer"`
	Professions []string `json:"clinician_professions"`
	Replies     int      `json:"reply_count"`
	CreatedAt   int64    `json:"created_at"`
	TitleHTML   string   `json:"title_html"`
	Snippet     string   `json:"snippet_html"`
}

// Result is a page of hits (one per thread), whether a next page exists,
// and Meilisearch's estimates of how many posts match, in all and per
// forum (the forum counts without the forum filter, so the other forums'
// counts stay useful). The estimates lie between the matching threads and
// the matching posts: threads Meilisearch ranked count once, the others
// once per matching post. Counting threads exactly (page and hitsPerPage)
// makes Meilisearch walk every matching post, too slow at a million posts
// (docs/performance.md), so the page calls them "about N matches" and
// says a thread may count more than once.
type Result struct {
	Hits   []Hit            `json:"hits"`
	More   bool             `json:"has_more"`
	Total  int64            `json:"estimated_total"`
	Forums map[string]int64 `json:"forum_counts"`
}

// PostURL is the address of a post on its thread's page (the thread's
// own address for its first post).
func PostURL(threadID, postID int64, head bool) string {
	t := "/t/" + strconv.FormatInt(threadID, 10)
	if head || postID == 0 {
		return t
	}
	return t + "?after=" + strconv.FormatInt(postID-1, 10) + "#post-" + strconv.FormatInt(postID, 10)
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

// Seal sets a document's digests from its other fields. The thread
// digest covers the thread's fields every document carries exactly; the
// document's digest covers everything, but a reply's reply count and last
// activity, which only its thread's head keeps current.
func Seal(d *models.PostDoc) {
	th := struct {
		Title, Forum, ForumName, Audience string
		Tags, Professions                 []string
		Answered                          bool
		CreatedAt                         int64
	}{d.Title, d.Forum, d.ForumName, d.Audience, d.Tags, d.ClinicianProfessions, d.HasClinicianAnswer, d.CreatedAt}
	d.ThreadDigest = digest(th)
	c := *d
	c.Digest = ""
	if !c.Head {
		c.ReplyCount, c.LastActivity = 0, 0
	}
	d.Digest = digest(c)
}

func digest(v any) string {
	b, _ := json.Marshal(v) // strings, numbers and slices: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// PerPage is how many hits a page holds; MaxPage is the last page a search
// can reach; MaxTotal is the most Meilisearch returns or counts for one
// search (its maxTotalHits): an estimated total of MaxTotal means "at
// least". Ten pages: Meilisearch ranks up to maxTotalHits documents for
// every search, so a deeper limit slows every search for pages people
// rarely open (filters and orders narrow a search instead).
const (
	PerPage  = 20
	MaxPage  = 10
	MaxTotal = PerPage * MaxPage
)

// Capped says the estimated total reached MaxTotal, so more posts may
// match than it says.
func (r *Result) Capped() bool { return r.Total >= MaxTotal }

var (
	slugRe = regexp.MustCompile(`^[a-z0-9-]{3,60}$`)
	// On first use, as termRe.
	tagRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\p{Ll}\p{Nd}][\p{Ll}\p{Nd}-]{0,29}$`) })
)

// ErrUnavailable means Meilisearch cannot answer now (down, hung past the
// client's timeout, or refusing the key).
var ErrUnavailable = errors.New("search is temporarily unavailable")

// RetryAfter is what a search that found Meilisearch unavailable tells
// clients to wait.
const RetryAfter = 10 * time.Second

// Unavailable is the answer to a search Meilisearch could not serve: 503
// with Retry-After and a message saying what still works.
func Unavailable(err error) error {
	return &models.UnavailableError{Code: "search_unavailable", RetryAfter: RetryAfter, Err: err,
		Message: "Search is temporarily unavailable. Posting and reading still work; please try again shortly."}
}

// filters builds the filter expression from allow-listed values only;
// ok is false when a value cannot match anything (an impossible slug).
func (q Query) filters(withForum bool) (string, bool) {
	var aud []string
	for _, a := range q.Audiences {
		switch a {
		case models.AudiencePublic, models.AudienceMembers, models.AudienceClinicians:
			aud = append(aud, `audience = "`+a+`"`)
		}
	}
	if len(aud) == 0 {
		return "", false
	}
	filter := []string{"(" + strings.Join(aud, " OR ") + ")"}
	if withForum && q.Forum != "" {
		if !slugRe.MatchString(q.Forum) {
			return "", false
		}
		filter = append(filter, `forum = "`+q.Forum+`"`)
	}
	if q.Tag != "" {
		if !tagRe().MatchString(q.Tag) {
			return "", false
		}
		filter = append(filter, `tags = "`+q.Tag+`"`)
	}
	if q.Answered {
		filter = append(filter, "has_clinician_answer = true")
	}
	if !q.From.IsZero() {
		filter = append(filter, "created_at >= "+strconv.FormatInt(q.From.Unix(), 10))
	}
	if !q.To.IsZero() {
		filter = append(filter, "created_at < "+strconv.FormatInt(q.To.Unix(), 10))
	}
	return strings.Join(filter, " AND "), true
}

// Search runs a query. User input reaches Meilisearch only as the query
// text; filters are built from allow-listed values.
func (c *Client) Search(ctx context.Context, q Query) (*Result, error) {
	out := &Result{Hits: []Hit{}, Forums: map[string]int64{}}
	filter, ok := q.filters(true)
	if !ok {
		return out, nil
	}
	uid := c.Index(threads)
	// Offset and limit: Meilisearch stops once it has the page's threads
	// and estimates the totals. One hit more than the page
	// holds says whether a next page exists; distinct applies before the
	// offset, so each thread appears on one page only. The body comes back
	// only cropped, in _formatted.
	page := int64(min(max(q.Page, 1), MaxPage))
	req := &meilisearch.SearchRequest{IndexUID: uid, Query: q.Text, Filter: filter, Offset: (page - 1) * PerPage, Limit: PerPage + 1,
		AttributesToRetrieve: []string{"thread_id", "post_id", "head", "title", "forum", "forum_name", "tags", "has_clinician_answer",
			"clinician_professions", "reply_count", "created_at"},
		AttributesToHighlight: []string{"title", "body"}, AttributesToCrop: []string{"body"},
		CropLength: 24, HighlightPreTag: markOpen, HighlightPostTag: markClose, CropMarker: "…", Facets: []string{"forum"}}
	switch q.Sort {
	case "newest":
		req.Sort = []string{"created_at:desc"}
	case "active":
		req.Sort = []string{"reply_count:desc", "last_activity:desc"}
	case "recent":
		req.Sort = []string{"last_activity:desc"}
	}
	queries := []*meilisearch.SearchRequest{req}
	if q.Forum != "" {
		// The forum counts come from the same search without the forum
		// filter, in the same request.
		all, _ := q.filters(false)
		queries = append(queries, &meilisearch.SearchRequest{IndexUID: uid, Query: q.Text, Filter: all, Limit: 1,
			AttributesToRetrieve: []string{"thread_id"}, Facets: []string{"forum"}})
	}
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	res, err := c.ms.MultiSearchWithContext(ctx, &meilisearch.MultiSearchRequest{Queries: queries})
	if err != nil && strings.Contains(err.Error(), "index_not_found") {
		return out, nil // nothing has been indexed yet
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if len(res.Results) != len(queries) {
		return nil, fmt.Errorf("search: %d results for %d queries", len(res.Results), len(queries))
	}
	main, facets := res.Results[0], res.Results[len(queries)-1]
	var raw []struct {
		models.PostDoc
		Formatted struct {
			Title string `json:"title"`
			Body  string `json:"body"`
		} `json:"_formatted"`
	}
	if err := main.Hits.DecodeInto(&raw); err != nil {
		return nil, err
	}
	if len(raw) > PerPage {
		raw, out.More = raw[:PerPage], page < MaxPage
	}
	for _, r := range raw {
		d := r.PostDoc
		h := Hit{ID: d.ThreadID, PostID: d.PostID, URL: PostURL(d.ThreadID, d.PostID, d.Head), Title: d.Title, Forum: d.Forum,
			ForumName: d.ForumName, Tags: d.Tags, Answered: d.HasClinicianAnswer, Professions: d.ClinicianProfessions,
			Replies: d.ReplyCount, CreatedAt: d.CreatedAt,
			TitleHTML: highlighted(r.Formatted.Title), Snippet: highlighted(r.Formatted.Body)}
		if h.Tags == nil {
			h.Tags = []string{}
		}
		if h.Professions == nil {
			h.Professions = []string{}
		}
		out.Hits = append(out.Hits, h)
	}
	out.Total = main.EstimatedTotalHits
	if len(out.Hits) > 0 {
		// At least one post per thread this page and the full ones before
		// it showed: the estimate is Meilisearch's, the hits are certain.
		out.Total = max(out.Total, (page-1)*PerPage+int64(len(out.Hits)))
	}
	if len(facets.FacetDistribution) > 0 {
		var dist struct {
			Forum map[string]int64 `json:"forum"`
		}
		if err := json.Unmarshal(facets.FacetDistribution, &dist); err != nil {
			return nil, fmt.Errorf("search: facets: %w", err)
		}
		if dist.Forum != nil {
			out.Forums = dist.Forum
		}
	}
	return out, nil
}

// TagCount is a tag with the number of threads that carry it.
type TagCount struct {
	Tag     string `json:"tag"`
	Threads int64  `json:"threads"`
}

// PopularTags lists the n tags most used on the threads audiences may
// see, most used first. Only heads are counted: one per thread.
func (c *Client) PopularTags(ctx context.Context, audiences []string, n int) ([]TagCount, error) {
	filter, ok := Query{Audiences: audiences}.filters(false)
	if !ok {
		return nil, nil
	}
	filter += " AND head = true"
	ctx, cancel := c.bounded(ctx)
	defer cancel()
	res, err := c.ms.Index(c.Index(threads)).SearchWithContext(ctx, "", &meilisearch.SearchRequest{Filter: filter, Limit: 1,
		AttributesToRetrieve: []string{"id"}, Facets: []string{"tags"}})
	if err != nil && strings.Contains(err.Error(), "index_not_found") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var dist struct {
		Tags map[string]int64 `json:"tags"`
	}
	if len(res.FacetDistribution) > 0 {
		if err := json.Unmarshal(res.FacetDistribution, &dist); err != nil {
			return nil, fmt.Errorf("search: tag facets: %w", err)
		}
	}
	out := make([]TagCount, 0, len(dist.Tags))
	for t, k := range dist.Tags {
		out = append(out, TagCount{Tag: t, Threads: k})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Threads != out[j].Threads {
			return out[i].Threads > out[j].Threads
		}
		return out[i].Tag < out[j].Tag
	})
	return out[:min(n, len(out))], nil
}

// Source builds search documents from PostgreSQL (app/forums implements
// it).
type Source interface {
	// SearchDocuments says what the index must do for the changes: for a whole
	// thread, its head and every visible post's document, and the removal
	// of its other posts' documents (or of all of them, when the thread is
	// not visible); otherwise the same for the head and the listed posts.
	SearchDocuments(ctx context.Context, changes []Change) (*Batch, error)
	// ThreadIDs calls fn with batches of the ids of a forum's or a
	// clinician's threads.
	ThreadIDs(ctx context.Context, args models.IndexThreadsArgs, batch int, fn func(ids []int64) error) error
	// AllDocuments calls add with every document the index must hold, at
	// most batch at a time.
	AllDocuments(ctx context.Context, batch int, add func([]models.PostDoc) error) error
}

// maxSyncRounds bounds Sync's re-reads before it gives up (and River tries
// the job again later).
const maxSyncRounds = 5

// Sync makes the index hold what PostgreSQL says about threads ids,
// written whole. After writing, it reads the threads again and rewrites
// any document that changed meanwhile: two writers of a thread may
// overlap, and the one that read earlier may write last. Without the
// second read, a reply hidden while an older write was running could stay
// searchable.
func (c *Client) Sync(ctx context.Context, src Source, ids []int64) error {
	changes := make([]Change, len(ids))
	for i, id := range ids {
		changes[i] = Change{ThreadID: id, Whole: true}
	}
	b, err := src.SearchDocuments(ctx, changes)
	if err != nil {
		return err
	}
	// What the index holds after each round: each document written
	// (removed ones leave), and the threads removed whole.
	written := map[string]Indexed{}
	goneThread := map[int64]bool{}
	for round := 0; round < maxSyncRounds; round++ {
		if err := c.apply(ctx, b); err != nil {
			return err
		}
		for _, id := range b.GoneThreads {
			goneThread[id] = true
			for docID, d := range written {
				if d.ThreadID == id {
					delete(written, docID)
				}
			}
		}
		for _, id := range b.GonePosts {
			delete(written, models.PostDocID(id))
		}
		for _, d := range b.Docs {
			goneThread[d.ThreadID] = false
			written[d.ID] = Indexed{ThreadID: d.ThreadID, Digest: d.Digest}
		}
		now, err := src.SearchDocuments(ctx, changes)
		if err != nil {
			return err
		}
		next := &Batch{}
		for _, d := range now.Docs {
			if written[d.ID].Digest != d.Digest {
				next.Docs = append(next.Docs, d)
			}
		}
		for _, id := range now.GonePosts {
			if _, ok := written[models.PostDocID(id)]; ok {
				next.GonePosts = append(next.GonePosts, id)
			}
		}
		for _, id := range now.GoneThreads {
			if !goneThread[id] {
				next.GoneThreads = append(next.GoneThreads, id)
			}
		}
		if next.Empty() {
			return nil
		}
		b = next
	}
	return fmt.Errorf("search: threads kept changing while being indexed")
}

// IndexWorker moves an index job enqueued before the search queue
// existed (or by an older instance during an upgrade) to the queue.
type IndexWorker struct {
	river.WorkerDefaults[models.IndexThreadArgs]
	DB *database.DB
}

// Work queues the thread.
func (w *IndexWorker) Work(ctx context.Context, job *river.Job[models.IndexThreadArgs]) error {
	return EnqueueNow(ctx, w.DB, job.Args.ThreadID)
}

func retryDelay(attempt int) time.Duration {
	return min(time.Second<<min(attempt, 4), 10*time.Second)
}

// BatchSize is how many documents one Meilisearch task carries in
// reindex and verify.
const BatchSize = 1000

// IndexThreadsWorker queues every thread of a forum or of a clinician's
// answers, BatchSize at a time.
type IndexThreadsWorker struct {
	river.WorkerDefaults[models.IndexThreadsArgs]
	DB     *database.DB
	Source Source
}

// Work queues the threads.
func (w *IndexThreadsWorker) Work(ctx context.Context, job *river.Job[models.IndexThreadsArgs]) error {
	return w.Source.ThreadIDs(ctx, job.Args, BatchSize, func(ids []int64) error { return EnqueueNow(ctx, w.DB, ids...) })
}

// SettingsWorker applies the index settings again.
type SettingsWorker struct {
	river.WorkerDefaults[models.SearchSettingsArgs]
	Client *Client
}

// Work applies the settings.
func (w *SettingsWorker) Work(ctx context.Context, _ *river.Job[models.SearchSettingsArgs]) error {
	return w.Client.ApplySettings(ctx)
}

// NextRetry: as IndexWorker.
func (w *SettingsWorker) NextRetry(job *river.Job[models.SearchSettingsArgs]) time.Time {
	return time.Now().Add(retryDelay(job.Attempt))
}

// StopWords are left out of queries and of ranking: words that carry no
// meaning in a patient's question ("has anyone else had this?").
var StopWords = []string{"a", "an", "and", "any", "anyone", "are", "as", "at", "be", "been", "but", "by", "did", "do", "does",
	"else", "for", "from", "had", "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or",
	"so", "some", "that", "the", "their", "them", "then", "there", "this", "to", "was", "we", "were", "what", "when", "which",
	"who", "with", "would", "you", "your"}

// stopWords leaves out the stop words that some synonym phrase uses:
// without "the", "the change" would shrink to "change" and "menopause"
// would find every thread about changing anything.
func stopWords(synonyms map[string][]string) []string {
	inPhrase := map[string]bool{}
	for term := range synonyms {
		if words := strings.Fields(term); len(words) > 1 {
			for _, w := range words {
				inPhrase[w] = true
			}
		}
	}
	out := make([]string, 0, len(StopWords))
	for _, w := range StopWords {
		if !inPhrase[w] {
			out = append(out, w)
		}
	}
	return out
}

// rankingRules: Meilisearch's defaults, then, among equal matches, the
// thread with recent activity first.
var rankingRules = []string{"words", "typo", "proximity", "attribute", "sort", "exactness", "last_activity:desc"}

var distinctAttribute = "thread_id"

// settings are the thread index's settings, applied to every index this
// package makes. extra are synonym groups admins added.
func threadSettings(extra [][]string) *meilisearch.Settings {
	synonyms := MergeSynonyms(FileSynonyms(), extra)
	return &meilisearch.Settings{
		// One result per thread: its best-matching post.
		DistinctAttribute:    &distinctAttribute,
		SearchableAttributes: []string{"title", "tags", "body", "forum_name", "clinician_professions"},
		SortableAttributes:   []string{"last_activity", "created_at", "reply_count"},
		DisplayedAttributes: []string{"id", "thread_id", "post_id", "head", "title", "body", "forum", "forum_name", "tags", "has_clinician_answer",
			"clinician_professions", "reply_count", "created_at", "last_activity", "thread_digest", "digest"},
		RankingRules: rankingRules,
		StopWords:    stopWords(synonyms),
		// Two typos from 8 letters ("diabetis"), none in numbers (an HbA1c
		// of 7.2 must not find 7.3) or in tags.
		TypoTolerance: &meilisearch.TypoTolerance{Enabled: true, MinWordSizeForTypos: meilisearch.MinWordSizeForTypos{OneTypo: 4, TwoTypos: 8},
			DisableOnNumbers: true, DisableOnAttributes: []string{"tags"}, DisableOnWords: []string{}},
		Synonyms:   synonyms,
		Pagination: &meilisearch.Pagination{MaxTotalHits: MaxTotal},
		// The most used tags come first (PopularTags); forums stay by name.
		Faceting: &meilisearch.Faceting{MaxValuesPerFacet: 100,
			SortFacetValuesBy: map[string]meilisearch.SortFacetType{"*": meilisearch.SortFacetTypeAlpha, "tags": meilisearch.SortFacetTypeCount}},
	}
}

// Reindex builds a fresh thread index from fill (which calls add with
// batches of documents), then swaps it with the live one in one
// Meilisearch task, so searches never meet an empty index, and drops the
// old one.
func (c *Client) Reindex(ctx context.Context, fill func(add func([]models.PostDoc) error) error) (int, error) {
	if err := c.EnsureThreads(ctx); err != nil {
		return 0, err
	}
	live := c.Index(threads)
	tmp := live + "_rebuild_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := c.wait(ctx)(c.ms.CreateIndexWithContext(ctx, &meilisearch.IndexConfig{Uid: tmp, PrimaryKey: "id"})); err != nil {
		return 0, fmt.Errorf("search: reindex: %w", err)
	}
	defer func() { _, _ = c.ms.DeleteIndexWithContext(context.WithoutCancel(ctx), tmp) }()
	built, err := c.ms.GetIndexWithContext(ctx, tmp)
	if err != nil {
		return 0, fmt.Errorf("search: reindex: %w", err)
	}
	if err := c.applySettings(ctx, tmp); err != nil {
		return 0, fmt.Errorf("search: reindex: %w", err)
	}
	// Batches are enqueued without waiting for each other: Meilisearch
	// merges queued document tasks into larger ones. All are checked before
	// the swap.
	n := 0
	var tasks []int64
	err = fill(func(docs []models.PostDoc) error {
		if len(docs) == 0 {
			return nil
		}
		n += len(docs)
		t, err := c.send(ctx, tmp, &Batch{Docs: docs})
		tasks = append(tasks, t...)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("search: reindex: %w", err)
	}
	for _, uid := range tasks {
		if err := c.wait(ctx)(&meilisearch.TaskInfo{TaskUID: uid}, nil); err != nil {
			return 0, fmt.Errorf("search: reindex: %w", err)
		}
	}
	info, err := c.ms.SwapIndexesWithContext(ctx, []*meilisearch.SwapIndexesParams{{Indexes: []string{live, tmp}}})
	if err != nil {
		return 0, fmt.Errorf("search: swap: %w", err)
	}
	if err := c.waitSwap(ctx, info.TaskUID, live, built.CreatedAt); err != nil {
		return 0, fmt.Errorf("search: swap: %w", err)
	}
	// The index of one document per thread, from before issue 21, is no
	// longer read.
	if _, err := c.ms.GetIndexWithContext(ctx, c.Index(legacyThreads)); err == nil {
		_, _ = c.ms.DeleteIndexWithContext(ctx, c.Index(legacyThreads))
	}
	return n, nil
}

// maxSwapWait bounds the wait for a swap task: it is queued behind the
// document tasks already waiting, then takes milliseconds.
const maxSwapWait = 5 * time.Minute

// waitSwap waits until the swap task uid has put the index created at
// built under the name live. A swap task belongs to no index, so a key
// limited to Kindred's indexes (the one Kindred makes for itself from the
// master key) is told it does not exist: then the swap is seen by the live
// name now carrying the rebuilt index's creation time (a swap exchanges
// the indexes whole). A key that sees the task also learns of a failure.
func (c *Client) waitSwap(ctx context.Context, uid int64, live string, built time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, maxSwapWait)
	defer cancel()
	taskVisible := true
	for {
		if taskVisible {
			t, err := c.ms.GetTaskWithContext(ctx, uid)
			var me *meilisearch.Error
			switch {
			case err == nil && t.Status == meilisearch.TaskStatusSucceeded:
				return nil
			case err == nil && (t.Status == meilisearch.TaskStatusFailed || t.Status == meilisearch.TaskStatusCanceled):
				return fmt.Errorf("task %d %s: %s", t.UID, t.Status, t.Error.Message)
			case errors.As(err, &me) && me.MeilisearchApiError.Code == "task_not_found":
				taskVisible = false
			case err != nil:
				return err
			}
		}
		if !taskVisible {
			idx, err := c.ms.GetIndexWithContext(ctx, live)
			if err != nil {
				return err
			}
			if idx.CreatedAt.Equal(built) {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("task %d: not done after %s: %w", uid, maxSwapWait, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Indexed is a document as the index holds it, for verification.
type Indexed struct {
	ThreadID int64
	Digest   string
}

// Indexed lists every document's id with its thread and digest, for
// verification against PostgreSQL.
func (c *Client) Indexed(ctx context.Context) (map[string]Indexed, error) {
	if err := c.EnsureThreads(ctx); err != nil {
		return nil, err
	}
	out := map[string]Indexed{}
	const page = 1000
	for offset := int64(0); ; offset += page {
		var res meilisearch.DocumentsResult
		if err := c.ms.Index(c.Index(threads)).GetDocumentsWithContext(ctx, &meilisearch.DocumentsQuery{Offset: offset, Limit: page,
			Fields: []string{"id", "thread_id", "digest"}}, &res); err != nil {
			return nil, err
		}
		var docs []struct {
			ID       string `json:"id"`
			ThreadID int64  `json:"thread_id"`
			Digest   string `json:"digest"`
		}
		if err := res.Results.DecodeInto(&docs); err != nil {
			return nil, err
		}
		for _, d := range docs {
			out[d.ID] = Indexed{ThreadID: d.ThreadID, Digest: d.Digest}
		}
		if int64(len(docs)) < page {
			return out, nil
		}
	}
}

// headDigests gives the thread digest of the head document the index
// holds for each of threads (none when it holds no head).
func (c *Client) headDigests(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var res meilisearch.DocumentsResult
	if err := c.ms.Index(c.Index(threads)).GetDocumentsWithContext(ctx, &meilisearch.DocumentsQuery{Limit: int64(len(ids)),
		Fields: []string{"thread_id", "thread_digest"}, Filter: "head = true AND thread_id IN [" + joinIDs(ids) + "]"}, &res); err != nil {
		return nil, fmt.Errorf("search: read head documents: %w", err)
	}
	var docs []struct {
		ThreadID     int64  `json:"thread_id"`
		ThreadDigest string `json:"thread_digest"`
	}
	if err := res.Results.DecodeInto(&docs); err != nil {
		return nil, err
	}
	for _, d := range docs {
		out[d.ThreadID] = d.ThreadDigest
	}
	return out, nil
}
