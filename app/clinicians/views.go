package clinicians

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// PublicProfile is what anyone may know about a verified clinician. It has
// no licence number: that stays between the applicant and the reviewers.
type PublicProfile struct {
	Handle        string    `json:"handle"`
	Profession    string    `json:"profession"`
	Specialties   []string  `json:"specialties"`
	Jurisdiction  string    `json:"jurisdiction"`
	VerifiedAt    time.Time `json:"verified_at"`
	VerifiedUntil time.Time `json:"verified_until"`
}

// BadgeText is the line shown on posts: "Verified · Registered nurse · Cardiology".
func (p *PublicProfile) BadgeText() string {
	s := "Verified · " + p.Profession
	if len(p.Specialties) > 0 {
		s += " · " + strings.Join(p.Specialties, ", ")
	}
	return s
}

// Public returns the verification of the member with handle, or
// ErrNotFound when they hold none now.
func (s *Service) Public(ctx context.Context, handle string) (*PublicProfile, error) {
	p := &PublicProfile{}
	err := s.db.Pool.QueryRow(ctx, `SELECT u.handle, pr.label,
		ARRAY(SELECT sp.label FROM specialties sp WHERE sp.code = ANY(c.specialties) ORDER BY array_position(c.specialties, sp.code)),
		j.name, c.reviewed_at, c.verified_until
		FROM users u JOIN credentials c ON c.user_id = u.id AND clinician_verified(c.status, c.verified_until, $2)
		JOIN professions pr ON pr.code = c.profession JOIN jurisdictions j ON j.code = c.jurisdiction
		WHERE lower(u.handle) = lower($1) AND u.status <> 'banned'`, handle, s.now().UTC()).
		Scan(&p.Handle, &p.Profession, &p.Specialties, &p.Jurisdiction, &p.VerifiedAt, &p.VerifiedUntil)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("clinicians: %q is not verified: %w", handle, models.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("clinicians: public profile: %w", err)
	}
	return p, nil
}

// Application is a credential with the names a page shows. The licence
// number is in it: only the applicant and reviewers ever get one.
type Application struct {
	models.Credential
	Handle            string
	ProfessionLabel   string
	SpecialtyLabels   []string
	JurisdictionName  string
	RegisterURL       string // the public register entry, "" when not configured
	ReviewerHandle    string
	Own               bool // the viewing reviewer applied themselves
	LicenceExpiryDate string
}

const applicationSQL = `SELECT c.id, c.user_id, c.profession, c.specialties, c.licence_number, c.jurisdiction, c.licence_expires, c.status, c.reason,
	c.submitted_at, c.reviewer_id, c.reviewed_at, c.verified_until, c.ended_at, c.reminder_sent_at,
	c.document_file, c.document_type, c.document_size, c.document_deleted_at,
	u.handle, pr.label,
	ARRAY(SELECT sp.label FROM specialties sp WHERE sp.code = ANY(c.specialties) ORDER BY array_position(c.specialties, sp.code)),
	j.name, j.register_url, coalesce(r.handle, '')
	FROM credentials c JOIN users u ON u.id = c.user_id
	JOIN professions pr ON pr.code = c.profession JOIN jurisdictions j ON j.code = c.jurisdiction
	LEFT JOIN users r ON r.id = c.reviewer_id`

func scanApplication(row pgx.Row, viewerID int64) (*Application, error) {
	a := &Application{}
	c := &a.Credential
	var specs []string
	var status, tmpl string
	err := row.Scan(&c.ID, &c.UserID, &c.Profession, &specs, &c.LicenceNumber, &c.Jurisdiction, &c.LicenceExpires, &status, &c.Reason,
		&c.SubmittedAt, &c.ReviewerID, &c.ReviewedAt, &c.VerifiedUntil, &c.EndedAt, &c.ReminderSentAt,
		&c.DocumentFile, &c.DocumentType, &c.DocumentSize, &c.DocumentDeletedAt,
		&a.Handle, &a.ProfessionLabel, &a.SpecialtyLabels, &a.JurisdictionName, &tmpl, &a.ReviewerHandle)
	if err != nil {
		return nil, err
	}
	c.Specialties, c.Status = specs, models.CredentialStatus(status)
	a.RegisterURL = RegisterLink(tmpl, c.LicenceNumber)
	a.Own = c.UserID == viewerID
	a.LicenceExpiryDate = c.LicenceExpires.Format("2006-01-02")
	return a, nil
}

// RegisterLink fills a register URL template with a licence number.
func RegisterLink(tmpl, licence string) string {
	if tmpl == "" {
		return ""
	}
	return strings.ReplaceAll(tmpl, "{licence}", url.QueryEscape(licence))
}

// Application loads one application for the applicant or a reviewer.
func (s *Service) Application(ctx context.Context, actor models.Actor, id int64) (*Application, error) {
	u := actor.User
	a, err := scanApplication(s.db.Pool.QueryRow(ctx, applicationSQL+` WHERE c.id = $1`, id), u.ID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && a.UserID != u.ID && !u.CanReviewCredentials()) {
		return nil, fmt.Errorf("clinicians: application %d: %w", id, models.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("clinicians: application %d: %w", id, err)
	}
	return a, nil
}

// MyApplications lists the member's applications with their labels.
func (s *Service) MyApplications(ctx context.Context, actor models.Actor) ([]Application, error) {
	u := actor.User
	rows, err := s.db.Pool.Query(ctx, applicationSQL+` WHERE c.user_id = $1 ORDER BY c.id DESC LIMIT 50`, u.ID)
	if err != nil {
		return nil, fmt.Errorf("clinicians: my applications: %w", err)
	}
	defer rows.Close()
	var out []Application
	for rows.Next() {
		a, err := scanApplication(rows, u.ID)
		if err != nil {
			return nil, fmt.Errorf("clinicians: my applications: %w", err)
		}
		out = append(out, *a)
	}
	return out, rows.Err()
}

// QueuePerPage is how many applications a review page lists.
const QueuePerPage = 25

// Queue lists applications in one status for reviewers: pending ones
// oldest first (fair order), the others newest first. after is the last id
// of the previous page.
func (s *Service) Queue(ctx context.Context, actor models.Actor, status models.CredentialStatus, after int64) ([]Application, int64, error) {
	reviewer := actor.User
	if !reviewer.CanReviewCredentials() {
		return nil, 0, models.ErrForbidden
	}
	if _, ok := models.CredentialStatusLabels[status]; !ok {
		return nil, 0, fmt.Errorf("clinicians: status %q: %w", status, models.ErrNotFound)
	}
	q := applicationSQL + ` WHERE c.status = $1`
	args := []any{string(status)}
	if status == models.CredentialPending {
		if after > 0 {
			q += ` AND (c.submitted_at, c.id) > ((SELECT submitted_at FROM credentials WHERE id = $2), $2)`
			args = append(args, after)
		}
		q += ` ORDER BY c.submitted_at, c.id`
	} else {
		if after > 0 {
			q += ` AND c.id < $2`
			args = append(args, after)
		}
		q += ` ORDER BY c.id DESC`
	}
	q += fmt.Sprintf(` LIMIT %d`, QueuePerPage+1)
	rows, err := s.db.Pool.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("clinicians: queue: %w", err)
	}
	defer rows.Close()
	var out []Application
	for rows.Next() {
		a, err := scanApplication(rows, reviewer.ID)
		if err != nil {
			return nil, 0, fmt.Errorf("clinicians: queue: %w", err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var next int64
	if len(out) > QueuePerPage {
		out = out[:QueuePerPage]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// History lists the audit events of one credential, oldest first.
type HistoryItem struct {
	Action      string    `json:"action"`
	ActorHandle string    `json:"actor_handle"` // "" for the system
	FromState   string    `json:"from"`
	ToState     string    `json:"to"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
}

// History returns the credential's transitions and document views (reviewers).
func (s *Service) History(ctx context.Context, actor models.Actor, id int64) ([]HistoryItem, error) {
	reviewer := actor.User
	if !reviewer.CanReviewCredentials() {
		return nil, models.ErrForbidden
	}
	var out []HistoryItem
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT e.action, coalesce(u.handle, '') AS actor_handle, e.from_state, e.to_state, e.reason, e.created_at AS at
		FROM audit_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.target_kind = 'credential' AND e.target_id = ? ORDER BY e.id LIMIT 200`, id).Scan(&out).Error
	return out, err
}

// VocabularyForm adds or renames an entry of one of the lists.
type VocabularyForm struct {
	Code        string `json:"code"`
	Label       string `json:"label"`
	RegisterURL string `json:"register_url"` // jurisdictions only
}

// Lists an admin manages.
const (
	ListProfessions   = "professions"
	ListSpecialties   = "specialties"
	ListJurisdictions = "jurisdictions"
)

// SaveVocabulary adds an entry (code "" or new) or renames an existing one.
// Codes never change once made: credentials and forums refer to them.
func (s *Service) SaveVocabulary(ctx context.Context, actor models.Actor, list string, form VocabularyForm) (string, error) {
	admin := actor.User
	if admin == nil || admin.Role != models.RoleAdmin {
		return "", models.ErrForbidden
	}
	v := models.NewValidationError()
	form.Label = strings.Join(strings.Fields(form.Label), " ")
	if n := len([]rune(form.Label)); n < 2 || n > 80 {
		v.Add("label", "Enter a name of 2 to 80 characters.")
	}
	form.Code = strings.TrimSpace(form.Code)
	if form.Code == "" {
		form.Code = CodeFor(form.Label)
	}
	if !codePattern.MatchString(form.Code) {
		v.Add("code", "The code is 2 to 40 lower-case letters, digits or dashes, starting with a letter.")
	}
	form.RegisterURL = strings.TrimSpace(form.RegisterURL)
	if list == ListJurisdictions && form.RegisterURL != "" {
		u, err := url.Parse(RegisterLink(form.RegisterURL, "TEST123"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.Contains(form.RegisterURL, "{licence}") {
			v.Add("register_url", "Enter an http(s) address with {licence} where the licence number goes, such as https://register.example.org/search?number={licence}.")
		}
	}
	var table, labelCol string
	switch list {
	case ListProfessions:
		table, labelCol = "professions", "label"
	case ListSpecialties:
		table, labelCol = "specialties", "label"
	case ListJurisdictions:
		table, labelCol = "jurisdictions", "name"
	default:
		return "", models.ErrNotFound
	}
	if err := v.OrNil(); err != nil {
		return "", err
	}
	err := s.db.InTx(ctx, func(tx *database.Tx) error {
		var clash int64
		if err := tx.Raw(`SELECT count(*) FROM `+table+` WHERE lower(`+labelCol+`) = lower(?) AND code <> ?`, form.Label, form.Code).Scan(&clash).Error; err != nil {
			return err
		}
		if clash > 0 {
			v.Add("label", "That name is already in the list.")
			return v
		}
		// Each table's write is spelled out, so a reader (and the
		// ownership test) sees which table it changes.
		var q string
		args := []any{form.Code, form.Label}
		switch list {
		case ListProfessions:
			q = `INSERT INTO professions (code, label) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET label = excluded.label`
		case ListSpecialties:
			q = `INSERT INTO specialties (code, label) VALUES (?, ?) ON CONFLICT (code) DO UPDATE SET label = excluded.label`
		case ListJurisdictions:
			q = `INSERT INTO jurisdictions (code, name, register_url) VALUES (?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, register_url = excluded.register_url`
			args = append(args, form.RegisterURL)
		}
		if err := tx.Exec(q, args...).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &admin.ID, Action: list + ".save", TargetKind: list, Reason: form.Code + ": " + form.Label})
	})
	if err != nil {
		return "", err
	}
	return form.Code, nil
}
