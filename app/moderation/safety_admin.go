package moderation

import (
	"context"
	"html"
	"html/template"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/safety"
	"github.com/kindred-health/kindred/models"
)

// TryTextMax is the longest text the "try a text" box takes.
const TryTextMax = 20000

// Tried is what the safety engine found in a text an admin tried: the
// engine's report and the text with the evidence marked.
type Tried struct {
	Report safety.Report
	// HTML is the text, escaped, with <mark> around every finding's spans.
	HTML template.HTML
	// Detectors lists crisis, urgent and personal data, each with its
	// findings (none when it did not fire).
	Detectors []TriedDetector
}

// TriedDetector is one detector's part of a tried text.
type TriedDetector struct {
	Name     string
	Label    string
	Max      safety.Level
	Findings []TriedFinding
}

// TriedFinding is a finding with its evidence, the words it rests on.
type TriedFinding struct {
	safety.Finding
	Evidence []string
}

var detectorLabels = []struct{ name, label string }{
	{safety.DetectorCrisis, "Crisis"},
	{safety.DetectorUrgent, "Urgent symptoms"},
	{safety.DetectorPersonal, "Personal data"},
}

// Fired reports whether any finding came out.
func (t *Tried) Fired() bool { return t != nil && len(t.Report.Findings) > 0 }

// TryText runs the safety engine over text for an admin, to see what fires
// and why. Nothing is stored or logged.
func (s *Service) TryText(ctx context.Context, actor models.Actor, text string) (*Tried, error) {
	if err := adminOnly(actor); err != nil {
		return nil, err
	}
	v := models.NewValidationError()
	switch n := utf8.RuneCountInString(text); {
	case !utf8.ValidString(text):
		v.Add("text", "The text contains characters we cannot read.")
	case strings.TrimSpace(text) == "":
		v.Add("text", "Paste or type a text to try.")
	case n > TryTextMax:
		v.Add("text", "Try at most 20,000 characters at a time (this text has "+commaInt(n)+").")
	}
	if err := v.OrNil(); err != nil {
		return nil, err
	}
	rep := safety.Analyze(text)
	t := &Tried{Report: rep, HTML: HighlightFindings(text, rep.Findings)}
	for _, d := range detectorLabels {
		td := TriedDetector{Name: d.name, Label: d.label, Max: rep.Max(d.name)}
		for _, f := range rep.Of(d.name) {
			tf := TriedFinding{Finding: f}
			for _, sp := range f.Spans {
				if validSpan(text, sp) {
					tf.Evidence = append(tf.Evidence, text[sp.Start:sp.End])
				}
			}
			td.Findings = append(td.Findings, tf)
		}
		t.Detectors = append(t.Detectors, td)
	}
	return t, nil
}

func validSpan(text string, sp safety.Span) bool {
	return sp.Start >= 0 && sp.Start < sp.End && sp.End <= len(text) && utf8.ValidString(text[sp.Start:sp.End])
}

// HighlightFindings is the whole text, escaped, with <mark> around the
// findings' spans (Highlight with the whole text as context).
func HighlightFindings(text string, findings []safety.Finding) template.HTML {
	var spans []safety.Span
	for _, f := range findings {
		spans = append(spans, f.Spans...)
	}
	if h := Highlight(text, spans, len(text)); h != "" {
		return h
	}
	return template.HTML(html.EscapeString(text)) // escaped
}

func commaInt(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// UrgentGuidance is the admin-written emergency guidance (Markdown) shown
// before a private question with urgent symptoms is sent and at once after
// a post with them.
func (s *Safety) UrgentGuidance(ctx context.Context) (string, error) {
	var v string
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT value FROM site_settings WHERE key = 'urgent_guidance'`).Scan(&v).Error
	return v, err
}

// SaveUrgentGuidance replaces that text (admins).
func (s *Service) SaveUrgentGuidance(ctx context.Context, actor models.Actor, text string) error {
	admin := actor.User
	if err := adminOnly(actor); err != nil {
		return err
	}
	text = strings.TrimSpace(text)
	if n := utf8.RuneCountInString(text); !utf8.ValidString(text) || n < 20 || n > 5000 {
		v := models.NewValidationError()
		v.Add("urgent_guidance", "Write 20 to 5,000 characters: at least what to do and the number to call.")
		return v
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := tx.Exec(`INSERT INTO site_settings (key, value, updated_at) VALUES ('urgent_guidance', ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, text, s.now().UTC()).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: "settings.urgent_guidance", TargetKind: "settings"})
	})
}
