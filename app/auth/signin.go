package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alexedwards/argon2id"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/models"
)

// ErrBadCredentials is the one answer for an unknown account, a wrong
// password or an account without a password, so none can be told apart.
var ErrBadCredentials = errors.New("auth: bad credentials")

// ErrAccountSuspended is returned when a correct password meets a suspended account.
var ErrAccountSuspended = errors.New("auth: account suspended")

// SignIn checks a handle or e-mail and password and starts a session.
func (s *Service) SignIn(ctx context.Context, f SignInForm, cl Client) (*models.User, string, error) {
	u, err := s.authenticate(ctx, f, cl)
	if err != nil {
		return nil, "", err
	}
	if !u.CanSignIn(s.now()) {
		return nil, "", ErrAccountSuspended
	}
	token, err := s.startSession(ctx, s.db.Gorm, u, cl)
	if err != nil {
		return nil, "", err
	}
	return u, token, nil
}

// SuspendedAccount checks the credentials of a suspended account, with
// the sign-in rate limits, and returns it, so its owner can appeal without
// a session. Any other account is ErrBadCredentials here.
func (s *Service) SuspendedAccount(ctx context.Context, f SignInForm, cl Client) (*models.User, error) {
	u, err := s.authenticate(ctx, f, cl)
	if err != nil {
		return nil, err
	}
	if u.Status != models.StatusSuspended || u.CanSignIn(s.now()) {
		return nil, ErrBadCredentials
	}
	return u, nil
}

// authenticate checks a handle or e-mail and password under the rate limits.
func (s *Service) authenticate(ctx context.Context, f SignInForm, cl Client) (*models.User, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if err := s.limiter.Hit(ctx, "signin:ip:"+cl.IP, s.opts.Limits.SignInPerIP); err != nil {
		return nil, err
	}
	u, err := s.store.userByLogin(ctx, s.db.Gorm, f.Login)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	// One account, one count: failures by handle and by e-mail add up. A
	// login that names no account is counted by what was typed.
	rule := s.opts.Limits.SignInPerAccount
	key := ratelimit.Key("signin:acct", f.Login)
	if u != nil {
		key = "signin:user:" + strconv.FormatInt(u.ID, 10)
	}
	owner := false
	if err := s.limiter.Check(ctx, key, rule); err != nil {
		// Someone else's guesses do not lock the owner out of a browser
		// they signed in on before: it has a count of its own.
		if u == nil || !s.knownDevice(u, cl) {
			return nil, err
		}
		owner = true
		key = ratelimit.Key("signin:device:"+strconv.FormatInt(u.ID, 10), cl.Browser)
		if err := s.limiter.Check(ctx, key, rule); err != nil {
			return nil, err
		}
	}
	hash := s.dummy()
	if u != nil && u.PasswordHash != nil {
		hash = *u.PasswordHash
	}
	ok, _ := argon2id.ComparePasswordAndHash(f.Password, hash)
	if !ok || u == nil || u.PasswordHash == nil {
		n, err := s.limiter.RecordCount(ctx, key, rule)
		if err != nil {
			return nil, err
		}
		if n == rule.Max && u != nil && !owner && u.Email != nil {
			// Sign-ins from new browsers are paused now: the owner hears
			// of it once per window, with the way back.
			if _, err := s.db.River.Insert(ctx, AccountEmailArgs{UserID: u.ID, Purpose: noticeSignInPaused}, nil); err != nil {
				s.log.WarnContext(ctx, "sign-in pause notice not queued", "user_id", u.ID, "error", err.Error())
			}
		}
		return nil, ErrBadCredentials
	}
	return u, nil
}

// DeviceMark is what a browser keeps after u signs in on it: a mark of
// the account and that browser only the server can make.
func (s *Service) DeviceMark(u *models.User, browser string) string {
	if browser == "" {
		return ""
	}
	mac := hmac.New(sha256.New, s.opts.Secret)
	mac.Write([]byte("known-device|" + strconv.FormatInt(u.ID, 10) + "|" + browser))
	return strconv.FormatInt(u.ID, 10) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

// knownDevice: the browser holds u's mark for itself.
func (s *Service) knownDevice(u *models.User, cl Client) bool {
	want := s.DeviceMark(u, cl.Browser)
	if want == "" {
		return false
	}
	for _, m := range strings.Split(cl.KnownDevices, "~") {
		if hmac.Equal([]byte(m), []byte(want)) {
			return true
		}
	}
	return false
}

// startSession issues a fresh random token; only its hash is stored.
func (s *Service) startSession(ctx context.Context, db *gorm.DB, u *models.User, cl Client) (string, error) {
	return s.startSessionWith(ctx, db, u, cl, sessionOrigin{})
}

func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// sessionTouchEvery limits last-seen writes to one a minute per session.
const sessionTouchEvery = time.Minute
