package analytics

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kindred-health/kindred/models"
)

func TestParsePeriod(t *testing.T) {
	y := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		q         map[string]string
		from, to  string
		badField  string
		preset    int
		prevStart string
	}{
		{q: map[string]string{}, from: "2026-10-03", to: "2026-11-01", preset: 30, prevStart: "2026-09-03"},
		{q: map[string]string{"period": "7"}, from: "2026-10-26", to: "2026-11-01", preset: 7, prevStart: "2026-10-19"},
		{q: map[string]string{"period": "365"}, from: "2025-11-02", to: "2026-11-01", preset: 365, prevStart: "2024-11-02"},
		// A preset wins over the dates the form also sends.
		{q: map[string]string{"period": "90", "from": "2026-01-01", "to": "2026-01-02"}, from: "2026-08-04", to: "2026-11-01", preset: 90},
		{q: map[string]string{"from": "2026-10-01", "to": "2026-10-01"}, from: "2026-10-01", to: "2026-10-01", prevStart: "2026-09-30"},
		{q: map[string]string{"period": "custom", "from": "2025-11-01", "to": "2026-11-01"}, from: "2025-11-01", to: "2026-11-01"}, // 366 days
		{q: map[string]string{"from": "2025-10-31", "to": "2026-11-01"}, badField: "from"},                                         // 367
		{q: map[string]string{"period": "12"}, badField: "period"},
		{q: map[string]string{"period": "30x"}, badField: "period"},
		{q: map[string]string{"from": "2026-10-01"}, badField: "to"},
		{q: map[string]string{"to": "2026-10-01"}, badField: "from"},
		{q: map[string]string{"from": "2026-02-30", "to": "2026-10-01"}, badField: "from"},
		{q: map[string]string{"from": "01/10/2026", "to": "2026-10-01"}, badField: "from"},
		{q: map[string]string{"from": "1999-12-31", "to": "2000-01-02"}, badField: "from"},
		{q: map[string]string{"from": "2026-10-05", "to": "2026-10-01"}, badField: "from"},
		{q: map[string]string{"from": "2026-10-05", "to": "2026-11-02"}, badField: "to"}, // today
	} {
		p, err := ParsePeriod(func(k string) string { return c.q[k] }, y)
		if c.badField != "" {
			var verr *models.ValidationError
			if !errors.As(err, &verr) || verr.Fields[c.badField] == "" {
				t.Errorf("%v: %v, want an error on %s", c.q, err, c.badField)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.q, err)
			continue
		}
		if p.From.Format(time.DateOnly) != c.from || p.To.Format(time.DateOnly) != c.to || p.Preset != c.preset {
			t.Errorf("%v: %s..%s preset %d", c.q, p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), p.Preset)
		}
		if prev := p.Previous(); c.prevStart != "" && (prev.From.Format(time.DateOnly) != c.prevStart || prev.Days() != p.Days() || !prev.To.AddDate(0, 0, 1).Equal(p.From)) {
			t.Errorf("%v: previous %s..%s", c.q, prev.From.Format(time.DateOnly), prev.To.Format(time.DateOnly))
		}
	}
}

// Every refusal says what is wrong with the value, not only where.
func TestParsePeriodMessages(t *testing.T) {
	y := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		from, to, field, want string
	}{
		{"1900-01-01", "2026-11-01", "from", "too far back: periods start on 2000-01-01 or later"},
		{"1999-12-31", "2000-01-01", "from", "too far back"},
		{"2000-01-01", "1990-01-01", "to", "too far back"},
		{"2025-10-31", "2026-11-01", "from", "at most 366 days: to end on 2026-11-01, start on 2025-11-01 or later"},
		{"2026-02-30", "2026-10-01", "from", "2026-02-30 is not a day of the calendar"},
		{"01/10/2026", "2026-10-01", "from", "year-month-day"},
		{"", "2026-10-01", "from", "Enter the first day"},
		{"2026-10-01", "", "to", "Enter the last day"},
		{"2026-10-05", "2026-10-01", "from", "must not be after"},
		{"2026-10-05", "2026-11-02", "to", "up to yesterday"},
	} {
		q := map[string]string{"from": c.from, "to": c.to}
		_, err := ParsePeriod(func(k string) string { return q[k] }, y)
		var verr *models.ValidationError
		if !errors.As(err, &verr) || !strings.Contains(verr.Fields[c.field], c.want) {
			t.Errorf("%s..%s: %v, want %q on %s", c.from, c.to, err, c.want, c.field)
		}
	}
}

// Links carry the period as the form sends it.
func TestPeriodHref(t *testing.T) {
	y := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for q, want := range map[string]string{
		"period=7":                      "/x?period=7",
		"from=2026-10-01&to=2026-10-03": "/x?from=2026-10-01&period=custom&to=2026-10-03",
		"period=custom&from=2026-10-01&to=2026-10-03": "/x?from=2026-10-01&period=custom&to=2026-10-03",
	} {
		v, _ := url.ParseQuery(q)
		p, err := ParsePeriod(v.Get, y)
		if err != nil || string(p.Href("/x")) != want {
			t.Errorf("%s: %s %v, want %s", q, p.Href("/x"), err, want)
		}
		// And read back, they are the same period.
		back, _ := url.Parse(string(p.Href("/x")))
		if p2, err := ParsePeriod(back.Query().Get, y); err != nil || !p2.From.Equal(p.From) || !p2.To.Equal(p.To) {
			t.Errorf("%s: read back as %v %v", q, p2, err)
		}
	}
}

func TestSuppression(t *testing.T) {
	for _, c := range []struct {
		cell Cell
		want string
	}{
		{count(0, true), "0"}, {count(1, true), FewerThan}, {count(4, true), FewerThan}, {count(5, true), "5"}, {count(3, false), "3"},
		{share(2, 10, false), "20.0%"}, {share(0, 0, false), "—"},
		{share(3, 10, true), FewerThan}, {share(8, 10, true), FewerThan}, {share(5, 10, true), "50.0%"}, {share(0, 4, true), FewerThan},
		{share(0, 10, true), "0.0%"}, {share(10, 10, true), "100.0%"},
		{change(count(7, true), count(3, true)), FewerThan}, {change(num(7), num(3)), "4"}, {change(num(3), Cell{}), "—"},
		{hours(pct{P50: 5400, N: 4}, "p50"), FewerThan}, {hours(pct{P50: 5400, P90: 36000, N: 5}, "p50"), "1.5 h"},
		{hours(pct{P50: 5400, P90: 36000, N: 5}, "p90"), "10.0 h"}, {hours(pct{}, "p50"), "—"},
	} {
		unit := ""
		if c.cell.Value != nil && (c.want[len(c.want)-1] == '%') {
			unit = "%"
		}
		if c.cell.Value != nil && len(c.want) > 2 && c.want[len(c.want)-2:] == " h" {
			unit = " h"
		}
		if got := c.cell.Text(unit); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
		if c.cell.Suppressed && c.cell.Value != nil {
			t.Error("a suppressed cell keeps its value")
		}
	}
}

func TestScopeOf(t *testing.T) {
	admin := models.Actor{User: &models.User{ID: 1, Role: models.RoleAdmin}}
	global := models.Actor{User: &models.User{ID: 2, Role: models.RoleModerator}}
	forumMod := models.Actor{User: &models.User{ID: 3, Role: models.RoleMember}, ModeratedForums: map[int64]bool{7: true}}
	member := models.Actor{User: &models.User{ID: 4, Role: models.RoleMember}}
	for _, c := range []struct {
		who   models.Actor
		areas map[string]bool
		all   bool
		err   error
	}{
		{admin, map[string]bool{AreaCommunity: true, AreaModeration: true, AreaQuestions: true, AreaClinicians: true, AreaSearch: true}, true, nil},
		{global, map[string]bool{AreaCommunity: true, AreaModeration: true}, true, nil},
		{forumMod, map[string]bool{AreaCommunity: true, AreaModeration: true}, false, nil},
		{member, nil, false, models.ErrNotFound},
		{models.Actor{}, nil, false, models.ErrNotFound},
	} {
		s, err := ScopeOf(c.who)
		if !errors.Is(err, c.err) {
			t.Errorf("%v: %v", c.who.User, err)
			continue
		}
		if err != nil {
			continue
		}
		if s.All != c.all {
			t.Errorf("%v: all = %v", c.who.User, s.All)
		}
		for _, a := range Areas {
			if s.MayOpen(a.Key) != c.areas[a.Key] {
				t.Errorf("%v opens %s: %v", c.who.User, a.Key, s.MayOpen(a.Key))
			}
		}
		if s.MayOpen("nowhere") {
			t.Error("an unknown area opens")
		}
	}
	if s, _ := ScopeOf(forumMod); len(s.Forums) != 1 || s.Forums[0] != 7 {
		t.Errorf("forum moderator's forums: %v", s.Forums)
	}
}

func TestNormalizeQuery(t *testing.T) {
	long := ""
	for range 30 {
		long += "abcde "
	}
	for in, want := range map[string]string{
		"  Brain   FOG ":                "brain fog",
		"call me on 06 12 34 56 78":     "",
		"write to jane.doe@example.org": "",
		"":                              "",
		long:                            long[:100],
		"Müdigkeit nach Chemo":          "müdigkeit nach chemo",
	} {
		if got := NormalizeQuery(in); got != want {
			t.Errorf("NormalizeQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNightlySchedule(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	for in, want := range map[string]string{
		"2026-11-02T00:00:00Z":      "2026-11-02T00:15:00Z",
		"2026-11-02T00:15:00Z":      "2026-11-03T00:15:00Z",
		"2026-11-02T09:00:00Z":      "2026-11-03T00:15:00Z",
		"2026-11-02T23:30:00-05:00": "2026-11-04T00:15:00Z",
	} {
		if got := (Nightly{}).Next(at(in)); !got.Equal(at(want)) {
			t.Errorf("after %s: %s, want %s", in, got, want)
		}
	}
}
