package safety

import (
	"strings"
	"testing"
)

// BenchmarkAnalyze runs the three detectors over a 10,000-character post:
// ordinary forum writing with a few numbers, a phone number and a sentence
// of low mood in it.
func BenchmarkAnalyze(b *testing.B) {
	para := "My endo changed my basal again and my sugars have been all over the place this week, especially in the mornings. " +
		"Honestly I'm so tired of all of it some days, but the kids keep me going and the group here helps more than you know. " +
		"Does anyone else find the new sensor itchy? Mine left a red mark that took days to fade, and the adhesive patches help a bit. "
	text := strings.Repeat(para, 10000/len(para)+1)[:9800] + " Readings were 4.2 and 11.3; call the clinic on 613-555-0142 if needed."
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Analyze(text)
	}
}
