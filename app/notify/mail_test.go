package notify

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestLogMailerMasksTheRecipient(t *testing.T) {
	var buf bytes.Buffer
	m := &LogMailer{Log: slog.New(slog.NewJSONHandler(&buf, nil))}
	if err := m.Send(context.Background(), "maya@example.org", "Confirm", "open http://localhost:8080/account/verify?token=abc"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "maya@example.org") {
		t.Fatal("the full address reached the log")
	}
	if !strings.Contains(out, `m…@example.org`) || !strings.Contains(out, "verify?token=abc") {
		t.Fatalf("log lacks the masked address or the link: %s", out)
	}
}

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{"a@b.org": "a…@b.org", "broken": "…", "@x.org": "…"} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSMTPMailerRefusesABadSender(t *testing.T) {
	if _, err := NewSMTPMailer(SMTPConfig{From: "not an address"}); err == nil {
		t.Fatal("bad sender accepted")
	}
}

func TestRedactAddresses(t *testing.T) {
	got := redactAddresses(`550 5.1.1 <maya.t@example.org>: Recipient address rejected; also "x@y.z"`)
	if strings.Contains(got, "@") || strings.Count(got, "[address]") != 2 {
		t.Fatalf("not redacted: %q", got)
	}
}
