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
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"gorm.io/gorm"

	"github.com/kindred-health/kindred/app/audit"
	"github.com/kindred-health/kindred/app/database"
	"github.com/kindred-health/kindred/app/input"
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
// who may read its forum and proposed or edited no version of it since its
// last approval (authors).
func CanReviewResource(v Viewer, f *models.Forum, authors []int64) bool {
	return v.Active() && v.Clinician && v.MayReadForum(f) && !slices.Contains(authors, v.ID())
}

// ownVersion refuses a review by one of the version's authors.
var ownVersion = &models.ForbiddenError{Code: "own_proposal",
	Message: "You proposed or edited this resource since it was last approved: another clinician reviews it."}

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
	// ProposedBy and ProposedAt are the first proposal, kept through edits.
	ProposedBy string // handle; "" when the account is gone
	ProposedAt time.Time
	// EditedBy and EditedAt are the latest edit, when there was one.
	EditedBy     string
	EditedAt     *time.Time
	authors      []int64 // proposed or edited it since the last approval
	ReturnReason string
	// Previous is the version a clinician approved before, whether or not
	// the approval still holds; nil for a resource never approved.
	Previous *ResourceVersion
	// Changes are what the latest proposal changes in Previous (an edit).
	Changes []ResourceChange
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

// ResourceChange is one field an edit changes: its old and new value
// (and, for the address, the old and new site name).
type ResourceChange struct {
	Field, Label         string
	Old, New             string
	OldDomain, NewDomain string
}

// IsEdit: the latest proposal changes a version approved before.
func (r Resource) IsEdit() bool { return len(r.Changes) > 0 }

func resourceChanges(prev *ResourceVersion, r *Resource) []ResourceChange {
	if prev == nil {
		return nil
	}
	var out []ResourceChange
	if prev.Title != r.Title {
		out = append(out, ResourceChange{Field: "title", Label: "Title", Old: prev.Title, New: r.Title})
	}
	if prev.URL != r.URL {
		out = append(out, ResourceChange{Field: "url", Label: "Web address", Old: prev.URL, New: r.URL, OldDomain: prev.Domain, NewDomain: r.Domain})
	}
	if prev.Note != r.Note {
		out = append(out, ResourceChange{Field: "note", Label: "Note", Old: prev.Note, New: r.Note})
	}
	return out
}

// urlDomain is the host a link leads to, in its ASCII form: a name
// written with lookalike letters ("pаypal.com" with a Cyrillic а) shows
// as the xn-- name it really is; full-width letters show as the ASCII
// name they map to.
func urlDomain(raw string) string { return input.WebHost(raw) }

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
	// One check for every address people click (app/input): it also
	// normalises the site name, so what is stored is what browsers open.
	url, msg := input.WebAddress(f.URL)
	if msg != "" {
		v.Add("url", msg)
	} else {
		f.URL = url
	}
	return v.OrNil()
}

// resourceSQL reads resources with their proposer, reviewer and whether
// the reviewer is verified now ($1 the clock; one verified credential per
// member at most, by a unique index); %s is the condition, whose
// parameters start at $2.
const resourceSQL = `SELECT r.id, r.forum_id, f.slug, f.name, f.sensitive, f.clinician_only, f.archived_at, f.specialties,
	r.title, r.url, r.note, r.status, coalesce(pu.handle, ''), r.proposed_at, coalesce(eu.handle, ''), r.edited_at, r.authors, r.return_reason,
	r.shown_title, r.shown_url, r.shown_note, r.reviewed_at, coalesce(ru.handle, ''), coalesce(pr.label, ''), rc.id IS NOT NULL
	FROM forum_resources r JOIN forums f ON f.id = r.forum_id
	LEFT JOIN users pu ON pu.id = r.proposed_by
	LEFT JOIN users eu ON eu.id = r.edited_by
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
				&r.Title, &r.URL, &r.Note, &r.Status, &r.ProposedBy, &r.ProposedAt, &r.EditedBy, &r.EditedAt, &r.authors, &r.ReturnReason,
				&sTitle, &sURL, &sNote, &reviewedAt, &reviewer, &profession, &verified); err != nil {
				return err
			}
			r.forum.Specialties = specialties
			r.forum.ID, r.forum.Slug, r.forum.Name = r.ForumID, r.ForumSlug, r.ForumName
			r.Domain = urlDomain(r.URL)
			if sTitle != nil {
				r.Previous = &ResourceVersion{Title: *sTitle, URL: *sURL, Note: *sNote, Domain: urlDomain(*sURL)}
				r.Changes = resourceChanges(r.Previous, &r)
			}
			if sTitle != nil && reviewedAt != nil && verified {
				shown := *r.Previous
				shown.Reviewer, shown.Profession, shown.ReviewedAt = reviewer, profession, *reviewedAt
				r.Shown = &shown
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
// not proposed or edited by v since the last approval; forums of v's
// specialties first, then oldest first.
func (s *Service) ResourceQueue(ctx context.Context, v Viewer) ([]Resource, error) {
	if !v.Active() || !v.Clinician {
		return nil, models.ErrForbidden
	}
	rows, err := s.queryResources(ctx, v, `NOT ($2 = ANY(r.authors)) AND r.status <> 'returned'
		AND (`+models.ForumAudienceSQL("f")+` = ANY($3) OR f.id = ANY($4))
		ORDER BY coalesce(r.edited_at, r.proposed_at), r.id`, v.ID(), v.Audiences(), moderatedIDs(v))
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
		if !r.NeedsReview || !CanReviewResource(v, &r.forum, r.authors) {
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
		if err := tx.Raw(`INSERT INTO forum_resources (forum_id, title, url, note, status, proposed_by, proposed_at, authors, position, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'pending', ?, ?, ARRAY[?::bigint], (SELECT coalesce(max(position), 0) + 1 FROM forum_resources WHERE forum_id = ?), ?, ?) RETURNING id`,
			f.ID, form.Title, form.URL, form.Note, v.ID(), now, v.ID(), f.ID, now, now).Scan(&id).Error; err != nil {
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
// until the new one is approved. The proposer stays; the editor joins the
// authors who may not approve it. Audited.
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
		now := s.now().UTC()
		if err := tx.Exec(`UPDATE forum_resources SET title = ?, url = ?, note = ?, status = 'pending', edited_by = ?, edited_at = ?,
			authors = CASE WHEN ?::bigint = ANY(authors) THEN authors ELSE array_append(authors, ?::bigint) END,
			return_reason = '', returned_by = NULL, updated_at = ? WHERE id = ?`,
			form.Title, form.URL, form.Note, v.ID(), now, v.ID(), v.ID(), now, id).Error; err != nil {
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
	// Version names the version the reviewer read (Resource.Version, in
	// the queue); required: when the resource changed since, the review is
	// refused (409), so nobody approves a version they did not see.
	Version string `json:"version" form:"version"`
}

// resourceVersion is a resource's Version for review forms.
func resourceVersion(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Version identifies the proposal a review form was shown: the time of
// the latest edit, or of the proposal.
func (r Resource) Version() string {
	if r.EditedAt != nil {
		return resourceVersion(*r.EditedAt)
	}
	return resourceVersion(r.ProposedAt)
}

// StaleReviewError refuses a review of a version that is no longer the
// latest (409), with the way back to the queue.
type StaleReviewError struct{ Message string }

func (e *StaleReviewError) Error() string { return "forums: stale resource review" }

// Public explains the refusal (pages and API).
func (e *StaleReviewError) Public() models.PublicError {
	return models.PublicError{Status: http.StatusConflict, Code: "conflict", Heading: "This resource changed", Message: e.Message,
		Link: "/clinician/resources", LinkText: "Back to the resources to review"}
}

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
	form.Version = strings.TrimSpace(form.Version)
	if form.Version == "" {
		verr.Add("version", "Give the version of the resource you reviewed (its \"version\" in the review queue), so that an edit made since is not approved by mistake.")
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
	if !CanReviewResource(v, &r.forum, r.authors) {
		return nil, ownVersion
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	if form.Version != r.Version() {
		return nil, &StaleReviewError{Message: "This resource was edited after you opened it. Read it again before you review it."}
	}
	err = s.db.InTx(ctx, func(tx *database.Tx) error {
		var cur struct {
			Status           string
			Own              bool
			Title, URL, Note string
		}
		res := tx.Raw(`SELECT status, ?::bigint = ANY(authors) AS own, title, url, note FROM forum_resources WHERE id = ? FOR UPDATE`, v.ID(), id).Scan(&cur)
		if res.Error != nil {
			return res.Error
		}
		// What was read above may have changed meanwhile.
		if res.RowsAffected == 0 {
			return fmt.Errorf("forums: resource %d: %w", id, models.ErrNotFound)
		}
		if cur.Own {
			return ownVersion
		}
		if cur.Status != r.Status || cur.Title != r.Title || cur.URL != r.URL || cur.Note != r.Note || !r.NeedsReview {
			return &StaleReviewError{Message: "This resource changed or was reviewed meanwhile. Open the list again."}
		}
		now := s.now().UTC()
		var q string
		var args []any
		if form.Decision == ReviewApprove {
			q = `UPDATE forum_resources SET status = 'approved', shown_title = title, shown_url = url, shown_note = note,
				reviewed_by = ?, reviewed_at = ?, return_reason = '', returned_by = NULL, authors = '{}', updated_at = ? WHERE id = ?`
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
		`UPDATE forum_resources SET edited_by = NULL WHERE edited_by = @u`,
		`UPDATE forum_resources SET authors = array_remove(authors, CAST(@u AS bigint)) WHERE CAST(@u AS bigint) = ANY(authors)`,
		`UPDATE forum_resources SET returned_by = NULL, return_reason = '' WHERE returned_by = @u`,
		`UPDATE forum_resources SET reviewed_by = NULL, status = CASE WHEN status = 'approved' THEN 'pending' ELSE status END WHERE reviewed_by = @u`,
	} {
		if err := db.Exec(q, map[string]any{"u": userID}).Error; err != nil {
			return err
		}
	}
	return nil
}
