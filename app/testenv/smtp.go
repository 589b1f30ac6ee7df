package testenv

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one e-mail received by the in-process SMTP server.
type Message struct {
	From    string
	To      []string
	Subject string
	Body    string // the plain-text part (the whole body of a one-part message)
	HTML    string // the HTML part of a multipart/alternative message
	Header  mail.Header
	Raw     string // the message as it arrived
}

// Mailbox is a real SMTP server on loopback that keeps what it receives.
type Mailbox struct {
	Host string
	Port int

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
	failNext int
}

// NewMailbox starts an SMTP server for the test's lifetime.
func NewMailbox(t testing.TB) *Mailbox {
	t.Helper()
	mb := &Mailbox{arrived: make(chan struct{}, 100)}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	mb.Host = "127.0.0.1"
	mb.Port = l.Addr().(*net.TCPAddr).Port
	return mb
}

// FailNext makes the next n deliveries fail with a temporary error.
func (mb *Mailbox) FailNext(n int) { mb.mu.Lock(); mb.failNext = n; mb.mu.Unlock() }

// Wait returns the first message to addr whose subject contains subject,
// waiting up to timeout.
func (mb *Mailbox) Wait(t testing.TB, addr, subject string, timeout time.Duration) Message {
	t.Helper()
	deadline := time.After(timeout)
	for {
		mb.mu.Lock()
		for _, m := range mb.messages {
			for _, to := range m.To {
				if strings.EqualFold(to, addr) && strings.Contains(m.Subject, subject) {
					mb.mu.Unlock()
					return m
				}
			}
		}
		mb.mu.Unlock()
		select {
		case <-mb.arrived:
		case <-deadline:
			t.Fatalf("no e-mail %q to %s within %s", subject, addr, timeout)
		}
	}
}

// All returns every message that arrived so far.
func (mb *Mailbox) All() []Message {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]Message(nil), mb.messages...)
}

// Count is how many messages arrived.
func (mb *Mailbox) Count() int { mb.mu.Lock(); defer mb.mu.Unlock(); return len(mb.messages) }

// NewSession implements smtp.Backend.
func (mb *Mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }

type mailSession struct {
	mb   *Mailbox
	from string
	to   []string
}

func (s *mailSession) Reset()        { s.from, s.to = "", nil }
func (s *mailSession) Logout() error { return nil }
func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	if s.mb.failNext > 0 {
		s.mb.failNext--
		s.mb.mu.Unlock()
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	s.mb.mu.Unlock()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	text, html, err := readParts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	if err != nil {
		return err
	}
	subject, _ := new(mimeDecoder).DecodeHeader(msg.Header.Get("Subject"))
	s.mb.mu.Lock()
	s.mb.messages = append(s.mb.messages, Message{From: s.from, To: s.to, Subject: subject, Body: text, HTML: html, Header: msg.Header, Raw: string(raw)})
	s.mb.mu.Unlock()
	s.mb.arrived <- struct{}{}
	return nil
}

type mimeDecoder = mime.WordDecoder

// readParts decodes a body: one part, or the text/plain and text/html
// parts of a multipart message (nested ones included).
func readParts(contentType, encoding string, r io.Reader) (text, html string, err error) {
	mt, params, _ := mime.ParseMediaType(contentType)
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(r, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return text, html, nil
			}
			if err != nil {
				return "", "", err
			}
			t, h, err := readParts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if err != nil {
				return "", "", err
			}
			if text == "" {
				text = t
			}
			if html == "" {
				html = h
			}
		}
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return "", "", err
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		body, _ = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
	case "base64":
		body, _ = io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("\r"), nil), []byte("\n"), nil))))
	}
	if mt == "text/html" {
		return "", string(body), nil
	}
	return string(body), "", nil
}

// Last returns the newest message.
func (mb *Mailbox) Last(t testing.TB) Message {
	t.Helper()
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if len(mb.messages) == 0 {
		t.Fatal("no e-mail received")
	}
	return mb.messages[len(mb.messages)-1]
}
