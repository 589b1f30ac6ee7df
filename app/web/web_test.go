package web

import "testing"

func TestSafeNext(t *testing.T) {
	cases := map[string]string{
		"":                     "/",
		"/account":             "/account",
		"/account?tab=tokens":  "/account?tab=tokens",
		"//evil.example/x":     "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"javascript:alert(1)":  "/",
		"account":              "/",
	}
	for in, want := range cases {
		if got := SafeNext(in); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeviceName(t *testing.T) {
	cases := map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                        "Firefox on Windows",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iPhone",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36":                                "Chrome on Android",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0":             "Edge on macOS",
		"":                     "Unknown device",
		"kindred-test-browser": "kindred-test-browser",
	}
	for ua, want := range cases {
		if got := DeviceName(ua); got != want {
			t.Errorf("DeviceName(%q) = %q, want %q", ua, got, want)
		}
	}
}

func TestPathIDTakesOneSpellingOfAnID(t *testing.T) {
	for s, want := range map[string]int64{"1": 1, "42": 42, "9223372036854775807": 9223372036854775807,
		"0": 0, "01": 0, "+1": 0, "-1": 0, " 1": 0, "1 ": 0, "1e3": 0, "": 0, "x": 0, "9223372036854775808": 0} {
		got, err := parseID(s)
		if got != want || (err == nil) != (want > 0) {
			t.Errorf("parseID(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}
