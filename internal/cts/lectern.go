package cts

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/course"
)

// Lectern is a real Lectern served in-process for the conformance run.
type Lectern struct {
	App *lms.App
	URL string // the LMS origin

	mu      sync.Mutex
	courses map[string]*Course
}

// Course is one imported test package.
type Course struct {
	Package   string
	ID        uint
	Root      string // identifier of the default organization (the root activity)
	RootTitle string
	Items     []Item // depth first
}

// Item is one item of the package's default organization.
type Item struct {
	Identifier, Title, Act string // Act: the act= parameter of its launch URL
}

// ByTitle finds the item with a title ("" when there is none).
func (c *Course) ByTitle(title string) *Item {
	for i := range c.Items {
		if strings.TrimSpace(c.Items[i].Title) == strings.TrimSpace(title) {
			return &c.Items[i]
		}
	}
	return nil
}

// Learner is a user the tests run as.
type Learner struct {
	Email string
	ID    string // cmi.learner_id
	Name  string
}

// StartLectern opens a Lectern with its data in dataDir, serving the
// templates and static files of the repository at root on two free loopback
// ports, until ctx ends. stop waits for the shutdown.
func StartLectern(ctx context.Context, root, dataDir string, log *slog.Logger) (l *Lectern, stop func(), err error) {
	cfg := lms.DefaultConfig()
	cfg.DataDir = dataDir
	if cfg.Addr, err = freeAddr(); err != nil {
		return nil, nil, err
	}
	if cfg.ContentAddr, err = freeAddr(); err != nil {
		return nil, nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	app, err := lms.Open(cfg, lms.Assets{
		Templates: os.DirFS(filepath.Join(root, "templates")),
		Static:    os.DirFS(filepath.Join(root, "static")),
	}, log)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, func(string, string) { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		app.Close()
		return nil, nil, fmt.Errorf("serve: %w", err)
	}
	stop = func() {
		cancel()
		<-done
		app.Close()
	}
	return &Lectern{App: app, URL: app.Config.BaseURL, courses: map[string]*Course{}}, stop, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Import imports a package's zip once and returns its course.
func (l *Lectern) Import(ctx context.Context, s *Suite, pkg string) (*Course, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.courses[pkg]; c != nil {
		return c, nil
	}
	res, err := l.App.Importer.Import(ctx, s.Zip(pkg), course.Options{Filename: pkg + ".zip"})
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", pkg, err)
	}
	if res.ID == nil {
		return nil, fmt.Errorf("import %s: no course id", pkg)
	}
	c := &Course{Package: pkg, ID: *res.ID}
	for _, o := range res.Organizations {
		if o.Default || c.Root == "" {
			c.Root, c.RootTitle = o.Identifier, o.Title
			c.Items = c.Items[:0]
			var walk func([]course.Item)
			walk = func(items []course.Item) {
				for _, it := range items {
					c.Items = append(c.Items, Item{Identifier: it.Identifier, Title: it.Title, Act: actOf(it.Launch)})
					walk(it.Children)
				}
			}
			walk(o.Items)
		}
	}
	l.courses[pkg] = c
	return c, nil
}

func actOf(launch string) string {
	_, q, ok := strings.Cut(launch, "?")
	if !ok {
		return ""
	}
	v, err := url.ParseQuery(q)
	if err != nil {
		return ""
	}
	return v.Get("act")
}

// AddLearner creates a learner account.
func (l *Lectern) AddLearner(ctx context.Context, email, name string) (*Learner, error) {
	u, _, err := l.App.AddUser(ctx, email, name, "", false)
	if err != nil {
		return nil, err
	}
	return &Learner{Email: email, ID: fmt.Sprint(u.ID), Name: u.Name}, nil
}

// Link is a single-use sign-in link that opens a course.
func (l *Lectern) Link(ctx context.Context, who *Learner, courseID uint) (string, error) {
	return l.App.LoginLink(ctx, who.Email, courseID)
}

// Enrol enrols the learner in a course, as an admin would assign it: courses
// are for enrolled learners only. Enrolling again changes nothing.
func (l *Lectern) Enrol(ctx context.Context, who *Learner, courseID uint) error {
	u, err := l.App.Store.UserByEmail(ctx, who.Email)
	if err != nil {
		return err
	}
	if _, _, err := l.App.Store.Enrol(ctx, u.ID, courseID, nil); err != nil {
		return fmt.Errorf("enrol %s in course %d: %w", who.Email, courseID, err)
	}
	return nil
}
