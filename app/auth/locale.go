package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Languages are offered in the account settings (the API takes any
// two-letter code); the crisis resources are chosen by them.
var Languages = []struct{ Code, Name string }{
	{"en", "English"}, {"fr", "Français"}, {"es", "Español"}, {"de", "Deutsch"}, {"it", "Italiano"}, {"pt", "Português"},
	{"nl", "Nederlands"}, {"ar", "العربية"}, {"zh", "中文"},
}

// LocaleForm is a member's language and region; empty means the site's
// default.
type LocaleForm struct {
	Language string `json:"language"`
	Region   string `json:"region"`
}

// SetLocale saves the member's language and region, which choose the
// crisis resources they see.
func (s *Service) SetLocale(ctx context.Context, u *models.User, f LocaleForm) error {
	lang, region, ok := web.NormalizeLocale(f.Language, f.Region)
	if !ok {
		v := models.NewValidationError()
		if !web.ValidLanguage(lang) {
			v.Add("language", "Choose a language from the list, or a two-letter code such as en or fr.")
		}
		if !web.ValidRegion(region) {
			v.Add("region", "Enter a country code such as CA, FR, GB or US, a province or state such as CA-QC, or leave it empty.")
		}
		return v
	}
	if err := s.store.updateUser(ctx, s.db.Gorm, u.ID, map[string]any{"language": lang, "region": region, "updated_at": s.now()}); err != nil {
		return err
	}
	u.Language, u.Region = lang, region
	return nil
}

// localeFromBrowser is the language and country the browser prefers, for a
// new account.
func localeFromBrowser(c echo.Context) (string, string) {
	return web.PreferredLocale(c.Request().Header.Get("Accept-Language"))
}

// ChangeLocale saves the language and region from the settings page.
func (h *Handlers) ChangeLocale(c echo.Context) error {
	f := LocaleForm{Language: c.FormValue("language"), Region: c.FormValue("region")}
	if err := h.svc.SetLocale(c.Request().Context(), web.CurrentUser(c), f); err != nil {
		return h.settingsError(c, map[string]string{"language": f.Language, "region": f.Region}, err)
	}
	h.cookies.SetFlash(c, "Your language and region are saved.")
	return web.Redirect(c, "/account#locale")
}

// Locale returns the caller's language and region.
func (a *API) Locale(c echo.Context) error {
	u := web.CurrentUser(c)
	return c.JSON(http.StatusOK, LocaleForm{Language: u.Language, Region: u.Region})
}

// SetLocale replaces them: {"language","region"} ("" = the default).
func (a *API) SetLocale(c echo.Context) error {
	var f LocaleForm
	if err := c.Bind(&f); err != nil {
		return err // the Binder names what is wrong
	}
	if err := a.svc.SetLocale(c.Request().Context(), web.CurrentUser(c), f); err != nil {
		return err
	}
	return a.Locale(c)
}

// SetTimeZone saves the member's time zone (an IANA name such as
// America/Toronto; "" goes back to UTC).
func (s *Service) SetTimeZone(ctx context.Context, u *models.User, name string) error {
	name = strings.TrimSpace(name)
	if name != "" && !web.ValidTimeZone(name) {
		v := models.NewValidationError()
		v.Add("time_zone", "Choose a time zone from the list, such as America/Toronto or Europe/Paris.")
		return v
	}
	if err := s.store.updateUser(ctx, s.db.Gorm, u.ID, map[string]any{"time_zone": name, "updated_at": s.now()}); err != nil {
		return err
	}
	u.TimeZone = name
	return nil
}

// ChangeTimeZone saves the time zone from the settings page, or (from the
// page script, once, when none is chosen) the browser's own: then it
// answers 204 instead of leading back to the settings.
func (h *Handlers) ChangeTimeZone(c echo.Context) error {
	name := c.FormValue("time_zone")
	auto := c.FormValue("auto") == "1"
	u := web.CurrentUser(c)
	if auto && u.TimeZone != "" {
		return c.NoContent(http.StatusNoContent) // the member chose already
	}
	if err := h.svc.SetTimeZone(c.Request().Context(), u, name); err != nil {
		if auto {
			return c.NoContent(http.StatusNoContent) // a browser zone we do not know: stay in UTC
		}
		return h.settingsError(c, map[string]string{"time_zone": name}, err)
	}
	if auto {
		return c.NoContent(http.StatusNoContent)
	}
	h.cookies.SetFlash(c, "Your time zone is saved: times show in it now.")
	return web.Redirect(c, "/account#time-zone")
}
