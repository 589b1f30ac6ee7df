package safety

import "sync"

// wordInfo is what the rule tables know of one written word, per
// language: its stem, the rules it can start (as a word, as a stem, and as
// the second word of a rule that starts with a common one) and its
// lexicon entries. Worked out once per distinct word and kept across
// texts, so reading a token costs one lookup instead of one per table.
type wordInfo struct {
	stem             [2]string
	byWord, byStem   [2][]int
	byWord1, byStem1 [2][]int
	lexWord, lexStem [2]int32 // -1: not in the lexicon
}

type wordInfoCache struct {
	mu sync.RWMutex
	m  map[string]*wordInfo
}

// maxWordInfos bounds the cache; words past it are worked out each time.
const maxWordInfos = 200000

var wordInfos = &wordInfoCache{m: map[string]*wordInfo{}}

// info is token i's wordInfo (remembered per text).
func (v *view) info(i int) *wordInfo {
	if v.infos == nil {
		v.infos = make([]*wordInfo, len(v.toks))
	}
	if wi := v.infos[i]; wi != nil {
		return wi
	}
	t := v.toks[i]
	key := t.word
	if t.num {
		key = "\x00" + t.word // a number is never stemmed
	}
	c := wordInfos
	c.mu.RLock()
	wi, ok := c.m[key]
	c.mu.RUnlock()
	if !ok {
		wi = newWordInfo(t.word, t.num)
		c.mu.Lock()
		if len(c.m) < maxWordInfos {
			c.m[key] = wi
		}
		c.mu.Unlock()
	}
	v.infos[i] = wi
	return wi
}

func newWordInfo(w string, num bool) *wordInfo {
	wi := &wordInfo{}
	rs := allRules
	for l, lang := range [2]string{"en", "fr"} {
		st := w
		if !num && len(w) > 2 {
			st = stemmerFor(lang)(w)
		}
		wi.stem[l] = st
		wi.byWord[l] = rs.byWord[l][w]
		wi.byStem[l] = rs.byStem[l][st]
		wi.byWord1[l] = rs.byWord1[l][w]
		wi.byStem1[l] = rs.byStem1[l][st]
		wi.lexWord[l], wi.lexStem[l] = -1, -1
		if x, ok := rs.lex.words[l][w]; ok {
			wi.lexWord[l] = x
		}
		if x, ok := rs.lex.stems[l][st]; ok {
			wi.lexStem[l] = x
		}
	}
	return wi
}
