package safety

import (
	"math"
	"math/rand"
	"sort"
)

// trainOptions steer the models' training.
type trainOptions struct {
	Epochs int
	L2     float64
	Rate   float64
}

var defaultTrain = trainOptions{Epochs: 12, L2: 1e-4, Rate: 0.2}

// trainRow is one example as the trainer sees it.
type trainRow struct {
	ids []uint32
	y   bool
}

// featureCache keeps each text's features between trainings on
// overlapping examples (cross-validation trains dozens of times on nearly
// the same texts; reading a text costs far more than fitting it). Nil:
// no cache.
type featureCache map[string][]uint32

func (fc featureCache) features(text string, buf []modelFeature) ([]uint32, []modelFeature) {
	if ids, ok := fc[text]; ok {
		return ids, buf
	}
	v := newTextView(text)
	buf = v.windowFeatures(0, len(v.toks), buf)
	ids := make([]uint32, len(buf))
	for i, f := range buf {
		ids[i] = f.id
	}
	if fc != nil {
		fc[text] = ids
	}
	return ids, buf
}

// trainModels fits the firing model on all examples and one model per
// category of the positive ones (that category against the others).
func trainModels(examples []Example, o trainOptions, fc featureCache) (*model, []string, []*model) {
	rows := make([]trainRow, 0, len(examples))
	cats := map[string]bool{}
	var buf []modelFeature
	for _, ex := range examples {
		var ids []uint32
		ids, buf = fc.features(ex.Text, buf)
		rows = append(rows, trainRow{ids, ex.Fire})
		if ex.Fire && ex.Category != "" {
			cats[ex.Category] = true
		}
	}
	fire := fit(rows, modelBits, o)
	var names []string
	for c := range cats {
		names = append(names, c)
	}
	sort.Strings(names)
	var perCat []*model
	for _, c := range names {
		var cr []trainRow
		for i, ex := range examples {
			if ex.Fire {
				cr = append(cr, trainRow{rows[i].ids, ex.Category == c})
			}
		}
		perCat = append(perCat, fit(cr, categoryBits, o))
	}
	if len(names) == 0 {
		names, perCat = []string{"model"}, []*model{fire}
	}
	return fire, names, perCat
}

// fit is logistic regression by AdaGrad with L2, the two classes weighed
// to balance. It is deterministic: the same rows give the same weights.
func fit(rows []trainRow, bits uint, o trainOptions) *model {
	mask := uint32(1)<<bits - 1
	var pos, neg float64
	for _, r := range rows {
		if r.y {
			pos++
		} else {
			neg++
		}
	}
	m := &model{w: make([]float32, 1<<bits), mask: mask}
	if pos == 0 || neg == 0 {
		m.bias = -20 // nothing to learn from: never fires
		return m
	}
	wPos, wNeg := (pos+neg)/(2*pos), (pos+neg)/(2*neg)
	w := make([]float64, 1<<bits)
	g2 := make([]float64, 1<<bits)
	var bias, gb float64
	r := rand.New(rand.NewSource(1))
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	for e := 0; e < o.Epochs; e++ {
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			x := rows[k]
			s := bias
			for _, id := range x.ids {
				s += w[id&mask]
			}
			p := 1 / (1 + math.Exp(-s))
			y, cw := 0.0, wNeg
			if x.y {
				y, cw = 1, wPos
			}
			g := (p - y) * cw
			gb += g * g
			bias -= o.Rate * g / math.Sqrt(gb+1e-8)
			for _, id := range x.ids {
				j := id & mask
				gi := g + o.L2*w[j]
				g2[j] += gi * gi
				w[j] -= o.Rate * gi / math.Sqrt(g2[j]+1e-8)
			}
		}
	}
	m.bias = float32(bias)
	for i, x := range w {
		m.w[i] = float32(x)
	}
	return m
}
