// Package questions routes members' private questions to verified
// clinicians: offers with deadlines, the open pool, the conversation,
// ratings and publishing an anonymised copy.
package questions

import (
	"sort"
	"time"
)

// Candidate is one clinician as routing sees them.
type Candidate struct {
	ID            int64
	Verified      bool      // holds a verification now
	VerifiedUntil time.Time // when it ends
	Accepting     bool      // takes private questions
	Specialties   []string
	Open          int // questions offered to or held by them now
	Cap           int // their limit on open questions
	LastOfferAt   time.Time
	OfferedBefore bool // this question was offered to them already
}

// Need is what a question asks of a clinician.
type Need struct {
	AskerID     int64
	Specialties []string // any one of them; empty means any specialty
	Now         time.Time
}

// Eligible says whether c may be offered (or claim) a question with need n.
func Eligible(c Candidate, n Need) bool {
	if c.ID == n.AskerID || !c.Verified || !c.VerifiedUntil.After(n.Now) || !c.Accepting || c.OfferedBefore || c.Open >= c.Cap {
		return false
	}
	if len(n.Specialties) == 0 {
		return true
	}
	for _, want := range n.Specialties {
		for _, have := range c.Specialties {
			if want == have {
				return true
			}
		}
	}
	return false
}

// Route picks the clinician to offer the question to: among the eligible,
// the one with the fewest open questions, then the one whose last offer is
// oldest (never offered counts as oldest), then the lowest id. ok is false
// when nobody is eligible.
func Route(cands []Candidate, n Need) (chosen Candidate, ok bool) {
	eligible := make([]Candidate, 0, len(cands))
	for _, c := range cands {
		if Eligible(c, n) {
			eligible = append(eligible, c)
		}
	}
	if len(eligible) == 0 {
		return Candidate{}, false
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
	return eligible[0], true
}
