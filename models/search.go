package models

import "strconv"

// PostDoc is one visible post as the search index holds it, with its
// thread's fields copied onto it (the index's distinct attribute is
// thread_id: a search finds one result per thread, from its best-matching
// post). Every visible thread has a head document (its first post; an
// empty body when that post is not visible), which always carries the
// thread's current reply count and last activity; a reply's document
// carries them as of its last write. Never an author's name.
type PostDoc struct {
	ID                 string   `json:"id"` // "p" + post id
	ThreadID           int64    `json:"thread_id"`
	PostID             int64    `json:"post_id"`
	Head               bool     `json:"head"`
	Title              string   `json:"title"`
	Body               string   `json:"body"`
	Forum              string   `json:"forum"` // slug
	ForumName          string   `json:"forum_name"`
	Tags               []string `json:"tags"`
	Audience           string   `json:"audience"` // public, members or clinicians
	HasClinicianAnswer bool     `json:"has_clinician_answer"`
	// ClinicianProfessions are the professions (labels) of the verified
	// clinicians who answered under their own name.
	ClinicianProfessions []string `json:"clinician_professions"`
	ReplyCount           int      `json:"reply_count"`
	CreatedAt            int64    `json:"created_at"`    // the thread's, unix seconds
	LastActivity         int64    `json:"last_activity"` // the thread's, unix seconds
	// ThreadDigest fingerprints the thread's fields that every document
	// must carry exactly (all but the reply count and last activity): a
	// change to them rewrites every document of the thread.
	ThreadDigest string `json:"thread_digest"`
	// Digest fingerprints the document (a reply's counts left out), so
	// that verification can find stale documents whatever changed.
	Digest string `json:"digest"`
}

// PostDocID is the search document id of a post.
func PostDocID(postID int64) string { return "p" + strconv.FormatInt(postID, 10) }

// Search audiences.
const (
	AudiencePublic     = "public"
	AudienceMembers    = "members"
	AudienceClinicians = "clinicians"
)

// IndexThreadArgs asks for one thread's search documents to be written or
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
