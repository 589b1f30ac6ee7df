package forums

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Searcher runs searches (app/search implements it).
type Searcher interface {
	Search(ctx context.Context, q search.Query) (*search.Result, error)
	PopularTags(ctx context.Context, audiences []string, n int) ([]search.TagCount, error)
}

// SearchRecorder counts searches for the staff's analytics (app/analytics
// implements it): called after a search's first page, with what was
// searched and Meilisearch's estimate of its matches (0 when nothing
// matched). It must not fail or hold up the search.
type SearchRecorder interface {
	RecordSearch(ctx context.Context, actor models.Actor, text string, found int64)
}

// record counts a search's first page.
func (h *Handlers) record(c echo.Context, v Viewer, q search.Query, res *search.Result) {
	if h.recorder != nil && res != nil && q.Page == 1 {
		h.recorder.RecordSearch(c.Request().Context(), v, q.Text, res.Total)
	}
}

// parseSearch reads a search request. Every parameter is checked against
// what it may be; user input reaches Meilisearch only as the query text.
func parseSearch(c echo.Context, v Viewer) (search.Query, error) {
	verr := models.NewValidationError()
	page, err := web.PageParam(c, "page", search.MaxPage)
	if err != nil {
		page = 1
		verr.Add("page", "Choose a page from 1 to "+strconv.Itoa(search.MaxPage)+": search shows the best "+strconv.Itoa(search.MaxPage*search.PerPage)+" results.")
	}
	q := search.Query{Text: strings.TrimSpace(c.QueryParam("q")), Audiences: v.Audiences(), Forum: c.QueryParam("forum"),
		Tag: NormalizeTag(c.QueryParam("tag")), Answered: c.QueryParam("clinician_answered") == "true" || c.QueryParam("answered") == "1",
		Sort: c.QueryParam("sort"), Page: page}
	if utf8.RuneCountInString(q.Text) > 200 {
		q.Text = string([]rune(q.Text)[:200])
	}
	known := false
	for _, s := range search.Sorts {
		known = known || s.Value == q.Sort
	}
	if !known {
		verr.Add("sort", "Choose best match, newest, most replies or latest activity.")
	}
	date := func(field string) time.Time {
		raw := strings.TrimSpace(c.QueryParam(field))
		if raw == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil || t.Year() < 2000 || t.Year() > 9999 {
			verr.Add(field, "Enter a date as YYYY-MM-DD, for example 2026-03-01.")
			return time.Time{}
		}
		return t
	}
	q.From = date("from")
	if to := date("to"); !to.IsZero() {
		q.To = to.AddDate(0, 0, 1) // the whole "to" day
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		verr.Add("to", "The end date must not be before the start date.")
	}
	if len(verr.Fields) > 0 {
		verr.Message = "Please correct the search options."
		return q, verr
	}
	return q, nil
}

// Search is GET /api/v1/search?q=&forum=&tag=&clinician_answered=true&from=&to=&sort=newest|active|recent&page=.
func (a *API) Search(c echo.Context) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	q, err := parseSearch(c, v)
	if err != nil {
		return err
	}
	res, err := a.h.searcher.Search(c.Request().Context(), q)
	if errors.Is(err, search.ErrUnavailable) {
		return search.Unavailable(err)
	}
	if err != nil {
		return err
	}
	a.h.record(c, v, q, res)
	return c.JSON(http.StatusOK, map[string]any{"hits": res.Hits, "has_more": res.More, "estimated_total": res.Total, "forum_counts": res.Forums,
		"page": q.Page, "per_page": search.PerPage})
}

// TplSearch is the search page.
const TplSearch = "pages/forums/search.html"

type searchData struct {
	Query       search.Query
	Searched    bool
	Result      *search.Result
	Unavailable bool
	Forums      []ForumItem
	Sorts       []struct{ Value, Label string }
	Popular     []search.TagCount // shown before anything is searched
	From, To    string
	NextURL     string
	PrevURL     string
}

// Count is Meilisearch's estimate of a forum's matches for the current
// search: at least its matching threads, at most its matching posts.
func (d searchData) Count(slug string) int64 {
	if d.Result == nil {
		return 0
	}
	return d.Result.Forums[slug]
}

// SearchPage shows search results for the viewer.
func (h *Handlers) SearchPage(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	q, qerr := parseSearch(c, v)
	d := searchData{Query: q, Sorts: search.Sorts, From: c.QueryParam("from"), To: c.QueryParam("to")}
	if d.Forums, err = h.svc.Forums(c.Request().Context(), v, false); err != nil {
		return err
	}
	p := h.r.NewPage(c, "Search")
	p.Noindex = true
	status := http.StatusOK
	var verr *models.ValidationError
	switch {
	case errors.As(qerr, &verr):
		status = http.StatusUnprocessableEntity
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	case qerr != nil:
		return qerr
	case q.Text != "" || q.Forum != "" || q.Tag != "" || q.Answered || !q.From.IsZero() || !q.To.IsZero():
		d.Searched = true
		d.Result, err = h.searcher.Search(c.Request().Context(), q)
		switch {
		case errors.Is(err, search.ErrUnavailable):
			d.Unavailable, status = true, http.StatusServiceUnavailable
			c.Response().Header().Set("Retry-After", strconv.Itoa(int(search.RetryAfter/time.Second)))
		case err != nil:
			return err
		}
		h.record(c, v, q, d.Result)
		link := func(p int) string {
			vals := c.QueryParams()
			vals.Set("page", strconv.Itoa(p))
			return "/search?" + vals.Encode()
		}
		if q.Page > 1 {
			d.PrevURL = link(q.Page - 1)
		}
		if d.Result != nil && d.Result.More {
			d.NextURL = link(q.Page + 1)
		}
	}
	if !d.Searched && qerr == nil {
		// Best effort: without Meilisearch the page still offers its form.
		d.Popular, _ = h.searcher.PopularTags(c.Request().Context(), q.Audiences, 20)
	}
	p.Data = d
	return h.r.Render(c, status, TplSearch, p)
}
