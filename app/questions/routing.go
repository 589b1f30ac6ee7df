// Package questions routes members' private questions to verified
// clinicians: offers with deadlines, the open pool, the conversation,
// ratings and publishing an anonymised copy.
package questions

import (
	"sort"
	"time"
)

// Level is how closely a clinician matches a question, along the fallback
// chain: the requested specialty, then the forum's specialties, then
// clinicians who take general questions, then anyone taking questions.
// Routing offers a question at the closest level where somebody is
// eligible, so no question waits for a specialty nobody covers.
type Level int

// The fallback chain, closest first.
const (
	LevelSpecialty  Level = 1 // the specialty the asker chose
	LevelForum      Level = 2 // one of the forum's specialties
	LevelGeneralist Level = 3 // opted in to general questions
	LevelAnyone     Level = 4 // anyone taking questions
)

// Label names the level for clinicians' pool lists.
func (l Level) Label() string {
	switch l {
	case LevelSpecialty:
		return "the specialty asked for"
	case LevelForum:
		return "a specialty of the condition"
	case LevelGeneralist:
		return "a general question"
	}
	return "outside your specialties"
}

// Candidate is one clinician as routing sees them.
type Candidate struct {
	ID            int64
	Verified      bool      // holds a verification now
	VerifiedUntil time.Time // when it ends
	Accepting     bool      // takes private questions
	Generalist    bool      // takes questions outside their specialties
	Specialties   []string
	Open          int // questions offered to or held by them now
	Cap           int // their limit on open questions
	LastOfferAt   time.Time
	OfferedBefore bool // this question was offered to or held by them already
	Cooling       bool // and that ended within the cooling period
}

// Need is what a question asks of a clinician.
type Need struct {
	AskerID          int64
	Specialty        string   // the asker's choice; "" for none
	ForumSpecialties []string // the forum's
	Now              time.Time
}

// Matches reports the closest level at which c fits n.
func (n Need) Matches(c Candidate) Level {
	if n.Specialty == "" && len(n.ForumSpecialties) == 0 {
		return LevelSpecialty // no specialty asked for: everyone fits
	}
	if n.Specialty != "" && has(c.Specialties, n.Specialty) {
		return LevelSpecialty
	}
	for _, s := range n.ForumSpecialties {
		if has(c.Specialties, s) {
			return LevelForum
		}
	}
	if c.Generalist {
		return LevelGeneralist
	}
	return LevelAnyone
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Available says whether c may take a question with need n from the pool:
// verified now, taking questions, below their cap, not the asker, and not
// someone whose earlier offer of it ended within the cooling period.
func Available(c Candidate, n Need) bool {
	return c.ID != n.AskerID && c.Verified && c.VerifiedUntil.After(n.Now) && c.Accepting && c.Open < c.Cap && !c.Cooling
}

// Eligible says whether c may be offered a question directly: available,
// and never offered it before.
func Eligible(c Candidate, n Need) bool {
	return Available(c, n) && !c.OfferedBefore
}

// Closest is the closest level at which some candidate passes ok; 0 when
// nobody does.
func Closest(cands []Candidate, n Need, ok func(Candidate, Need) bool) Level {
	best := Level(0)
	for _, c := range cands {
		if !ok(c, n) {
			continue
		}
		if l := n.Matches(c); best == 0 || l < best {
			best = l
		}
	}
	return best
}

// Route picks the clinician to offer the question to: at the closest level
// of the fallback chain with anyone eligible, the one with the fewest open
// questions, then the one whose last offer is oldest (never offered counts
// as oldest), then the lowest id. ok is false when nobody is eligible.
func Route(cands []Candidate, n Need) (chosen Candidate, level Level, ok bool) {
	level = Closest(cands, n, Eligible)
	if level == 0 {
		return Candidate{}, 0, false
	}
	eligible := make([]Candidate, 0, len(cands))
	for _, c := range cands {
		if Eligible(c, n) && n.Matches(c) == level {
			eligible = append(eligible, c)
		}
	}
	sort.Slice(eligible, func(i, j int) bool {
		a, b := eligible[i], eligible[j]
		if a.Open != b.Open {
			return a.Open < b.Open
		}
		if !a.LastOfferAt.Equal(b.LastOfferAt) {
			return a.LastOfferAt.Before(b.LastOfferAt)
		}
		return a.ID < b.ID
	})
	return eligible[0], level, true
}
