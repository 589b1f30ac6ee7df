package safety

import (
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"
)

// A pattern is a sequence of elements matched against consecutive tokens
// of one sentence. Written as words separated by spaces:
//
//	want|wish to? die|dead      alternatives, an optional word
//	end my life|self            stems: "ending", "ended" match "end"
//	suicid*                     a prefix
//	=od                         this exact word, not its stem
//	*                           any one word
//	...   ...5                  up to 3 (or 5) words of anything
type pattern struct {
	src   string
	elems []elem
}

type elem struct {
	alts     []alt
	optional bool
	any      bool // one word of anything
	gap      int  // up to gap words of anything (a "..." element)
	// Elements with many alternatives look single words up in maps
	// instead of comparing them one by one.
	set *elemSet
	id  int32 // for a pattern's first element: its number (see startsOf)
}

type elemSet struct {
	words map[string]bool // exact words and plain words
	stems map[string]bool
	other []alt // prefixes and phrases
}

// indexAlts builds an element's set when it has enough alternatives to be
// worth it.
func (e *elem) indexAlts() {
	if len(e.alts) < 4 {
		return
	}
	set := &elemSet{words: map[string]bool{}, stems: map[string]bool{}}
	for _, a := range e.alts {
		switch {
		case len(a.seq) > 0 || a.prefix:
			set.other = append(set.other, a)
		case a.exact:
			set.words[a.word] = true
		default:
			set.words[a.word] = true
			set.stems[a.stem] = true
		}
	}
	e.set = set
}

type alt struct {
	word   string // normalised
	stem   string // in the pattern's language
	prefix bool
	exact  bool
	seq    []alt // a phrase written with underscores: will_not_wake
	// The lexicon entries of word and stem, per language (-1: none).
	wordID, stemID [2]int32
}

type stemmer func(string) string

func stemEN(w string) string { return english.Stem(w, true) }
func stemFR(w string) string { return french.Stem(w, true) }

func stemmerFor(lang string) stemmer {
	if lang == "fr" {
		return stemFR
	}
	return stemEN
}

// compile parses a pattern for lang ("en" or "fr").
func compile(src, lang string) pattern {
	st := stemmerFor(lang)
	p := pattern{src: src}
	for _, piece := range strings.Fields(src) {
		var e elem
		switch {
		case strings.HasPrefix(piece, "..."):
			e.gap = 3
			if n, err := strconv.Atoi(piece[3:]); err == nil {
				e.gap = n
			}
		case piece == "*":
			e.any = true
		default:
			if strings.HasSuffix(piece, "?") && len(piece) > 1 {
				e.optional = true
				piece = strings.TrimSuffix(piece, "?")
			}
			for _, a := range strings.Split(piece, "|") {
				if strings.Contains(a, "_") {
					var x alt
					for _, w := range strings.Split(a, "_") {
						x.seq = append(x.seq, compile(w, lang).elems[0].alts[0])
					}
					x.wordID, x.stemID = theLexicon.enterAlt(x) // none: a phrase
					e.alts = append(e.alts, x)
					continue
				}
				var x alt
				if strings.HasPrefix(a, "=") {
					x.exact, a = true, a[1:]
				}
				if strings.HasSuffix(a, "*") {
					x.prefix, a = true, strings.TrimSuffix(a, "*")
				}
				x.word = fold(a)
				if e, ok := elisions[x.word]; ok && lang == "fr" {
					x.word = e // patterns write "c est", texts say "c'est" → ce est
				}
				if !x.exact && !x.prefix {
					x.stem = st(x.word)
				}
				x.wordID, x.stemID = theLexicon.enterAlt(x)
				e.alts = append(e.alts, x)
			}
		}
		e.indexAlts()
		if len(p.elems) == 0 {
			e.id = elemCount.Add(1) - 1
		}
		p.elems = append(p.elems, e)
	}
	return p
}

// view is a text's tokens with their stems, worked out on demand. The
// views of Analyze and Detect come from a pool and keep their buffers
// between texts (see getView): a field worked out once per text says so
// with its ready flag, not by being nil.
type view struct {
	text string
	toks []token
	// Worked out once per text.
	bySet       [][]hit
	hitsReady   bool
	langs       []string
	langsReady  bool
	en0, fr0    int
	sents       [][2]int
	sentsReady  bool
	sentOf      []int32 // token → its sentence's index (when sentOfReady)
	sentOfReady bool
	glucose     []int
	youMemo     map[[3]int]bool
	uni, bi     []uint32 // the model's features
	idsReady    bool
	known       map[string]*wordInfo // the word cache as published when the text was read
	spanMemo    map[spanKey]bool
	anyMemo     map[anyKey]anyResult
	// starts[elem.id*2+lang] is where a pattern's first element stands
	// (arena[from:to]), valid when its gen is the view's.
	starts []startsEntry
	gen    uint32
	// occ lists where each lexicon entry stands (see startsOf); touched
	// are the entries with a list, occReady says it is built.
	occ      [][]int32
	touched  []int32
	occReady bool
	// Scratch for one call at a time: matchRules, readSignals, startsOf.
	done   []int32
	bits   []uint64
	hitBuf []hit
	per    [][]int32
	arena  []int32
	// personal's buffers.
	lower    []byte
	chunks   []chunk
	keyState []int8
	// keyAt[key] lists where a keyword stands in lower (when keyAtReady).
	keyAt      [][]int32
	keyAtReady []bool
	keyIn      []bool
}

func newView(toks []token) *view {
	rules() // the tables and sets a view reads
	return &view{toks: toks}
}

func newTextView(text string) *view {
	v := newView(tokenize(text))
	v.text = text
	return v
}

// views keeps a few warm views. Not a sync.Pool: that one is emptied at
// every garbage collection, and a fresh view's buffers (a list per
// lexicon entry, the token and hit tables) cost more to build than a
// whole analysis.
var views = make(chan *view, 2*runtime.GOMAXPROCS(0)+2)

// getView is a pooled view of text; give it back with putView once
// nothing it returned refers to its buffers.
func getView(text string) *view {
	var v *view
	select {
	case v = <-views:
	default:
		v = &view{}
	}
	rules() // the tables and sets a view reads
	v.text = text
	v.toks = tokenizeInto(v.toks[:0], text)
	return v
}

// maxPooledTokens: views of longer texts are not kept.
const maxPooledTokens = 1 << 16

func putView(v *view) {
	if cap(v.toks) > maxPooledTokens {
		return
	}
	v.text = ""
	v.hitsReady, v.langsReady, v.sentsReady, v.idsReady, v.sentOfReady = false, false, false, false, false
	v.glucose = v.glucose[:0]
	clear(v.youMemo)
	clear(v.spanMemo)
	clear(v.anyMemo)
	v.gen++
	v.arena = v.arena[:0]
	if v.occReady {
		for _, x := range v.touched {
			v.occ[x] = v.occ[x][:0]
		}
		v.touched = v.touched[:0]
		v.occReady = false
	}
	v.known = nil
	select {
	case views <- v:
	default: // enough are kept
	}
}

// resize returns s with length n and every element zero, reusing its
// storage when it is large enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// stem is token i's stem in lang (its wordInfo's).
func (v *view) stem(i int, lang string) string {
	return v.info(i).stem[langIndex(lang)]
}

// matchAltAt matches one alternative (a word or a phrase) at token i and
// returns how many tokens it covers (0: no match).
func (v *view) matchAltAt(a alt, i, limit int, lang string) int {
	if len(a.seq) == 0 {
		if v.matchAlt(a, i, lang) {
			return 1
		}
		return 0
	}
	if i+len(a.seq) > limit {
		return 0
	}
	for k, w := range a.seq {
		if !v.matchAlt(w, i+k, lang) {
			return 0
		}
	}
	return len(a.seq)
}

func (v *view) matchAlt(a alt, i int, lang string) bool {
	if len(a.seq) > 0 {
		return v.matchAltAt(a, i, len(v.toks), lang) > 0
	}
	w := v.toks[i].word
	switch {
	case a.exact:
		return w == a.word
	case a.prefix:
		return strings.HasPrefix(w, a.word)
	}
	return w == a.word || v.stem(i, lang) == a.stem
}

// find returns the first match of p within tokens [from, to) starting at
// or after from: the token range it covers. When the pattern starts with
// plain words, only the places those words stand are tried.
func (v *view) find(p pattern, lang string, from, to int) (int, int, bool) {
	if starts, ok := v.startsOf(p, lang); ok {
		i := sort.Search(len(starts), func(k int) bool { return int(starts[k]) >= from })
		for ; i < len(starts) && int(starts[i]) < to; i++ {
			if end, ok := v.matchAt(p.elems, lang, int(starts[i]), to); ok {
				return int(starts[i]), end, true
			}
		}
		return 0, 0, false
	}
	for s := from; s < to; s++ {
		if end, ok := v.matchAt(p.elems, lang, s, to); ok {
			return s, end, true
		}
	}
	return 0, 0, false
}

// startsOf lists, in order, the tokens where p's first element can match
// (remembered per text and pattern); ok is false when that cannot be told
// from the text's words (an optional first word, a gap, a prefix).
func (v *view) startsOf(p pattern, lang string) ([]int32, bool) {
	if len(p.elems) == 0 {
		return nil, false
	}
	e := &p.elems[0]
	if e.optional || e.gap > 0 || e.any || len(e.alts) == 0 {
		return nil, false
	}
	slot := int(e.id)*2 + langIndex(lang)
	if slot < len(v.starts) && v.starts[slot].gen == v.gen+1 {
		m := v.starts[slot]
		return v.arena[m.from:m.to:m.to], true
	}
	for _, a := range e.alts {
		if len(a.seq) > 0 {
			a = a.seq[0]
		}
		if a.prefix {
			return nil, false
		}
	}
	v.buildOcc()
	l := langIndex(lang)
	from := len(v.arena)
	for _, a := range e.alts {
		if len(a.seq) > 0 {
			a = a.seq[0]
		}
		if x := a.wordID[l]; x >= 0 {
			v.arena = append(v.arena, v.occ[x]...)
		}
		if x := a.stemID[l]; x >= 0 && !a.exact {
			v.arena = append(v.arena, v.occ[x]...)
		}
	}
	out := v.arena[from:]
	slices.Sort(out)
	out = slices.Compact(out)
	v.arena = v.arena[:from+len(out)]
	out = out[:len(out):len(out)]
	if n := int(elemCount.Load()) * 2; len(v.starts) < n {
		v.starts = append(v.starts, make([]startsEntry, n-len(v.starts))...)
	}
	v.starts[slot] = startsEntry{gen: v.gen + 1, from: int32(from), to: int32(from + len(out))}
	return out, true
}

// buildOcc lists, for every lexicon entry, the tokens where it stands
// (its word or its stem, in either language).
func (v *view) buildOcc() {
	if v.occReady {
		return
	}
	v.occReady = true
	rules() // the lexicon is complete only once the tables are built
	if n := theLexicon.n; len(v.occ) < n {
		v.occ = append(v.occ, make([][]int32, n-len(v.occ))...)
	}
	for i := range v.toks {
		wi := v.info(i)
		for l := range 2 {
			for _, x := range [2]int32{wi.lexWord[l], wi.lexStem[l]} {
				if x < 0 {
					continue
				}
				if len(v.occ[x]) == 0 {
					v.touched = append(v.touched, x)
				}
				v.occ[x] = append(v.occ[x], int32(i))
			}
		}
	}
}

type startsEntry struct {
	gen      uint32
	from, to int32
}

// elemCount numbers the elements that start a pattern (elem.id).
var elemCount atomic.Int32

// matchAt matches elems at token i (within the limit), backtracking over
// optional elements and gaps; it returns the end of the match.
func (v *view) matchAt(elems []elem, lang string, i, limit int) (int, bool) {
	if len(elems) == 0 {
		return i, true
	}
	e := elems[0]
	switch {
	case e.gap > 0:
		for k := 0; k <= e.gap && i+k <= limit; k++ {
			if end, ok := v.matchAt(elems[1:], lang, i+k, limit); ok {
				return end, true
			}
		}
		return 0, false
	case e.any:
		if i >= limit {
			return 0, false
		}
		return v.matchAt(elems[1:], lang, i+1, limit)
	}
	if i < limit {
		if e.set != nil {
			w := v.toks[i].word
			if e.set.words[w] || (len(e.set.stems) > 0 && e.set.stems[v.stem(i, lang)]) {
				if end, ok := v.matchAt(elems[1:], lang, i+1, limit); ok {
					return end, true
				}
			}
			for _, a := range e.set.other {
				if n := v.matchAltAt(a, i, limit, lang); n > 0 {
					if end, ok := v.matchAt(elems[1:], lang, i+n, limit); ok {
						return end, true
					}
				}
			}
		} else {
			for _, a := range e.alts {
				if n := v.matchAltAt(a, i, limit, lang); n > 0 {
					if end, ok := v.matchAt(elems[1:], lang, i+n, limit); ok {
						return end, true
					}
				}
			}
		}
	}
	if e.optional {
		return v.matchAt(elems[1:], lang, i, limit)
	}
	return 0, false
}

// wordSet is a list of words to look for anywhere in a span, read as
// maps: the words themselves, their stems (per language), prefixes.
type wordSet struct {
	words    map[string]bool
	stems    [2]map[string]bool // en, fr
	prefixes []string
	seqs     []alt
	// The lexicon entries of the words (as English words) and of the
	// stems (per language), as bits: a token is looked up through its
	// wordInfo's entries instead of by string.
	wordBits, stemBits [2][]uint64
	// seqFirst holds the entries (as English words and stems) a phrase's
	// first word can match; seqAnyFirst: some phrase starts with a prefix,
	// so every phrase is tried.
	seqFirst    []uint64
	seqAnyFirst bool
}

// index fills the set's bits from its words and stems.
func (s *wordSet) index() *wordSet {
	lx := theLexicon
	set := func(bits *[]uint64, x int32) {
		if x < 0 {
			return
		}
		for int(x)>>6 >= len(*bits) {
			*bits = append(*bits, 0)
		}
		(*bits)[x>>6] |= 1 << (x & 63)
	}
	for w := range s.words {
		set(&s.wordBits[0], lx.words[0][w])
	}
	for l := range s.stems {
		for st := range s.stems[l] {
			set(&s.stemBits[l], lx.stems[l][st])
		}
	}
	s.seqFirst, s.seqAnyFirst = nil, false
	for _, a := range s.seqs {
		first := a.seq[0]
		if first.prefix {
			s.seqAnyFirst = true
			continue
		}
		set(&s.seqFirst, first.wordID[0])
		if !first.exact {
			set(&s.seqFirst, first.stemID[0])
		}
	}
	return s
}

// hasBit: entry x (-1: none) is among bits.
func hasBit(bits []uint64, x int32) bool {
	return x >= 0 && int(x>>6) < len(bits) && bits[x>>6]&(1<<(x&63)) != 0
}

func langIndex(lang string) int {
	if lang == "fr" {
		return 1
	}
	return 0
}

// words compiles single words (with the pattern syntax of one element).
func words(lang string, src ...string) *wordSet {
	s := &wordSet{words: map[string]bool{}, stems: [2]map[string]bool{{}, {}}}
	for _, x := range src {
		for _, e := range compile(x, lang).elems {
			for _, a := range e.alts {
				switch {
				case len(a.seq) > 0:
					s.seqs = append(s.seqs, a)
				case a.prefix:
					s.prefixes = append(s.prefixes, a.word)
				case a.exact:
					s.words[a.word] = true
				default:
					s.words[a.word] = true
					s.stems[langIndex(lang)][a.stem] = true
				}
			}
		}
	}
	return s.index()
}

// merge joins two word sets (English and French words of one kind).
func (s *wordSet) merge(o *wordSet) *wordSet {
	out := &wordSet{words: map[string]bool{}, stems: [2]map[string]bool{{}, {}}}
	for _, x := range []*wordSet{s, o} {
		for w := range x.words {
			out.words[w] = true
		}
		for l := range x.stems {
			for w := range x.stems[l] {
				out.stems[l][w] = true
			}
		}
		out.prefixes = append(out.prefixes, x.prefixes...)
		out.seqs = append(out.seqs, x.seqs...)
	}
	return out.index()
}

func (v *view) inSet(set *wordSet, i int) bool {
	w := v.toks[i].word
	wi := v.info(i)
	if hasBit(set.wordBits[0], wi.lexWord[0]) {
		return true
	}
	// Stems only in the languages the text is read in: a French stem of
	// an English word says nothing.
	en, fr := v.readsIn()
	if en && hasBit(set.stemBits[0], wi.lexStem[0]) {
		return true
	}
	if fr && hasBit(set.stemBits[1], wi.lexStem[1]) {
		return true
	}
	for _, p := range set.prefixes {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	// Phrases (matched with English stems), only where the first word
	// of one of them can stand.
	if len(set.seqs) > 0 && (set.seqAnyFirst || hasBit(set.seqFirst, wi.lexWord[0]) || hasBit(set.seqFirst, wi.lexStem[0])) {
		for _, a := range set.seqs {
			if v.matchAltAt(a, i, len(v.toks), "") > 0 {
				return true
			}
		}
	}
	return false
}

// any reports whether one of the words stands in tokens [from, to), and
// where.
func (v *view) any(set *wordSet, _ string, from, to int) (int, bool) {
	if from < 0 {
		from = 0
	}
	if to > len(v.toks) {
		to = len(v.toks)
	}
	// Remembered per text: a dense post asks the same words of the same
	// sentences for every hit in them.
	key := anyKey{set, from, to}
	if r, ok := v.anyMemo[key]; ok {
		return r.at, r.found
	}
	at, found := 0, false
	for i := from; i < to; i++ {
		if v.inSet(set, i) {
			at, found = i, true
			break
		}
	}
	if v.anyMemo == nil {
		v.anyMemo = map[anyKey]anyResult{}
	}
	v.anyMemo[key] = anyResult{at, found}
	return at, found
}

type anyKey struct {
	set      *wordSet
	from, to int
}

type anyResult struct {
	at    int
	found bool
}

// readsIn says which languages the text is read in (see languages).
func (v *view) readsIn() (en, fr bool) {
	for _, l := range v.languages() {
		if l == "fr" {
			fr = true
		} else {
			en = true
		}
	}
	return en, fr
}
