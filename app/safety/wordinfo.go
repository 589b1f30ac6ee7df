package safety

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// wordInfo is what the rule tables know of one written word, per
// language: its stem, the rules it can start (as a word, as a stem, and as
// the second word of a rule that starts with a common one) and its
// lexicon entries. Worked out once per distinct word and kept across
// texts, so reading a token costs one lookup instead of one per table.
type wordInfo struct {
	stem [2]string
	// at: the rules that may start at this word (as a word, a stem or a
	// prefix);
	// before: the rules that start with a common word and have this one
	// second, so they are tried one word earlier. Each rule once.
	at, before       [2][]int
	lexWord, lexStem [2]int32 // -1: not in the lexicon
	// personalKeys are the personal-data keywords the word starts with
	// (numbers in personalKeys).
	personalKeys []uint8
	// english, french: one of the language's common words.
	english, french bool
	// What the model reads of the word (its stem; "#" for a number), its
	// unigram feature, and the hash of a bigram it starts before the
	// second word is added (see featureBigram).
	model       [2]string
	uni, biHead [2]uint32
}

// wordCache keeps what was worked out for every word read so far (up to
// maxWordInfos words). Readers look words up in a published map that is
// never written again, without a lock; new words go to a small map behind
// the lock, which is published with the others once it has grown.
type wordCache[T any] struct {
	read  atomic.Pointer[map[string]T]
	mu    sync.Mutex
	dirty map[string]T
	// misses counts the words found among the new ones since the last
	// publication.
	misses int
	// published, if set, is told of each newly published map.
	published func(map[string]T)
}

// maxWordInfos bounds each cache; words past it are worked out each time.
// An entry costs about 270 bytes (both caches together, measured with the
// training corpus's 15,000 words), so the bound keeps the caches near 20
// MB however varied a forum's writing; the first words seen, which stay,
// are mostly the frequent ones.
const maxWordInfos = 40000

func newWordCache[T any]() *wordCache[T] {
	c := &wordCache[T]{dirty: map[string]T{}}
	c.read.Store(&map[string]T{})
	return c
}

var (
	wordInfos  = newWordCache[*wordInfo]()
	plainWords = func() *wordCache[*plainWord] {
		c := newWordCache[*plainWord]()
		c.published = func(m map[string]*plainWord) { plainTable.Store(newWordTable(m)) }
		return c
	}()
)

// snapshot is the published map (a text loads it once).
func (c *wordCache[T]) snapshot() map[string]T { return *c.read.Load() }

// slow looks key up among the new words, adding what work makes of it
// when it is not there. key is often a piece of a text: it is copied, so
// the cache does not keep whole texts alive.
func (c *wordCache[T]) slow(key string, work func() T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	read := c.snapshot()
	if x, ok := read[key]; ok {
		return x
	}
	x, ok := c.dirty[key]
	if ok {
		c.misses++
	} else {
		x = work()
		if len(read)+len(c.dirty) >= maxWordInfos {
			return x
		}
		c.dirty[strings.Clone(key)] = x
	}
	// Publish once the new words are a fair share of the old, or are
	// asked for often: copying the map costs about as much as that many
	// lookups behind the lock.
	if len(c.dirty) >= len(read)/4+64 || c.misses >= len(read)/2+256 {
		c.misses = 0
		next := make(map[string]T, len(read)+len(c.dirty))
		for k, v := range read {
			next[k] = v
		}
		for k, v := range c.dirty {
			next[k] = v
		}
		c.read.Store(&next)
		c.dirty = map[string]T{}
		if c.published != nil {
			c.published(next)
		}
	}
	return x
}

// wordInfoOf is the wordInfo of a normalised word.
func wordInfoOf(known map[string]*wordInfo, word string, num bool) *wordInfo {
	key := word
	if num {
		key = "\x00" + word // a number is never stemmed
	}
	if wi, ok := known[key]; ok {
		return wi
	}
	return wordInfos.slow(key, func() *wordInfo { return newWordInfo(strings.Clone(word), num) })
}

// info is token i's wordInfo (looked up once per token).
func (v *view) info(i int) *wordInfo {
	t := &v.toks[i]
	if t.wi == nil {
		if v.known == nil {
			v.known = wordInfos.snapshot()
		}
		t.wi = wordInfoOf(v.known, t.word, t.num)
	}
	return t.wi
}

func newWordInfo(w string, num bool) *wordInfo {
	wi := &wordInfo{}
	rs := rules() // enters the tables' words before the lexicon freezes
	lx := theLexicon
	lx.frozen.Store(true)
	for l, lang := range [2]string{"en", "fr"} {
		st := w
		if !num && len(w) > 2 {
			st = stemmerFor(lang)(w)
		}
		wi.stem[l] = st
		wi.at[l] = union(rs.byWord[l][w], rs.byStem[l][st], prefixRulesOf(rs, w, lang))
		wi.before[l] = union(rs.byWord1[l][w], rs.byStem1[l][st], nil)
		wi.model[l] = st
		if num {
			wi.model[l] = "#"
		}
		wi.uni[l] = featureUnigram(wi.model[l])
		wi.biHead[l] = hashAdd(hashAdd(fnvOffset, "b"), wi.model[l]) ^ ' '
		wi.lexWord[l], wi.lexStem[l] = -1, -1
		if x, ok := lx.words[l][w]; ok {
			wi.lexWord[l] = x
		}
		if x, ok := lx.stems[l][st]; ok {
			wi.lexStem[l] = x
		}
	}
	wi.english, wi.french = englishWords[w], frenchWords[w]
	for x, k := range personalKeys {
		if alnum(k) && strings.HasPrefix(w, k) {
			wi.personalKeys = append(wi.personalKeys, uint8(x))
		}
	}
	return wi
}

// prefixRulesOf lists the rules of lang whose first word is a prefix w
// starts with.
func prefixRulesOf(rs *ruleSet, w, lang string) []int {
	var out []int
	for _, p := range rs.prefix {
		if p.lang == lang && strings.HasPrefix(w, p.prefix) {
			out = append(out, p.rule)
		}
	}
	return out
}

// union lists the rules of a, b and c, each once, in order.
func union(a, b, c []int) []int {
	out := slices.Concat(a, b, c)
	slices.Sort(out)
	return slices.Compact(out)
}

// plainWord is what a written word without digits becomes (see
// appendWord): its tokens' words, each with its wordInfo.
type plainWord struct {
	key   string // the written word, lower-cased
	words []string
	infos []*wordInfo
}

func newPlainWord(lower string) *plainWord {
	pw := &plainWord{key: strings.Clone(lower)}
	for _, t := range appendWord(nil, lower, 0, 0, 0) {
		w := strings.Clone(t.word)
		pw.words = append(pw.words, w)
		pw.infos = append(pw.infos, wordInfoOf(wordInfos.snapshot(), w, t.num))
	}
	return pw
}

// appendTo adds the word's tokens.
func (pw *plainWord) appendTo(out []token, start, end, sentence int) []token {
	for k, w := range pw.words {
		out = append(out, token{word: w, start: start, end: end, sentence: sentence, wi: pw.infos[k]})
	}
	return out
}
