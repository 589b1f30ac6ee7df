package analytics

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/lib/pq"

	"github.com/kindred-health/kindred/app/figures"
)

// SuppressBelow: a cell counting fewer people than this in a sensitive or
// clinician-only forum is shown as FewerThan instead.
const SuppressBelow = figures.SuppressBelow

// FewerThan is what a suppressed cell reads.
const FewerThan = figures.FewerThan

// Cell is one figure: a number, nothing (not known yet, or no base), or
// suppressed.
type Cell struct {
	Value      *float64 `json:"value"`
	Suppressed bool     `json:"suppressed"`
}

func num(v float64) Cell { return Cell{Value: &v} }

func hidden() Cell { return Cell{Suppressed: true} }

// Text is the cell as a person reads it.
func (c Cell) Text(unit string) string {
	switch {
	case c.Suppressed:
		return FewerThan
	case c.Value == nil:
		return "—"
	}
	v := *c.Value
	if v == math.Trunc(v) && unit != "%" && unit != " h" {
		return strconv.FormatFloat(v, 'f', 0, 64) + unit
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + unit
}

// Raw is the cell for CSV: the number, "" or FewerThan.
func (c Cell) Raw() string {
	switch {
	case c.Suppressed:
		return FewerThan
	case c.Value == nil:
		return ""
	}
	return strconv.FormatFloat(*c.Value, 'f', -1, 64)
}

// count is a count of people (or of what people wrote) in a forum:
// suppressed when restricted and 1–4.
func count(n int64, restricted bool) Cell {
	if restricted && n > 0 && n < SuppressBelow {
		return hidden()
	}
	return num(float64(n))
}

// share is part of whole in per cent, one decimal; nothing without a
// whole; suppressed in a restricted forum when the whole, the part or the
// rest counts fewer than five.
func share(part, whole int64, restricted bool) Cell {
	if whole <= 0 {
		return Cell{}
	}
	small := func(n int64) bool { return n > 0 && n < SuppressBelow }
	if restricted && (small(whole) || small(part) || small(whole-part)) {
		return hidden()
	}
	return num(math.Round(1000*float64(part)/float64(whole)) / 10)
}

// change is value minus previous; suppressed when either is.
func change(v, prev Cell) Cell {
	if v.Suppressed || prev.Suppressed {
		return hidden()
	}
	if v.Value == nil || prev.Value == nil {
		return Cell{}
	}
	return num(math.Round(10*(*v.Value-*prev.Value)) / 10)
}

// Figure is one headline figure with the previous period beside it.
type Figure struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Unit     string `json:"unit,omitempty"`
	Value    Cell   `json:"value"`
	Previous Cell   `json:"previous"`
	Change   Cell   `json:"change"`
}

func figure(key, label, unit string, v, prev Cell) Figure {
	return Figure{Key: key, Label: label, Unit: unit, Value: v, Previous: prev, Change: change(v, prev)}
}

// Row is one row of a table.
type Row struct {
	Label string `json:"label"`
	Cells []Cell `json:"cells"`
}

// Table is a breakdown (per forum, reason, specialty, …).
type Table struct {
	Key     string   `json:"key"`
	Title   string   `json:"title"`
	Columns []string `json:"columns"` // the first names the row labels
	Units   []string `json:"-"`       // per value column
	Rows    []Row    `json:"rows"`
	Note    string   `json:"note,omitempty"`
}

// Series is a chart's figures: per day (Kind "line") or per category
// ("bar").
type Series struct {
	Key    string   `json:"key"`
	Title  string   `json:"title"`
	Kind   string   `json:"kind"`
	Unit   string   `json:"unit,omitempty"`
	XTitle string   `json:"x_title"`
	Labels []string `json:"labels"`
	Lines  []Line   `json:"lines"`
}

// Line is one series of a chart.
type Line struct {
	Name   string `json:"name"`
	Values []Cell `json:"values"`
}

// NoResult is a query that found nothing, searched by at least
// SuppressBelow different members in the period.
type NoResult struct {
	Query    string `json:"query"`
	Searches int64  `json:"searches"`
	Members  int64  `json:"members"`
}

// Report is one area's figures for a period.
type Report struct {
	Area           string     `json:"area"`
	Title          string     `json:"title"`
	From           string     `json:"from"`
	To             string     `json:"to"`
	PreviousFrom   string     `json:"previous_from"`
	PreviousTo     string     `json:"previous_to"`
	DaysNotRolled  int        `json:"days_not_rolled_up"`
	Figures        []Figure   `json:"figures"`
	Tables         []Table    `json:"tables"`
	Charts         []Series   `json:"charts"`
	NoResult       []NoResult `json:"no_result_queries"` // search; empty elsewhere
	Notes          []string   `json:"notes"`
	ScopedToForums bool       `json:"scoped_to_forums"`
	// OnlyRestricted: the viewer moderates only sensitive or
	// clinician-only forums, so figures and daily charts are empty (never
	// zeros that are not true) and the per-forum table holds their figures.
	OnlyRestricted bool `json:"only_restricted_forums"`
}

// forumInfo is what a report needs of a forum.
type forumInfo struct {
	ID         int64
	Name       string
	Restricted bool // sensitive or clinician-only
}

func (s *Service) forums(ctx context.Context, scope Scope) ([]forumInfo, error) {
	var out []forumInfo
	q := `SELECT id, name, (sensitive OR clinician_only) AS restricted FROM forums`
	args := []any{}
	if !scope.All {
		q += ` WHERE id IN ?`
		args = append(args, append([]int64{-1}, scope.Forums...))
	}
	err := s.db.Gorm.WithContext(ctx).Raw(q+` ORDER BY restricted, position, name, id`, args...).Scan(&out).Error
	return out, err
}

// counts are summed rollups: metric → forum → key → [this period, previous].
type counts map[string]map[int64]map[string]*[2]int64

func (c counts) add(metric string, forum int64, key string, i int, n int64) {
	m := c[metric]
	if m == nil {
		m = map[int64]map[string]*[2]int64{}
		c[metric] = m
	}
	f := m[forum]
	if f == nil {
		f = map[string]*[2]int64{}
		m[forum] = f
	}
	v := f[key]
	if v == nil {
		v = &[2]int64{}
		f[key] = v
	}
	v[i] += n
}

// get is one forum's count for one key ("" sums all keys? no: exactly key).
func (c counts) get(metric string, forum int64, key string, i int) int64 {
	if v := c[metric][forum][key]; v != nil {
		return v[i]
	}
	return 0
}

// forumTotal sums every key of a metric in one forum.
func (c counts) forumTotal(metric string, forum int64, i int) int64 {
	var n int64
	for _, v := range c[metric][forum] {
		n += v[i]
	}
	return n
}

// open sums a metric over the figures that need no suppression: forums
// that are neither sensitive nor clinician-only, and figures tied to no
// forum. Restricted forums stay out of every total, so no total minus
// the visible cells gives away a suppressed one.
func (c counts) open(metric string, restricted map[int64]bool, key *string, i int) int64 {
	var n int64
	for f, keys := range c[metric] {
		if restricted[f] {
			continue
		}
		for k, v := range keys {
			if key == nil || *key == k {
				n += v[i]
			}
		}
	}
	return n
}

// keys lists a metric's keys over the open figures.
func (c counts) keys(metric string, restricted map[int64]bool) []string {
	seen := map[string]bool{}
	var out []string
	for f, keys := range c[metric] {
		if restricted[f] {
			continue
		}
		for k := range keys {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	return out
}

func scopeFilter(scope Scope, args map[string]any) string {
	if scope.All {
		return ""
	}
	args["forums"] = append([]int64{-1}, scope.Forums...)
	return ` AND forum_id IN @forums`
}

func (s *Service) readCounts(ctx context.Context, scope Scope, p Period, metrics ...string) (counts, error) {
	prev := p.Previous()
	args := map[string]any{"m": metrics, "pfrom": prev.From.Format(time.DateOnly), "from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly)}
	var rows []struct {
		Metric  string
		ForumID int64
		Key     string
		Cur     bool
		N       int64
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT metric, forum_id, key, day >= @from ::date AS cur, sum(n) AS n FROM analytics_counts
		WHERE metric IN @m AND day BETWEEN @pfrom ::date AND @to ::date`+scopeFilter(scope, args)+` GROUP BY 1, 2, 3, 4`, args).Scan(&rows).Error
	out := counts{}
	for _, r := range rows {
		i := 1
		if r.Cur {
			i = 0
		}
		out.add(r.Metric, r.ForumID, r.Key, i, r.N)
	}
	return out, err
}

// atDay reads a metric on the last day of the period and of the previous
// one (members active in the 7 or 30 days ending then), per forum.
func (s *Service) atEnd(ctx context.Context, scope Scope, p Period, metrics ...string) (counts, error) {
	args := map[string]any{"m": metrics, "to": p.To.Format(time.DateOnly), "pto": p.Previous().To.Format(time.DateOnly)}
	var rows []struct {
		Metric  string
		ForumID int64
		Cur     bool
		N       int64
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT metric, forum_id, day = @to ::date AS cur, n FROM analytics_counts
		WHERE metric IN @m AND day IN ( @to ::date, @pto ::date)`+scopeFilter(scope, args), args).Scan(&rows).Error
	out := counts{}
	for _, r := range rows {
		i := 1
		if r.Cur {
			i = 0
		}
		out.add(r.Metric, r.ForumID, "", i, r.N)
	}
	return out, err
}

// daily reads metrics per day of the period, summed over the open
// figures in scope (restricted forums are never drawn per day: a day's
// small count beside a shown total would give it away).
func (s *Service) daily(ctx context.Context, scope Scope, p Period, metrics ...string) (map[string][]float64, error) {
	args := map[string]any{"m": metrics, "from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly)}
	var rows []struct {
		Metric string
		Day    time.Time
		N      int64
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT c.metric, c.day, sum(c.n) AS n FROM analytics_counts c
		WHERE c.metric IN @m AND c.day BETWEEN @from ::date AND @to ::date
		  AND NOT EXISTS (SELECT 1 FROM forums f WHERE f.id = c.forum_id AND (f.sensitive OR f.clinician_only))`+scopeFilter(scope, args)+`
		GROUP BY 1, 2`, args).Scan(&rows).Error
	out := map[string][]float64{}
	for _, m := range metrics {
		out[m] = make([]float64, p.Days())
	}
	for _, r := range rows {
		i := int(Day(r.Day).Sub(p.From) / (24 * time.Hour))
		if i >= 0 && i < p.Days() {
			out[r.Metric][i] += float64(r.N)
		}
	}
	return out, err
}

// pct is the p50 and p90 of a duration and how many values they come from.
type pct struct {
	P50, P90 float64
	N        int64
}

// percentiles reads the durations of the period and the previous one and
// computes their p50 and p90 from the values themselves.
func (s *Service) percentiles(ctx context.Context, scope Scope, p Period, metrics ...string) (map[string][2]pct, error) {
	return s.percentilesOutside(ctx, scope, p, nil, metrics...)
}

// percentilesOutside is percentiles leaving out the forums in exclude
// (the restricted ones, for "open forums" figures).
func (s *Service) percentilesOutside(ctx context.Context, scope Scope, p Period, exclude map[int64]bool, metrics ...string) (map[string][2]pct, error) {
	prev := p.Previous()
	skip := []int64{}
	for id, ok := range exclude {
		if ok {
			skip = append(skip, id)
		}
	}
	args := map[string]any{"m": metrics, "pfrom": prev.From.Format(time.DateOnly), "from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly),
		"skip": pq.Int64Array(skip)}
	var rows []struct {
		Metric   string
		Cur      bool
		P50, P90 float64
		N        int64
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT metric, day >= @from ::date AS cur,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p90, count(*) AS n
		FROM analytics_durations, unnest(seconds) v
		WHERE metric IN @m AND day BETWEEN @pfrom ::date AND @to ::date AND NOT (forum_id = ANY(@skip ::bigint[]))`+scopeFilter(scope, args)+` GROUP BY 1, 2`, args).Scan(&rows).Error
	out := map[string][2]pct{}
	for _, r := range rows {
		v := out[r.Metric]
		i := 1
		if r.Cur {
			i = 0
		}
		v[i] = pct{P50: r.P50, P90: r.P90, N: r.N}
		out[r.Metric] = v
	}
	return out, err
}

// forumPercentiles is a duration's p50 and p90 per forum in the period.
func (s *Service) forumPercentiles(ctx context.Context, scope Scope, p Period, metric string) (map[int64]pct, error) {
	args := map[string]any{"m": metric, "from": p.From.Format(time.DateOnly), "to": p.To.Format(time.DateOnly)}
	var rows []struct {
		ForumID  int64
		P50, P90 float64
		N        int64
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT forum_id,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS p50, percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p90, count(*) AS n
		FROM analytics_durations, unnest(seconds) v
		WHERE metric = @m AND day BETWEEN @from ::date AND @to ::date`+scopeFilter(scope, args)+` GROUP BY 1`, args).Scan(&rows).Error
	out := map[int64]pct{}
	for _, r := range rows {
		out[r.ForumID] = pct{P50: r.P50, P90: r.P90, N: r.N}
	}
	return out, err
}

// hours is a duration percentile in hours; suppressed below five values
// (a time computed from one or two people's cases describes them).
func hours(p pct, which string) Cell {
	if p.N == 0 {
		return Cell{}
	}
	if p.N < SuppressBelow {
		return hidden()
	}
	v := p.P50
	if which == "p90" {
		v = p.P90
	}
	return num(math.Round(v/360) / 10)
}

// notRolled counts the period's days the rollup has not computed yet,
// from the first account's day (or the first day rolled up, if earlier)
// on: before it the site did not exist, and there is nothing to roll up.
func (s *Service) notRolled(ctx context.Context, p Period) (int, error) {
	var n int
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM generate_series(?::date, ?::date, interval '1 day') d
		WHERE d::date >= (SELECT coalesce(least((SELECT min(day) FROM analytics_days), (SELECT `+dayOf("min(created_at)")+` FROM users)), 'infinity'::date))
		  AND NOT EXISTS (SELECT 1 FROM analytics_days a WHERE a.day = d::date)`, p.From.Format(time.DateOnly), p.To.Format(time.DateOnly)).Scan(&n).Error
	return n, err
}

// dayLabels names the period's days.
func dayLabels(p Period) []string {
	out := make([]string, p.Days())
	for i := range out {
		out[i] = p.From.AddDate(0, 0, i).Format(time.DateOnly)
	}
	return out
}

func cells(xs []float64) []Cell {
	out := make([]Cell, len(xs))
	for i, x := range xs {
		out[i] = num(x)
	}
	return out
}

// nonNil is xs, or an empty slice: JSON lists are [] when empty, never
// null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// fillLists makes every list of the report an empty one rather than nil,
// so the JSON shape is the same whatever the figures.
func (r *Report) fillLists() {
	r.Figures, r.Tables, r.Charts, r.Notes, r.NoResult = nonNil(r.Figures), nonNil(r.Tables), nonNil(r.Charts), nonNil(r.Notes), nonNil(r.NoResult)
	for i := range r.Tables {
		t := &r.Tables[i]
		t.Columns, t.Rows = nonNil(t.Columns), nonNil(t.Rows)
		for j := range t.Rows {
			t.Rows[j].Cells = nonNil(t.Rows[j].Cells)
		}
	}
	for i := range r.Charts {
		c := &r.Charts[i]
		c.Labels, c.Lines = nonNil(c.Labels), nonNil(c.Lines)
		for j := range c.Lines {
			c.Lines[j].Values = nonNil(c.Lines[j].Values)
		}
	}
}
