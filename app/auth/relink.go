package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// RelinkPlan moves identities from one issuer to another when an
// organisation changes its sign-in provider: Kindred never does this on
// its own, because the same subject at another issuer is another person.
type RelinkPlan struct {
	Provider   string // the identities' provider key now
	FromIssuer string
	ToProvider string // "" keeps Provider
	ToIssuer   string
	// Subjects maps old subjects to new ones when the new provider numbers
	// people differently; nil keeps each subject. With a map, identities
	// it does not name stay where they are.
	Subjects map[string]string
	Apply    bool // false: count only, change nothing
}

// RelinkResult counts what a plan did (or would do).
type RelinkResult struct {
	Moved     int // identities now under the new issuer
	Conflicts int // the new issuer already had that subject: left alone
	Unmapped  int // not named by the subject map: left alone
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// RelinkIdentities carries out a plan in one transaction, auditing each
// moved identity against its account.
func RelinkIdentities(ctx context.Context, db *database.DB, p RelinkPlan) (RelinkResult, error) {
	var r RelinkResult
	if p.Provider == "" || p.FromIssuer == "" || p.ToIssuer == "" {
		return r, errors.New("auth: relink needs a provider, the old issuer and the new one")
	}
	if p.ToProvider == "" {
		p.ToProvider = p.Provider
	}
	if p.ToProvider == p.Provider && p.ToIssuer == p.FromIssuer {
		return r, errors.New("auth: relink: the new issuer is the old one")
	}
	err := db.InTx(ctx, func(tx *database.Tx) error {
		var ids []models.Identity
		if err := tx.Raw(`SELECT * FROM identities WHERE provider = ? AND issuer = ? ORDER BY id FOR UPDATE`, p.Provider, p.FromIssuer).Scan(&ids).Error; err != nil {
			return err
		}
		for _, id := range ids {
			subject := id.Subject
			if p.Subjects != nil {
				s, ok := p.Subjects[id.Subject]
				if !ok {
					r.Unmapped++
					continue
				}
				subject = s
			}
			var taken bool
			if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM identities WHERE provider = ? AND issuer = ? AND subject = ?)`, p.ToProvider, p.ToIssuer, subject).Scan(&taken).Error; err != nil {
				return err
			}
			if taken {
				r.Conflicts++
				continue
			}
			if err := tx.Exec(`UPDATE identities SET provider = ?, issuer = ?, subject = ? WHERE id = ?`, p.ToProvider, p.ToIssuer, subject, id.ID).Error; err != nil {
				return err
			}
			uid := id.UserID
			if err := audit.Record(ctx, tx.DB, models.AuditEvent{Action: "sso.relink", TargetKind: "user", TargetID: &uid,
				FromState: p.Provider + " " + p.FromIssuer, ToState: p.ToProvider + " " + p.ToIssuer, Reason: "kindred sso relink"}); err != nil {
				return err
			}
			r.Moved++
		}
		if !p.Apply {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err != nil {
		return RelinkResult{}, fmt.Errorf("auth: relink: %w", err)
	}
	return r, nil
}
