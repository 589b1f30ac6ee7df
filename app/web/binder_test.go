package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

type bindTarget struct {
	Title  string            `json:"title"`
	Body   string            `json:"body"`
	Notes  []string          `json:"notes"`
	Count  int               `json:"count"`
	Tags   []string          `json:"tags"`
	Nested struct{ On bool } `json:"nested"`
	Labels map[string]string `json:"labels"`
}

// TestBinderNamesTheField: the server's Binder refuses a wrong type or an
// unknown field as a 422 naming it (nested fields by their path), and
// keeps line breaks as LF.
func TestBinderNamesTheField(t *testing.T) {
	e := echo.New()
	e.Binder = &Binder{}
	bind := func(body string) (bindTarget, error) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		c := e.NewContext(req, httptest.NewRecorder())
		var v bindTarget
		err := c.Bind(&v)
		return v, err
	}
	cases := []struct{ body, field, says string }{
		{`{"title":5}`, "title", "Must be a string"},
		{`{"count":"five"}`, "count", "Must be a whole number"},
		{`{"count":1.5}`, "count", "Must be a whole number"},
		{`{"tags":"a"}`, "tags", "Must be a list"},
		{`{"nested":{"On":"yes"}}`, "nested.On", "Must be true or false"},
		{`{"labels":{"a":1}}`, "labels", "Must be a string"},
		{`{"title":"x","surprise":1}`, "surprise", "takes no field"},
		{`{"title":"x","title":"y"}`, "title", "given twice"},
	}
	for _, c := range cases {
		_, err := bind(c.body)
		var verr *models.ValidationError
		if !errors.As(err, &verr) || verr.Code != "invalid_json" || !strings.Contains(verr.Fields[c.field], c.says) {
			t.Errorf("%s: %#v, want %q on %s", c.body, err, c.says, c.field)
		}
	}
	var he *echo.HTTPError
	if _, err := bind(`{"title":`); !errors.As(err, &he) || he.Code != http.StatusBadRequest {
		t.Errorf("not JSON: %v, want 400", err)
	}
	v, err := bind(`{"body":"a\r\nb","notes":["x\r\ny"],"labels":{"k":"1\r2"}}`)
	if err != nil || v.Body != "a\nb" || v.Notes[0] != "x\ny" || v.Labels["k"] != "1\n2" {
		t.Errorf("line breaks: %v %+v", err, v)
	}
	if _, err := bind(`{"tags":["x\r\ny"]}`); err == nil {
		t.Error("a line break in a tag was taken")
	}
	if v, err := bind(``); err != nil || v.Title != "" {
		t.Errorf("empty body: %v", err)
	}
}
