package forums

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/kindred-health/kindred/app/input"
	"github.com/kindred-health/kindred/app/markdown"
	"github.com/kindred-health/kindred/models"
)

// Limits on what people write.
const (
	TitleMin       = 5
	TitleMax       = 150
	BodyMax        = 20000
	ForumNameMax   = 80
	ForumDescMax   = 500
	GuidelinesMax  = 10000
	IdempotencyMax = 100
)

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$`)

func checkText(v *models.ValidationError, field, label, s string, min, max int) string {
	// The same rules as at the edge (web.ValidText), for callers that do
	// not come through HTTP (seed data, publishing a question).
	s = input.NormalizeNewlines(s)
	if msg := input.Check(field, s); msg != "" {
		v.Add(field, msg)
		return s
	}
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && min > 0:
		v.Add(field, label+" is required.")
	case n < min:
		v.Add(field, label+" must be at least "+itoa(min)+" characters.")
	case n > max:
		v.Add(field, label+" must be at most "+itoa(max)+" characters.")
	}
	return s
}

// checkMarkdown adds the renderer's refusal (nesting too deep) to v,
// unless the field already has an error.
func checkMarkdown(v *models.ValidationError, field, src string) {
	if v.Fields[field] != "" {
		return
	}
	var merr *models.ValidationError
	if errors.As(markdown.Check(field, src), &merr) {
		v.Add(field, merr.Fields[field])
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{digits[n%10]}, b...)
	}
	return string(b)
}

// ThreadForm starts a thread.
type ThreadForm struct {
	Title     string `json:"title"`
	Body      string `json:"body"`
	Anonymous bool   `json:"anonymous"`
	// Tags are up to MaxTags short words that help others find the thread.
	Tags []string `json:"tags"`
	// ConfirmPersonal sends text that seems to contain personal data anyway.
	ConfirmPersonal bool `json:"confirm_personal_data"`
}

// Validate trims and checks the form.
func (f *ThreadForm) Validate() error {
	v := models.NewValidationError()
	f.Title = checkText(v, "title", "Title", f.Title, TitleMin, TitleMax)
	f.Body = checkText(v, "body", "Your message", f.Body, 1, BodyMax)
	checkMarkdown(v, "body", f.Body)
	f.Tags = checkTags(v, f.Tags)
	return v.OrNil()
}

// Tag limits.
const (
	MaxTags   = 5
	TagMaxLen = 30
)

var tagRe = regexp.MustCompile(`^[\p{Ll}\p{Nd}][\p{Ll}\p{Nd}-]*$`)

// SplitTags reads tags typed into one field, separated by commas.
func SplitTags(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// NormalizeTag lowercases a tag and joins its words with hyphens:
// "Type 1 Diabetes" becomes "type-1-diabetes".
func NormalizeTag(t string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.TrimSpace(t))), "-")
}

// checkTags normalises tags, drops repeats and records what is wrong.
func checkTags(v *models.ValidationError, tags []string) []string {
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	for _, t := range tags {
		t = NormalizeTag(t)
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		switch {
		case utf8.RuneCountInString(t) > TagMaxLen:
			v.Add("tags", fmt.Sprintf("Each tag can be at most %d characters; %q is longer.", TagMaxLen, t))
		case !tagRe.MatchString(t):
			v.Add("tags", fmt.Sprintf("Tags use letters, digits and hyphens only; %q has other characters.", t))
		}
		out = append(out, t)
	}
	if len(out) > MaxTags {
		v.Add("tags", fmt.Sprintf("A thread can have at most %d tags.", MaxTags))
	}
	return out
}

// PostForm is a reply or an edit.
type PostForm struct {
	Body            string `json:"body"`
	Anonymous       bool   `json:"anonymous"`
	ConfirmPersonal bool   `json:"confirm_personal_data"`
}

// Validate trims and checks the body.
func (f *PostForm) Validate() error {
	v := models.NewValidationError()
	f.Body = checkText(v, "body", "Your message", f.Body, 1, BodyMax)
	checkMarkdown(v, "body", f.Body)
	return v.OrNil()
}

// ForumForm creates or edits a forum (admins).
type ForumForm struct {
	Slug          string   `json:"slug"`
	Name          string   `json:"name"`
	Description   string   `json:"description"`
	Guidelines    string   `json:"guidelines"`
	Sensitive     bool     `json:"sensitive"`
	ClinicianOnly bool     `json:"clinician_only"`
	Specialties   []string `json:"specialties"`
	Moderators    []string `json:"moderators"` // handles
	Position      int      `json:"position"`
	// CrisisActions maps "high", "medium" and "low" to what that crisis
	// level leads to in the forum (see safety.CrisisActionNames); levels
	// left out keep their setting.
	CrisisActions map[string][]string `json:"crisis_actions,omitempty"`
}

// Validate trims and checks the form.
func (f *ForumForm) Validate() error {
	v := models.NewValidationError()
	f.Slug = strings.ToLower(strings.TrimSpace(f.Slug))
	if !slugPattern.MatchString(f.Slug) {
		v.Add("slug", "Address name must be 3 to 60 lower-case letters, digits or dashes, such as type-1-diabetes.")
	}
	f.Name = checkText(v, "name", "Name", f.Name, 3, ForumNameMax)
	f.Description = checkText(v, "description", "Description", f.Description, 0, ForumDescMax)
	f.Guidelines = checkText(v, "guidelines", "Guidelines", f.Guidelines, 0, GuidelinesMax)
	checkMarkdown(v, "guidelines", f.Guidelines)
	if f.Sensitive && f.ClinicianOnly {
		v.Add("sensitive", "A forum is either sensitive (for members) or for clinicians, not both.")
	}
	var specs []string
	for _, s := range f.Specialties {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			continue
		}
		if !utf8.ValidString(s) || len(s) > 60 {
			v.Add("specialties", "Each specialty must be a short name such as endocrinology.")
			break
		}
		specs = append(specs, s)
	}
	f.Specialties = specs
	var mods []string
	for _, h := range f.Moderators {
		if h = strings.TrimSpace(h); h != "" {
			mods = append(mods, h)
		}
	}
	f.Moderators = mods
	return v.OrNil()
}

// SplitList splits a comma- or newline-separated form field.
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
}

func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > IdempotencyMax {
		return false
	}
	for _, r := range k {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// fingerprintThread and fingerprintPost are what a request's fingerprint
// covers: what it writes, not the confirmation of a warning (a retry
// that confirms is the same request).
func fingerprintThread(f ThreadForm) ThreadForm {
	f.ConfirmPersonal = false
	return f
}

func fingerprintPost(f PostForm) PostForm {
	f.ConfirmPersonal = false
	return f
}
