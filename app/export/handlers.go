package export

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Templates.
const (
	TplExport   = "pages/account/export.html"
	TplDownload = "pages/account/export_download.html"
	TplWhoSaw   = "pages/account/who_saw.html"
)

// Templates lists the pages for the renderer.
var Templates = []string{TplExport, TplDownload, TplWhoSaw}

// WhoSawPageSize is how many events a who-saw page lists.
const WhoSawPageSize = 50

// Handlers serve the export and who-saw pages and API.
type Handlers struct {
	svc     *Service
	r       *web.Renderer
	cookies web.Cookies
	fresh   func(echo.Context) bool
}

// NewHandlers wires the handlers; fresh tells whether the request's
// session proved who it is recently (auth's rule, given by app/server).
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies, fresh func(echo.Context) bool) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies, fresh: fresh}
}

func private(c echo.Context) { c.Response().Header().Set("Cache-Control", "private, no-store") }

type exportPage struct {
	Exports   []models.Export
	Working   bool      // one is queued or building
	NextAt    time.Time // when the member may ask again (zero: now)
	Limited   string    // the refusal, when they just asked too early
	HasEmail  bool
	LinkHours int
}

func (h *Handlers) render(c echo.Context, status int, limited string) error {
	ctx := c.Request().Context()
	u := web.CurrentUser(c)
	list, err := h.svc.List(ctx, u.ID)
	if err != nil {
		return err
	}
	next, err := h.svc.NextAllowed(ctx, u.ID)
	if err != nil {
		return err
	}
	d := exportPage{Exports: list, NextAt: next, Limited: limited, HasEmail: Mailable(u), LinkHours: int(h.svc.opts.LinkTTL / time.Hour)}
	for _, e := range list {
		if e.Status == models.ExportQueued || e.Status == models.ExportBuilding {
			d.Working = true
		}
	}
	p := h.r.NewPage(c, "A copy of your data")
	p.Noindex = true
	p.Data = d
	private(c)
	return h.r.Render(c, status, TplExport, p)
}

// Page shows the member's exports and the button to ask for one.
func (h *Handlers) Page(c echo.Context) error { return h.render(c, http.StatusOK, "") }

// Request queues an export after a fresh authentication.
func (h *Handlers) Request(c echo.Context) error {
	if !h.fresh(c) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape("/account/export"))
	}
	_, err := h.svc.Request(c.Request().Context(), web.Actor(c), c.RealIP())
	var le *LimitError
	if errors.As(err, &le) {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(le.Public().RetryAfter/time.Second)))
		return h.render(c, http.StatusTooManyRequests, le.Public().Message)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "We are making a copy of your data. We will e-mail you a link when it is ready.")
	return web.Redirect(c, "/account/export")
}

// DownloadPage shows the button that uses the e-mailed link (a GET never
// uses it up: mail scanners open links).
func (h *Handlers) DownloadPage(c echo.Context) error {
	token := c.QueryParam("token")
	e, err := h.svc.Check(c.Request().Context(), web.CurrentUser(c).ID, token)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Download your data")
	p.Noindex = true
	p.Data = struct {
		Export *models.Export
		Token  string
	}{e, token}
	private(c)
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return h.r.Render(c, http.StatusOK, TplDownload, p)
}

// Download sends the archive, once.
func (h *Handlers) Download(c echo.Context) error {
	return h.svc.Download(c.Request().Context(), web.CurrentUser(c).ID, c.FormValue("token"), c.RealIP(), h.begin(c))
}

// DownloadOwn sends the archive, once, to a member no link can reach (no
// confirmed e-mail address), after a fresh sign-in.
func (h *Handlers) DownloadOwn(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return models.ErrNotFound
	}
	if !h.fresh(c) {
		return web.Redirect(c, "/reauth?next="+url.QueryEscape("/account/export"))
	}
	return h.svc.DownloadWithoutEmail(c.Request().Context(), web.CurrentUser(c), id, c.RealIP(), h.begin(c))
}

// begin sets the download's headers once the archive is open.
func (h *Handlers) begin(c echo.Context) func(size int64) io.Writer {
	name := fmt.Sprintf("kindred-data-%s-%s.zip", web.CurrentUser(c).Handle, h.svc.now().UTC().Format("2006-01-02"))
	return func(size int64) io.Writer {
		hd := c.Response().Header()
		hd.Set(echo.HeaderContentType, "application/zip")
		hd.Set(echo.HeaderContentDisposition, "attachment; filename=\""+url.PathEscape(name)+"\"")
		hd.Set(echo.HeaderContentLength, strconv.FormatInt(size, 10))
		hd.Set("X-Content-Type-Options", "nosniff")
		private(c)
		c.Response().WriteHeader(http.StatusOK)
		return c.Response()
	}
}

type whoSawPage struct {
	Items []Sighting
	Next  int64
	First bool
}

// WhoSaw lists who read the member's private data and what the staff did.
func (h *Handlers) WhoSaw(c echo.Context) error {
	before, err := web.CursorParam(c, "before")
	if err != nil {
		return err
	}
	items, next, err := h.svc.WhoSaw(c.Request().Context(), web.CurrentUser(c).ID, before, WhoSawPageSize)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Who saw your data")
	p.Noindex = true
	p.Data = whoSawPage{Items: items, Next: next, First: before == 0}
	private(c)
	return h.r.Render(c, http.StatusOK, TplWhoSaw, p)
}

// exportJSON is an export as the API shows it: never the link.
type exportJSON struct {
	ID           int64      `json:"id"`
	Status       string     `json:"status"`
	Progress     int        `json:"progress"`
	Bytes        *int64     `json:"bytes"`
	Error        string     `json:"error,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	ReadyAt      *time.Time `json:"ready_at"`
	DownloadedAt *time.Time `json:"downloaded_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
}

func toJSON(e models.Export) exportJSON {
	return exportJSON{ID: e.ID, Status: string(e.Status), Progress: e.Progress, Bytes: e.Bytes, Error: e.Error, CreatedAt: e.CreatedAt,
		ReadyAt: e.ReadyAt, DownloadedAt: e.DownloadedAt, ExpiresAt: e.ExpiresAt}
}

// APIRequest is POST /api/v1/me/export: 202 with the queued export, or
// 429 with Retry-After. The archive is fetched through the e-mailed link
// in a signed-in browser, never with an API token.
func (h *Handlers) APIRequest(c echo.Context) error {
	e, err := h.svc.Request(c.Request().Context(), web.Actor(c), c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, toJSON(*e))
}

// APIList is GET /api/v1/me/exports: status and progress.
func (h *Handlers) APIList(c echo.Context) error {
	list, err := h.svc.List(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]exportJSON, 0, len(list))
	for _, e := range list {
		out = append(out, toJSON(e))
	}
	return c.JSON(http.StatusOK, map[string]any{"exports": out})
}

// APIWhoSaw is GET /api/v1/me/who-saw?before=: newest first, 50 a page.
func (h *Handlers) APIWhoSaw(c echo.Context) error {
	before, err := web.CursorParam(c, "before")
	if err != nil {
		return err
	}
	items, next, err := h.svc.WhoSaw(c.Request().Context(), web.CurrentUser(c).ID, before, WhoSawPageSize)
	if err != nil {
		return err
	}
	if items == nil {
		items = []Sighting{}
	}
	var cursor *int64
	if next != 0 {
		cursor = &next
	}
	return c.JSON(http.StatusOK, map[string]any{"events": items, "next_before": cursor})
}
