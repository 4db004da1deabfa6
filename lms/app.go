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
	"strings"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/lti"
	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/org"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/sso"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
	"github.com/lectern/lectern/scorm"
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
	LTI        *lti.Service
	Log        *slog.Logger
	// Org is the organisation's name and time zone as Lectern uses them now:
	// the configuration, with what the set-up page saved (see
	// Config.ApplyStored), changed live by the set-up page.
	Org *org.Profile
	// SetupCode is the one-time code that opens the set-up page from
	// another machine, made by Handler while no administrator exists.
	SetupCode string
	assets    Assets
	mail      *notify.Notifier
}

// Open prepares the data directory and database. cfg must be validated.
func Open(cfg Config, assets Assets, log *slog.Logger) (*App, error) {
	for _, d := range []string{cfg.DataDir, cfg.ContentDir(), cfg.StagingDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil { // the owner's only: database, secrets, content
			return nil, fmt.Errorf("data directory: %w", err)
		}
	}
	st, err := store.Open(cfg.Database())
	if err != nil {
		return nil, err
	}
	st.SetCommitRetries(cfg.DBRetries)
	cleanStaging(cfg.StagingDir(), log)
	if err := backfillPassing(context.Background(), st, cfg.ContentDir(), log); err != nil {
		st.Close()
		return nil, err
	}
	l := cfg.LTI
	ltiSvc := lti.New(st, lti.Options{BaseURL: cfg.BaseURL, StateTTL: l.StateTTL, CodeTTL: l.CodeTTL, SessionTTL: l.SessionTTL,
		Leeway: l.Leeway, MaxTokenBytes: l.MaxTokenBytes, MaxResponseBytes: l.MaxResponseBytes, HTTPTimeout: l.HTTPTimeout,
		KeyOverlap: l.KeyOverlap, ScoreMaxAttempts: l.ScoreMaxAttempts, RosterMax: l.RosterMax, RegistrationTTL: l.RegistrationTTL, JWKSRefetch: l.JWKSRefetch, RetryBase: l.RetryBase, ProbeEvery: l.ProbeEvery}, log)
	saved, err := st.Settings(context.Background())
	if err != nil {
		st.Close()
		return nil, err
	}
	if err := cfg.ApplyStored(saved); err != nil {
		log.Warn("saved setting ignored", "err", err)
	}
	profile := org.New(cfg.Organisation, cfg.Location())
	return &App{
		LTI:    ltiSvc,
		Config: cfg,
		Store:  st,
		Importer: &course.Importer{
			Store: st, ContentDir: cfg.ContentDir(), StagingDir: cfg.StagingDir(), Limits: cfg.Package,
			TitleMax: cfg.CourseTitleMax, Log: log,
		},
		Runtime: &runtime.Service{
			Store: st, ContentDir: cfg.ContentDir(), LaunchTTL: cfg.LaunchTTL, SuspendDataMax: cfg.SuspendDataMax, AttemptMaxBytes: cfg.AttemptMaxBytes, Log: log,
		},
		Compliance: &compliance.Service{
			Store: st, Location: cfg.Location(), Org: profile, RecertLeadDays: cfg.RecertLeadDays,
			DueSoonDays: cfg.DueSoonDays, ExpiryNoticeDays: cfg.ExpiryNoticeDays,
		},
		Log:    log,
		Org:    profile,
		assets: assets,
	}, nil
}

// backfillPassing reads the pass criterion of versions imported before
// Lectern knew it (migration 8) from their manifests, once. A version whose
// manifest cannot be read is taken as judging no pass, with a warning.
func backfillPassing(ctx context.Context, st *store.Store, contentDir string, log *slog.Logger) error {
	vs, err := st.VersionsWithoutPassing(ctx)
	if err != nil {
		return err
	}
	for _, v := range vs {
		var pass scorm.Passing
		data, err := os.ReadFile(filepath.Join(contentDir, filepath.FromSlash(v.ContentDir), "imsmanifest.xml"))
		if err == nil {
			var pkg *scorm.Package
			if pkg, err = scorm.Parse(data); err == nil {
				pass = pkg.Passing()
			}
		}
		if err != nil {
			log.Warn("pass criterion unknown: taken as none", "course", v.CourseID, "version", v.Number, "err", err)
		}
		if err := st.SetVersionPassing(ctx, v.ID, pass.Judged, pass.Score); err != nil {
			return err
		}
	}
	return nil
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
	proxies, err := a.Config.Proxies()
	if err != nil {
		return nil, err
	}
	has, err := a.Store.HasAdmin(context.Background())
	if err != nil {
		return nil, err
	}
	if !has && a.SetupCode == "" {
		a.SetupCode = account.NewToken()[:24]
	}
	var ssoClient *sso.Client
	if c := a.Config; c.OIDCIssuer != "" {
		groupMap, _ := ParseGroupMap(c.OIDCGroupMap) // checked by Validate
		ssoClient, err = sso.New(sso.Config{
			Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
			RedirectURL: c.BaseURL + "/login/sso/callback", Scopes: strings.Fields(c.OIDCScopes), Label: c.OIDCLabel,
			MatchEmail: c.OIDCMatch == "email", TrustEmail: c.OIDCTrustEmail, CreateUsers: c.OIDCCreateUsers,
			GroupsClaim: c.OIDCGroupsClaim, GroupMap: groupMap,
		})
		if err != nil {
			return nil, err
		}
	}
	return web.New(web.Options{
		BaseURL:             a.Config.BaseURL,
		TrustedProxies:      proxies,
		TransferTimeout:     a.Config.TransferTimeout,
		SecureCookies:       a.Config.SecureCookies(),
		SessionLifetime:     a.Config.SessionLifetime,
		SessionIdle:         a.Config.SessionIdle,
		LoginMaxFailures:    a.Config.LoginMaxFailures,
		LoginWindow:         a.Config.LoginWindow,
		MaxUploadBytes:      a.Config.MaxUploadBytes,
		MaxFormBytes:        a.Config.MaxFormBytes,
		EvidenceMaxBytes:    a.Config.EvidenceMaxBytes,
		ReportMaxRecipients: a.Config.ReportMaxRecipients,
		CourseLimits: web.CourseLimits{
			TitleMax: a.Config.CourseTitleMax, DescriptionMax: a.Config.CourseDescriptionMax,
			Image: course.ImageLimits{MaxBytes: a.Config.CourseImageMaxBytes, MaxPixels: a.Config.CourseImageMaxPixels},
		},
		StagingDir:       a.Config.StagingDir(),
		ContentURL:       a.Config.ContentURL,
		Organisation:     a.Config.Organisation,
		Location:         a.Config.Location(),
		Org:              a.Org,
		OrgNameFixed:     a.Config.Explicit("organisation"),
		TimeZoneFixed:    a.Config.Explicit("timezone"),
		SetupCode:        a.SetupCode,
		LoginLinkTTL:     a.Config.LoginLinkTTL,
		InviteTTL:        a.Config.InviteTTL,
		ResetTTL:         a.Config.ResetTTL,
		EmailLinkTTL:     a.Config.EmailLinkTTL,
		ResetMaxRequests: a.Config.ResetMaxRequests,
		ResetWindow:      a.Config.ResetWindow,
		Mail:             a.notifier(),
		SSO:              ssoClient,
		SessionKeys:      keys,
		Templates:        a.assets.Templates,
		Static:           a.assets.Static,
	}, a.Store, web.Services{Importer: a.Importer, Runtime: a.Runtime, Compliance: a.Compliance, LTI: a.LTI}, a.Log)
}

// ContentHandler builds the content origin server.
func (a *App) ContentHandler() (*web.ContentServer, error) {
	u, err := url.Parse(a.Config.BaseURL)
	if err != nil {
		return nil, err
	}
	return web.NewContent(web.ContentOptions{
		LMSOrigin:       u.Scheme + "://" + u.Host,
		ContentDir:      a.Config.ContentDir(),
		MaxCommitBytes:  a.Config.MaxCommitBytes,
		TransferTimeout: a.Config.TransferTimeout,
		Templates:       a.assets.Templates,
		Static:          a.assets.Static,
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
	proxies, err := a.Config.Proxies()
	if err != nil {
		lmsLn.Close()
		contentLn.Close()
		return err
	}
	var listeners []net.Listener
	var servers []*http.Server
	for _, s := range []struct {
		h  http.Handler
		ln net.Listener
	}{{h, lmsLn}, {ch, contentLn}} {
		listeners = append(listeners, limitClients(s.ln, a.Config.MaxConnsPerClient, proxies, a.Log))
		// Uploads and content files extend their own deadlines (see web).
		servers = append(servers, &http.Server{Handler: s.h, ReadHeaderTimeout: a.Config.ReadHeaderTimeout,
			ReadTimeout: a.Config.ReadTimeout, WriteTimeout: a.Config.WriteTimeout, IdleTimeout: a.Config.IdleTimeout,
			ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelDebug)})
	}
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if err := h.Sweep(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("sweep sessions", "err", err)
			}
			if err := a.Store.DeleteExpiredLTI(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("sweep LTI states and sessions", "err", err)
			}
			if _, err := a.SweepLaunches(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("sweep launches", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	// One instance at a time (of those sharing the database) runs the
	// notifier and the LTI grade outbox.
	holder := instanceName()
	go runWhileHolding(ctx, a.Store, a.Log, "notifier", holder, jobLeaseTTL, func(ctx context.Context) { a.notifier().Run(ctx, time.Minute) })
	go runWhileHolding(ctx, a.Store, a.Log, "lti-outbox", holder, jobLeaseTTL, func(ctx context.Context) {
		a.LTI.RunOutbox(ctx, a.Config.LTI.OutboxInterval)
	})
	defer h.Close()
	errc := make(chan error, 2)
	go func() { errc <- servers[0].Serve(listeners[0]) }()
	go func() { errc <- servers[1].Serve(listeners[1]) }()
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

// notifier queues and sends the compliance reminders and the account
// emails; without SMTP they wait in the outbox. One per App, so that the
// web server's Wake reaches the running one.
func (a *App) notifier() *notify.Notifier {
	if a.mail != nil {
		return a.mail
	}
	n := &notify.Notifier{
		Store: a.Store, Location: a.Config.Location(), BaseURL: a.Config.BaseURL, Organisation: a.Config.Organisation,
		Org: a.Org, LinkTTL: a.Config.EmailLinkTTL,
		DueSoonDays: a.Config.DueSoonDays, ExpiryNoticeDays: a.Config.ExpiryNoticeDays, Log: a.Log,
	}
	a.mail = n
	if a.Config.SMTPHost != "" {
		sender := &notify.SMTPSender{
			Host: a.Config.SMTPHost, Port: a.Config.SMTPPort, Username: a.Config.SMTPUsername, Password: a.Config.SMTPPassword,
			From: a.Config.SMTPFrom, FromName: a.Config.Organisation, Org: a.Org, TLS: a.Config.SMTPTLS,
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

// Wake asks the running notifier for a round now (queue reminders, send the
// outbox) instead of at its next minute.
func (a *App) Wake() { a.notifier().Wake() }

// SweepLaunches removes the rows of launches that expired longer than
// --launch-retention ago, and returns how many went.
func (a *App) SweepLaunches(ctx context.Context) (int64, error) {
	return a.Store.DeleteOldLaunches(ctx, a.Store.Now().Add(-a.Config.LaunchRetention))
}
