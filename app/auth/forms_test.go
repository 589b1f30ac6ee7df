package auth

import (
	"strings"
	"testing"
)

func TestCommonPasswords(t *testing.T) {
	for _, p := range []string{"password123", "Password2024!", "1234567890", "0987654321", "aaaaaaaaaaaa", "qwertyuiop", "iloveyou99", "monkeymonkey", "!!Football!!", "abcdefghijkl", "Kindred2026"} {
		if !isCommonPassword(p) {
			t.Errorf("%q should be refused as common", p)
		}
	}
	for _, p := range []string{"correct horse battery", "tea kettle on the moon", "Hx7!pq2Lw9za", "passwordless signin is nice"} {
		if isCommonPassword(p) {
			t.Errorf("%q should be allowed", p)
		}
	}
}

func TestSignUpFormTrimsAndValidates(t *testing.T) {
	f := SignUpForm{Handle: "  sunny_day ", Email: " sun@example.org ", Password: "a long enough passphrase", Agree: true, HealthConsent: true}
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	if f.Handle != "sunny_day" || f.Email != "sun@example.org" {
		t.Fatalf("not trimmed: %+v", f)
	}
	f = SignUpForm{Handle: "ünïcode", Email: "Name <a@example.org>", Password: strings.Repeat("é", 257)}
	err := f.Validate()
	if err == nil {
		t.Fatal("invalid form accepted")
	}
	msg := err.Error()
	for _, field := range []string{"handle", "email", "password"} {
		if !strings.Contains(msg, field) {
			t.Errorf("%s not reported in %q", field, msg)
		}
	}
}

func TestTokenFormDefaultsToRead(t *testing.T) {
	f := TokenForm{Name: "backup"}
	if err := f.Validate(); err != nil || f.Scope != "read" {
		t.Fatalf("%v %q", err, f.Scope)
	}
	if err := (&TokenForm{Name: strings.Repeat("n", 61), Scope: "root"}).Validate(); err == nil {
		t.Fatal("bad token form accepted")
	}
}
