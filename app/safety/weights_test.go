package safety

import (
	"flag"
	"math"
	"os"
	"testing"
)

var updateModels = flag.Bool("update-models", false, "write models.bin from a fresh training (go generate ./app/safety)")

// TestStoredModelsMatchTraining trains the models from the corpus again
// and compares them with models.bin, which Kindred reads at start: a
// change to the corpus, the features or the trainer that was not followed
// by `go generate ./app/safety` fails here.
func TestStoredModelsMatchTraining(t *testing.T) {
	fresh := trainStored()
	if *updateModels {
		if err := os.WriteFile("models.bin", encodeModels(fresh), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote models.bin")
		return
	}
	stored, err := decodeModels(storedModels)
	if err != nil {
		t.Fatalf("models.bin: %v (run go generate ./app/safety)", err)
	}
	for i, f := range fresh {
		s := stored[i]
		if s.detector != f.detector || len(s.categories) != len(f.categories) {
			t.Fatalf("%s: stored categories %q, trained %q: run go generate ./app/safety", f.detector, s.categories, f.categories)
		}
		sameModel(t, f.detector+" firing model", s.fire, f.fire)
		for k, c := range f.categories {
			if s.categories[k] != c {
				t.Fatalf("%s: stored categories %q, trained %q: run go generate ./app/safety", f.detector, s.categories, f.categories)
			}
			sameModel(t, f.detector+" "+c, s.perCat[k], f.perCat[k])
		}
		// Thresholds and context checks come from the code, not the file.
		if s.veto != f.veto || s.bare != f.bare || s.highAt != f.highAt || (s.anchored == nil) != (f.anchored == nil) || (s.lower == nil) != (f.lower == nil) {
			t.Fatalf("%s: thresholds or checks differ between the stored and the trained model", f.detector)
		}
	}
}

// sameModel compares weights with a little room: the trainer's float64
// arithmetic may round differently on other processors (fused
// multiply-add), never by this much.
func sameModel(t *testing.T, name string, stored, fresh *model) {
	t.Helper()
	if len(stored.w) != len(fresh.w) {
		t.Fatalf("%s: %d stored weights, %d trained: run go generate ./app/safety", name, len(stored.w), len(fresh.w))
	}
	const tol = 1e-4
	if d := math.Abs(float64(stored.bias - fresh.bias)); d > tol {
		t.Fatalf("%s: bias stored %v, trained %v: run go generate ./app/safety", name, stored.bias, fresh.bias)
	}
	for i := range fresh.w {
		if d := math.Abs(float64(stored.w[i] - fresh.w[i])); d > tol {
			t.Fatalf("%s: weight %d stored %v, trained %v: run go generate ./app/safety", name, i, stored.w[i], fresh.w[i])
		}
	}
}

// TestDamagedModelsAreRefused: a truncated or foreign models file is an
// error, never a model of zeros that would wave every crisis through.
func TestDamagedModelsAreRefused(t *testing.T) {
	good := storedModels
	if _, err := decodeModels(good); err != nil {
		t.Fatalf("models.bin: %v", err)
	}
	for _, cut := range []int{0, 3, len(modelsMagic) + 1, len(good) / 2, len(good) - 1} {
		if _, err := decodeModels(good[:cut]); err == nil {
			t.Errorf("models.bin cut to %d bytes was accepted", cut)
		}
	}
	if _, err := decodeModels(append(append([]byte{}, good...), 0)); err == nil {
		t.Error("models.bin with a byte more was accepted")
	}
	bad := append([]byte("KSM0"), good[len(modelsMagic):]...)
	if _, err := decodeModels(bad); err == nil {
		t.Error("a models file of another version was accepted")
	}
}
