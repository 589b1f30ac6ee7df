package forums

import (
	"context"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kindred-health/kindred/app/safety"
)

// Guidance gives the admin-written emergency guidance (app/moderation
// implements it).
type Guidance interface {
	UrgentGuidance(ctx context.Context) (string, error)
}

// UrgentNotice is the emergency guidance for the author of a post that
// describes urgent symptoms happening now, with the words that led to it.
// The post is published as usual.
type UrgentNotice struct {
	Guidance     string        `json:"guidance"`      // Markdown
	GuidanceHTML template.HTML `json:"guidance_html"` // sanitised by app/markdown
	Evidence     []string      `json:"evidence"`
}

// urgentText is the text of a post as the urgent check reads it: a
// thread's first post with its title.
func urgentText(title, body string) string {
	if title == "" {
		return body
	}
	return title + "\n" + body
}

// Urgent returns the emergency guidance a text calls for, or nil: the
// same rule as for private questions (safety.EmergencyEvidence).
func (s *Service) Urgent(ctx context.Context, text string) (*UrgentNotice, error) {
	return s.UrgentFor(ctx, s.urgentEvidence(text))
}

// UrgentFor returns the emergency guidance for evidence already found
// (models.Post.UrgentEvidence), or nil without any.
func (s *Service) UrgentFor(ctx context.Context, ev []string) (*UrgentNotice, error) {
	if len(ev) == 0 {
		return nil, nil
	}
	g, err := s.guidance.UrgentGuidance(ctx)
	if err != nil {
		return nil, fmt.Errorf("forums: urgent guidance: %w", err)
	}
	html, err := s.md.Render(g)
	if err != nil {
		return nil, err
	}
	return &UrgentNotice{Guidance: g, GuidanceHTML: template.HTML(html), Evidence: ev}, nil // sanitised by app/markdown
}

// urgentEvidence is what in text calls for the guidance (nil when the
// guidance is off).
func (s *Service) urgentEvidence(text string) []string {
	if s.guidance == nil {
		return nil
	}
	return s.urgentEvidenceFrom(text, safety.Analyze(text).Findings)
}

// urgentEvidenceFrom is urgentEvidence with the text's findings already
// made (safety.Analyze, as the write's checks ran it).
func (s *Service) urgentEvidenceFrom(text string, findings []safety.Finding) []string {
	if s.guidance == nil {
		return nil
	}
	return safety.EmergencyEvidence(text, findings, s.urgentTerms)
}

// UrgentForPost is the guidance for the viewer's own post (a thread's
// first post when postID is 0), read again from the database, or nil.
func (s *Service) UrgentForPost(ctx context.Context, v Viewer, threadID, postID int64) (*UrgentNotice, error) {
	if s.guidance == nil || v.User == nil {
		return nil, nil
	}
	var row struct {
		Title string
		Body  string
		First bool
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT t.title, p.body, p.id = (SELECT min(id) FROM posts WHERE thread_id = t.id) AS first
		FROM posts p JOIN threads t ON t.id = p.thread_id
		WHERE t.id = ? AND p.author_id = ? AND p.deleted_at IS NULL AND (p.id = ? OR (? = 0 AND p.id = (SELECT min(id) FROM posts WHERE thread_id = t.id)))`,
		threadID, v.User.ID, postID, postID).Scan(&row).Error
	if err != nil || row.Body == "" {
		return nil, err
	}
	if !row.First {
		row.Title = ""
	}
	return s.Urgent(ctx, urgentText(row.Title, row.Body))
}

// The one-time marker that the author's next thread page shows the
// emergency guidance for their post: "thread:post" ids, never any text.
const urgentCookie = "kindred_urgent"

func (h *Handlers) markUrgent(c echo.Context, text string, threadID, postID int64) {
	if len(h.svc.urgentEvidence(text)) == 0 {
		return
	}
	h.cookies.Set(c, urgentCookie, strconv.FormatInt(threadID, 10)+":"+strconv.FormatInt(postID, 10), 10*time.Minute)
}

// takeUrgent reads the marker for this thread, clears it, and loads the
// guidance for the viewer's post it names.
func (h *Handlers) takeUrgent(c echo.Context, v Viewer, threadID int64) (*UrgentNotice, error) {
	raw := h.cookies.Get(c, urgentCookie)
	t, p, ok := strings.Cut(raw, ":")
	if !ok || t != strconv.FormatInt(threadID, 10) {
		return nil, nil
	}
	h.cookies.Clear(c, urgentCookie)
	postID, err := strconv.ParseInt(p, 10, 64)
	if err != nil || postID < 0 {
		return nil, nil
	}
	return h.svc.UrgentForPost(c.Request().Context(), v, threadID, postID)
}
