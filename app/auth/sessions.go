package auth

import (
	"context"
	"fmt"

	"github.com/kindred-health/kindred/models"
)

// ResolveSession returns the user of a live session, or nils when the token
// is unknown, idle or past its absolute lifetime, or the user may no longer
// sign in. Dead sessions are deleted on the spot.
func (s *Service) ResolveSession(ctx context.Context, token, ip, ua string) (*models.User, *models.Session, error) {
	u, sess, _, _, err := s.ResolveSessionActor(ctx, token, ip, ua, false)
	return u, sess, err
}

// ResolveSessionActor is ResolveSession that also returns, from the same
// statement, the Actor and the per-member figures (SetSessionFigures; with
// the pages' figures when page is true).
func (s *Service) ResolveSessionActor(ctx context.Context, token, ip, ua string, page bool) (*models.User, *models.Session, *models.Actor, map[string]int64, error) {
	if len(token) > 100 {
		return nil, nil, nil, nil, nil
	}
	hash := sha(token)
	now := s.now().UTC()
	var gen uint64
	keep := false
	if page && s.cache != nil {
		var e *cachedSession
		e, gen, keep = s.cache.get(string(hash), now)
		if e != nil {
			if u, sess, a, figures, ok := e.answer(s, now); ok {
				s.cache.hits.Add(1)
				return u, sess, a, figures, nil
			}
		}
		s.cache.misses.Add(1)
	}
	row, err := s.resolve(ctx, hash, page)
	if err != nil || row == nil {
		return nil, nil, nil, nil, err
	}
	sess, u := &row.Session, &row.User
	idle, absolute := s.timeouts(u.Role)
	expired := !now.Before(sess.ExpiresAt) || !now.Before(sess.CreatedAt.Add(absolute)) || !now.Before(sess.LastSeenAt.Add(idle))
	if expired || !u.CanSignIn(now) {
		if _, err := s.store.deleteSession(ctx, s.db.Gorm, u.ID, sess.ID); err != nil {
			return nil, nil, nil, nil, err
		}
		return nil, nil, nil, nil, nil
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.store.touchSession(ctx, s.db.Gorm, sess.ID, now, clip(ip, 64), clip(ua, 300)); err != nil {
			return nil, nil, nil, nil, err
		}
		sess.LastSeenAt = now
	}
	a, figures, err := row.actor(u, s)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if keep {
		e := &cachedSession{key: string(hash), user: *u, session: *sess, actor: a, figures: figures, expires: now.Add(s.cache.ttl)}
		if row.VerifiedUntil != nil && row.VerifiedUntil.Before(e.expires) {
			e.expires = *row.VerifiedUntil
		}
		e.actor.User = nil
		s.cache.put(e, gen)
	}
	return u, sess, &a, figures, nil
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
