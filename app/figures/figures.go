// Package figures holds the rules every page of counts shares (analytics,
// campaigns): the smallest count of people shown from a sensitive or
// clinician-only forum, what a hidden count reads, and how a CSV cell is
// kept from running as a spreadsheet formula. Pure, imported by features;
// it imports nothing of Kindred's.
package figures

import "regexp"

// SuppressBelow: a count of fewer people than this (but more than none)
// from a sensitive or clinician-only forum is never shown as a number.
const SuppressBelow = 5

// FewerThan is what such a hidden count reads.
const FewerThan = "fewer than 5"

// Small reports whether n is a count that must be hidden (1 to 4).
func Small(n int64) bool { return n > 0 && n < SuppressBelow }

var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// CSVSafe keeps a spreadsheet from reading a cell as a formula: text that
// starts with =, +, -, @, a tab or a carriage return gets a leading
// apostrophe. Numbers Kindred wrote itself (a negative change) stay
// numbers.
func CSVSafe(s string) string {
	if s == "" || plainNumber.MatchString(s) {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
