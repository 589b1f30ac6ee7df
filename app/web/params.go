package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

// PageParam reads the page number of a paged list: 1 when absent, else a
// whole number from 1 to max (no upper bound when max is 0). Anything
// else is a 422 naming the field, for pages and the API alike: a page
// that does not exist is an error, never quietly page 1.
func PageParam(c echo.Context, name string, max int) (int, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || (max > 0 && n > max) {
		return 0, PageError(name, max)
	}
	return n, nil
}

// PageError is the 422 for a page number outside 1..max.
func PageError(name string, max int) error {
	v := models.NewValidationError()
	if max > 0 {
		v.Add(name, "Choose a page from 1 to "+strconv.Itoa(max)+".")
	} else {
		v.Add(name, "Choose a page: a whole number from 1.")
	}
	return v
}

// CursorParam reads an optional id cursor (?before=, ?after=): 0 when
// absent, else a whole number of 0 or more; anything else is a 422
// naming the field.
func CursorParam(c echo.Context, name string) (int64, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 0 {
		v := models.NewValidationError()
		v.Add(name, "Must be an id from a previous page (a whole number, 0 or more).")
		return 0, v
	}
	return n, nil
}

// PathID reads a positive id from the route's :name, written as Kindred
// writes it (no sign, no leading zeros); anything else is
// models.ErrNotFound (a page that cannot exist), the one answer every
// feature gives. One address per page: /t/01 and /t/+1 would otherwise
// be more copies of /t/1 for a cache to keep.
func PathID(c echo.Context, name string) (int64, error) {
	return parseID(c.Param(name))
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || s[0] < '1' || s[0] > '9' {
		return 0, models.ErrNotFound
	}
	return id, nil
}
