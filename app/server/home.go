package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"kindred/app/web"
)

// TplHome is the front page.
const TplHome = "pages/home/index.html"

func homeHandler(r *web.Renderer) echo.HandlerFunc {
	return func(c echo.Context) error {
		return r.Render(c, http.StatusOK, TplHome, r.NewPage(c, "Kindred: support from people who understand"))
	}
}
