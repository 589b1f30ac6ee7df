// Package charts draws line and bar charts as SVG on the server, so they
// read without JavaScript, in a saved page and in e-mail. Every chart carries
// a <title> and a <desc>, and the HTML form comes with the same figures as a
// data table. Colours come from the Okabe–Ito palette, which stays distinct
// for the common kinds of colour blindness; series differ by dash and marker
// shape too, so colour is never the only cue. The package is pure: no I/O.
package charts

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Kind is the chart's form.
type Kind int

const (
	// Line joins each series' values across the labels (days, weeks).
	Line Kind = iota
	// Bar draws one bar per label and series, side by side.
	Bar
)

// Value is one figure. Text, when set, is shown instead of N (in the table
// and the hover value), as for a suppressed count. A Missing value is not
// drawn: a gap in a line, no bar.
type Value struct {
	N       float64
	Text    string
	Missing bool
}

// V is a plain figure.
func V(n float64) Value { return Value{N: n} }

// Hidden is a figure that must not be shown, such as a count of fewer than
// five people in a sensitive forum; text says so ("fewer than 5").
func Hidden(text string) Value { return Value{Missing: true, Text: text} }

// Series is one line, or one bar per label; Values has one entry per label
// (extra values are ignored, missing ones are treated as Missing).
type Series struct {
	Name   string
	Values []Value
}

// Chart describes one chart.
type Chart struct {
	// ID is unique on the page; the element ids derive from it.
	ID string
	// Title names the chart (the SVG <title>, the caption, the table caption).
	Title string
	// Description is the one-sentence summary a screen reader hears (the
	// SVG <desc>). When empty, one is written from the figures.
	Description string
	Kind        Kind
	// Labels are the categories along the x axis.
	Labels []string
	// Series: up to eight are drawn in distinct colours; more repeat them
	// with other dashes.
	Series []Series
	// Unit follows each value: "%", " h", " members". Empty for counts.
	Unit string
	// XTitle heads the label column of the data table; "Period" if empty.
	XTitle string
}

// Okabe–Ito, ordered so the first colours have the best contrast on white.
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#F0E442"}

var dashes = []string{"", "6 3", "2 3", "8 3 2 3"}

const (
	width   = 640.0
	height  = 300.0
	padL    = 60.0
	padR    = 16.0
	padT    = 16.0
	padB    = 44.0 // x labels
	legendH = 22.0 // one legend row
	// labelMax is how much of a slanted category label shows.
	labelMax = 18
)

func (c Chart) value(s, i int) Value {
	vs := c.Series[s].Values
	if i >= len(vs) {
		return Value{Missing: true}
	}
	return vs[i]
}

// elementID keeps letters, digits, '-' and '_' so the id is safe anywhere.
func elementID(id string) string {
	var b strings.Builder
	for _, r := range id {
		if r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "chart"
	}
	return "chart-" + b.String()
}

func esc(s string) string { return template.HTMLEscapeString(s) }

// Format writes a figure as the table shows it: thousands separated, at most
// one decimal, with the unit.
func Format(n float64, unit string) string {
	return number(n) + unit
}

func number(n float64) string {
	if math.IsNaN(n) || math.IsInf(n, 0) {
		return "–"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	r := math.Round(n*10) / 10
	whole := math.Floor(r)
	frac := int(math.Round((r - whole) * 10))
	digits := strconv.FormatFloat(whole, 'f', 0, 64)
	var b strings.Builder
	if neg && r != 0 {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if frac != 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(frac))
	}
	return b.String()
}

// shown is a value as words: its Text, or the number with the unit.
func (c Chart) shown(v Value) string {
	if v.Text != "" {
		return v.Text
	}
	if v.Missing {
		return "no data"
	}
	return Format(v.N, c.Unit)
}

// axisTick writes a tick label compactly (1.2k, 3M).
func axisTick(n float64, unit string) string {
	a := math.Abs(n)
	switch {
	case a >= 1e6:
		return strings.TrimSuffix(strconv.FormatFloat(n/1e6, 'f', 1, 64), ".0") + "M" + unit
	case a >= 1e4:
		return strings.TrimSuffix(strconv.FormatFloat(n/1e3, 'f', 1, 64), ".0") + "k" + unit
	}
	return number(n) + unit
}

// niceStep picks a round step (1, 2 or 5 × 10^k) giving about five ticks.
func niceStep(span float64) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// scale returns the y range [lo, hi] (always including zero) and its step.
func (c Chart) scale() (lo, hi, step float64, any bool) {
	for s := range c.Series {
		for i := range c.Labels {
			v := c.value(s, i)
			if v.Missing || math.IsNaN(v.N) || math.IsInf(v.N, 0) {
				continue
			}
			if !any {
				lo, hi, any = math.Min(0, v.N), math.Max(0, v.N), true
				continue
			}
			lo, hi = math.Min(lo, v.N), math.Max(hi, v.N)
		}
	}
	if !any || hi == lo {
		hi = lo + 1
	}
	step = niceStep(hi - lo)
	lo = math.Floor(lo/step) * step
	hi = math.Ceil(hi/step) * step
	// Integer counts never get fractional ticks.
	if step < 1 && c.allWhole() {
		step = 1
		hi = math.Ceil(hi)
		lo = math.Floor(lo)
	}
	return lo, hi, step, any
}

func (c Chart) allWhole() bool {
	for s := range c.Series {
		for i := range c.Labels {
			if v := c.value(s, i); !v.Missing && v.N != math.Trunc(v.N) {
				return false
			}
		}
	}
	return true
}

// summary writes a description from the figures when the caller gave none.
func (c Chart) summary() string {
	kind := "Line chart"
	if c.Kind == Bar {
		kind = "Bar chart"
	}
	if len(c.Labels) == 0 || len(c.Series) == 0 {
		return kind + " with no data."
	}
	parts := []string{fmt.Sprintf("%s of %d values from %s to %s", kind, len(c.Labels), c.Labels[0], c.Labels[len(c.Labels)-1])}
	for s, se := range c.Series {
		best, at, seen := 0.0, -1, 0
		for i := range c.Labels {
			v := c.value(s, i)
			if v.Missing {
				continue
			}
			seen++
			if at < 0 || v.N > best {
				best, at = v.N, i
			}
		}
		if at < 0 {
			parts = append(parts, se.Name+": no figures shown")
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: highest %s at %s", se.Name, Format(best, c.Unit), c.Labels[at]))
	}
	return strings.Join(parts, "; ") + "."
}

func (c Chart) description() string {
	if strings.TrimSpace(c.Description) != "" {
		return c.Description
	}
	return c.summary()
}

// svg writes the chart; standalone adds the XML namespace and a white
// background for use outside a page.
func (c Chart) svg(standalone bool) string {
	id := elementID(c.ID)
	lo, hi, step, any := c.scale()
	rows, perRow := 0, c.legendColumns()
	if len(c.Series) > 1 {
		rows = (len(c.Series) + perRow - 1) / perRow
	}
	plotW := width - padL - padR
	plotH := height - padT - padB
	n := len(c.Labels)
	band := plotW
	if n > 0 {
		band = plotW / float64(n)
	}
	// Category labels that would run into each other are written at a
	// slant, each one shown; days are thinned instead (at most about eight).
	every, slant, longest := 1, false, 0
	for _, l := range c.Labels {
		longest = max(longest, len([]rune(clip(l, labelMax))))
	}
	switch {
	case c.Kind == Bar && n <= 24 && 7*float64(longest) > band*0.95:
		slant = true
	case n > 8:
		every = (n + 7) / 8
	}
	labelsBottom := padT + plotH + 26
	if slant {
		labelsBottom = padT + plotH + 12 + 4.1*float64(longest) + 6
	}
	h := labelsBottom + float64(rows)*legendH + 18
	y := func(n float64) float64 { return padT + plotH*(hi-n)/(hi-lo) }

	var b strings.Builder
	if standalone {
		fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" style="max-width:100%%;height:auto" role="img" aria-labelledby="%s-title %s-desc" font-family="system-ui, sans-serif" font-size="12">`, width, h, width, h, id, id)
		fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="#ffffff"/>`, width, h)
	} else {
		fmt.Fprintf(&b, `<svg class="chart-svg" viewBox="0 0 %g %g" role="img" aria-labelledby="%s-title %s-desc" font-size="12" data-chart="1">`, width, h, id, id)
	}
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(c.Title), id, esc(c.description()))

	// Grid and y axis.
	b.WriteString(`<g class="chart-axis" fill="#4a5468" stroke="none">`)
	for t := lo; t <= hi+step/2; t += step {
		ty := y(t)
		fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#c9d2dc" stroke-width="1"/>`, padL, width-padR, ty, ty)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`, padL-6, ty, esc(axisTick(t, c.Unit)))
	}
	fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.1f" y2="%.1f" stroke="#1d2433" stroke-width="1"/>`, padL, width-padR, y(0), y(0))
	b.WriteString(`</g>`)

	if !any {
		fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle" fill="#4a5468">No figures to show</text>`, padL+plotW/2, padT+plotH/2)
	}
	// x positions: bars fill a band per label; lines put points at band centres.
	cx := func(i int) float64 { return padL + band*(float64(i)+0.5) }
	b.WriteString(`<g class="chart-labels" fill="#4a5468">`)
	for i, l := range c.Labels {
		if i%every != 0 {
			continue
		}
		if slant {
			lx, ly := cx(i)+4, padT+plotH+12
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" transform="rotate(-35 %.1f %.1f)">%s</text>`, lx, ly, lx, ly, esc(clip(l, labelMax)))
			continue
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle">%s</text>`, cx(i), padT+plotH+18, esc(clip(l, 14)))
	}
	b.WriteString(`</g>`)

	if c.Kind == Bar {
		c.bars(&b, cx, band, y, lo)
	} else {
		c.lines(&b, cx, y)
	}

	// Legend (only when there is more than one series).
	if rows > 0 {
		b.WriteString(`<g class="chart-legend" fill="#1d2433">`)
		for s, se := range c.Series {
			lx := padL + float64(s%perRow)*((width-padL-padR)/float64(perRow))
			ly := labelsBottom + 12 + float64(s/perRow)*legendH
			col := palette[s%len(palette)]
			if c.Kind == Bar {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="14" height="10" fill="%s"/>`, lx, ly-9, col)
			} else {
				fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/>`, lx, lx+22, ly-4, ly-4, col, dashAttr(s))
				marker(&b, s, lx+11, ly-4, col, "")
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`, lx+28, ly, esc(clip(se.Name, 22)))
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// legendColumns is how many legend entries share a row: as many as fit
// the longest name (about 7 units a character at this size), one to four.
func (c Chart) legendColumns() int {
	longest := 0
	for _, se := range c.Series {
		longest = max(longest, len([]rune(clip(se.Name, 22))))
	}
	n := int((width - padL - padR) / (36 + 7*float64(longest)))
	return min(max(n, 1), 4)
}

func dashAttr(s int) string {
	d := dashes[(s/len(palette)+s)%len(dashes)]
	if d == "" {
		return ""
	}
	return ` stroke-dasharray="` + d + `"`
}

// marker draws series s's point shape; tip, when set, is its hover value.
func marker(b *strings.Builder, s int, x, y float64, col, tip string) {
	t := ""
	if tip != "" {
		t = `<title>` + esc(tip) + `</title>`
	}
	data := ""
	if tip != "" {
		data = ` data-tip="` + esc(tip) + `"`
	}
	switch s % 4 {
	case 0:
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"%s>%s</circle>`, x, y, col, data, t)
	case 1:
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="7" height="7" fill="%s"%s>%s</rect>`, x-3.5, y-3.5, col, data, t)
	case 2:
		fmt.Fprintf(b, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fZ" fill="%s"%s>%s</path>`, x, y-4.5, x+4.5, y+3.5, x-4.5, y+3.5, col, data, t)
	default:
		fmt.Fprintf(b, `<path d="M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ" fill="%s"%s>%s</path>`, x, y-4.5, x+4.5, y, x, y+4.5, x-4.5, y, col, data, t)
	}
}

func (c Chart) tip(s, i int) string {
	name := ""
	if len(c.Series) > 1 {
		name = c.Series[s].Name + ", "
	}
	return name + c.Labels[i] + ": " + c.shown(c.value(s, i))
}

func (c Chart) lines(b *strings.Builder, cx func(int) float64, y func(float64) float64) {
	n := len(c.Labels)
	for s := range c.Series {
		col := palette[s%len(palette)]
		var d strings.Builder
		pen := false
		for i := 0; i < n; i++ {
			v := c.value(s, i)
			if v.Missing {
				pen = false
				continue
			}
			if pen {
				fmt.Fprintf(&d, "L%.1f %.1f", cx(i), y(v.N))
			} else {
				fmt.Fprintf(&d, "M%.1f %.1f", cx(i), y(v.N))
				pen = true
			}
		}
		fmt.Fprintf(b, `<g class="chart-series"><path d="%s" fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round"%s/>`, d.String(), col, dashAttr(s))
		// Markers only where they stay apart; the hover value is on each.
		for i := 0; i < n; i++ {
			v := c.value(s, i)
			if v.Missing {
				continue
			}
			if n <= 62 {
				marker(b, s, cx(i), y(v.N), col, c.tip(s, i))
			} else {
				// Dense lines: an invisible hover target per point.
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s" fill-opacity="0" data-tip="%s"><title>%s</title></circle>`, cx(i), y(v.N), col, esc(c.tip(s, i)), esc(c.tip(s, i)))
			}
		}
		b.WriteString(`</g>`)
	}
}

func (c Chart) bars(b *strings.Builder, cx func(int) float64, band float64, y func(float64) float64, lo float64) {
	k := len(c.Series)
	if k == 0 {
		return
	}
	inner := band * 0.8
	w := inner / float64(k)
	base := y(math.Max(0, lo))
	for s := range c.Series {
		col := palette[s%len(palette)]
		b.WriteString(`<g class="chart-series">`)
		for i := range c.Labels {
			v := c.value(s, i)
			x := cx(i) - inner/2 + w*float64(s)
			tip := esc(c.tip(s, i))
			if v.Missing {
				if v.Text != "" {
					// A suppressed cell: a dashed outline, never a height,
					// marked in words where the bar has room.
					fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="14" fill="none" stroke="#4a5468" stroke-dasharray="3 2" data-tip="%s"><title>%s</title></rect>`, x, base-14, math.Max(w-1, 1), tip, tip)
					if w >= 34 {
						fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10" fill="#4a5468">hidden</text>`, x+(w-1)/2, base-18)
					}
				}
				continue
			}
			top, bottom := y(v.N), base
			if top > bottom {
				top, bottom = bottom, top
			}
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" data-tip="%s"><title>%s</title></rect>`, x, top, math.Max(w-1, 1), math.Max(bottom-top, 0.5), col, tip, tip)
		}
		b.WriteString(`</g>`)
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// SVG is the chart as a standalone SVG document.
func SVG(c Chart) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + c.svg(true))
}

// Inline is the chart's SVG for an HTML e-mail: sized, with its own
// namespace, fonts and background, and nothing that needs the page's
// stylesheet or script. Clients that do not draw SVG show nothing in its
// place, so send Table (or Text) with it.
func Inline(c Chart) template.HTML { return template.HTML(c.svg(true)) }

// Text is the chart for a plain-text e-mail: one line per label with each
// series' figure, and a bar of block characters for the first series.
func Text(c Chart) string {
	var b strings.Builder
	b.WriteString(c.Title + "\n")
	if len(c.Labels) == 0 || len(c.Series) == 0 {
		b.WriteString("  No figures for this period.\n")
		return b.String()
	}
	wl := 0
	for _, l := range c.Labels {
		wl = max(wl, len([]rune(l)))
	}
	cols := make([][]string, len(c.Series))
	wc := make([]int, len(c.Series))
	for s, se := range c.Series {
		wc[s] = len([]rune(se.Name))
		for i := range c.Labels {
			t := c.shown(c.value(s, i))
			cols[s] = append(cols[s], t)
			wc[s] = max(wc[s], len([]rune(t)))
		}
	}
	top := 0.0
	for i := range c.Labels {
		if v := c.value(0, i); !v.Missing && v.N > top {
			top = v.N
		}
	}
	pad := func(s string, w int, right bool) string {
		n := w - len([]rune(s))
		if n <= 0 {
			return s
		}
		if right {
			return strings.Repeat(" ", n) + s
		}
		return s + strings.Repeat(" ", n)
	}
	b.WriteString("  " + pad("", wl, false))
	for s, se := range c.Series {
		b.WriteString("  " + pad(se.Name, wc[s], true))
	}
	b.WriteString("\n")
	for i, l := range c.Labels {
		b.WriteString("  " + pad(l, wl, false))
		for s := range c.Series {
			b.WriteString("  " + pad(cols[s][i], wc[s], true))
		}
		if v := c.value(0, i); !v.Missing && top > 0 && v.N > 0 {
			b.WriteString("  " + bar(v.N/top*20))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// bar draws n (0–20) eighths-precise block characters.
func bar(n float64) string {
	eighths := int(math.Round(n * 8))
	out := strings.Repeat("█", eighths/8)
	if r := eighths % 8; r > 0 {
		out += string([]rune("▏▎▍▌▋▊▉")[r-1])
	}
	return out
}

// Table is the chart's figures as an HTML table, for e-mail and for readers
// who prefer numbers.
func Table(c Chart) template.HTML {
	var b bytes.Buffer
	x := c.XTitle
	if x == "" {
		x = "Period"
	}
	fmt.Fprintf(&b, `<table class="chart-table"><caption>%s</caption><thead><tr><th scope="col">%s</th>`, esc(c.Title), esc(x))
	for _, s := range c.Series {
		fmt.Fprintf(&b, `<th scope="col">%s</th>`, esc(s.Name))
	}
	b.WriteString(`</tr></thead><tbody>`)
	if len(c.Labels) == 0 {
		fmt.Fprintf(&b, `<tr><td colspan="%d">No figures for this period.</td></tr>`, len(c.Series)+1)
	}
	for i, l := range c.Labels {
		fmt.Fprintf(&b, `<tr><th scope="row">%s</th>`, esc(l))
		for s := range c.Series {
			fmt.Fprintf(&b, `<td>%s</td>`, esc(c.shown(c.value(s, i))))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table>`)
	return template.HTML(b.String())
}

// HTML is the chart for a page: a figure with the inline SVG, a caption and
// the data table in a disclosure.
func HTML(c Chart) template.HTML {
	id := elementID(c.ID)
	var b strings.Builder
	fmt.Fprintf(&b, `<figure class="chart" id="%s">`, id)
	fmt.Fprintf(&b, `<figcaption>%s</figcaption>`, esc(c.Title))
	b.WriteString(c.svg(false))
	fmt.Fprintf(&b, `<details class="chart-data"><summary>Show the figures as a table</summary>%s</details>`, Table(c))
	b.WriteString(`</figure>`)
	return template.HTML(b.String())
}
