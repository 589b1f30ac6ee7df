package safety

import (
	"strings"
	"testing"
)

func words_(text string) string {
	var w []string
	for _, t := range tokenize(text) {
		w = append(w, t.word)
	}
	return strings.Join(w, " ")
}

// Normalisation undoes what people do to words, so one rule covers them.
func TestNormalisation(t *testing.T) {
	cases := map[string]string{
		"I'm sooooo TIRED":         "i am so tired",
		"I cant, I won't, dont":    "i can not i will not do not",
		"su1c1dal thoughts":        "suicidal thoughts",
		"J'ai envie d'en finir":    "je ai envie de en finir",
		"jveux plus, chuis crevée": "je veux plus je suis crevee",
		"sugar 1.9, temp 38,7":     "sugar 1.9 temp 38.7",
		"type 2, T1D since 2019":   "type 2 t1d since 2019",
		"kms rn":                   "kill myself right now",
		"Sucide":                   "suicide",
		"I OD'd last night":        "i overdosed last night",
	}
	for in, want := range cases {
		if got := words_(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func level(detector, text string) Level {
	max := LevelNone
	for _, f := range Detect(detector, text) {
		if f.Level > max {
			max = f.Level
		}
	}
	return max
}

// Examples written for this test (the corpus measures; these pin down
// behaviour a reader can check by eye).
func TestCrisisLevels(t *testing.T) {
	cases := []struct {
		text string
		want Level
	}{
		{"Honestly I just want to die, I'm so tired of all of it.", LevelMedium},
		{"everyone would honestly be better off without me", LevelMedium},
		{"Been hoarding my sleeping pills for weeks and tonight I'm taking all of them.", LevelHigh},
		{"I just swallowed the whole box of my pain meds.", LevelHigh},
		{"This is my last post. Thank you all for everything. Goodbye.", LevelHigh},
		{"relapsed and cut again last night, I hate myself", LevelMedium},
		{"Je veux mourir, j'en peux plus.", LevelMedium},
		{"J'ai avalé toute la boîte ce soir.", LevelHigh},
		// Context lowers without hiding.
		{"I'm not suicidal, just worn out by the dialysis schedule.", LevelLow},
		{"We lost my cousin to suicide two years ago and I still miss him.", LevelLow},
		{"Our clinic is running a suicide prevention workshop next month.", LevelLow},
		{"Je ne suis pas suicidaire, juste épuisée.", LevelLow},
		// Idioms and everyday words never fire.
		{"This humidity is killing me, my sugars are all over the place.", LevelNone},
		{"I'm dying to know if the new pump is any good.", LevelNone},
		{"I'd kill for a decent night's sleep.", LevelNone},
		{"Je meurs de faim après le jeûne pour la prise de sang.", LevelNone},
		{"Cut my carbs right down and my numbers look great.", LevelNone},
	}
	for _, tc := range cases {
		if got := level(DetectorCrisis, tc.text); got != tc.want {
			t.Errorf("%q: level %s, want %s (%+v)", tc.text, got, tc.want, Detect(DetectorCrisis, tc.text))
		}
	}
}

func TestUrgentLevels(t *testing.T) {
	cases := []struct {
		text string
		want Level
	}{
		{"I think I'm having a heart attack, crushing pain in my chest and down my left arm", LevelHigh},
		{"Her face is drooping on one side and she can't lift her arm", LevelHigh},
		{"lips and tongue swelling up after the new antibiotic, throat feels tight", LevelHigh},
		{"my sugar is 1.9 and I'm confused and shaking", LevelHigh},
		{"12 weeks pregnant and bleeding heavily with clots", LevelHigh},
		{"the rash doesn't fade when I press a glass on it and he has a fever", LevelHigh},
		{"my baby is floppy and won't wake for feeds", LevelHigh},
		{"Mon bébé a avalé une pile bouton!", LevelHigh},
		{"My stroke three years ago left me with a weak hand.", LevelLow},
		{"What are the signs of a stroke in older people?", LevelLow},
		{"I had a heart attack in 2019 and the chest pain scared me, all good now.", LevelLow},
		{"Chest day at the gym wiped me out.", LevelLow},
	}
	for _, tc := range cases {
		// Low means no guidance: nothing found is as good.
		if got := level(DetectorUrgent, tc.text); got != tc.want && !(tc.want == LevelLow && got == LevelNone) {
			t.Errorf("%q: level %s, want %s (%+v)", tc.text, got, tc.want, Detect(DetectorUrgent, tc.text))
		}
	}
}

func TestPersonalFormats(t *testing.T) {
	cases := []struct{ text, want string }{
		{"my postcode is K1A 0B1 if you want to send it", "address"},
		{"SIN 046 454 286, is that safe to give the clinic?", "sin"},
		{"the number 046 454 287 is my order", ""}, // fails Luhn
		{"OHIP 1234-567-890-AB expired last month", "health_card"},
		{"ma carte RAMQ est TREM 1234 5678", "health_card"},
		{"email me: rosa dot lima at example dot com", "email"},
		{"write to jo [at] mail [dot] fr", "email"},
		{"WhatsApp me on +1 613 555 0142", "social_handle"},
		{"I'm @jen_rides on Instagram", "social_handle"},
		{"j'habite au 12 rue des Lilas à Lyon", "address"},
		{"née le 3 mai 1958 à Québec", "date_of_birth"},
		{"Call 911 or 988 if you are in crisis", ""},
		{"Trial NCT04567890 is recruiting", ""},
		{"HbA1c 7.2, BP 120/80, 500 mg twice a day", ""},
	}
	for _, tc := range cases {
		var got []string
		for _, f := range PersonalData(tc.text) {
			got = append(got, f.Category)
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%q: %v, want %q", tc.text, got, tc.want)
		}
	}
}

// Findings say where and why, never the text itself.
func TestFindingsExplainThemselves(t *testing.T) {
	text := "Please help, I took all my pills an hour ago."
	r := Analyze(text)
	if r.Version != Version || len(r.Of(DetectorCrisis)) == 0 {
		t.Fatalf("report %+v", r)
	}
	f := r.Of(DetectorCrisis)[0]
	if f.Rule == "" || len(f.Spans) == 0 || f.Level != LevelHigh {
		t.Fatalf("finding %+v", f)
	}
	if ev := text[f.Spans[0].Start:f.Spans[0].End]; !strings.Contains(ev, "took") {
		t.Errorf("evidence %q", ev)
	}
}

func TestReadExamples(t *testing.T) {
	ex, err := ReadExamples(strings.NewReader("label\ttext\n1\tI want to die\n0\tthis heat is killing me\n\n"))
	if err != nil || len(ex) != 2 || !ex[0].Fire || ex[1].Fire {
		t.Fatalf("%v %+v", err, ex)
	}
	ex, err = ReadExamples(strings.NewReader("high\tfarewell\ten\tgoodbye all\nlow\tgrief\ten\twe lost him\n"))
	if err != nil || len(ex) != 2 || !ex[0].Fire || ex[1].Fire || ex[0].Category != "farewell" {
		t.Fatalf("%v %+v", err, ex)
	}
	if _, err := ReadExamples(strings.NewReader("maybe\tsomething\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad label: %v", err)
	}
}

// The corpus has what the issue asks of it, in both splits together.
func TestCorpusSizes(t *testing.T) {
	for _, tc := range []struct {
		detector       string
		min, minNeg    int
		minPerPositive int
	}{{DetectorCrisis, 600, 250, 40}, {DetectorUrgent, 250, 0, 0}, {DetectorPersonal, 250, 0, 0}} {
		total, neg, fr := 0, 0, 0
		perCat := map[string]int{}
		for _, split := range []string{"dev", "test"} {
			ex, err := Corpus(split, tc.detector)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ex {
				total++
				if !e.Fire {
					neg++
				} else {
					perCat[e.Category]++
				}
				if e.Lang == "fr" {
					fr++
				}
			}
		}
		if total < tc.min || neg < tc.minNeg || fr == 0 {
			t.Errorf("%s: %d examples (%d negatives, %d French)", tc.detector, total, neg, fr)
		}
		for c, n := range perCat {
			if n < tc.minPerPositive {
				t.Errorf("%s/%s: %d examples", tc.detector, c, n)
			}
		}
	}
}
