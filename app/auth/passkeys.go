package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Passkeys and security keys (WebAuthn, github.com/go-webauthn/webauthn) as
// a second factor: registered on the security page, asked for at the
// sign-in's second step. The ceremonies need a browser, so they have no
// API; their challenges are kept server-side on the session that began
// them (sessions.webauthn_state), and used once.

// ErrBadPasskey is the one answer for a passkey answer that does not check
// out (wrong challenge, unknown key, bad signature, cloned authenticator).
var ErrBadPasskey = errors.New("auth: that passkey could not be checked")

// MaxPasskeys bounds the keys one account may register.
const MaxPasskeys = 10

// Passkey is a registered passkey or security key, as its owner sees it.
type Passkey struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

type passkeyRow struct {
	ID           int64
	UserID       int64
	CredentialID []byte
	Name         string
	Record       []byte
	CreatedAt    time.Time
	LastUsedAt   *time.Time
}

// webAuthn builds the relying party from the site's address: its host is
// the RP ID, its origin the only origin accepted.
func (s *Service) webAuthn() (*webauthn.WebAuthn, error) {
	u, err := url.Parse(s.opts.BaseURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("auth: passkeys need KINDRED_BASE_URL: %v", err)
	}
	return webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Kindred",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: 5 * time.Minute},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: 5 * time.Minute},
		},
	})
}

// waUser is an account as the WebAuthn library sees it. Its handle is an
// HMAC of the account id: stable, and telling an authenticator nothing.
type waUser struct {
	id          []byte
	name        string
	credentials []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.id }
func (u *waUser) WebAuthnName() string                       { return u.name }
func (u *waUser) WebAuthnDisplayName() string                { return u.name }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.credentials }

func (s *Service) waUser(ctx context.Context, db *gorm.DB, u *models.User) (*waUser, []passkeyRow, error) {
	m := hmac.New(sha256.New, s.opts.Secret)
	m.Write([]byte("kindred|webauthn-user|" + strconv.FormatInt(u.ID, 10)))
	wu := &waUser{id: m.Sum(nil), name: u.Handle}
	var rows []passkeyRow
	if err := db.WithContext(ctx).Table("webauthn_credentials").Where("user_id = ?", u.ID).Order("id").Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		var c webauthn.Credential
		if err := json.Unmarshal(r.Record, &c); err != nil {
			return nil, nil, fmt.Errorf("auth: passkey %d: %w", r.ID, err)
		}
		wu.credentials = append(wu.credentials, c)
	}
	return wu, rows, nil
}

// Passkeys lists the account's passkeys.
func (s *Service) Passkeys(ctx context.Context, userID int64) ([]Passkey, error) {
	var out []Passkey
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT id, name, created_at, last_used_at FROM webauthn_credentials WHERE user_id = ? ORDER BY id`, userID).Scan(&out).Error
	return out, err
}

func (s *Service) saveCeremony(ctx context.Context, sess *models.Session, sd *webauthn.SessionData) error {
	b, err := json.Marshal(sd)
	if err != nil {
		return err
	}
	return s.db.Gorm.WithContext(ctx).Exec(`UPDATE sessions SET webauthn_state = ? WHERE id = ?`, string(b), sess.ID).Error
}

// takeCeremony reads and clears the session's ceremony: a challenge is
// answered once.
func (s *Service) takeCeremony(ctx context.Context, db *gorm.DB, sess *models.Session) (*webauthn.SessionData, error) {
	// The old value, read in the same statement that clears it.
	var states []string
	if err := db.WithContext(ctx).Raw(`UPDATE sessions s SET webauthn_state = NULL FROM sessions old
		WHERE s.id = ? AND old.id = s.id AND old.webauthn_state IS NOT NULL RETURNING old.webauthn_state::text`, sess.ID).Scan(&states).Error; err != nil {
		return nil, err
	}
	if len(states) != 1 {
		return nil, ErrBadPasskey
	}
	var sd webauthn.SessionData
	if err := json.Unmarshal([]byte(states[0]), &sd); err != nil {
		return nil, err
	}
	return &sd, nil
}

// BeginPasskeyRegistration starts adding a passkey: the options go to the
// browser's navigator.credentials.create.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, u *models.User, sess *models.Session) (*protocol.CredentialCreation, error) {
	w, err := s.webAuthn()
	if err != nil {
		return nil, err
	}
	wu, _, err := s.waUser(ctx, s.db.Gorm, u)
	if err != nil {
		return nil, err
	}
	if len(wu.credentials) >= MaxPasskeys {
		return nil, &models.ConflictError{Message: fmt.Sprintf("You already have %d passkeys. Remove one you no longer use first.", MaxPasskeys)}
	}
	creation, sd, err := w.BeginRegistration(wu,
		webauthn.WithExclusions(webauthn.Credentials(wu.credentials).CredentialDescriptors()),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{UserVerification: protocol.VerificationPreferred, ResidentKey: protocol.ResidentKeyRequirementPreferred}))
	if err != nil {
		return nil, err
	}
	if err := s.saveCeremony(ctx, sess, sd); err != nil {
		return nil, err
	}
	return creation, nil
}

// FinishPasskeyRegistration checks the browser's answer and keeps the new
// passkey under name. Like the app, a first second factor signs out the
// account's other browsers.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, u *models.User, sess *models.Session, name string, body []byte, cl Client) error {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 60 {
		v := models.NewValidationError()
		v.Add("passkey_name", "Give the passkey a name of up to 60 characters, such as \"my phone\".")
		return v
	}
	w, err := s.webAuthn()
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(bytes.NewReader(body))
	if err != nil {
		s.log.InfoContext(ctx, "passkey registration unreadable", "user_id", u.ID, "error", describe(err))
		return ErrBadPasskey
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		sd, err := s.takeCeremony(ctx, tx.DB, sess)
		if err != nil {
			return err
		}
		wu, _, err := s.waUser(ctx, tx.DB, u)
		if err != nil {
			return err
		}
		cred, err := w.CreateCredential(wu, *sd, parsed)
		if err != nil {
			s.log.InfoContext(ctx, "passkey registration refused", "user_id", u.ID, "error", describe(err))
			return ErrBadPasskey
		}
		first, err := hasSecondFactor(ctx, tx.DB, u.ID)
		if err != nil {
			return err
		}
		record, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		transports := make([]string, 0, len(cred.Transport))
		for _, t := range cred.Transport {
			transports = append(transports, string(t))
		}
		now := s.now().UTC()
		if err := tx.Exec(`INSERT INTO webauthn_credentials (user_id, credential_id, public_key, sign_count, transports, name, record, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, cred.ID, cred.PublicKey, cred.Authenticator.SignCount, "{"+strings.Join(transports, ",")+"}", name, string(record), now).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &models.ConflictError{Message: "That passkey is already registered."}
			}
			return err
		}
		if !first {
			if err := tx.Exec(`UPDATE sessions SET mfa_at = ?, authenticated_at = ? WHERE id = ?`, now, now, sess.ID).Error; err != nil {
				return err
			}
			if _, err := s.store.deleteSessions(ctx, tx.DB, u.ID, sess.ID); err != nil {
				return err
			}
		}
		return s.factorChanged(ctx, tx, u, "mfa.passkey.added", changePasskeyAdded, cl)
	})
}

// BeginPasskeySignIn starts the second step with a passkey, for a
// half-signed session; the options go to navigator.credentials.get.
func (s *Service) BeginPasskeySignIn(ctx context.Context, p PendingSession) (*protocol.CredentialAssertion, error) {
	wu, _, err := s.waUser(ctx, s.db.Gorm, p.User)
	if err != nil {
		return nil, err
	}
	if len(wu.credentials) == 0 {
		return nil, ErrBadPasskey
	}
	w, err := s.webAuthn()
	if err != nil {
		return nil, err
	}
	assertion, sd, err := w.BeginLogin(wu)
	if err != nil {
		return nil, err
	}
	if err := s.saveCeremony(ctx, p.Session, sd); err != nil {
		return nil, err
	}
	return assertion, nil
}

// CompletePasskeySignIn checks the passkey's answer and, as a right code
// does, replaces the half-signed session by a full one.
func (s *Service) CompletePasskeySignIn(ctx context.Context, p PendingSession, body []byte, cl Client) (string, error) {
	if err := s.checkSecondFactorLimit(ctx, p.User.ID); err != nil {
		return "", err
	}
	w, err := s.webAuthn()
	if err != nil {
		return "", err
	}
	var token string
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.usePasskey(ctx, tx, w, p.User, p.Session, body); err != nil {
			return err
		}
		ok, err := s.store.deleteSession(ctx, tx.DB, p.User.ID, p.Session.ID)
		if err != nil {
			return err
		}
		if !ok {
			return ErrBadPasskey
		}
		o := sessionOrigin{mfaProven: true, sid: p.Session.ProviderSid, idToken: p.Session.IDTokenHint}
		if p.Session.IdentityID != nil {
			o.identityID = *p.Session.IdentityID
		}
		token, err = s.startSessionWith(ctx, tx.DB, p.User, cl, o)
		return err
	})
	if errors.Is(err, ErrBadPasskey) {
		if rerr := s.recordSecondFactorFailure(ctx, p.User.ID); rerr != nil {
			return "", rerr
		}
	}
	return token, err
}

// usePasskey checks a passkey's answer to the ceremony saved on sess (used
// up here) and records the authenticator's new sign count.
func (s *Service) usePasskey(ctx context.Context, tx *database.Tx, w *webauthn.WebAuthn, u *models.User, sess *models.Session, body []byte) error {
	sd, err := s.takeCeremony(ctx, tx.DB, sess)
	if err != nil {
		return err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(bytes.NewReader(body))
	if err != nil {
		s.log.InfoContext(ctx, "passkey answer unreadable", "user_id", u.ID, "error", describe(err))
		return ErrBadPasskey
	}
	wu, rows, err := s.waUser(ctx, tx.DB, u)
	if err != nil {
		return err
	}
	cred, err := w.ValidateLogin(wu, *sd, parsed)
	if err != nil {
		s.log.InfoContext(ctx, "passkey refused", "user_id", u.ID, "error", describe(err))
		return ErrBadPasskey
	}
	if cred.Authenticator.CloneWarning {
		s.log.WarnContext(ctx, "passkey sign count went backwards: a cloned authenticator?", "user_id", u.ID)
		return ErrBadPasskey
	}
	record, err := json.Marshal(cred)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if bytes.Equal(r.CredentialID, cred.ID) {
			return tx.Exec(`UPDATE webauthn_credentials SET sign_count = ?, record = ?, last_used_at = ? WHERE id = ?`,
				cred.Authenticator.SignCount, string(record), s.now().UTC(), r.ID).Error
		}
	}
	return ErrBadPasskey
}

// ConfirmPasskey is sudo mode with a passkey: as a right code at /reauth
// does, it marks the signed-in session as freshly proven.
func (s *Service) ConfirmPasskey(ctx context.Context, u *models.User, sess *models.Session, body []byte) error {
	if err := s.checkSecondFactorLimit(ctx, u.ID); err != nil {
		return err
	}
	w, err := s.webAuthn()
	if err != nil {
		return err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := s.usePasskey(ctx, tx, w, u, sess, body); err != nil {
			return err
		}
		now := s.now().UTC()
		return tx.Exec(`UPDATE sessions SET authenticated_at = ?, mfa_at = ? WHERE id = ? AND user_id = ?`, now, now, sess.ID, u.ID).Error
	})
	if errors.Is(err, ErrBadPasskey) {
		if rerr := s.recordSecondFactorFailure(ctx, u.ID); rerr != nil {
			return rerr
		}
	}
	return err
}

// RemovePasskey removes one of the account's passkeys. required: the
// account's role needs a second factor, so the last one stays.
func (s *Service) RemovePasskey(ctx context.Context, u *models.User, id int64, required bool, cl Client) error {
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM webauthn_credentials WHERE user_id = ? AND id = ?`, u.ID, id).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("auth: passkey %d: %w", id, models.ErrNotFound)
		}
		if err := tx.Exec(`DELETE FROM webauthn_credentials WHERE user_id = ? AND id = ?`, u.ID, id).Error; err != nil {
			return err
		}
		left, err := hasSecondFactor(ctx, tx.DB, u.ID)
		if err != nil {
			return err
		}
		if !left {
			if required {
				return ErrLastFactor
			}
			if err := tx.Exec(`DELETE FROM mfa_recovery_codes WHERE user_id = ?`, u.ID).Error; err != nil {
				return err
			}
		}
		return s.factorChanged(ctx, tx, u, "mfa.passkey.removed", changePasskeyGone, cl)
	})
}

// describe spells out the library's error, whose details (what did not
// match) are in its DevInfo.
func describe(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe.Error() + ": " + pe.DevInfo
	}
	return err.Error()
}
