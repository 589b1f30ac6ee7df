package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/models"
)

const backChannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// ErrBadLogoutToken is a back-channel logout request Kindred cannot trust.
var ErrBadLogoutToken = errors.New("auth: logout token refused")

// ProviderLogoutURL is where to send the browser after Kindred signed it
// out, so the provider's session ends too (OpenID Connect RP-Initiated
// Logout); "" when the session did not come from a provider that offers it.
// Sign-out never waits on a provider whose discovery is not in hand.
func (s *Service) ProviderLogoutURL(ctx context.Context, sess *models.Session, afterLogout string) string {
	if sess == nil || sess.IdentityID == nil {
		return ""
	}
	var ident models.Identity
	if err := s.db.Gorm.WithContext(ctx).Where("id = ?", *sess.IdentityID).First(&ident).Error; err != nil {
		return ""
	}
	e, ok := s.externals[ident.Provider]
	if !ok || e.Issuer != ident.Issuer {
		return ""
	}
	e.mu.RLock()
	d := e.disc
	e.mu.RUnlock()
	if d == nil || d.endSession == "" {
		return ""
	}
	u, err := url.Parse(d.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	if sess.IDTokenHint != "" {
		q.Set("id_token_hint", sess.IDTokenHint)
	}
	q.Set("client_id", e.oauth.ClientID)
	q.Set("post_logout_redirect_uri", afterLogout)
	u.RawQuery = q.Encode()
	return u.String()
}

// BackChannelLogout ends the Kindred sessions a provider's logout token
// names (OpenID Connect Back-Channel Logout 1.0): every session of the
// subject, or those of one provider session (sid). It returns how many.
func (s *Service) BackChannelLogout(ctx context.Context, key, token string) (int64, error) {
	e, err := s.external(key)
	if err != nil || e.kind != kindOIDC {
		return 0, ErrBadLogoutToken
	}
	d, err := e.ready(ctx)
	if err != nil {
		return 0, &ExternalError{Kind: ExtUnavailable, Provider: e.Label}
	}
	refuse := func(why string, err error) (int64, error) {
		attrs := []any{"provider", key, "reason", why}
		if err != nil {
			attrs = append(attrs, "error", err.Error())
		}
		s.log.WarnContext(ctx, "back-channel logout refused", attrs...)
		return 0, ErrBadLogoutToken
	}
	if len(token) > 16<<10 {
		return refuse("token too long", nil)
	}
	// Signature, issuer and audience; expiry is checked below because some
	// providers leave it out.
	t, err := d.logoutVerify.Verify(ctx, token)
	if err != nil {
		return refuse("verification failed", err)
	}
	var c struct {
		Sid    string         `json:"sid"`
		Nonce  *string        `json:"nonce"`
		Events map[string]any `json:"events"`
		Iat    float64        `json:"iat"`
	}
	if err := t.Claims(&c); err != nil {
		return refuse("claims", err)
	}
	now := s.now()
	switch {
	case c.Events == nil || c.Events[backChannelEvent] == nil:
		return refuse("no back-channel logout event", nil)
	case c.Nonce != nil:
		return refuse("a nonce (an id_token, not a logout token)", nil)
	case t.Subject == "" && c.Sid == "":
		return refuse("neither sub nor sid", nil)
	case !t.Expiry.IsZero() && now.After(t.Expiry.Add(time.Minute)):
		return refuse("expired", nil)
	case c.Iat == 0 || now.Sub(time.Unix(int64(c.Iat), 0)) > 10*time.Minute:
		return refuse("issued too long ago", nil)
	}
	var users []int64
	res := s.db.Gorm.WithContext(ctx).Raw(`DELETE FROM sessions WHERE identity_id IN (
			SELECT id FROM identities WHERE provider = ? AND issuer = ? AND (? = '' OR subject = ?))
		AND (? = '' OR provider_sid = ?) RETURNING user_id`, e.Key, e.Issuer, t.Subject, t.Subject, c.Sid, c.Sid).Scan(&users)
	if res.Error != nil {
		return 0, fmt.Errorf("auth: back-channel logout: %w", res.Error)
	}
	done := map[int64]bool{}
	for _, uid := range users {
		if done[uid] {
			continue
		}
		done[uid] = true
		if err := audit.Record(ctx, s.db.Gorm, models.AuditEvent{Action: "sso.backchannel_logout", TargetKind: "user", TargetID: &uid, Reason: "logout token from " + e.Key}); err != nil {
			return 0, err
		}
	}
	return res.RowsAffected, nil
}
