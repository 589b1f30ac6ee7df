package auth

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/models"
)

// Limits on what people type.
const (
	HandleMin      = 3
	HandleMax      = 30
	EmailMax       = 254
	PasswordMin    = 10
	PasswordMax    = 256
	TokenNameMax   = 60
	maxFieldBytes  = 1024
	passwordBytes  = 1024
	handlePatternS = `^[A-Za-z0-9][A-Za-z0-9_.-]*$`
)

var handlePattern = regexp.MustCompile(handlePatternS)

// Handles that would mislead people into thinking a post is official.
var reservedHandles = map[string]bool{
	"admin": true, "administrator": true, "moderator": true, "mod": true, "kindred": true,
	"support": true, "system": true, "anonymous": true, "deleted": true, "staff": true,
	"clinician": true, "doctor": true, "nurse": true, "root": true, "help": true, "security": true, "suggest": true,
}

// SignUpForm is what the sign-up page posts.
type SignUpForm struct {
	Handle   string
	Email    string
	Password string
	// Language and Region come from the browser's Accept-Language (empty,
	// or ignored when malformed: the site's default).
	Language, Region string
	// Agree: to the terms and privacy notice; HealthConsent: to processing
	// health information. Both are required, and recorded (OnSignUp).
	Agree, HealthConsent bool
}

// Values returns what to show again in the form (never the password).
func (f SignUpForm) Values() map[string]string {
	on := func(b bool) string {
		if b {
			return "on"
		}
		return ""
	}
	return map[string]string{"handle": f.Handle, "email": f.Email, "agree": on(f.Agree), "health_consent": on(f.HealthConsent)}
}

func validateHandle(v *models.ValidationError, field, h string) string {
	switch {
	case !utf8.ValidString(h):
		v.Add(field, "Handle must be valid text.")
	case strings.TrimSpace(h) == "":
		v.Add(field, "Choose a handle: the name others see.")
	case utf8.RuneCountInString(h) > HandleMax:
		v.Add(field, "Handle must be at most 30 characters.")
	case utf8.RuneCountInString(h) < HandleMin:
		v.Add(field, "Handle must be at least 3 characters.")
	case !handlePattern.MatchString(h):
		v.Add(field, "Handle may use letters, digits, dots, dashes and underscores, and must start with a letter or digit.")
	case models.IsFormerMember(strings.ToLower(h)):
		v.Add(field, "That handle is reserved. Please choose another.")
	case reservedSkeletons[input.Skeleton(h)]:
		v.Add(field, "That handle is reserved. Please choose another.")
	}
	return h
}

// MsgHandleLookalike is said of a handle whose skeleton (input.Skeleton)
// another account's handle has: "dr.0kafor" beside "dr_okafor".
const MsgHandleLookalike = "That handle is too close to an existing member's name: others could mistake one for the other. Please choose another."

// reservedSkeletons: lookalikes of reserved handles ("adm1n", "m0d") are
// reserved too.
var reservedSkeletons = func() map[string]bool {
	m := map[string]bool{}
	for h := range reservedHandles {
		m[input.Skeleton(h)] = true
	}
	return m
}()

func validateEmail(v *models.ValidationError, field, e string) string {
	e = strings.TrimSpace(e)
	switch {
	case !utf8.ValidString(e):
		v.Add(field, "E-mail address must be valid text.")
	case e == "":
		v.Add(field, "Enter your e-mail address. It is never shown to others.")
	case len(e) > EmailMax:
		v.Add(field, "E-mail address must be at most 254 characters.")
	default:
		a, err := mail.ParseAddress(e)
		if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
			v.Add(field, "Enter an e-mail address such as name@example.org.")
		}
	}
	return e
}

func validatePassword(v *models.ValidationError, field, p string, others ...string) {
	switch {
	case !utf8.ValidString(p):
		v.Add(field, "Password must be valid text.")
	case p == "":
		v.Add(field, "Choose a password of at least 10 characters.")
	case utf8.RuneCountInString(p) < PasswordMin:
		v.Add(field, "Password must be at least 10 characters.")
	case utf8.RuneCountInString(p) > PasswordMax || len(p) > passwordBytes:
		v.Add(field, "Password must be at most 256 characters.")
	case isCommonPassword(p):
		v.Add(field, "That password is one of the most common and easy to guess. Please choose another.")
	default:
		for _, o := range others {
			if o != "" && strings.EqualFold(p, o) {
				v.Add(field, "Password must not be the same as your handle or e-mail address.")
			}
		}
	}
}

// Validate checks every field and returns a *models.ValidationError or nil.
func (f *SignUpForm) Validate() error {
	v := models.NewValidationError()
	f.Handle = strings.TrimSpace(f.Handle)
	validateHandle(v, "handle", f.Handle)
	f.Email = validateEmail(v, "email", f.Email)
	validatePassword(v, "password", f.Password, f.Handle, f.Email)
	if !f.Agree {
		v.Add("agree", "Tick this box to agree to the terms and the privacy notice.")
	}
	if !f.HealthConsent {
		v.Add("health_consent", "Tick this box: Kindred can only hold what you write about your health with your consent.")
	}
	return v.OrNil()
}

// SignInForm is what the sign-in page posts: a handle or an e-mail address.
type SignInForm struct {
	Login    string
	Password string
}

// Validate checks that both fields are present and plausible.
func (f *SignInForm) Validate() error {
	v := models.NewValidationError()
	f.Login = strings.TrimSpace(f.Login)
	switch {
	case !utf8.ValidString(f.Login):
		v.Add("login", "Handle or e-mail must be valid text.")
	case f.Login == "":
		v.Add("login", "Enter your handle or e-mail address.")
	case len(f.Login) > EmailMax:
		v.Add("login", "That is longer than any handle or e-mail address.")
	}
	switch {
	case !utf8.ValidString(f.Password):
		v.Add("password", "Password must be valid text.")
	case f.Password == "":
		v.Add("password", "Enter your password.")
	case len(f.Password) > passwordBytes:
		v.Add("password", "Password must be at most 256 characters.")
	}
	return v.OrNil()
}

// TokenForm creates a personal API token.
type TokenForm struct {
	Name  string `json:"name"`
	Scope string `json:"scope"`
	// ExpiresInDays ends the token that many days after it is made (0:
	// until revoked).
	ExpiresInDays int `json:"expires_in_days"`
}

// MaxTokenDays is the longest a token can be made to last.
const MaxTokenDays = 3650

// Validate checks the token's name and scope.
func (f *TokenForm) Validate() error {
	v := models.NewValidationError()
	f.Name = strings.TrimSpace(f.Name)
	switch {
	case !utf8.ValidString(f.Name):
		v.Add("name", "Name must be valid text.")
	case f.Name == "":
		v.Add("name", "Give the token a name so you recognise it later.")
	case utf8.RuneCountInString(f.Name) > TokenNameMax:
		v.Add("name", "Name must be at most 60 characters.")
	}
	if f.Scope == "" {
		f.Scope = string(models.ScopeRead)
	}
	if f.Scope != string(models.ScopeRead) && f.Scope != string(models.ScopeWrite) {
		v.Add("scope", "Scope must be read or write.")
	}
	if f.ExpiresInDays < 0 || f.ExpiresInDays > MaxTokenDays {
		v.Add("expires_in_days", "Choose how many days the token lasts: 1 to 3650, or 0 for until you revoke it.")
	}
	return v.OrNil()
}
