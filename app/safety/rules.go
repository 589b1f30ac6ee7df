package safety

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// rule is one phrase a detector looks for.
type rule struct {
	id       string
	lang     string // en or fr: the stemmer its words use
	category string
	level    Level
	p        pattern
	// mention rules name a topic ("suicidal", "self-harm") and need the
	// writer to speak of themselves in the sentence; statement rules are
	// first-person by construction ("kill myself", "je veux mourir").
	mention bool
	// inherent negation: the phrase itself negates ("can't go on", "je ne
	// veux plus vivre"), so a negation does not lower it.
	negates bool
	// weak rules name everyday acts that count only beside another sign.
	weak bool
	// set says which table the rule belongs to (all tables are read in
	// one pass).
	set uint8
}

// The rule tables, read together in one pass over a text.
const (
	setCrisis uint8 = iota
	setCrisisSignals
	setUrgent
	setUrgentSignals
	setCount
)

// allRules joins the tables; hits are sorted back by table. They are
// built on first use (or by Warm, which servers call in the background as
// they start), not when the package initialises: building them was most
// of Kindred's start-up before main. The package's other pattern and word
// sets (the *Sets functions) are compiled with them, for the same reason
// (26 ms of every start). Whatever reads the lexicon, a word's entries or
// one of those sets calls rules() first (every text's view does), so the
// sets' words are entered before the lexicon freezes.
var allRules struct {
	once sync.Once
	rs   *ruleSet
}

func rules() *ruleSet {
	allRules.once.Do(func() { allRules.rs = buildAllRules() })
	return allRules.rs
}

func buildAllRules() *ruleSet {
	compileSets()
	var rs []rule
	add := func(set uint8, r []rule) {
		for i := range r {
			r[i].set = set
		}
		rs = append(rs, r...)
	}
	add(setCrisis, buildRules("crisis", crisisSpecs))
	add(setCrisisSignals, buildRules("signal", signalSpecs))
	add(setUrgent, buildRules("urgent", urgentSpecs))
	add(setUrgentSignals, buildRules("usignal", urgentSignalSpecs))
	return newRuleSet(rs)
}

// hitsOf is what one table found in the text, read once per text.
func (v *view) hitsOf(set uint8) []hit {
	if !v.hitsReady {
		v.hitsReady = true
		if len(v.bySet) != int(setCount) {
			v.bySet = make([][]hit, setCount)
		}
		for i := range v.bySet {
			v.bySet[i] = v.bySet[i][:0]
		}
		for _, h := range matchRules(v, rules()) {
			v.bySet[h.r.set] = append(v.bySet[h.r.set], h)
		}
	}
	return v.bySet[set]
}

// ruleSpec is how rules are written in the tables: "lang category level
// [flags] | pattern | pattern …".
type ruleSpec struct {
	lang, category string
	level          Level
	flags          string // "mention", "negates"
	patterns       []string
}

func buildRules(prefix string, specs []ruleSpec) []rule {
	var out []rule
	for _, s := range specs {
		for i, src := range s.patterns {
			p := compile(src, s.lang)
			out = append(out, rule{
				id:   prefix + "." + s.lang + "." + s.category + "." + itoa(i+1),
				lang: s.lang, category: s.category, level: s.level, p: p,
				mention: strings.Contains(s.flags, "mention"), negates: strings.Contains(s.flags, "negates") || hasNegator(p),
				weak: strings.Contains(s.flags, "weak"),
			})
		}
	}
	return out
}

// hasNegator: the phrase negates by itself ("not want to live", "pas me
// réveiller"), so a negation in it is part of what it says.
func hasNegator(p pattern) bool {
	for _, e := range p.elems {
		for _, a := range e.alts {
			switch a.word {
			case "not", "never", "no", "nobody", "without", "pas", "jamais", "plus", "rien", "personne", "ne", "sans", "aucun", "aucune":
				return true
			}
		}
	}
	return false
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// hit is a rule that matched, before context is weighed.
type hit struct {
	r          *rule
	from, to   int // tokens
	sentence   [2]int
	level      Level
	sentenceID int
}

// ruleSet is rules indexed by the words they can start with, so a text
// is read once instead of once per rule.
type ruleSet struct {
	rules  []rule
	byWord [2]map[string][]int // per language: the first words
	byStem [2]map[string][]int // and their stems
	// Rules keyed by their second word (the first is a common one):
	// tried one word earlier.
	byWord1, byStem1 [2]map[string][]int
	// Rules starting with a prefix ("suicid*"): each word lists those it
	// starts like (wordInfo.at).
	prefix []prefixRule
	always []int // rules starting with an optional word or a gap
	lex    *lexicon
	req    [][][]int32 // per rule: the words it needs past its first
}

// Words too common to key rules by.
var commonWords = set("i", "my", "the", "it", "in", "this", "all", "have", "so", "am", "and", "to", "a", "is", "was", "be", "of", "for", "you", "me", "will", "not", "do", "can", "going", "would", "that", "at", "on",
	"je", "de", "le", "la", "les", "mon", "ma", "mes", "un", "une", "et", "ce", "que", "pas", "ne", "se", "il", "elle", "on", "des", "du", "au", "en", "ai", "suis", "plus")

// commonStart: every alternative of e is a common word.
func commonStart(e elem) bool {
	for _, a := range e.alts {
		if len(a.seq) > 0 || a.prefix || !commonWords[a.word] {
			return false
		}
	}
	return len(e.alts) > 0
}

// plainElem: one word, required, without prefixes or phrases.
func plainElem(e elem) bool {
	if e.optional || e.gap > 0 || e.any || len(e.alts) == 0 {
		return false
	}
	for _, a := range e.alts {
		if len(a.seq) > 0 || a.prefix {
			return false
		}
	}
	return true
}

type prefixRule struct {
	lang, prefix string
	rule         int
}

func newRuleSet(rules []rule) *ruleSet {
	rs := &ruleSet{rules: rules, byWord: [2]map[string][]int{{}, {}}, byStem: [2]map[string][]int{{}, {}},
		byWord1: [2]map[string][]int{{}, {}}, byStem1: [2]map[string][]int{{}, {}}}
	for i, r := range rules {
		e := r.p.elems[0]
		if e.optional || e.gap > 0 || e.any {
			rs.always = append(rs.always, i)
			continue
		}
		// A rule that starts with a word found everywhere ("I", "my",
		// "je") is keyed by its second word instead, when that one is
		// plain and right after it: far fewer tries.
		if len(r.p.elems) > 1 && commonStart(e) && plainElem(r.p.elems[1]) && !commonStart(r.p.elems[1]) {
			l := langIndex(r.lang)
			for _, a := range r.p.elems[1].alts {
				if a.exact || len(a.word) <= 2 {
					rs.byWord1[l][a.word] = append(rs.byWord1[l][a.word], i)
				} else {
					rs.byStem1[l][a.stem] = append(rs.byStem1[l][a.stem], i)
				}
			}
			continue
		}
		for _, a := range e.alts {
			if len(a.seq) > 0 {
				a = a.seq[0]
			}
			switch {
			case a.prefix:
				rs.prefix = append(rs.prefix, prefixRule{r.lang, a.word, i})
			case a.exact:
				l := langIndex(r.lang)
				rs.byWord[l][a.word] = append(rs.byWord[l][a.word], i)
			default:
				// A word equal to the alternative has its stem too, so
				// the stem index is enough (short words are not stemmed
				// in texts, so they keep a word entry).
				l := langIndex(r.lang)
				if len(a.word) <= 2 {
					rs.byWord[l][a.word] = append(rs.byWord[l][a.word], i)
				}
				rs.byStem[l][a.stem] = append(rs.byStem[l][a.stem], i)
			}
		}
	}
	rs.buildLexicon()
	return rs
}

// The lexicon numbers every word and stem the patterns name, per
// language (compile enters them), so that a sentence can say in a bitset
// which of them it holds, a rule that needs a word the sentence lacks is
// never tried, and a pattern's first words are looked up where they stand
// (view.startsOf).
type lexicon struct {
	words [2]map[string]int32 // exact words, per language
	stems [2]map[string]int32
	n     int
	// frozen: a word's entries have been read (wordInfo); no entry may be
	// added after that, or the words read before would lack it.
	frozen atomic.Bool
}

var theLexicon = &lexicon{words: [2]map[string]int32{{}, {}}, stems: [2]map[string]int32{{}, {}}}

// enter numbers k in m (once).
func (lx *lexicon) enter(m map[string]int32, k string) int32 {
	if x, ok := m[k]; ok {
		return x
	}
	if lx.frozen.Load() {
		panic("safety: a pattern was compiled after texts were read: " + k)
	}
	m[k] = int32(lx.n)
	lx.n++
	return m[k]
}

// enterAlt enters an alternative's word and stem in both languages (a
// French text may be read with an English pattern's words and the other
// way round) and returns their entries (-1: none, for prefixes and
// phrases, and for the stem of an exact word).
func (lx *lexicon) enterAlt(a alt) (word, stem [2]int32) {
	word, stem = [2]int32{-1, -1}, [2]int32{-1, -1}
	if a.prefix || len(a.seq) > 0 {
		return word, stem
	}
	for l := range 2 {
		word[l] = lx.enter(lx.words[l], a.word)
		if !a.exact {
			stem[l] = lx.enter(lx.stems[l], a.stem)
		}
	}
	return word, stem
}

func (rs *ruleSet) buildLexicon() {
	lx := theLexicon
	rs.req = make([][][]int32, len(rs.rules))
	for ri, r := range rs.rules {
		l := langIndex(r.lang)
	elems:
		for ei, e := range r.p.elems {
			if ei == 0 || e.optional || e.gap > 0 || e.any {
				continue
			}
			var ids []int32
			for _, a := range e.alts {
				if len(a.seq) > 0 {
					a = a.seq[0]
				}
				switch {
				case a.prefix:
					continue elems // cannot tell from the lexicon: no requirement
				case a.exact || len(a.word) <= 2:
					ids = append(ids, lx.enter(lx.words[l], a.word))
				default:
					ids = append(ids, lx.enter(lx.stems[l], a.stem))
				}
			}
			rs.req[ri] = append(rs.req[ri], ids)
		}
	}
	rs.lex = lx
}

// present fills bits with the lexicon entries of tokens [from, to). The
// entries come from each word's wordInfo, which reads allRules' lexicon:
// lx is always rules().lex.
func (v *view) present(lx *lexicon, langs []string, from, to int, bits []uint64) {
	clear(bits)
	for i := from; i < to; i++ {
		wi := v.info(i)
		for _, lang := range langs {
			l := langIndex(lang)
			if x := wi.lexWord[l]; x >= 0 {
				bits[x>>6] |= 1 << (x & 63)
			}
			if x := wi.lexStem[l]; x >= 0 {
				bits[x>>6] |= 1 << (x & 63)
			}
		}
	}
}

// possible: every word the rule needs is in the sentence.
func possible(req [][]int32, bits []uint64) bool {
	for _, ids := range req {
		ok := false
		for _, x := range ids {
			if bits[x>>6]&(1<<(x&63)) != 0 {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// matchRules runs the rules of the text's language (both languages when
// it cannot tell) sentence by sentence; one hit per rule and sentence, at
// its earliest start.
func matchRules(v *view, rs *ruleSet) []hit {
	langs := v.languages()
	use := func(lang string) bool {
		for _, l := range langs {
			if l == lang {
				return true
			}
		}
		return false
	}
	// done[rule] is the sentence (plus one) where the rule already hit,
	// or cannot hit (a word it needs is missing there).
	v.done = resize(v.done, len(rs.rules))
	v.bits = resize(v.bits, rs.lex.n/64+1)
	done, bits := v.done, v.bits
	out := v.hitBuf[:0]
	defer func() { v.hitBuf = out[:0] }()
	for si, sr := range v.sentences() {
		v.present(rs.lex, langs, sr[0], sr[1], bits)
		try := func(ri, at int) {
			if done[ri] == int32(si+1) {
				return
			}
			r := &rs.rules[ri]
			if !use(r.lang) || !possible(rs.req[ri], bits) {
				done[ri] = int32(si + 1)
				return
			}
			if end, ok := v.matchAt(r.p.elems, r.lang, at, sr[1]); ok {
				done[ri] = int32(si + 1)
				out = append(out, hit{r: r, from: at, to: end, sentence: sr, level: r.level, sentenceID: si})
			}
		}
		for i := sr[0]; i < sr[1]; i++ {
			wi := v.info(i)
			for _, lang := range langs {
				l := langIndex(lang)
				for _, ri := range wi.at[l] {
					try(ri, i)
				}
				if i > sr[0] {
					for _, ri := range wi.before[l] {
						try(ri, i-1)
					}
				}
			}
		}
		for _, ri := range rs.always {
			r := &rs.rules[ri]
			if done[ri] == int32(si+1) || !use(r.lang) {
				continue
			}
			if from, to, ok := v.find(r.p, r.lang, sr[0], sr[1]); ok {
				done[ri] = int32(si + 1)
				out = append(out, hit{r: r, from: from, to: to, sentence: sr, level: r.level, sentenceID: si})
			}
		}
	}
	// Earliest first, as the rules were read before the index.
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].sentenceID != out[b].sentenceID {
			return out[a].sentenceID < out[b].sentenceID
		}
		return out[a].r.id < out[b].r.id
	})
	return out
}

// Context words, by language.
var (
	negatorsEN *wordSet
	negatorsFR *wordSet
	firstEN    *wordSet
	firstFR    *wordSet
	thirdEN    *wordSet
	thirdFR    *wordSet
	pastEN     []pattern
	pastFR     []pattern
	nowEN      *wordSet
	nowFR      *wordSet
)

// negated: a negator in the few words before the match, in the same
// clause (or, in French, inside it: "je ne veux pas mourir"). "Can't
// stop", "not sure" and "don't know" do not negate what follows.
func (v *view) negated(h hit) bool {
	if h.r.negates {
		return false
	}
	negators, reach := negatorsEN, 5
	if h.r.lang == "fr" {
		negators, reach = negatorsFR, 4
		if _, in := v.any(negatorsFR, "fr", h.from, h.to); in {
			return true
		}
		// Spoken French drops the "ne": "je me scarifie pas".
		for i := h.to; i < min(h.to+2, h.sentence[1]); i++ {
			if w := v.toks[i].word; (w == "pas" || w == "jamais" || w == "plus" || w == "pu") && !(i+1 < len(v.toks) && notNegating[v.toks[i+1].word]) {
				return true
			}
		}
	}
	for i := h.from - 1; i >= max(h.sentence[0], h.from-reach); i-- {
		if v.boundaryAfter(i) || clauseWords[v.toks[i].word] {
			return false
		}
		if v.inSet(negators, i) && !(i+1 < len(v.toks) && notNegating[v.toks[i+1].word]) {
			return true
		}
	}
	return false
}

// Words that start a new clause: a negation before them says nothing of
// what follows ("I don't want to go to work, I just want to die").
var clauseWords = set("but", "just", "if", "when", "because", "cause", "cuz", "though", "although", "and", "so", "except", "unless", "that", "or",
	"mais", "juste", "si", "quand", "parce", "car", "et", "sauf", "alors", "ou")

// Words after a negator that turn it into something else: "can't stop
// thinking", "not sure", "don't know", "can't help".
var notNegating = set("stop", "help", "wait", "sure", "know", "only", "care", "arrete", "arreter", "sais", "empecher", "mal")

// boundaryAfter reports whether punctuation that closes a clause stands
// between token i and the next one.
func (v *view) boundaryAfter(i int) bool {
	if v.text == "" || i+1 >= len(v.toks) || v.toks[i+1].start <= v.toks[i].end {
		return false // the end, or two tokens of one written word ("can't")
	}
	between := v.text[v.toks[i].end:v.toks[i+1].start]
	return strings.ContainsAny(between, ",;:()…—–")
}

// aboutSomeoneElse: the nearest person named before the match in its
// sentence is not the writer, or nobody speaks in the first person there.
// "My brother is …" names someone else; "I asked my brother to …" does
// not, nor does a sentence that starts with a verb ("been thinking about
// it", "wrote letters to my kids"), nor a general "how do you cope".
func (v *view) aboutSomeoneElse(h hit, needFirst bool) bool {
	first, third, lang := firstEN, thirdEN, h.r.lang
	if lang == "fr" {
		first, third = firstFR, thirdFR
	}
	lastFirst, lastThird := -1, -1
	if v.telegraphic(h.sentence[0], lang) || v.genericYou(h, lang) {
		lastFirst = h.sentence[0]
	}
	for i := h.sentence[0]; i < h.to; i++ {
		if v.inSet(first, i) && !(lastThird >= 0 && possessive1[v.toks[i].word]) {
			lastFirst = i
		}
		if i < h.from && v.inSet(third, i) && !v.objectOfWriter(i, h.sentence[0]) && !(lastFirst == h.sentence[0] && v.genericYou(h, lang) && youWords[v.toks[i].word]) {
			lastThird = i
		}
	}
	if lastThird > lastFirst && lastFirst < h.from {
		return true
	}
	if !needFirst || lastFirst >= 0 {
		return false
	}
	// Nobody named: telegraphic writing about oneself ("thinking about it
	// every day now", "overdosing rn") counts as the writer's, general
	// statements do not.
	now := nowEN
	if lang == "fr" {
		now = nowFR
	}
	_, isNow := v.any(now, lang, h.sentence[0], h.sentence[1])
	return lastThird >= 0 || !isNow
}

var youWords = set("you", "your", "yourself", "tu", "te", "toi", "vous", "ton", "ta", "tes", "votre")

// objectOfWriter: a person named after "my" in the middle of the writer's
// sentence ("I asked my friend to…"), not as its subject ("my friend is…").
func (v *view) objectOfWriter(i, sentenceStart int) bool {
	j := i - 1
	for j > sentenceStart && j >= i-3 && !possessive1[v.toks[j].word] {
		j--
	}
	if j < sentenceStart || !possessive1[v.toks[j].word] || j == sentenceStart || v.boundaryAfter(j-1) {
		return false
	}
	for k := i + 1; k < len(v.toks) && k <= i+2; k++ {
		if subjectVerbs[v.toks[k].word] {
			return false
		}
	}
	return true
}

var (
	possessive1  = set("my", "our", "mon", "ma", "mes", "notre", "nos")
	subjectVerbs = set("is", "was", "has", "had", "have", "wants", "wanted", "said", "says", "told", "tells", "tried", "keeps", "kept", "took", "thinks", "thought",
		"feels", "felt", "talks", "talked", "attempted", "cuts", "does", "did", "will", "would", "can", "could", "gets", "got", "seems", "seemed", "posted", "texted", "died", "killed", "passed",
		"est", "etait", "a", "avait", "veut", "voulait", "dit", "disait", "pense", "parle", "se", "ne", "va", "fait", "s")
	// Verbs a sentence about oneself can start with, subject left out.
	telegraphicEN = set("going", "gotta", "been", "was", "am", "thinking", "think", "thought", "wrote", "writing", "gave", "giving", "took", "taking", "took", "swallowed", "started", "starting",
		"cant", "can", "dont", "wanna", "gonna", "want", "wanted", "need", "wish", "hope", "tired", "done", "sick", "just", "feel", "feeling", "felt", "keep", "kept", "cut", "cutting",
		"relapsed", "stockpiling", "saving", "saved", "planning", "planned", "bought", "got", "made", "asked", "cancelled", "canceled", "sorted", "updated", "deleted", "finished", "sitting",
		"lying", "hate", "googled", "googling", "looked", "looking", "researching", "counting", "counted", "decided", "ready", "having", "had", "doing", "did", "never", "still", "honestly", "literally")
	telegraphicFR = set("envie", "pense", "veux", "voudrais", "ai", "suis", "chu", "chui", "fatigue", "fatiguee", "tanne", "tannee", "marre", "ecrit", "donne", "pris", "avale", "recommence",
		"rechute", "plus", "pu", "peux", "sais", "jsp", "vais", "prete", "pret")
	interjections = set("ok", "okay", "so", "well", "honestly", "lol", "idk", "tbh", "ngl", "yeah", "yes", "no", "anyway", "and", "but", "bon", "ben", "bref", "alors", "enfin", "mais", "pis", "franchement", "genre", "ouais", "oui", "non", "et", "hey", "ugh", "tbf", "lmao", "lowkey", "fr")
)

// telegraphic: the sentence starts with a verb, its subject (the writer)
// left out: "been thinking about it", "took everything", "envie de
// disparaître".
func (v *view) telegraphic(start int, lang string) bool {
	i := start
	for i < len(v.toks) && i < start+3 && interjections[v.toks[i].word] && v.toks[i].sentence == v.toks[start].sentence {
		i++
	}
	if i >= len(v.toks) || v.toks[i].sentence != v.toks[start].sentence {
		return false
	}
	if lang == "fr" {
		return telegraphicFR[v.toks[i].word]
	}
	return telegraphicEN[v.toks[i].word]
}

// genericYou: "how do you stop thinking about…", "does anyone else…":
// the writer asks about themselves.
func (v *view) genericYou(h hit, lang string) bool {
	ps := genericYouEN
	if lang == "fr" {
		ps = genericYouFR
	}
	// Remembered per sentence and language: asked for many hits.
	key := [3]int{h.sentence[0], h.sentence[1], langIndex(lang)}
	if r, ok := v.youMemo[key]; ok {
		return r
	}
	found := false
	for _, p := range ps {
		if _, _, ok := v.find(p, lang, h.sentence[0], h.sentence[1]); ok {
			found = true
			break
		}
	}
	if v.youMemo == nil {
		v.youMemo = map[[3]int]bool{}
	}
	v.youMemo[key] = found
	return found
}

var (
	genericYouEN []pattern
	genericYouFR []pattern
)

// inThePast: the sentence places it in the past and nothing brings it to
// now.
func (v *view) inThePast(h hit) bool {
	past, now := pastEN, nowEN
	if h.r.lang == "fr" {
		past, now = pastFR, nowFR
	}
	// The past may be named in the sentence or the one after ("… wanting
	// to die. That was 2018.").
	end := h.sentence[1]
	for end < len(v.toks) && v.toks[end].sentence == v.toks[h.sentence[1]-1].sentence+1 {
		end++
	}
	found := false
	for _, p := range past {
		if _, _, ok := v.find(p, h.r.lang, h.sentence[0], end); ok {
			found = true
			break
		}
	}
	if !found {
		return false
	}
	_, isNow := v.any(now, h.r.lang, h.sentence[0], h.sentence[1])
	return !isNow
}

// sentenceHas reports whether one of the patterns stands in the sentence.
func (v *view) sentenceHas(h hit, ps []pattern) bool {
	return v.has(ps, h.r.lang, h.sentence[0], h.sentence[1], false)
}

// textHas reports whether one of the patterns stands anywhere in the
// text, within a sentence.
func (v *view) textHas(lang string, ps []pattern) bool {
	return v.has(ps, lang, 0, len(v.toks), true)
}

// has reports whether one of the patterns stands in tokens [from, to)
// (each sentence on its own when bySentence). Remembered per text: a
// dense post asks the same context list of the same sentence for every
// hit in it.
func (v *view) has(ps []pattern, lang string, from, to int, bySentence bool) bool {
	if len(ps) == 0 {
		return false
	}
	key := spanKey{&ps[0], langIndex(lang), from, to, bySentence}
	if r, ok := v.spanMemo[key]; ok {
		return r
	}
	found := false
	if bySentence {
		found = v.inSomeSentence(ps, lang)
	} else {
		for _, p := range ps {
			if _, _, ok := v.find(p, lang, from, to); ok {
				found = true
				break
			}
		}
	}
	if v.spanMemo == nil {
		v.spanMemo = map[spanKey]bool{}
	}
	v.spanMemo[key] = found
	return found
}

// inSomeSentence reports whether one of the patterns stands within a
// sentence of the text: each pattern is tried where its first word stands
// (up to the end of that word's sentence), or sentence by sentence when
// that cannot be told.
func (v *view) inSomeSentence(ps []pattern, lang string) bool {
	sents := v.sentences()
	for _, p := range ps {
		if starts, ok := v.startsOf(p, lang); ok {
			for _, s := range starts {
				if _, ok := v.matchAt(p.elems, lang, int(s), sents[v.sentenceOf(int(s))][1]); ok {
					return true
				}
			}
			continue
		}
		for _, sr := range sents {
			if _, _, ok := v.find(p, lang, sr[0], sr[1]); ok {
				return true
			}
		}
	}
	return false
}

// sentenceOf is the index (in sentences) of token i's sentence.
func (v *view) sentenceOf(i int) int {
	if !v.sentOfReady {
		v.sentOfReady = true
		v.sentOf = resize(v.sentOf, len(v.toks))
		for si, sr := range v.sentences() {
			for k := sr[0]; k < sr[1]; k++ {
				v.sentOf[k] = int32(si)
			}
		}
	}
	return int(v.sentOf[i])
}

type spanKey struct {
	p          *pattern
	lang       int
	from, to   int
	bySentence bool
}

// languages are the rule languages to read a text in: both when it
// cannot tell.
func (v *view) languages() []string {
	if !v.langsReady {
		v.langsReady = true
		en, fr := v.languageScores()
		v.langs = v.langs[:0]
		if !(en == 0 && fr > 0) && !(fr > 2*en+1) {
			v.langs = append(v.langs, "en")
		}
		if !(fr == 0 && en > 0) && !(en > 2*fr+1) {
			v.langs = append(v.langs, "fr")
		}
		v.en0, v.fr0 = en, fr
	}
	return v.langs
}

// language is "fr" when the text reads as French, else "en".
func (v *view) language() string {
	v.languages()
	if v.fr0 > v.en0 {
		return "fr"
	}
	return "en"
}

// sentences are the token ranges of the text's sentences (worked out
// once).
func (v *view) sentences() [][2]int {
	if !v.sentsReady {
		v.sentsReady = true
		v.sents = sentencesInto(v.sents[:0], v.toks)
	}
	return v.sents
}

func patterns(lang string, src ...string) []pattern {
	out := make([]pattern, len(src))
	for i, s := range src {
		out[i] = compile(s, lang)
	}
	return out
}

// findings gathers hits into one finding per category: the highest level
// (with its rule and context) and every span.
type findings struct {
	detector string
	out      []Finding
	seen     map[string]int
}

func (f *findings) add(v *view, h hit, level Level, ctx string) {
	if f.seen == nil {
		f.seen = map[string]int{}
	}
	span := v.spanOf(h.from, h.to)
	if i, ok := f.seen[h.r.category]; ok {
		if level > f.out[i].Level {
			f.out[i].Level, f.out[i].Context, f.out[i].Rule = level, ctx, h.r.id
		}
		f.out[i].Spans = append(f.out[i].Spans, span)
		return
	}
	f.seen[h.r.category] = len(f.out)
	f.out = append(f.out, Finding{Detector: f.detector, Category: h.r.category, Level: level, Spans: []Span{span}, Rule: h.r.id, Context: ctx})
}

// compileSets compiles the package's pattern and word sets, in the order
// the package's initialisers compiled them when they were variables'
// initial values (so the lexicon numbers words as it did).
func compileSets() {
	personalSets()
	crisisSets()
	modelSets()
	contextSets()
	signalSets()
	urgentSets()
	urgentSignalSets()
}

// contextSets compiles this file's pattern and word sets (see compileSets).
func contextSets() {
	negatorsEN = words("en", "not", "never", "no", "nothing", "nobody", "neither", "nor", "without", "hardly")
	negatorsFR = words("fr", "pas", "jamais", "aucun", "aucune", "rien", "sans", "personne", "=ni")
	firstEN = words("en", "=i", "=me", "=my", "=myself", "=mine", "=im")
	firstFR = words("fr", "=je", "=me", "=moi", "=mon", "=ma", "=mes", "=m")
	thirdEN = words("en", "=he", "=she", "=they", "=him", "=her", "=his", "=them", "=their", "friend", "=son", "=daughter", "=brother", "=sister",
		"=mom", "=mum", "=mother", "=dad", "=father", "=husband", "=wife", "=partner", "=boyfriend", "=girlfriend", "patient", "=uncle", "=aunt",
		"=cousin", "=grandma", "=grandpa", "=grandmother", "=grandfather", "=someone", "=people", "=person", "=roommate", "=flatmate", "=classmate", "=student", "=client", "=resident", "=member", "=sibling", "=siblings", "=op", "=dog", "=cat", "=pet", "=guy|girl|man|woman|lady|lad|bloke", "=puppy", "=kitty", "=hamster", "=pump", "=phone", "=battery", "=kid", "=child", "=teen", "=teenager", "=colleague", "=neighbour", "=neighbor", "=you", "=your", "=yourself")
	thirdFR = words("fr", "=il", "=elle", "=ils", "=elles", "=lui", "=leur", "=son", "=sa", "=ses", "ami", "amie", "=fils", "=fille", "=frere", "=soeur", "=mere", "=pere",
		"=mari", "=femme", "=conjoint", "=conjointe", "=copain", "=copine", "=patient", "=patiente", "=oncle", "=tante", "=cousin", "=cousine", "=quelqu", "=quelquun",
		"=gens", "=personne", "=enfant", "=coloc", "=colocataire", "=chien", "=chat", "=chienne", "=chatte", "=membre", "=eleve", "=client", "=cliente", "=residente", "=resident", "=ado", "=chum", "=blonde", "=gars", "=collegue", "=voisin", "=voisine", "=tu", "=vous", "=ton", "=ta", "=tes", "=votre")
	pastEN = []pattern{compile("years|months|decades|year ago", "en"), compile("when i was", "en"), compile("=used to", "en"), compile("last year|summer|winter|spring|autumn|fall", "en"),
		compile("back in =19*|20*|the_day|high|college|school|university|uni|those|my_teens|my_twenties", "en"), compile("as a teen|teenager|kid|child", "en"), compile("in my teens|twenties|youth", "en"), compile("=in 19*|20*", "en"), compile("have not|never ... since", "en"),
		compile("clean|free ...2 for|since ...3 years|months", "en"), compile("weeks|years ago", "en"), compile("=survived", "en"), compile("after my attempt", "en"), compile("went through ...3 period|phase|time", "en"), compile("back_then|at_the_time", "en"), compile("=was 19*|20*", "en"), compile("=in my 20s|30s|teens|twenties|thirties", "en"), compile("during my|the", "en"), compile("back when", "en"), compile("when i first", "en"), compile("it has been ...2 years|decade|decades", "en"), compile("=decade|decades", "en")}
	pastFR = []pattern{compile("=il y a", "fr"), compile("=y a ...2 ans", "fr"), compile("apres ma|mon ...3 fausse|accouchement|divorce|diagnostic", "fr"), compile("quand je etais", "fr"), compile("=a =le epoque", "fr"), compile("=autrefois", "fr"), compile("=le an|annee dernier|derniere|passe|passee", "fr"),
		compile("adolescent|adolescente|ado", "fr"), compile("=en 19*|20*", "fr"), compile("=jadis", "fr"), compile("depuis ... ans", "fr"), compile("au debut de", "fr"), compile("=je_avais|je_etais", "fr")}
	nowEN = words("en", "=now", "again", "=still", "tonight", "today", "=tomorrow", "=anymore", "lately", "=currently", "=these", "=right", "=keep", "=starting", "=started", "=worse", "=constant", "constantly", "=daily", "lately", "recently", "=urges", "=tonight", "=minutes", "hour_ago", "an_hour", "=are_back", "=is_back", "=came_back", "=coming_back", "=back_again", "returning", "more_and_more", "these_days", "every_day", "all_the_time", "=rn", "=tonight")
	nowFR = words("fr", "=maintenant", "=encore", "=toujours", "=soir", "=aujourdhui", "=cette", "=nuit", "=demain", "=depuis", "=recommence", "=recommencer", "=rechute", "=nouveau", "=revenu", "=revenues", "=revenues", "=de_plus_en_plus", "=tous_les_jours", "=tout_le_temps", "=la", "demi_heure", "=minutes", "une_heure", "deux_heures", "=1h|2h")
	genericYouEN = patterns("en", "how do|does|can|did|would you|one ...3 stop|cope|deal|handle|live|keep|get|go|survive|manage|make", "=anyone else", "does anybody|anyone", "you guys know", "anyone know", "=is it normal", "=you ever", "do|did you ever", "do|did|would you tell|say|hide|cope|deal|handle|talk")
	genericYouFR = patterns("fr", "comment on|vous|tu ...3 fait|faites|fais|arrete|arretez|gere|gerez|vit|vivez|survit", "quelqu un d autre", "=est ce normal")
}
