package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Actor loads the person acting for u (nil for a visitor) in one round
// trip: the forums they moderate, whether they hold a verified credential
// and its professions, the members they muted, and whether they have a
// second factor. web.LoadActor calls it
// once per request; every feature decides with the result.
func (s *Service) Actor(ctx context.Context, u *models.User) (models.Actor, error) {
	return LoadActor(ctx, s.db, s.now(), u)
}

// LoadActor is Service.Actor for callers without the service (the demo
// seeder, tests).
func LoadActor(ctx context.Context, db *database.DB, now time.Time, u *models.User) (models.Actor, error) {
	a := models.Actor{User: u, Now: now, ModeratedForums: map[int64]bool{}, Muted: map[int64]bool{}}
	if u == nil {
		return a, nil
	}
	var moderated, muted []int64
	err := db.Pool.QueryRow(ctx, `SELECT
		ARRAY(SELECT forum_id FROM forum_moderators WHERE user_id = $1),
		ARRAY(SELECT DISTINCT profession FROM credentials WHERE user_id = $1 AND clinician_verified(status, verified_until, $2) ORDER BY 1),
		ARRAY(SELECT muted_id FROM mutes WHERE user_id = $1),
		EXISTS(SELECT 1 FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL) OR
		EXISTS(SELECT 1 FROM webauthn_credentials WHERE user_id = $1)`, u.ID, a.Now.UTC()).
		Scan(&moderated, &a.Professions, &muted, &a.MFA)
	if err != nil {
		return a, fmt.Errorf("auth: actor %d: %w", u.ID, err)
	}
	a.Clinician = len(a.Professions) > 0
	for _, id := range moderated {
		a.ModeratedForums[id] = true
	}
	for _, id := range muted {
		a.Muted[id] = true
	}
	return a, nil
}
