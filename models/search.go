package models

// ThreadDoc is a thread as the search index holds it: only visible
// threads, and never an author's name.
type ThreadDoc struct {
	ID                 int64    `json:"id"`
	Title              string   `json:"title"`
	FirstPost          string   `json:"first_post"`
	Replies            string   `json:"replies"`
	Forum              string   `json:"forum"` // slug
	ForumName          string   `json:"forum_name"`
	Tags               []string `json:"tags"`
	Audience           string   `json:"audience"` // public, members or clinicians
	HasClinicianAnswer bool     `json:"has_clinician_answer"`
	// ClinicianProfessions are the professions (labels) of the verified
	// clinicians who answered under their own name.
	ClinicianProfessions []string `json:"clinician_professions"`
	ReplyCount           int      `json:"reply_count"`
	CreatedAt            int64    `json:"created_at"`    // unix seconds
	LastActivity         int64    `json:"last_activity"` // unix seconds
	// Digest fingerprints the fields above, so that verification can find
	// stale documents whatever changed.
	Digest string `json:"digest"`
}

// Search audiences.
const (
	AudiencePublic     = "public"
	AudienceMembers    = "members"
	AudienceClinicians = "clinicians"
)

// IndexThreadArgs asks for one thread's search document to be written or
// removed. Writes enqueue it in their own transaction.
type IndexThreadArgs struct {
	ThreadID int64 `json:"thread_id"`
}

// Kind names the River job.
func (IndexThreadArgs) Kind() string { return "search_index_thread" }

// IndexThreadsArgs asks for many threads' documents to be rewritten: every
// thread of a forum (its settings changed) or every thread a clinician
// answered (their verification changed). Exactly one of the ids is set.
type IndexThreadsArgs struct {
	ForumID   int64 `json:"forum_id,omitempty"`
	Clinician int64 `json:"clinician_id,omitempty"`
}

// Kind names the River job.
func (IndexThreadsArgs) Kind() string { return "search_index_threads" }

// SearchSettingsArgs asks for the index settings to be applied again (an
// admin changed the synonyms).
type SearchSettingsArgs struct{}

// Kind names the River job.
func (SearchSettingsArgs) Kind() string { return "search_settings" }
