package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/app/ratelimit"
	"github.com/kindred-health/kindred/app/storage"
	"github.com/kindred-health/kindred/models"
)

// PostingForum finds the forum a member composes in, by its slug, and
// says whether they may post there (app/forums' rule): ErrNotFound when
// they may not read it, another error when they may not post.
type PostingForum func(ctx context.Context, actor models.Actor, slug string) (forumID int64, err error)

// PostShown says whether actor may see post postID (app/forums' rule for
// posts: the forum's audience, held, hidden, removed and deleted posts)
// and whether its forum is public.
type PostShown func(ctx context.Context, actor models.Actor, postID int64) (public bool, err error)

// UploadLimit is how many images a member may upload an hour: decoding
// and encoding a photo costs CPU and memory every page shares.
var UploadLimit = ratelimit.Rule{Max: 60, Window: time.Hour}

// AltMax is the longest alt text the upload form takes.
const AltMax = 500

// MaxStored bounds one stored image: a 2,560 px square 16-bit PNG of
// noise is about 52 MB.
const MaxStored = 64 << 20

// Service uploads, serves and sweeps images.
type Service struct {
	db       *database.DB
	store    storage.Store
	now      func() time.Time
	log      *slog.Logger
	maxBytes int64
	limiter  *ratelimit.Limiter
	// work bounds how many images are decoded at once: a 40-megapixel
	// photo needs some 160 MB while it is turned into a smaller one.
	work chan struct{}
	// orphans removes objects no row names (sweep.go).
	orphans *storage.Orphans
	// heic decodes HEIC photos: in this process unless IsolateHEIC.
	heic func(context.Context, []byte) (image.Image, error)
}

// IsolateHEIC makes the service decode HEIC photos in a child process of
// this executable, killed after timeout (heic_child.go). The program must
// call ServeHEICChild first thing in main (and TestMain).
func (s *Service) IsolateHEIC(timeout time.Duration) { s.heic = isolatedHEIC(timeout) }

// New builds the service; every collaborator is needed. The forum rules
// (PostingForum, PostShown) come with each call: app/forums, which
// decides them, is built after this service, which it uses.
func New(db *database.DB, store storage.Store, now func() time.Time, log *slog.Logger, maxBytes int64) (*Service, error) {
	if db == nil || store == nil || now == nil || log == nil || maxBytes <= 0 {
		return nil, errors.New("images: New needs a database, store, clock, logger and upload limit")
	}
	return &Service{db: db, store: store, now: now, log: log, maxBytes: maxBytes,
		limiter: ratelimit.New(db.Gorm, now), work: make(chan struct{}, 2), orphans: &storage.Orphans{Grace: orphanGrace, Max: 500},
		heic: func(_ context.Context, b []byte) (image.Image, error) { return decodeHEICHere(b) }}, nil
}

// MaxBytes is the upload limit.
func (s *Service) MaxBytes() int64 { return s.maxBytes }

// TooLarge is the refusal of an upload over the limit.
func (s *Service) TooLarge() error { return tooLarge(s.maxBytes) }

// Uploaded is what the composer needs to show a new image.
type Uploaded struct {
	Key      string `json:"key"`
	URL      string `json:"url"`
	Markdown string `json:"markdown"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	// ContentType is what Kindred stored (image/jpeg or image/png).
	ContentType string `json:"content_type"`
}

// UploadForm is an upload's fields besides the file.
type UploadForm struct {
	Forum string // the slug of the forum the post is for
	Alt   string // the description, for the Markdown returned
}

// Upload checks, re-encodes and stores one image for actor's next post
// in form.Forum, which forum (a PostingForum bound to actor) finds. The object is written first and the row after; if the
// row fails the object is deleted again (or by the sweep, should that
// fail too), so no row ever names a missing object.
func (s *Service) Upload(ctx context.Context, actor models.Actor, form UploadForm, forum func(context.Context, string) (int64, error), file io.Reader) (_ *Uploaded, err error) {
	u := actor.User
	if u == nil {
		return nil, models.ErrSignInRequired
	}
	verr := models.NewValidationError()
	form.Alt = strings.TrimSpace(input.NormalizeNewlines(form.Alt))
	switch {
	case input.Check("alt", form.Alt) != "":
		verr.Add("alt", input.Check("alt", form.Alt))
	case strings.ContainsAny(form.Alt, "\n"):
		verr.Add("alt", "Keep the description on one line.")
	case utf8.RuneCountInString(form.Alt) > AltMax:
		verr.Add("alt", fmt.Sprintf("Keep the description under %d characters.", AltMax))
	}
	if strings.TrimSpace(form.Forum) == "" {
		verr.Add("forum", "Say which forum the image is for.")
	}
	if file == nil {
		verr.Add("file", "Choose an image to upload.")
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	forumID, err := forum(ctx, form.Forum)
	if err != nil {
		return nil, err
	}
	if err := s.limiter.Hit(ctx, ratelimit.Key("image-upload", strconv.FormatInt(u.ID, 10)), UploadLimit); err != nil {
		return nil, err
	}
	data, err := readAtMost(file, s.maxBytes)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		verr.Add("file", "Choose an image to upload.")
		return nil, verr
	}
	select {
	case s.work <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p, err := process(ctx, data, s.heic)
	<-s.work
	if err != nil {
		return nil, err
	}
	key, err := storage.NewKey()
	if err != nil {
		return nil, err
	}
	if err := s.store.Put(ctx, key, bytes.NewReader(p.Data), int64(len(p.Data)), p.ContentType); err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, err
		case errors.Is(err, storage.ErrTooLarge):
			verr.Add("file", "This image is too detailed to keep, even made smaller. Save it as a JPEG and retry.")
			return nil, verr
		}
		return nil, &models.UnavailableError{Message: "We could not store your image just now. Please try again in a minute.", RetryAfter: 30 * time.Second, Err: err}
	}
	img := models.Image{Key: key, UploaderID: u.ID, ForumID: forumID, Width: p.Width, Height: p.Height, Bytes: int64(len(p.Data)),
		ContentType: p.ContentType, CreatedAt: s.now().UTC()}
	if err := s.db.Gorm.WithContext(ctx).Omit("ID").Create(&img).Error; err != nil {
		// Even when the member has gone away: the object must not stay.
		if derr := s.store.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.log.ErrorContext(ctx, "images: remove object of failed upload (the sweep will)", "error", derr.Error())
		}
		return nil, fmt.Errorf("images: upload: %w", err)
	}
	url := "/images/" + key
	return &Uploaded{Key: key, URL: url, Markdown: "![" + markdown.EscapeAlt(form.Alt) + "](" + url + ")",
		Width: p.Width, Height: p.Height, ContentType: p.ContentType}, nil
}

// Served is an image opened for a viewer.
type Served struct {
	*storage.Object
	Image models.Image
	// Public is true when the image is shown in a public forum's post:
	// shared caches may keep it.
	Public bool
}

// Open opens the image under key for actor: its uploader always (the
// composer's preview), anyone else only when they may see a post that
// shows it (shown decides). Everyone else, and a missing image, get
// ErrNotFound alike.
func (s *Service) Open(ctx context.Context, actor models.Actor, key string, shown PostShown) (*Served, error) {
	notFound := fmt.Errorf("images: %s: %w", key, models.ErrNotFound)
	if markdown.ImageKey("/images/"+key) == "" {
		return nil, notFound
	}
	var img models.Image
	if err := s.db.Gorm.WithContext(ctx).Where("key = ?", key).Limit(1).Find(&img).Error; err != nil {
		return nil, fmt.Errorf("images: %s: %w", key, err)
	}
	if img.ID == 0 {
		return nil, notFound
	}
	allowed, public := actor.User != nil && actor.User.ID == img.UploaderID, false
	var posts []int64
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT post_id FROM post_images WHERE image_id = ? ORDER BY post_id LIMIT 20`, img.ID).Scan(&posts).Error; err != nil {
		return nil, fmt.Errorf("images: posts of %s: %w", key, err)
	}
	for _, id := range posts {
		pub, err := shown(ctx, actor, id)
		switch {
		case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrForbidden), errors.Is(err, models.ErrSignInRequired):
			continue // not this post: another may show it
		case err != nil:
			// A database that cannot answer is a 503, not a missing image.
			return nil, fmt.Errorf("images: %s: %w", key, err)
		}
		allowed = true
		if pub {
			public = true
			break
		}
	}
	if !allowed {
		return nil, notFound
	}
	obj, err := s.store.Open(ctx, key)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, notFound
	case err != nil && ctx.Err() != nil:
		return nil, err
	case err != nil:
		return nil, &models.UnavailableError{Message: "The image store is not answering just now.", RetryAfter: 30 * time.Second, Err: err}
	}
	return &Served{Object: obj, Image: img, Public: public}, nil
}

// Sizes returns the size of each image refs names, for post postID (0:
// a new one) by authorID in forum forumID. An image that does not exist,
// that someone else uploaded, that was uploaded for another forum or
// that another post shows is a field error on "body"; so is one without
// alt text. forumID 0 is a preview: the
// author's own images of any forum, the rest left out, nothing refused.
func (s *Service) Sizes(ctx context.Context, authorID, forumID, postID int64, refs []markdown.ImageRef) (map[string]markdown.ImageSize, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	preview := forumID == 0
	verr := models.NewValidationError()
	keys := make([]string, 0, len(refs))
	for _, r := range refs {
		if r.Alt == "" && !preview {
			verr.Add("body", "Describe the image for people who can't see it (alt text): write it between the brackets, ![like this](/images/…).")
		}
		keys = append(keys, r.Key)
	}
	if len(keys) > MaxPerPost {
		verr.Add("body", fmt.Sprintf("A post can show at most %d images.", MaxPerPost))
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	var rows []struct {
		models.Image
		InPost int64 // the post that shows it, or 0
	}
	if err := s.db.Gorm.WithContext(ctx).Raw(`SELECT i.*, coalesce((SELECT pi.post_id FROM post_images pi WHERE pi.image_id = i.id), 0) AS in_post
		FROM images i WHERE i.key IN ?`, keys).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("images: sizes: %w", err)
	}
	found := map[string]models.Image{}
	elsewhere, here := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		found[r.Key] = r.Image
		elsewhere[r.Key] = r.InPost != 0 && r.InPost != postID
		here[r.Key] = postID != 0 && r.InPost == postID
	}
	out := map[string]markdown.ImageSize{}
	for _, k := range keys {
		img, ok := found[k]
		switch {
		case preview && (!ok || img.UploaderID != authorID):
			// A preview shows the author's own images and leaves the rest links.
		case !ok || img.UploaderID != authorID:
			verr.Add("body", "One of the images is not one you uploaded (or it was removed). Upload your own copy with \"Add image\".")
		case !preview && img.ForumID != forumID && !here[k]: // a post moved to another forum keeps its images
			verr.Add("body", "One of the images was uploaded for another forum. Upload it again here with \"Add image\".")
		case !preview && elsewhere[k]:
			verr.Add("body", errInAnotherPost)
		default:
			out[k] = markdown.ImageSize{Width: img.Width, Height: img.Height}
		}
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	return out, nil
}

// errInAnotherPost: an image shows in one post only, so that the same
// picture cannot tie an anonymous post to its author's signed ones.
const errInAnotherPost = "One of the images is already in another post. Upload it again with \"Add image\" to show it here too."

// MaxPerPost is how many images one post may show.
const MaxPerPost = 20

// Link records, inside the post's transaction, that post postID now shows
// exactly the images keys names (checked by Sizes before).
func (s *Service) Link(ctx context.Context, tx *database.Tx, postID int64, keys []string) error {
	if err := tx.WithContext(ctx).Exec(`DELETE FROM post_images WHERE post_id = ?`, postID).Error; err != nil {
		return fmt.Errorf("images: unlink post %d: %w", postID, err)
	}
	if len(keys) == 0 {
		return nil
	}
	// Another post that took the image since Sizes looked breaks the
	// unique index: the post's transaction fails and the author is told.
	err := tx.WithContext(ctx).Exec(`INSERT INTO post_images (post_id, image_id) SELECT ?, id FROM images WHERE key IN ?`, postID, keys).Error
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		v := models.NewValidationError()
		v.Add("body", errInAnotherPost)
		return v
	}
	if err != nil {
		return fmt.Errorf("images: link post %d: %w", postID, err)
	}
	return nil
}

// StoredImage is an image row's object, for copying between stores and
// checking backups.
type StoredImage struct {
	Key         string
	ContentType string
}

// StoredImages lists every image the database names, oldest first.
func StoredImages(ctx context.Context, db *database.DB) ([]StoredImage, error) {
	var out []StoredImage
	if err := db.Gorm.WithContext(ctx).Raw(`SELECT key, content_type FROM images ORDER BY id`).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("images: stored images: %w", err)
	}
	return out, nil
}
