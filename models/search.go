package models

// ThreadDoc is a thread as the search index holds it: only visible
// threads, and never an author's name.
type ThreadDoc struct {
	ID                 int64  `json:"id"`
	Title              string `json:"title"`
	FirstPost          string `json:"first_post"`
	Replies            string `json:"replies"`
	Forum              string `json:"forum"` // slug
	ForumName          string `json:"forum_name"`
	Audience           string `json:"audience"` // public, members or clinicians
	HasClinicianAnswer bool   `json:"has_clinician_answer"`
	ReplyCount         int    `json:"reply_count"`
	CreatedAt          int64  `json:"created_at"`    // unix seconds
	LastActivity       int64  `json:"last_activity"` // unix seconds
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
