package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var linkRe = regexp.MustCompile(`http://[^/\s]+(/[a-z/]+\?token=[A-Za-z0-9_%-]+)`)

func linkIn(t *testing.T, body string) string {
	t.Helper()
	m := linkRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link in e-mail:\n%s", body)
	}
	return m[1]
}

func TestEmailVerification(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	b := h.member("vera")
	msg := h.mailbox.Wait(t, "vera@example.org", "Confirm your e-mail", 20*time.Second)
	if !strings.Contains(msg.Body, "Hello vera") || !strings.Contains(msg.Body, "48h") && !strings.Contains(msg.Body, "2 days") {
		t.Fatalf("unexpected e-mail:\n%s", msg.Body)
	}
	link := linkIn(t, msg.Body)

	// Opening the link (as a mail scanner would) does not use it up.
	r := h.browser().get(link)
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Confirm my address") {
		t.Fatalf("verify page: %d", r.StatusCode)
	}
	if h.user("vera").EmailVerifiedAt != nil {
		t.Fatal("a GET verified the address")
	}
	b.get(link)
	r = b.post("/account/verify", url.Values{"token": {tokenOf(link)}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", r.StatusCode)
	}
	if h.user("vera").EmailVerifiedAt == nil {
		t.Fatal("address not verified")
	}
	// Single use.
	b.get("/")
	if r := b.post("/account/verify", url.Values{"token": {tokenOf(link)}}); r.StatusCode != http.StatusGone {
		t.Fatalf("second use: %d, want 410", r.StatusCode)
	}
	// A tampered token is refused.
	if r := b.get("/account/verify?token=" + tokenOf(link) + "x"); r.StatusCode != http.StatusGone {
		t.Fatalf("tampered link: %d", r.StatusCode)
	}
}

func tokenOf(link string) string {
	u, _ := url.Parse(link)
	return u.Query().Get("token")
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	old := h.member("rosa")
	h.mailbox.Wait(t, "rosa@example.org", "Confirm", 20*time.Second)

	ask := func(email string) *resp {
		b := h.browser()
		b.get("/password/forgot")
		return b.post("/password/forgot", url.Values{"email": {email}})
	}
	known, unknown := ask("Rosa@example.org"), ask("nobody@example.org")
	if known.StatusCode != http.StatusOK || unknown.StatusCode != http.StatusOK {
		t.Fatalf("forgot: %d / %d", known.StatusCode, unknown.StatusCode)
	}
	strip := func(s string) string {
		return csrfRe.ReplaceAllString(regexp.MustCompile(`nonce="[^"]+"`).ReplaceAllString(s, ""), "")
	}
	if strip(known.body) != strip(unknown.body) {
		t.Fatal("the reset answer differs for an address without an account")
	}
	if r := ask("not an address"); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("malformed address: %d", r.StatusCode)
	}
	msg := h.mailbox.Wait(t, "rosa@example.org", "Reset your Kindred password", 20*time.Second)
	link := linkIn(t, msg.Body)

	b := h.browser()
	if r := b.get(link); r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Choose a new password") {
		t.Fatalf("reset page: %d", r.StatusCode)
	}
	if r := b.post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"short"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("weak password: %d", r.StatusCode)
	}
	if r := b.post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"my new long passphrase"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", r.StatusCode)
	}
	if b.get("/account").StatusCode != http.StatusOK {
		t.Fatal("not signed in after the reset")
	}
	if old.get("/account").StatusCode != http.StatusSeeOther {
		t.Fatal("an old session survived the reset")
	}
	if h.browser().signIn("rosa", goodPassword).StatusCode == http.StatusSeeOther {
		t.Fatal("the old password still works")
	}
	if h.browser().signIn("rosa", "my new long passphrase").StatusCode != http.StatusSeeOther {
		t.Fatal("the new password does not work")
	}
	b.get(link)
	if r := b.post("/password/reset", url.Values{"token": {tokenOf(link)}, "password": {"yet another passphrase"}}); r.StatusCode != http.StatusGone {
		t.Fatalf("reused link: %d, want 410", r.StatusCode)
	}

	// Links expire after an hour.
	ask("rosa@example.org")
	deadline := time.Now().Add(20 * time.Second)
	var fresh string
	for fresh == "" || fresh == link {
		if time.Now().After(deadline) {
			t.Fatal("second reset e-mail did not arrive")
		}
		h.mailbox.Wait(t, "rosa@example.org", "Reset", time.Second)
		// The newest reset e-mail (sign-ins from new browsers send
		// alerts in between).
		for _, m := range mailTo(h.mailbox, "rosa@example.org") {
			if strings.Contains(m.Subject, "Reset") {
				fresh = linkIn(t, m.Body)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.clock.Advance(61 * time.Minute)
	if r := h.browser().get(fresh); r.StatusCode != http.StatusGone {
		t.Fatalf("expired link: %d, want 410", r.StatusCode)
	}
}

func TestSignUpSurvivesMailOutage(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOpts{workers: true})
	h.mailbox.FailNext(1)
	h.member("patient_one")
	// The account exists at once, whatever the mail server does.
	if h.user("patient_one").ID == 0 {
		t.Fatal("sign-up lost")
	}
	// River retries the refused delivery.
	msg := h.mailbox.Wait(t, "patient_one@example.org", "Confirm", 45*time.Second)
	if linkIn(t, msg.Body) == "" {
		t.Fatal("retry sent no link")
	}
}
