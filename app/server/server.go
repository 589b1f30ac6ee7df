// Package server is the composition root: it builds every store and
// service, owns the route table, and returns a ready *echo.Echo.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/analytics"
	"github.com/kindred-health/kindred/app/auth"
	"github.com/kindred-health/kindred/app/clinicians"
	"github.com/kindred-health/kindred/app/config"
	"github.com/kindred-health/kindred/app/database"
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
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
	"github.com/kindred-health/kindred/static"
	"github.com/kindred-health/kindred/templates"
)

// Deps are what the caller provides; tests swap the clock, the mailer and
// the HTTP client used to reach sign-in providers.
type Deps struct {
	DB         *database.DB
	Log        *slog.Logger
	Now        func() time.Time
	Mailer     auth.Mailer
	HTTPClient *http.Client
	HashParams *argon2id.Params
	Limits     auth.Limits
	// StaffMFAOptional lets staff work without a second factor. For tests
	// of other features only: no setting of `kindred serve` reaches it.
	StaffMFAOptional bool
}

// App is a built Kindred.
type App struct {
	Echo       *echo.Echo
	Auth       *auth.Service
	Forums     *forums.Service
	Clinicians *clinicians.Service
	Questions  *questions.Service
	Messages   *messages.Service
	Privacy    *privacy.Service
	Moderation *moderation.Service
	Notify     *notify.InApp
	// Mail e-mails notifications by each member's preferences.
	Mail *notify.Mail
	// Live sends open pages what changed (Server-Sent Events).
	Live     *live.Hub
	Search   *search.Client
	Synonyms *search.Synonyms
	DB       *database.DB
	Registry *prometheus.Registry
	// Documents keeps clinicians' proof documents (local disk or S3).
	Documents storage.Store
	// Images takes, serves and sweeps the pictures members put in posts;
	// ImageStore keeps their bytes (local disk or S3).
	Images     *images.Service
	ImageStore storage.Store
	workers    *river.Workers
	periodic   []*river.PeriodicJob
	renderer   *web.Renderer
	indexer    *search.Indexer // drains the search queue beside River's workers
	log        *slog.Logger

	// Export builds members' copies of their data and lists who saw it;
	// ExportStore keeps the archives until downloaded or expired.
	Export      *export.Service
	ExportStore storage.Store

	// Analytics rolls up daily figures and serves the staff's pages.
	Analytics *analytics.Service
	// AnalyticsWeekly sends the weekly summary e-mails.
	AnalyticsWeekly *analytics.Weekly
	// Outreach is announcements and campaigns.
	Outreach *outreach.Service
	// Pages keeps visitors' public pages (nil when KINDRED_PAGE_CACHE=off);
	// it keeps nothing until StartPageCache listens for changes.
	Pages *pagecache.Cache
}

// New builds the app from configuration.
func New(cfg *config.Config, d Deps) (*App, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Mailer == nil {
		if cfg.SMTP.Host != "" {
			m, err := notify.NewSMTPMailer(notify.SMTPConfig(cfg.SMTP))
			if err != nil {
				return nil, err
			}
			d.Mailer = m
		} else {
			d.Mailer = &notify.LogMailer{Log: d.Log}
		}
	}
	cookies := web.Cookies{Secure: cfg.TLS()}
	st, err := web.NewStatic(static.FS)
	if err != nil {
		return nil, fmt.Errorf("server: static: %w", err)
	}
	renderer, err := web.NewRenderer(templates.FS, st, cookies)
	if err != nil {
		return nil, err
	}
	renderer.SetClock(d.Now)
	names := append([]string{web.TplError, notify.TplNotifications, notify.TplEmailSettings, notify.TplUnsubscribe}, auth.Templates...)
	names = append(names, clinicians.Templates...)
	names = append(names, questions.Templates...)
	names = append(names, messages.Templates...)
	names = append(names, privacy.Templates...)
	names = append(names, moderation.Templates...)
	names = append(names, images.Templates...)
	names = append(names, export.Templates...)
	names = append(names, analytics.Templates...)
	names = append(names, outreach.Templates...)
	for _, name := range append(names, forums.Templates...) {
		if !renderer.Has(name) {
			return nil, fmt.Errorf("server: missing template %s", name)
		}
	}

	base := cfg.BaseURL.String()
	authSvc := auth.New(d.DB, d.Now, d.Log, auth.Options{
		SessionIdle: cfg.SessionIdle, SessionAbsolute: cfg.SessionAbsolute,
		StaffSessionIdle: cfg.StaffSessionIdle, StaffSessionAbsolute: cfg.StaffSessionAbsolute,
		Secret: cfg.SecretKey, BaseURL: base, Limits: d.Limits, HashParams: d.HashParams,
		StaffMFAOptional: d.StaffMFAOptional,
	})
	for _, p := range cfg.OIDCProviders {
		authSvc.AddExternal(auth.NewOIDC(p, base+"/auth/"+p.Key+"/callback", d.HTTPClient))
	}
	if cfg.Google.Enabled() {
		authSvc.AddExternal(auth.NewGoogle(cfg.Google.ClientID, cfg.Google.ClientSecret, base+"/auth/google/callback", d.HTTPClient))
	}
	if cfg.GitHub.Enabled() {
		authSvc.AddExternal(auth.NewGitHub(cfg.GitHub.ClientID, cfg.GitHub.ClientSecret, base+"/auth/github/callback", d.HTTPClient))
	}
	{
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := authSvc.CheckProviders(ctx)
		if err == nil {
			err = authSvc.BindLegacyIdentities(ctx)
		}
		cancel()
		if err != nil {
			return nil, err
		}
	}

	mailWorker, err := auth.NewAccountEmailWorker(authSvc, d.Mailer, templates.FS)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, mailWorker)
	river.AddWorker(workers, &auth.PruneWorker{Svc: authSvc})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kindred_search_index_backlog",
		Help: "Threads waiting for their search document (and jobs that will queue many); grows while Meilisearch is away."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := search.Backlog(ctx, d.DB)
		if err != nil {
			return -1
		}
		return float64(n)
	}))

	inApp := notify.NewInApp(d.DB.Gorm, d.Now)
	docs, err := DocumentStore(cfg, cfg.Storage)
	if err != nil {
		return nil, err
	}
	// Each feature gets what it needs in its constructor, built in this
	// order so that nothing waits for a setter: moderation's safety checks
	// first (they need no other feature), then forums and private
	// questions on them, then clinicians (who tell both when a
	// verification ends), then the moderation service that acts on forums'
	// content and on accounts. A missing collaborator stops start-up.
	// The live hub (built last) tells the safety checks when the watched
	// words change, on any instance.
	changes := &live.Changes{}
	modSafety, err := moderation.NewSafety(d.DB, d.Now, inApp, d.Log, moderation.Options{HideThreshold: cfg.ReportHideThreshold,
		AckWithin: cfg.CrisisAck, Mail: cfg.SMTP.Host != "", Words: changes})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	imgStore, err := ImageStore(cfg, cfg.Storage)
	if err != nil {
		return nil, err
	}
	imgSvc, err := images.New(d.DB, imgStore, d.Now, d.Log, cfg.ImageMaxBytes)
	if err == nil {
		// HEIC is decoded in a child process that can be killed
		// (heic_child.go): main and TestMain call images.ServeHEICChild.
		imgSvc.IsolateHEIC(images.HEICTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	river.AddWorker(workers, &images.SweepWorker{Svc: imgSvc})
	forumSvc, err := forums.New(d.DB, d.Now, markdown.New(), inApp, d.Log, forums.Checks{Text: modSafety, Reporter: modSafety,
		Guidance: modSafety, NewMemberApprovals: cfg.NewMemberApprovals, UrgentTerms: cfg.UrgentTerms, Images: imgSvc})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	forumSvc.SetThreadUnread(notify.ThreadUnreadFigure)
	qSvc, err := questions.New(d.DB, d.Now, markdown.New(), inApp, forumSvc, clinicians.NewPauser(d.Now), d.Log, questions.Options{
		RespondWithin: cfg.QuestionRespondWithin, MaxOffers: cfg.QuestionMaxOffers, UrgentTerms: cfg.UrgentTerms,
		AnswerWithin: cfg.QuestionAnswerWithin, UrgentAnswerWithin: cfg.QuestionUrgentAnswerWithin, QuietClose: cfg.QuestionAutoClose,
		ReopenWithin: cfg.QuestionReopenWithin, WaitAlert: cfg.QuestionWaitAlert, UrgentWaitAlert: cfg.QuestionUrgentWaitAlert,
		PoolCooling: cfg.QuestionPoolCooling, PauseAfterTimeouts: cfg.QuestionPauseAfter, MaxOpenPerMember: cfg.QuestionMaxOpenPerMember},
		questions.Checks{Text: modSafety, Guidance: modSafety})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	msgSvc, err := messages.New(d.DB, d.Now, markdown.New(), modSafety, modSafety, inApp, messages.Options{MinPosts: cfg.MessagesMinPosts})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	river.AddWorker(workers, &forums.BookmarkSweepWorker{Svc: forumSvc})
	river.AddWorker(workers, &questions.OfferDeadlineWorker{Svc: qSvc})
	river.AddWorker(workers, &questions.SweepWorker{Svc: qSvc})
	// A clinician whose verification ends loses their questions in the same
	// transaction, and their posts lose the clinician label.
	clinSvc := clinicians.New(d.DB, d.Now, docs, inApp, d.Log, clinicians.Options{
		DocumentRetention: time.Duration(cfg.DocumentRetentionDays) * 24 * time.Hour}, forumSvc, qSvc)
	river.AddWorker(workers, &clinicians.SweepWorker{Svc: clinSvc})
	// A suspended or banned clinician's questions move on in the same
	// transaction as the suspension.
	modSvc, err := moderation.New(modSafety, forumSvc, restrictions{auth: authSvc, questions: qSvc}, inApp)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	river.AddWorker(workers, &moderation.AlertEmailWorker{Svc: modSvc, Mailer: d.Mailer, BaseURL: base})
	// E-mail about notifications reads what every feature wrote to the
	// notifications table; it checks the recipient's access when it sends.
	notifyMail, err := notify.NewMail(d.DB, d.Now, notify.AsMessageSender(d.Mailer), templates.FS, notify.MailOptions{
		BaseURL: base, Secret: cfg.SecretKey, Log: d.Log,
		Actor: func(ctx context.Context, userID int64) (models.Actor, error) {
			var u models.User
			if err := d.DB.Gorm.WithContext(ctx).First(&u, userID).Error; err != nil {
				return models.Actor{}, err
			}
			return auth.LoadActor(ctx, d.DB, d.Now(), &u)
		}})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	liveHub := live.NewHub(d.DB.Pool, liveCounts{inApp: inApp, mod: modSvc, q: qSvc}, changes, d.Log)
	river.AddWorker(workers, &live.PruneWorker{Hub: liveHub})
	river.AddWorker(workers, &notify.MailSweepWorker{Mail: notifyMail})
	river.AddWorker(workers, &notify.MailWorker{Mail: notifyMail})
	river.AddWorker(workers, &notify.FanOutWorker{DB: d.DB, InApp: inApp})
	river.AddWorker(workers, &moderation.SweepWorker{Svc: modSvc})
	synonyms := search.NewSynonyms(d.DB)
	searchClient := search.New(cfg.MeiliURL, cfg.MeiliAPIKey, cfg.MeiliPrefix, cfg.SearchTimeout, synonyms.Groups)
	river.AddWorker(workers, &search.IndexWorker{DB: d.DB})
	river.AddWorker(workers, &search.IndexThreadsWorker{DB: d.DB, Source: forumSvc})
	indexLag := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kindred_search_index_lag_seconds",
		Help:    "Time from a thread's first write not yet indexed until its document was searchable.",
		Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300}})
	reg.MustRegister(indexLag)
	// Up or down, asked at each scrape (within the search timeout), so an
	// alert can say which part is away rather than only that the backlog
	// grows.
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kindred_meilisearch_up",
		Help: "1 when Meilisearch answered and accepted Kindred's key at this scrape, 0 otherwise."}, func() float64 {
		if searchClient.Ping(context.Background()) != nil {
			return 0
		}
		return 1
	}))
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kindred_postgres_up",
		Help: "1 when the PostgreSQL primary answered a ping at this scrape, 0 otherwise."}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if d.DB.Pool.Ping(ctx) != nil {
			return 0
		}
		return 1
	}))
	indexer := &search.Indexer{DB: d.DB, Client: searchClient, Source: forumSvc, Log: d.Log, Loops: 4, DBLoops: 2,
		OnIndexed: func(_ []int64, lags []time.Duration) {
			for _, l := range lags {
				indexLag.Observe(l.Seconds())
			}
		}}
	river.AddWorker(workers, &search.SettingsWorker{Client: searchClient})
	expStore, err := ExportStore(cfg, cfg.Storage)
	if err != nil {
		return nil, err
	}
	expSvc, err := export.New(d.DB, d.Now, expStore, docs, imgStore, d.Mailer, d.Log, export.Options{Secret: cfg.SecretKey, BaseURL: base})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	river.AddWorker(workers, &export.BuildWorker{Svc: expSvc})
	river.AddWorker(workers, &export.MailWorker{Svc: expSvc})
	river.AddWorker(workers, &export.SweepWorker{Svc: expSvc})
	// Analytics: the nightly rollup (and backfill) of daily figures, and
	// the search counts forums' search page and API record.
	analyticsSvc, err := analytics.New(d.DB, d.Now, d.Log, cfg.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	river.AddWorker(workers, &analytics.RollupWorker{Svc: analyticsSvc})
	// The weekly summary e-mail, scoped by each recipient's role when sent.
	weekly, err := analytics.NewWeekly(analyticsSvc, analyticsMail{notify.AsMessageSender(d.Mailer)},
		func(ctx context.Context, userID int64) (models.Actor, error) {
			var u models.User
			if err := d.DB.Gorm.WithContext(ctx).First(&u, userID).Error; err != nil {
				return models.Actor{}, err
			}
			return auth.LoadActor(ctx, d.DB, d.Now(), &u)
		}, templates.FS, base)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	river.AddWorker(workers, &analytics.WeeklyWorker{Weekly: weekly})
	// Announcements and campaigns: pages find theirs through the
	// renderer; campaigns attach only threads the admin may read.
	outSvc, err := outreach.New(d.DB, d.Now, markdown.New(), func(ctx context.Context, actor models.Actor, id int64) (string, error) {
		tv, err := forumSvc.Thread(ctx, actor, id)
		if err != nil {
			return "", err
		}
		return tv.Thread.Title, nil
	}, inApp, outreach.Options{Secret: cfg.SecretKey, BaseURL: base, Log: d.Log})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	var pages *pagecache.Cache
	if cfg.PageCache {
		po := pagecache.Options{MaxBytes: int64(cfg.PageCacheMB) << 20, TTL: cfg.PageCacheTTL, Now: d.Now, Log: d.Log}
		if d.DB.Replica != nil {
			// Visitors read from the replica: a page re-rendered just after
			// a change may still show the old rows, so drop it once more.
			po.Redrop = time.Second
		}
		pages = pagecache.New(d.DB.Pool, po)
		for _, m := range []struct {
			name, help string
			of         func(pagecache.Stats) float64
		}{
			{"kindred_page_cache_hits_total", "Visitors' pages served from the page cache.", func(s pagecache.Stats) float64 { return float64(s.Hits) }},
			{"kindred_page_cache_misses_total", "Visitors' pages rendered because the cache did not hold them.", func(s pagecache.Stats) float64 { return float64(s.Misses) }},
			{"kindred_page_cache_bypasses_total", "Visitors' pages rendered while the cache was not listening for changes.", func(s pagecache.Stats) float64 { return float64(s.Bypasses) }},
		} {
			of := m.of
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: m.name, Help: m.help}, func() float64 { return of(pages.Stats()) }))
		}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kindred_page_cache_bytes", Help: "Bytes of pages the page cache holds."},
			func() float64 { return float64(pages.Stats().Bytes) }))
		renderer.SetNotices(countedNotices{outSvc})
	} else {
		renderer.SetNotices(outSvc)
	}
	river.AddWorker(workers, &outreach.MailWorker{Svc: outSvc})
	// Erasure: each owner erases what it holds, in this order, in one
	// transaction; the account's tombstone comes last.
	day := 24 * time.Hour
	privSvc, err := privacy.New(d.DB, d.Now, d.Log, authSvc, inApp, privacy.Options{
		Grace: time.Duration(cfg.ErasureGraceDays) * day, KeepQuestionRecords: cfg.ErasureKeepQuestions,
		Retention: privacy.Retention{IPs: time.Duration(cfg.RetainIPDays) * day,
			ReadNotifications: time.Duration(cfg.RetainReadNotificationsDays) * day, Audit: time.Duration(cfg.RetainAuditDays) * day}},
		privacy.Step{Name: "exports", Erase: expSvc.EraseMember},
		privacy.InTx("messages", messages.EraseMember),
		privacy.InTx("forums", forumSvc.EraseMember),
		privacy.InTx("notifications", notify.EraseMember),
		privacy.Step{Name: "images", Erase: imgSvc.EraseMember},
		privacy.Step{Name: "clinicians", Erase: clinSvc.EraseMember},
		privacy.InTx("questions", qSvc.EraseMember),
		privacy.InTx("moderation", moderation.EraseMember),
		privacy.InTx("analytics", analyticsSvc.EraseMember),
		privacy.InTx("outreach", outSvc.EraseMember),
		privacy.InTx("account", authSvc.EraseMember))
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	privSvc.SetPruners(privacy.Pruners{ForgetDevices: authSvc.ForgetDevices, PruneNotifications: inApp.PruneRead})
	authSvc.OnSignIn(privSvc.CancelOnSignIn)
	// What every signed-in page asks of other features, loaded with the
	// session in one statement (web.Preloaded).
	authSvc.SetSessionFigures(map[string]string{privacy.FigureNeedsConsent: privacy.NeedsFigure}, map[string]string{web.FigureUnread: notify.UnreadFigure})
	if cfg.SessionCache {
		authSvc.UseSessionCache(auth.SessionCacheOptions{Sync: func(ctx context.Context, payload string) error {
			_, err := d.DB.Pool.Exec(ctx, `SELECT pg_notify($1, $2)`, live.Channel, live.SyncPayload(payload))
			return err
		}})
		changes.ObserveMembers(authSvc)
		for _, m := range []struct {
			name, help string
			of         func(auth.SessionCacheStats) float64
		}{
			{"kindred_session_cache_hits_total", "Signed-in page reads whose session came from the session cache.", func(s auth.SessionCacheStats) float64 { return float64(s.Hits) }},
			{"kindred_session_cache_misses_total", "Signed-in page reads whose session was read from PostgreSQL.", func(s auth.SessionCacheStats) float64 { return float64(s.Misses) }},
		} {
			of := m.of
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: m.name, Help: m.help}, func() float64 { return of(authSvc.SessionCacheStats()) }))
		}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "kindred_session_cache_entries", Help: "Sessions the session cache holds."},
			func() float64 { return float64(authSvc.SessionCacheStats().Entries) }))
	}
	authSvc.OnSignUp(func(ctx context.Context, db *gorm.DB, userID int64) error { return privSvc.Agree(ctx, db, userID) })
	river.AddWorker(workers, &privacy.Worker{Svc: privSvc})
	a := &App{
		Clinicians: clinSvc,
		Questions:  qSvc,
		Messages:   msgSvc,
		Privacy:    privSvc,
		Moderation: modSvc,
		Auth:       authSvc,
		Forums:     forumSvc,
		Notify:     inApp,
		Mail:       notifyMail,
		Live:       liveHub,
		Pages:      pages,
		Search:     searchClient,
		Synonyms:   synonyms,
		indexer:    indexer,
		DB:         d.DB,
		Registry:   reg,
		Documents:  docs,
		Images:     imgSvc,
		ImageStore: imgStore,
		workers:    workers,
		periodic: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) { return auth.PruneArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Due erasures and the retention limits, hourly (a limit in
			// days is then never more than an hour late).
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) { return privacy.EraseArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute), func() (river.JobArgs, *river.InsertOpts) { return clinicians.SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Private questions: deadlines, reminders, auto-close, the pool and wait alerts.
			river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) { return questions.SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Bookmark reminders that are due, once each.
			river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) { return forums.BookmarkSweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Notification e-mail: new notifications routed, digests that are due queued.
			river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) { return notify.MailSweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Live events older than an hour (kept for reconnecting pages).
			river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute), func() (river.JobArgs, *river.InsertOpts) { return live.PruneArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Images no post shows (after a day's grace for unsent posts) and
			// stored objects no image row names.
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) { return images.SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Crisis items nobody acknowledged in time: the admins are alerted, once each.
			river.NewPeriodicJob(river.PeriodicInterval(time.Minute), func() (river.JobArgs, *river.InsertOpts) { return moderation.SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// The search index's settings, at every start (retried while
			// Meilisearch is away) and every six hours: applying them is idempotent.
			river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour), func() (river.JobArgs, *river.InsertOpts) { return models.SearchSettingsArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Data exports downloaded or past their link's 48 hours: the archive is deleted.
			river.NewPeriodicJob(river.PeriodicInterval(10*time.Minute), func() (river.JobArgs, *river.InsertOpts) { return export.SweepArgs{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}),
			// Analytics: every night at 00:15 UTC and at start (which fills
			// the days a stopped server missed).
			analytics.PeriodicJob(),
			// The weekly summary e-mail: Mondays at 07:00 UTC.
			analytics.WeeklyJob(),
		},
		log: d.Log,
	}
	a.Export, a.ExportStore = expSvc, expStore
	a.Analytics, a.AnalyticsWeekly = analyticsSvc, weekly
	a.Outreach = outSvc
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = ipExtractor(cfg)
	e.HTTPErrorHandler = web.ErrorHandler(renderer, d.Log)
	// Every c.Bind of a JSON body is strict (app/web/binder.go).
	e.Binder = &web.Binder{}
	metrics := web.NewMetrics(reg)

	e.Use(middleware.RequestID())
	if cfg.SessionCache {
		// The session cache waits for this instance's writes to be heard.
		e.Use(web.MarkWrites(authSvc.Wrote))
		noteWrites(d.DB.Gorm)
	}
	e.Use(web.SecurityHeaders(cfg.TLS(), authSvc.FormActionSources))
	e.Use(web.AccessLog(d.Log))
	e.Use(metrics.Middleware)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
		d.Log.ErrorContext(c.Request().Context(), "panic", "error", err.Error(), "path", c.Request().URL.Path, "stack", string(stack))
		return err
	}}))
	// Proof-document uploads get room for 5 MB, image uploads for the image
	// limit; everything else the general limit.
	postTo := func(paths []string) func(echo.Context) bool {
		return func(c echo.Context) bool {
			return c.Request().Method == http.MethodPost && slices.Contains(paths, c.Request().URL.Path)
		}
	}
	isDocument, isImage := postTo(clinicians.UploadPaths), postTo(images.UploadPaths)
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: cfg.BodyLimit, Skipper: func(c echo.Context) bool { return isDocument(c) || isImage(c) }}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: clinicians.UploadBodyLimit, Skipper: func(c echo.Context) bool { return !isDocument(c) }}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: images.BodyLimit(cfg.ImageMaxBytes), Skipper: func(c echo.Context) bool { return !isImage(c) }}))
	// The input rules (app/input) at the edge, before any handler or query
	// sees a request: text, JSON structure, the body limit as a 413. The
	// compose forms listed check the same rules themselves and show the
	// form again with what the member typed.
	e.Use(web.ValidText(append(append(append(slices.Clone(forums.KeepInputPaths), questions.KeepInputPaths...), messages.KeepInputPaths...), outreach.KeepInputPaths...)...))
	// Event streams are not compressed: gzip would hold events back.
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024, Skipper: func(c echo.Context) bool {
		p := c.Request().URL.Path
		return p == "/events" || p == "/api/v1/events"
	}}))

	routes(e, a, renderer, st, cookies, cfg)
	a.Echo, a.renderer = e, renderer
	return a, nil
}

// ParseTemplates parses every page template now rather than on its first
// request (New only checks they exist); `kindred serve` runs it once it
// listens and stops on an error.
func (a *App) ParseTemplates() error { return a.renderer.ParseAll() }

// countedNotices finds a page's announcements and, when it shows some,
// finds them again each time the page is served from the page cache, so
// that campaigns count visitors' impressions as without the cache.
type countedNotices struct{ src web.NoticeSource }

func (n countedNotices) Notices(c echo.Context) web.Notices {
	out := n.src.Notices(c)
	if out.Any() {
		pagecache.OnHit(c, func(c echo.Context) { n.src.Notices(c) })
	}
	return out
}

// StartPageCache listens for page changes until ctx ends; until it
// listens, and whenever the connection is lost, no page is cached.
func (a *App) StartPageCache(ctx context.Context) {
	if a.Pages != nil {
		go a.Pages.Run(ctx)
	}
}

// liveCounts gives live updates the counts they carry.
type liveCounts struct {
	inApp *notify.InApp
	mod   *moderation.Service
	q     *questions.Service
}

func (l liveCounts) Unread(ctx context.Context, userID int64) (int64, error) {
	return l.inApp.Unread(ctx, userID)
}
func (l liveCounts) OpenQueue(ctx context.Context, a models.Actor) (int64, error) {
	return l.mod.OpenCount(ctx, a)
}
func (l liveCounts) PendingOffers(ctx context.Context, userID int64) (int64, error) {
	return l.q.PendingOffers(ctx, userID)
}

// CheckDocuments tells whether the document store answers (an S3 bucket
// that exists and takes the credentials); local disk always does.
func (a *App) CheckDocuments(ctx context.Context) error {
	if c, ok := a.Documents.(interface{ Check(context.Context) error }); ok {
		return c.Check(ctx)
	}
	return nil
}

// documentsPrefix is where proof documents live inside the configured S3
// prefix, so that later kinds of upload get places of their own and the
// sweep's listing sees documents only.
const documentsPrefix = "documents/"

// objectStore opens one kind of upload's store: backend "local" is dir,
// "s3" the configured bucket under prefix (inside KINDRED_S3_PREFIX), each
// with its own size limit. It makes no network request.
func objectStore(cfg *config.Config, backend, what, dir, prefix string, maxSize int64) (storage.Store, error) {
	switch backend {
	case "local":
		return storage.NewDisk(dir, maxSize)
	case "s3":
		return storage.NewS3(storage.S3Options{
			Endpoint: cfg.S3.Endpoint, Region: cfg.S3.Region, Bucket: cfg.S3.Bucket,
			AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey,
			Prefix: cfg.S3.Prefix + prefix, PathStyle: cfg.S3.PathStyle,
			Timeout: cfg.S3.Timeout, MaxSize: maxSize,
		})
	}
	return nil, fmt.Errorf("server: unknown %s storage %q", what, backend)
}

// DocumentStore opens the store of clinicians' proof documents
// (KINDRED_DOCUMENT_DIR, or documents/ in the bucket).
func DocumentStore(cfg *config.Config, backend string) (storage.Store, error) {
	return objectStore(cfg, backend, "document", cfg.DocumentDir, documentsPrefix, clinicians.MaxDocumentSize)
}

// imagesPrefix is where images live inside the configured S3 prefix,
// beside documents/ and apart from them.
const imagesPrefix = "images/"

// ImageStore opens the store of the images members put in posts
// (KINDRED_IMAGE_DIR, or images/ in the bucket).
func ImageStore(cfg *config.Config, backend string) (storage.Store, error) {
	return objectStore(cfg, backend, "image", cfg.ImageDir, imagesPrefix, images.MaxStored)
}

// exportsPrefix is where data exports live inside the configured S3
// prefix, apart from documents and images.
const exportsPrefix = "exports/"

// ExportStore opens the store of members' data exports
// (KINDRED_EXPORT_DIR, or exports/ in the bucket).
func ExportStore(cfg *config.Config, backend string) (storage.Store, error) {
	return objectStore(cfg, backend, "export", cfg.ExportDir, exportsPrefix, export.MaxArchive)
}

// ipExtractor trusts X-Forwarded-For only from configured proxies; with
// none configured it uses the connection's address, so rate limits cannot
// be dodged by sending the header.
func ipExtractor(cfg *config.Config) echo.IPExtractor {
	if len(cfg.TrustedProxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range cfg.TrustedProxies {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// PrepareSearch creates the thread index and applies its settings before
// the server takes requests, waiting at most a few seconds: searches never
// wait on settings themselves, so without this the first ones after a
// first start would meet an index without its filters. When Meilisearch is
// away the settings job that runs at start keeps trying.
func (a *App) PrepareSearch(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return a.Search.EnsureThreads(ctx)
}

// StartWorkers runs River's job workers until ctx ends; stop waits for
// running jobs to finish.
func (a *App) StartWorkers(ctx context.Context) (stop func(context.Context) error, err error) {
	rc, err := river.NewClient(riverpgxv5.New(a.DB.Pool), &river.Config{
		Logger:       a.log,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 10}, export.Queue: {MaxWorkers: 2}},
		Workers:      a.workers,
		PeriodicJobs: a.periodic,
		// Index jobs should start at once: a job whose insert notification
		// was held back (River sends at most one per cooldown) waited for the
		// next poll, a second by default.
		FetchCooldown:     database.FetchCooldown,
		FetchPollInterval: 250 * time.Millisecond,
		// A job whose process died (kill -9, a lost machine) stays
		// "running" until rescued: River's default is an hour, during
		// which a reply's index update or an e-mail would wait. Every job
		// is safe to run twice (see docs/architecture.md, "Jobs").
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: RescueStuckJobsAfter,
		// A job's writes, like a request's, are followed by the session
		// cache's sync signal (auth.Service.Wrote).
		Middleware: []rivertype.Middleware{river.WorkerMiddlewareFunc(func(ctx context.Context, _ *rivertype.JobRow, work func(context.Context) error) error {
			err := work(ctx)
			a.Auth.Wrote()
			return err
		})},
	})
	if err != nil {
		return nil, fmt.Errorf("server: river: %w", err)
	}
	if err := rc.Start(ctx); err != nil {
		return nil, fmt.Errorf("server: river start: %w", err)
	}
	// Live updates listen beside the workers, on every instance.
	lctx, stopLive := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
			stopLive()
		case <-lctx.Done():
		}
	}()
	go a.Live.Run(lctx)
	go a.Auth.RunSessionCache(lctx)
	go a.Live.KeepAlive(lctx, live.Heartbeat, live.Lifetime)
	ictx, stopIndexer := context.WithCancel(context.WithoutCancel(ctx))
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		a.indexer.Run(ictx)
	}()
	go func() { // the indexer stops with ctx, as River does
		select {
		case <-ctx.Done():
			stopIndexer()
		case <-indexed:
		}
	}()
	return func(sctx context.Context) error {
		err := rc.Stop(sctx)
		stopIndexer()
		stopLive()
		a.Live.Close()
		select {
		case <-indexed:
		case <-sctx.Done():
		}
		return err
	}, nil
}

// Jobs run at most JobTimeout; a job still "running" RescueStuckJobsAfter
// after it started (its process died) is run again.
const (
	JobTimeout           = time.Minute
	RescueStuckJobsAfter = 3 * time.Minute
)

// Ready is /readyz: can this instance serve requests? Only PostgreSQL
// decides: without Meilisearch, reading, posting and private questions
// all work (search answers 503 and the index catches up later), so a load
// balancer must not take every instance out when only search is down.
func (a *App) Ready(ctx context.Context) (map[string]string, bool) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out := map[string]string{"postgres": "ok"}
	if err := a.DB.Pool.Ping(ctx); err != nil {
		a.log.WarnContext(ctx, "readiness: postgres", "error", err.Error())
		out["postgres"] = "unavailable"
		return out, false
	}
	return out, true
}

// Health is /healthz/details: every dependency's state, for people and
// monitoring (not for load balancers: see Ready). ok is false when any is
// down.
func (a *App) Health(ctx context.Context) (map[string]any, bool) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	out := map[string]any{"postgres": "ok", "meilisearch": "ok"}
	ok := true
	if err := a.DB.Pool.Ping(ctx); err != nil {
		out["postgres"], ok = "unavailable", false
		a.log.WarnContext(ctx, "health: postgres", "error", err.Error())
	}
	if a.DB.Replica != nil {
		// Visitors' pages fall back to the primary without it: reported,
		// not fatal.
		out["postgres_replica"] = "ok"
		if err := a.DB.Replica.Ping(ctx); err != nil {
			out["postgres_replica"], ok = "unavailable", false
			a.log.WarnContext(ctx, "health: postgres replica", "error", err.Error())
		}
	}
	if err := a.Search.Ping(ctx); err != nil {
		out["meilisearch"], ok = "unavailable", false
		a.log.WarnContext(ctx, "health: meilisearch", "error", err.Error())
	}
	if n, err := search.Backlog(ctx, a.DB); err == nil {
		out["search_backlog"] = n
	}
	return out, ok
}

// restrictions restricts an account (app/auth) and, in the same
// transaction, moves on the private questions the member held as a
// clinician (app/questions).
type restrictions struct {
	auth      *auth.Service
	questions *questions.Service
}

// LiftSuspension implements moderation.Accounts.
func (r restrictions) LiftSuspension(ctx context.Context, tx *database.Tx, userID int64) error {
	return r.auth.LiftSuspension(ctx, tx, userID)
}

// SetOnDuty implements moderation.Accounts.
func (r restrictions) SetOnDuty(ctx context.Context, tx *database.Tx, userID int64, on bool) error {
	return r.auth.SetOnDuty(ctx, tx, userID, on)
}

// Restrict implements moderation.Accounts.
func (r restrictions) Restrict(ctx context.Context, tx *database.Tx, userID int64, until *time.Time) error {
	if err := r.auth.Restrict(ctx, tx, userID, until); err != nil {
		return err
	}
	return r.questions.ReleaseHeldBy(ctx, tx, userID)
}

// analyticsMail hands analytics' weekly summary to the mailer.
type analyticsMail struct{ s notify.MessageSender }

func (m analyticsMail) SendMail(ctx context.Context, x analytics.Mail) error {
	return m.s.SendMessage(ctx, notify.Message{To: x.To, Subject: x.Subject, Text: x.Text, HTML: x.HTML, Headers: x.Headers})
}

// noteWrites tells a page read's request that it wrote (web.NoteWrite,
// for web.MarkWrites) after every write statement through gorm: creates,
// updates, deletes and Exec. Registered once per database.
func noteWrites(db *gorm.DB) {
	note := func(tx *gorm.DB) {
		if tx.Error == nil && tx.Statement.Context != nil {
			web.NoteWrite(tx.Statement.Context)
		}
	}
	cb := db.Callback()
	if cb.Raw().Get("kindred:note_write") != nil {
		return
	}
	_ = cb.Create().After("gorm:create").Register("kindred:note_write", note)
	_ = cb.Update().After("gorm:update").Register("kindred:note_write", note)
	_ = cb.Delete().After("gorm:delete").Register("kindred:note_write", note)
	_ = cb.Raw().After("gorm:raw").Register("kindred:note_write", note)
}
