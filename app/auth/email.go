package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"text/template"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// How long e-mailed links work.
const (
	VerifyEmailTTL   = 48 * time.Hour
	ResetPasswordTTL = time.Hour
)

// Mailer sends one plain-text message; notify implements it over SMTP.
type Mailer interface {
	Send(ctx context.Context, to, subject, text string) error
}

// AccountEmailArgs asks for a verification or password-reset e-mail. The
// link's secret is made by the job, so it is never stored in the queue.
type AccountEmailArgs struct {
	UserID  int64                      `json:"user_id"`
	Purpose models.AccountTokenPurpose `json:"purpose"`
	// Change says which sign-in method changed (noticeSignInMethods);
	// Device describes the browser of a new-device sign-in. Neither ever
	// holds a code or a secret.
	Change SignInChange `json:"change,omitempty"`
	Device string       `json:"device,omitempty"`
}

// SignInChange names a change to an account's sign-in methods, for the
// e-mail that tells its owner.
type SignInChange string

// The changes the owner hears about.
const (
	changeTOTPAdded     SignInChange = "totp_added"
	changeTOTPRemoved   SignInChange = "totp_removed"
	changeRecoveryCodes SignInChange = "recovery_codes"
	changePassword      SignInChange = "password"
	changePasskeyAdded  SignInChange = "passkey_added"
	changePasskeyGone   SignInChange = "passkey_removed"
)

// changeText is what the e-mail says happened.
var changeText = map[SignInChange]string{
	changeTOTPAdded:     "An authenticator app was added as a second way to confirm it is you.",
	changeTOTPRemoved:   "The authenticator app was removed from your account.",
	changeRecoveryCodes: "New recovery codes were made; the old ones no longer work.",
	changePassword:      "Your password was changed.",
	changePasskeyAdded:  "A passkey or security key was added.",
	changePasskeyGone:   "A passkey or security key was removed.",
}

// noticeSignInMethods tells the owner that a sign-in method changed, and
// noticeNewDevice that someone signed in from a browser new to the
// account.
const (
	noticeSignInMethods models.AccountTokenPurpose = "notice_sign_in_methods"
	noticeNewDevice     models.AccountTokenPurpose = "notice_new_device"
)

// noticeSignInPaused asks for the notice that sign-ins from new browsers
// are paused after many wrong passwords; it carries no link secret.
const noticeSignInPaused models.AccountTokenPurpose = "notice_sign_in_paused"

// noticeSignUpAttempt tells an address's owner that someone signed up
// with it (sign-up answers the same whether or not an address is in use).
const noticeSignUpAttempt models.AccountTokenPurpose = "notice_sign_up_attempt"

// Kind names the job.
func (AccountEmailArgs) Kind() string { return "account_email" }

// InsertOpts retries mail for about a day before giving up.
func (AccountEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 12, Queue: river.QueueDefault}
}

// AccountEmailWorker makes the link and sends the message.
type AccountEmailWorker struct {
	river.WorkerDefaults[AccountEmailArgs]
	svc    *Service
	mailer Mailer
	tpl    *template.Template
}

// NewAccountEmailWorker parses the e-mail templates from tfs (email/*.txt).
func NewAccountEmailWorker(svc *Service, mailer Mailer, tfs fs.FS) (*AccountEmailWorker, error) {
	tpl, err := template.ParseFS(tfs, "email/*.txt")
	if err != nil {
		return nil, fmt.Errorf("auth: e-mail templates: %w", err)
	}
	return &AccountEmailWorker{svc: svc, mailer: mailer, tpl: tpl}, nil
}

type emailData struct {
	Handle  string
	Link    string
	Expires string
	What    string // what changed, or the new browser
	When    string
}

// Work sends the e-mail. An account whose address has gone or is already
// verified gets nothing; a mail failure is retried by River.
func (w *AccountEmailWorker) Work(ctx context.Context, job *river.Job[AccountEmailArgs]) error {
	u, err := w.svc.User(ctx, job.Args.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.Email == nil {
		return nil
	}
	var tplName, subject, path string
	var ttl time.Duration
	switch job.Args.Purpose {
	case models.PurposeVerifyEmail:
		if u.EmailVerifiedAt != nil {
			return nil
		}
		tplName, subject, path, ttl = "verify_email.txt", "Confirm your e-mail address for Kindred", "/account/verify", VerifyEmailTTL
	case models.PurposeResetPassword:
		tplName, subject, path, ttl = "reset_password.txt", "Reset your Kindred password", "/password/reset", ResetPasswordTTL
	case noticeSignUpAttempt:
		var body bytes.Buffer
		err := w.tpl.ExecuteTemplate(&body, "signup_attempt.txt", emailData{
			Handle: u.Handle,
			Link:   strings.TrimRight(w.svc.opts.BaseURL, "/") + "/password/forgot",
		})
		if err != nil {
			return fmt.Errorf("auth: render signup_attempt.txt: %w", err)
		}
		return w.mailer.Send(ctx, *u.Email, "Someone tried to join Kindred with your address", body.String())
	case noticeSignInPaused:
		var body bytes.Buffer
		err := w.tpl.ExecuteTemplate(&body, "signin_paused.txt", emailData{
			Handle:  u.Handle,
			Link:    strings.TrimRight(w.svc.opts.BaseURL, "/") + "/password/forgot",
			Expires: humanDuration(w.svc.opts.Limits.SignInPerAccount.Window),
		})
		if err != nil {
			return fmt.Errorf("auth: render signin_paused.txt: %w", err)
		}
		return w.mailer.Send(ctx, *u.Email, "Sign-ins to your Kindred account are paused", body.String())
	case noticeSignInMethods, noticeNewDevice:
		tpl, subject, what := "sign_in_methods.txt", "A sign-in method of your Kindred account changed", changeText[job.Args.Change]
		if job.Args.Purpose == noticeNewDevice {
			tpl, subject, what = "new_device.txt", "New sign-in to your Kindred account", job.Args.Device
		} else if what == "" {
			return river.JobCancel(fmt.Errorf("auth: unknown sign-in change %q", job.Args.Change))
		}
		var body bytes.Buffer
		err := w.tpl.ExecuteTemplate(&body, tpl, emailData{
			Handle: u.Handle,
			Link:   strings.TrimRight(w.svc.opts.BaseURL, "/") + "/account/security",
			What:   what,
			When:   job.CreatedAt.UTC().Format("2 January 2006 at 15:04 UTC"),
		})
		if err != nil {
			return fmt.Errorf("auth: render %s: %w", tpl, err)
		}
		return w.mailer.Send(ctx, *u.Email, subject, body.String())
	default:
		return river.JobCancel(fmt.Errorf("auth: unknown e-mail purpose %q", job.Args.Purpose))
	}
	secret, err := w.svc.issueAccountToken(ctx, u, job.Args.Purpose, ttl)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	err = w.tpl.ExecuteTemplate(&body, tplName, emailData{
		Handle:  u.Handle,
		Link:    strings.TrimRight(w.svc.opts.BaseURL, "/") + path + "?token=" + url.QueryEscape(secret),
		Expires: humanDuration(ttl),
	})
	if err != nil {
		return fmt.Errorf("auth: render %s: %w", tplName, err)
	}
	return w.mailer.Send(ctx, *u.Email, subject, body.String())
}

func humanDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	if d == time.Hour {
		return "1 hour"
	}
	return d.String()
}

func (s *Service) issueAccountToken(ctx context.Context, u *models.User, purpose models.AccountTokenPurpose, ttl time.Duration) (string, error) {
	secret := newSecret()
	now := s.now().UTC()
	t := &models.AccountToken{UserID: u.ID, Purpose: purpose, TokenHash: s.keyed(purpose, secret), Email: *u.Email, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := s.db.Gorm.WithContext(ctx).Create(t).Error; err != nil {
		return "", fmt.Errorf("auth: account token: %w", err)
	}
	return secret, nil
}

// ErrLinkInvalid covers unknown, used, expired and superseded links alike.
var ErrLinkInvalid = errors.New("auth: this link is invalid, expired or already used")

// lookupAccountToken finds a live token without using it.
func (s *Service) lookupAccountToken(ctx context.Context, db *gorm.DB, purpose models.AccountTokenPurpose, secret string) (*models.AccountToken, *models.User, error) {
	if secret == "" || len(secret) > 100 {
		return nil, nil, ErrLinkInvalid
	}
	var t models.AccountToken
	err := db.WithContext(ctx).Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", s.keyed(purpose, secret), purpose, s.now()).First(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, ErrLinkInvalid
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.userByID(ctx, db, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	// A link for an address the account no longer has is dead.
	if u.Email == nil || !strings.EqualFold(*u.Email, t.Email) {
		return nil, nil, ErrLinkInvalid
	}
	return &t, u, nil
}

// consume marks a token used; false when another request used it first.
func (s *Service) consume(ctx context.Context, db *gorm.DB, t *models.AccountToken) (bool, error) {
	res := db.WithContext(ctx).Model(&models.AccountToken{}).Where("id = ? AND used_at IS NULL", t.ID).Update("used_at", s.now())
	return res.RowsAffected == 1, res.Error
}

// CheckLink reports whether a link is still usable (to show its form).
func (s *Service) CheckLink(ctx context.Context, purpose models.AccountTokenPurpose, secret string) error {
	_, _, err := s.lookupAccountToken(ctx, s.db.Gorm, purpose, secret)
	return err
}

// VerifyEmail confirms the address a verification link was sent to.
func (s *Service) VerifyEmail(ctx context.Context, secret string) (*models.User, error) {
	var user *models.User
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		t, u, err := s.lookupAccountToken(ctx, tx.DB, models.PurposeVerifyEmail, secret)
		if err != nil {
			return err
		}
		ok, err := s.consume(ctx, tx.DB, t)
		if err != nil {
			return err
		}
		if !ok {
			return ErrLinkInvalid
		}
		now := s.now()
		user = u
		u.EmailVerifiedAt = &now
		return s.store.updateUser(ctx, tx.DB, u.ID, map[string]any{"email_verified_at": now})
	})
	return user, err
}

// ResendVerification queues another verification e-mail.
func (s *Service) ResendVerification(ctx context.Context, u *models.User, cl Client) error {
	if !u.EmailUnconfirmed() {
		return nil
	}
	// Counted alike for an address that waits forever (another account
	// uses it): nothing is sent then, and nothing tells it apart.
	if err := s.limiter.Hit(ctx, "email:ip:"+cl.IP, s.opts.Limits.EmailPerIP); err != nil {
		return err
	}
	if u.Email == nil {
		return nil
	}
	_, err := s.db.River.Insert(ctx, AccountEmailArgs{UserID: u.ID, Purpose: models.PurposeVerifyEmail}, nil)
	return err
}

// RequestPasswordReset queues a reset e-mail when the address belongs to an
// account. The caller shows the same answer either way.
func (s *Service) RequestPasswordReset(ctx context.Context, email string, cl Client) error {
	v := models.NewValidationError()
	email = validateEmail(v, "email", email)
	if err := v.OrNil(); err != nil {
		return err
	}
	if err := s.limiter.Hit(ctx, "email:ip:"+cl.IP, s.opts.Limits.EmailPerIP); err != nil {
		return err
	}
	// Confirmed or not: the link goes to the address itself, and using
	// it confirms the address.
	var u models.User
	err := s.db.Gorm.WithContext(ctx).Where("lower(email) = lower(?)", email).First(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if u.SSOOnly { // no password to reset: the same answer, no e-mail
		return nil
	}
	_, err = s.db.River.Insert(ctx, AccountEmailArgs{UserID: u.ID, Purpose: models.PurposeResetPassword}, nil)
	return err
}

// ResetPassword sets a new password from a reset link, ends every session,
// kills the account's other reset links and signs this browser in.
func (s *Service) ResetPassword(ctx context.Context, secret, password string, cl Client) (*models.User, string, error) {
	var user *models.User
	var token string
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		t, u, err := s.lookupAccountToken(ctx, tx.DB, models.PurposeResetPassword, secret)
		if err != nil {
			return err
		}
		if err := CheckLocalCredentials(u); err != nil {
			return err
		}
		v := models.NewValidationError()
		validatePassword(v, "password", password, u.Handle, *u.Email)
		if err := v.OrNil(); err != nil {
			return err
		}
		ok, err := s.consume(ctx, tx.DB, t)
		if err != nil {
			return err
		}
		if !ok {
			return ErrLinkInvalid
		}
		hash, err := s.hash(password)
		if err != nil {
			return err
		}
		now := s.now()
		if err := s.store.updateUser(ctx, tx.DB, u.ID, map[string]any{"password_hash": hash, "email_verified_at": gorm.Expr("coalesce(email_verified_at, ?)", now), "updated_at": now}); err != nil {
			return err
		}
		if err := tx.Model(&models.AccountToken{}).Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, models.PurposeResetPassword).Update("used_at", now).Error; err != nil {
			return err
		}
		if _, err := s.store.deleteSessions(ctx, tx.DB, u.ID, 0); err != nil {
			return err
		}
		if _, err := revokeAPITokens(ctx, tx.DB, u.ID); err != nil {
			return err
		}
		user = u
		if !u.CanSignIn(now) {
			return nil
		}
		token, err = s.startSession(ctx, tx.DB, u, cl)
		return err
	})
	return user, token, err
}
