package safety

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

// fixedModel reads every text at probability p, except that the word w
// (when given) weighs towards firing, so a finding has evidence.
func fixedModel(p float64, w string) *model {
	m := &model{w: make([]float32, 1<<modelBits), mask: featureMask, bias: float32(math.Log(p / (1 - p)))}
	if w != "" {
		m.w[featureUnigram(w)] = 0.001
	}
	return m
}

func TestJudgeCombinesRulesAndModel(t *testing.T) {
	medium := Finding{Detector: DetectorCrisis, Category: "self_harm", Level: LevelMedium, Rule: "crisis.self_harm.1"}
	low := Finding{Detector: DetectorCrisis, Category: "active_ideation", Level: LevelLow, Rule: "crisis.active_ideation.mention", Context: "someone else"}
	dm := func(p float64, anchored bool) *detectorModel {
		d := crisisThresholds
		d.detector = DetectorCrisis
		d.fire = fixedModel(p, "letter")
		d.categories, d.perCat = []string{"farewell", "passive_death_wish"}, []*model{fixedModel(0.2, ""), fixedModel(0.7, "")}
		d.anchored = func(*view, int, int) bool { return anchored }
		return &d
	}
	text := "wrote the letter and put it on the shelf"
	cases := []struct {
		name  string
		p     float64
		anch  bool
		rules []Finding
		want  Level
		ctx   string
		model bool
	}{
		{"rules fire, model unsure: rules stand", 0.3, true, []Finding{medium}, LevelMedium, "", false},
		{"rules fire, model sure it is calm: lowered, kept", 0.01, true, []Finding{medium}, LevelLow, vetoContext, false},
		{"rules lowered a mention, model worried: raised", 0.9, true, []Finding{low}, LevelMedium, "", true},
		{"rules lowered a mention, model unsure: stays low", 0.5, true, []Finding{low}, LevelLow, "someone else", false},
		{"rules silent, model worried, anchored: raised", 0.9, true, nil, LevelMedium, "", true},
		{"rules silent, model worried, nothing to anchor it: silent", 0.85, false, nil, LevelNone, "", false},
		{"rules silent, model sure, nothing to anchor it: raised", 0.99, false, nil, LevelMedium, "", true},
		{"rules silent, model unsure: silent", 0.5, true, nil, LevelNone, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := newTextView(text)
			got := dm(c.p, c.anch).judge(v, append([]Finding(nil), c.rules...))
			max, ctx := LevelNone, ""
			var fromModel *Finding
			for i, f := range got {
				if f.Level > max {
					max, ctx = f.Level, f.Context
				}
				if f.Rule == "crisis.model" {
					fromModel = &got[i]
				}
			}
			if max != c.want || (c.ctx != "" && ctx != c.ctx) {
				t.Fatalf("level %v (context %q), want %v (%q): %+v", max, ctx, c.want, c.ctx, got)
			}
			if c.rules != nil && len(got) < len(c.rules) {
				t.Fatalf("a rule's finding was dropped: %+v", got)
			}
			if (fromModel != nil) != c.model {
				t.Fatalf("model finding: got %v, want %v", fromModel != nil, c.model)
			}
			if fromModel != nil {
				if fromModel.Category != "passive_death_wish" {
					t.Errorf("category %q, want the one its model reads highest", fromModel.Category)
				}
				if len(fromModel.Spans) != 1 || text[fromModel.Spans[0].Start:fromModel.Spans[0].End] != "letter" {
					t.Errorf("evidence %+v, want the word that weighed", fromModel.Spans)
				}
			}
		})
	}
}

func TestModelTrainingIsDeterministic(t *testing.T) {
	ex, err := Corpus("dev", DetectorUrgent)
	if err != nil {
		t.Fatal(err)
	}
	ex = ex[:400]
	a, ac, _ := trainModels(ex, defaultTrain, nil)
	// The second and third with the features kept between trainings, as
	// cross-validation does: the same model.
	fc := featureCache{}
	for i := 0; i < 2; i++ {
		b, bc, _ := trainModels(ex, defaultTrain, fc)
		if !reflect.DeepEqual(a.w, b.w) || a.bias != b.bias || !reflect.DeepEqual(ac, bc) {
			t.Fatalf("training %d on the same examples gave another model", i+2)
		}
	}
}

// A long post is read in windows: one worrying paragraph is not drowned
// by pages of ordinary news around it.
func TestModelReadsLongPostsInWindows(t *testing.T) {
	news := strings.Repeat("The new pump arrived on Monday and the trainer showed us how to change the site. My sugars were steady all week and the kids loved the park. ", 12)
	worry := "Some nights lately I lie awake wishing I could just disappear and never wake up again. "
	v := newTextView(news + worry + news)
	w := crisisModel().fire.best(v, mentionTokens)
	whole := crisisModel().fire.best(v, len(v.toks))
	if w.p <= whole.p || w.to-w.from > mentionTokens {
		t.Fatalf("best window p=%.2f over %d tokens, the whole post %.2f", w.p, w.to-w.from, whole.p)
	}
	if got := v.text[v.toks[w.from].start:v.toks[w.to-1].end]; !strings.Contains(got, "disappear") {
		t.Fatalf("best window misses the worrying sentence: %q", got)
	}
	if !Fires(DetectorCrisis, Detect(DetectorCrisis, news+worry+news)) {
		t.Fatal("the worrying sentence in a long post did not fire")
	}
	if Fires(DetectorCrisis, Detect(DetectorCrisis, news+news)) {
		t.Fatal("a long ordinary post fired")
	}
}

// Everyday distress the model alone reads as despair stays low when the
// writer says what keeps them going or wishes for a break of a while; the
// same words turned around stay a crisis.
func TestModelEverydayDistress(t *testing.T) {
	cases := []struct {
		text string
		fire bool
	}{
		{"Honestly I'm so tired of all of it some days, but the kids keep me going and the group here helps more than you know.", false},
		{"Honestly sometimes I wish I could just sleep for a week.", false},
		{"I want to disappear for a while, maybe a cabin somewhere with no phone.", false},
		{"Nothing keeps me going anymore, I'm so tired of all of it.", true},
		{"The kids used to keep me going but now I'm just so tired of all of it.", true},
		{"I wish I could sleep for a week and never wake up.", true},
		{"I want to disappear for good, nobody would notice.", true},
	}
	for _, c := range cases {
		found := Detect(DetectorCrisis, c.text)
		if got := Fires(DetectorCrisis, found); got != c.fire {
			t.Errorf("%q: fires %v, want %v (%+v)", c.text, got, c.fire, found)
		}
		if !c.fire && len(found) > 0 && found[0].Context == "" {
			t.Errorf("%q: lowered without saying why: %+v", c.text, found)
		}
	}
}

// The features a text's words give the model are worked out once per
// word (wordInfo) and joined per text; they must be the features their
// definition names: the stem (or "#" for a number) and the pair of
// neighbouring stems in one sentence.
func TestModelFeaturesMatchTheirDefinition(t *testing.T) {
	for _, text := range []string{
		"I can't do this anymore. Took 40 of my pills at 3am, sorry everyone",
		"Mon taux était à 1,9 ce matin et je tremble encore. J'ai appelé le 811.",
	} {
		v := getView(text)
		uni, bi := v.modelIDs()
		l := langIndex(v.language())
		word := func(i int) string {
			if v.toks[i].num {
				return "#"
			}
			return v.info(i).stem[l]
		}
		for i := range v.toks {
			if uni[i] != featureUnigram(word(i)) {
				t.Errorf("%q: token %d (%q): unigram feature differs from its definition", text, i, v.toks[i].word)
			}
			want := uint32(0)
			if i+1 < len(v.toks) && v.toks[i+1].sentence == v.toks[i].sentence {
				want = featureBigram(word(i), word(i+1))
			}
			if bi[i] != want {
				t.Errorf("%q: tokens %d-%d: bigram feature differs from its definition", text, i, i+1)
			}
		}
		putView(v)
	}
}
