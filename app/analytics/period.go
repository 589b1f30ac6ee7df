package analytics

import (
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kindred-health/kindred/models"
)

// MaxDays is the longest period a page shows.
const MaxDays = 366

// Presets are the periods offered first, in days ending yesterday.
var Presets = []int{7, 30, 90, 365}

// DefaultPreset is the period shown when none is chosen.
const DefaultPreset = 30

// Period is a run of whole UTC days, From..To inclusive.
type Period struct {
	From, To time.Time
	// Preset is the number of days chosen from the presets, 0 for dates
	// typed in.
	Preset int
}

// Days is the period's length.
func (p Period) Days() int { return int(p.To.Sub(p.From)/(24*time.Hour)) + 1 }

// Previous is the period of the same length just before.
func (p Period) Previous() Period {
	n := p.Days()
	return Period{From: p.From.AddDate(0, 0, -n), To: p.From.AddDate(0, 0, -1)}
}

// Label is "3 Oct 2026 – 1 Nov 2026".
func (p Period) Label() string {
	return p.From.Format("2 Jan 2006") + " – " + p.To.Format("2 Jan 2006")
}

// Query is the period as URL parameters (the API's and the e-mail's
// links), not escaped for HTML: pages take Href.
func (p Period) Query() string {
	if p.Preset > 0 {
		return "period=" + strconv.Itoa(p.Preset)
	}
	return "from=" + p.From.Format(time.DateOnly) + "&to=" + p.To.Format(time.DateOnly)
}

// Values is the period as URL parameters: a preset, or "custom" with its
// dates (the form's own names, so a link opens the form as it was).
func (p Period) Values() url.Values {
	if p.Preset > 0 {
		return url.Values{"period": {strconv.Itoa(p.Preset)}}
	}
	return url.Values{"period": {"custom"}, "from": {p.From.Format(time.DateOnly)}, "to": {p.To.Format(time.DateOnly)}}
}

// Href is path with the period's parameters, typed as a URL so
// html/template writes it as it is (path is Kindred's own, never input).
func (p Period) Href(path string) template.URL {
	return template.URL(path + "?" + p.Values().Encode())
}

// Earliest is the first day a period may start: no community used
// Kindred before it.
var Earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

var looksLikeDate = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// ParsePeriod reads period (a preset, which wins over dates: the page's
// form sends both), or from and to (YYYY-MM-DD, UTC days) with period
// empty or "custom", through get. Periods end yesterday at the latest:
// today is not rolled up yet. Errors name the field and say what is
// wrong with it.
func ParsePeriod(get func(string) string, yesterday time.Time) (Period, error) {
	verr := models.NewValidationError()
	verr.Message = "Please correct the period."
	rawFrom, rawTo := strings.TrimSpace(get("from")), strings.TrimSpace(get("to"))
	preset := strings.TrimSpace(get("period"))
	if (rawFrom == "" && rawTo == "") || (preset != "" && preset != "custom") {
		n := DefaultPreset
		if preset != "" && preset != "custom" {
			v, err := strconv.Atoi(preset)
			known := false
			for _, p := range Presets {
				known = known || p == v
			}
			if err != nil || !known {
				verr.Add("period", "Choose 7, 30, 90 or 365 days, or enter dates.")
				return Period{}, verr
			}
			n = v
		}
		return Period{From: yesterday.AddDate(0, 0, -(n - 1)), To: yesterday, Preset: n}, nil
	}
	example := yesterday.Format(time.DateOnly)
	date := func(field, raw, which string) time.Time {
		switch {
		case raw == "":
			verr.Add(field, "Enter the "+which+" day of the period, for example "+example+".")
			return time.Time{}
		case !looksLikeDate.MatchString(raw):
			verr.Add(field, "Enter the date as year-month-day, for example "+example+".")
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, raw)
		switch {
		case err != nil:
			verr.Add(field, raw+" is not a day of the calendar: check the month and the day.")
			return time.Time{}
		case t.Before(Earliest):
			verr.Add(field, "That is too far back: periods start on "+Earliest.Format(time.DateOnly)+" or later.")
			return time.Time{}
		}
		return t
	}
	from, to := date("from", rawFrom, "first"), date("to", rawTo, "last")
	if len(verr.Fields) > 0 {
		return Period{}, verr
	}
	switch {
	case to.After(yesterday):
		verr.Add("to", "Figures exist for whole days up to yesterday (UTC): choose "+example+" or earlier.")
	case from.After(to):
		verr.Add("from", "The start must not be after the end.")
	case int(to.Sub(from)/(24*time.Hour))+1 > MaxDays:
		verr.Add("from", "A period is at most "+strconv.Itoa(MaxDays)+" days: to end on "+to.Format(time.DateOnly)+
			", start on "+to.AddDate(0, 0, -(MaxDays-1)).Format(time.DateOnly)+" or later.")
	}
	if len(verr.Fields) > 0 {
		return Period{}, verr
	}
	return Period{From: from, To: to}, nil
}
