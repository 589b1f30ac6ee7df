package questions

import (
	"context"
	"fmt"
	"html/template"
)

// Guidance gives the admin-written emergency guidance (app/moderation
// implements it).
type Guidance interface {
	UrgentGuidance(ctx context.Context) (string, error)
}

// urgentGuidance is that guidance as Markdown and sanitised HTML ("" when
// none is set).
func (s *Service) urgentGuidance(ctx context.Context) (string, template.HTML, error) {
	if s.guidance == nil {
		return "", "", nil
	}
	text, err := s.guidance.UrgentGuidance(ctx)
	if err != nil {
		return "", "", fmt.Errorf("questions: urgent guidance: %w", err)
	}
	if text == "" {
		return "", "", nil
	}
	html, err := s.md.Render(text)
	if err != nil {
		return "", "", err
	}
	return text, template.HTML(html), nil // sanitised by app/markdown
}
