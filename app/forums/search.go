package forums

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"kindred/app/search"
	"kindred/models"
)

// Searcher runs searches (app/search implements it).
type Searcher interface {
	Search(ctx context.Context, q search.Query) ([]search.Hit, int64, error)
}

// SetSearcher wires the search client.
func (h *Handlers) SetSearcher(s Searcher) { h.searcher = s }

// Audiences are the search audiences a viewer may see: the server adds
// them to every query, whatever the request says.
func Audiences(v Viewer) []string {
	a := []string{models.AudiencePublic}
	if v.SignedIn() {
		a = append(a, models.AudienceMembers)
	}
	if v.SignedIn() && (v.Clinician || v.IsStaff()) {
		a = append(a, models.AudienceClinicians)
	}
	return a
}

// Search is GET /api/v1/search?q=&forum=&clinician_answered=true&sort=newest|active&page=.
func (a *API) Search(c echo.Context) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	if page < 1 || page > 50 {
		page = 1
	}
	q := search.Query{Text: strings.TrimSpace(c.QueryParam("q")), Audiences: Audiences(v), Forum: c.QueryParam("forum"),
		Answered: c.QueryParam("clinician_answered") == "true", Sort: c.QueryParam("sort"), Page: page}
	if len(q.Text) > 200 {
		q.Text = q.Text[:200]
	}
	hits, total, err := a.h.searcher.Search(c.Request().Context(), q)
	if errors.Is(err, search.ErrUnavailable) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "Search is temporarily unavailable. Posting and reading still work; please try again shortly.")
	}
	if err != nil {
		return err
	}
	if hits == nil {
		hits = []search.Hit{}
	}
	return c.JSON(http.StatusOK, map[string]any{"hits": hits, "estimated_total": total, "page": page})
}

// TplSearch is the search page.
const TplSearch = "pages/forums/search.html"

type searchData struct {
	Query       search.Query
	Hits        []search.Hit
	Total       int64
	Unavailable bool
	Forums      []ForumItem
	NextURL     string
	PrevURL     string
}

// SearchPage shows search results for the viewer.
func (h *Handlers) SearchPage(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	if page < 1 || page > 50 {
		page = 1
	}
	q := search.Query{Text: strings.TrimSpace(c.QueryParam("q")), Audiences: Audiences(v), Forum: c.QueryParam("forum"),
		Answered: c.QueryParam("answered") == "1", Sort: c.QueryParam("sort"), Page: page}
	if len(q.Text) > 200 {
		q.Text = q.Text[:200]
	}
	d := searchData{Query: q}
	if d.Forums, err = h.svc.Forums(c.Request().Context(), v, false); err != nil {
		return err
	}
	status := http.StatusOK
	if q.Text != "" || q.Forum != "" || q.Answered {
		d.Hits, d.Total, err = h.searcher.Search(c.Request().Context(), q)
		switch {
		case errors.Is(err, search.ErrUnavailable):
			d.Unavailable, status = true, http.StatusServiceUnavailable
		case err != nil:
			return err
		}
		link := func(p int) string {
			vals := c.QueryParams()
			vals.Set("page", strconv.Itoa(p))
			return "/search?" + vals.Encode()
		}
		if page > 1 {
			d.PrevURL = link(page - 1)
		}
		if int64(page*search.PerPage) < d.Total {
			d.NextURL = link(page + 1)
		}
	}
	p := h.r.NewPage(c, "Search")
	p.Noindex = true
	p.Data = d
	return h.r.Render(c, status, TplSearch, p)
}
