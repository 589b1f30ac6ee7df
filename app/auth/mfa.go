package auth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	qrcode "github.com/skip2/go-qrcode"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Strong sign-in: an authenticator app (TOTP, RFC 6238) and single-use
// recovery codes, asked for after the password or provider sign-in of an
// account that has them. See docs/architecture.md, "Strong sign-in".

const (
	// totpPeriod is the length of one TOTP step; a code is accepted one
	// step either side of now (clocks on phones drift).
	totpPeriod = 30
	totpSkew   = 1
	// RecoveryCodeCount is how many recovery codes an account gets at once.
	RecoveryCodeCount = 10
	// PendingSecondFactorTTL is how long a half-signed session waits for
	// its second factor.
	PendingSecondFactorTTL = 10 * time.Minute
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// ErrBadSecondFactor is the one answer for a wrong, expired, replayed or
// used-up code.
var ErrBadSecondFactor = errors.New("auth: that code is not right")

// ErrLastFactor refuses removing the last second factor of someone whose
// role requires one.
var ErrLastFactor = &models.ForbiddenError{Code: "mfa_required",
	Message: "Your role needs a second way to sign in, so the last one cannot be removed. Add another first."}

// MFAStatus is what an account's owner may see of its second factors:
// never a secret.
type MFAStatus struct {
	TOTP          bool       `json:"totp"`
	TOTPAddedAt   *time.Time `json:"totp_added_at,omitempty"`
	TOTPPending   bool       `json:"totp_pending"` // enrolment begun, not confirmed
	RecoveryCodes int        `json:"recovery_codes_left"`
	Passkeys      []Passkey  `json:"passkeys"`
}

// Enabled reports whether the account has a second factor.
func (m MFAStatus) Enabled() bool { return m.TOTP || len(m.Passkeys) > 0 }

type totpRow struct {
	UserID      int64
	SecretEnc   []byte
	CreatedAt   time.Time
	ConfirmedAt *time.Time
	LastStep    int64
}

func (totpRow) TableName() string { return "mfa_totp" }

// mfaKey is the AES-256 key sealing TOTP secrets, derived from the
// server secret so that a copy of the database yields no codes.
func (s *Service) mfaKey() []byte {
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("kindred|mfa-totp-secret|v1"))
	return m.Sum(nil)
}

func (s *Service) seal(userID int64, plain string) ([]byte, error) {
	block, err := aes.NewCipher(s.mfaKey())
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	// The user id is the additional data: a sealed secret copied to
	// another account's row does not open.
	return gcm.Seal(nonce, nonce, []byte(plain), []byte(strconv.FormatInt(userID, 10))), nil
}

func (s *Service) unseal(userID int64, sealed []byte) (string, error) {
	block, err := aes.NewCipher(s.mfaKey())
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	if len(sealed) < gcm.NonceSize() {
		return "", errors.New("auth: sealed secret too short")
	}
	plain, err := gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], []byte(strconv.FormatInt(userID, 10)))
	if err != nil {
		return "", fmt.Errorf("auth: TOTP secret of user %d does not open (was KINDRED_SECRET_KEY changed?): %w", userID, err)
	}
	return string(plain), nil
}

// MFA reads the account's second factors.
func (s *Service) MFA(ctx context.Context, userID int64) (MFAStatus, error) {
	var st MFAStatus
	var rows []totpRow
	if err := s.db.Gorm.WithContext(ctx).Where("user_id = ?", userID).Find(&rows).Error; err != nil {
		return st, fmt.Errorf("auth: mfa of %d: %w", userID, err)
	}
	for _, r := range rows {
		if r.ConfirmedAt != nil {
			st.TOTP, st.TOTPAddedAt = true, r.ConfirmedAt
		} else {
			st.TOTPPending = true
		}
	}
	var n int64
	var err error
	if err = s.db.Gorm.WithContext(ctx).Table("mfa_recovery_codes").Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error; err != nil {
		return st, fmt.Errorf("auth: mfa of %d: %w", userID, err)
	}
	st.RecoveryCodes = int(n)
	if st.Passkeys, err = s.Passkeys(ctx, userID); err != nil {
		return st, fmt.Errorf("auth: mfa of %d: %w", userID, err)
	}
	if st.Passkeys == nil {
		st.Passkeys = []Passkey{}
	}
	return st, nil
}

// hasSecondFactor: the account must pass a second step at sign-in.
func hasSecondFactor(ctx context.Context, db *gorm.DB, userID int64) (bool, error) {
	var ok bool
	err := db.WithContext(ctx).Raw(`SELECT EXISTS(SELECT 1 FROM mfa_totp WHERE user_id = ? AND confirmed_at IS NOT NULL)
		OR EXISTS(SELECT 1 FROM webauthn_credentials WHERE user_id = ?)`, userID, userID).Scan(&ok).Error
	return ok, err
}

// TOTPEnrolment is what the owner needs to add the app: shown once, on
// their own security page, never logged or e-mailed.
type TOTPEnrolment struct {
	Secret string // base32, for typing in by hand
	URI    string // otpauth://
	QR     string // the URI as a PNG data: URL
}

// BeginTOTP makes a new secret for the account (replacing an enrolment
// not yet confirmed). An account with a confirmed app removes it first.
func (s *Service) BeginTOTP(ctx context.Context, u *models.User) (*TOTPEnrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Kindred", AccountName: u.Handle, Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, err
	}
	sealed, err := s.seal(u.ID, key.Secret())
	if err != nil {
		return nil, err
	}
	res := s.db.Gorm.WithContext(ctx).Exec(`INSERT INTO mfa_totp (user_id, secret_enc, created_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret_enc = EXCLUDED.secret_enc, created_at = EXCLUDED.created_at, last_step = 0
		WHERE mfa_totp.confirmed_at IS NULL`, u.ID, sealed, s.now().UTC())
	if res.Error != nil {
		return nil, fmt.Errorf("auth: begin TOTP for %d: %w", u.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, &models.ConflictError{Message: "Your account already has an authenticator app. Remove it first to set up another."}
	}
	return enrolment(key)
}

func enrolment(key *otp.Key) (*TOTPEnrolment, error) {
	png, err := qrcode.Encode(key.URL(), qrcode.Medium, 256)
	if err != nil {
		return nil, err
	}
	return &TOTPEnrolment{Secret: key.Secret(), URI: key.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}

// PendingTOTP shows an enrolment begun and not yet confirmed again (nil
// when there is none), so a reload of the page does not lose it.
func (s *Service) PendingTOTP(ctx context.Context, u *models.User) (*TOTPEnrolment, error) {
	var r totpRow
	err := s.db.Gorm.WithContext(ctx).Where("user_id = ? AND confirmed_at IS NULL", u.ID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	secret, err := s.unseal(u.ID, r.SecretEnc)
	if err != nil {
		return nil, err
	}
	key, err := otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/Kindred:%s?secret=%s&issuer=Kindred&period=%d&digits=6&algorithm=SHA1",
		strings.ReplaceAll(u.Handle, " ", "%20"), secret, totpPeriod))
	if err != nil {
		return nil, err
	}
	return enrolment(key)
}

// matchStep returns the TOTP step code was made for, within the skew, or
// -1.
func (s *Service) matchStep(secret, code string) int64 {
	now := s.now().Unix() / totpPeriod
	found := int64(-1)
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix((now+d)*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found = now + d
		}
	}
	return found
}

// useTOTP accepts a code for the account's app (confirmed or, with
// pending, the one being enrolled) once: the step it was made for must be
// later than the last step accepted, so a code seen over a shoulder or
// replayed is refused.
func (s *Service) useTOTP(ctx context.Context, db *gorm.DB, userID int64, code string, pending bool) (bool, error) {
	var r totpRow
	q := db.WithContext(ctx).Where("user_id = ?", userID)
	if pending {
		q = q.Where("confirmed_at IS NULL")
	} else {
		q = q.Where("confirmed_at IS NOT NULL")
	}
	err := q.Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	secret, err := s.unseal(userID, r.SecretEnc)
	if err != nil {
		return false, err
	}
	step := s.matchStep(secret, code)
	if step < 0 {
		return false, nil
	}
	res := db.WithContext(ctx).Exec(`UPDATE mfa_totp SET last_step = ? WHERE user_id = ? AND last_step < ?`, step, userID, step)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}

// normalizeCode keeps what matters of a typed code: digits and letters,
// lower-cased (people type spaces and dashes).
func normalizeCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') {
			b.WriteRune(r)
		}
		if b.Len() > 64 {
			break
		}
	}
	return b.String()
}

func (s *Service) recoveryHash(userID int64, code string) []byte {
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("kindred|recovery-code|" + strconv.FormatInt(userID, 10) + "|" + code))
	return m.Sum(nil)
}

// useRecoveryCode spends one recovery code (single use: the update wins
// once).
func (s *Service) useRecoveryCode(ctx context.Context, db *gorm.DB, userID int64, code string) (bool, error) {
	res := db.WithContext(ctx).Exec(`UPDATE mfa_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL`,
		s.now().UTC(), userID, s.recoveryHash(userID, code))
	return res.RowsAffected == 1, res.Error
}

// recoveryAlphabet leaves out letters and digits people confuse.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

func newRecoveryCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	out := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			out = append(out, '-')
		}
		// 256 % 31 != 0: the bias (a few percent on some letters) costs
		// far less than a bit of the code's ~49.
		out = append(out, recoveryAlphabet[int(x)%len(recoveryAlphabet)])
	}
	return string(out)
}

// replaceRecoveryCodes deletes the account's recovery codes and makes ten
// new ones, returned once in clear.
func (s *Service) replaceRecoveryCodes(ctx context.Context, db *gorm.DB, userID int64) ([]string, error) {
	if err := db.WithContext(ctx).Exec(`DELETE FROM mfa_recovery_codes WHERE user_id = ?`, userID).Error; err != nil {
		return nil, err
	}
	codes := make([]string, RecoveryCodeCount)
	now := s.now().UTC()
	for i := range codes {
		codes[i] = newRecoveryCode()
		if err := db.WithContext(ctx).Exec(`INSERT INTO mfa_recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)`,
			userID, s.recoveryHash(userID, normalizeCode(codes[i])), now).Error; err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// secondFactorLimit counts wrong codes per account: six tries in fifteen
// minutes make guessing a six-digit code hopeless.
func (s *Service) checkSecondFactorLimit(ctx context.Context, userID int64) error {
	return s.limiter.Check(ctx, "mfa:user:"+strconv.FormatInt(userID, 10), s.opts.Limits.SecondFactor)
}

func (s *Service) recordSecondFactorFailure(ctx context.Context, userID int64) error {
	_, err := s.limiter.RecordCount(ctx, "mfa:user:"+strconv.FormatInt(userID, 10), s.opts.Limits.SecondFactor)
	return err
}

// verifySecondFactor checks a code from the app or a recovery code, under
// the rate limit; kind says which one it was. db must not be a
// transaction: the limiter reads and counts on a connection of its own
// (a failure must stay counted), and a transaction's goroutine waiting for
// a second connection can wait forever once every connection is held by
// others doing the same. Inside one, use matchSecondFactor between
// checkSecondFactorLimit before and recordSecondFactorFailure after.
func (s *Service) verifySecondFactor(ctx context.Context, db *gorm.DB, userID int64, code string) (kind string, err error) {
	if err := s.checkSecondFactorLimit(ctx, userID); err != nil {
		return "", err
	}
	kind, err = s.matchSecondFactor(ctx, db, userID, code)
	if errors.Is(err, ErrBadSecondFactor) {
		if rerr := s.recordSecondFactorFailure(ctx, userID); rerr != nil {
			return "", rerr
		}
	}
	return kind, err
}

// matchSecondFactor checks a code through db alone, with no rate limit:
// ErrBadSecondFactor when it is wrong.
func (s *Service) matchSecondFactor(ctx context.Context, db *gorm.DB, userID int64, code string) (kind string, err error) {
	c := normalizeCode(code)
	ok := false
	switch {
	case len(c) == 6 && strings.Trim(c, "0123456789") == "":
		kind = "totp"
		ok, err = s.useTOTP(ctx, db, userID, c, false)
	case len(c) == 10:
		kind = "recovery_code"
		ok, err = s.useRecoveryCode(ctx, db, userID, c)
	}
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrBadSecondFactor
	}
	return kind, nil
}

// PendingSession is the half-signed session of a browser, with its user.
type PendingSession struct {
	User    *models.User
	Session *models.Session
}

// CompleteSecondFactor finishes a sign-in: with a right code, the
// half-signed session ends and a full one starts (a new token: nothing
// learnt about the first one is worth anything).
func (s *Service) CompleteSecondFactor(ctx context.Context, p PendingSession, code string, cl Client) (string, error) {
	if err := s.checkSecondFactorLimit(ctx, p.User.ID); err != nil {
		return "", err
	}
	var token string
	wrong := false
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		kind, err := s.matchSecondFactor(ctx, tx.DB, p.User.ID, code)
		if err != nil {
			wrong = errors.Is(err, ErrBadSecondFactor)
			return err
		}
		ok, err := s.store.deleteSession(ctx, tx.DB, p.User.ID, p.Session.ID)
		if err != nil {
			return err
		}
		if !ok { // used by a concurrent request
			return ErrBadSecondFactor
		}
		o := sessionOrigin{mfaProven: true, sid: p.Session.ProviderSid, idToken: p.Session.IDTokenHint}
		if p.Session.IdentityID != nil {
			o.identityID = *p.Session.IdentityID
		}
		if token, err = s.startSessionWith(ctx, tx.DB, p.User, cl, o); err != nil {
			return err
		}
		if kind == "recovery_code" {
			return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &p.User.ID, Action: "mfa.recovery_code.used", TargetKind: "user", TargetID: &p.User.ID, IP: clip(cl.IP, 64)})
		}
		return nil
	})
	if wrong {
		// Counted after the transaction rolled back, so that it stays.
		if rerr := s.recordSecondFactorFailure(ctx, p.User.ID); rerr != nil {
			return "", rerr
		}
	}
	if errors.Is(err, ErrBadSecondFactor) {
		return "", err
	}
	return token, err
}

// ConfirmSecondFactor is sudo mode's other door: a code from the app or a
// recovery code marks the session freshly proven, as the password does.
func (s *Service) ConfirmSecondFactor(ctx context.Context, u *models.User, sess *models.Session, code string) error {
	if _, err := s.verifySecondFactor(ctx, s.db.Gorm, u.ID, code); err != nil {
		return err
	}
	now := s.now().UTC()
	return s.db.Gorm.WithContext(ctx).Exec(`UPDATE sessions SET authenticated_at = ?, mfa_at = ? WHERE id = ? AND user_id = ?`, now, now, sess.ID, u.ID).Error
}

// CheckCode checks a second-factor code without a session (the API asks
// for one before changing sign-in methods).
func (s *Service) CheckCode(ctx context.Context, u *models.User, code string) (bool, error) {
	_, err := s.verifySecondFactor(ctx, s.db.Gorm, u.ID, code)
	if errors.Is(err, ErrBadSecondFactor) {
		return false, nil
	}
	return err == nil, err
}

// ConfirmTOTP finishes adding the app with a code from it. The first
// second factor also brings ten recovery codes (returned once), and signs
// out the account's other browsers: every session left has passed the
// second step. sess is nil from the API.
func (s *Service) ConfirmTOTP(ctx context.Context, u *models.User, sess *models.Session, code string, cl Client) ([]string, error) {
	if err := s.checkSecondFactorLimit(ctx, u.ID); err != nil {
		return nil, err
	}
	var codes []string
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		ok, err := s.useTOTP(ctx, tx.DB, u.ID, normalizeCode(code), true)
		if err != nil {
			return err
		}
		if !ok {
			return ErrBadSecondFactor
		}
		now := s.now().UTC()
		if err := tx.Exec(`UPDATE mfa_totp SET confirmed_at = ? WHERE user_id = ?`, now, u.ID).Error; err != nil {
			return err
		}
		var left int64
		if err := tx.Table("mfa_recovery_codes").Where("user_id = ? AND used_at IS NULL", u.ID).Count(&left).Error; err != nil {
			return err
		}
		if left == 0 {
			if codes, err = s.replaceRecoveryCodes(ctx, tx.DB, u.ID); err != nil {
				return err
			}
		}
		keep := int64(0)
		if sess != nil {
			keep = sess.ID
			if err := tx.Exec(`UPDATE sessions SET mfa_at = ?, authenticated_at = ? WHERE id = ?`, now, now, sess.ID).Error; err != nil {
				return err
			}
		}
		if _, err := s.store.deleteSessions(ctx, tx.DB, u.ID, keep); err != nil {
			return err
		}
		return s.factorChanged(ctx, tx, u, "mfa.totp.added", changeTOTPAdded, cl)
	})
	if errors.Is(err, ErrBadSecondFactor) {
		if rerr := s.recordSecondFactorFailure(ctx, u.ID); rerr != nil {
			return nil, rerr
		}
	}
	return codes, err
}

// RemoveTOTP removes the authenticator app. required says whether the
// account's role needs a second factor (models.Actor.MFARequired): then
// the last one stays.
func (s *Service) RemoveTOTP(ctx context.Context, u *models.User, required bool, cl Client) error {
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var others int64
		if err := tx.Raw(`SELECT count(*) FROM webauthn_credentials WHERE user_id = ?`, u.ID).Scan(&others).Error; err != nil {
			return err
		}
		if required && others == 0 {
			return ErrLastFactor
		}
		res := tx.Exec(`DELETE FROM mfa_totp WHERE user_id = ?`, u.ID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("auth: TOTP of %d: %w", u.ID, models.ErrNotFound)
		}
		if others == 0 { // no second factor left: the codes would only be a way around the password
			if err := tx.Exec(`DELETE FROM mfa_recovery_codes WHERE user_id = ?`, u.ID).Error; err != nil {
				return err
			}
		}
		return s.factorChanged(ctx, tx, u, "mfa.totp.removed", changeTOTPRemoved, cl)
	})
}

// RegenerateRecoveryCodes replaces the account's recovery codes (the old
// ones stop working) and returns the new ones, once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, u *models.User, cl Client) ([]string, error) {
	var codes []string
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		ok, err := hasSecondFactor(ctx, tx.DB, u.ID)
		if err != nil {
			return err
		}
		if !ok {
			return &models.ConflictError{Message: "Recovery codes come with a second factor: add an authenticator app first."}
		}
		if codes, err = s.replaceRecoveryCodes(ctx, tx.DB, u.ID); err != nil {
			return err
		}
		return s.factorChanged(ctx, tx, u, "mfa.recovery_codes.regenerated", changeRecoveryCodes, cl)
	})
	return codes, err
}

// factorChanged audits a change to the account's sign-in methods and
// tells the owner by e-mail (never with a code or secret in it).
func (s *Service) factorChanged(ctx context.Context, tx *database.Tx, u *models.User, action string, change SignInChange, cl Client) error {
	if err := audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: action, TargetKind: "user", TargetID: &u.ID, IP: clip(cl.IP, 64)}); err != nil {
		return err
	}
	return tx.Enqueue(ctx, AccountEmailArgs{UserID: u.ID, Purpose: noticeSignInMethods, Change: change}, nil)
}
