package safety

import (
	_ "embed" // the trained weights
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The models are trained from the development corpus when the corpus,
// the features or the trainer change, not when Kindred starts: training
// took 1.8 s of CPU and 175 MB of allocation on every start (and in every
// test process), while reading the stored weights takes 5–30 ms.
// TestStoredModelsMatchTraining trains them again and fails when
// models.bin is stale; regenerate it with
//
//	go generate ./app/safety
//
//go:generate go test -count=1 -run ^TestStoredModelsMatchTraining$ . -args -update-models
//go:embed models.bin
var storedModels []byte

// modelsMagic starts models.bin; bump its version when the format changes.
const modelsMagic = "KSM1"

// storedDetectors are the detectors in models.bin, in order.
var storedDetectors = []struct {
	name string
	th   *detectorModel
}{
	{DetectorCrisis, &crisisThresholds},
	{DetectorUrgent, &urgentThresholds},
}

// loadAll reads the stored models.
func loadAll() {
	dms, err := decodeModels(storedModels)
	if err != nil {
		panic("safety: models.bin: " + err.Error() + " (run go generate ./app/safety)")
	}
	trained.crisis, trained.urgent = dms[0], dms[1]
}

// encodeModels writes detectors' models, sparsely: each model its bias,
// the number of weights that are not zero, then each as the gap from the
// previous one's index (uvarint) and its float32 bits.
func encodeModels(dms []*detectorModel) []byte {
	out := []byte(modelsMagic)
	for _, dm := range dms {
		out = appendModel(out, dm.fire)
		out = binary.AppendUvarint(out, uint64(len(dm.categories)))
		for i, c := range dm.categories {
			out = binary.AppendUvarint(out, uint64(len(c)))
			out = append(out, c...)
			out = appendModel(out, dm.perCat[i])
		}
	}
	return out
}

func appendModel(out []byte, m *model) []byte {
	out = binary.AppendUvarint(out, uint64(len(m.w)))
	out = binary.LittleEndian.AppendUint32(out, math.Float32bits(m.bias))
	n := 0
	for _, w := range m.w {
		if w != 0 {
			n++
		}
	}
	out = binary.AppendUvarint(out, uint64(n))
	prev := -1
	for i, w := range m.w {
		if w != 0 {
			out = binary.AppendUvarint(out, uint64(i-prev))
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(w))
			prev = i
		}
	}
	return out
}

var errModels = errors.New("truncated or damaged")

// decodeModels reads what encodeModels wrote, one detectorModel per
// stored detector with its thresholds and context checks.
func decodeModels(b []byte) ([]*detectorModel, error) {
	if len(b) < len(modelsMagic) || string(b[:len(modelsMagic)]) != modelsMagic {
		return nil, errors.New("not a models file of this version")
	}
	r := modelReader{b: b[len(modelsMagic):]}
	var out []*detectorModel
	for _, d := range storedDetectors {
		dm := newDetector(d.name, *d.th)
		dm.fire = r.model()
		n := r.uvarint()
		if n > 1000 {
			return nil, fmt.Errorf("%s: %d categories", d.name, n)
		}
		for i := uint64(0); i < n && r.err == nil; i++ {
			dm.categories = append(dm.categories, string(r.bytes(r.uvarint())))
			dm.perCat = append(dm.perCat, r.model())
		}
		if r.err != nil {
			return nil, fmt.Errorf("%s: %w", d.name, r.err)
		}
		if len(dm.categories) == 0 {
			return nil, fmt.Errorf("%s: no category model", d.name)
		}
		out = append(out, dm)
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d bytes left over", len(r.b))
	}
	return out, nil
}

type modelReader struct {
	b   []byte
	err error
}

func (r *modelReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errModels
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *modelReader) bytes(n uint64) []byte {
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errModels
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *modelReader) float32() float32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b))
}

func (r *modelReader) model() *model {
	size := r.uvarint()
	if r.err != nil {
		return nil
	}
	if size != 1<<modelBits && size != 1<<categoryBits {
		r.err = fmt.Errorf("a model of %d weights", size)
		return nil
	}
	m := &model{w: make([]float32, size), mask: uint32(size - 1)}
	m.bias = r.float32()
	n := r.uvarint()
	if n > size {
		r.err = errModels
		return nil
	}
	i := -1
	for k := uint64(0); k < n && r.err == nil; k++ {
		gap := r.uvarint()
		if gap == 0 || gap > size {
			r.err = errModels
			return nil
		}
		i += int(gap)
		if i >= len(m.w) {
			r.err = errModels
			return nil
		}
		m.w[i] = r.float32()
	}
	if r.err != nil {
		return nil
	}
	return m
}
