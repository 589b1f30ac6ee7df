// Package safety is Kindred's safety engine: it reads text before it is
// saved and says what it finds — crisis language, urgent medical symptoms
// and personal data — with the evidence, the rule and the engine version.
// It also holds the admins' watched words. It only reads text; the feature
// packages decide what to do.
package safety

import (
	"bytes"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

var personalLabels = map[string]string{
	"phone":         "a phone number",
	"email":         "an e-mail address",
	"address":       "a street address or postcode",
	"date_of_birth": "a date of birth",
	"record_number": "a medical record, patient or insurance number",
	"health_card":   "a health card number",
	"sin":           "a social insurance number",
	"social_handle": "a messaging or social media contact",
}

type personalRule struct {
	category string
	re       *regexp.Regexp
	valid    func(match string) bool // nil: every match counts
	// keys: the rule runs only on text (lower case) holding one of them,
	// which keeps a long post fast.
	keys []string
	// near, when set, is a further test a piece of text (lower case) must
	// pass for a match to be possible, cheaper than the expression.
	near func(lower []byte) bool
}

// personalMinDigits[rule] is the fewest digits a match of the rule's
// expression holds: a piece of text with fewer is not searched.
var personalMinDigits []int

// minDigits is the fewest ASCII digits any match of re holds.
func minDigits(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		n := 0
		for _, r := range re.Rune {
			if '0' <= r && r <= '9' {
				n++
			}
		}
		return n
	case syntax.OpCharClass:
		// Only a class made of digits alone must match a digit.
		if len(re.Rune) == 0 {
			return 0
		}
		for i := 0; i < len(re.Rune); i += 2 {
			if re.Rune[i] < '0' || re.Rune[i+1] > '9' {
				return 0
			}
		}
		return 1
	case syntax.OpCapture:
		return minDigits(re.Sub[0])
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n += minDigits(sub)
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, sub := range re.Sub {
			if m := minDigits(sub); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	case syntax.OpPlus:
		return minDigits(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min * minDigits(re.Sub[0])
	}
	return 0 // stars, quests, anchors, any character
}

// tldAfterDot: a top-level domain an obfuscated address can end with,
// written after "dot", "point" or "." ("jo at mail dot com", "jo [at]
// mail [point] fr"), which every match of that rule holds.
func tldAfterDot(lower []byte) bool {
	return wordAfterMark(lower, obfuscatedTLDs, []string{"dot", "point", "."})
}

// providerAfterAt: a mail provider's name after "@", "at" or "arobase"
// (spaces and a bracket between), which every match of that rule holds.
func providerAfterAt(lower []byte) bool {
	return wordAfterMark(lower, mailProviders, []string{"@", "at", "arobase"})
}

// wordAfterMark: one of words stands in lower, ending where a word does
// (\b), after one of marks with only spaces and one closing bracket
// between them ("dot ] com", "@ gmail").
func wordAfterMark(lower []byte, words, marks []string) bool {
	return anyWordAt(lower, words, func(i, end int) bool {
		if end < len(lower) && isWordByte(lower[end]) {
			return false
		}
		j := skipSpaceBack(lower, i)
		if j > 0 && strings.IndexByte("])}>", lower[j-1]) >= 0 {
			j = skipSpaceBack(lower, j-1)
		}
		for _, m := range marks {
			if bytes.HasSuffix(lower[:j], []byte(m)) {
				return true
			}
		}
		return false
	})
}

// anyWordAt: at one of the places (start i, end) where one of words stands
// in lower, ok holds.
func anyWordAt(lower []byte, words []string, ok func(i, end int) bool) bool {
	for _, w := range words {
		for from := 0; ; {
			i := bytes.Index(lower[from:], []byte(w))
			if i < 0 {
				break
			}
			i += from
			from = i + 1
			if ok(i, i+len(w)) {
				return true
			}
		}
	}
	return false
}

var mailProviders = []string{"gmail", "hotmail", "yahoo", "outlook", "icloud", "live", "msn", "aol", "proton", "protonmail", "videotron", "sympatico", "rogers", "shaw", "bell", "orange", "free", "wanadoo", "laposte", "sfr", "gmx"}

// streetWordEN: a kind of street ("road", "st", "crescent") after a space
// and before the end of a word, which every English street address holds.
func streetWordEN(lower []byte) bool {
	return wordAfterSpace(lower, streetsEN, func(rest []byte) bool { return len(rest) == 0 || !isWordByte(rest[0]) })
}

var streetsEN = []string{"street", "st", "road", "rd", "avenue", "ave", "lane", "ln", "drive", "dr", "close", "way", "court", "ct", "boulevard", "blvd", "place", "pl", "crescent", "cres", "terrace", "gardens", "grove", "square", "sq", "hill", "parade", "mews"}

// streetWordFR: a kind of street ("rue", "boul.", "ch.") after a space and
// before one, which every French street address holds.
func streetWordFR(lower []byte) bool {
	spaceNext := func(rest []byte) bool { return len(rest) > 0 && isSpaceByte(rest[0]) }
	return wordAfterSpace(lower, streetsFR, spaceNext) ||
		wordAfterSpace(lower, streetsFRDot, func(rest []byte) bool {
			if len(rest) > 0 && rest[0] == '.' { // the dot is optional
				rest = rest[1:]
			}
			return spaceNext(rest)
		})
}

var (
	streetsFR    = []string{"rue", "avenue", "boulevard", "bd", "chemin", "ch.", "allee", "allée", "place", "impasse", "route", "rang", "montee", "montée", "quai", "cours", "square", "voie", "croissant", "promenade"}
	streetsFRDot = []string{"av", "boul"}
)

// wordAfterSpace: one of words stands right after a space (\s) and what
// follows it passes after.
func wordAfterSpace(lower []byte, words []string, after func(rest []byte) bool) bool {
	return anyWordAt(lower, words, func(i, end int) bool {
		return i > 0 && isSpaceByte(lower[i-1]) && after(lower[end:])
	})
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

var obfuscatedTLDs = []string{"com", "org", "net", "ca", "fr", "be", "ch", "co", "uk", "info", "io", "qc", "edu", "gov"}

// skipSpaceBack steps back from i over the spaces \s matches.
func skipSpaceBack(b []byte, i int) int {
	for i > 0 && strings.IndexByte(" \t\n\f\r", b[i-1]) >= 0 {
		i--
	}
	return i
}

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

const months = `(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?`
const mois = `(?:janv|janvier|f[ée]v|f[ée]vrier|mars|avr|avril|mai|juin|juil|juillet|ao[uû]t|sept|septembre|oct|octobre|nov|novembre|d[ée]c|d[ée]cembre)\.?`
const dateExpr = `(?:\d{1,4}[/.\- ]\d{1,2}[/.\- ]\d{1,4}|\d{1,2}(?:st|nd|rd|th|er)?\s+(?:of\s+)?(?:` + months + `|` + mois + `)\s*,?\s+\d{4}|` + months + `\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})`

var personalRules []personalRule

// phoneRe is a run of digits with the separators phone numbers use.
var phoneRe *regexp.Regexp

// registryRe names trial and registry numbers, which look like phone numbers.
var registryRe *regexp.Regexp

// shortPhoneRe is a seven-digit local number named as a number to call.
var shortPhoneRe *regexp.Regexp

// PersonalData lists the personal data text seems to contain, one finding
// per kind, in a stable order. Clinical numbers ("HbA1c 7.2", "120/80",
// doses, dates that are not birth dates, helplines such as 911 or 988)
// are not personal data.
func PersonalData(text string) []Finding { return personal(text) }

func personal(text string) []Finding {
	v := getView(text)
	defer putView(v)
	return v.personal()
}

// personalKeys numbers the keywords of the rules (personalRule.keys). The
// ones made of letters and digits stand at the start of a word and are
// looked up among the text's words (wordInfo.personalKeys); the others
// ("@", " at ", "d.o.b") in its lower-cased text.
// personalKeyIDs[rule] are the numbers of personalRules[rule]'s keys.
var personalKeys []string
var personalKeyIDs [][]int

// personal reads the personal data of the view's text.
func (v *view) personal() []Finding {
	text := v.text
	var found map[string][]Span
	var taken []Span // digits already explained (a SIN is not also a phone)
	// Regular expressions over a long post are slow: each runs only on
	// the sentences that could hold what it looks for (digits, "@", its
	// keywords).
	v.lower = lowerInto(v.lower[:0], text)
	lower := v.lower
	v.chunks = splitChunksInto(v.chunks[:0], text)
	add := func(category string, start, end int) {
		if found == nil {
			found = map[string][]Span{}
		}
		found[category] = append(found[category], Span{start, end})
		taken = append(taken, Span{start, end})
	}
	// state[key]: 0 not looked for yet, 1 in the text, 2 not.
	state := resize(v.keyState, len(personalKeys))
	v.keyState = state
	v.keyAtReady = resize(v.keyAtReady, len(personalKeys))
	for i := range v.toks {
		for _, x := range v.info(i).personalKeys {
			state[x] = 1
		}
	}
	anyKey := func(ids []int) bool {
		for _, x := range ids {
			if state[x] == 0 {
				state[x] = 2
				if k := personalKeys[x]; !alnum(k) && bytes.Contains(lower, []byte(k)) {
					state[x] = 1
				}
			}
			if state[x] == 1 {
				return true
			}
		}
		return false
	}
	keyIn := v.keyIn // per chunk: it holds one of the rule's keywords
	for ri, r := range personalRules {
		if len(r.keys) > 0 && !anyKey(personalKeyIDs[ri]) {
			continue // none of its keywords anywhere
		}
		if len(r.keys) > 0 {
			keyIn = v.chunksWithKeys(personalKeyIDs[ri], keyIn)
		}
		for ci, c := range v.chunks {
			if c.digits == 0 && r.category != "email" && r.category != "social_handle" {
				continue // every other kind holds digits
			}
			if c.digits < personalMinDigits[ri] {
				continue
			}
			if len(r.keys) > 0 && !keyIn[ci] {
				continue
			}
			if r.near != nil && !r.near(lower[c.start:c.end]) {
				continue
			}
			for _, loc := range r.re.FindAllStringIndex(text[c.start:c.end], -1) {
				a, b := c.start+loc[0], c.start+loc[1]
				if r.valid != nil && !r.valid(text[a:b]) {
					continue
				}
				if overlapsAny(taken, a, b) && r.category != "email" {
					continue
				}
				add(r.category, a, b)
			}
		}
	}
	for _, c := range v.chunks {
		if c.digits < 2 {
			continue // a phone number has more
		}
		for _, loc := range phoneRe.FindAllStringIndex(text[c.start:c.end], -1) {
			a, b := c.start+loc[0], c.start+loc[1]
			if looksLikePhone(text[a:b]) && !overlapsAny(taken, a, b) && !registryRe.MatchString(text[max(0, a-25):a]) {
				if found == nil {
					found = map[string][]Span{}
				}
				found["phone"] = append(found["phone"], Span{a, b})
			}
		}
		if c.digits < 7 {
			continue
		}
		for _, loc := range shortPhoneRe.FindAllStringIndex(text[c.start:c.end], -1) {
			a, b := c.start+loc[0], c.start+loc[1]
			if !overlapsAny(taken, a, b) {
				if found == nil {
					found = map[string][]Span{}
				}
				found["phone"] = append(found["phone"], Span{a, b})
			}
		}
	}
	v.keyIn = keyIn
	return collect(found)
}

// chunksWithKeys marks the chunks that hold one of the keywords (where
// each keyword stands in the lower-cased text is found once per text).
func (v *view) chunksWithKeys(ids []int, marks []bool) []bool {
	marks = resize(marks, len(v.chunks))
	if len(v.keyAt) < len(personalKeys) {
		v.keyAt = make([][]int32, len(personalKeys))
	}
	for _, x := range ids {
		// A keyword that is a word and starts none of the text's words is
		// not looked for (as the rule's test across the text does).
		if v.keyState[x] == 2 || (v.keyState[x] == 0 && alnum(personalKeys[x])) {
			continue
		}
		if !v.keyAtReady[x] {
			v.keyAtReady[x] = true
			k := []byte(personalKeys[x])
			at := v.keyAt[x][:0]
			for from := 0; ; {
				i := bytes.Index(v.lower[from:], k)
				if i < 0 {
					break
				}
				at = append(at, int32(from+i))
				from += i + 1
			}
			v.keyAt[x] = at
		}
		n := len(personalKeys[x])
		for _, at := range v.keyAt[x] {
			// The chunk the keyword starts in; it counts if it ends there too.
			ci := sort.Search(len(v.chunks), func(k int) bool { return v.chunks[k].end > int(at) })
			if ci < len(v.chunks) && int(at)+n <= v.chunks[ci].end {
				marks[ci] = true
			}
		}
	}
	return marks
}

// chunk is a piece of a text that personal-data rules read on its own.
type chunk struct {
	start, end int
	digits     int
}

// splitChunksInto cuts text at sentence ends followed by a space and at
// line breaks (a date or a number with dots stays whole), appending the
// pieces to out.
func splitChunksInto(out []chunk, text string) []chunk {
	start, digits := 0, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if '0' <= c && c <= '9' {
			digits++
		}
		end := c == '\n' || ((c == '.' || c == '!' || c == '?') && i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\n'))
		if end && i+1-start > 0 {
			out = append(out, chunk{start, i + 1, digits})
			start, digits = i+1, 0
		}
	}
	if start < len(text) {
		out = append(out, chunk{start, len(text), digits})
	}
	return out
}

// lowerInto lower-cases text into buf, rune by rune; a rune whose lower
// case is written with another number of bytes stays as it is, so every
// offset in buf is the same as in text.
func lowerInto(buf []byte, text string) []byte {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			buf = append(buf, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(text[i:])
		if l := unicode.ToLower(r); r != utf8.RuneError && utf8.RuneLen(l) == n {
			buf = utf8.AppendRune(buf, l)
		} else {
			buf = append(buf, text[i:i+n]...)
		}
		i += n
	}
	return buf
}

func collect(found map[string][]Span) []Finding {
	var out []Finding
	for k, spans := range found {
		out = append(out, Finding{Detector: DetectorPersonal, Category: k, Level: LevelMedium, Spans: spans, Rule: "personal." + k})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Category < out[j].Category })
	return out
}

func overlapsAny(spans []Span, a, b int) bool {
	for _, s := range spans {
		if a < s.End && s.Start < b {
			return true
		}
	}
	return false
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func sameDigits(d string) bool { return strings.Count(d, d[:1]) == len(d) }

// luhn is the check digit Canadian social insurance numbers pass.
func luhn(d string) bool {
	if len(d) < 2 {
		return false
	}
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
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
	if digits < 9 || digits > 15 || (digits == 9 && !strings.HasPrefix(s, "+")) {
		return false
	}
	if strings.Count(s, ".") > 0 && !strings.ContainsAny(s, " -()") && !(strings.Count(s, ".") >= 2 && digits == 10) {
		return false // decimals and versions; 06.12.34.56.78 is a French phone number
	}
	return strings.HasPrefix(s, "+") || strings.HasPrefix(s, "0") || strings.HasPrefix(s, "(") || strings.ContainsAny(s, " -.") || digits >= 10
}

// Labels joins the findings for a message: "a phone number and an e-mail address".
func Labels(f []Finding) string {
	seen := map[string]bool{}
	var parts []string
	for _, x := range f {
		if l := x.Label(); !seen[l] {
			seen[l] = true
			parts = append(parts, l)
		}
	}
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// alnum: k is lower-case ASCII letters and digits only.
func alnum(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return k != ""
}

// personalSets compiles this file's pattern and word sets (see compileSets).
func personalSets() {
	personalRules = []personalRule{
		{"email", regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`), nil, []string{"@"}, nil},
		// Written out so that robots miss it: "jo at example dot org",
		// "jo [at] mail [dot] fr", "jo(at)gmail(point)com".
		{"email", regexp.MustCompile(`(?i)\b[a-z0-9][a-z0-9._%+-]*\s*[\[({<]?\s*(?:at|arobase|chez)\s*[\])}>]?\s*[a-z0-9-]+(?:\s*[\[({<]?\s*(?:dot|point)\s*[\])}>]?\s*[a-z0-9-]+)*\s*[\[({<]?\s*(?:dot|point|\.)\s*[\])}>]?\s*(?:com|org|net|ca|fr|be|ch|co|uk|info|io|qc|edu|gov)\b`), nil, []string{" at ", "(at)", "[at]", "{at}", "<at>", "arobase", " chez "}, tldAfterDot},
		{"email", regexp.MustCompile(`(?i)\b[a-z0-9][a-z0-9._%+-]{2,}\s*[\[({<]?\s*(?:@|at|arobase)\s*[\])}>]?\s*(?:gmail|hotmail|yahoo|outlook|icloud|live|msn|aol|proton(?:mail)?|videotron|sympatico|rogers|shaw|bell|orange|free|wanadoo|laposte|sfr|gmx)\b`), nil, []string{"@", "gmail", "hotmail", "yahoo", "outlook", "icloud", "live", "msn", "aol", "proton", "videotron", "sympatico", "rogers", "shaw", "bell", "orange", "free", "wanadoo", "laposte", "sfr", "gmx"}, providerAfterAt},
		// Record, patient, insurance and social-security numbers named as such.
		{"record_number", regexp.MustCompile(`(?i)\b(?:nhs|mrn|medical record|patient|hospital|insurance|policy|member|medicare|medicaid|social security|ssn|chart|dossier|num[ée]ro de dossier)\s*(?:no\.?|number|num|id|#)?\s*(?:is|est|:)?\s*#?\s*[A-Z0-9][A-Z0-9 -]{4,18}[0-9]`), nil, []string{"nhs", "mrn", "record", "patient", "hospital", "insurance", "policy", "member", "medicare", "medicaid", "social security", "ssn", "chart", "dossier"}, nil},
		{"record_number", regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), nil, []string{"-"}, nil},
		// Canadian social insurance numbers: nine digits that pass the Luhn check.
		{"sin", regexp.MustCompile(`\b\d{3}[ -]?\d{3}[ -]?\d{3}\b`), func(m string) bool { return luhn(digitsOf(m)) && !sameDigits(digitsOf(m)) }, nil, nil},
		// Health cards: Ontario (10 digits and a version code), Québec (RAMQ:
		// four letters, eight digits), and any number named as a health card.
		{"health_card", regexp.MustCompile(`(?i)\b\d{4}[ -]?\d{3}[ -]?\d{3}[ -]?[a-z]{2}\b`), nil, nil, nil},
		{"health_card", regexp.MustCompile(`(?i)\b[a-z]{4}[ -]?\d{4}[ -]?\d{4}\b`), func(m string) bool { return strings.IndexFunc(m[:4], unicode.IsLetter) == 0 }, nil, nil},
		{"health_card", regexp.MustCompile(`(?i)\b(?:health\s*card|ohip|ramq|carte\s*(?:soleil|sant[ée]|d'assurance[ -]maladie)|health\s*(?:number|no)|phn|num[ée]ro\s+d'assurance[ -]maladie|carte\s+vitale|s[ée]cu(?:rit[ée] sociale)?)\b[\s:#]+(?:(?:no\.?|number|num[ée]ro|is|est)[\s:#]+)*[a-z0-9][a-z0-9 -]{6,18}[a-z0-9]`), func(m string) bool { return len(digitsOf(m)) >= 6 }, []string{"health", "ohip", "ramq", "carte", "phn", "assurance", "vitale", "sécu", "secu"}, nil},
		// A date close after words that make it a birth date.
		{"date_of_birth", regexp.MustCompile(`(?i)\b(?:born(?:\s+on)?|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday|n[ée]e?\s+le|date\s+de\s+naissance|ddn)[^.!?\n\d]{0,25}?` + dateExpr), nil, []string{"born", "dob", "d.o.b", "birth", "né", "ne le", "née", "naissance", "ddn"}, nil},
		// Street addresses, English and French, and postcodes.
		{"address", regexp.MustCompile(`(?i)\b\d{1,5}[a-z]?,?\s+(?:[nsew]\.?\s+)?(?:(?:[a-z][a-z'-]+|\d{1,3}(?:st|nd|rd|th))\s+){1,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|close|way|court|ct|boulevard|blvd|place|pl|crescent|cres|terrace|gardens|grove|square|sq|hill|parade|mews)\b\.?`), nil, nil, streetWordEN},
		{"address", regexp.MustCompile(`(?i)\b\d{1,5}(?:\s?(?:bis|ter|[a-d]))?,?\s+(?:rue|avenue|av\.?|boulevard|boul\.?|bd|chemin|ch\.|all[ée]e|place|impasse|route|rang|mont[ée]e|quai|cours|square|voie|croissant|promenade)\s+\S+`), nil, nil, streetWordFR},
		{"address", regexp.MustCompile(`(?i)\b(?:j'habite|j’habite|jhabite|on habite|nous habitons|mon adresse|my address|i live at|we live at|notre adresse)\s*(?:est|is|:|au|à|a)?\s*\d{1,5}\b`), nil, []string{"habite", "adresse", "address", "live at"}, nil},
		{"address", regexp.MustCompile(`\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b`), nil, nil, nil},
		{"address", regexp.MustCompile(`(?i)\b[abceghjklmnprstvxy]\d[abceghjklmnprstvwxyz][ -]?\d[abceghjklmnprstvwxyz]\d\b`), nil, nil, nil},
		// Handles on messaging and social apps.
		{"social_handle", regexp.MustCompile(`(?i)\b(?:whats\s?app|telegram|signal|snap(?:chat)?|insta(?:gram)?|tiktok|twitter|facebook|fb|messenger|discord|kik|wechat|skype)\b[^.!?\n]{0,30}?(?:@[a-z0-9_.]{3,}|\+?\d[\d \-().]{6,}\d|(?:is|est|:)\s*[a-z0-9_.]{3,})`), nil, []string{"whats", "telegram", "signal", "snap", "insta", "tiktok", "twitter", "facebook", "fb", "messenger", "discord", "kik", "wechat", "skype"}, nil},
		{"social_handle", regexp.MustCompile(`(?i)\b(?:find|add|message|contact|look|ajoute|ajoutez|retrouve|retrouvez|écris|ecris|écrivez|ecrivez)[\s-]+(?:me|moi|us)\s+(?:up\s+)?(?:on|sur)\s+(?:facebook|fb|insta(?:gram)?|twitter|tiktok|snap(?:chat)?|discord|messenger|whats\s?app|telegram|signal|linkedin)\s+(?:as|comme|:)`), nil, []string{"facebook", "fb", "insta", "twitter", "tiktok", "snap", "discord", "messenger", "whats", "telegram", "signal", "linkedin"}, nil},
		{"social_handle", regexp.MustCompile(`(?i)\b(?:insta(?:gram)?|twitter|tiktok|threads|bluesky|youtube|snap(?:chat)?)\b[^.!?\n]{0,40}?(?:^|[\s(])@[a-z0-9_.]{3,30}\b`), nil, []string{"@"}, nil},
		{"social_handle", regexp.MustCompile(`(?i)\b[a-z0-9_.]{2,32}#\d{4}\b`), nil, []string{"#"}, nil},
		{"social_handle", regexp.MustCompile(`(?i)(?:^|[\s(])@[a-z0-9_.]{3,30}\b[^.!?\n]{0,20}\b(?:on|sur)\s+(?:insta(?:gram)?|twitter|x|tiktok|snap(?:chat)?|threads|bluesky|facebook|discord)\b`), nil, []string{"@"}, nil},
		{"social_handle", regexp.MustCompile(`(?i)\b(?:add|follow|find|dm|message|contact|text|ajoute|ajoutez|suis|suivez|écris|ecris|écrivez|ecrivez)[- ]?(?:me|moi)?\b[^.!?\n]{0,20}?(?:^|\s)@[a-z0-9_.]{3,30}\b`), nil, []string{"@"}, nil},
	}
	personalMinDigits = func() []int {
		out := make([]int, len(personalRules))
		for i, r := range personalRules {
			re, err := syntax.Parse(r.re.String(), syntax.Perl)
			if err != nil {
				panic(err)
			}
			out[i] = minDigits(re.Simplify())
		}
		return out
	}()
	phoneRe = regexp.MustCompile(`(?:\+|\b)\d[\d\s().-]{7,18}\d\b`)
	registryRe = regexp.MustCompile(`(?i)\b(?:eudract|nct|isrctn|actrn|drks|ctri|chictr|trial|essai|study|étude|etude|protocol|protocole)\b[^.!?\n]{0,12}$`)
	shortPhoneRe = regexp.MustCompile(`(?i)\b(?:call|text|ring|phone|cell|mobile|tel|t[ée]l[ée]phone|appelle|appelez|texte)\b[^.!?\n]{0,15}?\b\d{3}[-. ]\d{4}\b`)
	personalKeys, personalKeyIDs = func() ([]string, [][]int) {
		var keys []string
		ids := make([][]int, len(personalRules))
		index := map[string]int{}
		for i, r := range personalRules {
			for _, k := range r.keys {
				x, ok := index[k]
				if !ok {
					x = len(keys)
					index[k] = x
					keys = append(keys, k)
				}
				ids[i] = append(ids[i], x)
			}
		}
		if len(keys) > 255 {
			panic("safety: too many personal-data keywords")
		}
		return keys, ids
	}()
}
