package clinicians

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Page templates.
const (
	TplStatus = "pages/clinicians/status.html"
	TplApply  = "pages/clinicians/apply.html"
	TplPublic = "pages/clinicians/public.html"
	TplQueue  = "pages/clinicians/queue.html"
	TplReview = "pages/clinicians/review.html"
	TplLists  = "pages/clinicians/lists.html"
)

// Templates lists every page this package renders, checked at start-up.
var Templates = []string{TplStatus, TplApply, TplPublic, TplQueue, TplReview, TplLists}

// UploadPaths are the routes that take a proof document: they get a body
// limit of UploadBodyLimit instead of the general one.
var UploadPaths = []string{"/clinician/apply", "/api/v1/me/credentials"}

// UploadBodyLimit lets a document well over 5 MB (a phone photo, a
// scanned booklet) reach the form, which comes back with a field error
// under the signed-in header; a body past this is refused before it is
// read (a 413 that says the same).
const UploadBodyLimit = "16M"

// Handlers serves the clinician pages.
type Handlers struct {
	svc     *Service
	r       *web.Renderer
	cookies web.Cookies
}

// NewHandlers wires the HTML handlers.
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies}
}

type statusData struct {
	Verified  *Application // the current verification
	Pending   *Application // an application waiting (a renewal when Verified is set)
	Decided   *Application // the newest application when it is neither of those
	History   []Application
	CanApply  bool
	Why       string
	Renewable bool // verified and within the renewal window
	Settings  models.ClinicianSettings
	Public    *PublicProfile
	MaxOpen   int
}

// Status is the member's verification page: their verification, badge and
// settings, an application waiting, the latest decision, earlier ones.
func (h *Handlers) Status(c echo.Context) error {
	u := web.CurrentUser(c)
	ctx := c.Request().Context()
	apps, err := h.svc.MyApplications(ctx, web.Actor(c))
	if err != nil {
		return err
	}
	d := statusData{MaxOpen: MaxOpenQuestions}
	var latest, verified *models.Credential
	for i := range apps {
		a := &apps[i]
		switch {
		case a.Status == models.CredentialVerified && d.Verified == nil:
			d.Verified, verified = a, &a.Credential
		case a.Status == models.CredentialPending && d.Pending == nil:
			d.Pending = a
		case i == 0:
			d.Decided = a
		default:
			d.History = append(d.History, *a)
		}
	}
	if len(apps) > 0 {
		latest = &apps[0].Credential
	}
	if err := CanApply(latest, verified, h.svc.now()); err != nil {
		d.Why = err.Error()
	} else {
		d.CanApply = true
		d.Renewable = verified != nil
	}
	if verified != nil {
		if d.Settings, err = h.svc.Settings(ctx, u.ID); err != nil {
			return err
		}
		if p, err := h.svc.Public(ctx, u.Handle); err == nil {
			d.Public = p
		}
	}
	p := h.r.NewPage(c, "Clinician verification")
	p.Noindex = true
	p.Data = d
	return h.r.Render(c, http.StatusOK, TplStatus, p)
}

type applyData struct {
	Vocabulary *Vocabulary
	Chosen     map[string]bool
	MaxBytes   int
}

func (h *Handlers) renderApply(c echo.Context, status int, form ApplicationForm, err error) error {
	voc, verr := h.svc.Vocabulary(c.Request().Context())
	if verr != nil {
		return verr
	}
	p := h.r.NewPage(c, "Apply for a clinician badge")
	p.Noindex = true
	chosen := map[string]bool{}
	for _, s := range form.Specialties {
		chosen[s] = true
	}
	p.Data = applyData{Vocabulary: voc, Chosen: chosen, MaxBytes: MaxDocumentSize}
	p.Form.Values = map[string]string{"profession": form.Profession, "licence_number": form.LicenceNumber,
		"jurisdiction": form.Jurisdiction, "licence_expires": form.LicenceExpires}
	var ve *models.ValidationError
	var tl *models.TooLargeError
	var un *models.UnavailableError
	switch {
	case errors.As(err, &ve):
		p.Form.Errors, p.Form.Message = ve.Fields, ve.Message
	case errors.As(err, &tl):
		p.Form.Errors = map[string]string{tl.Field: tl.Message}
		p.Form.Message = "Please correct the highlighted fields. For your privacy, choose the document again."
	case errors.As(err, &un):
		p.Form.Errors = map[string]string{"document": "Not stored: the document store did not answer. Choose the document again and send the form in a minute."}
		p.Form.Message = un.Message + " Please try again in a minute; what you typed is kept below."
	}
	if len(p.Form.Errors) > 0 && p.Form.Errors["document"] == "" && c.Request().Method == http.MethodPost {
		p.Form.Message = strings.TrimSpace(p.Form.Message + " If you attached a document, choose it again.")
	}
	return h.r.Render(c, status, TplApply, p)
}

// ApplyPage shows the application form, or explains why the member
// cannot apply now.
func (h *Handlers) ApplyPage(c echo.Context) error {
	latest, verified, err := h.svc.Standing(c.Request().Context(), web.CurrentUser(c).ID)
	if err != nil {
		return err
	}
	if err := CanApply(latest, verified, h.svc.now()); err != nil {
		h.cookies.SetFlash(c, err.Error())
		return web.Redirect(c, "/clinician")
	}
	return h.renderApply(c, http.StatusOK, ApplicationForm{}, nil)
}

// readApplication reads the multipart (or urlencoded) form: the fields and
// the document's part, if any. A document over the limit is reported
// without being read.
func readApplication(c echo.Context) (ApplicationForm, *multipart.FileHeader, error) {
	tooLarge := &models.TooLargeError{Field: "document", Message: "The document is larger than 5 MB. Upload a smaller scan or photo."}
	params, err := c.FormParams()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || strings.Contains(err.Error(), "too large") {
			return ApplicationForm{}, nil, tooLarge
		}
		return ApplicationForm{}, nil, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read. Please try again.")
	}
	// A multipart form is read here, not by web.ValidText.
	verr := models.NewValidationError()
	verr.Code = "invalid_text"
	web.CheckText(verr, params)
	if len(verr.Fields) > 0 {
		return ApplicationForm{}, nil, verr
	}
	form := ApplicationForm{
		Profession: params.Get("profession"), LicenceNumber: params.Get("licence_number"),
		Jurisdiction: params.Get("jurisdiction"), LicenceExpires: params.Get("licence_expires"),
		Specialties: params["specialties"],
	}
	fh, err := c.FormFile("document")
	if errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart) {
		return form, nil, nil
	}
	if err != nil {
		return form, nil, fmt.Errorf("clinicians: read upload: %w", err)
	}
	if fh.Size > MaxDocumentSize {
		return form, nil, tooLarge
	}
	if fh.Size == 0 {
		return form, nil, nil
	}
	return form, fh, nil
}

// apply submits the application with the document part (if any) streamed
// from where the multipart reader left it (memory or a temporary file) to
// the document store.
func (h *Handlers) apply(c echo.Context, form ApplicationForm, fh *multipart.FileHeader) (*models.Credential, error) {
	var doc *Upload
	if fh != nil {
		f, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("clinicians: read upload: %w", err)
		}
		defer f.Close()
		doc = &Upload{Size: fh.Size, Content: f}
	}
	return h.svc.Apply(c.Request().Context(), web.Actor(c), form, doc)
}

// Apply submits an application.
func (h *Handlers) Apply(c echo.Context) error {
	form, fh, err := readApplication(c)
	if err == nil {
		_, err = h.apply(c, form, fh)
	}
	var ve *models.ValidationError
	var tl *models.TooLargeError
	var ce *models.ConflictError
	var un *models.UnavailableError
	switch {
	case errors.As(err, &ve):
		return h.renderApply(c, http.StatusUnprocessableEntity, form, err)
	case errors.As(err, &tl):
		return h.renderApply(c, http.StatusRequestEntityTooLarge, form, err)
	case errors.As(err, &un):
		// The form comes back as typed, saying what happened; nothing was recorded.
		h.svc.log.ErrorContext(c.Request().Context(), "clinicians: application not sent: document store failed", "error", un.Err.Error())
		c.Response().Header().Set("Retry-After", strconv.Itoa(un.RetryAfterSeconds()))
		return h.renderApply(c, http.StatusServiceUnavailable, form, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
		return web.Redirect(c, "/clinician")
	case err != nil:
		return err
	}
	h.cookies.SetFlash(c, "Thank you. Your application is waiting for review; you will get a notification when it is decided.")
	return web.Redirect(c, "/clinician")
}

// Withdraw takes back a pending application.
func (h *Handlers) Withdraw(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.svc.Withdraw(c.Request().Context(), web.Actor(c), id); err != nil {
		var ce *models.ConflictError
		if errors.As(err, &ce) {
			h.cookies.SetFlash(c, ce.Message)
			return web.Redirect(c, "/clinician")
		}
		return err
	}
	h.cookies.SetFlash(c, "Your application is withdrawn. You can apply again at any time.")
	return web.Redirect(c, "/clinician")
}

// settingsReturn is where the settings form goes back to: the dashboard
// of private questions or the verification page.
func settingsReturn(c echo.Context) string {
	if c.FormValue("next") == "/clinician/questions" {
		return "/clinician/questions"
	}
	return "/clinician#settings"
}

// SaveSettings stores the clinician's private-question preferences.
func (h *Handlers) SaveSettings(c echo.Context) error {
	n, err := strconv.Atoi(strings.TrimSpace(c.FormValue("max_open_questions")))
	if err != nil {
		n = 0
	}
	form := SettingsForm{AcceptingQuestions: c.FormValue("accepting_questions") == "on", MaxOpenQuestions: n, Generalist: c.FormValue("generalist") == "on"}
	if err := h.svc.SaveSettings(c.Request().Context(), web.Actor(c), form); err != nil {
		var ve *models.ValidationError
		var ce *models.ConflictError
		switch {
		case errors.As(err, &ve):
			h.cookies.SetFlash(c, ve.Fields["max_open_questions"])
		case errors.As(err, &ce):
			h.cookies.SetFlash(c, ce.Message)
		default:
			return err
		}
		return web.Redirect(c, settingsReturn(c))
	}
	h.cookies.SetFlash(c, "Your clinician settings are saved.")
	return web.Redirect(c, settingsReturn(c))
}

// Document sends a proof document to its applicant or a reviewer as a
// download that browsers never render: attachment, nosniff and a sandbox
// CSP. Anyone else gets 404. The bytes stream from the document store.
func (h *Handlers) Document(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	obj, cred, err := h.svc.Document(c.Request().Context(), web.Actor(c), id, c.RealIP())
	if err != nil {
		return err
	}
	defer obj.Close()
	ext := documentTypes[*cred.DocumentType]
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="credential-%d.%s"`, cred.ID, ext))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("X-Robots-Tag", "noindex")
	hd.Set(echo.HeaderContentLength, strconv.FormatInt(obj.Size, 10))
	return c.Stream(http.StatusOK, *cred.DocumentType, obj)
}

// Public is the page a badge links to: what was verified and when.
func (h *Handlers) Public(c echo.Context) error {
	p, err := h.svc.Public(c.Request().Context(), c.Param("handle"))
	if err != nil {
		return err
	}
	page := h.r.NewPage(c, p.Handle+": verified clinician")
	page.Data = p
	return h.r.Render(c, http.StatusOK, TplPublic, page)
}

type queueData struct {
	Status   models.CredentialStatus
	Statuses []models.CredentialStatus
	Items    []Application
	Next     int64
	First    bool
}

// AllStatuses in the order the queue's tabs show them.
var AllStatuses = []models.CredentialStatus{models.CredentialPending, models.CredentialVerified, models.CredentialRejected,
	models.CredentialRevoked, models.CredentialExpired, models.CredentialWithdrawn}

func queueParams(c echo.Context) (models.CredentialStatus, int64, error) {
	status := models.CredentialStatus(c.QueryParam("status"))
	if status == "" {
		status = models.CredentialPending
	}
	after, err := web.CursorParam(c, "after")
	return status, after, err
}

// Queue lists applications for reviewers, pending ones oldest first.
func (h *Handlers) Queue(c echo.Context) error {
	status, after, err := queueParams(c)
	if err != nil {
		return err
	}
	items, next, err := h.svc.Queue(c.Request().Context(), web.Actor(c), status, after)
	if err != nil {
		return err
	}
	p := h.r.NewPage(c, "Credential review")
	p.Noindex = true
	p.Data = queueData{Status: status, Statuses: AllStatuses, Items: items, Next: next, First: after == 0}
	return h.r.Render(c, http.StatusOK, TplQueue, p)
}

type reviewData struct {
	App     *Application
	History []HistoryItem
	IsAdmin bool
	Now     time.Time
}

func (h *Handlers) renderReview(c echo.Context, status int, id int64, values map[string]string, err error) error {
	ctx := c.Request().Context()
	a, aerr := h.svc.Application(ctx, web.Actor(c), id)
	if aerr != nil {
		return aerr
	}
	hist, herr := h.svc.History(ctx, web.Actor(c), id)
	if herr != nil {
		return herr
	}
	p := h.r.NewPage(c, "Application from "+a.Handle)
	p.Noindex = true
	p.Data = reviewData{App: a, History: hist, IsAdmin: web.Actor(c).IsAdmin()}
	p.Form.Keep(values, err)
	return h.r.Render(c, status, TplReview, p)
}

// Review shows one application to a reviewer.
func (h *Handlers) Review(c echo.Context) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	return h.renderReview(c, http.StatusOK, id, nil, nil) // the route requires a reviewer (web.RequireReviewer)
}

func (h *Handlers) decide(c echo.Context, act func(actor models.Actor, id int64, reason string) (*models.Credential, error), done string) error {
	id, err := web.PathID(c, "id")
	if err != nil {
		return err
	}
	reason := c.FormValue("reason")
	_, err = act(web.Actor(c), id, reason)
	var ve *models.ValidationError
	var ce *models.ConflictError
	switch {
	case errors.As(err, &ve):
		return h.renderReview(c, http.StatusUnprocessableEntity, id, map[string]string{"reason": reason, "action": c.Path()}, err)
	case errors.As(err, &ce):
		h.cookies.SetFlash(c, ce.Message)
		return web.Redirect(c, "/review/credentials/"+strconv.FormatInt(id, 10))
	case err != nil:
		return err
	}
	h.cookies.SetFlash(c, done)
	return web.Redirect(c, "/review/credentials/"+strconv.FormatInt(id, 10))
}

// Approve verifies an application.
func (h *Handlers) Approve(c echo.Context) error {
	return h.decide(c, func(actor models.Actor, id int64, r string) (*models.Credential, error) {
		return h.svc.Approve(c.Request().Context(), actor, id, r)
	}, "Approved. The member's posts now show the badge.")
}

// Reject refuses an application with a reason.
func (h *Handlers) Reject(c echo.Context) error {
	return h.decide(c, func(actor models.Actor, id int64, r string) (*models.Credential, error) {
		return h.svc.Reject(c.Request().Context(), actor, id, r)
	}, "Rejected. The member has been told why.")
}

// Revoke ends a verification (admins).
func (h *Handlers) Revoke(c echo.Context) error {
	return h.decide(c, func(actor models.Actor, id int64, r string) (*models.Credential, error) {
		return h.svc.Revoke(c.Request().Context(), actor, id, r)
	}, "Revoked. The badge is gone from the member's posts.")
}

type listsData struct {
	Vocabulary *Vocabulary
	List       string // the list whose form has errors
}

// Lists shows the professions, specialties and jurisdictions (admins).
func (h *Handlers) Lists(c echo.Context) error { return h.renderLists(c, http.StatusOK, "", nil) }

func (h *Handlers) renderLists(c echo.Context, status int, list string, err error) error {
	voc, verr := h.svc.Vocabulary(c.Request().Context())
	if verr != nil {
		return verr
	}
	p := h.r.NewPage(c, "Clinician lists")
	p.Noindex = true
	p.Data = listsData{Vocabulary: voc, List: list}
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		p.Form.Values = map[string]string{"code": c.FormValue("code"), "label": c.FormValue("label"), "register_url": c.FormValue("register_url")}
		p.Form.Errors, p.Form.Message = ve.Fields, ve.Message
	}
	return h.r.Render(c, status, TplLists, p)
}

// SaveList adds or renames one entry of a list.
func (h *Handlers) SaveList(c echo.Context) error {
	list := c.Param("list")
	form := VocabularyForm{Code: c.FormValue("code"), Label: c.FormValue("label"), RegisterURL: c.FormValue("register_url")}
	code, err := h.svc.SaveVocabulary(c.Request().Context(), web.Actor(c), list, form)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return h.renderLists(c, http.StatusUnprocessableEntity, list, err)
	}
	if err != nil {
		return err
	}
	h.cookies.SetFlash(c, "Saved "+code+".")
	return web.Redirect(c, "/admin/clinician-lists#"+list)
}
