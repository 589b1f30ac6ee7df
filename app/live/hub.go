// Package live sends open pages what changed while they are open, as
// Server-Sent Events: new replies in a thread, news in a private question,
// the unread-notification count, the moderation queue and a clinician's
// offers. Triggers in PostgreSQL (migration 00029) record events and
// NOTIFY channel kindred_live; every instance's Hub listens, reads the new
// events once, and hands each to the subscribers allowed to know of it.
// No broker: instances share nothing but PostgreSQL.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kindred-health/kindred/models"
)

// Channel is the PostgreSQL NOTIFY channel.
const Channel = "kindred_live"

// Retention is how long events are kept for reconnecting browsers.
const Retention = time.Hour

// Counts are the figures some events carry, computed for one receiver.
type Counts interface {
	Unread(ctx context.Context, userID int64) (int64, error)
	OpenQueue(ctx context.Context, a models.Actor) (int64, error)
	PendingOffers(ctx context.Context, userID int64) (int64, error)
}

// Message is one event as sent: id (for Last-Event-ID; 0 for counts, which
// are sent afresh on every connection), name and JSON data.
type Message struct {
	ID    int64
	Event string
	Data  string
}

// Sub is one open stream. The hub writes to it directly: a stream costs
// no goroutine of its own when its connection could be taken over from
// net/http (HTTP/1.1), which is what lets one instance hold ten thousand.
type Sub struct {
	actor  models.Actor
	topic  Topic
	born   time.Time
	closed chan struct{}
	once   sync.Once

	mu      sync.Mutex
	w       io.Writer
	flush   func() error
	conn    net.Conn // set when the connection was taken over
	active  bool     // false while the handler writes the first messages
	pending []Message
	sent    int64 // the highest event id written
}

// Closed is closed when the stream ended (the hub dropped a slow or gone
// reader, the lifetime passed, or the hub is shutting down).
func (s *Sub) Closed() <-chan struct{} { return s.closed }

func (s *Sub) close() {
	s.once.Do(func() {
		close(s.closed)
		if s.conn != nil {
			_ = s.conn.Close()
		}
	})
}

// writeTimeout bounds one write to a stream: a reader that takes longer
// is dropped and catches up when it reconnects.
const writeTimeout = 200 * time.Millisecond

// maxPending is how many messages wait while the first ones are written.
const maxPending = 64

// writeLocked writes m unless it was already sent (by id). s.mu is held.
func (s *Sub) writeLocked(m Message) error {
	if m.ID != 0 {
		if m.ID <= s.sent {
			return nil
		}
		s.sent = m.ID
	}
	if s.conn != nil {
		_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	}
	var b []byte
	if m.ID != 0 {
		b = append(b, "id: "...)
		b = strconv.AppendInt(b, m.ID, 10)
		b = append(b, '\n')
	}
	if m.Event != "" {
		b = append(b, "event: "...)
		b = append(b, m.Event...)
		b = append(b, "\ndata: "...)
		b = append(b, m.Data...)
		b = append(b, "\n\n"...)
	} else {
		b = append(b, m.Data...) // a comment or the retry line, preformatted
	}
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	if s.flush != nil {
		return s.flush()
	}
	return nil
}

// Write is for the handler's first messages, before Activate.
func (s *Sub) Write(m Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeLocked(m)
}

// Activate writes what arrived meanwhile and lets the hub write directly.
func (s *Sub) Activate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.pending {
		if err := s.writeLocked(m); err != nil {
			return err
		}
	}
	s.pending, s.active = nil, true
	return nil
}

// deliver writes m or, before Activate, keeps it. False means the stream
// is broken or too slow.
func (s *Sub) deliver(m Message) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.active {
		if len(s.pending) >= maxPending {
			return false
		}
		s.pending = append(s.pending, m)
		return true
	}
	return s.writeLocked(m) == nil
}

// Hub fans events out to this instance's subscribers.
type Hub struct {
	pool    *pgxpool.Pool
	counts  Counts
	changes *Changes
	log     *slog.Logger

	mu         sync.Mutex
	all        map[*Sub]struct{}
	byThread   map[int64]map[*Sub]struct{}
	byQuestion map[int64]map[*Sub]struct{}
	byConv     map[int64]map[*Sub]struct{}
	byUser     map[int64]map[*Sub]struct{}
	lastID     int64
	floor      int64 // events up to this id happened before the hub started
	started    bool
	seen       map[int64]bool // ids delivered within the look-back window
	stopped    bool

	ready     chan struct{}
	readyOnce sync.Once
}

// Ready is closed once the hub listens (tests wait for it).
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// NewHub builds a hub; Run starts it. It keeps changes (which may be
// nil) told of what it hears for caches elsewhere.
func NewHub(pool *pgxpool.Pool, counts Counts, changes *Changes, log *slog.Logger) *Hub {
	return &Hub{pool: pool, counts: counts, changes: changes, log: log, all: map[*Sub]struct{}{}, byThread: map[int64]map[*Sub]struct{}{},
		byQuestion: map[int64]map[*Sub]struct{}{}, byConv: map[int64]map[*Sub]struct{}{}, byUser: map[int64]map[*Sub]struct{}{}, seen: map[int64]bool{}, ready: make(chan struct{})}
}

// Subscribers counts open streams.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.all)
}

// Topic is what a stream follows besides the actor's counts: a thread, a
// private question, a private conversation (0: none), each one the caller
// already checked the actor may read.
type Topic struct {
	Thread, Question, Conversation int64
}

// Zero reports whether the stream follows nothing but counts.
func (t Topic) Zero() bool { return t == Topic{} }

// Subscribe registers a stream writing to w (flushed by flush; conn, when
// the connection was taken over, is closed with the stream) for the actor
// and topic. Messages wait until Activate.
func (h *Hub) Subscribe(a models.Actor, topic Topic, w io.Writer, flush func() error, conn net.Conn) *Sub {
	s := &Sub{actor: a, topic: topic, born: time.Now(), closed: make(chan struct{}), w: w, flush: flush, conn: conn}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		s.close()
		return s
	}
	h.all[s] = struct{}{}
	add := func(m map[int64]map[*Sub]struct{}, k int64) {
		if k == 0 {
			return
		}
		if m[k] == nil {
			m[k] = map[*Sub]struct{}{}
		}
		m[k][s] = struct{}{}
	}
	add(h.byThread, topic.Thread)
	add(h.byQuestion, topic.Question)
	add(h.byConv, topic.Conversation)
	add(h.byUser, a.ID())
	return s
}

// Unsubscribe removes a stream.
func (h *Hub) Unsubscribe(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.remove(s)
}

func (h *Hub) remove(s *Sub) {
	delete(h.all, s)
	del := func(m map[int64]map[*Sub]struct{}, k int64) {
		if set := m[k]; set != nil {
			delete(set, s)
			if len(set) == 0 {
				delete(m, k)
			}
		}
	}
	del(h.byThread, s.topic.Thread)
	del(h.byQuestion, s.topic.Question)
	del(h.byConv, s.topic.Conversation)
	del(h.byUser, s.actor.ID())
	s.close()
}

// Close ends every stream (at shutdown: http.Server.Shutdown waits for
// open requests, and a stream never ends by itself).
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	for s := range h.all {
		h.remove(s)
	}
}

// send writes a message; a subscriber that cannot take it is dropped (it
// reconnects with Last-Event-ID and loses nothing). Called with h.mu held.
func (h *Hub) send(s *Sub, m Message) {
	if !s.deliver(m) {
		h.remove(s)
	}
}

// keepAlive writes a comment to every stream (proxies close quiet
// connections, and a write is how a closed one is found) and ends streams
// older than lifetime, which reconnect and are checked again.
func (h *Hub) keepAlive(lifetime time.Duration) {
	h.mu.Lock()
	subs := make([]*Sub, 0, len(h.all))
	for s := range h.all {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	now := time.Now()
	for _, s := range subs {
		if now.Sub(s.born) > lifetime || !s.deliver(Message{Data: ": keep-alive\n\n"}) {
			h.Unsubscribe(s)
		}
	}
}

// KeepAlive runs keepAlive every interval until ctx ends.
func (h *Hub) KeepAlive(ctx context.Context, interval, lifetime time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.keepAlive(lifetime)
		}
	}
}

// Run listens until ctx ends, reconnecting after a lost connection and
// catching up on events written meanwhile.
func (h *Hub) Run(ctx context.Context) {
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := h.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		h.log.WarnContext(ctx, "live updates: listening failed; retrying", "error", err.Error(), "in", delay.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		if delay < 5*time.Second {
			delay *= 2
		}
	}
}

func (h *Hub) listen(ctx context.Context) error {
	pooled, err := h.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A LISTENing connection must not go back to the pool.
	conn := pooled.Hijack()
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	// Whatever changed while not listening is unknown: caches start over.
	h.changes.connected(true)
	defer h.changes.connected(false)
	h.mu.Lock()
	start := !h.started
	h.mu.Unlock()
	if start {
		var newest int64
		if err := conn.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM live_events`).Scan(&newest); err != nil {
			return err
		}
		h.mu.Lock()
		h.lastID, h.floor, h.started = newest, newest, true
		h.mu.Unlock()
	} else if err := h.events(ctx); err != nil { // what happened while away
		return err
	}
	h.readyOnce.Do(func() { close(h.ready) })
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if err := h.handle(ctx, n.Payload); err != nil {
			h.log.WarnContext(ctx, "live updates: event not delivered", "error", err.Error())
		}
	}
}

func (h *Hub) handle(ctx context.Context, payload string) error {
	if payload == "" {
		return nil
	}
	switch payload[0] {
	case 'e':
		return h.events(ctx)
	case 'q':
		return h.queue(ctx)
	case 'w':
		h.changes.wordsChanged()
		return nil
	case 'a':
		// Members whose session-time figures changed (migration 00054).
		h.changes.membersChanged(payload[1:])
		return nil
	case 'y':
		h.changes.synced(payload[1:])
		return nil
	case 'n', 'o':
		// One or more members' ids, comma-separated: the notifications
		// trigger (migration 00052) signals a statement's members at once.
		// A bell's count is a session-time figure too.
		if payload[0] == 'n' {
			h.changes.membersChanged(payload[1:])
		}
		var first error
		for _, uid := range memberIDs(payload[1:]) {
			if err := h.userCount(ctx, payload[0], uid); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	return nil
}

// lookBack re-reads this many ids below the newest seen: ids are taken in
// one order and committed in another, so a lower id can appear later.
const lookBack = 200

// Event is a stored event with what the permission checks need.
type Event struct {
	ID            int64
	Kind          string
	ThreadID      int64
	PostID        int64
	QuestionID    int64
	ForumID       int64
	Sensitive     bool
	ClinicianOnly bool
	Visible       bool
	AuthorID      int64
	Anonymous     bool
	AskerID       int64
	AssigneeID    int64
	// ConversationID, for a new private message: who is in it now, and
	// whether it is the moderators' (every global moderator may follow it).
	ConversationID int64
	Members        []int64
	TeamVisible    bool
}

// eventSQL reads events with their thread's forum and visibility and the
// question's participants, as they are now.
const eventSQL = `SELECT e.id, e.kind, coalesce(e.thread_id, 0), coalesce(e.post_id, 0), coalesce(e.question_id, 0),
	coalesce(f.id, 0), coalesce(f.sensitive, false), coalesce(f.clinician_only, false),
	coalesce(t.visibility = 'visible' AND p.visibility = 'visible' AND p.deleted_at IS NULL, false),
	coalesce(p.author_id, 0), coalesce(p.anonymous, false), coalesce(q.asker_id, 0), coalesce(q.assignee_id, 0),
	coalesce(e.conversation_id, 0), coalesce((SELECT array_agg(cm.user_id) FROM conversation_members cm WHERE cm.conversation_id = e.conversation_id), '{}'),
	coalesce(c.kind = 'moderators', false)
	FROM live_events e
	LEFT JOIN conversations c ON c.id = e.conversation_id
	LEFT JOIN threads t ON t.id = e.thread_id LEFT JOIN forums f ON f.id = t.forum_id
	LEFT JOIN posts p ON p.id = e.post_id
	LEFT JOIN questions q ON q.id = e.question_id `

func scanEvents(rows pgx.Rows) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.ID, &e.Kind, &e.ThreadID, &e.PostID, &e.QuestionID, &e.ForumID, &e.Sensitive, &e.ClinicianOnly,
			&e.Visible, &e.AuthorID, &e.Anonymous, &e.AskerID, &e.AssigneeID, &e.ConversationID, &e.Members, &e.TeamVisible); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (h *Hub) events(ctx context.Context) error {
	h.mu.Lock()
	from := max(h.lastID-lookBack, h.floor)
	// The look-back's events already delivered are left out in the query,
	// before its joins: each write's NOTIFY would otherwise read and join
	// up to lookBack rows again (issue 21's profile of replies).
	known := make([]int64, 0, len(h.seen))
	for id := range h.seen {
		if id > from {
			known = append(known, id)
		}
	}
	h.mu.Unlock()
	rows, err := h.pool.Query(ctx, eventSQL+`WHERE e.id > $1 AND e.id <> ALL($2) ORDER BY e.id LIMIT 5000`, from, known)
	if err != nil {
		return err
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range evs {
		if h.seen[e.ID] {
			continue
		}
		h.seen[e.ID] = true
		if e.ID > h.lastID {
			h.lastID = e.ID
		}
		h.deliver(e)
	}
	for id := range h.seen {
		if id <= h.lastID-lookBack {
			delete(h.seen, id)
		}
	}
	return nil
}

// Allowed is the one permission check: may this actor, subscribed to
// topic, know of the event now?
func Allowed(a models.Actor, topic Topic, e Event) bool {
	switch e.Kind {
	case "reply":
		if e.ThreadID == 0 || e.ThreadID != topic.Thread || !e.Visible {
			return false
		}
		f := models.Forum{ID: e.ForumID, Sensitive: e.Sensitive, ClinicianOnly: e.ClinicianOnly}
		if !a.MayReadForum(&f) {
			return false
		}
		return !a.HasMuted(e.AuthorID) // muted even when anonymous, without saying who
	case "question":
		id := a.ID()
		return id != 0 && e.QuestionID == topic.Question && (id == e.AskerID || id == e.AssigneeID)
	case "message":
		// As the conversation page: the people in it, and for the
		// moderators' conversations every global moderator and admin.
		id := a.ID()
		return id != 0 && e.ConversationID == topic.Conversation &&
			(slices.Contains(e.Members, id) || (e.TeamVisible && a.IsStaff() && a.Active()))
	}
	return false
}

// Payload is what the browser gets: ids only, never text or an author.
func Payload(e Event) Message {
	var data []byte
	switch e.Kind {
	case "reply":
		data, _ = json.Marshal(map[string]int64{"thread": e.ThreadID, "post": e.PostID})
	case "question":
		data, _ = json.Marshal(map[string]int64{"question": e.QuestionID})
	case "message":
		// Named "conversation": an unnamed SSE event is a "message" event
		// to EventSource, so the name would catch anything unnamed.
		data, _ = json.Marshal(map[string]int64{"conversation": e.ConversationID})
		return Message{ID: e.ID, Event: "conversation", Data: string(data)}
	}
	return Message{ID: e.ID, Event: e.Kind, Data: string(data)}
}

// deliver sends e to the subscribers of its thread or question that may
// know of it. Called with h.mu held.
func (h *Hub) deliver(e Event) {
	var set map[*Sub]struct{}
	switch e.Kind {
	case "reply":
		set = h.byThread[e.ThreadID]
	case "question":
		set = h.byQuestion[e.QuestionID]
	case "message":
		set = h.byConv[e.ConversationID]
	}
	if len(set) == 0 {
		return
	}
	m := Payload(e)
	for s := range set {
		if Allowed(s.actor, s.topic, e) {
			h.send(s, m)
		}
	}
}

// Replay returns the events after lastID about the subscriber's topic
// that it may know of, and whether lastID is still within what is kept
// (if not, the page should reload).
func (h *Hub) Replay(ctx context.Context, a models.Actor, topic Topic, lastID int64) ([]Message, bool, error) {
	var oldest int64
	if err := h.pool.QueryRow(ctx, `SELECT coalesce(min(id), 0) FROM live_events`).Scan(&oldest); err != nil {
		return nil, false, err
	}
	complete := oldest == 0 || lastID >= oldest-1
	rows, err := h.pool.Query(ctx, eventSQL+`WHERE e.id > $1 AND (e.thread_id = $2 OR e.question_id = $3 OR e.conversation_id = $4) ORDER BY e.id LIMIT 500`,
		lastID, topic.Thread, topic.Question, topic.Conversation)
	if err != nil {
		return nil, false, err
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return nil, false, err
	}
	var out []Message
	for _, e := range evs {
		if Allowed(a, topic, e) {
			out = append(out, Payload(e))
		}
	}
	return out, complete, nil
}

// CountsFor are the counts a new stream starts with.
func (h *Hub) CountsFor(ctx context.Context, a models.Actor) ([]Message, error) {
	if !a.SignedIn() {
		return nil, nil
	}
	var out []Message
	n, err := h.counts.Unread(ctx, a.ID())
	if err != nil {
		return nil, err
	}
	out = append(out, countMessage("notifications", "unread", n))
	if a.IsModerator() {
		q, err := h.counts.OpenQueue(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, countMessage("queue", "open", q))
	}
	if a.Clinician {
		o, err := h.counts.PendingOffers(ctx, a.ID())
		if err != nil {
			return nil, err
		}
		out = append(out, countMessage("offers", "pending", o))
	}
	return out, nil
}

func countMessage(event, key string, n int64) Message {
	data, _ := json.Marshal(map[string]int64{key: n})
	return Message{Event: event, Data: string(data)}
}

// userCount sends a member's new unread or offer count to their streams.
func (h *Hub) userCount(ctx context.Context, kind byte, uid int64) error {
	h.mu.Lock()
	n := len(h.byUser[uid])
	var actor models.Actor
	for s := range h.byUser[uid] {
		actor = s.actor
		break
	}
	h.mu.Unlock()
	if n == 0 {
		return nil
	}
	var m Message
	switch kind {
	case 'n':
		c, err := h.counts.Unread(ctx, uid)
		if err != nil {
			return err
		}
		m = countMessage("notifications", "unread", c)
	case 'o':
		if !actor.Clinician {
			return nil
		}
		c, err := h.counts.PendingOffers(ctx, uid)
		if err != nil {
			return err
		}
		m = countMessage("offers", "pending", c)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.byUser[uid] {
		h.send(s, m)
	}
	return nil
}

// queue sends each moderator with an open stream their open-queue count.
func (h *Hub) queue(ctx context.Context) error {
	h.mu.Lock()
	mods := map[int64]models.Actor{}
	for uid, set := range h.byUser {
		for s := range set {
			if s.actor.IsModerator() {
				mods[uid] = s.actor
			}
			break
		}
	}
	h.mu.Unlock()
	var errs []error
	for uid, a := range mods {
		c, err := h.counts.OpenQueue(ctx, a)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m := countMessage("queue", "open", c)
		h.mu.Lock()
		for s := range h.byUser[uid] {
			h.send(s, m)
		}
		h.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Prune deletes events older than Retention (by the database's clock,
// which wrote them); a periodic job runs it.
func Prune(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	tag, err := pool.Exec(ctx, `DELETE FROM live_events WHERE created_at < now() - $1::interval`, Retention.String())
	if err != nil {
		return 0, fmt.Errorf("live: prune: %w", err)
	}
	return tag.RowsAffected(), nil
}
