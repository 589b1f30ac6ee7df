package forums

import (
	"errors"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Resource pages, named by their paths under templates/.
const (
	TplResources      = "pages/forums/resources.html"
	TplResourceEdit   = "pages/forums/resource_edit.html"
	TplResourceQueue  = "pages/forums/resource_queue.html"
	TplResourceRemove = "pages/forums/resource_remove.html"
)

// ReviewedOn is the review's date, as the forum page prints it.
func (r ResourceVersion) ReviewedOn() string { return r.ReviewedAt.UTC().Format("2 January 2006") }

// ProposedOn is the proposal's date.
func (r Resource) ProposedOn() string { return r.ProposedAt.UTC().Format("2 January 2006") }

// EditedOn is the latest edit's date, "" when it was never edited.
func (r Resource) EditedOn() string {
	if r.EditedAt == nil {
		return ""
	}
	return r.EditedAt.UTC().Format("2 January 2006")
}

// ResourceRel is the rel of every resource link: no referrer, no opener,
// no ranking credit.
const ResourceRel = "noopener noreferrer nofollow ugc"

// resourcesHTML renders the forum page's list items (as threadsHTML does
// for threads: a template's range costs over a hundred allocations a
// resource). Every part is escaped or constant; the addresses passed
// input.WebAddress, so they are http(s) links.
func resourcesHTML(list []ResourceVersionOf) template.HTML {
	var b htmlBuf
	b.Grow(400 * len(list))
	for _, r := range list {
		b.s(`<li><a href="`)
		b.t(r.URL)
		b.s(`" rel="` + ResourceRel + `">`)
		b.t(r.Title)
		b.s(`</a> <span class="meta">(`)
		b.t(r.Domain)
		b.s(`)</span>`)
		if r.Note != "" {
			b.s(`<p>`)
			b.t(r.Note)
			b.s(`</p>`)
		}
		b.s(`<p class="meta">Reviewed by `)
		b.t(r.Reviewer)
		b.s(`, `)
		b.t(r.Profession)
		b.s(`, `)
		b.t(r.ReviewedOn())
		b.s(`</p></li>`)
	}
	return template.HTML(b.String()) // every part above is escaped or constant
}

type resourcesData struct {
	Forum  *ForumItem
	All    []Resource
	Full   bool
	Max    int
	Shown  int
	Queued int
	// Reviewer: a verified clinician, shown the way to the review queue.
	Reviewer bool
}

func (h *Handlers) resourcesPage(c echo.Context, v Viewer, f *ForumItem, status int, form *ResourceForm, verr *models.ValidationError) error {
	_, all, err := h.svc.Resources(c.Request().Context(), v, &f.Forum)
	if err != nil {
		return err
	}
	if !CanManageResources(v, &f.Forum) {
		return models.ErrForbidden
	}
	p := h.r.NewPage(c, "Resources of "+f.Name)
	p.Noindex = true
	d := resourcesData{Forum: f, All: all, Full: len(all) >= MaxResources, Max: MaxResources, Reviewer: v.Active() && v.Clinician}
	for _, r := range all {
		if r.Shown != nil {
			d.Shown++
		}
		if r.NeedsReview {
			d.Queued++
		}
	}
	if form != nil {
		p.Form.Values = form.Values()
	}
	if verr != nil {
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	}
	p.Data = d
	return h.r.Render(c, status, TplResources, p)
}

// ResourcesPage lists a forum's resources with their review state, for its
// moderators, with the form to propose one.
func (h *Handlers) ResourcesPage(c echo.Context) error {
	v, f, err := h.viewerAndForum(c)
	if err != nil {
		return err
	}
	return h.resourcesPage(c, v, f, http.StatusOK, nil, nil)
}

func bindResourceForm(c echo.Context) ResourceForm {
	return ResourceForm{Title: c.FormValue("title"), URL: c.FormValue("url"), Note: c.FormValue("note")}
}

// ProposeResource adds a resource waiting for review.
func (h *Handlers) ProposeResource(c echo.Context) error {
	v, f, err := h.viewerAndForum(c)
	if err != nil {
		return err
	}
	form := bindResourceForm(c)
	if _, err := h.svc.ProposeResource(c.Request().Context(), v, &f.Forum, form); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			return h.resourcesPage(c, v, f, http.StatusUnprocessableEntity, &form, verr)
		}
		return err
	}
	h.cookies.SetFlash(c, "Resource proposed. It shows on the forum page once a verified clinician approves it.")
	return web.Redirect(c, "/f/"+f.Slug+"/resources")
}

func (h *Handlers) forumAndResource(c echo.Context) (Viewer, *ForumItem, *Resource, error) {
	v, f, err := h.viewerAndForum(c)
	if err != nil {
		return v, nil, nil, err
	}
	id, err := web.PathID(c, "id")
	if err != nil {
		return v, nil, nil, err
	}
	r, err := h.svc.Resource(c.Request().Context(), v, &f.Forum, id)
	return v, f, r, err
}

type resourceEditData struct {
	Forum    *ForumItem
	Resource *Resource
}

func (h *Handlers) renderResourceEdit(c echo.Context, f *ForumItem, r *Resource, status int, form ResourceForm, verr *models.ValidationError) error {
	p := h.r.NewPage(c, "Edit a resource")
	p.Noindex = true
	p.Form.Values = form.Values()
	if verr != nil {
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	}
	p.Data = resourceEditData{Forum: f, Resource: r}
	return h.r.Render(c, status, TplResourceEdit, p)
}

// EditResourcePage shows the edit form of a resource.
func (h *Handlers) EditResourcePage(c echo.Context) error {
	_, f, r, err := h.forumAndResource(c)
	if err != nil {
		return err
	}
	return h.renderResourceEdit(c, f, r, http.StatusOK, ResourceForm{Title: r.Title, URL: r.URL, Note: r.Note}, nil)
}

// EditResource saves an edit (back to review when anything changed).
func (h *Handlers) EditResource(c echo.Context) error {
	v, f, r, err := h.forumAndResource(c)
	if err != nil {
		return err
	}
	form := bindResourceForm(c)
	if _, err := h.svc.EditResource(c.Request().Context(), v, &f.Forum, r.ID, form); err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			return h.renderResourceEdit(c, f, r, http.StatusUnprocessableEntity, form, verr)
		}
		return err
	}
	h.cookies.SetFlash(c, "Resource saved. A change waits for a clinician's review; until then the forum page keeps the approved version.")
	return web.Redirect(c, "/f/"+f.Slug+"/resources")
}

// RemoveResourcePage asks to confirm a removal, saying what goes and that
// it needs a new review to come back.
func (h *Handlers) RemoveResourcePage(c echo.Context) error {
	_, f, r, err := h.forumAndResource(c)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Remove a resource")
	p.Noindex = true
	p.Data = resourceEditData{Forum: f, Resource: r}
	return h.r.Render(c, http.StatusOK, TplResourceRemove, p)
}

// RemoveResource takes a resource off the list (the confirmation's form).
func (h *Handlers) RemoveResource(c echo.Context) error {
	v, f, r, err := h.forumAndResource(c)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveResource(c.Request().Context(), v, &f.Forum, r.ID); err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Resource removed: “"+r.Title+"” no longer shows on the forum page.")
	return web.Redirect(c, "/f/"+f.Slug+"/resources")
}

type resourceQueueData struct {
	Queue []Resource
	// Failed is the resource whose review form has errors.
	Failed int64
}

func (h *Handlers) renderQueue(c echo.Context, v Viewer, status int, failed int64, values map[string]string, verr *models.ValidationError) error {
	queue, err := h.svc.ResourceQueue(c.Request().Context(), v)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Resources to review")
	p.Noindex = true
	p.Form.Values = values
	if verr != nil {
		p.Form.Errors, p.Form.Message = verr.Fields, verr.Message
	}
	p.Data = resourceQueueData{Queue: queue, Failed: failed}
	return h.r.Render(c, status, TplResourceQueue, p)
}

// ResourceQueuePage lists the resources the clinician may review.
func (h *Handlers) ResourceQueuePage(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	return h.renderQueue(c, v, http.StatusOK, 0, nil, nil)
}

// ReviewResource approves a resource or sends it back.
func (h *Handlers) ReviewResource(c echo.Context) error {
	v, id, err := h.viewerAndID(c)
	if err != nil {
		return err
	}
	form := ReviewForm{Decision: c.FormValue("decision"), Reason: c.FormValue("reason"), Version: c.FormValue("version")}
	r, err := h.svc.ReviewResource(c.Request().Context(), v, id, form)
	if err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			return h.renderQueue(c, v, http.StatusUnprocessableEntity, id, map[string]string{"reason": form.Reason, "decision": form.Decision}, verr)
		}
		return err
	}
	if form.Decision == ReviewApprove {
		h.cookies.SetFlash(c, "Approved: “"+r.Title+"” now shows on "+r.ForumName+" with your name.")
	} else {
		h.cookies.SetFlash(c, "Sent back to the moderators of "+r.ForumName+" with your reason.")
	}
	return web.Redirect(c, "/clinician/resources")
}

// resourceJSON is a shown resource.
type resourceJSON struct {
	ID                 int64     `json:"id"`
	Title              string    `json:"title"`
	URL                string    `json:"url"`
	Domain             string    `json:"domain"`
	Note               string    `json:"note"`
	ReviewedBy         string    `json:"reviewed_by"`
	ReviewerProfession string    `json:"reviewer_profession"`
	ReviewedAt         time.Time `json:"reviewed_at"`
	ReviewDue          bool      `json:"review_due"`
}

func toResourceJSON(id int64, r ResourceVersion, due bool) resourceJSON {
	return resourceJSON{ID: id, Title: r.Title, URL: r.URL, Domain: r.Domain, Note: r.Note, ReviewedBy: r.Reviewer,
		ReviewerProfession: r.Profession, ReviewedAt: r.ReviewedAt, ReviewDue: due}
}

// managedResourceJSON is a resource with its review state, for those who
// manage or review it.
type managedResourceJSON struct {
	ID           int64         `json:"id"`
	Forum        string        `json:"forum"`
	Title        string        `json:"title"`
	URL          string        `json:"url"`
	Domain       string        `json:"domain"`
	Note         string        `json:"note"`
	Status       string        `json:"status"`
	NeedsReview  bool          `json:"needs_review"`
	ReviewDue    bool          `json:"review_due"`
	ProposedBy   string        `json:"proposed_by"`
	ProposedAt   time.Time     `json:"proposed_at"`
	EditedBy     *string       `json:"edited_by"`
	EditedAt     *time.Time    `json:"edited_at"`
	ReturnReason string        `json:"return_reason"`
	Shown        *resourceJSON `json:"shown"`
	// Version is what a review sends back (required there).
	Version string `json:"version"`
	// Edit: the latest proposal changes a version approved before;
	// Changes says what, old and new.
	Edit    bool                 `json:"edit"`
	Changes []resourceChangeJSON `json:"changes"`
}

type resourceChangeJSON struct {
	Field     string `json:"field"`
	Old       string `json:"old"`
	New       string `json:"new"`
	OldDomain string `json:"old_domain,omitempty"`
	NewDomain string `json:"new_domain,omitempty"`
}

func toManagedJSON(r *Resource) managedResourceJSON {
	out := managedResourceJSON{ID: r.ID, Forum: r.ForumSlug, Title: r.Title, URL: r.URL, Domain: r.Domain, Note: r.Note, Status: r.Status,
		NeedsReview: r.NeedsReview, ReviewDue: r.ReviewDue, ProposedBy: r.ProposedBy, ProposedAt: r.ProposedAt, ReturnReason: r.ReturnReason,
		EditedAt: r.EditedAt, Version: r.Version(), Edit: r.IsEdit(), Changes: make([]resourceChangeJSON, 0, len(r.Changes))}
	if r.EditedAt != nil {
		by := r.EditedBy
		out.EditedBy = &by
	}
	for _, ch := range r.Changes {
		out.Changes = append(out.Changes, resourceChangeJSON{Field: ch.Field, Old: ch.Old, New: ch.New, OldDomain: ch.OldDomain, NewDomain: ch.NewDomain})
	}
	if r.Shown != nil {
		j := toResourceJSON(r.ID, *r.Shown, r.ReviewDue)
		out.Shown = &j
	}
	return out
}

func managedList(rows []Resource) []managedResourceJSON {
	out := make([]managedResourceJSON, 0, len(rows))
	for i := range rows {
		out = append(out, toManagedJSON(&rows[i]))
	}
	return out
}

// Resources is GET /api/v1/forums/:slug/resources: the approved list;
// the forum's moderators also get "managed", every entry with its state.
func (a *API) Resources(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	shown, all, err := a.h.svc.Resources(c.Request().Context(), v, &f.Forum)
	if err != nil {
		return err
	}
	out := map[string]any{}
	list := make([]resourceJSON, 0, len(shown))
	for _, s := range shown {
		list = append(list, toResourceJSON(s.ID, s.ResourceVersion, s.ReviewDue))
	}
	out["resources"] = list
	if CanManageResources(v, &f.Forum) {
		out["managed"] = managedList(all)
	}
	return c.JSON(http.StatusOK, out)
}

// ProposeResource is POST /api/v1/forums/:slug/resources.
func (a *API) ProposeResource(c echo.Context) error {
	v, f, err := a.h.viewerAndForum(c)
	if err != nil {
		return err
	}
	var form ResourceForm
	if err := c.Bind(&form); err != nil {
		return err
	}
	r, err := a.h.svc.ProposeResource(c.Request().Context(), v, &f.Forum, form)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toManagedJSON(r))
}

// EditResource is PATCH /api/v1/forums/:slug/resources/:id (title, url
// and note; a field left out keeps its value).
func (a *API) EditResource(c echo.Context) error {
	v, f, r, err := a.h.forumAndResource(c)
	if err != nil {
		return err
	}
	var body struct {
		Title *string `json:"title"`
		URL   *string `json:"url"`
		Note  *string `json:"note"`
	}
	if err := c.Bind(&body); err != nil {
		return err
	}
	form := ResourceForm{Title: r.Title, URL: r.URL, Note: r.Note}
	if body.Title != nil {
		form.Title = *body.Title
	}
	if body.URL != nil {
		form.URL = *body.URL
	}
	if body.Note != nil {
		form.Note = *body.Note
	}
	r, err = a.h.svc.EditResource(c.Request().Context(), v, &f.Forum, r.ID, form)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toManagedJSON(r))
}

// RemoveResource is DELETE /api/v1/forums/:slug/resources/:id.
func (a *API) RemoveResource(c echo.Context) error {
	v, f, r, err := a.h.forumAndResource(c)
	if err != nil {
		return err
	}
	if err := a.h.svc.RemoveResource(c.Request().Context(), v, &f.Forum, r.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ResourceQueue is GET /api/v1/clinician/resources.
func (a *API) ResourceQueue(c echo.Context) error {
	v, err := a.h.viewer(c)
	if err != nil {
		return err
	}
	q, err := a.h.svc.ResourceQueue(c.Request().Context(), v)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"resources": managedList(q)})
}

// ReviewResource is POST /api/v1/clinician/resources/:id/review
// {"decision": "approve"|"return", "reason": "…", "version": "…"}; the
// version (from the queue) is required.
func (a *API) ReviewResource(c echo.Context) error {
	v, id, err := a.h.viewerAndID(c)
	if err != nil {
		return err
	}
	var form ReviewForm
	if err := c.Bind(&form); err != nil {
		return err
	}
	r, err := a.h.svc.ReviewResource(c.Request().Context(), v, id, form)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toManagedJSON(r))
}
