// Package notify delivers messages to people: e-mail for now; in-app
// notifications and realtime events join it later.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// SMTPConfig says where and how to send mail.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string
	TLS      string // starttls, tls or none
}

// SMTPMailer sends plain-text mail through an SMTP server with go-mail,
// a maintained client that handles STARTTLS, implicit TLS, SMTP auth
// discovery and correct MIME encoding of non-ASCII subjects.
type SMTPMailer struct {
	cfg SMTPConfig
}

// NewSMTPMailer checks the sender address once.
func NewSMTPMailer(cfg SMTPConfig) (*SMTPMailer, error) {
	m := mail.NewMsg()
	if err := m.From(cfg.From); err != nil {
		return nil, fmt.Errorf("notify: KINDRED_SMTP_FROM: %w", err)
	}
	return &SMTPMailer{cfg: cfg}, nil
}

func (s *SMTPMailer) client() (*mail.Client, error) {
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(20 * time.Second)}
	switch s.cfg.TLS {
	case "tls":
		opts = append(opts, mail.WithSSL())
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	return mail.NewClient(s.cfg.Host, opts...)
}

// Send delivers one plain-text message.
func (s *SMTPMailer) Send(ctx context.Context, to, subject, text string) error {
	return s.SendMessage(ctx, Message{To: to, Subject: subject, Text: text})
}

// SendMessage delivers a message with its HTML alternative and headers.
func (s *SMTPMailer) SendMessage(ctx context.Context, msg Message) error {
	m := mail.NewMsg()
	if err := m.From(s.cfg.From); err != nil {
		return err
	}
	if err := m.To(msg.To); err != nil {
		return errors.New("notify: the recipient address is not valid")
	}
	m.Subject(msg.Subject)
	for k, v := range msg.Headers {
		m.SetGenHeader(mail.Header(k), v)
	}
	m.SetBodyString(mail.TypeTextPlain, msg.Text)
	if msg.HTML != "" {
		m.AddAlternativeString(mail.TypeTextHTML, msg.HTML)
	}
	c, err := s.client()
	if err != nil {
		return fmt.Errorf("notify: smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		// SMTP replies often quote the recipient; errors end up in logs.
		return fmt.Errorf("notify: send: %s", redactAddresses(err.Error()))
	}
	return nil
}

var addressRe = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+`)

// redactAddresses hides e-mail addresses in text bound for the log.
func redactAddresses(s string) string { return addressRe.ReplaceAllString(s, "[address]") }

// LogMailer writes messages to the log instead of sending them; for
// development without an SMTP server (`make run`). The recipient is
// masked; the body is logged because its link is what the developer needs.
type LogMailer struct {
	Log *slog.Logger
}

// Send logs the message.
func (l *LogMailer) Send(ctx context.Context, to, subject, text string) error {
	l.Log.InfoContext(ctx, "e-mail not sent: no SMTP server configured (development)", "to", MaskEmail(to), "subject", subject, "text", text)
	return nil
}

// SendMessage logs that a notification e-mail would have gone, without its
// text: notification mail can quote members' posts.
func (l *LogMailer) SendMessage(ctx context.Context, m Message) error {
	l.Log.InfoContext(ctx, "notification e-mail not sent: no SMTP server configured (development)", "to", MaskEmail(m.To), "subject", m.Subject)
	return nil
}

// MaskEmail keeps the first letter and the domain: "a…@example.org".
func MaskEmail(addr string) string {
	at := strings.LastIndex(addr, "@")
	if at < 1 {
		return "…"
	}
	return addr[:1] + "…" + addr[at:]
}
