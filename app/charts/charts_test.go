package charts

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// wellFormed parses s as XML and returns the element names in order.
func wellFormed(t *testing.T, s string) []string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	var names []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v (%d bytes)", err, len(s))
		}
		if se, ok := tok.(xml.StartElement); ok {
			names = append(names, se.Name.Local)
		}
	}
}

func days(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "Nov " + strings.Repeat("I", i%3+1)
	}
	return out
}

func TestChartsAreWellFormedAndLabelled(t *testing.T) {
	hostile := `<script>alert("x")</script> & "quotes"`
	cases := map[string]Chart{
		"line": {ID: "new members", Title: "New members " + hostile, Kind: Line, Labels: days(30),
			Series: []Series{{Name: "This period", Values: ramp(30)}, {Name: hostile, Values: ramp(30)}}},
		"bar": {ID: "by-forum", Title: "Replies per forum", Kind: Bar, Labels: []string{"Diabetes", hostile, "Heart"},
			Series: []Series{{Name: "Replies", Values: []Value{V(12), Hidden("fewer than 5"), V(40)}}}},
		"empty":    {ID: "e", Title: "Nothing yet", Kind: Line},
		"dense":    {ID: "year", Title: "A year", Kind: Line, Labels: days(365), Series: []Series{{Name: "Searches", Values: ramp(365)}}},
		"negative": {ID: "chg", Title: "Change", Kind: Bar, Labels: []string{"a", "b"}, Series: []Series{{Name: "Change", Values: []Value{V(-3.5), V(7)}}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			for _, doc := range []string{string(SVG(c)), string(HTML(c))} {
				names := wellFormed(t, doc)
				if !contains(names, "title") || !contains(names, "desc") {
					t.Fatalf("no <title>/<desc>: %v", names)
				}
				if strings.Contains(doc, "<script>") {
					t.Fatal("a label was not escaped")
				}
			}
			html := string(HTML(c))
			for _, want := range []string{`role="img"`, `aria-labelledby="` + elementID(c.ID) + `-title ` + elementID(c.ID) + `-desc"`, "<table", "<caption>", "<details"} {
				if !strings.Contains(html, want) {
					t.Fatalf("the page form lacks %q", want)
				}
			}
			if !strings.HasPrefix(string(SVG(c)), "<?xml") || !strings.Contains(string(SVG(c)), `xmlns="http://www.w3.org/2000/svg"`) {
				t.Fatal("the standalone SVG lacks its declaration or namespace")
			}
		})
	}
}

func ramp(n int) []Value {
	out := make([]Value, n)
	for i := range out {
		out[i] = V(float64(i * 3))
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestSuppressedValuesAreNeverDrawnOrPrinted(t *testing.T) {
	c := Chart{ID: "s", Title: "Members by forum", Kind: Bar, Labels: []string{"Open", "Sensitive"},
		Series: []Series{{Name: "Members", Values: []Value{V(120), {N: 3, Missing: true, Text: "fewer than 5"}}}}}
	html := string(HTML(c))
	if !strings.Contains(html, "<td>fewer than 5</td>") {
		t.Fatalf("the table does not say the cell is suppressed:\n%s", Table(c))
	}
	if strings.Contains(html, ">3<") || strings.Contains(html, ": 3") {
		t.Fatal("the suppressed count appears somewhere")
	}
	// The line form leaves a gap: two points, not three, and two moves.
	l := Chart{ID: "g", Title: "Gap", Kind: Line, Labels: []string{"1", "2", "3"},
		Series: []Series{{Name: "x", Values: []Value{V(1), Hidden("fewer than 5"), V(2)}}}}
	svg := string(SVG(l))
	if strings.Count(svg, "<circle") != 2 || !strings.Contains(svg, "M") || strings.Count(pathOf(svg), "M") != 2 {
		t.Fatalf("a hidden value was drawn or the line was not broken:\n%s", svg)
	}
}

func pathOf(svg string) string {
	i := strings.Index(svg, `<g class="chart-series"><path d="`)
	if i < 0 {
		return ""
	}
	rest := svg[i+len(`<g class="chart-series"><path d="`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestTablesAndDescriptions(t *testing.T) {
	c := Chart{ID: "q", Title: "Questions", Kind: Line, Unit: "%", XTitle: "Day", Labels: []string{"1 Nov", "2 Nov"},
		Series: []Series{{Name: "Answered in 24 h", Values: []Value{V(50), V(62.54)}}}}
	tab := string(Table(c))
	for _, want := range []string{`<th scope="col">Day</th>`, `<th scope="row">2 Nov</th>`, "<td>62.5%</td>", "<td>50%</td>"} {
		if !strings.Contains(tab, want) {
			t.Fatalf("table lacks %q:\n%s", want, tab)
		}
	}
	if !strings.Contains(string(SVG(c)), "highest 62.5% at 2 Nov") {
		t.Fatal("the written description does not name the highest value")
	}
	c.Description = "Share answered within a day rose."
	if !strings.Contains(string(SVG(c)), "<desc id=\"chart-q-desc\">Share answered within a day rose.</desc>") {
		t.Fatal("the caller's description is not used")
	}
	if got := string(Table(Chart{Title: "None", Series: []Series{{Name: "x"}}})); !strings.Contains(got, "No figures for this period.") {
		t.Fatalf("no empty state: %s", got)
	}
}

func TestSeriesAreTellableApartWithoutColour(t *testing.T) {
	c := Chart{ID: "m", Title: "Two", Kind: Line, Labels: []string{"a", "b"},
		Series: []Series{{Name: "This period", Values: ramp(2)}, {Name: "Previous period", Values: ramp(2)}}}
	svg := string(SVG(c))
	if !strings.Contains(svg, "stroke-dasharray") || !strings.Contains(svg, "<rect x=") {
		t.Fatal("the second series has neither a dash nor another marker")
	}
	if !strings.Contains(svg, "Previous period") {
		t.Fatal("no legend")
	}
}

func TestNumbers(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 1234567: "1,234,567", 12.34: "12.3", -1500: "-1,500", 0.04: "0", 999.96: "1,000"} {
		if got := number(in); got != want {
			t.Errorf("number(%v) = %q, want %q", in, got, want)
		}
	}
	if got := axisTick(25000, ""); got != "25k" {
		t.Errorf("axisTick = %q", got)
	}
}

func TestEmailForms(t *testing.T) {
	c := Chart{ID: "w", Title: "Replies per forum", Kind: Bar, Labels: []string{"Diabetes", "Sensitive"},
		Series: []Series{{Name: "This week", Values: []Value{V(40), Hidden("fewer than 5")}}, {Name: "Week before", Values: []Value{V(20), V(9)}}}}
	inline := string(Inline(c))
	if strings.HasPrefix(inline, "<?xml") || !strings.Contains(inline, `xmlns="http://www.w3.org/2000/svg"`) || strings.Contains(inline, "data-chart") {
		t.Fatalf("the e-mail SVG is not a self-contained inline element: %.120s", inline)
	}
	wellFormed(t, inline)
	text := Text(c)
	for _, want := range []string{"Replies per forum\n", "This week", "Week before", "fewer than 5", "████████████████████"} {
		if !strings.Contains(text, want) {
			t.Fatalf("the text form lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, " 3 ") {
		t.Fatal("a hidden figure is printed")
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) != 4 || len([]rune(lines[2])) < len([]rune("  Diabetes  40  20")) {
		t.Fatalf("want a title, a header and two rows:\n%s", text)
	}
	if got := Text(Chart{Title: "Empty"}); !strings.Contains(got, "No figures") {
		t.Fatalf("no empty state: %q", got)
	}
}

func TestLegendEntriesDoNotOverlap(t *testing.T) {
	long := Chart{ID: "l", Title: "Campaign", Kind: Line, Labels: []string{"a", "b"}, Series: []Series{
		{Name: "Members reached", Values: ramp(2)}, {Name: "Visitors' views", Values: ramp(2)}, {Name: "Cards hidden", Values: ramp(2)},
		{Name: "Link clicks", Values: ramp(2)}, {Name: "Replies in its threads", Values: ramp(2)}}}
	if n := long.legendColumns(); n*(36+7*22) > int(width-padL-padR) {
		t.Fatalf("%d legend columns of 22-character names do not fit", n)
	}
	short := Chart{Series: []Series{{Name: "A"}, {Name: "B"}, {Name: "C"}}}
	if n := short.legendColumns(); n != 4 {
		t.Fatalf("short names get %d columns, want 4", n)
	}
	wellFormed(t, string(SVG(long)))
}

func TestEveryCategoryIsLabelled(t *testing.T) {
	var names []string
	var vals []Value
	for i := 0; i < 15; i++ {
		names = append(names, "Forum number "+string(rune('A'+i))+" about caregiving")
		vals = append(vals, V(float64(i)))
	}
	bar := Chart{ID: "f", Title: "Threads per forum", Kind: Bar, Labels: names, Series: []Series{{Name: "Threads", Values: vals}}}
	svg := string(SVG(bar))
	wellFormed(t, svg)
	if got := strings.Count(svg, `transform="rotate(-35`); got != 15 {
		t.Fatalf("%d of 15 forum names are written (slanted)", got)
	}
	days := Chart{ID: "d", Title: "Per day", Kind: Line, Labels: days(30), Series: []Series{{Name: "x", Values: ramp(30)}}}
	if got := strings.Count(string(SVG(days)), `<text x=`); strings.Contains(string(SVG(days)), "rotate(") || got > 8+10 {
		t.Fatalf("30 days are not thinned: %d texts", got)
	}
	// Few short categories stay level.
	few := Chart{ID: "s", Title: "Two", Kind: Bar, Labels: []string{"Heart", "Lungs"}, Series: []Series{{Name: "x", Values: ramp(2)}}}
	if strings.Contains(string(SVG(few)), "rotate(") {
		t.Fatal("two short labels are slanted")
	}
}
