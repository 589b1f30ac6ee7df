package forums

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// AdminForums lists every forum with links to edit or archive.
func (h *Handlers) AdminForums(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	all, err := h.svc.AllForums(c.Request().Context(), v)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Forums")
	p.Noindex = true
	p.Data = all
	return h.r.Render(c, http.StatusOK, TplAdminForums, p)
}

type forumFormData struct {
	ID     int64
	Crisis []crisisLevelRow
}

// crisisLevelRow is one level of the crisis mapping on the forum form.
type crisisLevelRow struct {
	Level, Label, Hint string
	Actions            []crisisActionBox
}

type crisisActionBox struct{ Field, Name, Label string }

// crisisRows lists every level with a checkbox per action; the boxes are
// ticked from the form's values (crisis_<level>_<action>).
func crisisRows() []crisisLevelRow {
	hints := map[safety.Level][2]string{
		safety.LevelHigh:   {"High: imminent danger", "A method with intent or a time, an attempt in progress, a farewell."},
		safety.LevelMedium: {"Medium: thoughts without a plan, self-harm", "Wishing to be dead, thoughts of suicide, cutting or burning."},
		safety.LevelLow:    {"Low: mentions", "Awareness, grief, the past, someone else, negation."},
	}
	var out []crisisLevelRow
	for _, l := range safety.CrisisLevels {
		row := crisisLevelRow{Level: l.String(), Label: hints[l][0], Hint: hints[l][1]}
		for _, a := range safety.CrisisActionNames {
			row.Actions = append(row.Actions, crisisActionBox{Field: "crisis_" + l.String() + "_" + a.Name, Name: a.Name, Label: a.Label})
		}
		out = append(out, row)
	}
	return out
}

// crisisValues ticks the boxes of a mapping in the form's values.
func crisisValues(values map[string]string, m map[string][]string) {
	for level, acts := range m {
		for _, a := range acts {
			values["crisis_"+level+"_"+a] = "on"
		}
	}
}

// crisisForm reads the mapping from the form's checkboxes (crisis_<level>
// holds the ticked actions); an unknown action is kept so that validation
// names it.
func crisisForm(c echo.Context) map[string][]string {
	if c.FormValue("crisis_form") == "" {
		return nil
	}
	form, _ := c.FormParams()
	m := map[string][]string{}
	for _, l := range safety.CrisisLevels {
		acts := form["crisis_"+l.String()]
		if acts == nil {
			acts = []string{}
		}
		m[l.String()] = acts
	}
	return m
}

func forumFormValues(f ForumForm) map[string]string {
	v := map[string]string{
		"slug": f.Slug, "name": f.Name, "description": f.Description, "guidelines": f.Guidelines,
		"specialties": strings.Join(f.Specialties, ", "), "moderators": strings.Join(f.Moderators, ", "),
		"position": strconv.Itoa(f.Position),
	}
	if f.Sensitive {
		v["sensitive"] = "on"
	}
	if f.ClinicianOnly {
		v["clinician_only"] = "on"
	}
	crisisValues(v, f.CrisisActions)
	return v
}

// NewForumPage shows an empty forum form.
func (h *Handlers) NewForumPage(c echo.Context) error {
	p := h.r.NewPage(c, "New forum")
	p.Noindex = true
	p.Data = forumFormData{Crisis: crisisRows()}
	p.Form.Values["position"] = "0"
	crisisValues(p.Form.Values, CrisisActionsJSON(safety.DefaultCrisisActions()))
	return h.r.Render(c, http.StatusOK, TplAdminForumForm, p)
}

// EditForumPage shows a forum's settings.
func (h *Handlers) EditForumPage(c echo.Context) error {
	v, id, err := h.viewerAndID(c)
	if err != nil {
		return err
	}
	f, mods, err := h.svc.ForumByID(c.Request().Context(), v, id)
	if err != nil {
		return err
	}
	m, err := h.svc.CrisisActions(c.Request().Context(), f.ID)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Edit "+f.Name)
	p.Noindex = true
	p.Data = forumFormData{ID: f.ID, Crisis: crisisRows()}
	p.Form.Values = forumFormValues(ForumForm{Slug: f.Slug, Name: f.Name, Description: f.Description, Guidelines: f.Guidelines,
		Sensitive: f.Sensitive, ClinicianOnly: f.ClinicianOnly, Specialties: f.Specialties, Moderators: mods, Position: f.Position,
		CrisisActions: CrisisActionsJSON(m)})
	return h.r.Render(c, http.StatusOK, TplAdminForumForm, p)
}

// SaveForum creates or updates a forum.
func (h *Handlers) SaveForum(c echo.Context) error {
	v, err := h.viewer(c)
	if err != nil {
		return err
	}
	var id int64
	if c.Param("id") != "" {
		if id, err = web.PathID(c, "id"); err != nil {
			return err
		}
	}
	pos, _ := strconv.Atoi(strings.TrimSpace(c.FormValue("position")))
	form := ForumForm{
		Slug: c.FormValue("slug"), Name: c.FormValue("name"), Description: c.FormValue("description"), Guidelines: c.FormValue("guidelines"),
		Sensitive: checked(c, "sensitive"), ClinicianOnly: checked(c, "clinician_only"),
		Specialties: SplitList(c.FormValue("specialties")), Moderators: SplitList(c.FormValue("moderators")), Position: pos,
		CrisisActions: crisisForm(c),
	}
	values := forumFormValues(form)
	values["position"] = c.FormValue("position")
	f, err := h.svc.SaveForum(c.Request().Context(), v, id, form)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		p := h.r.NewPage(c, "Forum settings")
		p.Noindex = true
		p.Data = forumFormData{ID: id, Crisis: crisisRows()}
		return h.r.RenderForm(c, TplAdminForumForm, p, values, verr)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Saved "+f.Name+".")
	return web.Redirect(c, "/admin/forums")
}

func (h *Handlers) setArchived(c echo.Context, archived bool) error {
	v, id, err := h.viewerAndID(c)
	if err != nil {
		return err
	}
	if err := h.svc.SetArchived(c.Request().Context(), v, id, archived); err != nil {
		return err
	}
	if archived {
		h.cookies.SetFlash(c, "Forum archived: it stays readable but takes no new posts.")
	} else {
		h.cookies.SetFlash(c, "Forum restored.")
	}
	return web.Redirect(c, "/admin/forums")
}

// ArchiveForum makes a forum read-only.
func (h *Handlers) ArchiveForum(c echo.Context) error { return h.setArchived(c, true) }

// RestoreForum reopens an archived forum.
func (h *Handlers) RestoreForum(c echo.Context) error { return h.setArchived(c, false) }
