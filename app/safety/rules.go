package safety

import (
	"sort"
	"strings"
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
	prefix []prefixRule        // rules starting with a prefix ("suicid*")
	always []int               // rules starting with an optional word or a gap
}

type prefixRule struct {
	lang, prefix string
	rule         int
}

func newRuleSet(rules []rule) *ruleSet {
	rs := &ruleSet{rules: rules, byWord: [2]map[string][]int{{}, {}}, byStem: [2]map[string][]int{{}, {}}}
	for i, r := range rules {
		e := r.p.elems[0]
		if e.optional || e.gap > 0 || e.any {
			rs.always = append(rs.always, i)
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
				l := langIndex(r.lang)
				rs.byWord[l][a.word] = append(rs.byWord[l][a.word], i)
				rs.byStem[l][a.stem] = append(rs.byStem[l][a.stem], i)
			}
		}
	}
	return rs
}

// matchRules runs the rules of the text's language (both languages when
// it cannot tell) sentence by sentence; one hit per rule and sentence, at
// its earliest start.
func matchRules(v *view, rs *ruleSet) []hit {
	var out []hit
	en, fr := languageScores(v.toks)
	langs := make([]string, 0, 2)
	if !(en == 0 && fr > 0) && !(fr > 2*en+1) {
		langs = append(langs, "en")
	}
	if !(fr == 0 && en > 0) && !(en > 2*fr+1) {
		langs = append(langs, "fr")
	}
	use := func(lang string) bool {
		for _, l := range langs {
			if l == lang {
				return true
			}
		}
		return false
	}
	// done[rule] is the sentence (plus one) where the rule already hit.
	done := make([]int, len(rs.rules))
	for si, sr := range sentences(v.toks) {
		try := func(ri, at int) {
			if done[ri] == si+1 {
				return
			}
			r := &rs.rules[ri]
			if !use(r.lang) {
				return
			}
			if end, ok := v.matchAt(r.p.elems, r.lang, at, sr[1]); ok {
				done[ri] = si + 1
				out = append(out, hit{r: r, from: at, to: end, sentence: sr, level: r.level, sentenceID: si})
			}
		}
		for i := sr[0]; i < sr[1]; i++ {
			w := v.toks[i].word
			for _, lang := range langs {
				l := langIndex(lang)
				for _, ri := range rs.byWord[l][w] {
					try(ri, i)
				}
				for _, ri := range rs.byStem[l][v.stem(i, lang)] {
					try(ri, i)
				}
			}
			for _, p := range rs.prefix {
				if strings.HasPrefix(w, p.prefix) {
					try(p.rule, i)
				}
			}
		}
		for _, ri := range rs.always {
			r := &rs.rules[ri]
			if done[ri] == si+1 || !use(r.lang) {
				continue
			}
			if from, to, ok := v.find(r.p, r.lang, sr[0], sr[1]); ok {
				done[ri] = si + 1
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
	negatorsEN = words("en", "not", "never", "no", "nothing", "nobody", "neither", "nor", "without", "hardly")
	negatorsFR = words("fr", "pas", "jamais", "aucun", "aucune", "rien", "sans", "personne", "=ni")
	firstEN    = words("en", "=i", "=me", "=my", "=myself", "=mine", "=im")
	firstFR    = words("fr", "=je", "=me", "=moi", "=mon", "=ma", "=mes", "=m")
	thirdEN    = words("en", "=he", "=she", "=they", "=him", "=her", "=his", "=them", "=their", "friend", "=son", "=daughter", "=brother", "=sister",
		"=mom", "=mum", "=mother", "=dad", "=father", "=husband", "=wife", "=partner", "=boyfriend", "=girlfriend", "patient", "=uncle", "=aunt",
		"=cousin", "=grandma", "=grandpa", "=grandmother", "=grandfather", "=someone", "=people", "=person", "=kid", "=child", "=teen", "=teenager", "=colleague", "=neighbour", "=neighbor", "=you", "=your", "=yourself")
	thirdFR = words("fr", "=il", "=elle", "=ils", "=elles", "=lui", "=leur", "=son", "=sa", "=ses", "ami", "amie", "=fils", "=fille", "=frere", "=soeur", "=mere", "=pere",
		"=mari", "=femme", "=conjoint", "=conjointe", "=copain", "=copine", "=patient", "=patiente", "=oncle", "=tante", "=cousin", "=cousine", "=quelqu", "=quelquun",
		"=gens", "=personne", "=enfant", "=ado", "=chum", "=blonde", "=gars", "=collegue", "=voisin", "=voisine", "=tu", "=vous", "=ton", "=ta", "=tes", "=votre")
	pastEN = []pattern{compile("years|months|decades|year ago", "en"), compile("when i was", "en"), compile("=used to", "en"), compile("last year|summer|winter|spring|autumn|fall", "en"),
		compile("back in", "en"), compile("as a teen|teenager|kid|child", "en"), compile("in my teens|twenties|youth", "en"), compile("=in 19*|20*", "en"), compile("have not|never ... since", "en"),
		compile("clean|free ...2 for|since ...3 years|months", "en"), compile("weeks|years ago", "en"), compile("=survived", "en"), compile("after my attempt", "en"), compile("went through ...3 period|phase|time", "en"), compile("back_then|at_the_time", "en"), compile("=was 19*|20*", "en"), compile("=in my 20s|30s|teens|twenties|thirties", "en"), compile("during my|the", "en"), compile("back when", "en"), compile("when i first", "en"), compile("it has been ...2 years|decade|decades", "en"), compile("=decade|decades", "en")}
	pastFR = []pattern{compile("=il y a", "fr"), compile("=y a ...2 ans", "fr"), compile("apres ma|mon ...3 fausse|accouchement|divorce|diagnostic", "fr"), compile("quand je etais", "fr"), compile("=a =le epoque", "fr"), compile("=autrefois", "fr"), compile("=le an|annee dernier|derniere|passe|passee", "fr"),
		compile("adolescent|adolescente|ado", "fr"), compile("=en 19*|20*", "fr"), compile("=jadis", "fr"), compile("depuis ... ans", "fr")}
	nowEN = words("en", "=now", "again", "=still", "tonight", "today", "=tomorrow", "=anymore", "lately", "=currently", "=these", "=right", "=keep", "=starting", "=started", "=worse", "=constant", "constantly", "=daily", "lately", "recently")
	nowFR = words("fr", "=maintenant", "=encore", "=toujours", "=soir", "=aujourdhui", "=cette", "=nuit", "=demain", "=depuis", "=recommence", "=recommencer", "=rechute", "=nouveau")
)

// negated: a negator in the few words before the match (or, in French,
// inside it: "je ne veux pas mourir").
func (v *view) negated(h hit) bool {
	if h.r.negates {
		return false
	}
	if h.r.lang == "fr" {
		_, in := v.any(negatorsFR, "fr", h.from, h.to)
		_, before := v.any(negatorsFR, "fr", max(h.sentence[0], h.from-3), h.from)
		return in || before
	}
	_, ok := v.any(negatorsEN, "en", max(h.sentence[0], h.from-5), h.from)
	return ok
}

// aboutSomeoneElse: the nearest person named before the match in its
// sentence is not the writer, or nobody speaks in the first person there.
func (v *view) aboutSomeoneElse(h hit, needFirst bool) bool {
	first, third := firstEN, thirdEN
	if h.r.lang == "fr" {
		first, third = firstFR, thirdFR
	}
	lastFirst, lastThird := -1, -1
	for i := h.sentence[0]; i < h.to; i++ {
		if _, ok := v.any(first, h.r.lang, i, i+1); ok {
			lastFirst = i
		}
		if i < h.from {
			if _, ok := v.any(third, h.r.lang, i, i+1); ok {
				lastThird = i
			}
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
	if h.r.lang == "fr" {
		now = nowFR
	}
	_, isNow := v.any(now, h.r.lang, h.sentence[0], h.sentence[1])
	return lastThird >= 0 || !isNow
}

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
	for _, p := range ps {
		if _, _, ok := v.find(p, h.r.lang, h.sentence[0], h.sentence[1]); ok {
			return true
		}
	}
	return false
}

// textHas reports whether one of the patterns stands anywhere in the text.
func (v *view) textHas(lang string, ps []pattern) bool {
	for _, sr := range sentences(v.toks) {
		for _, p := range ps {
			if _, _, ok := v.find(p, lang, sr[0], sr[1]); ok {
				return true
			}
		}
	}
	return false
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
