// Package config reads Kindred's settings from the environment, once, and
// validates them so that start-up fails with one clear line per problem.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is every setting Kindred reads. See the README for the table.
type Config struct {
	Addr        string
	BaseURL     *url.URL
	DatabaseURL string
	// ReplicaDatabaseURL is a read-only standby that visitors' forum and
	// thread pages read from ("" = none).
	ReplicaDatabaseURL string
	MeiliURL           string
	MeiliAPIKey        string
	MeiliMasterKey     string // used once at start to make MeiliAPIKey, then dropped
	MeiliPrefix        string
	// SearchTimeout bounds each request to Meilisearch (a search, a read,
	// one step of an index write): a hung Meilisearch fails fast.
	SearchTimeout  time.Duration
	SecretKey      []byte
	MigrateOnStart bool

	LogFormat string
	LogLevel  string

	TrustedProxies []netip.Prefix
	BodyLimit      string
	MetricsToken   string
	// PprofAddr, when set, serves Go's profiler (/debug/pprof/) on this
	// loopback address, apart from the site (make perf's -cpuprofile).
	PprofAddr string
	// MailWebhookToken, when set, lets a mail provider report bounces and
	// complaints to POST /hooks/email (Authorization: Bearer <token>).
	MailWebhookToken string

	DBMaxConns  int32
	DBSlowQuery time.Duration

	// PageCache keeps visitors' public pages in memory (app/pagecache);
	// KINDRED_PAGE_CACHE=off turns it off. PageCacheTTL is the longest a
	// page is kept without a change, PageCacheMB the memory for all pages.
	PageCache    bool
	PageCacheTTL time.Duration
	PageCacheMB  int
	// SessionCache answers signed-in pages' sessions from memory while
	// nothing about them changed (app/auth/sessioncache.go);
	// KINDRED_SESSION_CACHE=off reads every one from PostgreSQL.
	SessionCache bool

	SessionIdle          time.Duration
	SessionAbsolute      time.Duration
	StaffSessionIdle     time.Duration
	StaffSessionAbsolute time.Duration

	SMTP SMTP

	// DocumentDir holds clinicians' proof documents, outside any served
	// directory; DocumentRetentionDays is how long they stay after the decision.
	DocumentDir           string
	DocumentRetentionDays int
	// ErasureGraceDays is how long a member's account deletion waits
	// (signing in cancels it); ErasureKeepQuestions keeps a minimal record
	// of an erased member's private questions for the clinicians.
	ErasureGraceDays     int
	ErasureKeepQuestions bool
	// Retention limits in days (0: keep): sessions' and the audit log's IP
	// addresses and browser names, read notifications, audit events.
	RetainIPDays                int
	RetainReadNotificationsDays int
	RetainAuditDays             int
	// ImageDir holds the images members put in posts (Storage "local");
	// ImageMaxBytes is the largest upload taken.
	ImageDir      string
	ImageMaxBytes int64
	// ExportDir holds members' data exports until downloaded or expired
	// (Storage "local"; in S3 they live under <prefix>exports/).
	ExportDir string
	// Storage is where proof documents and images live: "local" (DocumentDir and ImageDir, one
	// machine) or "s3" (an S3-compatible bucket, any number of instances).
	Storage string
	S3      S3

	// Private questions: an offer's deadline, offers before the open pool,
	// and the words that show emergency guidance before a question is queued.
	QuestionRespondWithin time.Duration
	QuestionMaxOffers     int
	UrgentTerms           []string
	// The rest of a question's life: answer deadlines (ordinary, urgent),
	// auto-close and reopen windows, the wait before admins are alerted
	// (ordinary, urgent), the pool's cooling period for earlier offerees,
	// time-outs in a row before a clinician is paused, and open questions
	// per member.
	QuestionAnswerWithin       time.Duration
	QuestionUrgentAnswerWithin time.Duration
	QuestionAutoClose          time.Duration
	QuestionReopenWithin       time.Duration
	QuestionWaitAlert          time.Duration
	QuestionUrgentWaitAlert    time.Duration
	QuestionPoolCooling        time.Duration
	QuestionPauseAfter         int
	QuestionMaxOpenPerMember   int

	// ReportHideThreshold is the weight of open reports that hides content
	// until a moderator decides.
	ReportHideThreshold float64
	// CrisisAck is how long a crisis item may wait for a moderator's
	// acknowledgement before admins are alerted.
	CrisisAck time.Duration
	// NewMemberApprovals is how many of a member's first posts wait for a
	// moderator (0: none).
	NewMemberApprovals int
	// MessagesMinPosts is how many visible posts a member needs before
	// starting private conversations (0: no threshold).
	MessagesMinPosts int

	// OIDCProviders are the OpenID Connect providers, in button order.
	OIDCProviders []OIDC
	Google        OAuth
	GitHub        OAuth
}

// SMTP configures outgoing mail. An empty Host means mail goes to the log.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string // starttls, tls or none
}

// S3 configures S3-compatible object storage (KINDRED_STORAGE=s3).
type S3 struct {
	Endpoint  string // http(s)://host[:port], no path
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
	Prefix    string // "" or ends with "/"
	PathStyle bool
	Timeout   time.Duration
}

// OAuth configures a fixed OAuth provider such as Google or GitHub.
type OAuth struct {
	ClientID     string
	ClientSecret string
}

// Enabled reports whether the provider is configured.
func (o OAuth) Enabled() bool { return o.ClientID != "" }

// TLS reports whether Kindred is reached over HTTPS, which turns on Secure
// and __Host- cookies and HSTS.
func (c *Config) TLS() bool { return c.BaseURL.Scheme == "https" }

type reader struct {
	getenv func(string) string
	errs   []string
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, name+": "+fmt.Sprintf(format, args...))
}

// str returns NAME, or the contents of the file named by NAME_FILE.
func (r *reader) str(name, def string) string {
	if path := r.getenv(name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			r.fail(name+"_FILE", "cannot read %s: %v", path, err)
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) required(name, hint string) string {
	v := r.str(name, "")
	if v == "" {
		r.fail(name, "is required (%s)", hint)
	}
	return v
}

func (r *reader) boolean(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.fail(name, "must be true or false, not %q", v)
	}
	return b
}

func (r *reader) integer(name string, def, min, max int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		r.fail(name, "must be a whole number from %d to %d, not %q", min, max, v)
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, "must be a positive duration such as 30m or 12h, not %q", v)
	}
	return d
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.fail(name, "must be one of %s, not %q", strings.Join(allowed, ", "), v)
	return def
}

var (
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	keyPrefix  = regexp.MustCompile(`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/?$`)
)

// s3 reads the object-storage settings. Documents are health data: plain
// http is allowed only to this machine, or when the operator says the
// network between Kindred and the store is private.
func (r *reader) s3() S3 {
	s := S3{
		Endpoint:  r.required("KINDRED_S3_ENDPOINT", "the S3 service's URL, such as https://s3.eu-west-1.amazonaws.com"),
		Region:    r.str("KINDRED_S3_REGION", "us-east-1"),
		Bucket:    r.required("KINDRED_S3_BUCKET", "the bucket that keeps the documents; Kindred does not create it"),
		AccessKey: r.required("KINDRED_S3_ACCESS_KEY", "the access key id of a user allowed to put, get, delete and list in the bucket"),
		SecretKey: r.required("KINDRED_S3_SECRET_KEY", "its secret key (or KINDRED_S3_SECRET_KEY_FILE)"),
		Prefix:    r.str("KINDRED_S3_PREFIX", ""),
		PathStyle: r.boolean("KINDRED_S3_USE_PATH_STYLE", false),
		Timeout:   r.duration("KINDRED_S3_TIMEOUT", 20*time.Second),
	}
	allowHTTP := r.boolean("KINDRED_S3_ALLOW_HTTP", false)
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil:
			r.fail("KINDRED_S3_ENDPOINT", "must be an http(s) URL without a path, such as https://s3.eu-west-1.amazonaws.com, not %q", s.Endpoint)
		case u.Scheme == "http" && !isLoopback(u.Hostname()) && !allowHTTP:
			r.fail("KINDRED_S3_ENDPOINT", "uses plain http to another machine: use https, or set KINDRED_S3_ALLOW_HTTP=true if the network between them is private")
		default:
			s.Endpoint = u.Scheme + "://" + u.Host
		}
	}
	if s.Bucket != "" && (!bucketName.MatchString(s.Bucket) || strings.Contains(s.Bucket, "..")) {
		r.fail("KINDRED_S3_BUCKET", "must be a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, not %q", s.Bucket)
	}
	if s.Prefix != "" {
		if !keyPrefix.MatchString(s.Prefix) {
			r.fail("KINDRED_S3_PREFIX", "must be words of letters, digits, '-' and '_' separated by '/', such as kindred/, not %q", s.Prefix)
		} else if !strings.HasSuffix(s.Prefix, "/") {
			s.Prefix += "/"
		}
	}
	if s.Timeout > 5*time.Minute {
		r.fail("KINDRED_S3_TIMEOUT", "must be at most 5m: viewers wait this long for a store that does not answer")
	}
	return s
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Load reads the configuration. The returned error lists every problem.
func Load(getenv func(string) string) (*Config, error) {
	r := &reader{getenv: getenv}
	c := &Config{}

	c.Addr = r.str("KINDRED_ADDR", ":8080")
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		r.fail("KINDRED_ADDR", "must be host:port such as :8080 or 127.0.0.1:8080, not %q", c.Addr)
	}
	base := r.str("KINDRED_BASE_URL", "http://localhost:8080")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		r.fail("KINDRED_BASE_URL", "must be an http(s) URL without a path, such as https://kindred.example.org, not %q", base)
		u, _ = url.Parse("http://localhost:8080")
	}
	u.Path = ""
	c.BaseURL = u

	c.DatabaseURL = r.required("DATABASE_URL", "a PostgreSQL URL such as postgres://kindred@localhost:5432/kindred")
	c.ReplicaDatabaseURL = r.str("KINDRED_REPLICA_DATABASE_URL", "")
	c.MeiliURL = r.required("MEILI_URL", "the Meilisearch URL such as http://127.0.0.1:7700")
	c.MeiliAPIKey = r.str("MEILI_API_KEY", "")
	c.MeiliMasterKey = r.str("MEILI_MASTER_KEY", "")
	if c.MeiliAPIKey == "" && c.MeiliMasterKey == "" {
		r.fail("MEILI_API_KEY", "is required (a Meilisearch API key), or give MEILI_MASTER_KEY and Kindred makes its own limited key")
	}
	c.MeiliPrefix = r.str("KINDRED_MEILI_INDEX_PREFIX", "kindred")
	c.SearchTimeout = r.duration("KINDRED_SEARCH_TIMEOUT", 2*time.Second)
	secret := r.required("KINDRED_SECRET_KEY", "at least 32 random characters; `openssl rand -hex 32` makes one")
	if secret != "" && len(secret) < 32 {
		r.fail("KINDRED_SECRET_KEY", "must be at least 32 characters, has %d", len(secret))
	}
	c.SecretKey = []byte(secret)
	c.MigrateOnStart = r.boolean("KINDRED_MIGRATE_ON_START", false)

	c.LogFormat = r.oneOf("KINDRED_LOG_FORMAT", "json", "json", "text")
	c.LogLevel = r.oneOf("KINDRED_LOG_LEVEL", "info", "debug", "info", "warn", "error")

	for _, p := range strings.Split(r.str("KINDRED_TRUSTED_PROXIES", ""), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, err2 := netip.ParseAddr(p)
			if err2 != nil {
				r.fail("KINDRED_TRUSTED_PROXIES", "%q is neither an IP address nor a CIDR range", p)
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}
	c.BodyLimit = r.str("KINDRED_BODY_LIMIT", "1M")
	c.MetricsToken = r.str("KINDRED_METRICS_TOKEN", "")
	c.PprofAddr = r.str("KINDRED_PPROF_ADDR", "")
	if c.PprofAddr != "" {
		if host, _, err := net.SplitHostPort(c.PprofAddr); err != nil || !isLoopback(host) {
			r.fail("KINDRED_PPROF_ADDR", "must be a loopback host:port such as 127.0.0.1:6060 (the profiler is never public), not %q", c.PprofAddr)
		}
	}
	c.MailWebhookToken = r.str("KINDRED_MAIL_WEBHOOK_TOKEN", "")

	// Default: pgx's own choice, max(4, CPUs). More connections than the
	// database host has cores only adds contention (measured in docs/performance.md).
	c.DBMaxConns = int32(r.integer("KINDRED_DB_MAX_CONNS", 0, 2, 1000))
	c.DBSlowQuery = r.duration("KINDRED_DB_SLOW_QUERY", 200*time.Millisecond)
	c.PageCache = r.oneOf("KINDRED_PAGE_CACHE", "on", "on", "off") == "on"
	c.PageCacheTTL = r.duration("KINDRED_PAGE_CACHE_TTL", 10*time.Second)
	c.PageCacheMB = r.integer("KINDRED_PAGE_CACHE_MB", 16, 1, 4096)
	c.SessionCache = r.oneOf("KINDRED_SESSION_CACHE", "on", "on", "off") == "on"

	c.SessionIdle = r.duration("KINDRED_SESSION_IDLE", 14*24*time.Hour)
	c.SessionAbsolute = r.duration("KINDRED_SESSION_ABSOLUTE", 30*24*time.Hour)
	c.StaffSessionIdle = r.duration("KINDRED_STAFF_SESSION_IDLE", 2*time.Hour)
	c.StaffSessionAbsolute = r.duration("KINDRED_STAFF_SESSION_ABSOLUTE", 12*time.Hour)
	if c.SessionIdle > c.SessionAbsolute {
		r.fail("KINDRED_SESSION_IDLE", "must not be longer than KINDRED_SESSION_ABSOLUTE")
	}
	if c.StaffSessionIdle > c.StaffSessionAbsolute {
		r.fail("KINDRED_STAFF_SESSION_IDLE", "must not be longer than KINDRED_STAFF_SESSION_ABSOLUTE")
	}

	c.SMTP = SMTP{
		Host:     r.str("KINDRED_SMTP_HOST", ""),
		Port:     r.integer("KINDRED_SMTP_PORT", 587, 1, 65535),
		Username: r.str("KINDRED_SMTP_USERNAME", ""),
		Password: r.str("KINDRED_SMTP_PASSWORD", ""),
		From:     r.str("KINDRED_SMTP_FROM", "Kindred <no-reply@localhost>"),
		TLS:      r.oneOf("KINDRED_SMTP_TLS", "starttls", "starttls", "tls", "none"),
	}

	c.DocumentDir = r.str("KINDRED_DOCUMENT_DIR", "data/documents")
	c.DocumentRetentionDays = r.integer("KINDRED_DOCUMENT_RETENTION_DAYS", 30, 0, 3650)
	c.ErasureGraceDays = r.integer("KINDRED_ERASURE_GRACE_DAYS", 7, 0, 90)
	c.ErasureKeepQuestions = r.boolean("KINDRED_ERASURE_KEEP_QUESTIONS", false)
	c.RetainIPDays = r.integer("KINDRED_RETAIN_IP_DAYS", 30, 0, 3650)
	c.RetainReadNotificationsDays = r.integer("KINDRED_RETAIN_READ_NOTIFICATIONS_DAYS", 90, 0, 3650)
	c.RetainAuditDays = r.integer("KINDRED_RETAIN_AUDIT_DAYS", 2190, 0, 36500)
	c.ImageDir = r.str("KINDRED_IMAGE_DIR", "data/images")
	c.ImageMaxBytes = int64(r.integer("KINDRED_IMAGE_MAX_BYTES", 10<<20, 64<<10, 50<<20))
	c.ExportDir = r.str("KINDRED_EXPORT_DIR", "data/exports")
	c.Storage = r.oneOf("KINDRED_STORAGE", "local", "local", "s3")
	if c.Storage == "s3" {
		c.S3 = r.s3()
	}
	c.QuestionRespondWithin = r.duration("KINDRED_QUESTION_RESPOND_WITHIN", 24*time.Hour)
	if c.QuestionRespondWithin < time.Minute {
		r.fail("KINDRED_QUESTION_RESPOND_WITHIN", "must be at least 1m")
	}
	c.QuestionMaxOffers = r.integer("KINDRED_QUESTION_MAX_OFFERS", 3, 1, 50)
	for _, d := range []struct {
		to   *time.Duration
		name string
		def  time.Duration
	}{
		{&c.QuestionAnswerWithin, "KINDRED_QUESTION_ANSWER_WITHIN", 48 * time.Hour},
		{&c.QuestionUrgentAnswerWithin, "KINDRED_QUESTION_URGENT_ANSWER_WITHIN", 4 * time.Hour},
		{&c.QuestionAutoClose, "KINDRED_QUESTION_AUTO_CLOSE", 7 * 24 * time.Hour},
		{&c.QuestionReopenWithin, "KINDRED_QUESTION_REOPEN_WITHIN", 14 * 24 * time.Hour},
		{&c.QuestionWaitAlert, "KINDRED_QUESTION_WAIT_ALERT", 12 * time.Hour},
		{&c.QuestionUrgentWaitAlert, "KINDRED_QUESTION_URGENT_WAIT_ALERT", time.Hour},
		{&c.QuestionPoolCooling, "KINDRED_QUESTION_POOL_COOLING", 2 * time.Hour},
	} {
		*d.to = r.duration(d.name, d.def)
		if *d.to < time.Minute {
			r.fail(d.name, "must be at least 1m")
		}
	}
	if c.QuestionUrgentWaitAlert > c.QuestionWaitAlert {
		r.fail("KINDRED_QUESTION_URGENT_WAIT_ALERT", "must not be longer than KINDRED_QUESTION_WAIT_ALERT")
	}
	c.QuestionPauseAfter = r.integer("KINDRED_QUESTION_PAUSE_AFTER_TIMEOUTS", 3, 1, 100)
	c.QuestionMaxOpenPerMember = r.integer("KINDRED_QUESTION_MAX_OPEN_PER_MEMBER", 3, 1, 100)
	c.NewMemberApprovals = r.integer("KINDRED_NEW_MEMBER_APPROVALS", 2, 0, 100)
	c.MessagesMinPosts = r.integer("KINDRED_MESSAGES_MIN_POSTS", 3, 0, 1000)
	c.CrisisAck = time.Duration(r.integer("KINDRED_CRISIS_ACK_MINUTES", 15, 1, 1440)) * time.Minute
	if v := r.str("KINDRED_REPORT_HIDE_THRESHOLD", "3"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 1 || f > 100 {
			r.fail("KINDRED_REPORT_HIDE_THRESHOLD", "must be a number from 1 to 100, such as 3 or 2.5")
		}
		c.ReportHideThreshold = f
	}
	for _, t := range strings.Split(r.str("KINDRED_URGENT_TERMS", ""), ",") {
		if t = strings.TrimSpace(t); t != "" {
			c.UrgentTerms = append(c.UrgentTerms, t)
		}
	}

	c.OIDCProviders = r.oidcProviders()
	c.Google = OAuth{ClientID: r.str("KINDRED_GOOGLE_CLIENT_ID", ""), ClientSecret: r.str("KINDRED_GOOGLE_CLIENT_SECRET", "")}
	if c.Google.Enabled() && c.Google.ClientSecret == "" {
		r.fail("KINDRED_GOOGLE_CLIENT_SECRET", "is required with KINDRED_GOOGLE_CLIENT_ID")
	}
	c.GitHub = OAuth{ClientID: r.str("KINDRED_GITHUB_CLIENT_ID", ""), ClientSecret: r.str("KINDRED_GITHUB_CLIENT_SECRET", "")}
	if c.GitHub.Enabled() && c.GitHub.ClientSecret == "" {
		r.fail("KINDRED_GITHUB_CLIENT_SECRET", "is required with KINDRED_GITHUB_CLIENT_ID")
	}

	if len(r.errs) > 0 {
		return nil, errors.New("configuration problems:\n  " + strings.Join(r.errs, "\n  "))
	}
	return c, nil
}

// LoadDatabaseOnly reads only what commands that touch the database need
// (migrate, create-admin), so they work without Meilisearch settings.
func LoadDatabaseOnly(getenv func(string) string) (*Config, error) {
	r := &reader{getenv: getenv}
	c := r.databaseOnly()
	if len(r.errs) > 0 {
		return nil, errors.New("configuration problems:\n  " + strings.Join(r.errs, "\n  "))
	}
	return c, nil
}

// databaseOnly reads the database and logging settings every command needs.
func (r *reader) databaseOnly() *Config {
	return &Config{
		DatabaseURL: r.required("DATABASE_URL", "a PostgreSQL URL such as postgres://kindred@localhost:5432/kindred"),
		LogFormat:   r.oneOf("KINDRED_LOG_FORMAT", "json", "json", "text"),
		LogLevel:    r.oneOf("KINDRED_LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		DBMaxConns:  int32(r.integer("KINDRED_DB_MAX_CONNS", 5, 2, 1000)),
		DBSlowQuery: r.duration("KINDRED_DB_SLOW_QUERY", 200*time.Millisecond),
	}
}

// LoadStorage reads what `kindred storage copy` needs: the database, the
// document directory and the S3 settings, which are required here whatever
// KINDRED_STORAGE says (documents move between the two).
func LoadStorage(getenv func(string) string) (*Config, error) {
	r := &reader{getenv: getenv}
	c := r.databaseOnly()
	c.DocumentDir = r.str("KINDRED_DOCUMENT_DIR", "data/documents")
	c.ImageDir = r.str("KINDRED_IMAGE_DIR", "data/images")
	c.ImageMaxBytes = int64(r.integer("KINDRED_IMAGE_MAX_BYTES", 10<<20, 64<<10, 50<<20))
	c.Storage = r.oneOf("KINDRED_STORAGE", "local", "local", "s3")
	c.S3 = r.s3()
	if len(r.errs) > 0 {
		return nil, errors.New("configuration problems:\n  " + strings.Join(r.errs, "\n  "))
	}
	return c, nil
}
