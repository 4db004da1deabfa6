// Package lms is the Lectern application: it wires configuration, the store,
// the services and the web server together.
package lms

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
)

// Assets are the files shipped inside the binary.
type Assets struct {
	Templates fs.FS // templates/
	Static    fs.FS // static/
}

// App is one running Lectern.
type App struct {
	Config     Config
	Store      *store.Store
	Importer   *course.Importer
	Runtime    *runtime.Service
	Compliance *compliance.Service
	Log        *slog.Logger
	assets     Assets
}

// Open prepares the data directory and database. cfg must be validated.
func Open(cfg Config, assets Assets, log *slog.Logger) (*App, error) {
	for _, d := range []string{cfg.DataDir, cfg.ContentDir(), cfg.StagingDir()} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	st, err := store.OpenSQLite(cfg.DatabasePath())
	if err != nil {
		return nil, err
	}
	cleanStaging(cfg.StagingDir(), log)
	return &App{
		Config: cfg,
		Store:  st,
		Importer: &course.Importer{
			Store: st, ContentDir: cfg.ContentDir(), StagingDir: cfg.StagingDir(), Limits: cfg.Package, Log: log,
		},
		Runtime: &runtime.Service{
			Store: st, ContentDir: cfg.ContentDir(), LaunchTTL: cfg.LaunchTTL, SuspendDataMax: cfg.SuspendDataMax, Log: log,
		},
		Compliance: &compliance.Service{
			Store: st, Location: cfg.Location(), RecertLeadDays: cfg.RecertLeadDays,
			DueSoonDays: cfg.DueSoonDays, ExpiryNoticeDays: cfg.ExpiryNoticeDays,
		},
		Log:    log,
		assets: assets,
	}, nil
}

// Close releases the database.
func (a *App) Close() error { return a.Store.Close() }

// cleanStaging removes what an interrupted import left (a crash mid-upload).
func cleanStaging(dir string, log *slog.Logger) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			log.Warn("could not clean staging", "path", e.Name(), "err", err)
		}
	}
}

// Handler builds the LMS web server.
func (a *App) Handler() (*web.Server, error) {
	keys, err := a.sessionKeys()
	if err != nil {
		return nil, err
	}
	return web.New(web.Options{
		BaseURL:          a.Config.BaseURL,
		SecureCookies:    a.Config.SecureCookies(),
		SessionLifetime:  a.Config.SessionLifetime,
		LoginMaxFailures: a.Config.LoginMaxFailures,
		LoginWindow:      a.Config.LoginWindow,
		MaxUploadBytes:   a.Config.MaxUploadBytes,
		StagingDir:       a.Config.StagingDir(),
		ContentURL:       a.Config.ContentURL,
		Organisation:     a.Config.Organisation,
		Location:         a.Config.Location(),
		SessionKeys:      keys,
		Templates:        a.assets.Templates,
		Static:           a.assets.Static,
	}, a.Store, web.Services{Importer: a.Importer, Runtime: a.Runtime, Compliance: a.Compliance}, a.Log)
}

// ContentHandler builds the content origin server.
func (a *App) ContentHandler() (*web.ContentServer, error) {
	u, err := url.Parse(a.Config.BaseURL)
	if err != nil {
		return nil, err
	}
	return web.NewContent(web.ContentOptions{
		LMSOrigin:      u.Scheme + "://" + u.Host,
		ContentDir:     a.Config.ContentDir(),
		MaxCommitBytes: a.Config.MaxCommitBytes,
		Templates:      a.assets.Templates,
		Static:         a.assets.Static,
	}, a.Runtime, a.Store, a.Log)
}

// sessionKeys reads the cookie keys from the data directory, creating them on
// first start. Deleting the file signs everybody out.
func (a *App) sessionKeys() ([][]byte, error) {
	path := filepath.Join(a.Config.DataDir, "session.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b = make([]byte, 64+32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, fmt.Errorf("session key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if len(b) != 96 {
		return nil, fmt.Errorf("session key %s: want 96 bytes, found %d", path, len(b))
	}
	return [][]byte{b[:64], b[64:]}, nil
}

// Serve runs the LMS and the content origin until ctx ends, then shuts both
// down gracefully. ready receives the two listening addresses.
func (a *App) Serve(ctx context.Context, ready func(lmsAddr, contentAddr string)) error {
	h, err := a.Handler()
	if err != nil {
		return err
	}
	ch, err := a.ContentHandler()
	if err != nil {
		return err
	}
	lmsLn, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return err
	}
	contentLn, err := net.Listen("tcp", a.Config.ContentAddr)
	if err != nil {
		lmsLn.Close()
		return err
	}
	servers := []*http.Server{
		{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute},
		{Handler: ch, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute},
	}
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if err := h.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("sweep sessions", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	go a.notifier().Run(ctx, time.Minute)
	errc := make(chan error, 2)
	go func() { errc <- servers[0].Serve(lmsLn) }()
	go func() { errc <- servers[1].Serve(contentLn) }()
	if ready != nil {
		ready(lmsLn.Addr().String(), contentLn.Addr().String())
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, srv := range servers {
		if serr := srv.Shutdown(shut); err == nil {
			err = serr
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// notifier queues and sends the compliance reminders; without SMTP they wait
// in the outbox.
func (a *App) notifier() *notify.Notifier {
	n := &notify.Notifier{
		Store: a.Store, Location: a.Config.Location(), BaseURL: a.Config.BaseURL, Organisation: a.Config.Organisation,
		DueSoonDays: a.Config.DueSoonDays, ExpiryNoticeDays: a.Config.ExpiryNoticeDays, Log: a.Log,
	}
	if a.Config.SMTPHost != "" {
		sender := &notify.SMTPSender{
			Host: a.Config.SMTPHost, Port: a.Config.SMTPPort, Username: a.Config.SMTPUsername, Password: a.Config.SMTPPassword,
			From: a.Config.SMTPFrom, FromName: a.Config.Organisation, TLS: a.Config.SMTPTLS,
		}
		if err := sender.Check(); err != nil {
			a.Log.Error("SMTP settings refused; reminders wait in the outbox", "err", err)
		} else {
			n.Sender = sender
		}
	}
	return n
}

// AddUser creates a user. With an empty password it generates one and
// returns it; it is shown once and never stored in clear.
func (a *App) AddUser(ctx context.Context, email, name, password string, admin bool) (*store.User, string, error) {
	if !account.ValidEmail(email) {
		return nil, "", fmt.Errorf("%q is not an email address", email)
	}
	if name == "" {
		return nil, "", errors.New("a name is required")
	}
	generated := ""
	if password == "" {
		password = account.GeneratePassword()
		generated = password
	}
	if err := account.CheckPasswordPolicy(password); err != nil {
		return nil, "", err
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return nil, "", err
	}
	u := &store.User{Email: email, Name: name, PasswordHash: hash, Admin: admin}
	if err := a.Store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, "", fmt.Errorf("a user with the email %s already exists", store.NormalizeEmail(email))
		}
		return nil, "", err
	}
	return u, generated, nil
}

// LoginLink creates a single-use sign-in link for email, optionally opening a
// course.
func (a *App) LoginLink(ctx context.Context, email string, courseID uint) (string, error) {
	u, err := a.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("no user with the email %s", store.NormalizeEmail(email))
	} else if err != nil {
		return "", err
	}
	if !u.Active {
		return "", fmt.Errorf("the user %s is deactivated", u.Email)
	}
	var cid *uint
	if courseID != 0 {
		if _, err := a.Store.CourseByID(ctx, courseID); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return "", fmt.Errorf("no course with id %d", courseID)
			}
			return "", err
		}
		cid = &courseID
	}
	token := account.NewToken()
	if err := a.Store.CreateLoginLink(ctx, account.HashToken(token), u.ID, cid, a.Config.LoginLinkTTL); err != nil {
		return "", err
	}
	return a.Config.BaseURL + "/login/link/" + token, nil
}
