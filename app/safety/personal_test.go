package safety

import (
	"strings"
	"testing"
)

func kinds(f []Finding) string {
	var s []string
	for _, x := range f {
		s = append(s, x.Category)
	}
	return strings.Join(s, ",")
}

func TestPersonalData(t *testing.T) {
	cases := []struct {
		text string
		want string // kinds found, comma-separated, sorted
	}{
		// Phone numbers in the formats people write them.
		{"Call me on 07700 900123 after six", "phone"},
		{"my number is +44 7700 900123", "phone"},
		{"ring (555) 123-4567", "phone"},
		{"text 555-123-4567 anytime", "phone"},
		{"+1 415 555 0134", "phone"},
		{"020 7946 0958 is the clinic", "phone"},
		// E-mail, addresses, postcodes.
		{"write to jo.bloggs@example.org please", "email"},
		{"I live at 42 Harbour Road, near the station", "address"},
		{"we're at 7 Rose Lane", "address"},
		{"postcode LS1 4AP", "address"},
		// Dates of birth only when named as such.
		{"I was born on 12/03/1961", "date_of_birth"},
		{"DOB: 1961-03-12", "date_of_birth"},
		{"my date of birth is 3 March 1961", "date_of_birth"},
		// Record and insurance numbers.
		{"my NHS number is 943 476 5919", "record_number"},
		{"MRN 00123456 at St Mary's", "record_number"},
		{"insurance policy number AB123456789", "record_number"},
		{"SSN 078-05-1120", "record_number"},
		// Clinical numbers and ordinary text are not personal data.
		{"My HbA1c was 7.2 last month, down from 8.1", ""},
		{"BP 120/80 this morning, pulse 72", ""},
		{"I walked 10,000 steps on 2024-03-15", ""},
		{"appointment on 12/03/2025 at 10:30", ""},
		{"taking 500 mg twice a day and 2000 IU vitamin D", ""},
		{"glucose 5.6 mmol/L, ketones 0.4", ""},
		{"I'm 62 and was diagnosed in 2019", ""},
		{"Type 2 for 15 years, 3 kids, 2 grandchildren", ""},
		{"version 1.2.3 of the app", ""},
		{"cholesterol 4.5, LDL 2.1, HDL 1.3, triglycerides 1.7", ""},
		{"Room 12 on ward 7", ""},
	}
	for _, tc := range cases {
		if got := kinds(PersonalData(tc.text)); got != tc.want {
			t.Errorf("%q: found %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := Labels(PersonalData("call 07700 900123 or jo@example.org")); got != "an e-mail address and a phone number" {
		t.Errorf("labels %q", got)
	}
}

// The cheap tests run before each personal-data expression (the fewest
// digits a match holds, a keyword, a near test) must never hide a match:
// wherever an expression matches a piece of text, every test passes on
// it. Checked on every personal-data text of the corpus and on written
// variants of each format, and by FuzzPersonalPrefilters beyond them.
func TestPersonalPrefiltersNeverHideAMatch(t *testing.T) {
	texts := []string{
		"12 Main St. is the house", "12 main street", "7B Elm Rd", "221 b baker street", "1 N. Harbour Crescent",
		"45, rue de la Paix", "3 boul. René-Lévesque Ouest", "3 boul René-Lévesque", "10 ch. du Lac", "8 av. des Pins", "8 av des Pins",
		"12 ALLÉE des Cerisiers", "4 montée Saint-Michel", "17 bis rue Nationale",
		"jo at mail dot com", "jo [at] mail [point] fr", "jo(at)gmail(point)com", "jo <at> example . org", "jo at mail.ca",
		"jo @ gmail", "joe.b at hotmail", "maria AT protonmail", "paul [at] videotron", "luc arobase free",
		"jen@example.org", "K1A 0B1", "SW1A 1AA", "123-45-6789", "046 454 286", "1234 567 890 AB", "ABCD 1234 5678",
		"my health card number is 1234-567-890", "born on 3 May 1958", "né le 3 mai 1958",
	}
	for _, split := range []string{"dev", "test"} {
		ex, err := Corpus(split, DetectorPersonal)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ex {
			texts = append(texts, e.Text)
		}
	}
	for _, text := range texts {
		checkPrefilters(t, text)
	}
}

func checkPrefilters(t *testing.T, text string) {
	t.Helper()
	rules() // compiles personalRules
	lower := lowerInto(nil, text)
	for _, c := range splitChunksInto(nil, text) {
		piece, low := text[c.start:c.end], lower[c.start:c.end]
		for ri, r := range personalRules {
			if !r.re.MatchString(piece) {
				continue
			}
			if c.digits < personalMinDigits[ri] {
				t.Errorf("%q: rule %d (%s) matches with %d digits, fewer than the %d it is said to need", piece, ri, r.category, c.digits, personalMinDigits[ri])
			}
			if r.near != nil && !r.near(low) {
				t.Errorf("%q: rule %d (%s) matches but its near test says it cannot", piece, ri, r.category)
			}
		}
	}
}

func FuzzPersonalPrefilters(f *testing.F) {
	for _, s := range []string{"12 Main St.", "45, rue de la Paix", "jo at mail dot com", "jo @ gmail", "3 boul. René"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkPrefilters(t, s) })
}
