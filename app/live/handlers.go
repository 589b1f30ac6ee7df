package live

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"

	"github.com/kindred-health/kindred/app/web"
	"github.com/kindred-health/kindred/models"
)

// Access checks, at connection, that the actor may follow what they ask
// for (the forums and questions features decide; the answer for anything
// they may not is models.ErrNotFound, as for their pages).
type Access struct {
	Thread   func(ctx context.Context, a models.Actor, threadID int64) error
	Question func(ctx context.Context, a models.Actor, questionID int64) error
	// Conversation answers nil for someone who may read a private
	// conversation (its people; staff for the moderators' ones).
	Conversation func(ctx context.Context, a models.Actor, conversationID int64) error
}

// Handlers serve the event stream.
type Handlers struct {
	hub    *Hub
	access Access
}

// NewHandlers wires the stream.
func NewHandlers(hub *Hub, access Access) *Handlers {
	return &Handlers{hub: hub, access: access}
}

// Streams end after Lifetime, so that a revoked session or a changed role
// is seen at the reconnection (EventSource reconnects by itself, with
// Last-Event-ID); Heartbeat is how often quiet streams get a comment.
const (
	Lifetime  = 10 * time.Minute
	Heartbeat = 25 * time.Second
)

func idParam(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		verr := models.NewValidationError()
		verr.Add(name, "Give the id of a "+name+".")
		return 0, verr
	}
	return id, nil
}

// Stream is GET /events (browsers) and GET /api/v1/events (tokens):
// text/event-stream with the member's counts, and the replies of
// ?thread=, the news of ?question= and the new messages of ?conversation=
// when given. Last-Event-ID (the
// header EventSource sends, or ?last_event_id=) replays what was missed.
func (h *Handlers) Stream(c echo.Context) error {
	ctx := c.Request().Context()
	a := web.Actor(c)
	thread, err := idParam(c, "thread")
	if err != nil {
		return err
	}
	question, err := idParam(c, "question")
	if err != nil {
		return err
	}
	conversation, err := idParam(c, "conversation")
	if err != nil {
		return err
	}
	topic := Topic{Thread: thread, Question: question, Conversation: conversation}
	if (question == 0 && conversation == 0 && thread == 0 && !a.SignedIn()) || ((question != 0 || conversation != 0) && !a.SignedIn()) {
		if question != 0 || conversation != 0 {
			return models.ErrNotFound
		}
		return web.ErrUnauthorized
	}
	if thread != 0 {
		if err := h.access.Thread(ctx, a, thread); err != nil {
			return err
		}
	}
	if question != 0 {
		if err := h.access.Question(ctx, a, question); err != nil {
			return err
		}
	}
	if conversation != 0 {
		if err := h.access.Conversation(ctx, a, conversation); err != nil {
			return err
		}
	}
	last := c.Request().Header.Get("Last-Event-ID")
	if last == "" {
		last = c.QueryParam("last_event_id")
	}
	var lastID int64
	if last != "" {
		if lastID, err = strconv.ParseInt(last, 10, 64); err != nil || lastID < 0 {
			verr := models.NewValidationError()
			verr.Add("last_event_id", "Last-Event-ID is the id of an event this stream sent.")
			return verr
		}
	}

	first, err := h.hub.CountsFor(ctx, a)
	if err != nil {
		return err
	}
	var missed []Message
	if lastID > 0 && !topic.Zero() {
		var complete bool
		missed, complete, err = h.hub.Replay(ctx, a, topic, lastID)
		if err != nil {
			return err
		}
		if !complete {
			first = append(first, Message{Event: "reload", Data: `{"reason":"too long away"}`})
		}
	}

	w := c.Response()
	hdr := w.Header()
	hdr.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx: do not hold events back
	hdr.Del(echo.HeaderContentLength)
	rc := http.NewResponseController(w.Writer)
	// Over HTTP/1.1 the connection is taken from net/http and handed to the
	// hub, which writes to it: no goroutine waits per stream.
	var sub *Sub
	if c.Request().ProtoMajor == 1 {
		if conn, _, err := rc.Hijack(); err == nil {
			hdr.Set("Connection", "close") // the body ends when the stream does
			var head strings.Builder
			head.WriteString("HTTP/1.1 200 OK\r\n")
			_ = hdr.Write(&head)
			head.WriteString("\r\n")
			w.Status, w.Committed = http.StatusOK, true
			_ = conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := io.WriteString(conn, head.String()); err != nil {
				_ = conn.Close()
				return nil
			}
			sub = h.hub.Subscribe(a, topic, conn, nil, conn)
		}
	}
	if sub == nil { // HTTP/2, or a writer that cannot be taken over: wait here
		w.WriteHeader(http.StatusOK)
		sub = h.hub.Subscribe(a, topic, w, rc.Flush, nil)
		defer h.hub.Unsubscribe(sub)
	}
	// Subscribed before the replay is written, so nothing falls between;
	// what comes twice is written once (by id).
	for _, m := range append(append([]Message{{Data: "retry: 3000\n\n"}}, first...), missed...) {
		if sub.Write(m) != nil {
			h.hub.Unsubscribe(sub)
			return nil
		}
	}
	if sub.Activate() != nil {
		h.hub.Unsubscribe(sub)
		return nil
	}
	if sub.conn != nil {
		return nil // the hub owns the connection now
	}
	select {
	case <-ctx.Done():
	case <-sub.Closed():
	}
	return nil
}

// PruneArgs is the periodic job that deletes old events.
type PruneArgs struct{}

// Kind names the job.
func (PruneArgs) Kind() string { return "live_prune" }

// PruneWorker runs Prune.
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Hub *Hub
}

// Work prunes.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	_, err := Prune(ctx, w.Hub.pool)
	return err
}
