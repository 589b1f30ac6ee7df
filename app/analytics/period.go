package analytics

import (
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

// Query is the period as URL parameters (for CSV and JSON links).
func (p Period) Query() string {
	if p.Preset > 0 {
		return "period=" + strconv.Itoa(p.Preset)
	}
	return "from=" + p.From.Format(time.DateOnly) + "&to=" + p.To.Format(time.DateOnly)
}

// ParsePeriod reads period (a preset, which wins over dates: the page's
// form sends both), or from and to (YYYY-MM-DD, UTC days) with period
// empty or "custom", through get. Periods end yesterday at the latest:
// today is not rolled up yet. Errors name the field.
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
	date := func(field, raw string) time.Time {
		if raw == "" {
			verr.Add(field, "Enter a date as YYYY-MM-DD, for example "+yesterday.Format(time.DateOnly)+".")
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil || t.Year() < 2000 || t.Year() > 9999 {
			verr.Add(field, "Enter a date as YYYY-MM-DD, for example "+yesterday.Format(time.DateOnly)+".")
			return time.Time{}
		}
		return t
	}
	from, to := date("from", rawFrom), date("to", rawTo)
	if len(verr.Fields) > 0 {
		return Period{}, verr
	}
	switch {
	case to.After(yesterday):
		verr.Add("to", "Figures exist for whole days up to yesterday (UTC): choose "+yesterday.Format(time.DateOnly)+" or earlier.")
	case from.After(to):
		verr.Add("from", "The start must not be after the end.")
	case int(to.Sub(from)/(24*time.Hour))+1 > MaxDays:
		verr.Add("from", "Choose at most "+strconv.Itoa(MaxDays)+" days.")
	}
	if len(verr.Fields) > 0 {
		return Period{}, verr
	}
	return Period{From: from, To: to}, nil
}
