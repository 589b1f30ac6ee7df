package web

import (
	"context"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/models"
)

const ctxActor = "kindred.actor"

// ActorLoader loads the person acting for a user (nil for a visitor);
// app/auth implements it.
type ActorLoader interface {
	Actor(ctx context.Context, u *models.User) (models.Actor, error)
}

// LoadActor loads the request's models.Actor once, after the session or
// token middleware set the user: one query for a signed-in user, none for
// a visitor. Every feature's handlers decide with Actor(c).
func LoadActor(l ActorLoader) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if a, ok := c.Get(ctxActor).(models.Actor); ok && a.User != nil && a.User == CurrentUser(c) {
				return next(c) // loaded with the session
			}
			a, err := l.Actor(c.Request().Context(), CurrentUser(c))
			if err != nil {
				return err
			}
			c.Set(ctxActor, a)
			return next(c)
		}
	}
}

// Actor is the person acting: the current user with the forums they
// moderate, their verified credentials and mutes, as LoadActor found them.
// On a route without LoadActor, or after the user changed during the
// request, it knows only the user: no moderated forum and no credential,
// so a mistake refuses rather than allows.
func Actor(c echo.Context) models.Actor {
	u := CurrentUser(c)
	if a, ok := c.Get(ctxActor).(models.Actor); ok && a.User == u {
		return a
	}
	return models.Actor{User: u, Now: time.Now()}
}
