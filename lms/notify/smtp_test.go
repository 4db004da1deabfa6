package notify_test

import (
	"bytes"
	"context"
	"errors"
	"mime"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/notify"
)

func sender(mb *mailbox, tls string) *notify.SMTPSender {
	return &notify.SMTPSender{Host: mb.Host, Port: mb.Port, From: "lectern@tea.example", TLS: tls,
		Timeout: 5 * time.Second, LocalName: "lectern.test"}
}

func TestSMTPTransportSecurity(t *testing.T) {
	serverTLS, clientTLS := testCert(t)
	tests := []struct {
		name    string
		server  mailboxOptions
		mode    string
		user    string
		pass    string
		wantTLS bool
		wantErr string // "" for success
	}{
		{name: "starttls", server: mailboxOptions{StartTLS: serverTLS}, mode: notify.TLSStartTLS, wantTLS: true},
		{name: "starttls is the default", server: mailboxOptions{StartTLS: serverTLS}, mode: "", wantTLS: true},
		{name: "implicit tls", server: mailboxOptions{ImplicitTLS: serverTLS}, mode: notify.TLSImplicit, wantTLS: true},
		{name: "none", mode: notify.TLSNone},
		{name: "starttls not offered", mode: notify.TLSStartTLS, wantErr: "does not offer STARTTLS"},
		{name: "auth over starttls", server: mailboxOptions{StartTLS: serverTLS, User: "lectern", Pass: "s3cret"},
			mode: notify.TLSStartTLS, user: "lectern", pass: "s3cret", wantTLS: true},
		{name: "auth in clear to localhost", server: mailboxOptions{User: "lectern", Pass: "s3cret"},
			mode: notify.TLSNone, user: "lectern", pass: "s3cret"},
		{name: "wrong password", server: mailboxOptions{StartTLS: serverTLS, User: "lectern", Pass: "s3cret"},
			mode: notify.TLSStartTLS, user: "lectern", pass: "wrong", wantErr: "AUTH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mb := startMailbox(t, tt.server)
			s := sender(mb, tt.mode)
			s.Username, s.Password = tt.user, tt.pass
			s.TLSConfig = clientTLS
			err := s.Send(context.Background(), "ann@tea.example", "Hello", "Body\n")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one about %q", err, tt.wantErr)
				}
				if errors.As(err, new(*notify.RejectedError)) {
					t.Errorf("err %v is a rejection of the message; it is the connection's failure", err)
				}
				if n := len(mb.Received()); n != 0 {
					t.Errorf("%d messages delivered despite the error", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			got := mb.Received()
			if len(got) != 1 {
				t.Fatalf("received %d messages, want 1", len(got))
			}
			if got[0].TLS != tt.wantTLS {
				t.Errorf("delivered over TLS: %v, want %v", got[0].TLS, tt.wantTLS)
			}
			if got[0].User != tt.user {
				t.Errorf("authenticated as %q, want %q", got[0].User, tt.user)
			}
			if got[0].From != "lectern@tea.example" || strings.Join(got[0].To, ",") != "ann@tea.example" {
				t.Errorf("envelope %q -> %q", got[0].From, got[0].To)
			}
		})
	}
}

func TestSMTPCheck(t *testing.T) {
	tests := []struct {
		name    string
		s       notify.SMTPSender
		wantErr string
	}{
		{"ok", notify.SMTPSender{Host: "mail.tea.example", From: "lectern@tea.example"}, ""},
		{"no host", notify.SMTPSender{From: "lectern@tea.example"}, "no host"},
		{"bad mode", notify.SMTPSender{Host: "mail.tea.example", From: "lectern@tea.example", TLS: "ssl"}, "TLS mode"},
		{"bad from", notify.SMTPSender{Host: "mail.tea.example", From: "lectern"}, "sender"},
		{"password in clear", notify.SMTPSender{Host: "mail.tea.example", From: "lectern@tea.example", TLS: notify.TLSNone,
			Username: "u", Password: "p"}, "without TLS"},
		{"password in clear to localhost", notify.SMTPSender{Host: "localhost", From: "lectern@tea.example", TLS: notify.TLSNone,
			Username: "u", Password: "p"}, ""},
	}
	for _, tt := range tests {
		err := tt.s.Check()
		if (tt.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.wantErr)
		}
	}
	// Send refuses too, before connecting anywhere.
	s := notify.SMTPSender{Host: "mail.tea.example", From: "lectern@tea.example", TLS: notify.TLSNone, Username: "u", Password: "p"}
	if err := s.Send(context.Background(), "ann@tea.example", "s", "b"); err == nil {
		t.Errorf("send with a password in clear: no error")
	}
}

func TestSMTPRecipientRejected(t *testing.T) {
	mb := startMailbox(t, mailboxOptions{})
	for _, to := range []string{"not an address", "ann@tea.example\r\nRCPT TO:<victim@evil.example>"} {
		err := sender(mb, notify.TLSNone).Send(context.Background(), to, "s", "b")
		if !errors.As(err, new(*notify.RejectedError)) {
			t.Errorf("to %q: err %v, want a RejectedError", to, err)
		}
	}
	mb.Refuse(true)
	err := sender(mb, notify.TLSNone).Send(context.Background(), "ann@tea.example", "s", "b")
	if !errors.As(err, new(*notify.RejectedError)) || !strings.Contains(err.Error(), "451") {
		t.Errorf("refused recipient: err %v, want a RejectedError with the server's answer", err)
	}
	if mb.Rcpts() != 1 || len(mb.Received()) != 0 {
		t.Errorf("server saw %d recipients and %d messages, want 1 and 0", mb.Rcpts(), len(mb.Received()))
	}
}

func TestSMTPTimeout(t *testing.T) {
	// A server that accepts and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := &notify.SMTPSender{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, From: "lectern@tea.example",
		TLS: notify.TLSNone, Timeout: 200 * time.Millisecond}
	err = s.Send(context.Background(), "ann@tea.example", "s", "b")
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("silent server: %v, want a timeout error", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	s.Timeout = time.Minute
	time.AfterFunc(100*time.Millisecond, cancel)
	// With a one-minute timeout, only the cancellation can end the call
	// early; the test's own deadline would catch a call that ignores it.
	if err := s.Send(ctx, "ann@tea.example", "s", "b"); err == nil {
		t.Fatal("no error after cancellation")
	} else if !errors.Is(err, context.Canceled) && !errors.As(err, &ne) {
		t.Errorf("cancellation: %v, want the context's or the connection's error", err)
	}
}

func TestFormat(t *testing.T) {
	from := &mail.Address{Name: "Tea\r\nBcc: x@evil.example", Address: "lectern@tea.example"}
	to := &mail.Address{Address: "ann@tea.example"}
	subject := "Überfällig: " + strings.Repeat("Grüner Tee für Fortgeschrittene ", 6) + "\r\nBcc: victim@evil.example"
	body := "Zeile eins\n.\nEine sehr lange Zeile " + strings.Repeat("mit vielen Wörtern ", 10) + "\n"
	raw, err := notify.Format(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), from, to, subject, body)
	if err != nil {
		t.Fatal(err)
	}
	// Encoded words are at most 75 characters, and folded apart: no line
	// comes near the limit of 998.
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 90 {
			t.Errorf("line %d is %d characters long: %q", i+1, len(line), line)
		}
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) ||
		bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Errorf("bare CR or LF in the message")
	}
	m := decode(t, received{Data: raw})
	if want := notify.Clean(subject); m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	if m.Header.Get("Bcc") != "" {
		t.Errorf("a Bcc header got in")
	}
	if got := m.Header.Get("Date"); got != "Sun, 01 Mar 2026 09:00:00 +0000" {
		t.Errorf("Date %q", got)
	}
	fromHdr, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("From"))
	if err != nil || !strings.Contains(fromHdr, "Tea Bcc: x@evil.example") {
		t.Errorf("From %q (%v)", fromHdr, err)
	}
	if m.Body != body {
		t.Errorf("body %q, want %q", m.Body, body)
	}
}
