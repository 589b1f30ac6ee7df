package images

import (
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// TplNew is the upload page for browsers without JavaScript.
const TplNew = "pages/images/new.html"

// Templates lists every page this package renders, checked at start-up.
var Templates = []string{TplNew}

// UploadPaths are the routes that take an image: they get a body limit of
// the image limit plus room for the form's other fields.
var UploadPaths = []string{"/images", "/api/v1/images"}

// BodyLimit is the body limit of UploadPaths for an image limit of max
// bytes (Echo's notation): larger bodies are refused while they are read.
func BodyLimit(max int64) string {
	return strconv.FormatInt((max+(256<<10))>>10, 10) + "K"
}

// Rules are the forum rules the handlers apply: app/forums decides who may
// post where and who may see which post.
type Rules struct {
	Forum PostingForum
	Shown PostShown
}

// Handlers serves uploads (page, composer, API) and the images themselves.
type Handlers struct {
	svc     *Service
	r       *web.Renderer
	cookies web.Cookies
	rules   Rules
}

// NewHandlers wires the handlers.
func NewHandlers(svc *Service, r *web.Renderer, cookies web.Cookies, rules Rules) *Handlers {
	return &Handlers{svc: svc, r: r, cookies: cookies, rules: rules}
}

// newData is the upload page's model.
type newData struct {
	Forum    string
	Accept   string
	MaxBytes string
	Uploaded *Uploaded
}

func (h *Handlers) renderNew(c echo.Context, status int, form UploadForm, up *Uploaded, err error) error {
	p := h.r.NewPage(c, "Add an image")
	p.Noindex = true
	p.Data = newData{Forum: form.Forum, Accept: Accept, MaxBytes: humanBytes(h.svc.MaxBytes()), Uploaded: up}
	p.Form.Values = map[string]string{"alt": form.Alt}
	var ve *models.ValidationError
	var tl *models.TooLargeError
	switch {
	case errors.As(err, &ve):
		p.Form.Errors, p.Form.Message = ve.Fields, ve.Message
	case errors.As(err, &tl):
		p.Form.Errors = map[string]string{tl.Field: tl.Message}
	}
	if len(p.Form.Errors) > 0 && p.Form.Errors["file"] == "" {
		p.Form.Message = strings.TrimSpace(p.Form.Message + " Choose the image again.")
	}
	return h.r.Render(c, status, TplNew, p)
}

// NewPage is the plain upload form (?forum=slug): it works without
// JavaScript and shows the Markdown to paste into the post.
func (h *Handlers) NewPage(c echo.Context) error {
	slug := c.QueryParam("forum")
	if _, err := h.rules.Forum(c.Request().Context(), web.Actor(c), slug); err != nil {
		return err
	}
	return h.renderNew(c, http.StatusOK, UploadForm{Forum: slug}, nil, nil)
}

// readUpload reads the multipart form ValidText has parsed (and checked
// as text): the fields and the file's part, refused unread when over the
// limit.
func (h *Handlers) readUpload(c echo.Context) (UploadForm, *multipart.FileHeader, error) {
	form := UploadForm{Forum: c.FormValue("forum"), Alt: c.FormValue("alt")}
	fh, err := c.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile) || errors.Is(err, http.ErrNotMultipart):
		return form, nil, nil
	case err != nil:
		return form, nil, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read. Please try again.").SetInternal(err)
	case fh.Size > h.svc.MaxBytes():
		return form, nil, h.svc.TooLarge()
	}
	return form, fh, nil
}

// upload stores the file of the request's form for the signed-in member.
func (h *Handlers) upload(c echo.Context) (UploadForm, *Uploaded, error) {
	form, fh, err := h.readUpload(c)
	if err != nil {
		return form, nil, err
	}
	ctx := c.Request().Context()
	actor := web.Actor(c)
	rule := func(ctx context.Context, slug string) (int64, error) { return h.rules.Forum(ctx, actor, slug) }
	if fh == nil {
		up, err := h.svc.Upload(ctx, actor, form, rule, nil)
		return form, up, err
	}
	f, err := fh.Open()
	if err != nil {
		return form, nil, fmt.Errorf("images: read upload: %w", err)
	}
	defer f.Close()
	up, err := h.svc.Upload(ctx, actor, form, rule, f)
	return form, up, err
}

// Upload takes an image from the composer (JSON answer, for
// static/js/app.js) or the plain upload page (the page again, with the
// Markdown to paste).
func (h *Handlers) Upload(c echo.Context) error {
	form, up, err := h.upload(c)
	if web.WantsJSON(c) {
		if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, map[string]any{"image": up})
	}
	var ve *models.ValidationError
	var tl *models.TooLargeError
	switch {
	case errors.As(err, &ve):
		return h.renderNew(c, http.StatusUnprocessableEntity, form, nil, err)
	case errors.As(err, &tl):
		return h.renderNew(c, http.StatusRequestEntityTooLarge, form, nil, err)
	case err != nil:
		return err
	}
	return h.renderNew(c, http.StatusCreated, UploadForm{Forum: form.Forum}, up, nil)
}

// APIUpload is POST /api/v1/images (multipart: file, forum, alt): 201
// {"image": {key, url, markdown, width, height, content_type}}.
func (h *Handlers) APIUpload(c echo.Context) error {
	_, up, err := h.upload(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"image": up})
}

// csp lets an image opened on its own show and nothing else run: no
// script, no plugin, no form, sandboxed.
const csp = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

// maxAge is how long a browser may reuse an image before asking again
// (with its ETag): short, so a removed post's images stop showing soon.
const maxAge = "max-age=300"

// sharedMaxAge bounds shared caches (a proxy or CDN in front) to a second,
// as for pages: one that kept a public image for maxAge would go on
// showing it to everyone for five minutes after a moderator removed its
// post. A browser's own copy only ever showed it to the one who saw it.
const sharedMaxAge = "s-maxage=1"

// Serve sends an image to whoever may see it (Service.Open); anyone else
// gets the same 404 as for an image that does not exist.
func (h *Handlers) Serve(c echo.Context) error {
	hd := c.Response().Header()
	hd.Set("Cache-Control", "private, no-store") // until we know who may keep it
	hd.Add("Vary", "Cookie, Authorization")
	sv, err := h.svc.Open(c.Request().Context(), web.Actor(c), c.Param("key"), h.rules.Shown)
	if err != nil {
		return err
	}
	defer sv.Close()
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", csp)
	hd.Set(echo.HeaderContentDisposition, `inline; filename="image.`+extOf(sv.Image.ContentType)+`"`)
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	if sv.Public {
		hd.Set("Cache-Control", "public, "+maxAge+", "+sharedMaxAge)
	} else {
		hd.Set("Cache-Control", "private, "+maxAge)
		hd.Set("X-Robots-Tag", "noindex")
	}
	etag := `"` + sv.Image.Key + `"` // an image never changes under its key
	hd.Set("ETag", etag)
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			if t = strings.TrimSpace(t); t == etag || t == "W/"+etag || t == "*" {
				return c.NoContent(http.StatusNotModified)
			}
		}
	}
	hd.Set(echo.HeaderContentLength, strconv.FormatInt(sv.Size, 10))
	return c.Stream(http.StatusOK, sv.Image.ContentType, sv)
}
