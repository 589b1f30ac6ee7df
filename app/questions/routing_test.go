package questions

import (
	"testing"
	"time"
)

func TestRouting(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	until := now.Add(30 * 24 * time.Hour)
	base := func(id int64, specs ...string) Candidate {
		return Candidate{ID: id, Verified: true, VerifiedUntil: until, Accepting: true, Specialties: specs, Cap: 5}
	}
	cardio := Need{AskerID: 99, Specialty: "cardiology", ForumSpecialties: []string{"cardiology", "vascular"}, Now: now}
	with := func(c Candidate, f func(*Candidate)) Candidate { f(&c); return c }
	cases := []struct {
		name  string
		cands []Candidate
		need  Need
		want  int64 // 0: nobody eligible
	}{
		{"the requested specialty first", []Candidate{base(1, "dermatology"), base(3, "vascular"), base(2, "oncology", "cardiology")}, cardio, 2},
		{"then the forum's specialties", []Candidate{base(1, "dermatology"), with(base(2, "dermatology"), func(c *Candidate) { c.Generalist = true }), base(3, "vascular")}, cardio, 3},
		{"then generalists", []Candidate{base(1, "dermatology"), with(base(2, "dermatology"), func(c *Candidate) { c.Generalist = true })}, cardio, 2},
		{"then anyone taking questions", []Candidate{base(5, "dermatology"), base(4, "oncology")}, cardio, 4},
		{"a closer level wins over a lighter load", []Candidate{with(base(1, "cardiology"), func(c *Candidate) { c.Open = 4 }), base(2, "dermatology")}, cardio, 1},
		{"a full specialist passes to the next level", []Candidate{with(base(1, "cardiology"), func(c *Candidate) { c.Open = 5 }), base(2, "dermatology")}, cardio, 2},
		{"any specialty when none is asked", []Candidate{base(3, "dermatology")}, Need{AskerID: 99, Now: now}, 3},
		{"cooling down after an earlier offer", []Candidate{with(base(1, "cardiology"), func(c *Candidate) { c.Cooling = true })}, cardio, 0},
		{"at the cap", []Candidate{with(base(1, "cardiology"), func(c *Candidate) { c.Open = 5 }), with(base(2, "cardiology"), func(c *Candidate) { c.Open = 4 })}, cardio, 2},
		{"already offered", []Candidate{with(base(1, "cardiology"), func(c *Candidate) { c.OfferedBefore = true }), base(2, "cardiology")}, cardio, 2},
		{"not accepting", []Candidate{with(base(1, "cardiology"), func(c *Candidate) { c.Accepting = false })}, cardio, 0},
		{"credential expired", []Candidate{with(base(1, "cardiology"), func(c *Candidate) { c.VerifiedUntil = now })}, cardio, 0},
		{"not verified", []Candidate{with(base(1, "cardiology"), func(c *Candidate) { c.Verified = false })}, cardio, 0},
		{"never the asker", []Candidate{base(99, "cardiology")}, cardio, 0},
		{"fewest open questions first", []Candidate{
			with(base(1, "cardiology"), func(c *Candidate) { c.Open = 2 }),
			with(base(2, "cardiology"), func(c *Candidate) { c.Open = 1; c.LastOfferAt = now }),
		}, cardio, 2},
		{"then longest since the last offer", []Candidate{
			with(base(1, "cardiology"), func(c *Candidate) { c.LastOfferAt = now.Add(-time.Hour) }),
			with(base(2, "cardiology"), func(c *Candidate) { c.LastOfferAt = now.Add(-2 * time.Hour) }),
			with(base(3, "cardiology"), func(c *Candidate) { c.LastOfferAt = now.Add(-30 * time.Minute) }),
		}, cardio, 2},
		{"never offered counts as longest", []Candidate{
			with(base(1, "cardiology"), func(c *Candidate) { c.LastOfferAt = now.Add(-48 * time.Hour) }),
			base(7, "cardiology"),
		}, cardio, 7},
		{"then the lowest id", []Candidate{base(9, "cardiology"), base(4, "cardiology"), base(6, "cardiology")}, cardio, 4},
		{"nobody at all", nil, cardio, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _, ok := Route(tc.cands, tc.need)
			if tc.want == 0 {
				if ok {
					t.Fatalf("routed to %d, want nobody", got.ID)
				}
				return
			}
			if !ok || got.ID != tc.want {
				t.Fatalf("routed to %d (ok %v), want %d", got.ID, ok, tc.want)
			}
		})
	}
}

// The ranking must not depend on the order candidates arrive in.
func TestRoutingIgnoresInputOrder(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	c := func(id int64, open int, last time.Duration) Candidate {
		return Candidate{ID: id, Verified: true, VerifiedUntil: now.Add(time.Hour), Accepting: true, Cap: 9, Open: open, LastOfferAt: now.Add(-last)}
	}
	a := []Candidate{c(5, 1, time.Hour), c(3, 1, time.Hour), c(8, 0, time.Minute), c(2, 0, time.Minute)}
	b := []Candidate{a[3], a[1], a[2], a[0]}
	ga, _, _ := Route(a, Need{AskerID: 1, Now: now})
	gb, _, _ := Route(b, Need{AskerID: 1, Now: now})
	if ga.ID != 2 || gb.ID != 2 {
		t.Fatalf("got %d and %d, want 2", ga.ID, gb.ID)
	}
}

// The pool sees earlier offerees once their cooling period is over; a
// direct offer never goes to the same clinician twice.
func TestPoolAvailability(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	n := Need{AskerID: 1, Specialty: "cardiology", Now: now}
	c := Candidate{ID: 2, Verified: true, VerifiedUntil: now.Add(time.Hour), Accepting: true, Cap: 3, Specialties: []string{"cardiology"}, OfferedBefore: true}
	if Eligible(c, n) || !Available(c, n) {
		t.Fatal("an earlier offeree out of cooling: not for a direct offer, but for the pool")
	}
	c.Cooling = true
	if Available(c, n) {
		t.Fatal("cooling clinician sees the pool")
	}
	if got := Closest([]Candidate{c}, n, Available); got != 0 {
		t.Fatalf("closest level %d, want nobody", got)
	}
}
