package web

import "testing"

func TestPreferredLocale(t *testing.T) {
	for _, tc := range []struct{ header, lang, region string }{
		{"fr-CA,fr;q=0.9,en;q=0.5", "fr", "CA"},
		{"en-GB", "en", "GB"},
		{"en;q=0.4, fr-FR;q=0.8", "fr", "FR"},
		{"zh-Hant-TW", "zh", "TW"},
		{"*", "", ""},
		{"", "", ""},
		{"fr;q=0", "", ""},
		{"fr;q=x, de", "de", ""},
	} {
		if l, r := PreferredLocale(tc.header); l != tc.lang || r != tc.region {
			t.Errorf("%q: got %q %q, want %q %q", tc.header, l, r, tc.lang, tc.region)
		}
	}
}

func TestNormalizeLocale(t *testing.T) {
	if l, r, ok := NormalizeLocale(" FR ", "ca_qc"); !ok || l != "fr" || r != "CA-QC" {
		t.Errorf("got %q %q %v", l, r, ok)
	}
	for _, bad := range [][2]string{{"fra", ""}, {"fr", "Québec"}, {"f", ""}, {"", "CAN"}} {
		if _, _, ok := NormalizeLocale(bad[0], bad[1]); ok {
			t.Errorf("%v accepted", bad)
		}
	}
}
