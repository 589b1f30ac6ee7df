package input

import (
	"errors"
	"strings"
	"testing"

	"github.com/kindred-health/kindred/models"
)

func TestCheck(t *testing.T) {
	cases := []struct {
		field, value, want string
	}{
		{"body", "Line one\r\nline two\tand a tab", ""},
		{"body", "bell\a", MsgControl},
		{"body", "esc\x1b[31m", MsgControl},
		{"body", "c1 \u0085 next line", MsgControl},
		{"body", "nul\x00", MsgNotText},
		{"body", "caf\xe9", MsgNotText},
		{"body", "\u200b\u200b", ""}, // bodies are left to their own checks
		{"body", "\u202egnp.exe", ""},
		{"title", "Sleep after chemo", ""},
		{"title", "\u202egnp.exe", MsgBidi},
		{"title", "a \u2066isolate\u2069", MsgBidi},
		{"title", "\u200b\u200c\u200d\ufeff", MsgInvisible},
		{"title", " \u3164 \u2800 ", MsgInvisible},
		{"title", "   ", ""}, // empty after trimming: the feature says it is required
		{"title", "two\nlines", MsgOneLine},
		{"title", "שלום\u200f!", ""}, // a direction mark in prose
		{"handle", "dr\u200fokafor", MsgDirMark},
		{"tags", "diabetes\u061c", MsgDirMark},
		{"forum.name", "\u202dname", MsgBidi},
		{"name", "👩\u200d⚕️ nurses", ""},
	}
	for _, c := range cases {
		if got := Check(c.field, c.value); got != c.want {
			t.Errorf("Check(%q, %q) = %q, want %q", c.field, c.value, got, c.want)
		}
	}
}

func TestScanJSON(t *testing.T) {
	cases := []struct {
		name, body string
		status     string // "", "malformed", or the field named
		code       string
	}{
		{"good", `{"title":"Hi there","body":"Text\n","tags":["a","b"],"n":1.5,"x":null,"o":{"k":true}}`, "", ""},
		{"duplicate", `{"title":"A","title":"B"}`, "title", CodeInvalidJSON},
		{"nested duplicate", `{"crisis_actions":{"high":[],"high":[]}}`, "crisis_actions.high", CodeInvalidJSON},
		{"duplicate in another case", `{"name":"first","NAME":"second"}`, "name", CodeInvalidJSON},
		{"duplicate with the Kelvin sign", "{\"kind\":\"a\",\"\u212aind\":\"b\"}", "kind", CodeInvalidJSON},
		{"bidi in a capitalised key", `{"Name":"Photo \u202egnp.exe"}`, "name", "invalid_text"},
		{"zero-width title in capitals", `{"TITLE":"\u200b\u200b"}`, "title", "invalid_text"},
		{"same key in two objects", `{"a":{"k":1},"b":{"k":2}}`, "", ""},
		{"trailing garbage", `{"title":"A"} x`, "body", CodeInvalidJSON},
		{"second value", `{"title":"A"}{"title":"B"}`, "body", CodeInvalidJSON},
		{"trailing space", "{\"title\":\"A\"} \n", "", ""},
		{"not json", `{"title":`, "malformed", ""},
		{"invalid UTF-8", "{\"title\":\"caf\xe9\"}", "title", "invalid_text"},
		{"invalid UTF-8 in the second field", "{\"title\":\"Fine\",\"body\":\"na\xefve \xff\xfe\"}", "body", "invalid_text"},
		{"invalid UTF-8 in a tag", "{\"tags\":[\"ok\",\"caf\xe9\"]}", "tags", "invalid_text"},
		{"invalid UTF-8 after a backslash", "{\"body\":\"a\\\xe9\"}", "body", "invalid_text"},
		{"invalid UTF-8 outside a string", "{\"title\":\xff\"A\"}", "malformed", ""},
		{"invalid UTF-8 after the value", "{\"title\":\"A\"}\xff", "body", CodeInvalidJSON},
		{"lone surrogate", `{"title":"a\ud800b"}`, "title", "invalid_text"},
		{"lone surrogate in a nested field", `{"crisis_actions":{"note":"\udbff x"}}`, "crisis_actions.note", "invalid_text"},
		{"lone low surrogate", `{"body":"\udc00"}`, "body", "invalid_text"},
		{"paired surrogates", `{"body":"\ud83d\ude00"}`, "", ""},
		{"escaped backslash before u", `{"body":"\\ud800"}`, "", ""},
		{"NUL escape", `{"title":"a\u0000"}`, "title", "invalid_text"},
		{"control escape", `{"body":"a\u0007"}`, "body", "invalid_text"},
		{"bidi title", `{"title":"\u202egnp.exe"}`, "title", "invalid_text"},
		{"bidi tag", `{"tags":["ok","\u202ex"]}`, "tags", "invalid_text"},
		{"too deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), "body", CodeInvalidJSON},
		{"empty key", `{"":1,"":2}`, "", CodeInvalidJSON},
	}
	for _, c := range cases {
		err := ScanJSON([]byte(c.body))
		var mal *MalformedError
		var verr *models.ValidationError
		switch {
		case c.status == "" && c.code == "":
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		case c.status == "malformed":
			if !errors.As(err, &mal) {
				t.Errorf("%s: %v, want malformed", c.name, err)
			}
		default:
			if !errors.As(err, &verr) || verr.Code != c.code || (c.status != "" && verr.Fields[c.status] == "") {
				t.Errorf("%s: %#v, want %s on %q", c.name, err, c.code, c.status)
			}
		}
	}
}

func TestNormalizeNewlines(t *testing.T) {
	if got := NormalizeNewlines("a\r\nb\rc\n"); got != "a\nb\nc\n" {
		t.Errorf("got %q", got)
	}
}
