package input

import "testing"

func TestSkeleton(t *testing.T) {
	same := []string{"dr_okafor", "dr.okafor", "dr-okafor", "dr_0kafor", "dr__okafor", "DR_OKAFOR", "Dr.0Kaf0r", "drokafor",
		"dr_\u043ekafor",      // Cyrillic о
		"dr_ok\u0430f\u043er", // Cyrillic а and о
		"dr_okafor\u200b",     // a zero-width space
		"dr_ökafor",           // an accent
	}
	want := Skeleton("dr_okafor")
	for _, h := range same {
		if got := Skeleton(h); got != want {
			t.Errorf("Skeleton(%q) = %q, want %q (as dr_okafor)", h, got, want)
		}
	}
	pairs := []struct {
		a, b string
		same bool
	}{
		{"dr_okafor", "dr_okonkwo", false},
		{"amina", "arnina", true},
		{"wendy", "vvendy", true},
		{"l1ly", "lily", true},
		{"sam5", "sams", true},
		{"b3n", "ben", true},
		{"ILLNESS", "illness", true},
		{"nurse_joy", "nurse_jay", false},
		{"maria", "marta", false},
		{"anna", "ana", false},
	}
	for _, p := range pairs {
		if got := Skeleton(p.a) == Skeleton(p.b); got != p.same {
			t.Errorf("Skeleton(%q)=%q, Skeleton(%q)=%q: same %v, want %v", p.a, Skeleton(p.a), p.b, Skeleton(p.b), got, p.same)
		}
	}
}
