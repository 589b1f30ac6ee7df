package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/kindred-health/kindred/app/auth"
)

// Strong sign-in helpers. Codes come from pquerna/otp, a generator
// independent of the server's check, on the harness's fake clock.

// codeAt is the authenticator app's code for secret at t.
func codeAt(secret string, t time.Time) string {
	c, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		panic(err)
	}
	return c
}

// code is the app's code now, on the harness's clock.
func (h *harness) code(secret string) string { return codeAt(secret, h.clock.Now()) }

// nextStep moves the clock to the start of the next 30-second step, so
// that a new code exists (a code is accepted once).
func (h *harness) nextStep() {
	now := h.clock.Now()
	h.clock.Advance(time.Duration(30-now.Unix()%30)*time.Second - time.Duration(now.Nanosecond()))
}

// enrolTOTP gives handle an authenticator app through the service and
// returns its secret and recovery codes.
func (h *harness) enrolTOTP(handle string) (string, []string) {
	h.t.Helper()
	u := h.user(handle)
	e, err := h.app.Auth.BeginTOTP(context.Background(), u)
	if err != nil {
		h.t.Fatal(err)
	}
	codes, err := h.app.Auth.ConfirmTOTP(context.Background(), u, nil, h.code(e.Secret), auth.Client{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.nextStep()
	return e.Secret, codes
}

// signInWithCode signs in with the password and then a code from the app.
func (b *browser) signInWithCode(login, password, secret string) *resp {
	b.h.t.Helper()
	r := b.signIn(login, password)
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, auth.SecondFactorPath) {
		b.h.t.Fatalf("sign-in of %s: %d to %q, not the second step", login, r.StatusCode, loc)
	}
	b.get(r.Header.Get("Location"))
	r = b.post(auth.SecondFactorPath, url.Values{"code": {b.h.code(secret)}, "next": {"/"}})
	if r.StatusCode != http.StatusSeeOther {
		b.h.t.Fatalf("second step of %s: %d\n%s", login, r.StatusCode, r.body)
	}
	b.h.nextStep()
	b.get("/")
	return r
}

var secretRe = regexp.MustCompile(`id="totp-secret"[^>]*>([A-Z2-7]+)<`)
var recoveryRe = regexp.MustCompile(`<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>`)

// enrolInBrowser sets the app up through the security page and returns
// its secret and the recovery codes shown.
func (b *browser) enrolInBrowser() (string, []string) {
	b.h.t.Helper()
	b.get("/account/security")
	if r := b.post("/account/security/totp", nil); r.StatusCode != http.StatusSeeOther {
		b.h.t.Fatalf("begin TOTP: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	page := b.get("/account/security")
	m := secretRe.FindStringSubmatch(page.body)
	if m == nil {
		b.h.t.Fatalf("no secret on the security page:\n%s", page.body)
	}
	r := b.post("/account/security/totp/confirm", url.Values{"code": {b.h.code(m[1])}})
	if r.StatusCode != http.StatusOK {
		b.h.t.Fatalf("confirm TOTP: %d\n%s", r.StatusCode, r.body)
	}
	var codes []string
	for _, c := range recoveryRe.FindAllStringSubmatch(r.body, -1) {
		codes = append(codes, c[1])
	}
	b.h.nextStep()
	return m[1], codes
}
