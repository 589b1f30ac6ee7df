package outreach

import (
	"testing"
	"time"
	_ "time/tzdata" // the zone database, as app/web embeds it for the server
)

func TestParseLinkLinesTakesTheAddressAfterTheLastBar(t *testing.T) {
	got := ParseLinkLines("Heart | lungs | https://example.org/a\nPlain | https://example.org/b\nhttps://example.org/c\n\n")
	want := []LinkForm{{Title: "Heart | lungs", URL: "https://example.org/a"}, {Title: "Plain", URL: "https://example.org/b"}, {URL: "https://example.org/c"}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestCheckURLMessages(t *testing.T) {
	cases := []struct{ in, msg string }{
		{"https://user:pass@example.org/", "The address may not hold a user name or password (the part before @): remove it."},
		{"https://user@example.org/", "The address may not hold a user name or password (the part before @): remove it."},
		{"javascript:alert(1)", "Only web addresses starting with https:// or http:// can be linked."},
		{"https://bhf.org.uk:99999/", "The port after the site name (the number after the colon) must be a number from 1 to 65535."},
		{"http://localhost/", "The address leads to this computer or to a private network, which readers cannot open: give the public address of the site."},
		{"https://example.org/ok", ""},
	}
	// Lookalike letters become the name a browser would visit.
	if got, msg := CheckURL("https://ｅｘａｍｐｌｅ.com/"); msg != "" || got != "https://example.com/" {
		t.Errorf("full-width letters: %q %q", got, msg)
	}
	for _, c := range cases {
		if _, msg := CheckURL(c.in); msg != c.msg {
			t.Errorf("%q: %q, want %q", c.in, msg, c.msg)
		}
	}
}

func TestParseTimeRefusesTheDaylightSavingGap(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York") // time/tzdata is embedded below
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, gap := parseTime("2026-03-08T02:30", ny); ok || !gap {
		t.Errorf("02:30 on the spring-forward night: ok=%v gap=%v", ok, gap)
	}
	for _, v := range []string{"2026-12-01 16:00", "2026-12-01T16:00", "2026-11-01 01:30"} {
		tm, ok, gap := parseTime(v, ny)
		if !ok || gap || tm.In(ny).Format("15:04") != v[11:] {
			t.Errorf("%q: %v ok=%v gap=%v", v, tm, ok, gap)
		}
	}
}
