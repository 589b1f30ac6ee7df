package clinicians

import (
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// API serves the clinician endpoints under /api/v1.
type API struct {
	h *Handlers
}

// NewAPI wires the JSON handlers.
func NewAPI(h *Handlers) *API { return &API{h: h} }

// applicationJSON is an application as its applicant or a reviewer sees it.
type applicationJSON struct {
	ID               int64                   `json:"id"`
	Status           models.CredentialStatus `json:"status"`
	Applicant        string                  `json:"applicant,omitempty"` // reviewers only
	Profession       string                  `json:"profession"`
	ProfessionLabel  string                  `json:"profession_label"`
	Specialties      []string                `json:"specialties"`
	SpecialtyLabels  []string                `json:"specialty_labels"`
	LicenceNumber    string                  `json:"licence_number"`
	Jurisdiction     string                  `json:"jurisdiction"`
	JurisdictionName string                  `json:"jurisdiction_name"`
	RegisterURL      string                  `json:"register_url,omitempty"` // reviewers only
	LicenceExpires   string                  `json:"licence_expires"`
	Reason           string                  `json:"reason"`
	SubmittedAt      time.Time               `json:"submitted_at"`
	ReviewedAt       *time.Time              `json:"reviewed_at"`
	VerifiedUntil    *time.Time              `json:"verified_until"`
	EndedAt          *time.Time              `json:"ended_at"`
	Document         string                  `json:"document_url,omitempty"`
	History          []HistoryItem           `json:"history,omitempty"` // reviewers only
}

func toJSON(a *Application, reviewer bool) applicationJSON {
	out := applicationJSON{ID: a.ID, Status: a.Status, Profession: a.Profession, ProfessionLabel: a.ProfessionLabel,
		Specialties: append([]string{}, a.Specialties...), SpecialtyLabels: append([]string{}, a.SpecialtyLabels...),
		LicenceNumber: a.LicenceNumber, Jurisdiction: a.Jurisdiction, JurisdictionName: a.JurisdictionName,
		LicenceExpires: a.LicenceExpiryDate, Reason: a.Reason, SubmittedAt: a.SubmittedAt, ReviewedAt: a.ReviewedAt,
		VerifiedUntil: a.VerifiedUntil, EndedAt: a.EndedAt}
	if a.HasDocument() {
		out.Document = "/api/v1/credentials/" + strconv.FormatInt(a.ID, 10) + "/document"
	}
	if reviewer {
		out.Applicant, out.RegisterURL = a.Handle, a.RegisterURL
	}
	return out
}

// Options lists professions, specialties and jurisdictions for building
// an application.
func (a *API) Options(c echo.Context) error {
	voc, err := a.h.svc.Vocabulary(c.Request().Context())
	if err != nil {
		return err
	}
	for i := range voc.Jurisdictions {
		voc.Jurisdictions[i].RegisterURL = "" // for reviewers' pages only
	}
	return c.JSON(http.StatusOK, voc)
}

// Mine lists the caller's applications, newest first.
func (a *API) Mine(c echo.Context) error {
	apps, err := a.h.svc.MyApplications(c.Request().Context(), web.Actor(c))
	if err != nil {
		return err
	}
	out := make([]applicationJSON, 0, len(apps))
	for i := range apps {
		out = append(out, toJSON(&apps[i], false))
	}
	return c.JSON(http.StatusOK, map[string]any{"applications": out})
}

// Apply submits an application: JSON, or multipart/form-data with an
// optional "document" file part.
func (a *API) Apply(c echo.Context) error {
	var form ApplicationForm
	var fh *multipart.FileHeader
	var err error
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		form, fh, err = readApplication(c)
	} else if berr := c.Bind(&form); berr != nil {
		err = berr // the Binder names what is wrong
	}
	if err != nil {
		return err
	}
	cred, err := a.h.apply(c, form, fh)
	if err != nil {
		return err
	}
	app, err := a.h.svc.Application(c.Request().Context(), web.Actor(c), cred.ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toJSON(app, false))
}

// Withdraw takes back the caller's pending application.
func (a *API) Withdraw(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := a.h.svc.Withdraw(c.Request().Context(), web.Actor(c), id); err != nil {
		return err
	}
	app, err := a.h.svc.Application(c.Request().Context(), web.Actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toJSON(app, false))
}

type settingsJSON struct {
	AcceptingQuestions bool       `json:"accepting_questions"`
	MaxOpenQuestions   int        `json:"max_open_questions"`
	Generalist         bool       `json:"generalist"`
	PausedAt           *time.Time `json:"paused_at,omitempty"` // offers paused after repeated time-outs
}

// Settings returns the caller's clinician settings.
func (a *API) Settings(c echo.Context) error {
	st, err := a.h.svc.Settings(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, settingsJSON{st.AcceptingQuestions, st.MaxOpenQuestions, st.Generalist, st.PausedAt})
}

// SaveSettings changes them (verified clinicians only).
func (a *API) SaveSettings(c echo.Context) error {
	var form SettingsForm
	if err := c.Bind(&form); err != nil {
		return err // the Binder names what is wrong
	}
	if err := a.h.svc.SaveSettings(c.Request().Context(), web.Actor(c), form); err != nil {
		return err
	}
	return a.Settings(c)
}

// Public returns what was verified about a clinician.
func (a *API) Public(c echo.Context) error {
	p, err := a.h.svc.Public(c.Request().Context(), c.Param("handle"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// Queue lists applications for reviewers.
func (a *API) Queue(c echo.Context) error {
	status, after, err := queueParams(c)
	if err != nil {
		return err
	}
	items, next, err := a.h.svc.Queue(c.Request().Context(), web.Actor(c), status, after)
	if err != nil {
		return err
	}
	out := make([]applicationJSON, 0, len(items))
	for i := range items {
		out = append(out, toJSON(&items[i], true))
	}
	res := map[string]any{"applications": out}
	if next > 0 {
		res["next"] = "/api/v1/review/credentials?status=" + string(status) + "&after=" + strconv.FormatInt(next, 10)
	}
	return c.JSON(http.StatusOK, res)
}

// Get returns one application with its history (reviewers).
func (a *API) Get(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	return a.reviewed(c, id, http.StatusOK)
}

func (a *API) reviewed(c echo.Context, id int64, status int) error {
	ctx := c.Request().Context()
	app, err := a.h.svc.Application(ctx, web.Actor(c), id)
	if err != nil {
		return err
	}
	hist, err := a.h.svc.History(ctx, web.Actor(c), id)
	if err != nil {
		return err
	}
	out := toJSON(app, true)
	out.History = hist
	return c.JSON(status, out)
}

type decisionJSON struct {
	Reason string `json:"reason"`
}

func (a *API) decide(c echo.Context, act func(actor models.Actor, id int64, reason string) (*models.Credential, error)) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	var d decisionJSON
	if err := c.Bind(&d); err != nil {
		return err // the Binder names what is wrong
	}
	if _, err := act(web.Actor(c), id, d.Reason); err != nil {
		return err
	}
	return a.reviewed(c, id, http.StatusOK)
}

// Approve, Reject and Revoke decide on an application.
func (a *API) Approve(c echo.Context) error {
	return a.decide(c, func(actor models.Actor, id int64, r string) (*models.Credential, error) {
		return a.h.svc.Approve(c.Request().Context(), actor, id, r)
	})
}

// Reject refuses a pending application with a reason.
func (a *API) Reject(c echo.Context) error {
	return a.decide(c, func(actor models.Actor, id int64, r string) (*models.Credential, error) {
		return a.h.svc.Reject(c.Request().Context(), actor, id, r)
	})
}

// Revoke ends a verification (admins).
func (a *API) Revoke(c echo.Context) error {
	return a.decide(c, func(actor models.Actor, id int64, r string) (*models.Credential, error) {
		return a.h.svc.Revoke(c.Request().Context(), actor, id, r)
	})
}
