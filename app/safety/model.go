package safety

import (
	"math"
	"runtime"
	"sort"
	"sync"
)

// A second reader beside the rules: logistic-regression models over the
// words and word pairs of a text (stems, after the normalisation the rules
// see), trained from the development part of the corpus, deterministically
// (no download, no randomness between runs), and stored in models.bin
// (weights.go), which a test keeps in step with the corpus.
// The rules know phrasing; the model knows vocabulary and the company
// words keep, so it catches what people say in words no rule has yet, and
// it recognises the calm texts (history, education, someone else) the
// rules sometimes misread. How the two are combined is set by thresholds
// measured by leaving each corpus file out in turn (see README):
//
//   - the rules fire and the model is nearly sure the text is not current
//     (below veto, and no short stretch of a long post reads at or above
//     keep): the rules' findings stay but drop to low, with the context
//     vetoContext;
//   - the rules only found a mention they lowered (low): the model raises
//     the text if it reads it whole at or above low, or one short stretch
//     of it at or above mention;
//     (what the rules read as negated only at or above negatedLow);
//   - the rules found nothing: the model raises the text at or above
//     silent if the stretch it read holds a word the rules know for this
//     detector (a mention, a means, a symptom: anchored), at or above
//     bare otherwise, and never a text of fewer than minModelWords words.
//     Everyday distress ("so tired of all of it") reads close to despair
//     in vocabulary; the anchor keeps it quiet.
//
// A finding of the model names the words that weighed most as its spans
// and the category its per-category models prefer; a crisis finding of
// the model is medium at most. Besides its own corpus, each model learns
// from the other detector's texts that are plainly not its business and
// from ordinary forum writing (everyday*.tsv), as negatives.

// modelBits sizes the hashed feature table of the firing model (2^18
// weights); categoryBits that of each category's model.
const (
	modelBits    = 18
	categoryBits = 16
)

type model struct {
	w    []float32
	bias float32
	mask uint32
}

// fnv-1a over a feature's kind and words, without building the string.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)

func hashAdd(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime
	}
	return h
}

const featureMask = 1<<modelBits - 1

// hasPair marks a token followed by another of its sentence.
const hasPair = 1 << 31

func featureUnigram(a string) uint32 {
	return hashAdd(hashAdd(fnvOffset, "u"), a) & featureMask
}

func featureBigram(a, b string) uint32 {
	h := hashAdd(hashAdd(fnvOffset, "b"), a)
	return hashAdd(h^' ', b)&featureMask | hasPair
}

// modelIDs are the features each token starts: its stem, and the pair of
// it and the next stem in the same sentence (marked hasPair; 0: none).
// Worked out once per text and shared by the detectors.
func (v *view) modelIDs() (uni, bi []uint32) {
	if len(v.toks) == 0 {
		return nil, nil
	}
	if v.idsReady {
		return v.uni, v.bi
	}
	v.idsReady = true
	lang := v.language()
	v.uni = resize(v.uni, len(v.toks))
	v.bi = resize(v.bi, len(v.toks))
	l := langIndex(lang)
	for i := range v.toks {
		wi := v.info(i)
		v.uni[i] = wi.uni[l]
		if i > 0 && v.toks[i-1].sentence == v.toks[i].sentence {
			// featureBigram(previous word, this word), from the
			// previous word's head.
			v.bi[i-1] = hashAdd(v.toks[i-1].wi.biHead[l], wi.model[l])&featureMask | hasPair
		}
	}
	return v.uni, v.bi
}

// windowFeatures lists the distinct features of tokens [from, to), each
// with the first token it stands on, sorted by id.
func (v *view) windowFeatures(from, to int, out []modelFeature) []modelFeature {
	uni, bi := v.modelIDs()
	out = out[:0]
	for i := from; i < to; i++ {
		out = append(out, modelFeature{uni[i], int32(i), 1})
		if bi[i] != 0 && i+1 < to {
			out = append(out, modelFeature{bi[i] &^ hasPair, int32(i), 2})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].id < out[b].id })
	n := 0
	for i, f := range out {
		if i > 0 && f.id == out[n-1].id {
			continue
		}
		out[n] = f
		n++
	}
	return out[:n]
}

// modelFeature is one feature of a window: its id and the tokens it
// stands on.
type modelFeature struct {
	id    uint32
	token int32
	n     int32
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

// seenSet tells which features a window already counted, without sorting
// or clearing: a feature is counted when its mark is not this window's.
type seenSet struct {
	mark []uint32
	now  uint32
}

// seenSets keeps a few mark tables (1 MiB each) between texts. Not a
// sync.Pool, which the collector empties: a fresh table costs more than
// scoring a long post.
var seenSets = make(chan *seenSet, 2*runtime.GOMAXPROCS(0)+2)

func getSeenSet() *seenSet {
	select {
	case s := <-seenSets:
		return s
	default:
		return &seenSet{mark: make([]uint32, 1<<modelBits)}
	}
}

func putSeenSet(s *seenSet) {
	select {
	case seenSets <- s:
	default:
	}
}

func (s *seenSet) next() {
	s.now++
	if s.now == 0 {
		clear(s.mark)
		s.now = 1
	}
}

// scoreRange is score over the window [from, to), the same sum without
// listing the features.
func (m *model) scoreRange(v *view, from, to int, seen *seenSet) float32 {
	uni, bi := v.modelIDs()
	seen.next()
	s := m.bias
	for i := from; i < to; i++ {
		if id := uni[i]; seen.mark[id] != seen.now {
			seen.mark[id] = seen.now
			s += m.w[id&m.mask]
		}
		if i+1 < to && bi[i] != 0 {
			if id := bi[i] &^ hasPair; seen.mark[id] != seen.now {
				seen.mark[id] = seen.now
				s += m.w[id&m.mask]
			}
		}
	}
	return sigmoid(s)
}

// modelWindow is the most worrying stretch of a text.
type modelWindow struct {
	from, to int
	p        float32
}

// A post is read whole up to readTokens (most posts are): the rest of a
// post is what tells a story from the past or an everyday rant from
// distress, and reading it whole keeps look-alikes quiet. Longer posts are
// read in stretches of that size. A mention the rules lowered is also read
// in short stretches (mentionTokens), so one worrying sentence in a long
// ordinary post is not drowned by the news around it.
const (
	readTokens    = 200
	mentionTokens = 80
	minModelWords = 6
)

// best reads the text in windows of whole sentences of at most n tokens
// and returns the one the model finds most worrying.
func (m *model) best(v *view, windowTokens int) modelWindow {
	if len(v.toks) == 0 {
		return modelWindow{p: 0}
	}
	seen := getSeenSet()
	defer putSeenSet(seen)
	sents := v.sentences()
	if len(v.toks) <= windowTokens || len(sents) <= 1 {
		return modelWindow{0, len(v.toks), m.scoreRange(v, 0, len(v.toks), seen)}
	}
	best := modelWindow{p: -1}
	for a := 0; a < len(sents); {
		b := a
		for b+1 < len(sents) && sents[b+1][1]-sents[a][0] <= windowTokens {
			b++
		}
		if p := m.scoreRange(v, sents[a][0], sents[b][1], seen); p > best.p {
			best = modelWindow{sents[a][0], sents[b][1], p}
		}
		if b == len(sents)-1 {
			break
		}
		// Windows overlap by half, so a worrying passage is read whole
		// whatever sentence it starts at.
		next := a + 1
		for next < b && sents[next][0]-sents[a][0] < (sents[b][1]-sents[a][0])/2 {
			next++
		}
		a = next
	}
	return best
}

// evidence is the spans of the features of a window that weighed most
// towards firing (at most n, not overlapping, in text order).
func (m *model) evidence(v *view, w modelWindow, n int) []Span {
	uni, bi := v.modelIDs()
	type cand struct {
		weight   float32
		from, to int
	}
	var top []cand // the n heaviest so far, heaviest first
	consider := func(c cand) {
		if c.weight <= 0 {
			return
		}
		for _, t := range top {
			if t.from < c.to && c.from < t.to { // overlaps a heavier one
				if t.weight >= c.weight {
					return
				}
			}
		}
		kept := top[:0]
		for _, t := range top {
			if !(t.from < c.to && c.from < t.to) {
				kept = append(kept, t)
			}
		}
		top = kept
		i := sort.Search(len(top), func(i int) bool { return top[i].weight < c.weight })
		top = append(top, cand{})
		copy(top[i+1:], top[i:])
		top[i] = c
		if len(top) > n {
			top = top[:n]
		}
	}
	for i := w.from; i < w.to; i++ {
		consider(cand{m.w[uni[i]&m.mask], i, i + 1})
		if i+1 < w.to && bi[i] != 0 {
			consider(cand{m.w[(bi[i]&^hasPair)&m.mask], i, i + 2})
		}
	}
	spans := make([]Span, len(top))
	for i, t := range top {
		spans[i] = v.spanOf(t.from, t.to)
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].Start < spans[b].Start })
	return spans
}

// detectorModel is one detector's models and the thresholds that combine
// them with the rules.
type detectorModel struct {
	detector   string
	fire       *model
	categories []string
	perCat     []*model
	veto       float32 // below: the rules' findings drop to low
	low        float32 // at or above, raises a text the rules lowered
	mention    float32 // at or above in a short stretch, the same
	keep       float32 // a short stretch of a long post at or above: no veto
	silent     float32 // at or above, raises an anchored text the rules left silent
	bare       float32 // at or above, raises any text the rules left silent
	// urgent findings of the model are high at or above highAt.
	highAt float32
	// anchored: the window holds something the rules recognise as a word
	// of this detector (a mention, a means, a symptom), weighed or not.
	anchored func(v *view, from, to int) bool
	// lower names what, in a text the rules left silent or lowered, makes the
	// model's reading an everyday one (a break wished for a week, what
	// keeps the writer going); "" when nothing does.
	lower func(v *view, w modelWindow) string
}

// Thresholds measured on the development corpus, each file left out in
// turn (kindred safety eval --cross); see README.
var (
	crisisThresholds = detectorModel{veto: 0.10, low: 0.60, mention: 0.90, keep: 0.70, silent: 0.68, bare: 0.90}
	urgentThresholds = detectorModel{veto: 0.02, low: 0.50, mention: 0.97, keep: 0.70, silent: 0.60, bare: 0.94, highAt: 0.90}
)

// negatedLow is how sure the model must be to raise what the rules read
// as negated (cross-validated: 22 crises found for 1 false alarm, against
// 30 for 11 at the usual threshold).
const negatedLow = 0.95

// vetoContext explains a rule's finding the model lowered.
const vetoContext = "the model reads the text as calm"

// hitIn: one of the hits (of the classes, when given) lies in [from, to).
func hitIn(hits []hit, from, to int, classes map[string]bool) bool {
	for _, h := range hits {
		if h.from >= from && h.to <= to && (classes == nil || classes[h.r.category]) {
			return true
		}
	}
	return false
}

var crisisAnchors = map[string]bool{"death": true, "hopeless": true, "means": true, "eye": true, "decided": true, "took": true,
	"farewell": true, "prep": true, "final": true, "harm": true, "harm_weak": true}

func crisisAnchored(v *view, from, to int) bool {
	return hitIn(v.hitsOf(setCrisis), from, to, nil) || hitIn(v.hitsOf(crisisSignals.set), from, to, crisisAnchors)
}

// Words that make distress an everyday one when the rules saw nothing:
// what keeps the writer going, and a break wished for a while.
var (
	keepsGoingEN []pattern
	keepsGoingFR []pattern
	aBreakEN     []pattern
	aBreakFR     []pattern
)

// crisisDeath are the signal classes that keep a reading serious whatever
// else the text says: death, a means, a farewell, preparations, harm.
var crisisDeath = map[string]bool{"death": true, "means": true, "farewell": true, "prep": true, "harm": true, "took": true, "decided": true}

func crisisEveryday(v *view, w modelWindow) string {
	// serious: a word of death or harm in the window outside [s, e).
	serious := func(s, e int) bool {
		for _, h := range v.hitsOf(crisisSignals.set) {
			if h.from >= w.from && h.to <= w.to && crisisDeath[h.r.category] && (h.to <= s || h.from >= e) {
				return true
			}
		}
		return false
	}
	keeps, brk, lang, negators := keepsGoingEN, aBreakEN, "en", negatorsEN
	if v.language() == "fr" {
		keeps, brk, lang, negators = keepsGoingFR, aBreakFR, "fr", negatorsFR
	}
	// "nothing keeps me going", "used to keep me going" say the opposite.
	said := func(ps []pattern) bool {
		for _, p := range ps {
			from := w.from
			for {
				s, e, ok := v.find(p, lang, from, w.to)
				if !ok {
					break
				}
				if _, neg := v.any(negators, lang, max(s-3, w.from), s); !neg && !(s > 0 && v.toks[s-1].word == "used") && !(s > 1 && v.toks[s-2].word == "used") && !serious(s, e) {
					return true
				}
				from = s + 1
			}
		}
		return false
	}
	switch {
	case said(keeps):
		return "the writer names what keeps them going"
	case said(brk):
		return "a break wished for a while"
	}
	return ""
}

func urgentAnchored(v *view, from, to int) bool {
	return hitIn(v.hitsOf(setUrgent), from, to, nil) || hitIn(v.hitsOf(urgentSignals.set), from, to, nil) ||
		hitIn(v.glucoseValues(), from, to, nil) || hitIn(feverValues(v), from, to, nil) || hitIn(lowSugarValues(v), from, to, nil)
}

// judge combines the rules' findings with the model's reading.
func (dm *detectorModel) judge(v *view, found []Finding) []Finding {
	if dm == nil || len(v.toks) == 0 {
		return found
	}
	max := LevelNone
	low := dm.low
	for _, f := range found {
		if f.Level > max {
			max = f.Level
		}
		if f.Level == LevelLow && f.Context == "negated" {
			// "I'm not suicidal, just worn out": the writer said so; the
			// model needs to be nearly sure to read it otherwise.
			low = negatedLow
		}
	}
	w := dm.fire.best(v, readTokens)
	var stretch modelWindow // the most worrying short stretch of a long post
	if max >= LevelLow && w.p < low && len(v.toks) > mentionTokens {
		// What the rules saw may be one sentence of a long post.
		stretch = dm.fire.best(v, mentionTokens)
		if max == LevelLow && stretch.p >= dm.mention && stretch.p >= low {
			w = stretch
		}
	}
	switch {
	case max >= LevelMedium:
		if w.p < dm.veto && stretch.p < dm.keep {
			for i := range found {
				if found[i].Level >= LevelMedium {
					found[i].Level, found[i].Context, found[i].Score = LevelLow, vetoContext, w.p
				}
			}
		}
		return found
	case max == LevelLow && w.p < low, max == LevelNone && w.p < dm.silent:
		return found
	case max == LevelNone && w.p < dm.bare && dm.anchored != nil && !dm.anchored(v, w.from, w.to):
		return found
	case max == LevelNone && len(v.toks) < minModelWords:
		// A few words are too little for the model alone ("now it
		// fits"): the rules read short texts.
		return found
	}
	cat := dm.category(v, w)
	// The model alone says a text is worrying, never that it is
	// imminent: high (every moderator on duty alerted at once) needs a
	// rule or a combination of signals, except for urgent symptoms, where
	// medium and high lead to the same guidance.
	level := LevelMedium
	if dm.detector == DetectorUrgent && w.p >= dm.highAt {
		level = LevelHigh
	}
	f := Finding{Detector: dm.detector, Category: cat, Level: level, Spans: dm.fire.evidence(v, w, 3), Rule: dm.detector + ".model", Score: w.p}
	if dm.lower != nil {
		if ctx := dm.lower(v, w); ctx != "" {
			f.Level, f.Context = LevelLow, ctx
		}
	}
	return mergeFinding(found, f)
}

// category picks the category whose model reads the window highest.
func (dm *detectorModel) category(v *view, w modelWindow) string {
	seen := getSeenSet()
	defer putSeenSet(seen)
	best, bestP := dm.categories[0], float32(-1)
	for i, m := range dm.perCat {
		if p := m.scoreRange(v, w.from, w.to, seen); p > bestP {
			best, bestP = dm.categories[i], p
		}
	}
	return best
}

var trained struct {
	once           sync.Once
	crisis, urgent *detectorModel
}

// Warm builds the rule tables and reads the stored models now rather
// than on the first text (tens of milliseconds); servers call it in the
// background as they start.
func Warm() {
	rules()
	trained.once.Do(loadAll)
}

func crisisModel() *detectorModel { Warm(); return trained.crisis }
func urgentModel() *detectorModel { Warm(); return trained.urgent }

// trainStored trains the models stored in models.bin, one per stored
// detector (see weights.go).
func trainStored() []*detectorModel {
	var out []*detectorModel
	for _, d := range storedDetectors {
		out = append(out, trainDetector(d.name, *d.th))
	}
	return out
}

// trainDetector trains one detector's models on the development corpus.
func trainDetector(detector string, th detectorModel) *detectorModel {
	ex, err := Corpus("dev", detector)
	if err != nil {
		panic("safety: " + err.Error()) // the corpus is embedded: cannot happen in a built binary
	}
	return newDetectorModel(detector, th, append(append(ex, borrowedNegatives(detector)...), everydayTexts()...), nil)
}

// newDetector is a detector's thresholds and context checks, without its
// models yet.
func newDetector(detector string, th detectorModel) *detectorModel {
	dm := th
	dm.detector = detector
	dm.anchored, dm.lower = crisisAnchored, crisisEveryday
	if detector == DetectorUrgent {
		dm.anchored, dm.lower = urgentAnchored, nil
	}
	return &dm
}

// newDetectorModel trains a detector's models on the examples and sets
// its thresholds and context checks.
func newDetectorModel(detector string, th detectorModel, train []Example, fc featureCache) *detectorModel {
	dm := newDetector(detector, th)
	dm.fire, dm.categories, dm.perCat = trainModels(train, defaultTrain, fc)
	return dm
}

// borrowedNegatives are the other detector's development texts that are
// plainly not this detector's business, as more examples of what must not
// fire: ordinary health talk ("chest flutter when lying down") for the
// crisis model; everyday posts, idioms, grief and mentions for the urgent
// one. Left out: poisonings and overdoses (one may be taken on purpose)
// for crisis, every crisis a detector should fire on for urgent (pills
// taken are an emergency too).
func borrowedNegatives(detector string) []Example {
	ex, err := Corpus("dev", otherDetector(detector))
	if err != nil {
		panic("safety: " + err.Error())
	}
	return borrowedFrom(detector, ex)
}

// everydayTexts are ordinary forum posts and replies (corpus files
// everyday*.tsv): neither detector may fire on them. A forum is mostly
// this, and models that only ever saw look-alikes read a plain "None of
// them is a verdict on you" as despair.
func everydayTexts() []Example {
	ex, err := Corpus("dev", "everyday")
	if err != nil {
		return nil // no such files: nothing to add
	}
	for i := range ex {
		ex[i].Fire = false
	}
	return ex
}

func otherDetector(detector string) string {
	if detector == DetectorUrgent {
		return DetectorCrisis
	}
	return DetectorUrgent
}

// borrowedFrom keeps the texts of the other detector's examples that may
// serve as this detector's negatives.
func borrowedFrom(detector string, ex []Example) []Example {
	var out []Example
	for _, e := range ex {
		if (detector == DetectorUrgent && e.Fire) || (detector == DetectorCrisis && e.Category == "poisoning_overdose") {
			continue
		}
		out = append(out, Example{Text: e.Text, Lang: e.Lang, Category: "borrowed"})
	}
	return out
}

// modelSets compiles this file's pattern and word sets (see compileSets).
func modelSets() {
	keepsGoingEN = patterns("en", "keep|keeps|keeping me going", "get|gets|getting me through", "what keeps me going", "reason|reasons i keep going|get_up")
	keepsGoingFR = patterns("fr", "me font|fait|faire tenir", "me tient|tiennent|tenir debout", "me donne|donnent la force", "me fait|font avancer")
	aBreakEN = patterns("en", "sleep|disappear|vanish|hide|escape|away ...3 for a|one|two|few|couple ...2 week|weeks|weekend|day|days|month|months|while|hours", "sleep|disappear|vanish|hide ...3 until monday|tomorrow|spring|summer|it_is_over")
	aBreakFR = patterns("fr", "dormir|disparaitre|partir|cacher|fuir ...4 pendant|pour une|un|deux|quelques semaine|semaines|mois|jours|jour|weekend|week", "dormir|disparaitre|partir ...3 jusqu a lundi|demain")
}
