package analytics

import (
	"bytes"
	"encoding/csv"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/charts"
	"github.com/kindred-health/kindred/app/figures"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Templates.
const (
	TplIndex = "pages/admin/analytics_index.html"
	TplArea  = "pages/admin/analytics.html"
)

// Templates lists the pages for the renderer.
var Templates = []string{TplIndex, TplArea}

// Handlers serve the analytics pages, CSV and JSON.
type Handlers struct {
	svc *Service
	r   *web.Renderer
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *web.Renderer) *Handlers { return &Handlers{svc: svc, r: r} }

func noStore(c echo.Context) { c.Response().Header().Set("Cache-Control", "private, no-store") }

// scope is the actor's, or 404 for anyone who may not open analytics.
func scope(c echo.Context) (Scope, error) { return ScopeOf(web.Actor(c)) }

type indexData struct {
	Areas  []AreaInfo
	Links  []areaLink // the areas, with the period the request carried
	All    bool
	Weekly bool // the member asked for the weekly summary by e-mail
	// IndexHref is this page with the period (the admin menu's link).
	IndexHref template.URL
}

// areaLink is a link to an area that keeps the period chosen.
type areaLink struct {
	AreaInfo
	Href    template.URL
	Current bool
}

// periodLinks are the index's and the areas' addresses carrying the
// period when one was chosen (a valid one; the default otherwise, so the
// links stay short).
func periodLinks(sc Scope, per Period, chosen bool, current string) (template.URL, []areaLink) {
	href := func(path string) template.URL {
		if !chosen {
			return template.URL(path)
		}
		return per.Href(path)
	}
	var links []areaLink
	for _, a := range Areas {
		if sc.MayOpen(a.Key) {
			links = append(links, areaLink{AreaInfo: a, Href: href("/admin/analytics/" + a.Key), Current: a.Key == current})
		}
	}
	return href("/admin/analytics"), links
}

// chosenPeriod is the request's period when it names one and it is
// valid.
func (h *Handlers) chosenPeriod(c echo.Context) (Period, bool) {
	if c.QueryParam("period") == "" && c.QueryParam("from") == "" && c.QueryParam("to") == "" {
		return Period{}, false
	}
	p, err := ParsePeriod(c.QueryParam, h.svc.Yesterday())
	return p, err == nil
}

// Index lists the areas the actor may open.
func (h *Handlers) Index(c echo.Context) error {
	sc, err := scope(c)
	if err != nil {
		return err
	}
	weekly, err := h.svc.WeeklySubscribed(c.Request().Context(), web.Actor(c).ID())
	if err != nil {
		return err
	}
	d := indexData{All: sc.All, Weekly: weekly}
	for _, a := range Areas {
		if sc.MayOpen(a.Key) {
			d.Areas = append(d.Areas, a)
		}
	}
	per, chosen := h.chosenPeriod(c)
	d.IndexHref, d.Links = periodLinks(sc, per, chosen, "")
	p := h.r.NewPage(c, "Analytics")
	p.Noindex = true
	p.Data = d
	noStore(c)
	return h.r.Render(c, http.StatusOK, TplIndex, p)
}

// SetWeekly turns the weekly summary e-mail on or off (the index page's
// form: weekly=on or off).
func (h *Handlers) SetWeekly(c echo.Context) error {
	on := c.FormValue("weekly") == "on"
	if v := c.FormValue("weekly"); v != "on" && v != "off" {
		verr := models.NewValidationError()
		verr.Add("weekly", "Choose whether to get the weekly summary.")
		return verr
	}
	if err := h.svc.SetWeekly(c.Request().Context(), web.Actor(c), on); err != nil {
		return err
	}
	if cookies, ok := web.CookiesOf(c); ok {
		msg := "You will not get the weekly summary any more."
		if on {
			msg = "You will get a summary of last week's figures by e-mail each Monday."
		}
		cookies.SetFlash(c, msg)
	}
	return web.Redirect(c, "/admin/analytics#weekly")
}

// areaData is the area page's model.
type areaData struct {
	Area    AreaInfo
	Areas   []AreaInfo
	Report  *Report
	Period  Period
	Presets []int
	Charts  []template.HTML
	// Links are the areas' addresses and IndexHref the index's, keeping
	// the period on screen; CSVHref downloads it, JSONPath reads it.
	Links     []areaLink
	IndexHref template.URL
	CSVHref   template.URL
	JSONPath  string
	Figures   []figureView
	Tables    []tableView
	Synonyms  func(string) string
}

type figureView struct {
	Label, Value, Previous, Change string
}

type tableView struct {
	Title, Note string
	Columns     []string
	Rows        [][]string
	Label       []string
}

func textOf(f Figure) figureView {
	v := figureView{Label: f.Label, Value: f.Value.Text(f.Unit), Previous: f.Previous.Text(f.Unit), Change: f.Change.Text(changeUnit(f.Unit))}
	if f.Change.Value != nil && *f.Change.Value > 0 {
		v.Change = "+" + v.Change
	}
	if f.Change.Suppressed {
		v.Change = "—" // a change of a hidden figure is no figure, not a count
	}
	return v
}

// changeUnit: a change of a share is in percentage points.
func changeUnit(u string) string {
	if u == "%" {
		return " points"
	}
	return u
}

func tableOf(t Table) tableView {
	v := tableView{Title: t.Title, Note: t.Note, Columns: t.Columns}
	for _, r := range t.Rows {
		row := []string{}
		for i, cell := range r.Cells {
			u := ""
			if i < len(t.Units) {
				u = t.Units[i]
			}
			row = append(row, cell.Text(u))
		}
		v.Rows = append(v.Rows, row)
		v.Label = append(v.Label, r.Label)
	}
	return v
}

// chartOf turns a report's series into an accessible SVG chart.
func chartOf(area string, s Series) charts.Chart {
	ch := charts.Chart{ID: area + "-" + s.Key, Title: s.Title, Labels: s.Labels, Unit: s.Unit, XTitle: s.XTitle}
	if s.Kind == "bar" {
		ch.Kind = charts.Bar
	}
	for _, l := range s.Lines {
		cs := charts.Series{Name: l.Name}
		for _, v := range l.Values {
			switch {
			case v.Suppressed:
				cs.Values = append(cs.Values, charts.Hidden(FewerThan))
			case v.Value == nil:
				cs.Values = append(cs.Values, charts.Value{Missing: true, Text: "—"})
			default:
				cs.Values = append(cs.Values, charts.V(*v.Value))
			}
		}
		ch.Series = append(ch.Series, cs)
	}
	return ch
}

// report reads the area and period of the request.
func (h *Handlers) report(c echo.Context) (Scope, *Report, Period, error) {
	sc, err := scope(c)
	if err != nil {
		return sc, nil, Period{}, err
	}
	area := c.Param("area")
	if _, ok := areaInfo(area); !ok {
		return sc, nil, Period{}, models.ErrNotFound
	}
	if !sc.MayOpen(area) {
		return sc, nil, Period{}, models.ErrForbidden
	}
	p, err := ParsePeriod(c.QueryParam, h.svc.Yesterday())
	if err != nil {
		return sc, nil, Period{}, err
	}
	r, err := h.svc.Report(c.Request().Context(), sc, area, p)
	return sc, r, p, err
}

// Area shows one area's page; a bad period shows the form again (422)
// with what was typed.
func (h *Handlers) Area(c echo.Context) error {
	sc, r, per, err := h.report(c)
	var verr *models.ValidationError
	if err != nil && !errors.As(err, &verr) {
		return err
	}
	info, _ := areaInfo(c.Param("area"))
	d := areaData{Area: info, Presets: Presets, Report: r, Period: per,
		Synonyms: func(q string) string { return "/admin/search?terms=" + url.QueryEscape(q+", ") }}
	for _, a := range Areas {
		if sc.MayOpen(a.Key) {
			d.Areas = append(d.Areas, a)
		}
	}
	d.IndexHref, d.Links = periodLinks(sc, per, verr == nil && (c.QueryParam("period") != "" || c.QueryParam("from") != "" || c.QueryParam("to") != ""), info.Key)
	if verr == nil {
		d.CSVHref = per.Href("/admin/analytics/" + info.Key + "/csv")
		d.JSONPath = "/api/v1/analytics/" + info.Key + "?" + per.Query()
	}
	p := h.r.NewPage(c, "Analytics: "+info.Title)
	p.Noindex = true
	p.Form.Values = map[string]string{"period": c.QueryParam("period"), "from": c.QueryParam("from"), "to": c.QueryParam("to")}
	if p.Form.Values["period"] == "" {
		p.Form.Values["period"] = strconv.Itoa(DefaultPreset)
		if c.QueryParam("from") != "" || c.QueryParam("to") != "" {
			p.Form.Values["period"] = "custom"
		}
	}
	status := http.StatusOK
	if verr != nil {
		status = http.StatusUnprocessableEntity
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	} else {
		if per.Preset > 0 || p.Form.Values["from"] == "" {
			p.Form.Values["from"], p.Form.Values["to"] = per.From.Format(time.DateOnly), per.To.Format(time.DateOnly)
		}
		for _, f := range r.Figures {
			d.Figures = append(d.Figures, textOf(f))
		}
		for _, t := range r.Tables {
			d.Tables = append(d.Tables, tableOf(t))
		}
		for _, s := range r.Charts {
			d.Charts = append(d.Charts, charts.HTML(chartOf(r.Area, s)))
		}
	}
	p.Data = d
	noStore(c)
	return h.r.Render(c, status, TplArea, p)
}

// API is GET /api/v1/analytics/:area?period=|from=&to=: the page's
// figures, with the same suppression.
func (h *Handlers) API(c echo.Context) error {
	_, r, _, err := h.report(c)
	if err != nil {
		return err
	}
	noStore(c)
	return c.JSON(http.StatusOK, r)
}

// CSV is the area's figures and tables as a spreadsheet.
func (h *Handlers) CSV(c echo.Context) error {
	_, r, _, err := h.report(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	// A byte-order mark and CRLF line ends: Excel on Windows reads the
	// file as UTF-8 only with the mark, and "–" stays "–".
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	put := func(cells ...string) {
		for i, v := range cells {
			cells[i] = CSVSafe(v)
		}
		_ = w.Write(cells)
	}
	put("Kindred analytics", r.Title, "from "+r.From, "to "+r.To, "previous "+r.PreviousFrom+" to "+r.PreviousTo)
	put("Figure", "Unit", "This period", "Previous period", "Change")
	for _, f := range r.Figures {
		put(f.Label, strings.TrimSpace(f.Unit), f.Value.Raw(), f.Previous.Raw(), f.Change.Raw())
	}
	for _, t := range r.Tables {
		put()
		put(t.Title)
		put(t.Columns...)
		for _, row := range t.Rows {
			line := []string{row.Label}
			for _, cell := range row.Cells {
				line = append(line, cell.Raw())
			}
			put(line...)
		}
	}
	if r.Area == AreaSearch {
		put()
		put("Queries that found nothing (at least 5 different members)")
		put("Query", "Searches", "Different members")
		for _, q := range r.NoResult {
			put(q.Query, strconv.FormatInt(q.Searches, 10), strconv.FormatInt(q.Members, 10))
		}
	}
	w.Flush()
	if err := h.svc.RecordDownload(c.Request().Context(), web.Actor(c), r, c.RealIP()); err != nil {
		return err
	}
	noStore(c)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="kindred-`+r.Area+`-`+r.From+`-`+r.To+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// CSVSafe keeps a spreadsheet from reading a cell as a formula (the one
// rule, in app/figures).
func CSVSafe(s string) string { return figures.CSVSafe(s) }
