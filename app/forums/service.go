package forums

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/models"
)

// Page sizes. The queries below write these plus one into their SQL
// ("LIMIT 31"); the array sizes stop the build if the two ever disagree.
const (
	ThreadsPerPage = 30
	PostsPerPage   = 30
)

var (
	_ [ThreadsPerPage + 1 - 31]struct{}
	_ [31 - ThreadsPerPage - 1]struct{}
	_ [PostsPerPage + 1 - 31]struct{}
	_ [31 - PostsPerPage - 1]struct{}
)

// Notifier fans a new post out to followers inside the post's transaction
// (or through a job inserted in it, when they are many).
type Notifier interface {
	NotifyThreadFollowers(ctx context.Context, tx *database.Tx, e models.NotificationEvent) error
	NotifyForumFollowers(ctx context.Context, tx *database.Tx, e models.NotificationEvent) error
	NotifyBookmarkReminders(ctx context.Context, tx *gorm.DB, bookmarkIDs []int64) error
	// NotifyMentions tells the members mentioned in a post who may read it
	// (audience is the forum's); it returns who was told.
	NotifyMentions(ctx context.Context, tx *gorm.DB, e models.NotificationEvent, handles []string, audience string) ([]int64, error)
	// MarkThreadRead marks the member's notifications about a thread read
	// (they opened it).
	MarkThreadRead(ctx context.Context, userID, threadID int64) error
}

// Service implements forums, threads and posts.
type Service struct {
	// Documents are the threads' search documents (searchdoc.go).
	*Documents
	db       *database.DB
	now      func() time.Time
	md       *markdown.Renderer
	notifier Notifier
	// threadMarks: a member's thread query (threadMarksSQL).
	threadMarks string
	log         *slog.Logger
	checker     TextChecker // nil only when unchecked
	unchecked   bool        // the demo seeder's own texts: saved without checks
	reporter    Reporter
	newMember   int // first posts of a member that wait for approval
	// guidance and urgentTerms: the emergency guidance after urgent posts (urgent.go).
	guidance    Guidance
	urgentTerms []string
	limiter     *ratelimit.Limiter
	// images checks and links the Kindred images a post shows (nil only
	// when unchecked: they then stay links).
	images Images
}

// New builds the service. It fails when a collaborator is missing, so
// Kindred never starts with posts saved unchecked.
func New(db *database.DB, now func() time.Time, md *markdown.Renderer, n Notifier, log *slog.Logger, checks Checks) (*Service, error) {
	missing := checks.missing()
	if db == nil || now == nil || md == nil || n == nil || log == nil {
		missing = append(missing, "database, clock, Markdown renderer, notifier and logger")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("forums: New needs %s", strings.Join(missing, ", "))
	}
	return &Service{Documents: NewDocuments(db, now), db: db, now: now, md: md, notifier: n, log: log, limiter: ratelimit.New(db.Gorm, now),
		checker: checks.Text, reporter: checks.Reporter, guidance: checks.Guidance, newMember: checks.NewMemberApprovals,
		urgentTerms: checks.UrgentTerms, unchecked: checks.Unchecked, images: checks.Images}, nil
}

// PreviewLimit is how many previews a member may ask for: rendering costs
// CPU that every other request shares, and a preview writes nothing that
// would slow a script down otherwise.
var PreviewLimit = ratelimit.Rule{Max: 30, Window: time.Minute}

// Render turns markdown into sanitised HTML (for previews).
func (s *Service) Render(body string) (string, error) { return s.md.Render(body) }

// Preview renders body for u under PreviewLimit (pages and API share the
// count): past it, a *models.RateLimitedError (429 with Retry-After).
func (s *Service) Preview(ctx context.Context, u *models.User, body string) (string, error) {
	if u == nil {
		return "", models.ErrSignInRequired
	}
	if msg := input.Check("body", body); msg != "" {
		v := models.NewValidationError()
		v.Code = "invalid_text"
		v.Add("body", msg)
		return "", v
	}
	if err := s.limiter.Hit(ctx, "preview:user:"+strconv.FormatInt(u.ID, 10), PreviewLimit); err != nil {
		return "", err
	}
	// The member's own images show in the preview, whichever forum they
	// were uploaded for; the post itself is checked when it is sent.
	var sizes map[string]markdown.ImageSize
	if refs := markdown.ImageRefs(body); len(refs) > 0 && s.images != nil {
		if got, err := s.images.Sizes(ctx, u.ID, 0, 0, refs); err == nil {
			sizes = got
		}
	}
	html, _, err := s.renderPost(ctx, body, sizes)
	return html, err
}

// wrap names the operation on an error on its way out of an exported
// method ("forums: reply to thread 12: …"); errors.Is and errors.As still
// see the cause.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf(format+": %w", append(args, *err)...)
	}
}

func wrapNotFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("forums: %s: %w", what, models.ErrNotFound)
	}
	return fmt.Errorf("forums: %s: %w", what, err)
}

// readError is the answer when v may not read a forum: exactly what a
// forum, thread or post that does not exist answers, so that nothing
// confirms a members-only or clinician-only place is there (every 404 page
// offers a signed-out visitor to sign in, whatever was asked for).
func readError(Viewer) error { return models.ErrNotFound }

// actError is the answer when v may not act in f (join, follow, post): as
// missing when v may not read it, else sign in first, else refused.
func actError(v Viewer, f *models.Forum) error {
	switch {
	case !CanReadForum(v, f):
		return models.ErrNotFound
	case !v.SignedIn():
		return models.ErrSignInRequired
	}
	return models.ErrForbidden
}
