package privacy

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Consent kinds.
const (
	ConsentTerms   = "terms"
	ConsentPrivacy = "privacy"
	// ConsentHealth is the explicit consent to processing health
	// information (GDPR art. 9), given under a privacy notice's version.
	ConsentHealth = "health_data"
)

// Document is one version of the terms or the privacy notice.
type Document struct {
	Kind        string    `json:"kind"`
	Version     int       `json:"version"`
	Body        string    `json:"body"`
	BodyHTML    string    `json:"body_html"`
	PublishedAt time.Time `json:"published_at"`
}

// Current returns the newest version of a document.
func (s *Service) Current(ctx context.Context, kind string) (*Document, error) {
	var d []Document
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT kind, version, body, body_html, published_at FROM policy_documents WHERE kind = ? ORDER BY version DESC LIMIT 1`, kind).Scan(&d).Error; err != nil {
		return nil, err
	}
	if len(d) == 0 {
		return nil, fmt.Errorf("privacy: no %s: %w", kind, models.ErrNotFound)
	}
	return &d[0], nil
}

// needsSQL is true when the member has not agreed to the newest terms and
// privacy notice, or has no standing consent to processing health data.
const needsSQL = `SELECT ` + needsExpr

// needsExpr is true when member @u must agree again.
const needsExpr = `
	NOT EXISTS (SELECT 1 FROM consents c WHERE c.user_id = @u AND c.kind = 'terms' AND c.withdrawn_at IS NULL
		AND c.version >= (SELECT coalesce(max(version), 0) FROM policy_documents WHERE kind = 'terms'))
	OR NOT EXISTS (SELECT 1 FROM consents c WHERE c.user_id = @u AND c.kind = 'privacy' AND c.withdrawn_at IS NULL
		AND c.version >= (SELECT coalesce(max(version), 0) FROM policy_documents WHERE kind = 'privacy'))
	OR NOT EXISTS (SELECT 1 FROM consents c WHERE c.user_id = @u AND c.kind = 'health_data' AND c.withdrawn_at IS NULL)`

// FigureNeedsConsent names NeedsFigure among the session's figures.
const FigureNeedsConsent = "needs_consent"

// NeedsFigure is needsSQL as a figure loaded with the session
// (auth.Service.SetSessionFigures): 1 when the member must agree again.
var NeedsFigure = "(" + strings.ReplaceAll(needsExpr, "@u", "u.id") + ")::int"

// Needs reports whether the member must agree again before going on.
func (s *Service) Needs(ctx context.Context, userID int64) (bool, error) {
	var needs bool
	err := s.db.Gorm.WithContext(ctx).Raw(needsSQL, map[string]any{"u": userID}).Scan(&needs).Error
	return needs, err
}

// Agree records, inside db (a sign-up's transaction, or its own), the
// member's agreement to the newest terms and privacy notice and their
// consent to processing health information.
func (s *Service) Agree(ctx context.Context, db *gorm.DB, userID int64) error {
	now := s.now().UTC()
	err := db.WithContext(ctx).Exec(`INSERT INTO consents (user_id, kind, version, agreed_at)
		SELECT @u, k.kind, coalesce((SELECT max(version) FROM policy_documents d WHERE d.kind = k.doc), 0), @now
		FROM (VALUES ('terms', 'terms'), ('privacy', 'privacy'), ('health_data', 'privacy')) AS k(kind, doc)
		WHERE NOT EXISTS (SELECT 1 FROM consents c WHERE c.user_id = @u AND c.kind = k.kind AND c.withdrawn_at IS NULL
			AND c.version >= coalesce((SELECT max(version) FROM policy_documents d WHERE d.kind = k.doc), 0))`,
		map[string]any{"u": userID, "now": now}).Error
	if err != nil {
		return fmt.Errorf("privacy: consent: %w", err)
	}
	return nil
}

// Record is one consent as the member sees it.
type Record struct {
	Kind        string     `json:"kind"`
	Version     int        `json:"version"`
	AgreedAt    time.Time  `json:"agreed_at"`
	WithdrawnAt *time.Time `json:"withdrawn_at"`
}

// Records lists the member's consents, newest first.
func (s *Service) Records(ctx context.Context, userID int64) ([]Record, error) {
	out := []Record{}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT kind, version, agreed_at, withdrawn_at FROM consents WHERE user_id = ? ORDER BY agreed_at DESC, id DESC LIMIT 200`, userID).Scan(&out).Error
	return out, err
}

// WithdrawHealth withdraws the consent to processing health information:
// Kindred cannot hold a member's posts about their health without it, so
// it schedules the account's erasure (after the grace period, cancelled
// by signing in — which asks for the consent again) and signs them out.
func (s *Service) WithdrawHealth(ctx context.Context, actor models.Actor, mode string) (*Pending, error) {
	u := actor.User
	if u == nil {
		return nil, models.ErrSignInRequired
	}
	if !validMode(mode) {
		return nil, modeError()
	}
	if err := s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`UPDATE consents SET withdrawn_at = ? WHERE user_id = ? AND kind = 'health_data' AND withdrawn_at IS NULL`, s.now().UTC(), u.ID).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &u.ID, Action: "consent.withdrawn", TargetKind: models.TargetUser, TargetID: &u.ID, Reason: ConsentHealth})
	}); err != nil {
		return nil, err
	}
	return s.Request(ctx, actor, mode)
}

// Publish makes a new version of the terms or the privacy notice (admins):
// every member is asked to agree again at their next page.
func (s *Service) Publish(ctx context.Context, actor models.Actor, kind, body string) (*Document, error) {
	if !actor.IsAdmin() {
		return nil, models.ErrForbidden
	}
	v := models.NewValidationError()
	if kind != ConsentTerms && kind != ConsentPrivacy {
		return nil, models.ErrNotFound
	}
	body = strings.TrimSpace(body)
	if n := utf8.RuneCountInString(body); n < 20 || n > 50000 {
		v.Add("body", "Write the text in Markdown, 20 to 50,000 characters.")
	} else if errors.As(markdown.Check("body", body), new(*models.ValidationError)) {
		v.Add("body", "The Markdown nests too deeply.")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	html, err := markdown.New().Render(body)
	if err != nil {
		return nil, err
	}
	d := &Document{Kind: kind, Body: body, BodyHTML: html, PublishedAt: s.now().UTC()}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Raw(`INSERT INTO policy_documents (kind, version, body, body_html, published_at, published_by)
			SELECT ?, coalesce(max(version), 0) + 1, ?, ?, ?, ? FROM policy_documents WHERE kind = ? RETURNING version`,
			kind, body, html, d.PublishedAt, actor.ID(), kind).Scan(&d.Version).Error; err != nil {
			return err
		}
		admin := actor.ID()
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin, Action: "policy.publish", TargetKind: "policy", Reason: fmt.Sprintf("%s version %d", kind, d.Version)})
	})
	if err != nil {
		return nil, fmt.Errorf("privacy: publish %s: %w", kind, err)
	}
	return d, nil
}

// consentFree are the pages (and everything under them) a member who has
// not agreed may still use: reading what they are asked to agree to,
// agreeing, unsubscribing, taking their data and leaving.
var consentFree = []string{"/consent", "/terms", "/privacy", "/signout", "/static", "/account/delete", "/account/export", "/reauth", "/appeal",
	"/events", "/robots.txt", "/email", "/api/v1/me/consent", "/api/v1/me/export", "/api/v1/me/exports", "/api/v1/me/erasure"}

func consentFreePath(path string) bool {
	for _, p := range consentFree {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// RequireConsent sends a signed-in member who has not agreed to the newest
// terms and privacy notice, or has withdrawn their health-data consent, to
// /consent first (pages), or answers 403 consent_required (API, except the
// consent endpoints).
func RequireConsent(s *Service) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := web.CurrentUser(c)
			path := c.Request().URL.Path
			if u == nil || consentFreePath(path) {
				return next(c)
			}
			needs, err := false, error(nil)
			if n, ok := web.Preloaded(c, FigureNeedsConsent); ok {
				needs = n != 0 // loaded with the session: no query of its own
			} else if needs, err = s.Needs(c.Request().Context(), u.ID); err != nil {
				return err
			}
			if !needs {
				return next(c)
			}
			if strings.HasPrefix(path, "/api/") {
				return c.JSON(http.StatusForbidden, map[string]any{"error": map[string]any{"code": "consent_required",
					"message": "Agree to the current terms and privacy notice first: GET and POST /api/v1/me/consent, or sign in on the site."}})
			}
			nextPath := "/"
			if c.Request().Method == http.MethodGet {
				nextPath = c.Request().URL.RequestURI()
			}
			return web.Redirect(c, "/consent?next="+url.QueryEscape(nextPath))
		}
	}
}
