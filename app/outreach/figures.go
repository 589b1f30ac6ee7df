package outreach

import (
	"strconv"

	"github.com/kindred-health/kindred/app/figures"
)

// FiveOrMore is what a hidden figure of 5 or more reads: it is hidden
// only so that it cannot be subtracted from, or added up into, a hidden
// figure of 1 to 4.
const FiveOrMore = "5 or more"

// Count is one campaign figure: a number, or hidden (Hidden) when the
// campaign touches a sensitive or clinician-only forum and the figure, or
// another of the same kind, counts 1 to 4. A hidden count never shows N:
// it reads "fewer than 5" (N is 1 to 4) or "5 or more".
type Count struct {
	N      int64
	Hidden bool
}

// String is the figure as people read it (pages, CSV).
func (c Count) String() string {
	switch {
	case !c.Hidden:
		return strconv.FormatInt(c.N, 10)
	case c.N < figures.SuppressBelow:
		return figures.FewerThan
	}
	return FiveOrMore
}

// MarshalJSON is the number, or, hidden, {"value":null,"suppressed":true}
// as in analytics, with "at_least":5 when it is 5 or more.
func (c Count) MarshalJSON() ([]byte, error) {
	switch {
	case !c.Hidden:
		return []byte(strconv.FormatInt(c.N, 10)), nil
	case c.N < figures.SuppressBelow:
		return []byte(`{"value":null,"suppressed":true}`), nil
	}
	return []byte(`{"value":null,"suppressed":true,"at_least":` + strconv.Itoa(figures.SuppressBelow) + `}`), nil
}

func small(n int64) bool { return figures.Small(n) }

// family is one kind of figure of a campaign: its count per day, its
// total (which may include days outside those shown) and its breakdown
// per item (links, threads), which adds up to the total.
type family struct {
	days  []int64
	total int64
	items []int64
}

// counts turns a family into figures. Unrestricted, every figure is
// exact. Restricted, the family is exact only when none of its figures —
// a day, an item, the total, or what the total holds beyond the days
// shown — counts 1 to 4; otherwise every figure of it other than 0 is
// hidden ("fewer than 5" or "5 or more"), so that no total minus the
// figures shown, and no sum of days minus the items shown, gives a
// small count away.
func (f family) counts(restricted bool) (days []Count, total Count, items []Count) {
	hide := false
	if restricted {
		var shown int64
		for _, n := range f.days {
			shown += n
			hide = hide || small(n)
		}
		for _, n := range f.items {
			hide = hide || small(n)
		}
		hide = hide || small(f.total) || small(f.total-shown)
	}
	one := func(n int64) Count { return Count{N: n, Hidden: hide && n != 0} }
	days = make([]Count, len(f.days))
	for i, n := range f.days {
		days[i] = one(n)
	}
	items = make([]Count, len(f.items))
	for i, n := range f.items {
		items[i] = one(n)
	}
	return days, one(f.total), items
}
