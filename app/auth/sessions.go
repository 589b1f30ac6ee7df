package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/kindred-health/kindred/models"
)

// ResolveSession returns the user of a live session, or nils when the token
// is unknown, idle or past its absolute lifetime, or the user may no longer
// sign in. Dead sessions are deleted on the spot.
func (s *Service) ResolveSession(ctx context.Context, token, ip, ua string) (*models.User, *models.Session, error) {
	if len(token) > 100 {
		return nil, nil, nil
	}
	sess, err := s.store.sessionByHash(ctx, s.db.Gorm, sha(token))
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.userByID(ctx, s.db.Gorm, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	now := s.now().UTC()
	idle, absolute := s.timeouts(u.Role)
	expired := !now.Before(sess.ExpiresAt) || !now.Before(sess.CreatedAt.Add(absolute)) || !now.Before(sess.LastSeenAt.Add(idle))
	if expired || !u.CanSignIn(now) {
		if _, err := s.store.deleteSession(ctx, s.db.Gorm, u.ID, sess.ID); err != nil {
			return nil, nil, err
		}
		return nil, nil, nil
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.store.touchSession(ctx, s.db.Gorm, sess.ID, now, clip(ip, 64), clip(ua, 300)); err != nil {
			return nil, nil, err
		}
		sess.LastSeenAt = now
	}
	return u, sess, nil
}

// SignOut ends one session on the server.
func (s *Service) SignOut(ctx context.Context, sess *models.Session) error {
	_, err := s.store.deleteSession(ctx, s.db.Gorm, sess.UserID, sess.ID)
	return err
}

// Sessions lists a user's sessions, most recently used first.
func (s *Service) Sessions(ctx context.Context, userID int64) ([]models.Session, error) {
	return s.store.sessionsOf(ctx, s.db.Gorm, userID)
}

// RevokeSession ends one of the user's own sessions.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID int64) error {
	ok, err := s.store.deleteSession(ctx, s.db.Gorm, userID, sessionID)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("auth: session %d: %w", sessionID, models.ErrNotFound)
	}
	return nil
}

// RevokeOtherSessions ends every session but keep.
func (s *Service) RevokeOtherSessions(ctx context.Context, userID, keep int64) (int64, error) {
	return s.store.deleteSessions(ctx, s.db.Gorm, userID, keep)
}
