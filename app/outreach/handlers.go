package outreach

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"net/http"
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
	TplShow           = "pages/announcements/show.html"
	TplIndex          = "pages/announcements/index.html"
	TplLinkGone       = "pages/campaigns/gone.html"
	TplManage         = "pages/announcements/manage.html"
	TplForm           = "pages/announcements/form.html"
	TplDelete         = "pages/announcements/delete.html"
	TplCampaigns      = "pages/campaigns/list.html"
	TplCampaignForm   = "pages/campaigns/form.html"
	TplCampaign       = "pages/campaigns/show.html"
	TplCampaignDelete = "pages/campaigns/delete.html"
)

// Templates lists the pages for the renderer.
var Templates = []string{TplShow, TplIndex, TplLinkGone, TplManage, TplForm, TplDelete, TplCampaigns, TplCampaignForm, TplCampaign, TplCampaignDelete}

// KeepInputPaths are the forms whose handlers check every field with the
// input rules and show the form again with what was typed (web.ValidText
// lets their refused forms through).
var KeepInputPaths = []string{"/moderation/announcements", "/moderation/announcements/:id", "/admin/campaigns", "/admin/campaigns/:id"}

// Handlers serve the pages.
type Handlers struct {
	svc     *Service
	r       *web.Renderer
	cookies web.Cookies
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies}
}

func private(c echo.Context) { c.Response().Header().Set("Cache-Control", "private, no-store") }

// Show is an announcement's own page, for its audience while it runs.
func (h *Handlers) Show(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	actor := web.Actor(c)
	a, err := h.svc.Visible(c.Request().Context(), actor, id)
	if err != nil {
		if errors.Is(err, models.ErrNotFound) && !actor.SignedIn() {
			// Perhaps for members: the sign-in page says nothing of it.
			return web.Redirect(c, "/signin?next="+c.Request().URL.Path)
		}
		return err
	}
	links, err := h.svc.publicLinks(c.Request().Context(), a.CampaignID)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, a.Title)
	p.Noindex = a.Audience != AudienceEveryone || a.ForumID != nil
	dismissed := false
	if actor.SignedIn() {
		st, err := h.svc.memberState(c.Request().Context(), actor.ID(), 0, []int64{a.ID}, nil)
		if err != nil {
			return err
		}
		dismissed = st.dismissed[a.ID] && a.Dismissible()
	}
	p.Data = map[string]any{"A": a, "Links": links, "Ends": web.ExactTime(a.EndsAt, web.Location(actor.User)),
		"Dismissible": actor.SignedIn() && a.Dismissible() && !dismissed, "Dismissed": dismissed}
	return h.r.Render(c, http.StatusOK, TplShow, p)
}

// publicLinks are a campaign's links as the site shows them.
func (s *Service) publicLinks(ctx context.Context, campaignID *int64) ([]web.NoticeLink, error) {
	if campaignID == nil {
		return nil, nil
	}
	var rows []linkRow
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, campaign_id, title FROM campaign_links WHERE campaign_id = ? ORDER BY position, id`, *campaignID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]web.NoticeLink, 0, len(rows))
	for _, l := range rows {
		out = append(out, web.NoticeLink{Title: l.Title, Href: "/go/" + strconv.FormatInt(l.ID, 10)})
	}
	return out, nil
}

// Dismiss hides a card for the member and goes back to the page it was on.
func (h *Handlers) Dismiss(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Dismiss(c.Request().Context(), web.Actor(c), id); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Announcement hidden. While it runs it stays listed under “All announcements” (/announcements), where you can show it again.")
	return web.Redirect(c, web.SafeNext(c.FormValue("next")))
}

// Index lists every announcement running now for the viewer, the cards
// they hid too (marked, with a button to show them again).
func (h *Handlers) Index(c echo.Context) error {
	actor := web.Actor(c)
	list, err := h.svc.ForActor(c.Request().Context(), actor)
	if err != nil {
		return err
	}
	loc := web.Location(actor.User)
	type item struct {
		Listed
		Ends string
	}
	items := make([]item, 0, len(list))
	for _, l := range list {
		items = append(items, item{Listed: l, Ends: web.ExactTime(l.EndsAt, loc)})
	}
	p := h.r.NewPage(c, "Announcements")
	p.Noindex = actor.SignedIn()
	p.Data = map[string]any{"Items": items, "SignedIn": actor.SignedIn()}
	if actor.SignedIn() {
		private(c)
	}
	return h.r.Render(c, http.StatusOK, TplIndex, p)
}

// Undismiss shows a hidden card again and goes back to the page it was on.
func (h *Handlers) Undismiss(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Undismiss(c.Request().Context(), web.Actor(c), id); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "The announcement shows on your pages again.")
	next := c.FormValue("next")
	if next == "" {
		next = "/announcements"
	}
	return web.Redirect(c, web.SafeNext(next))
}

// Go counts a click on a campaign link and sends the browser to the
// link's stored address (and nowhere else); a removed link is 410 Gone.
func (h *Handlers) Go(c echo.Context) error { return h.follow(c, true) }

// GoHead answers HEAD /go/{id} with the same redirect, counting nothing.
func (h *Handlers) GoHead(c echo.Context) error { return h.follow(c, false) }

func (h *Handlers) follow(c echo.Context, count bool) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	to, err := h.svc.Follow(c.Request().Context(), id, c.RealIP(), c.Request().UserAgent(), count)
	if errors.Is(err, ErrLinkGone) {
		p := h.r.NewPage(c, "This link was withdrawn")
		p.Noindex = true
		c.Response().Header().Set("Cache-Control", "no-store")
		return h.r.Render(c, http.StatusGone, TplLinkGone, p)
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store") // every click counts
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	return c.Redirect(http.StatusFound, to)
}

// row is an announcement in the staff list.
type row struct {
	Announcement
	State        string
	Starts, Ends string
}

// Manage lists the announcements the actor may manage.
func (h *Handlers) Manage(c echo.Context) error {
	actor := web.Actor(c)
	list, err := h.svc.Managed(c.Request().Context(), actor)
	if err != nil {
		return err
	}
	loc := web.Location(actor.User)
	now := h.svc.now()
	rows := make([]row, 0, len(list))
	for _, a := range list {
		rows = append(rows, row{Announcement: a, State: a.State(now), Starts: web.ExactTime(a.StartsAt, loc), Ends: web.ExactTime(a.EndsAt, loc)})
	}
	p := h.r.NewPage(c, "Announcements")
	p.Noindex = true
	p.Data = map[string]any{"Rows": rows, "Admin": actor.IsAdmin()}
	private(c)
	return h.r.Render(c, http.StatusOK, TplManage, p)
}

func formOf(c echo.Context) AnnouncementForm {
	cid, _ := strconv.ParseInt(strings.TrimSpace(c.FormValue("campaign_id")), 10, 64)
	return AnnouncementForm{Title: c.FormValue("title"), Body: c.FormValue("body"), Scope: c.FormValue("scope"), Audience: c.FormValue("audience"),
		Forum: c.FormValue("forum"), Priority: c.FormValue("priority"), HealthAlert: c.FormValue("health_alert") == "on", Email: c.FormValue("email") == "on",
		StartsAt: c.FormValue("starts_at"), EndsAt: c.FormValue("ends_at"), CampaignID: cid}
}

func (h *Handlers) renderForm(c echo.Context, status int, a *Announcement, values map[string]string, err error) error {
	actor := web.Actor(c)
	ctx := c.Request().Context()
	forums, ferr := h.svc.ModeratedForums(ctx, actor)
	if ferr != nil {
		return ferr
	}
	var campaigns []Campaign
	if actor.IsAdmin() {
		if campaigns, ferr = h.svc.campaignChoices(ctx); ferr != nil {
			return ferr
		}
	}
	title := "New announcement"
	if a != nil {
		title = "Edit announcement"
	}
	p := h.r.NewPage(c, title)
	p.Noindex = true
	p.Form.Keep(values, err)
	loc := web.Location(actor.User)
	p.Data = map[string]any{"A": a, "Forums": forums, "Campaigns": campaigns, "Admin": actor.IsAdmin(), "Zone": loc.String(),
		"ZoneNow": h.svc.now().In(loc).Format("MST")}
	private(c)
	return h.r.Render(c, status, TplForm, p)
}

// valuesOf is a saved announcement as form fields, in the author's zone.
func valuesOf(a *Announcement, loc *time.Location) map[string]string {
	f := AnnouncementForm{Title: a.Title, Body: a.Body, Scope: a.Scope, Audience: a.Audience, Forum: a.ForumSlug, Priority: a.Priority,
		HealthAlert: a.HealthAlert, Email: a.Email, StartsAt: a.StartsAt.In(loc).Format(LocalLayout), EndsAt: a.EndsAt.In(loc).Format(LocalLayout)}
	if a.CampaignID != nil {
		f.CampaignID = *a.CampaignID
	}
	return f.Values()
}

// NewPage shows an empty form (starting now, for a week).
func (h *Handlers) NewPage(c echo.Context) error {
	actor := web.Actor(c)
	if !MayAnnounce(actor) {
		return models.ErrForbidden
	}
	loc := web.Location(actor.User)
	now := h.svc.now().In(loc)
	v := AnnouncementForm{Audience: AudienceEveryone, Priority: PriorityCard, Forum: c.QueryParam("forum"),
		StartsAt: now.Format(LocalLayout), EndsAt: now.Add(7 * 24 * time.Hour).Format(LocalLayout)}
	if actor.IsAdmin() {
		v.Scope = ScopeSite
	} else {
		v.Scope = ScopeForum
	}
	return h.renderForm(c, http.StatusOK, nil, v.Values(), nil)
}

// Create saves a new announcement.
func (h *Handlers) Create(c echo.Context) error {
	actor := web.Actor(c)
	f := formOf(c)
	_, err := h.svc.Create(c.Request().Context(), actor, f, web.Location(actor.User), c.RealIP())
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.renderForm(c, http.StatusUnprocessableEntity, nil, f.Values(), err)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Announcement saved.")
	return web.Redirect(c, "/moderation/announcements")
}

// EditPage shows an announcement's form.
func (h *Handlers) EditPage(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	actor := web.Actor(c)
	a, err := h.svc.Manageable(c.Request().Context(), actor, id)
	if err != nil {
		return err
	}
	return h.renderForm(c, http.StatusOK, a, valuesOf(a, web.Location(actor.User)), nil)
}

// Update saves an announcement's form.
func (h *Handlers) Update(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	actor := web.Actor(c)
	ctx := c.Request().Context()
	a, err := h.svc.Manageable(ctx, actor, id)
	if err != nil {
		return err
	}
	f := formOf(c)
	_, err = h.svc.Update(ctx, actor, id, f, web.Location(actor.User), c.RealIP())
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.renderForm(c, http.StatusUnprocessableEntity, a, f.Values(), err)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Announcement saved.")
	return web.Redirect(c, "/moderation/announcements")
}

// End takes an announcement off the site now.
func (h *Handlers) End(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.End(c.Request().Context(), web.Actor(c), id, c.RealIP()); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "The announcement has ended: it no longer shows.")
	return web.Redirect(c, "/moderation/announcements")
}

// DeletePage asks for confirmation.
func (h *Handlers) DeletePage(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	a, err := h.svc.Manageable(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Delete the announcement?")
	p.Noindex = true
	p.Data = a
	private(c)
	return h.r.Render(c, http.StatusOK, TplDelete, p)
}

// Delete removes an announcement.
func (h *Handlers) Delete(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.Delete(c.Request().Context(), web.Actor(c), id, c.RealIP()); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Announcement deleted.")
	return web.Redirect(c, "/moderation/announcements")
}

// Campaigns lists campaigns.
func (h *Handlers) Campaigns(c echo.Context) error {
	actor := web.Actor(c)
	list, err := h.svc.Campaigns(c.Request().Context(), actor)
	if err != nil {
		return err
	}
	loc := web.Location(actor.User)
	type crow struct {
		Campaign
		Starts, Ends string
	}
	rows := make([]crow, 0, len(list))
	for _, x := range list {
		rows = append(rows, crow{x, web.ExactTime(x.StartsAt, loc), web.ExactTime(x.EndsAt, loc)})
	}
	p := h.r.NewPage(c, "Campaigns")
	p.Noindex = true
	p.Data = rows
	private(c)
	return h.r.Render(c, http.StatusOK, TplCampaigns, p)
}

func campaignFormOf(c echo.Context) CampaignForm {
	return CampaignForm{Name: c.FormValue("name"), Description: c.FormValue("description"), StartsAt: c.FormValue("starts_at"), EndsAt: c.FormValue("ends_at"),
		Links: ParseLinkLines(c.FormValue("links")), Threads: ParseThreadLines(c.FormValue("threads"))}
}

func (h *Handlers) renderCampaignForm(c echo.Context, status int, v *CampaignView, values map[string]string, err error) error {
	if !mayRunCampaigns(web.Actor(c)) {
		return models.ErrForbidden
	}
	title := "New campaign"
	if v != nil {
		title = "Edit campaign"
	}
	p := h.r.NewPage(c, title)
	p.Noindex = true
	p.Form.Keep(values, err)
	if err != nil {
		// The raw lines, as typed (not re-joined from what was read).
		p.Form.Values["links"], p.Form.Values["threads"] = c.FormValue("links"), c.FormValue("threads")
	}
	loc := web.Location(web.CurrentUser(c))
	p.Data = map[string]any{"C": v, "Zone": loc.String()}
	private(c)
	return h.r.Render(c, status, TplCampaignForm, p)
}

// NewCampaignPage shows an empty campaign form.
func (h *Handlers) NewCampaignPage(c echo.Context) error {
	loc := web.Location(web.CurrentUser(c))
	now := h.svc.now().In(loc)
	f := CampaignForm{StartsAt: now.Format(LocalLayout), EndsAt: now.Add(7 * 24 * time.Hour).Format(LocalLayout)}
	return h.renderCampaignForm(c, http.StatusOK, nil, f.Values(), nil)
}

// SaveCampaign creates or changes a campaign.
func (h *Handlers) SaveCampaign(c echo.Context) error {
	actor := web.Actor(c)
	ctx := c.Request().Context()
	var id int64
	var v *CampaignView
	if c.Param("id") != "" {
		var err error
		if id, err = web.PathID(c, "id"); err != nil {
			return err
		}
		if v, err = h.svc.Campaign(ctx, actor, id); err != nil {
			return err
		}
	}
	f := campaignFormOf(c)
	saved, err := h.svc.SaveCampaign(ctx, actor, id, f, web.Location(actor.User), c.RealIP())
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return h.renderCampaignForm(c, http.StatusUnprocessableEntity, v, f.Values(), err)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Campaign saved.")
	return web.Redirect(c, "/admin/campaigns/"+strconv.FormatInt(saved.ID, 10))
}

// EditCampaignPage shows a campaign's form.
func (h *Handlers) EditCampaignPage(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.svc.Campaign(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	loc := web.Location(web.CurrentUser(c))
	f := CampaignForm{Name: v.Name, Description: v.Description, StartsAt: v.StartsAt.In(loc).Format(LocalLayout), EndsAt: v.EndsAt.In(loc).Format(LocalLayout)}
	for _, l := range v.Links {
		f.Links = append(f.Links, LinkForm{Title: l.Title, URL: l.URL})
	}
	for _, t := range v.Threads {
		f.Threads = append(f.Threads, strconv.FormatInt(t.ID, 10))
	}
	return h.renderCampaignForm(c, http.StatusOK, v, f.Values(), nil)
}

// StatsChart is the campaign's figures per day as an accessible chart.
func StatsChart(st *Stats) charts.Chart {
	series := func(name string, xs []Count) charts.Series {
		s := charts.Series{Name: name, Values: make([]charts.Value, len(xs))}
		for i, x := range xs {
			if x.Hidden {
				s.Values[i] = charts.Hidden(x.String())
			} else {
				s.Values[i] = charts.V(float64(x.N))
			}
		}
		return s
	}
	return charts.Chart{ID: "campaign-per-day", Title: "Campaign activity per day",
		Description: "Members reached for the first time, visitors' views, cards hidden, link clicks and replies in the campaign's threads, per day (UTC).",
		Kind:        charts.Line, Labels: st.Days, XTitle: "Day (UTC)",
		Series: []charts.Series{series("Members reached (first time)", st.Reach), series("Visitors' views", st.VisitorViews),
			series("Cards hidden", st.Dismissals), series("Link clicks", st.Clicks), series("Replies in its threads", st.Replies)}}
}

// Campaign is a campaign's page: its pieces and figures.
func (h *Handlers) Campaign(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	actor := web.Actor(c)
	v, st, err := h.svc.Stats(c.Request().Context(), actor, id)
	if err != nil {
		return err
	}
	loc := web.Location(actor.User)
	p := h.r.NewPage(c, v.Name)
	p.Noindex = true
	p.Data = map[string]any{"C": v, "S": st, "Chart": charts.HTML(StatsChart(st)), "Starts": web.ExactTime(v.StartsAt, loc), "Ends": web.ExactTime(v.EndsAt, loc)}
	private(c)
	return h.r.Render(c, http.StatusOK, TplCampaign, p)
}

// DeleteCampaignPage asks for confirmation.
func (h *Handlers) DeleteCampaignPage(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	v, err := h.svc.Campaign(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Delete the campaign?")
	p.Noindex = true
	p.Data = v
	private(c)
	return h.r.Render(c, http.StatusOK, TplCampaignDelete, p)
}

// DeleteCampaign removes a campaign.
func (h *Handlers) DeleteCampaign(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.svc.DeleteCampaign(c.Request().Context(), web.Actor(c), id, c.RealIP()); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Campaign deleted; its announcements stay, without a campaign, and its links now answer that they were withdrawn.")
	return web.Redirect(c, "/admin/campaigns")
}

// CampaignCSV is the campaign's figures per day as CSV, as analytics
// writes it: a UTF-8 byte-order mark, CRLF line ends, and no cell a
// spreadsheet could run as a formula (figures.CSVSafe).
func (h *Handlers) CampaignCSV(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	_, st, err := h.svc.Stats(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	put := func(cells ...string) {
		for i, v := range cells {
			cells[i] = figures.CSVSafe(v)
		}
		_ = w.Write(cells)
	}
	put("day", "members_reached", "visitor_views", "cards_hidden", "link_clicks", "replies")
	for i, d := range st.Days {
		line := []string{d}
		for _, xs := range [][]Count{st.Reach, st.VisitorViews, st.Dismissals, st.Clicks, st.Replies} {
			line = append(line, xs[i].String())
		}
		put(line...)
	}
	// Then each link's clicks and each thread's replies, as on the page:
	// titles and addresses are text people wrote, escaped by put.
	if len(st.LinkClicks) > 0 {
		put()
		put("link", "address", "clicks")
		for _, l := range st.LinkClicks {
			put(l.Title, l.URL, l.Clicks.String())
		}
	}
	if len(st.ThreadReplies) > 0 {
		put()
		put("thread", "title", "replies")
		for _, t := range st.ThreadReplies {
			put(strconv.FormatInt(t.ID, 10), t.Title, t.Replies.String())
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	private(c)
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="campaign-`+strconv.FormatInt(id, 10)+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
