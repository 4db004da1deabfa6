package notify

import (
	"github.com/lectern/lectern/lms/org"

	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// SMTP transport security.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which must be offered
	TLSImplicit = "tls"      // TLS from the first byte (usually port 465)
	TLSNone     = "none"     // no encryption: only for a relay on the same host or network
)

// DefaultTimeout bounds one message's whole SMTP conversation.
const DefaultTimeout = 30 * time.Second

// SMTPSender sends each message over its own SMTP connection.
type SMTPSender struct {
	Host      string
	Port      int    // 0: 587 for starttls, 465 for tls, 25 for none
	Username  string // empty: no authentication
	Password  string
	From      string       // "lectern@example.org" or "Example <lectern@example.org>"
	FromName  string       // display name when From has none, e.g. the organisation
	Org       *org.Profile // when set, its name is the display name instead of FromName
	TLS       string       // TLSStartTLS (when empty), TLSImplicit or TLSNone
	Timeout   time.Duration
	LocalName string      // name given in EHLO; empty: this machine's host name
	TLSConfig *tls.Config // nil: system roots, server name Host
}

// Check reports settings that can never work. AUTH PLAIN sends the password
// as it is, so it is refused without TLS unless the server is this machine.
func (s *SMTPSender) Check() error {
	if s.Host == "" {
		return errors.New("notify: smtp: no host")
	}
	switch s.TLS {
	case "", TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("notify: smtp: TLS mode %q: want starttls, tls or none", s.TLS)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return fmt.Errorf("notify: smtp: sender %q: %w", s.From, err)
	}
	if s.Username != "" && s.TLS == TLSNone && !isLocalhost(s.Host) {
		return fmt.Errorf("notify: smtp: will not send the password to %s without TLS", s.Host)
	}
	return nil
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func (s *SMTPSender) addr() string {
	port := s.Port
	if port == 0 {
		switch s.TLS {
		case TLSImplicit:
			port = 465
		case TLSNone:
			port = 25
		default:
			port = 587
		}
	}
	return net.JoinHostPort(s.Host, strconv.Itoa(port))
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		c = s.TLSConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.Host
	}
	return c
}

// Send delivers one plain-text message to one address. A refusal of this
// message by the server (MAIL, RCPT or DATA answered with an error, or a
// malformed recipient) is a *RejectedError.
func (s *SMTPSender) Send(ctx context.Context, to, subject, body string) error {
	if err := s.Check(); err != nil {
		return err
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return &RejectedError{Err: fmt.Errorf("recipient %q: %w", to, err)}
	}
	from, _ := mail.ParseAddress(s.From)
	if from.Name == "" {
		name := s.FromName
		if s.Org != nil {
			name = s.Org.Name()
		}
		from.Name = Clean(name)
	}
	msg, err := Format(time.Now(), from, rcpt, subject, body)
	if err != nil {
		return err
	}
	return s.deliver(ctx, from, rcpt, msg)
}

// SendAttachment delivers one plain-text message with a file attached.
func (s *SMTPSender) SendAttachment(ctx context.Context, to, subject, body string, a Attachment) error {
	if err := s.Check(); err != nil {
		return err
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return &RejectedError{Err: fmt.Errorf("recipient %q: %w", to, err)}
	}
	from, _ := mail.ParseAddress(s.From)
	if from.Name == "" {
		name := s.FromName
		if s.Org != nil {
			name = s.Org.Name()
		}
		from.Name = Clean(name)
	}
	msg, err := FormatAttachment(time.Now(), from, rcpt, subject, body, a)
	if err != nil {
		return err
	}
	return s.deliver(ctx, from, rcpt, msg)
}

// deliver hands one formatted message to the server.
func (s *SMTPSender) deliver(ctx context.Context, from, rcpt *mail.Address, msg []byte) error {
	var err error
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var conn net.Conn
	dialer := &net.Dialer{}
	if s.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: s.tlsConfig()}).DialContext(ctx, "tcp", s.addr())
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", s.addr())
	}
	if err != nil {
		return fmt.Errorf("notify: smtp: connect: %w", err)
	}
	// net/smtp knows no contexts: a deadline bounds every read and write, and
	// cancellation moves it into the past to unblock them.
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("notify: smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(s.localName()); err != nil {
		return fmt.Errorf("notify: smtp: EHLO: %w", err)
	}
	if s.TLS == "" || s.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("notify: smtp: %s does not offer STARTTLS", s.Host)
		}
		if err := c.StartTLS(s.tlsConfig()); err != nil {
			return fmt.Errorf("notify: smtp: STARTTLS: %w", err)
		}
	}
	if s.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("notify: smtp: %s does not offer authentication", s.Host)
		}
		// PlainAuth itself refuses to send the password in clear to
		// anything but localhost.
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("notify: smtp: AUTH: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return refusal("MAIL FROM", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return refusal("RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return refusal("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("notify: smtp: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return refusal("DATA", err)
	}
	// The message is accepted; a failing QUIT does not change that.
	c.Quit()
	return nil
}

// refusal makes a server's answer to a command about this message a
// RejectedError; a broken connection stays an ordinary error.
func refusal(stage string, err error) error {
	err = fmt.Errorf("notify: smtp: %s: %w", stage, err)
	if tpe := (*textproto.Error)(nil); errors.As(err, &tpe) {
		return &RejectedError{Err: err}
	}
	return err
}

func (s *SMTPSender) localName() string {
	if s.LocalName != "" {
		return s.LocalName
	}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// Format writes an RFC 5322 message: Date, From, To, Subject, Message-ID and
// MIME headers, and the body as quoted-printable UTF-8 text. Header values
// are cleaned to one line and encoded where not plain ASCII, so no value can
// start a header of its own.
func Format(now time.Time, from, to *mail.Address, subject, body string) ([]byte, error) {
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return nil, fmt.Errorf("notify: message id: %w", err)
	}
	header("Date", now.Format(time.RFC1123Z))
	header("From", address(from))
	header("To", address(to))
	header("Subject", encodeHeader(Clean(subject)))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies, please
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\r\n", "\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// FormatAttachment writes a multipart/mixed message: the text as Format
// writes it, then the file, base64-encoded.
func FormatAttachment(now time.Time, from, to *mail.Address, subject, body string, a Attachment) ([]byte, error) {
	plain, err := Format(now, from, to, subject, body)
	if err != nil {
		return nil, err
	}
	head, text, _ := bytes.Cut(plain, []byte("\r\n\r\n"))
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, line := range strings.Split(string(head), "\r\n") {
		if strings.HasPrefix(line, "Content-Type:") || strings.HasPrefix(line, "Content-Transfer-Encoding:") {
			continue
		}
		b.WriteString(line + "\r\n")
	}
	b.WriteString("Content-Type: multipart/mixed; boundary=" + mw.Boundary() + "\r\n\r\n")
	pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, err
	}
	pw.Write(text)
	name := Clean(a.Name)
	ctype, params, err := mime.ParseMediaType(a.ContentType)
	if err != nil {
		ctype, params = "application/octet-stream", map[string]string{}
	}
	params["name"] = name
	aw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {mime.FormatMediaType(ctype, params)},
		"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return nil, err
	}
	enc := base64.StdEncoding.EncodeToString(a.Data)
	for len(enc) > 76 {
		aw.Write([]byte(enc[:76] + "\r\n"))
		enc = enc[76:]
	}
	aw.Write([]byte(enc + "\r\n"))
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func address(a *mail.Address) string {
	c := *a
	c.Name = Clean(c.Name)
	return c.String()
}

// encodeHeader Q-encodes a value that is not plain ASCII, folding between
// encoded words so that no line grows past the limit.
func encodeHeader(v string) string {
	e := mime.QEncoding.Encode("utf-8", v)
	if e == v {
		return v
	}
	return strings.ReplaceAll(e, "?= =?", "?=\r\n =?")
}
