package input

import (
	"strings"
	"unicode"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"
)

// handleSeparators are dropped from a skeleton: "dr.okafor", "dr-okafor",
// "dr_okafor" and "drokafor" read as one name.
const handleSeparators = "._-"

// lookalikes fold what Unicode's confusables table (TR39) keeps apart but
// people misread in a handle: digits used as letters, and letter pairs
// that render like one letter. It runs after the table and lower-casing,
// so its keys are lower-case and in the table's target forms (the table
// already maps 0→O, 1→l, I→l, m→rn). Longer keys first.
var lookalikes = []struct{ from, to string }{
	{"vv", "w"},
	{"rn", "m"},
	{"cl", "d"},
	{"0", "o"},
	{"1", "l"},
	{"i", "l"},
	{"!", "l"},
	{"|", "l"},
	{"2", "z"},
	{"3", "e"},
	{"4", "a"},
	{"5", "s"},
	{"6", "b"},
	{"7", "t"},
	{"9", "g"},
	{"$", "s"},
	{"@", "a"},
}

var lookalikeReplacer = func() *strings.Replacer {
	args := make([]string, 0, 2*len(lookalikes))
	for _, l := range lookalikes {
		args = append(args, l.from, l.to)
	}
	return strings.NewReplacer(args...)
}()

// Skeleton is the form of a handle that two handles share when a reader
// could take one for the other: Unicode TR39's confusable skeleton (the
// confusables table, Unicode 13, through github.com/mtibben/confusables)
// of the lower-cased handle, lower-cased again, without accents or the
// separators . - _, with the lookalikes above folded. "dr_okafor",
// "Dr.0kafor", "dr__okafor" and "dr_оkafor" (Cyrillic о) all have the
// skeleton "drokafor". Kindred refuses a handle whose skeleton another
// account's handle already has.
func Skeleton(handle string) string {
	s := confusables.Skeleton(strings.ToLower(handle))
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) || strings.ContainsRune(handleSeparators, r) || unicode.IsSpace(r) || IsInvisible(r) {
			continue
		}
		b.WriteRune(r)
	}
	// Twice: folding "rn" can make a new pair ("rrnn" → "rmn").
	s = lookalikeReplacer.Replace(lookalikeReplacer.Replace(b.String()))
	return norm.NFC.String(s)
}
