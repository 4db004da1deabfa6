// Package lecterntest starts a real Lectern (data folder, SQLite file or,
// with LECTERN_TEST_POSTGRES, a fresh PostgreSQL database, both listeners)
// for tests outside package lms: lms_test and the journey packages.
package lecterntest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
)

// Running is a Lectern serving until the test ends.
type Running struct {
	App *lms.App
	URL string // the LMS origin
}

// Start starts Lectern with the default settings changed by tweak (nil: none).
func Start(t testing.TB, tweak func(*lms.Config)) *Running {
	t.Helper()
	cfg := lms.DefaultConfig()
	cfg.DataDir = t.TempDir()
	// LECTERN_TEST_POSTGRES: a fresh PostgreSQL database (see storetest).
	if dsn := storetest.DSN(t, cfg.DatabasePath()); store.IsPostgres(dsn) {
		cfg.DB = dsn
	}
	cfg.Addr, cfg.ContentAddr = freeAddr(t), freeAddr(t)
	if tweak != nil {
		tweak(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	assets := lms.Assets{
		Templates: os.DirFS(filepath.Join(fixture.Root(), "templates")),
		Static:    os.DirFS(filepath.Join(fixture.Root(), "static")),
	}
	var logTo io.Writer = io.Discard
	if os.Getenv("LECTERN_TEST_LOG") != "" {
		logTo = os.Stderr
	}
	app, err := lms.Open(cfg, assets, slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, func(string, string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
		app.Close()
	})
	return &Running{App: app, URL: app.Config.BaseURL}
}

// Link is a single-use sign-in link for email (opening course, when not 0).
func (r *Running) Link(t testing.TB, email string, course uint) string {
	t.Helper()
	l, err := r.App.LoginLink(context.Background(), email, course)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
