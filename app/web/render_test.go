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

// ParseAll checks pages without keeping them: a page holds its own copy of
// the layouts and partials, and only the pages an instance serves should
// stay in memory. A page rendered before is kept and still renders after.
func TestParseAllKeepsOnlyServedPages(t *testing.T) {
	static, err := NewStatic(fstest.MapFS{"css/app.css": {Data: []byte("body{}")}, "js/app.js": {Data: []byte("")}, "img/favicon.svg": {Data: []byte("<svg/>")}})
	if err != nil {
		t.Fatal(err)
	}
	tfs := fstest.MapFS{
		"layouts/layout.html": {Data: []byte(`{{define "layout"}}<main>{{template "content" .}}</main>{{end}}`)},
		"pages/served.html":   {Data: []byte(`{{define "content"}}Served {{.Title}}{{end}}`)},
		"pages/rare.html":     {Data: []byte(`{{define "content"}}Rare {{.Title}}{{end}}`)},
	}
	r, err := NewRenderer(tfs, static, Cookies{})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	render := func(name string) string {
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
		if err := r.Render(c, http.StatusOK, name, &Page{Title: "page"}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return rec.Body.String()
	}
	if !strings.Contains(render("pages/served.html"), "Served page") {
		t.Fatal("served page")
	}
	if err := r.ParseAll(); err != nil {
		t.Fatal(err)
	}
	if r.pages["pages/rare.html"].t != nil {
		t.Error("ParseAll kept a page nobody has asked for")
	}
	if r.pages["pages/served.html"].t == nil {
		t.Error("a served page was dropped")
	}
	if !strings.Contains(render("pages/rare.html"), "Rare page") || !strings.Contains(render("pages/served.html"), "Served page") {
		t.Error("pages do not render after ParseAll")
	}
}
