package clinicians

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kindred-health/kindred/models"
)

// Limits of an application.
const (
	MaxSpecialties   = 5
	MaxReasonLength  = 2000
	MinReasonLength  = 5
	MaxYearsAhead    = 20
	DefaultMaxOpen   = 5
	MaxOpenQuestions = 50
)

var licencePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ./-]{1,38}[A-Za-z0-9]$`)

// ApplicationForm is what a member submits. It has no status, reviewer or
// date field: nothing a member sends can verify them.
type ApplicationForm struct {
	Profession     string   `json:"profession"`
	Specialties    []string `json:"specialties"`
	LicenceNumber  string   `json:"licence_number"`
	Jurisdiction   string   `json:"jurisdiction"`
	LicenceExpires string   `json:"licence_expires"` // YYYY-MM-DD

	expires time.Time
}

// Vocabulary is the current lists an application is checked against.
type Vocabulary struct {
	Professions   []models.Profession   `json:"professions"`
	Specialties   []models.Specialty    `json:"specialties"`
	Jurisdictions []models.Jurisdiction `json:"jurisdictions"`
}

func (v *Vocabulary) hasProfession(code string) bool {
	for _, p := range v.Professions {
		if p.Code == code {
			return true
		}
	}
	return false
}

func (v *Vocabulary) hasSpecialty(code string) bool {
	for _, s := range v.Specialties {
		if s.Code == code {
			return true
		}
	}
	return false
}

func (v *Vocabulary) jurisdiction(code string) *models.Jurisdiction {
	for i := range v.Jurisdictions {
		if v.Jurisdictions[i].Code == code {
			return &v.Jurisdictions[i]
		}
	}
	return nil
}

// Validate trims the form and checks it against the lists; today is the
// applicant's current date (UTC).
func (f *ApplicationForm) Validate(voc *Vocabulary, now time.Time) error {
	v := models.NewValidationError()
	f.Profession = strings.TrimSpace(f.Profession)
	if !voc.hasProfession(f.Profession) {
		v.Add("profession", "Choose your profession from the list.")
	}
	seen := map[string]bool{}
	var specs []string
	for _, s := range f.Specialties {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		if !voc.hasSpecialty(s) {
			v.Add("specialties", "Choose specialties from the list.")
			continue
		}
		specs = append(specs, s)
	}
	switch {
	case len(specs) == 0:
		v.Add("specialties", "Choose at least one specialty.")
	case len(specs) > MaxSpecialties:
		v.Add("specialties", "Choose at most five specialties.")
	}
	f.Specialties = specs
	f.LicenceNumber = strings.Join(strings.Fields(f.LicenceNumber), " ")
	if !utf8.ValidString(f.LicenceNumber) || !licencePattern.MatchString(f.LicenceNumber) {
		v.Add("licence_number", "Enter the licence or registration number as printed: 3 to 40 letters, digits, spaces, dots, dashes or slashes.")
	}
	f.Jurisdiction = strings.TrimSpace(f.Jurisdiction)
	if voc.jurisdiction(f.Jurisdiction) == nil {
		v.Add("jurisdiction", "Choose the authority that issued your licence.")
	}
	exp, err := time.Parse("2006-01-02", strings.TrimSpace(f.LicenceExpires))
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case err != nil:
		v.Add("licence_expires", "Enter the expiry date as YYYY-MM-DD, for example 2027-03-31.")
	case !LicenceEnds(exp).After(now):
		// A licence is valid through its expiry day.
		v.Add("licence_expires", "This licence has expired. Apply once it is renewed.")
	case exp.After(today.AddDate(MaxYearsAhead, 0, 0)):
		v.Add("licence_expires", "That expiry date is too far ahead. Check the year.")
	}
	f.expires = exp
	return v.OrNil()
}

// checkReason trims a decision reason and checks its length.
func checkReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	n := utf8.RuneCountInString(reason)
	v := models.NewValidationError()
	switch {
	case !utf8.ValidString(reason):
		v.Add("reason", "The reason contains invalid characters.")
	case required && n < MinReasonLength:
		v.Add("reason", "Give a reason of at least five characters: the applicant reads it.")
	case n > MaxReasonLength:
		v.Add("reason", "Keep the reason under 2,000 characters.")
	}
	return reason, v.OrNil()
}

// SettingsForm is a clinician's private-question preferences.
type SettingsForm struct {
	AcceptingQuestions bool `json:"accepting_questions"`
	MaxOpenQuestions   int  `json:"max_open_questions"`
	Generalist         bool `json:"generalist"` // also take general questions no specialist could
}

// Validate checks the cap.
func (f *SettingsForm) Validate() error {
	if f.MaxOpenQuestions < 1 || f.MaxOpenQuestions > MaxOpenQuestions {
		v := models.NewValidationError()
		v.Add("max_open_questions", "Choose a number from 1 to 50.")
		return v
	}
	return nil
}

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// CodeFor turns a label into a list code: "Sexual health" → "sexual-health".
func CodeFor(label string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(strings.TrimSpace(label)) {
		switch {
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 40 {
		s = strings.TrimSuffix(s[:40], "-")
	}
	return s
}
