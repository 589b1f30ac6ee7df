package web

import (
	"regexp"
	"strconv"
	"strings"
)

var (
	langTagRe   = regexp.MustCompile(`^[a-z]{2}$`)
	regionTagRe = regexp.MustCompile(`^[A-Z]{2}$`)
	regionRe    = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,3})?$`)
)

// ValidLanguage reports whether s is empty or a two-letter language code
// in lower case ("fr").
func ValidLanguage(s string) bool { return s == "" || langTagRe.MatchString(s) }

// ValidRegion reports whether s is empty, a country code ("CA") or a
// country's subdivision ("CA-QC"), in upper case.
func ValidRegion(s string) bool { return s == "" || regionRe.MatchString(s) }

// NormalizeLocale tidies a language ("FR" → "fr") and a region
// ("ca-qc" → "CA-QC") and reports whether both are well formed (either
// may be empty).
func NormalizeLocale(language, region string) (string, string, bool) {
	language = strings.ToLower(strings.TrimSpace(language))
	region = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(region), "_", "-"))
	return language, region, ValidLanguage(language) && ValidRegion(region)
}

// PreferredLocale reads an Accept-Language header and returns the
// browser's most preferred language ("fr") and, when it names one, its
// country ("CA"). Anything else (scripts, "*", three-letter codes) is
// skipped; both are empty when nothing fits.
func PreferredLocale(header string) (language, region string) {
	bestQ := -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		subs := strings.Split(strings.TrimSpace(tag), "-")
		l := strings.ToLower(subs[0])
		if !langTagRe.MatchString(l) || q <= 0 || q <= bestQ {
			continue
		}
		r := ""
		for _, s := range subs[1:] {
			if s = strings.ToUpper(s); regionTagRe.MatchString(s) {
				r = s
				break
			}
		}
		language, region, bestQ = l, r, q
	}
	return language, region
}
