package main

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// table collects the harness's figures and prints them as Markdown.
type table struct {
	rows  [][4]string // measure, figure, target, verdict
	notes []string
}

func (t *table) add(measure, figure, target string, met *bool) {
	verdict := ""
	if met != nil {
		verdict = "met"
		if !*met {
			verdict = "NOT met"
		}
	}
	t.rows = append(t.rows, [4]string{measure, figure, target, verdict})
	fmt.Printf("  %-52s %s\n", measure, figure) // progress while the harness runs
}

func (t *table) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	t.notes = append(t.notes, s)
	fmt.Println("  " + s)
}

func (t *table) print(w io.Writer) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| measure | figure | target | |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r[0], r[1], r[2], r[3])
	}
	fmt.Fprintln(w)
	for _, n := range t.notes {
		fmt.Fprintln(w, "- "+n)
	}
}

func boolp(b bool) *bool { return &b }

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}
