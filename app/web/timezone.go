package web

import (
	"html/template"
	"strconv"
	"time"
	_ "time/tzdata" // zone names work without the system's zoneinfo (containers)

	"github.com/kindred-health/kindred/models"
)

// Location is the user's time zone (UTC for visitors and for members who
// have not chosen one, or whose zone name is unknown).
func Location(u *models.User) *time.Location {
	if u == nil || u.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(u.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ValidTimeZone reports whether name is a zone Kindred can show times in.
func ValidTimeZone(name string) bool {
	if name == "" || len(name) > 64 || name == "Local" {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// ExactTime is t in loc with the zone's abbreviation: "2 Nov 2026 09:00 EST".
func ExactTime(t time.Time, loc *time.Location) string { return exactTime(t, loc) }

func exactTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2 Jan 2006 15:04 MST")
}

// RelativeTime says how long ago t was when that reads better ("3 hours
// ago"), else the exact time; now is the clock of the request.
func RelativeTime(t, now time.Time, loc *time.Location) string {
	d := now.Sub(t)
	switch {
	case d < 0 || d >= 7*24*time.Hour:
		return exactTime(t, loc)
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day") + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// Date shows t in the viewer's time zone, relatively when recent, inside
// a <time> element whose title is the exact time.
func (p *Page) Date(t time.Time) template.HTML {
	loc := Location(p.User)
	now := time.Now()
	if p.now != nil {
		now = p.now()
	}
	exact := exactTime(t, loc)
	return template.HTML(`<time datetime="` + t.UTC().Format(time.RFC3339) + `" title="` + template.HTMLEscapeString(exact) + `">` +
		template.HTMLEscapeString(RelativeTime(t, now, loc)) + `</time>`)
}

// DatePtr is Date, or "never".
func (p *Page) DatePtr(t *time.Time) template.HTML {
	if t == nil {
		return "never"
	}
	return p.Date(*t)
}
