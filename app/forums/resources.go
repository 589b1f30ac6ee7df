package forums

// Forum resources: a short list of links per forum, proposed and edited by
// its moderators (and staff), reviewed by a verified clinician who did not
// propose the version under review. A resource shows on the forum page
// only while a clinician's approval holds:
//
//   - the approved version (shown_*) stays on the page while an edit waits
//     for review; the edit replaces it once approved;
//   - an approval holds while its reviewer is verified now (the one SQL
//     rule, clinician_verified, read with the list like the post badge):
//     a reviewer who loses verification, or whose account is erased,
//     leaves the resource needing review and off the page;
//   - twelve months after the review it is due again: still shown, marked
//     "review due" for staff and back in the clinicians' queue.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/net/idna"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/models"
)

// Resource limits.
const (
	MaxResources         = 10
	ResourceTitleMax     = 120
	ResourceNoteMax      = 300
	ResourceURLMax       = 2000
	ResourceReasonMax    = 500
	ResourceReviewPeriod = 365 * 24 * time.Hour
)

// Resource statuses: the latest proposal waits for review, was approved,
// or was sent back with a reason.
const (
	ResourcePending  = "pending"
	ResourceApproved = "approved"
	ResourceReturned = "returned"
)

// TargetResource names resources in the audit log.
const TargetResource = "forum_resource"

// CanManageResources is who proposes, edits and removes a forum's
// resources: its moderators and staff, while their account may act.
func CanManageResources(v Viewer, f *models.Forum) bool { return v.Active() && v.ModeratesForum(f) }

// CanReviewResource is who may approve or send back a resource: a
// clinician verified now (Actor.Clinician, loaded with clinician_verified),
// who may read its forum and did not propose the version under review.
func CanReviewResource(v Viewer, f *models.Forum, proposedBy *int64) bool {
	return v.Active() && v.Clinician && v.MayReadForum(f) && (proposedBy == nil || *proposedBy != v.ID())
}

// ResourceVersion is an approved version, as shown on the forum page.
type ResourceVersion struct {
	Title, URL, Note string
	// Domain is the host the link leads to, shown beside it.
	Domain string
	// Reviewer and Profession name the clinician who approved it.
	Reviewer   string
	Profession string
	ReviewedAt time.Time
}

// Resource is one entry of a forum's list with its review state.
type Resource struct {
	ID        int64
	ForumID   int64
	ForumSlug string
	ForumName string
	// Title, URL and Note are the latest proposal; Domain is URL's host.
	Title, URL, Note string
	Domain           string
	Status           string
	ProposedBy       string // handle; "" when the account is gone
	proposedByID     *int64
	ProposedAt       time.Time
	ReturnReason     string
	// Shown is the version on the forum page, nil when none holds.
	Shown *ResourceVersion
	// ReviewDue: the shown version was reviewed over a year ago.
	ReviewDue bool
	// NeedsReview: in the clinicians' queue (a proposal waiting, an
	// approval that no longer holds, or a review due).
	NeedsReview bool
	// Lapsed: approved, but the approving clinician is no longer verified.
	Lapsed bool
	forum  models.Forum
}

// urlDomain is the host a link leads to, in its ASCII form: a name
// written with lookalike letters ("pаypal.com" with a Cyrillic а) shows
// as the xn-- name it really is.
func urlDomain(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if ascii, err := idna.ToASCII(host); err == nil {
		return ascii
	}
	return host
}

// ResourceForm proposes or edits a resource.
type ResourceForm struct {
	Title string `json:"title" form:"title"`
	URL   string `json:"url" form:"url"`
	Note  string `json:"note" form:"note"`
}

// Values is the form as typed, to show it again.
func (f ResourceForm) Values() map[string]string {
	return map[string]string{"title": f.Title, "url": f.URL, "note": f.Note}
}

// Validate checks and tidies the form.
func (f *ResourceForm) Validate() error {
	v := models.NewValidationError()
	f.Title = checkText(v, "title", "The title", f.Title, 3, ResourceTitleMax)
	f.Note = checkText(v, "note", "The note", f.Note, 0, ResourceNoteMax)
	f.URL = strings.TrimSpace(f.URL)
	if msg := CheckResourceURL(f.URL); msg != "" {
		v.Add("url", msg)
	}
	return v.OrNil()
}

// CheckResourceURL says what is wrong with a resource's link, or "": an
// absolute http or https address with a host, no user name or password,
// no spaces, control characters or backslashes, at most ResourceURLMax.
func CheckResourceURL(raw string) string {
	switch {
	case raw == "":
		return "Give the address of the resource, starting with https://."
	case len(raw) > ResourceURLMax:
		return fmt.Sprintf("The address must be at most %d characters.", ResourceURLMax)
	case !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\\' }):
		return "The address may not hold spaces, control characters or backslashes."
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "That is not a web address."
	}
	if s := strings.ToLower(u.Scheme); s != "https" && s != "http" {
		return "Only web addresses (https:// or http://) can be resources."
	}
	if u.User != nil {
		return "The address may not hold a user name or password."
	}
	if u.Hostname() == "" || u.Opaque != "" {
		return "The address needs a site name, such as https://www.example.org/page."
	}
	return ""
}

// resourceSQL reads resources with their proposer, reviewer and whether
// the reviewer is verified now ($1 the clock; one verified credential per
// member at most, by a unique index); %s is the condition, whose
// parameters start at $2.
const resourceSQL = `SELECT r.id, r.forum_id, f.slug, f.name, f.sensitive, f.clinician_only, f.archived_at, f.specialties,
	r.title, r.url, r.note, r.status, coalesce(pu.handle, ''), r.proposed_by, r.proposed_at, r.return_reason,
	r.shown_title, r.shown_url, r.shown_note, r.reviewed_at, coalesce(ru.handle, ''), coalesce(pr.label, ''), rc.id IS NOT NULL
	FROM forum_resources r JOIN forums f ON f.id = r.forum_id
	LEFT JOIN users pu ON pu.id = r.proposed_by
	LEFT JOIN users ru ON ru.id = r.reviewed_by
	LEFT JOIN credentials rc ON rc.user_id = r.reviewed_by AND clinician_verified(rc.status, rc.verified_until, $1)
	LEFT JOIN professions pr ON pr.code = rc.profession
	WHERE %s`

func (s *Service) queryResources(ctx context.Context, v Viewer, cond string, args ...any) ([]Resource, error) {
	now := s.now().UTC()
	var out []Resource
	err := s.read(ctx, v, func(pool *pgxpool.Pool) error {
		rows, err := pool.Query(ctx, fmt.Sprintf(resourceSQL, cond), append([]any{now}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Resource
			var sTitle, sURL, sNote *string
			var reviewedAt *time.Time
			var reviewer, profession string
			var verified bool
			var specialties []string
			if err := rows.Scan(&r.ID, &r.ForumID, &r.ForumSlug, &r.ForumName, &r.forum.Sensitive, &r.forum.ClinicianOnly, &r.forum.ArchivedAt, &specialties,
				&r.Title, &r.URL, &r.Note, &r.Status, &r.ProposedBy, &r.proposedByID, &r.ProposedAt, &r.ReturnReason,
				&sTitle, &sURL, &sNote, &reviewedAt, &reviewer, &profession, &verified); err != nil {
				return err
			}
			r.forum.Specialties = specialties
			r.forum.ID, r.forum.Slug, r.forum.Name = r.ForumID, r.ForumSlug, r.ForumName
			r.Domain = urlDomain(r.URL)
			if sTitle != nil && reviewedAt != nil && verified {
				r.Shown = &ResourceVersion{Title: *sTitle, URL: *sURL, Note: *sNote, Domain: urlDomain(*sURL), Reviewer: reviewer, Profession: profession, ReviewedAt: *reviewedAt}
				r.ReviewDue = now.Sub(*reviewedAt) >= ResourceReviewPeriod
			}
			r.Lapsed = r.Status == ResourceApproved && r.Shown == nil
			r.NeedsReview = r.Status == ResourcePending || r.Lapsed || (r.Status == ResourceApproved && r.ReviewDue)
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("forums: resources: %w", err)
	}
	return out, nil
}

// Resources lists a forum's resources: what its page shows (approved by
// a clinician verified now) and, for those who manage them, every entry.
func (s *Service) Resources(ctx context.Context, v Viewer, f *models.Forum) (shown []ResourceVersionOf, all []Resource, err error) {
	if !CanReadForum(v, f) {
		return nil, nil, readError(v)
	}
	rows, err := s.queryResources(ctx, v, `r.forum_id = $2 ORDER BY r.position, r.id`, f.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		if r.Shown != nil {
			shown = append(shown, ResourceVersionOf{ID: r.ID, ResourceVersion: *r.Shown, ReviewDue: r.ReviewDue})
		}
	}
	if CanManageResources(v, f) {
		all = rows
	}
	return shown, all, nil
}

// ResourceVersionOf is a shown version with its resource's id.
type ResourceVersionOf struct {
	ID int64
	ResourceVersion
	ReviewDue bool
}

// Resource loads one resource of forum f for those who manage it.
func (s *Service) Resource(ctx context.Context, v Viewer, f *models.Forum, id int64) (*Resource, error) {
	if !CanReadForum(v, f) {
		return nil, readError(v)
	}
	if !CanManageResources(v, f) {
		return nil, models.ErrForbidden
	}
	rows, err := s.queryResources(ctx, v, `r.forum_id = $2 AND r.id = $3`, f.ID, id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("forums: resource %d: %w", id, models.ErrNotFound)
	}
	return &rows[0], nil
}

// ResourceQueue lists the resources v may review now: proposals waiting,
// approvals that no longer hold and reviews due, in forums v may read,
// not proposed by v; forums of v's specialties first, then oldest first.
func (s *Service) ResourceQueue(ctx context.Context, v Viewer) ([]Resource, error) {
	if !v.Active() || !v.Clinician {
		return nil, models.ErrForbidden
	}
	rows, err := s.queryResources(ctx, v, `r.proposed_by IS DISTINCT FROM $2 AND r.status <> 'returned'
		AND (`+models.ForumAudienceSQL("f")+` = ANY($3) OR f.id = ANY($4))
		ORDER BY r.proposed_at, r.id`, v.ID(), v.Audiences(), moderatedIDs(v))
	if err != nil {
		return nil, err
	}
	var mine []string
	if err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT sp), '{}') FROM credentials c, unnest(c.specialties) sp
		WHERE c.user_id = $1 AND clinician_verified(c.status, c.verified_until, $2)`, v.ID(), s.now().UTC()).Scan(&mine); err != nil {
		return nil, fmt.Errorf("forums: resource queue: %w", err)
	}
	var matched, rest []Resource
	for _, r := range rows {
		if !r.NeedsReview || !CanReviewResource(v, &r.forum, r.proposedByID) {
			continue
		}
		if slices.ContainsFunc(r.forum.Specialties, func(sp string) bool { return slices.Contains(mine, sp) }) {
			matched = append(matched, r)
		} else {
			rest = append(rest, r)
		}
	}
	return append(matched, rest...), nil
}

func moderatedIDs(v Viewer) []int64 {
	out := make([]int64, 0, len(v.ModeratedForums))
	for id := range v.ModeratedForums {
		out = append(out, id)
	}
	return out
}

// lockForumForResources checks v may manage f's resources and locks the
// forum row, so counts and positions stay true under concurrent changes.
func lockForumForResources(tx *database.Tx, f *models.Forum) error {
	return tx.Exec(`SELECT id FROM forums WHERE id = ? FOR UPDATE`, f.ID).Error
}

func (s *Service) manageCheck(v Viewer, f *models.Forum) error {
	if !CanReadForum(v, f) {
		return readError(v)
	}
	if !CanManageResources(v, f) {
		return models.ErrForbidden
	}
	if f.Archived() {
		return &models.ConflictError{Message: "This forum is archived: its resources cannot change."}
	}
	return nil
}

// ProposeResource adds a resource to f's list, waiting for a clinician's
// review. At most MaxResources per forum. Audited.
func (s *Service) ProposeResource(ctx context.Context, v Viewer, f *models.Forum, form ResourceForm) (_ *Resource, err error) {
	defer wrap(&err, "forums: propose resource in forum %d", f.ID)
	if err := s.manageCheck(v, f); err != nil {
		return nil, err
	}
	if err := form.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		if err := lockForumForResources(tx, f); err != nil {
			return err
		}
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM forum_resources WHERE forum_id = ?`, f.ID).Scan(&n).Error; err != nil {
			return err
		}
		if n >= MaxResources {
			verr := models.NewValidationError()
			verr.Message = fmt.Sprintf("A forum can list at most %d resources. Remove one before adding another.", MaxResources)
			verr.Code = "resource_limit"
			verr.Add("title", verr.Message)
			return verr
		}
		now := s.now().UTC()
		if err := tx.Raw(`INSERT INTO forum_resources (forum_id, title, url, note, status, proposed_by, proposed_at, position, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'pending', ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM forum_resources WHERE forum_id = ?), ?, ?) RETURNING id`,
			f.ID, form.Title, form.URL, form.Note, v.ID(), now, f.ID, now, now).Scan(&id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "resource.propose", TargetKind: TargetResource, TargetID: &id,
			Reason: "forum " + itoa(int(f.ID)), ToState: ResourcePending})
	})
	if err != nil {
		return nil, err
	}
	return s.Resource(ctx, v, f, id)
}

// EditResource changes a resource's title, link or note. A change sends it
// back to review; the version a clinician approved stays on the page
// until the new one is approved. Audited.
func (s *Service) EditResource(ctx context.Context, v Viewer, f *models.Forum, id int64, form ResourceForm) (_ *Resource, err error) {
	defer wrap(&err, "forums: edit resource %d", id)
	if err := s.manageCheck(v, f); err != nil {
		return nil, err
	}
	if err := form.Validate(); err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var cur struct{ Title, URL, Note, Status string }
		res := tx.Raw(`SELECT title, url, note, status FROM forum_resources WHERE id = ? AND forum_id = ? FOR UPDATE`, id, f.ID).Scan(&cur)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("forums: resource %d: %w", id, models.ErrNotFound)
		}
		if cur.Title == form.Title && cur.URL == form.URL && cur.Note == form.Note {
			return nil // nothing changed: the review stands
		}
		if err := tx.Exec(`UPDATE forum_resources SET title = ?, url = ?, note = ?, status = 'pending', proposed_by = ?, proposed_at = ?,
			return_reason = '', returned_by = NULL, updated_at = ? WHERE id = ?`,
			form.Title, form.URL, form.Note, v.ID(), s.now().UTC(), s.now().UTC(), id).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "resource.edit", TargetKind: TargetResource, TargetID: &id,
			Reason: "forum " + itoa(int(f.ID)), FromState: cur.Status, ToState: ResourcePending})
	})
	if err != nil {
		return nil, err
	}
	return s.Resource(ctx, v, f, id)
}

// RemoveResource deletes a resource from f's list. Audited.
func (s *Service) RemoveResource(ctx context.Context, v Viewer, f *models.Forum, id int64) (err error) {
	defer wrap(&err, "forums: remove resource %d", id)
	if err := s.manageCheck(v, f); err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *database.Tx) error {
		res := tx.Exec(`DELETE FROM forum_resources WHERE id = ? AND forum_id = ?`, id, f.ID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("forums: resource %d: %w", id, models.ErrNotFound)
		}
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "resource.remove", TargetKind: TargetResource, TargetID: &id,
			Reason: "forum " + itoa(int(f.ID))})
	})
}

// ReviewForm is a clinician's decision on a resource.
type ReviewForm struct {
	Decision string `json:"decision" form:"decision"` // approve or return
	Reason   string `json:"reason" form:"reason"`     // why it goes back (required then)
	// Version is the proposed_at of the version the reviewer read; when
	// given and the resource changed since, the review is refused (409),
	// so nobody approves a version they did not see.
	Version string `json:"version" form:"version"`
}

// resourceVersion is a resource's Version for review forms.
func resourceVersion(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Version identifies the proposal a review form was shown.
func (r Resource) Version() string { return resourceVersion(r.ProposedAt) }

// Review decisions.
const (
	ReviewApprove = "approve"
	ReviewReturn  = "return"
)

// ReviewResource approves the resource's latest proposal (it becomes the
// shown version, "Reviewed by" the clinician) or sends it back with a
// reason. Only a clinician verified now, who may read the forum and did
// not propose it; others get 403 (404 when they may not read the forum
// or it does not exist). Audited.
func (s *Service) ReviewResource(ctx context.Context, v Viewer, id int64, form ReviewForm) (_ *Resource, err error) {
	defer wrap(&err, "forums: review resource %d", id)
	if !v.Active() {
		return nil, models.ErrForbidden
	}
	form.Decision = strings.TrimSpace(form.Decision)
	verr := models.NewValidationError()
	switch form.Decision {
	case ReviewApprove:
		form.Reason = ""
	case ReviewReturn:
		form.Reason = checkText(verr, "reason", "The reason", form.Reason, 5, ResourceReasonMax)
	default:
		verr.Add("decision", "Choose whether to approve the resource or send it back.")
	}
	rows, err := s.queryResources(ctx, v, `r.id = $2`, id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || !CanReadForum(v, &rows[0].forum) {
		return nil, fmt.Errorf("forums: resource %d: %w", id, models.ErrNotFound)
	}
	r := rows[0]
	if !v.Clinician {
		return nil, &models.ForbiddenError{Code: "not_verified_clinician", Message: "Only clinicians whose verification is current review resources."}
	}
	if !CanReviewResource(v, &r.forum, r.proposedByID) {
		return nil, &models.ForbiddenError{Code: "own_proposal", Message: "You proposed this version: another clinician reviews it."}
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	if form.Version != "" && form.Version != r.Version() {
		return nil, &models.ConflictError{Message: "This resource was edited after you opened it. Read it again before you review it."}
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var cur struct {
			Status           string
			ProposedBy       *int64
			Title, URL, Note string
		}
		res := tx.Raw(`SELECT status, proposed_by, title, url, note FROM forum_resources WHERE id = ? FOR UPDATE`, id).Scan(&cur)
		if res.Error != nil {
			return res.Error
		}
		// What was read above may have changed meanwhile.
		if res.RowsAffected == 0 {
			return fmt.Errorf("forums: resource %d: %w", id, models.ErrNotFound)
		}
		if cur.ProposedBy != nil && *cur.ProposedBy == v.ID() {
			return &models.ForbiddenError{Code: "own_proposal", Message: "You proposed this version: another clinician reviews it."}
		}
		if cur.Status != r.Status || cur.Title != r.Title || cur.URL != r.URL || cur.Note != r.Note || !r.NeedsReview {
			return &models.ConflictError{Message: "This resource changed or was reviewed meanwhile. Open the list again."}
		}
		now := s.now().UTC()
		var q string
		var args []any
		if form.Decision == ReviewApprove {
			q = `UPDATE forum_resources SET status = 'approved', shown_title = title, shown_url = url, shown_note = note,
				reviewed_by = ?, reviewed_at = ?, return_reason = '', returned_by = NULL, updated_at = ? WHERE id = ?`
			args = []any{v.ID(), now, now, id}
		} else {
			q = `UPDATE forum_resources SET status = 'returned', return_reason = ?, returned_by = ?, updated_at = ? WHERE id = ?`
			args = []any{form.Reason, v.ID(), now, id}
		}
		if err := tx.Exec(q, args...).Error; err != nil {
			return err
		}
		to := ResourceApproved
		if form.Decision == ReviewReturn {
			to = ResourceReturned
		}
		// The reason is for the forum's moderators, on the resource itself;
		// the audit log keeps who decided what, not the words.
		return audit.Record(ctx, tx.DB, models.AuditEvent{ActorID: &v.User.ID, Action: "resource." + form.Decision, TargetKind: TargetResource, TargetID: &id,
			Reason: "forum " + itoa(int(r.ForumID)), FromState: cur.Status, ToState: to})
	})
	if err != nil {
		return nil, err
	}
	rows, err = s.queryResources(ctx, v, `r.id = $2`, id)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("forums: resource %d: %w", id, models.ErrNotFound)
	}
	return &rows[0], nil
}

// eraseResources drops an erased member's links to resources inside the
// erasure's transaction: the resources stay (they are the forum's list);
// one they approved goes back to review (nobody vouches for it now), and
// reasons they wrote when sending one back are removed.
func eraseResources(db *gorm.DB, userID int64) error {
	for _, q := range []string{
		`UPDATE forum_resources SET proposed_by = NULL WHERE proposed_by = @u`,
		`UPDATE forum_resources SET returned_by = NULL, return_reason = '' WHERE returned_by = @u`,
		`UPDATE forum_resources SET reviewed_by = NULL, status = CASE WHEN status = 'approved' THEN 'pending' ELSE status END WHERE reviewed_by = @u`,
	} {
		if err := db.Exec(q, map[string]any{"u": userID}).Error; err != nil {
			return err
		}
	}
	return nil
}
