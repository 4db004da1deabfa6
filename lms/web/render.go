package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// layoutFile wraps every page; each other file in templates/ is one page.
const layoutFile = "layout.html"

type pageTemplate struct {
	name string
	t    *template.Template
}

// parsePages parses layout + page for every page file.
func parsePages(fsys fs.FS, funcs template.FuncMap) (map[string]*pageTemplate, error) {
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*pageTemplate{}
	for _, n := range names {
		if n == layoutFile {
			continue
		}
		t, err := template.New(layoutFile).Funcs(funcs).ParseFS(fsys, layoutFile, n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		name := strings.TrimSuffix(n, ".html")
		pages[name] = &pageTemplate{name: name, t: t}
	}
	return pages, nil
}

// PageNames lists the pages the handlers render; a test checks it against
// the files in templates/ so that none is missing or unused.
var PageNames = []string{"login", "home", "player", "course_result", "admin_courses", "admin_course", "error",
	"admin_dashboard", "admin_enrolments", "admin_groups", "admin_group", "verify", "admin_outbox", "admin_settings", "schedule_deliveries", "admin_users", "admin_user", "admin_users_import", "admin_report", "admin_transcript",
	"admin_attempt", "admin_charts", "admin_tokens", "admin_rules", "course_choice", "course_launch", "admin_enrolment",
	"admin_audit_trail", "admin_lti", "admin_lti_scores", "lti_login", "lti_launch", "lti_refused", "lti_waiting", "lti_done", "lti_pick", "lti_return", "lti_report", "lti_register",
	"setup", "forgot", "set_password", "email_link", "account", "confirm",
	"manage_dashboard", "manage_report", "manage_learner", "schedules", "course_unavailable"}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"static": func(name string) string { return "/static/" + s.staticVersion + "/" + name },
		"outline": func(nodes []*treeNode, choice map[string]bool, current string, status map[string]string) outlineView {
			return outlineView{Nodes: nodes, Choice: choice, Current: current, Status: status}
		},
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"date":  s.date,
		"clock": s.clock,
		// when is a date with the time, in the organisation's zone.
		"when": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return s.when(v)
			case *time.Time:
				if v != nil {
					return s.when(*v)
				}
			}
			return ""
		},
		"bytes":         byteSize,
		"catalogueText": func(catalogue string) string { return catalogueWords[catalogue] },
		"source": func(src string) string {
			switch src {
			case store.SourceGroup:
				return "through a group"
			case store.SourceRecertification:
				return "recertification"
			case store.SourceSelf:
				return "self-enrolled"
			}
			return "directly"
		},
		"pct": func(f any) string {
			switch v := f.(type) {
			case float64:
				return compliance.Percent(v)
			case *float64:
				if v != nil {
					return compliance.Percent(*v)
				}
			}
			return ""
		},
		"int":         func(n int64) int { return int(n) },
		"add":         func(a, b int) int { return a + b },
		"sub":         func(a, b int) int { return a - b },
		"statusClass": func(st any) string { return strings.ReplaceAll(fmt.Sprint(st), " ", "-") },
		"copyField": func(id, label, value string) map[string]string {
			return map[string]string{"ID": id, "Label": label, "Value": value}
		},
		"percent": func(p *float64) float64 { return *p * 100 },
		"now":     func() string { return time.Now().UTC().Format("2006-01-02 15:04:05 UTC") },
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
	}
}

// outlineView is one level of the player's course outline.
type outlineView struct {
	Nodes   []*treeNode
	Choice  map[string]bool
	Current string
	Status  map[string]string // item identifier -> "completed", "passed", "failed", "incomplete" or ""
}

// view is what every page template receives.
type view struct {
	Title   string
	User    *store.User
	Manager bool // the user manages groups: the layout links to their teams
	CSRF    string
	Data    any
}

// render writes page with status, wrapping data in the common view.
func (s *Server) render(c echo.Context, status int, page, title string, data any) error {
	pt, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("web: no page %q", page)
	}
	csrf, _ := c.Get(ctxCSRF).(string)
	var buf bytes.Buffer
	if err := pt.t.Execute(&buf, view{Title: title, User: currentUser(c), Manager: s.isManager(c.Request().Context(), currentUser(c)), CSRF: csrf, Data: data}); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// contentVersion hashes the static files so their URLs change when they do and
// can be cached for a year.
func contentVersion(fsys fs.FS) (string, error) {
	h := sha256.New()
	var files []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// static serves embedded files under a versioned URL.
func (s *Server) static(c echo.Context) error {
	name := path.Clean(c.Param("*"))
	if !fs.ValidPath(name) || name == "." {
		return echo.ErrNotFound
	}
	b, err := fs.ReadFile(s.opt.Static, name)
	if err != nil {
		return echo.ErrNotFound
	}
	if c.Param("version") == s.staticVersion {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		c.Response().Header().Set("Cache-Control", "no-cache")
	}
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	return c.Blob(http.StatusOK, ct, b)
}
