package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
)

// Pages are parsed when first rendered or by ParseAll: a broken page
// does not stop New, but ParseAll (which `kindred serve` runs once it
// listens) and a render of it both fail naming it, and the other pages
// still render.
func TestPagesParseOnFirstUseAndParseAllFindsBrokenOnes(t *testing.T) {
	static, err := NewStatic(fstest.MapFS{"css/app.css": {Data: []byte("body{}")}, "js/app.js": {Data: []byte("")}, "img/favicon.svg": {Data: []byte("<svg/>")}})
	if err != nil {
		t.Fatal(err)
	}
	tfs := fstest.MapFS{
		"layouts/layout.html": {Data: []byte(`{{define "layout"}}<main>{{template "content" .}}</main>{{end}}`)},
		"pages/good.html":     {Data: []byte(`{{define "content"}}Hello {{.Title}}{{end}}`)},
		"pages/broken.html":   {Data: []byte(`{{define "content"}}{{if .Title}}never closed{{end}}`)},
	}
	r, err := NewRenderer(tfs, static, Cookies{})
	if err != nil {
		t.Fatalf("New must not parse pages: %v", err)
	}
	if !r.Has("pages/good.html") || !r.Has("pages/broken.html") || r.Has("pages/missing.html") {
		t.Fatal("Has must list the page files, and only them")
	}
	e := echo.New()
	render := func(name string) (string, error) {
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
		err := r.Render(c, http.StatusOK, name, &Page{Title: "there"})
		return rec.Body.String(), err
	}
	if body, err := render("pages/good.html"); err != nil || !strings.Contains(body, "Hello there") {
		t.Fatalf("good page: %q %v", body, err)
	}
	if _, err := render("pages/broken.html"); err == nil || !strings.Contains(err.Error(), "pages/broken.html") {
		t.Fatalf("broken page rendered: %v", err)
	}
	if err := r.ParseAll(); err == nil || !strings.Contains(err.Error(), "pages/broken.html") {
		t.Fatalf("ParseAll missed the broken page: %v", err)
	}
	if body, err := render("pages/good.html"); err != nil || !strings.Contains(body, "Hello there") {
		t.Fatalf("good page after: %q %v", body, err)
	}
}
