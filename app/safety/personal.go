// Package safety checks text before it is saved: watched words (block,
// require approval, flag, crisis) and anything that looks like personal
// data. It only reads text; the feature packages decide what to do.
package safety

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Finding is one kind of personal data found in a text.
type Finding struct {
	Kind  string `json:"kind"`  // phone, email, address, date_of_birth, record_number
	Label string `json:"label"` // what the author reads
}

var (
	emailRe = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	// A run of digits with the separators phone numbers use.
	phoneRe = regexp.MustCompile(`(?:\+|\b)\d[\d\s().-]{7,18}\d\b`)
	// Record, patient, insurance and social-security numbers named as such.
	recordRe = regexp.MustCompile(`(?i)\b(?:nhs|mrn|medical record|patient|hospital|insurance|policy|member|medicare|medicaid|social security|ssn|chart)\s*(?:no\.?|number|num|id|#)?\s*(?:is|:)?\s*#?\s*[A-Z0-9][A-Z0-9 -]{4,18}[0-9]`)
	ssnRe    = regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)
	// A house number and a street.
	streetRe = regexp.MustCompile(`(?i)\b\d{1,5}[a-z]?\s+(?:[a-z][a-z'-]+\s+){1,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|court|ct|boulevard|blvd|place|pl|crescent|terrace|gardens|grove|square|sq|hill|parade|mews)\b\.?`)
	// UK-style postcodes.
	postcodeRe = regexp.MustCompile(`\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b`)
	// A date close after words that make it a birth date.
	dobRe = regexp.MustCompile(`(?i)\b(?:born(?:\s+on)?|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday)\s*(?:is|was|:|-)?\s*(?:\d{1,4}[/.\- ]\d{1,2}[/.\- ]\d{1,4}|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})`)
)

var labels = map[string]string{
	"phone":         "a phone number",
	"email":         "an e-mail address",
	"address":       "a street address or postcode",
	"date_of_birth": "a date of birth",
	"record_number": "a medical record, patient or insurance number",
}

// PersonalData lists the kinds of personal data text seems to contain, in
// a stable order. Clinical numbers ("HbA1c 7.2", "120/80", "10,000 steps",
// dates that are not birth dates) are not personal data.
func PersonalData(text string) []Finding {
	found := map[string]bool{}
	if emailRe.MatchString(text) {
		found["email"] = true
	}
	if recordRe.MatchString(text) || ssnRe.MatchString(text) {
		found["record_number"] = true
	}
	if dobRe.MatchString(text) {
		found["date_of_birth"] = true
	}
	if streetRe.MatchString(text) || postcodeRe.MatchString(text) {
		found["address"] = true
	}
	for _, m := range phoneRe.FindAllString(text, -1) {
		if looksLikePhone(m) && !found["record_number"] {
			found["phone"] = true
			break
		}
	}
	var out []Finding
	for k := range found {
		out = append(out, Finding{Kind: k, Label: labels[k]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// looksLikePhone: 9 to 15 digits, not a date or a decimal, and written
// the way phone numbers are (a leading + or 0, or grouped digits).
func looksLikePhone(s string) bool {
	s = strings.TrimSpace(s)
	digits := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	if digits < 9 || digits > 15 {
		return false
	}
	if strings.Count(s, ".") > 0 && !strings.ContainsAny(s, " -()") {
		return false // 1.234.567.890 style is rare; decimals and versions are common
	}
	return strings.HasPrefix(s, "+") || strings.HasPrefix(s, "0") || strings.HasPrefix(s, "(") || strings.ContainsAny(s, " -") || digits >= 10
}

// Labels joins the findings for a message: "a phone number and an e-mail address".
func Labels(f []Finding) string {
	parts := make([]string, len(f))
	for i, x := range f {
		parts[i] = x.Label
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}
