package server

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kindred-health/kindred/app/analytics"
	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/export"
	"github.com/kindred-health/kindred/app/forums"
	"github.com/kindred-health/kindred/app/images"
	"github.com/kindred-health/kindred/app/live"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/messages"
	"github.com/kindred-health/kindred/app/moderation"
	"github.com/kindred-health/kindred/app/notify"
	"github.com/kindred-health/kindred/app/outreach"
	"github.com/kindred-health/kindred/app/pagecache"
	"github.com/kindred-health/kindred/app/privacy"
	"github.com/kindred-health/kindred/app/questions"
	"github.com/kindred-health/kindred/app/search"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// routes is the one route table. Every route says who may use it.
func routes(e *echo.Echo, a *App, r *web.Renderer, st *web.Static, cookies web.Cookies, cfg *config.Config) {
	ah := auth.NewHandlers(a.Auth, r, cookies, a.Clinicians.StatusByUser)
	api := auth.NewAPI(a.Auth)
	fh := forums.NewHandlers(a.Forums, r, cookies, a.Search, a.Analytics)
	fapi := forums.NewAPI(fh)
	nh := notify.NewHandlers(a.Notify, r, cookies)
	mailh := notify.NewMailHandlers(a.Mail, r, cookies, cfg.MailWebhookToken)
	lh := live.NewHandlers(a.Live, live.Access{
		Thread: func(ctx context.Context, actor models.Actor, id int64) error {
			_, err := a.Forums.Thread(ctx, actor, id)
			return err
		},
		// The asker and the clinician holding it; the answer for anyone
		// else is the 404 its page gives.
		Question: func(ctx context.Context, actor models.Actor, id int64) error {
			var n int64
			if err := a.DB.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM questions WHERE id = ? AND ? <> 0 AND (asker_id = ? OR assignee_id = ?)`,
				id, actor.ID(), actor.ID(), actor.ID()).Scan(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return models.ErrNotFound
			}
			return nil
		},
		// As the conversation page decides (404 for anyone else).
		Conversation: func(ctx context.Context, actor models.Actor, id int64) error {
			return a.Messages.MayRead(ctx, actor, id)
		}})
	ch := clinicians.NewHandlers(a.Clinicians, r, cookies)
	capi := clinicians.NewAPI(ch)
	msgh := messages.NewHandlers(a.Messages, r, cookies, web.RequireMFA(a.Auth.StaffMFAOptional()))
	privh := privacy.NewHandlers(a.Privacy, r, cookies, func(c echo.Context) bool { return a.Auth.Fresh(web.CurrentSession(c)) })
	msgapi := messages.NewAPI(msgh)
	qh := questions.NewHandlers(a.Questions, r, cookies)
	qapi := questions.NewAPI(qh)
	mh := moderation.NewHandlers(a.Moderation, r, cookies, markdown.New(), moderation.SuspendedAuth{
		Password: func(c echo.Context, login, password string) (*models.User, error) {
			return a.Auth.SuspendedAccount(c.Request().Context(), auth.SignInForm{Login: login, Password: password}, auth.ClientOf(c))
		},
		Ticket: ah.AppealTicketUser,
		Spend:  ah.SpendAppealTicket,
	})
	mapi := moderation.NewAPI(mh)
	sh := search.NewHandlers(a.Synonyms, r, cookies)
	// Asking for a copy of one's data needs a recent sign-in (password or
	// provider, through /reauth), as API tokens do.
	exph := export.NewHandlers(a.Export, r, cookies, func(c echo.Context) bool {
		return a.Auth.Fresh(web.CurrentSession(c))
	})
	// Strong sign-in: staff pages and endpoints need a second factor from
	// whoever's role requires one (mfa), sensitive actions a proof of
	// identity in the last ten minutes (sudo).
	mfa := web.RequireMFA(a.Auth.StaffMFAOptional())
	sudo := web.RequireRecentAuth(a.Auth)
	// Proof documents: reviewers and admins, who read other people's,
	// need sudo mode; applicants read their own without it.
	sudoForReviewers := func(next echo.HandlerFunc) echo.HandlerFunc {
		guarded := sudo(next)
		return func(c echo.Context) error {
			if web.CurrentUser(c).CanReviewCredentials() {
				return guarded(c)
			}
			return next(c)
		}
	}
	// Moderation's one action route: only an admin revealing the author
	// of a thread or post (the only things with anonymous authors) asks
	// for sudo mode. Anyone else, and any other target, gets the
	// service's own answer (a private message's existence stays a 404).
	sudoToReveal := func(next echo.HandlerFunc) echo.HandlerFunc {
		guarded := sudo(next)
		return func(c echo.Context) error {
			kind := c.Param("kind")
			if c.Param("action") == moderation.ActReveal && web.Actor(c).IsAdmin() && (kind == models.TargetThread || kind == models.TargetPost) {
				return guarded(c)
			}
			return next(c)
		}
	}
	outh := outreach.NewHandlers(a.Outreach, r, cookies)
	outapi := outreach.NewAPI(outh)
	imgh := images.NewHandlers(a.Images, r, cookies, images.Rules{Forum: a.Forums.ForumForPosting, Shown: a.Forums.PostShown})

	// A provider ending Kindred sessions (back-channel logout): no session,
	// no CSRF; the signed logout token is the proof.
	e.POST("/auth/:provider/backchannel-logout", ah.BackChannelLogout)

	// E-mail: one-click unsubscribe (RFC 8058: the mail client POSTs with no
	// cookie; the signed link is the proof) and the provider's bounce and
	// complaint reports (a bearer token). No session, no CSRF.
	e.POST("/email/unsubscribe", mailh.Unsubscribe, web.NoStoreWithCredentials(cookies, "Cookie"))
	e.POST("/hooks/email", mailh.Webhook)

	// Operations: no session, no CSRF.
	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", func(c echo.Context) error {
		checks, ok := a.Ready(c.Request().Context())
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		return c.JSON(status, checks)
	})
	e.GET("/healthz/details", func(c echo.Context) error {
		checks, ok := a.Health(c.Request().Context())
		status := http.StatusOK
		if !ok {
			status = http.StatusServiceUnavailable
		}
		return c.JSON(status, checks)
	})
	metrics := echo.WrapHandler(promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{DisableCompression: true})) // Echo's gzip middleware compresses
	e.GET("/metrics", func(c echo.Context) error {
		if cfg.MetricsToken != "" {
			got := c.Request().Header.Get(echo.HeaderAuthorization)
			if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+cfg.MetricsToken)) != 1 {
				return web.ErrUnauthorized
			}
		}
		return metrics(c)
	})
	e.GET("/static/:hash/*", st.Handler)
	// Images in posts: a session cookie (pages) or a bearer token (API
	// clients) says who asks; the image sets its own caching and CSP.
	e.GET("/images/:key", imgh.Serve, web.LoadSession(a.Auth, cookies), web.BearerAuth(a.Auth), web.LoadActor(a.Auth))
	e.GET("/robots.txt", func(c echo.Context) error {
		return c.String(http.StatusOK, "User-agent: *\nDisallow: /account\nDisallow: /admin\nDisallow: /auth\nDisallow: /api\nDisallow: /credentials\nDisallow: /questions\nDisallow: /messages\nDisallow: /review\nDisallow: /moderation\nDisallow: /report\n")
	})

	// Browser pages: session cookie and CSRF on every state change.
	b := e.Group("", web.NoStoreWithCredentials(cookies, "Cookie"), web.LoadSession(a.Auth, cookies), web.LoadActor(a.Auth), web.CSRF(cfg.SecretKey), web.LoadUnread(a.Notify), web.LoadAppeals(a.Moderation),
		privacy.RequireConsent(a.Privacy))
	// Visitors' public pages may come from the page cache (a no-op when it
	// is off); it checks every request and response itself.
	cached := func(r pagecache.Route) echo.MiddlewareFunc {
		if a.Pages == nil {
			return func(next echo.HandlerFunc) echo.HandlerFunc { return next }
		}
		return a.Pages.Page(r, cookies)
	}
	b.GET("/", fh.Index, cached(pagecache.Home))
	b.GET("/events", lh.Stream)
	b.GET("/search", fh.SearchPage)
	b.GET("/latest", fh.LatestPage)
	b.GET("/my/forums", fh.MyForums, web.RequireUser)
	b.GET("/f/:slug", fh.Forum, cached(pagecache.Forum))
	b.POST("/f/:slug/join", fh.Join, web.RequireUser)
	b.POST("/f/:slug/leave", fh.Leave, web.RequireUser)
	b.POST("/f/:slug/follow", fh.FollowForum, web.RequireUser)
	b.POST("/f/:slug/unfollow", fh.UnfollowForum, web.RequireUser)
	b.GET("/f/:slug/new", fh.NewThreadPage, web.RequireUser)
	b.POST("/f/:slug/threads", fh.CreateThread, web.RequireUser)
	b.GET("/t/:id", fh.Thread, cached(pagecache.Thread))
	b.GET("/t/:id/new", fh.ThreadNew, web.RequireUser)
	b.POST("/t/:id/replies", fh.Reply, web.RequireUser)
	b.POST("/t/:id/tags", fh.SaveTags, web.RequireUser)
	b.POST("/t/:id/follow", fh.FollowThread, web.RequireUser)
	b.POST("/t/:id/unfollow", fh.UnfollowThread, web.RequireUser)
	// Pinned threads: the forum's moderators and staff (in the forum), admins
	// (on the home page); the service checks the forum, 403 for others.
	b.POST("/t/:id/pin", fh.Pin(false, true), web.RequireUser, mfa)
	b.POST("/t/:id/unpin", fh.Pin(false, false), web.RequireUser, mfa)
	b.POST("/t/:id/pin-global", fh.Pin(true, true), web.RequireRole(models.RoleAdmin), mfa)
	b.POST("/t/:id/unpin-global", fh.Pin(true, false), web.RequireRole(models.RoleAdmin), mfa)
	// Forum resources: the forum's moderators and staff manage them, verified
	// clinicians review them (the service checks forum and verification).
	b.GET("/f/:slug/resources", fh.ResourcesPage, web.RequireUser, mfa)
	b.POST("/f/:slug/resources", fh.ProposeResource, web.RequireUser, mfa)
	b.GET("/f/:slug/resources/:id/edit", fh.EditResourcePage, web.RequireUser, mfa)
	b.POST("/f/:slug/resources/:id", fh.EditResource, web.RequireUser, mfa)
	b.GET("/f/:slug/resources/:id/remove", fh.RemoveResourcePage, web.RequireUser, mfa)
	b.POST("/f/:slug/resources/:id/remove", fh.RemoveResource, web.RequireUser, mfa)
	b.GET("/clinician/resources", fh.ResourceQueuePage, web.RequireUser, mfa)
	b.POST("/clinician/resources/:id/review", fh.ReviewResource, web.RequireUser, mfa)
	b.GET("/images/new", imgh.NewPage, web.RequireUser)
	b.POST("/images", imgh.Upload, web.RequireUser)
	b.GET("/posts/:id", fh.GoToPost)
	b.GET("/posts/:id/edit", fh.EditPage, web.RequireUser)
	b.POST("/posts/:id/edit", fh.Edit, web.RequireUser)
	b.GET("/posts/:id/delete", fh.DeletePage, web.RequireUser)
	b.POST("/posts/:id/delete", fh.Delete, web.RequireUser)
	b.GET("/posts/:id/revisions", fh.Revisions, web.RequireUser)
	b.POST("/posts/:id/reactions/:kind", fh.React, web.RequireUser)
	b.POST("/posts/:id/bookmark", fh.ToggleBookmark, web.RequireUser)
	b.GET("/bookmarks", fh.BookmarksPage, web.RequireUser)
	b.GET("/bookmarks/:id/edit", fh.BookmarkEditPage, web.RequireUser)
	b.POST("/bookmarks/:id/edit", fh.BookmarkEdit, web.RequireUser)
	b.GET("/bookmarks/:id/remove", fh.BookmarkRemovePage, web.RequireUser)
	b.POST("/bookmarks/:id/remove", fh.BookmarkRemove, web.RequireUser)
	b.GET("/members/suggest", fh.SuggestMembers, web.RequireUser)
	b.GET("/members/:handle", fh.Profile)
	b.POST("/members/:handle/mute", fh.Mute, web.RequireUser)
	b.POST("/members/:handle/unmute", fh.Unmute, web.RequireUser)
	b.POST("/members/:handle/follow", fh.FollowMember, web.RequireUser)
	b.POST("/members/:handle/unfollow", fh.UnfollowMember, web.RequireUser)
	b.GET("/messages", msgh.Inbox, web.RequireUser)
	b.GET("/messages/new", msgh.NewPage, web.RequireUser)
	b.POST("/messages", msgh.Start, web.RequireUser)
	b.GET("/messages/:id", msgh.Conversation, web.NotFoundForVisitors)
	b.POST("/messages/:id", msgh.Reply, web.NotFoundForVisitors)
	b.GET("/consent", privh.ConsentPage, web.RequireUser)
	b.POST("/consent", privh.Consent, web.RequireUser)
	b.GET("/terms", privh.DocumentPage(privacy.ConsentTerms))
	b.GET("/privacy", privh.DocumentPage(privacy.ConsentPrivacy))
	b.GET("/account/consent", privh.MyConsentPage, web.RequireUser)
	b.POST("/account/consent/withdraw", privh.Withdraw, web.RequireUser)
	// Deleting, withdrawing consent and exporting check a recent proof of
	// identity in their handlers (auth.Fresh), with the page to return to.
	b.GET("/account/delete", privh.DeletePage, web.RequireUser)
	b.POST("/account/delete", privh.Delete, web.RequireUser)
	b.GET("/account/messages", msgh.SettingsPage, web.RequireUser)
	b.POST("/account/messages", msgh.SaveSettings, web.RequireUser)
	b.GET("/clinicians/:handle", ch.Public)
	b.GET("/clinician", ch.Status, web.RequireUser)
	b.GET("/clinician/apply", ch.ApplyPage, web.RequireUser)
	b.POST("/clinician/apply", ch.Apply, web.RequireUser)
	b.POST("/clinician/applications/:id/withdraw", ch.Withdraw, web.RequireUser)
	b.POST("/clinician/settings", ch.SaveSettings, web.RequireUser)
	b.GET("/credentials/:id/document", ch.Document, mfa, sudoForReviewers)
	// Private questions: every :id route answers 404 to anyone but the asker
	// and the current assignee (the service decides). A clinician (or anyone
	// whose role needs a second factor) opens and acts on a question only
	// with it, as on their dashboard; plain members are not affected.
	b.GET("/clinician/questions", qh.Dashboard, web.RequireUser, mfa)
	b.GET("/questions", qh.Mine, web.RequireUser)
	b.GET("/questions/new", qh.AskPage, web.RequireUser)
	b.POST("/questions", qh.Ask, web.RequireUser)
	q := b.Group("/questions", web.NotFoundForVisitors, mfa)
	q.GET("/:id", qh.Question)
	q.POST("/:id/accept", qh.Accept)
	q.POST("/:id/decline", qh.Decline)
	q.POST("/:id/claim", qh.Claim)
	q.POST("/:id/withdraw", qh.Withdraw)
	q.POST("/:id/close", qh.Close)
	q.POST("/:id/rate", qh.Rate)
	q.POST("/:id/consent", qh.Consent)
	q.POST("/:id/messages", qh.Message)
	q.POST("/:id/publish", qh.Publish)
	q.POST("/:id/hand-back", qh.HandBack)
	q.POST("/:id/reopen", qh.Reopen)
	q.POST("/:id/share-history", qh.ShareHistory)
	review := b.Group("/review", web.RequireReviewer, mfa)
	review.GET("/credentials", ch.Queue)
	review.GET("/credentials/:id", ch.Review)
	review.POST("/credentials/:id/approve", ch.Approve)
	review.POST("/credentials/:id/reject", ch.Reject)
	review.POST("/credentials/:id/revoke", ch.Revoke, web.RequireRole(models.RoleAdmin), mfa)
	b.GET("/support", mh.Support)
	b.GET("/report", mh.ReportPage, web.RequireUser)
	b.POST("/reports", mh.Report, web.RequireUser)
	b.GET("/my/reports", mh.MyReports, web.RequireUser)
	b.GET("/my/moderation", mh.MyModeration, web.RequireUser)
	b.POST("/my/moderation/:id/appeal", mh.AppealAction, web.RequireUser)
	b.GET("/appeal", mh.AppealSuspendedPage)
	b.POST("/appeal", mh.AppealSuspended)
	b.GET("/moderation/appeals", mh.Appeals, web.RequireUser, mfa)
	b.POST("/moderation/appeals/:id/decide", mh.DecideAppeal, web.RequireUser, mfa)
	// Moderators: the service checks each one's scope (403 outside it).
	b.GET("/moderation", mh.Queue, web.RequireUser, mfa)
	b.POST("/moderation/duty", mh.Duty, web.RequireUser, mfa)
	b.GET("/moderation/report/:id", mh.ReportItem, web.RequireUser, mfa)
	b.GET("/moderation/:kind/:id", mh.Item, web.RequireUser, mfa)
	b.POST("/moderation/:kind/:id/:action", mh.Act, web.RequireUser, mfa, sudoToReveal)
	b.GET("/notifications", nh.Page, web.RequireUser)
	b.POST("/notifications/:id/open", nh.Open, web.RequireUser)
	b.POST("/notifications/read-all", nh.MarkAllRead, web.RequireUser)
	b.GET("/signup", ah.SignUpPage)
	b.POST("/signup", ah.SignUp)
	b.GET("/signin", ah.SignInPage)
	b.POST("/signin", ah.SignIn)
	b.GET("/signin/second-factor", ah.SecondFactorPage) // half-signed browsers only (the handler checks)
	b.POST("/signin/second-factor", ah.SecondFactor)
	b.POST("/signin/second-factor/passkey/begin", ah.BeginPasskeySignIn)
	b.POST("/signin/second-factor/passkey/finish", ah.FinishPasskeySignIn)
	b.POST("/signout", ah.SignOut, web.RequireUser)
	b.GET("/password/forgot", ah.ForgotPage)
	b.POST("/password/forgot", ah.Forgot)
	b.GET("/password/reset", ah.ResetPage)
	b.POST("/password/reset", ah.Reset)
	b.GET("/email/unsubscribe", mailh.UnsubscribePage)
	b.GET("/account/verify", ah.VerifyPage)
	b.POST("/account/verify", ah.Verify)
	b.GET("/auth/complete", ah.ChooseHandlePage)
	b.POST("/auth/complete", ah.ChooseHandle)
	b.GET("/auth/:provider", ah.BeginExternal)
	b.GET("/auth/:provider/callback", ah.ExternalCallback)
	b.GET("/signed-out", ah.SignedOut)
	b.GET("/reauth", ah.ReauthPage, web.RequireUser)
	b.POST("/reauth", ah.Reauth, web.RequireUser)
	b.POST("/reauth/:provider", ah.BeginReauth, web.RequireUser)
	b.POST("/reauth/passkey/begin", ah.BeginPasskeyReauth, web.RequireUser)
	b.POST("/reauth/passkey/finish", ah.FinishPasskeyReauth, web.RequireUser)

	acct := b.Group("/account", web.RequireUser)
	acct.GET("", ah.Settings)
	acct.GET("/notifications", mailh.SettingsPage)
	acct.POST("/notifications", mailh.SaveSettings)
	acct.POST("/notifications/resume", mailh.Resume)
	acct.POST("/handle", ah.ChangeHandle)
	acct.POST("/email", ah.ChangeEmail)
	acct.POST("/verify/resend", ah.ResendVerification)
	acct.POST("/password", ah.ChangePassword)
	acct.POST("/profile", ah.ChangeProfileVisibility)
	acct.POST("/locale", ah.ChangeLocale)
	acct.POST("/time-zone", ah.ChangeTimeZone)
	acct.POST("/sessions/:id/revoke", ah.RevokeSession)
	acct.POST("/sessions/revoke-others", ah.RevokeOtherSessions)
	acct.POST("/tokens", ah.CreateToken, mfa) // sudo mode: the handler asks (SSO-only accounts are refused first)
	acct.GET("/security", ah.SecurityPage)
	acct.POST("/security/totp", ah.BeginTOTP, sudo)
	acct.POST("/security/totp/confirm", ah.ConfirmTOTP, sudo)
	acct.POST("/security/totp/delete", ah.RemoveTOTP, sudo)
	acct.POST("/security/recovery-codes", ah.RegenerateRecoveryCodes, sudo)
	acct.POST("/security/passkeys/begin", ah.BeginPasskey, sudo)
	acct.POST("/security/passkeys/finish", ah.FinishPasskey, sudo)
	acct.POST("/security/passkeys/:id/delete", ah.RemovePasskey, sudo)
	acct.POST("/tokens/:id/revoke", ah.RevokeToken)
	acct.POST("/sign-in/link/:provider", ah.BeginLink)
	acct.GET("/sign-in/:id/unlink", ah.UnlinkPage)
	// Data rights: a copy of the member's data (asked for after a fresh
	// sign-in, fetched once through the e-mailed link while signed in as
	// its owner) and who saw their data.
	acct.GET("/export", exph.Page)
	acct.POST("/export", exph.Request)
	acct.GET("/export/download", exph.DownloadPage)
	acct.POST("/export/download", exph.Download)
	acct.POST("/export/:id/download", exph.DownloadOwn) // members without a confirmed e-mail address
	acct.GET("/who-saw", exph.WhoSaw)
	acct.POST("/sign-in/:id/unlink", ah.Unlink)

	// Analytics: admins and moderators (a forum's moderators see their
	// forums only: analytics.ScopeOf); anyone else is answered 404.
	anh := analytics.NewHandlers(a.Analytics, r)
	b.GET("/admin/analytics", anh.Index, web.NotFoundForVisitors, mfa)
	b.GET("/admin/analytics/:area", anh.Area, web.NotFoundForVisitors, mfa)
	b.GET("/admin/analytics/:area/csv", anh.CSV, web.NotFoundForVisitors, mfa)
	b.POST("/admin/analytics/weekly", anh.SetWeekly, web.NotFoundForVisitors, mfa)
	// Announcements and campaigns (app/outreach). Anyone reads an
	// announcement of their audience; members hide cards; the counting
	// redirect of campaign links keeps no one's identity. Admins and
	// moderators manage announcements (the service keeps moderators to
	// their forums: others' are 404); campaigns are the admins'.
	b.GET("/announcements/:id", outh.Show)
	b.POST("/announcements/:id/dismiss", outh.Dismiss, web.RequireUser)
	b.GET("/go/:id", outh.Go)
	// Outreach fixes (issue 20): the list of running announcements, a
	// hidden card shown again, and HEAD on the counting redirect.
	b.GET("/announcements", outh.Index)
	b.POST("/announcements/:id/undismiss", outh.Undismiss, web.RequireUser)
	b.HEAD("/go/:id", outh.GoHead)
	ann := b.Group("/moderation/announcements", web.RequireUser, mfa)
	ann.GET("", outh.Manage)
	ann.GET("/new", outh.NewPage)
	ann.POST("", outh.Create)
	ann.GET("/:id/edit", outh.EditPage)
	ann.POST("/:id", outh.Update)
	ann.POST("/:id/end", outh.End)
	ann.GET("/:id/delete", outh.DeletePage)
	ann.POST("/:id/delete", outh.Delete)
	camp := b.Group("/admin/campaigns", web.RequireRole(models.RoleAdmin), mfa)
	camp.GET("", outh.Campaigns)
	camp.GET("/new", outh.NewCampaignPage)
	camp.POST("", outh.SaveCampaign)
	camp.GET("/:id", outh.Campaign)
	camp.GET("/:id/stats.csv", outh.CampaignCSV)
	camp.GET("/:id/edit", outh.EditCampaignPage)
	camp.POST("/:id", outh.SaveCampaign)
	camp.GET("/:id/delete", outh.DeleteCampaignPage)
	camp.POST("/:id/delete", outh.DeleteCampaign)

	admin := b.Group("/admin", web.RequireRole(models.RoleAdmin), mfa)
	admin.GET("", ah.AdminHome)
	admin.GET("/users", ah.AdminUsers)
	admin.GET("/moderation-reasons", mh.ReasonsPage)
	admin.POST("/moderation-reasons", mh.SaveReason)
	admin.POST("/moderation-reasons/:id/delete", mh.DeleteReason)
	admin.POST("/users/:id/role", ah.AdminSetRole, sudo)
	admin.POST("/users/:id/reviewer", ah.AdminSetReviewer, sudo)
	admin.POST("/users/:id/sso-only", ah.AdminSetSSOOnly, sudo)
	admin.GET("/users/:id/erase", privh.AdminErasePage)
	admin.POST("/users/:id/erase", privh.AdminErase)
	admin.GET("/policies", privh.PoliciesPage)
	admin.POST("/policies/:kind", privh.Publish)
	admin.GET("/audit", mh.AuditPage)
	admin.GET("/safety", mh.Safety)
	admin.POST("/safety/words", mh.SaveWord)
	admin.POST("/safety/words/:id/delete", mh.DeleteWord)
	admin.POST("/safety/try", mh.TryText) // the text is never stored or logged
	admin.POST("/safety/urgent", mh.SaveUrgentGuidance)
	admin.GET("/safety/resources/new", mh.NewResourcePage)
	admin.POST("/safety/resources", mh.SaveResource)
	admin.GET("/safety/resources/:id/edit", mh.EditResourcePage)
	admin.POST("/safety/resources/:id", mh.SaveResource)
	admin.GET("/safety/resources/:id/delete", mh.DeleteResourcePage)
	admin.POST("/safety/resources/:id/delete", mh.DeleteResource)
	admin.GET("/search", sh.Page)
	admin.POST("/search/synonyms", sh.Add)
	admin.POST("/search/synonyms/:id/delete", sh.Remove)
	admin.GET("/questions", qh.Oversight) // counts only: never a title or text
	admin.GET("/clinician-lists", ch.Lists)
	admin.POST("/clinician-lists/:list", ch.SaveList)
	admin.GET("/forums", fh.AdminForums)
	admin.GET("/forums/new", fh.NewForumPage)
	admin.POST("/forums", fh.SaveForum)
	admin.GET("/forums/:id/edit", fh.EditForumPage)
	admin.POST("/forums/:id", fh.SaveForum)
	admin.POST("/forums/:id/archive", fh.ArchiveForum)
	admin.POST("/forums/:id/restore", fh.RestoreForum)

	// JSON API: personal bearer tokens only (never cookies); reads without
	// a token act as a visitor; changes need write scope.
	// A request that matches no route (the group's catch-all) but whose
	// address exists for other methods is a 405 with Allow.
	var allowed func(string) string
	methodNotAllowed := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if strings.HasSuffix(c.Path(), "*") && allowed != nil {
				if methods := allowed(c.Request().URL.Path); methods != "" {
					c.Response().Header().Set(echo.HeaderAllow, methods)
					return echo.ErrMethodNotAllowed
				}
			}
			return next(c)
		}
	}
	v1 := e.Group("/api/v1", methodNotAllowed, web.NoStoreWithCredentials(cookies, "Authorization"), web.BearerAuth(a.Auth), web.LoadActor(a.Auth), web.RequireScope,
		privacy.RequireConsent(a.Privacy))
	me := web.RequireUser
	v1.GET("/me", api.Me, me)
	v1.GET("/events", lh.Stream)
	v1.GET("/sessions", api.Sessions, me)
	v1.GET("/sign-in-methods", api.SignInMethods, me)
	v1.DELETE("/sessions/:id", api.RevokeSession, me)
	v1.GET("/tokens", api.Tokens, me)
	v1.POST("/tokens", api.CreateToken, me, mfa)
	v1.GET("/me/mfa", api.MFA, me)
	v1.POST("/me/mfa/totp", api.BeginTOTP, me)
	v1.POST("/me/mfa/totp/confirm", api.ConfirmTOTP, me)
	v1.DELETE("/me/mfa/totp", api.RemoveTOTP, me)
	v1.POST("/me/mfa/recovery-codes", api.RegenerateRecoveryCodes, me)
	v1.DELETE("/tokens/:id", api.RevokeToken, me)
	v1.GET("/me/forums", fapi.MyForums, me)
	v1.GET("/me/email-preferences", mailh.APIPreferences, me)
	v1.PUT("/me/email-preferences", mailh.APISetPreferences, me)
	v1.DELETE("/me/email-suppression", mailh.APIResume, me)
	v1.GET("/me/locale", api.Locale, me)
	v1.POST("/me/export", exph.APIRequest, me)
	v1.GET("/me/exports", exph.APIList, me)
	v1.GET("/me/who-saw", exph.APIWhoSaw, me)
	v1.PUT("/me/locale", api.SetLocale, me)
	v1.GET("/search", fapi.Search)
	v1.GET("/forums", fapi.Forums)
	v1.GET("/latest", fapi.Latest)
	v1.POST("/forums", fapi.CreateForum, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/forums/:slug", fapi.Forum)
	v1.PATCH("/forums/:slug", fapi.UpdateForum, web.RequireRole(models.RoleAdmin), mfa)
	v1.PUT("/forums/:slug/archive", fapi.ArchiveForum, web.RequireRole(models.RoleAdmin), mfa)
	v1.DELETE("/forums/:slug/archive", fapi.RestoreForum, web.RequireRole(models.RoleAdmin), mfa)
	v1.POST("/preview", fapi.Preview, me)
	v1.POST("/images", imgh.APIUpload, me)
	v1.PUT("/forums/:slug/membership", fapi.Join, me)
	v1.DELETE("/forums/:slug/membership", fapi.Leave, me)
	v1.PUT("/forums/:slug/follow", fapi.FollowForum, me)
	v1.DELETE("/forums/:slug/follow", fapi.UnfollowForum, me)
	v1.GET("/forums/:slug/threads", fapi.Threads, cached(pagecache.ForumThreadsAPI))
	v1.POST("/forums/:slug/threads", fapi.CreateThread, me)
	v1.GET("/threads/:id", fapi.Thread, cached(pagecache.ThreadAPI))
	v1.GET("/threads/:id/posts", fapi.Posts, cached(pagecache.ThreadPostsAPI))
	v1.POST("/threads/:id/posts", fapi.Reply, me)
	v1.PUT("/threads/:id/tags", fapi.SetTags, me)
	v1.PUT("/threads/:id/follow", fapi.FollowThread, me)
	v1.PUT("/threads/:id/read", fapi.MarkRead, me)
	v1.DELETE("/threads/:id/follow", fapi.UnfollowThread, me)
	// Pinned threads (as the pages above).
	v1.GET("/pinned", fapi.GlobalPins)
	v1.PUT("/threads/:id/pin", fapi.Pin(false, true), me, mfa)
	v1.DELETE("/threads/:id/pin", fapi.Pin(false, false), me, mfa)
	v1.PUT("/threads/:id/pin/global", fapi.Pin(true, true), web.RequireRole(models.RoleAdmin), mfa)
	v1.DELETE("/threads/:id/pin/global", fapi.Pin(true, false), web.RequireRole(models.RoleAdmin), mfa)
	// Forum resources (as the pages above); reading the approved list is open.
	v1.GET("/forums/:slug/resources", fapi.Resources)
	v1.POST("/forums/:slug/resources", fapi.ProposeResource, me, mfa)
	v1.PATCH("/forums/:slug/resources/:id", fapi.EditResource, me, mfa)
	v1.DELETE("/forums/:slug/resources/:id", fapi.RemoveResource, me, mfa)
	v1.GET("/clinician/resources", fapi.ResourceQueue, me, mfa)
	v1.POST("/clinician/resources/:id/review", fapi.ReviewResource, me, mfa)
	v1.GET("/posts/:id", fapi.Post)
	v1.PATCH("/posts/:id", fapi.EditPost, me)
	v1.DELETE("/posts/:id", fapi.DeletePost, me)
	v1.GET("/posts/:id/revisions", fapi.Revisions, me)
	v1.PUT("/posts/:id/reactions/:kind", fapi.AddReaction, me)
	v1.DELETE("/posts/:id/reactions/:kind", fapi.RemoveReaction, me)
	v1.GET("/posts/:id/bookmark", fapi.APIGetBookmark, me)
	v1.PUT("/posts/:id/bookmark", fapi.APISetBookmark, me)
	v1.DELETE("/posts/:id/bookmark", fapi.APIRemoveBookmark, me)
	v1.GET("/bookmarks", fapi.APIBookmarks, me)
	v1.GET("/threads/:id/draft", fapi.APIGetReplyDraft, me)
	v1.PUT("/threads/:id/draft", fapi.APIPutReplyDraft, me)
	v1.DELETE("/threads/:id/draft", fapi.APIDeleteReplyDraft, me)
	v1.GET("/forums/:slug/draft", fapi.APIGetThreadDraft, me)
	v1.PUT("/forums/:slug/draft", fapi.APIPutThreadDraft, me)
	v1.DELETE("/forums/:slug/draft", fapi.APIDeleteThreadDraft, me)
	v1.GET("/members/suggest", fh.SuggestMembers, me)
	v1.GET("/members/:handle", fapi.Profile)
	v1.PUT("/members/:handle/mute", fapi.Mute, me)
	v1.DELETE("/members/:handle/mute", fapi.Mute, me)
	v1.PUT("/members/:handle/follow", fapi.FollowMember, me)
	v1.DELETE("/members/:handle/follow", fapi.FollowMember, me)
	// Private messages: every :id route answers 404 to anyone outside the
	// conversation (the service decides).
	v1.GET("/messages", msgapi.List, me)
	v1.POST("/messages", msgapi.Start, me)
	v1.GET("/messages/:id", msgapi.Get, me)
	v1.POST("/messages/:id", msgapi.Reply, me)
	v1.GET("/me/erasure", privh.APIStatus, me)
	v1.GET("/me/consent", privh.APIConsent, me)
	v1.POST("/me/consent", privh.APIAgree, me)
	v1.GET("/me/message-settings", msgapi.GetSettings, me)
	v1.PUT("/me/message-settings", msgapi.PutSettings, me)
	v1.GET("/clinician/options", capi.Options)
	v1.GET("/clinicians/:handle", capi.Public)
	v1.GET("/me/credentials", capi.Mine, me)
	v1.POST("/me/credentials", capi.Apply, me)
	v1.POST("/me/credentials/:id/withdraw", capi.Withdraw, me)
	v1.GET("/me/clinician-settings", capi.Settings, me)
	v1.PUT("/me/clinician-settings", capi.SaveSettings, me)
	v1.GET("/credentials/:id/document", ch.Document, mfa, sudoForReviewers)
	v1.GET("/review/credentials", capi.Queue, web.RequireReviewer, mfa)
	v1.GET("/review/credentials/:id", capi.Get, web.RequireReviewer, mfa)
	v1.POST("/review/credentials/:id/approve", capi.Approve, web.RequireReviewer, mfa)
	v1.POST("/review/credentials/:id/reject", capi.Reject, web.RequireReviewer, mfa)
	v1.POST("/review/credentials/:id/revoke", capi.Revoke, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/questions", qapi.Mine, me)
	v1.POST("/questions", qapi.Ask, me)
	hidden := web.NotFoundForVisitors // writes without a token are 401 (RequireScope) before this
	v1.GET("/questions/:id", qapi.Get, hidden, mfa)
	v1.POST("/questions/:id/accept", qapi.Accept, hidden, mfa)
	v1.POST("/questions/:id/decline", qapi.Decline, hidden, mfa)
	v1.POST("/questions/:id/claim", qapi.Claim, hidden, mfa)
	v1.POST("/questions/:id/withdraw", qapi.Withdraw, hidden, mfa)
	v1.POST("/questions/:id/close", qapi.Close, hidden, mfa)
	v1.POST("/questions/:id/rate", qapi.Rate, hidden, mfa)
	v1.POST("/questions/:id/consent", qapi.Consent, hidden, mfa)
	v1.POST("/questions/:id/messages", qapi.Message, hidden, mfa)
	v1.POST("/questions/:id/publish", qapi.Publish, hidden, mfa)
	v1.POST("/questions/:id/hand-back", qapi.HandBack, hidden, mfa)
	v1.POST("/questions/:id/reopen", qapi.Reopen, hidden, mfa)
	v1.POST("/questions/:id/share-history", qapi.ShareHistory, hidden, mfa)
	v1.GET("/analytics/:area", anh.API, web.NotFoundForVisitors, mfa) // admins and moderators, scoped as the pages
	v1.GET("/admin/questions", qapi.Oversight, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/clinician/questions", qapi.Dashboard, me, mfa)
	v1.GET("/admin/audit", mapi.Audit, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/admin/search/synonyms", sh.APIList, web.RequireRole(models.RoleAdmin), mfa)
	v1.POST("/admin/search/synonyms", sh.APIAdd, web.RequireRole(models.RoleAdmin), mfa)
	v1.DELETE("/admin/search/synonyms/:id", sh.APIRemove, web.RequireRole(models.RoleAdmin), mfa)
	v1.POST("/admin/safety/analyze", mapi.Analyze, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/admin/safety/crisis-resources", mapi.CrisisResources, web.RequireRole(models.RoleAdmin), mfa)
	v1.POST("/admin/safety/crisis-resources", mapi.SaveCrisisResource, web.RequireRole(models.RoleAdmin), mfa)
	v1.PUT("/admin/safety/crisis-resources/:id", mapi.SaveCrisisResource, web.RequireRole(models.RoleAdmin), mfa)
	v1.DELETE("/admin/safety/crisis-resources/:id", mapi.DeleteCrisisResource, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/admin/safety/urgent-guidance", mapi.UrgentGuidance, web.RequireRole(models.RoleAdmin), mfa)
	v1.PUT("/admin/safety/urgent-guidance", mapi.SaveUrgentGuidance, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/crisis-resources", mapi.MyCrisisResources)
	v1.POST("/reports", mapi.Report, me)
	v1.GET("/me/reports", mapi.MyReports, me)
	v1.GET("/moderation/queue", mapi.Queue, me, mfa)
	v1.GET("/moderation/duty", mapi.Duty, me, mfa)
	v1.PUT("/moderation/duty", mapi.Duty, me, mfa)
	v1.DELETE("/moderation/duty", mapi.Duty, me, mfa)
	v1.GET("/moderation/items/:kind/:id", mapi.Item, me, mfa)
	v1.POST("/moderation/items/:kind/:id/:action", mapi.Act, me, mfa, sudoToReveal)
	v1.GET("/notifications", nh.APIList, me)
	v1.POST("/notifications/:id/read", nh.APIMarkRead, me)
	v1.POST("/notifications/read-all", nh.APIMarkAllRead, me)
	// Announcements and campaigns (app/outreach).
	v1.GET("/announcements", outapi.List)
	v1.GET("/announcements/:id", outapi.Get)
	v1.POST("/announcements/:id/dismiss", outapi.Dismiss, me)
	v1.DELETE("/announcements/:id/dismiss", outapi.Undismiss, me)
	v1.GET("/moderation/announcements", outapi.Managed, me, mfa)
	v1.POST("/moderation/announcements", outapi.Create, me, mfa)
	v1.GET("/moderation/announcements/:id", outapi.ManagedOne, me, mfa)
	v1.PUT("/moderation/announcements/:id", outapi.Update, me, mfa)
	v1.POST("/moderation/announcements/:id/end", outapi.End, me, mfa)
	v1.DELETE("/moderation/announcements/:id", outapi.Delete, me, mfa)
	v1.GET("/admin/campaigns", outapi.Campaigns, web.RequireRole(models.RoleAdmin), mfa)
	v1.POST("/admin/campaigns", outapi.CreateCampaign, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/admin/campaigns/:id", outapi.Campaign, web.RequireRole(models.RoleAdmin), mfa)
	v1.PUT("/admin/campaigns/:id", outapi.UpdateCampaign, web.RequireRole(models.RoleAdmin), mfa)
	v1.DELETE("/admin/campaigns/:id", outapi.DeleteCampaign, web.RequireRole(models.RoleAdmin), mfa)
	v1.GET("/admin/campaigns/:id/stats", outapi.Stats, web.RequireRole(models.RoleAdmin), mfa)
	// Anything else under /api: 405 with Allow when the address exists
	// for other methods, else 404 (JSON either way).
	allowed = apiMethods(e.Routes())
	e.Any("/api/*", func(c echo.Context) error {
		if methods := allowed(c.Request().URL.Path); methods != "" {
			c.Response().Header().Set(echo.HeaderAllow, methods)
			return echo.ErrMethodNotAllowed
		}
		return echo.ErrNotFound
	})
}

// apiMethods indexes the API's routes by their path template; the
// function it returns lists (for an Allow header) the methods a path
// takes, or "".
func apiMethods(routes []*echo.Route) func(path string) string {
	type tpl struct {
		parts   []string
		methods []string
	}
	var tpls []*tpl
	byPath := map[string]*tpl{}
	for _, r := range routes {
		if !strings.HasPrefix(r.Path, "/api/v1/") || strings.Contains(r.Path, "*") {
			continue
		}
		t := byPath[r.Path]
		if t == nil {
			t = &tpl{parts: strings.Split(r.Path, "/")}
			byPath[r.Path] = t
			tpls = append(tpls, t)
		}
		if !slices.Contains(t.methods, r.Method) {
			t.methods = append(t.methods, r.Method)
		}
	}
	return func(path string) string {
		parts := strings.Split(path, "/")
		var out []string
		for _, t := range tpls {
			if len(t.parts) != len(parts) {
				continue
			}
			match := true
			for i, p := range t.parts {
				if !strings.HasPrefix(p, ":") && p != parts[i] {
					match = false
					break
				}
			}
			if match {
				for _, m := range t.methods {
					if !slices.Contains(out, m) {
						out = append(out, m)
					}
				}
			}
		}
		if len(out) > 0 && slices.Contains(out, http.MethodGet) && !slices.Contains(out, http.MethodHead) {
			out = append(out, http.MethodHead)
		}
		slices.Sort(out)
		return strings.Join(out, ", ")
	}
}
