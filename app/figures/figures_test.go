package figures

import "testing"

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")", "+1 555": "'+1 555", "-3": "-3", "-3.5": "-3.5",
		"- nausea": "'- nausea", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "Heart health": "Heart health", "": "",
	} {
		if got := CSVSafe(in); got != want {
			t.Errorf("CSVSafe(%q) = %q, want %q", in, got, want)
		}
	}
	for n, want := range map[int64]bool{0: false, 1: true, 4: true, 5: false} {
		if Small(n) != want {
			t.Errorf("Small(%d) = %v", n, !want)
		}
	}
}
