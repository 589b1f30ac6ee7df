package input

import (
	"strings"
	"testing"
)

func TestWebAddress(t *testing.T) {
	long := "https://example.org/" + strings.Repeat("a", WebAddressMax-len("https://example.org/"))
	cases := []struct {
		name, raw, want, problem string
	}{
		{"plain https", "https://www.example.org/guide?lang=en#part", "https://www.example.org/guide?lang=en#part", ""},
		{"http with spaces around", "  http://example.org/  ", "http://example.org/", ""},
		{"capitals in scheme and host", "HTTPS://WWW.Example.ORG/Path", "https://www.example.org/Path", ""},
		{"full-width letters map to ASCII", "https://ｅｘａｍｐｌｅ.com/x", "https://example.com/x", ""},
		{"full-width dot", "https://example．com/", "https://example.com/", ""},
		{"lookalike Cyrillic shows as xn--", "https://pаypal.example/", "https://xn--pypal-4ve.example/", ""},
		{"a real non-ASCII name", "https://bücher.example/", "https://xn--bcher-kva.example/", ""},
		{"good port", "https://example.org:8443/x", "https://example.org:8443/x", ""},
		{"public IPv4", "http://93.184.216.34/", "http://93.184.216.34/", ""},
		{"underscore label", "https://my_site.example.org/", "https://my_site.example.org/", ""},
		{"at the limit", long, long, ""},

		{"empty", "", "", MsgAddressEmpty},
		{"too long", long + "b", "", MsgAddressLong},
		{"javascript", "javascript:alert(1)", "", MsgAddressScheme},
		{"JavaScript in capitals", "JavaScript:alert(document.cookie)", "", MsgAddressScheme},
		{"data", "data:text/html,<script>alert(1)</script>", "", MsgAddressScheme},
		{"ftp", "ftp://example.org/file", "", MsgAddressScheme},
		{"relative", "//example.org/", "", MsgAddressScheme},
		{"no slashes", "https:example.org", "", MsgAddressHost},
		{"no host", "https:///nohost", "", MsgAddressHost},
		{"user and password", "http://user:pass@example.org/", "", MsgAddressUser},
		{"user only", "https://user@example.org/", "", MsgAddressUser},
		{"port not a number", "https://example.org:abc/", "", MsgAddressPort},
		{"port too big", "https://example.org:65536/", "", MsgAddressPort},
		{"port zero", "https://example.org:0/", "", MsgAddressPort},
		{"space inside", "https://exa mple.org/", "", MsgAddressSpace},
		{"backslash", "https://example.org\\@evil.example/", "", MsgAddressSpace},
		{"tab", "https://example.org/\tx", "", MsgAddressHidden},
		{"newline", "https://example.org/\nx", "", MsgAddressHidden},
		{"bidi override in the path", "https://example.org/\u202egnp.exe", "", MsgAddressBidi},
		{"bidi isolate in the host", "https://exa\u2066mple.org/", "", MsgAddressBidi},
		{"zero-width space in the host", "https://pay\u200bpal.example/", "", MsgAddressHidden},
		{"soft hyphen in the host", "https://pay\u00adpal.example/", "", MsgAddressHidden},
		{"direction mark", "https://example.org/\u200f", "", MsgAddressHidden},
		{"NUL", "https://example.org/\x00", "", MsgNotText},
		{"not UTF-8", "https://example.org/caf\xe9", "", MsgNotText},
		{"localhost", "http://localhost:8080/admin", "", MsgAddressLocal},
		{"LOCALHOST in capitals", "http://LocalHost./", "", MsgAddressLocal},
		{"a localhost subdomain", "http://app.localhost/", "", MsgAddressLocal},
		{"a cloud metadata name", "https://metadata.google.internal/computeMetadata/v1/", "", MsgAddressLocal},
		{"a local-network name", "http://printer.local/", "", MsgAddressLocal},
		{"a home network name", "https://router.home.arpa/", "", MsgAddressLocal},
		{"single label", "https://intranet/", "", MsgAddressSingle},
		{"loopback IPv4", "http://127.0.0.1/", "", MsgAddressLocal},
		{"private 10/8", "http://10.1.2.3/", "", MsgAddressLocal},
		{"private 192.168", "http://192.168.0.1/router", "", MsgAddressLocal},
		{"private 172.16", "http://172.16.5.4/", "", MsgAddressLocal},
		{"link-local (cloud metadata)", "http://169.254.169.254/latest/meta-data", "", MsgAddressLocal},
		{"unspecified", "http://0.0.0.0/", "", MsgAddressLocal},
		{"loopback IPv6", "http://[::1]/", "", MsgAddressLocal},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]/", "", MsgAddressLocal},
		{"unique local IPv6", "http://[fd00::1]/", "", MsgAddressLocal},
		{"link-local IPv6", "http://[fe80::1]/", "", MsgAddressLocal},
		{"short IPv4 notation", "http://127.1/", "", MsgAddressNumbers},
		{"hex IPv4 notation", "http://0x7f.0.0.1/", "", MsgAddressNumbers},
		{"decimal IPv4 notation", "http://2130706433/", "", MsgAddressNumbers},
		{"percent in the host", "https://ex%61mple.org/", "", MsgAddressNotParsed},
		{"empty label", "https://example..org/", "", MsgAddressBadName},
		{"leading hyphen label", "https://-example.org/", "", MsgAddressBadName},
	}
	for _, c := range cases {
		got, problem := WebAddress(c.raw)
		if got != c.want || problem != c.problem {
			t.Errorf("%s: WebAddress(%q) = %q, %q; want %q, %q", c.name, c.raw, got, problem, c.want, c.problem)
		}
	}
}

func TestWebHost(t *testing.T) {
	for raw, want := range map[string]string{
		"https://www.example.org/x":     "www.example.org",
		"https://ｅｘａｍｐｌｅ.com/":          "example.com",
		"https://pаypal.example/":       "xn--pypal-4ve.example",
		"https://xn--pypal-4ve.example": "xn--pypal-4ve.example",
		"http://93.184.216.34:8080/":    "93.184.216.34",
	} {
		if got := WebHost(raw); got != want {
			t.Errorf("WebHost(%q) = %q, want %q", raw, got, want)
		}
	}
}
