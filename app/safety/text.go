package safety

import (
	"bytes"
	"regexp"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// token is one word of a text after normalisation, with where it stands
// in the original (byte offsets) and which sentence it belongs to.
type token struct {
	word       string // lower case, accents removed, leetspeak and repeated letters undone
	start, end int    // in the original text
	sentence   int
	num        bool      // digits only
	wi         *wordInfo // what the rules know of the word (nil: not looked up yet)
}

// Span is where a finding stands in the original text (byte offsets,
// end excluded).
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// leet maps the digits and symbols people put in words ("su1c1de",
// "k!ll") to letters; a token is only read this way when it has letters.
var leet = map[rune]rune{'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '$': 's', '!': 'i'}

// contractions undo the short forms people write with and without the
// apostrophe, so one rule covers "I'm", "Im" and "I am".
var contractions = map[string][]string{
	"im": {"i", "am"}, "ive": {"i", "have"}, "id": {"i", "would"}, "ill": {"i", "will"},
	"dont": {"do", "not"}, "cant": {"can", "not"}, "cannot": {"can", "not"}, "wont": {"will", "not"}, "didnt": {"did", "not"},
	"doesnt": {"does", "not"}, "isnt": {"is", "not"}, "wasnt": {"was", "not"}, "arent": {"are", "not"}, "couldnt": {"could", "not"},
	"shouldnt": {"should", "not"}, "wouldnt": {"would", "not"}, "havent": {"have", "not"}, "hasnt": {"has", "not"}, "aint": {"am", "not"},
	"wanna": {"want", "to"}, "gonna": {"going", "to"}, "gotta": {"got", "to"}, "youre": {"you", "are"}, "theyre": {"they", "are"},
	"thats": {"that", "is"}, "its": {"it", "is"}, "whats": {"what", "is"}, "theres": {"there", "is"}, "hes": {"he", "is"}, "shes": {"she", "is"},
	"kms": {"kill", "myself"}, "kmn": {"kill", "me", "now"}, "idk": {"i", "do", "not", "know"}, "idc": {"i", "do", "not", "care"},
	"u": {"you"}, "ctb": {"kill", "myself"}, "tmrw": {"tomorrow"}, "abt": {"about"}, "yall": {"you", "all"}, "pu": {"plus"}, "toute": {"tout"}, "rn": {"right", "now"}, "tbh": {"honestly"}, "ngl": {"honestly"}, "ur": {"your"}, "r": {"are"}, "pls": {"please"}, "plz": {"please"}, "bc": {"because"}, "cuz": {"because"}, "coz": {"because"},
	// French, as written in messages.
	"jveux": {"je", "veux"}, "chui": {"je", "suis"}, "chu": {"je", "suis"}, "chuis": {"je", "suis"}, "jsuis": {"je", "suis"}, "jpeux": {"je", "peux"},
	"jvais": {"je", "vais"}, "jpense": {"je", "pense"}, "jme": {"je", "me"}, "jai": {"je", "ai"}, "ptet": {"peut", "etre"},
	"jsais": {"je", "sais"}, "chais": {"je", "sais"}, "pk": {"pourquoi"}, "pcq": {"parce", "que"}, "jfais": {"je", "fais"},
}

// elisions are the French (and English) pieces before an apostrophe.
var elisions = map[string]string{"j": "je", "m": "me", "t": "te", "l": "le", "s": "se", "n": "ne", "d": "de", "c": "ce", "qu": "que", "jusqu": "jusque", "lorsqu": "lorsque", "puisqu": "puisque"}

// englishTails are what follows an apostrophe in English.
var englishTails = map[string][]string{"m": {"am"}, "re": {"are"}, "ve": {"have"}, "ll": {"will"}, "d": {"would"}, "s": {"is"}, "t": {"not"}}

// fold lower-cases s and removes accents.
func fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'œ' || r == 'Œ':
			b.WriteString("oe")
		case r == 'æ' || r == 'Æ':
			b.WriteString("ae")
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// unrepeat shortens runs of three or more of the same letter to one
// ("noooo" → "no", "diiiie" → "die"); runs of two stay ("kill").
func unrepeat(s string) string {
	if len(s) < 3 {
		return s
	}
	// Most words have no run of three: leave them as they are.
	triple := false
	for i := 2; i < len(s); i++ {
		if s[i] == s[i-1] && s[i] == s[i-2] {
			triple = true
			break
		}
	}
	if !triple && isASCII(s) {
		return s
	}
	var b strings.Builder
	var last rune
	run := 0
	rs := []rune(s)
	for i, r := range rs {
		if r == last {
			run++
		} else {
			last, run = r, 1
		}
		// Look ahead: a run of 3+ keeps only its first letter.
		if run >= 2 {
			n := run
			for j := i + 1; j < len(rs) && rs[j] == r; j++ {
				n++
			}
			if n >= 3 || run >= 3 {
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isWordRune(r rune) bool {
	if r < 0x80 {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// isLeet: a digit or symbol people put in words (the leet table).
func isLeet(r rune) bool {
	switch r {
	case '0', '1', '3', '4', '5', '7', '@', '$', '!':
		return true
	}
	return false
}

// isApostrophe covers the straight and typographic forms.
func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == '‘' || r == 'ʼ' }

// sentenceEnd marks where a sentence stops.
func sentenceEnd(r rune) bool {
	return r == '.' || r == '!' || r == '?' || r == ';' || r == '\n' || r == '…'
}

// tokenize splits text into normalised tokens with their spans and
// sentences.
func tokenize(text string) []token { return tokenizeInto(nil, text) }

// wordTable is the plain-word cache laid out flat for the tokeniser: open
// addressing by the word's hash, each slot one cache line holding the
// word's letters and, when it makes one token, that token's word and
// wordInfo, so a known word costs one memory read. It is rebuilt from the
// cache's map each time new words are published, and never written after.
type wordTable struct {
	slots []wordSlot
	mask  uint32
}

type wordSlot struct {
	n    uint8 // length of the key (0: empty)
	key  [23]byte
	h    uint32
	word string    // the word's token, when it makes one …
	wi   *wordInfo // … with its wordInfo
	pw   *plainWord
}

var plainTable atomic.Pointer[wordTable]

// newWordTable lays the cache's words out (those that fit a slot).
func newWordTable(words map[string]*plainWord) *wordTable {
	size := 1024
	for size < 2*len(words) {
		size *= 2
	}
	t := &wordTable{slots: make([]wordSlot, size), mask: uint32(size - 1)}
	for k, pw := range words {
		if len(k) > len(wordSlot{}.key) || k == "" {
			continue
		}
		h := wordHash([]byte(k))
		i := h & t.mask
		for t.slots[i].n != 0 {
			i = (i + 1) & t.mask
		}
		s := &t.slots[i]
		s.n, s.h = uint8(copy(s.key[:], k)), h
		if len(pw.words) == 1 {
			s.word, s.wi = pw.words[0], pw.infos[0]
		} else {
			s.pw = pw
		}
	}
	return t
}

// find is the slot of a word (nil: not in the table).
func (t *wordTable) find(h uint32, lower []byte) *wordSlot {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.n == 0 {
			return nil
		}
		if s.h == h && int(s.n) == len(lower) && bytes.Equal(s.key[:s.n], lower) {
			return s
		}
	}
}

// wordHash is FNV-1a.
func wordHash(b []byte) uint32 {
	h := uint32(fnvOffset)
	for _, c := range b {
		h = (h ^ uint32(c)) * fnvPrime
	}
	return h
}

// tokenizeInto is tokenize appending to out (a buffer to reuse).
func tokenizeInto(out []token, text string) []token {
	if want := len(text)/4 + 4; cap(out) < want {
		out = make([]token, 0, want)
	}
	known := plainWords.snapshot()
	table := plainTable.Load()
	sentence := 0
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		// A word: letters and digits, with leetspeak symbols and
		// apostrophes inside it.
		if isWordRune(r) || (isLeet(r) && i+size < len(text) && nextIsLetter(text[i+size:])) {
			start := i
			j := i
			for j < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[j:])
				switch {
				case isWordRune(r2):
				case (r2 == '.' || r2 == ',') && j > start && isDigitByte(text[j-1]) && j+1 < len(text) && isDigitByte(text[j+1]):
					// 1.9, 38,7: one number, not two sentences.
				case isLeet(r2) && j == start:
					// "@name", "$ad": a leetspeak symbol may start a word.
				case (isApostrophe(r2) || isLeet(r2)) && j+s2 < len(text) && nextIsWordRune(text[j+s2:]) && j > start:
				default:
					goto done
				}
				j += s2
			}
		done:
			if j == start { // never stall
				i += size
				continue
			}
			if w := text[start:j]; cacheable(w) {
				out = appendCachedWord(out, table, known, w, start, j, sentence)
			} else {
				out = appendWord(out, w, start, j, sentence)
			}
			i = j
			continue
		}
		if sentenceEnd(r) {
			sentence++
		}
		i += size
	}
	return out
}

func isDigitByte(b byte) bool { return b >= '0' && b <= '9' }

func nextIsLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r)
}

func nextIsWordRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r) || isLeet(r)
}

// maxPlainWord: longer words are not kept in the word cache.
const maxPlainWord = 32

// appendCachedWord adds the tokens of a written word without digits,
// looked up (ASCII letters lower-cased, which appendWord would do) in the
// plain-word cache: one lookup gives the tokens and their wordInfos.
func appendCachedWord(out []token, table *wordTable, known map[string]*plainWord, raw string, start, end, sentence int) []token {
	var buf [maxPlainWord]byte
	lower := buf[:len(raw)]
	h := uint32(fnvOffset)
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
		h = (h ^ uint32(c)) * fnvPrime
	}
	if table != nil && len(lower) <= len(wordSlot{}.key) {
		if s := table.find(h, lower); s != nil {
			if s.wi != nil {
				return append(out, token{word: s.word, start: start, end: end, sentence: sentence, wi: s.wi})
			}
			return s.pw.appendTo(out, start, end, sentence)
		}
	}
	pw, ok := known[string(lower)]
	if !ok {
		pw = plainWords.slow(string(lower), func() *plainWord { return newPlainWord(string(lower)) })
	}
	return pw.appendTo(out, start, end, sentence)
}

// cacheable: a word the word cache may keep (short, without digits:
// numbers are too many to keep).
func cacheable(s string) bool {
	if len(s) > maxPlainWord {
		return false
	}
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			return false
		}
	}
	return true
}

// appendWord normalises one written word into one or more tokens.
func appendWord(out []token, raw string, start, end, sentence int) []token {
	// Most words are plain ASCII letters: the short road.
	if lower, ok := plainLetters(raw); ok {
		return appendPlain(out, unrepeat(lower), start, end, sentence)
	}
	w := fold(raw)
	hasLetter, hasDigit := false, false
	for _, r := range w {
		hasLetter = hasLetter || unicode.IsLetter(r)
		hasDigit = hasDigit || unicode.IsDigit(r)
	}
	if !hasLetter {
		return append(out, token{word: strings.ReplaceAll(strings.Map(dropApostrophe, w), ",", "."), start: start, end: end, sentence: sentence, num: hasDigit})
	}
	if hasDigit || strings.ContainsAny(w, "@$!") {
		// Leetspeak, but not ordinary mixes such as "2nd", "covid19" or
		// "t1d": only when most of the word is letters.
		letters, others := 0, 0
		for _, r := range w {
			if unicode.IsLetter(r) {
				letters++
			} else {
				others++
			}
		}
		if letters >= 2 && others <= letters && len(w) >= 4 && !ordinalOrCode(w) && !medicalCode.MatchString(w) {
			w = strings.Map(func(r rune) rune {
				if l, ok := leet[r]; ok {
					return l
				}
				return r
			}, w)
		}
	}
	// Apostrophes: French elision (j'ai → je ai) and English tails
	// (don't → do not, I'm → I am).
	if strings.ContainsAny(w, "'’‘ʼ") && (strings.Map(dropApostrophe, w) == "odd" || strings.Map(dropApostrophe, w) == "oded" || strings.Map(dropApostrophe, w) == "ods") {
		return append(out, token{word: "overdosed", start: start, end: end, sentence: sentence})
	}
	if idx := strings.IndexFunc(w, isApostrophe); idx > 0 {
		head := w[:idx]
		_, asz := utf8.DecodeRuneInString(w[idx:])
		tail := w[idx+asz:]
		if e, ok := elisions[head]; ok && tail != "" && head != "t" {
			out = append(out, token{word: e, start: start, end: end, sentence: sentence})
			return appendWord(out, tail, start, end, sentence)
		}
		if head == "t" && tail != "" { // t'es, t'as
			out = append(out, token{word: "te", start: start, end: end, sentence: sentence})
			return appendWord(out, tail, start, end, sentence)
		}
		if tails, ok := englishTails[tail]; ok {
			if tail == "t" && strings.HasSuffix(head, "n") { // don't, can't, won't
				base := strings.TrimSuffix(head, "n")
				switch base {
				case "ca":
					base = "can"
				case "wo":
					base = "will"
				case "ai":
					base = "am"
				}
				out = append(out, token{word: base, start: start, end: end, sentence: sentence})
				return append(out, token{word: "not", start: start, end: end, sentence: sentence})
			}
			out = append(out, token{word: unrepeat(head), start: start, end: end, sentence: sentence})
			for _, t := range tails {
				out = append(out, token{word: t, start: start, end: end, sentence: sentence})
			}
			return out
		}
		w = strings.Map(dropApostrophe, w)
	}
	return appendPlain(out, unrepeat(w), start, end, sentence)
}

// appendPlain adds a normalised word: its contraction spelled out, or the
// word with a common misspelling mended.
func appendPlain(out []token, w string, start, end, sentence int) []token {
	if exp, ok := contractions[w]; ok {
		for _, t := range exp {
			out = append(out, token{word: t, start: start, end: end, sentence: sentence})
		}
		return out
	}
	if fixed, ok := misspellings[w]; ok {
		w = fixed
	}
	return append(out, token{word: w, start: start, end: end, sentence: sentence})
}

func dropApostrophe(r rune) rune {
	if isApostrophe(r) {
		return -1
	}
	return r
}

// medicalCode: "t1d", "t2d", "a1c", "hba1c", "b12", "h1n1", "covid19".
var medicalCode = regexp.MustCompile(`^(?:[a-z]{1,3}\d{1,2}[a-z]{0,2}|hba1c|h\dn\d|covid\d*|sars\w*)$`)

// ordinalOrCode: "2nd", "3rd", "t1d", "covid19", "b12": digits that are
// part of an ordinary word, not leetspeak.
func ordinalOrCode(w string) bool {
	for _, suf := range []string{"st", "nd", "rd", "th", "er", "eme", "e"} {
		if strings.HasSuffix(w, suf) && len(w) > len(suf) && unicode.IsDigit(rune(w[len(w)-len(suf)-1])) {
			return true
		}
	}
	digitsAtEnd := len(w) > 0 && unicode.IsDigit(rune(w[len(w)-1]))
	return digitsAtEnd && !strings.ContainsAny(w, "@$!")
}

// misspellings are frequent ways of writing the words the rules look for.
var misspellings = map[string]string{
	"suicidial": "suicidal", "sucidal": "suicidal", "suicdal": "suicidal", "suisidal": "suicidal", "sucidial": "suicidal", "suicidle": "suicidal",
	"sucide": "suicide", "suiside": "suicide", "suicde": "suicide", "sucicide": "suicide", "suacide": "suicide", "suecide": "suicide",
	"suicid": "suicide", "sewerslide": "suicide", "suicidee": "suicide", "selfharm": "selfharm", "selfharming": "selfharm",
	"overdoes": "overdose", "stoped": "stopped", "overdosed": "overdosed", "odd": "odd", "od": "overdose", "oded": "overdosed", "oding": "overdosing",
	"unalive": "unalive", "unaliving": "unalive", "unalived": "unalive",
	"wanna": "want", "tommorow": "tomorrow", "tomorow": "tomorrow", "tonite": "tonight", "2nite": "tonight", "2night": "tonight",
	"anymore": "anymore", "any1": "anyone", "some1": "someone", "every1": "everyone", "no1": "noone",
	"suicidaire": "suicidaire", "sucidaire": "suicidaire", "suicidair": "suicidaire",
}

// sentencesInto groups token indexes by sentence, appended to out.
func sentencesInto(out [][2]int, toks []token) [][2]int {
	for i := 0; i < len(toks); {
		j := i
		for j < len(toks) && toks[j].sentence == toks[i].sentence {
			j++
		}
		out = append(out, [2]int{i, j})
		i = j
	}
	return out
}

// languageScores counts the common English and French words of a text.
func (v *view) languageScores() (en, fr int) {
	for i := range v.toks {
		wi := v.info(i)
		if wi.english {
			en++
		}
		if wi.french {
			fr++
		}
	}
	return en, fr
}

var englishWords = set("the", "and", "i", "to", "is", "it", "my", "of", "a", "in", "that", "have", "not", "with", "for", "you", "me", "am", "was", "this", "but", "be", "do", "are", "what", "so", "just", "he", "she", "they", "we", "on", "at", "can", "will")
var frenchWords = set("je", "le", "la", "les", "et", "de", "des", "un", "une", "est", "pas", "ne", "que", "qui", "mon", "ma", "mes", "pour", "dans", "avec", "sur", "suis", "ai", "tu", "il", "elle", "nous", "vous", "ce", "ca", "du", "au", "plus", "mais", "on", "me", "moi")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// plainLetters: s is only ASCII letters; it comes back in lower case.
func plainLetters(s string) (string, bool) {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z':
		case 'A' <= c && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		return strings.ToLower(s), true
	}
	return s, true
}
