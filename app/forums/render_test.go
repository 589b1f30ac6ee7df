package forums

import (
	"testing"
	"time"
)

func TestHandWrittenDatesMatchTimeFormat(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999, time.UTC),
		time.Date(2026, 11, 21, 10, 30, 0, 0, time.FixedZone("X", 5*3600)),
	} {
		for _, layout := range []string{isoLayout, showLayout} {
			var b htmlBuf
			b.time(at, layout)
			if want := at.UTC().Format(layout); b.String() != want {
				t.Errorf("%s: got %q, want %q", layout, b.String(), want)
			}
		}
	}
}
