package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

// ContentOptions configure the content origin.
type ContentOptions struct {
	LMSOrigin      string // scheme://host:port of the LMS, the only page allowed to frame the player
	ContentDir     string // where course versions are unpacked
	MaxCommitBytes int64  // largest commit body accepted
	// TransferTimeout is the write deadline of a content file (a large
	// video on a slow line), beyond the server's write timeout.
	TransferTimeout time.Duration
	Templates       fs.FS
	Static          fs.FS
}

// ContentServer serves the content origin: the player frame that hosts the
// SCORM API, the packages' files, and the run-time endpoints. It holds no
// LMS session: every request is authorised by a launch token bound to one
// attempt and one SCO, so content written by others cannot act as the user.
type ContentServer struct {
	opt           ContentOptions
	rt            *runtime.Service
	store         *store.Store
	log           *slog.Logger
	echo          *echo.Echo
	frame         *template.Template
	staticVersion string
	schemas       map[string][]byte // name -> body, for the static route

	mu      sync.Mutex
	folders map[string]contentFolder // token hash -> folder, to keep the database off the asset path
}

type contentFolder struct {
	dir     string
	lti     bool // the launch's learner came from an LTI platform
	checked time.Time
	expires time.Time // the launch's expiry when checked
	gen     int64     // the store's launch generation when checked
}

// NewContent builds the content origin server.
func NewContent(opt ContentOptions, rt *runtime.Service, st *store.Store, log *slog.Logger) (*ContentServer, error) {
	cs := &ContentServer{opt: opt, rt: rt, store: st, log: log, folders: map[string]contentFolder{}, schemas: map[string][]byte{}}
	var err error
	if cs.staticVersion, err = contentVersion(opt.Static); err != nil {
		return nil, err
	}
	for _, v := range []cmi.Version{cmi.V12, cmi.V2004} {
		b, err := cmi.Schema(v)
		if err != nil {
			return nil, err
		}
		cs.schemas["cmi-"+string(v)+".json"] = b
	}
	funcs := template.FuncMap{"static": func(name string) string { return "/static/" + cs.staticVersion + "/" + name }}
	if cs.frame, err = template.New("player_frame.html").Funcs(funcs).ParseFS(opt.Templates, "content/player_frame.html"); err != nil {
		return nil, fmt.Errorf("web: content template: %w", err)
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = cs.handleError
	e.Use(cs.recoverPanics, cs.requestLog, compressStatic())
	for _, r := range cs.routeTable() {
		e.Add(r.Method, r.Path, r.handler)
	}
	cs.echo = e
	return cs, nil
}

// routeTable is every route of the content origin. All are Runtime: the
// token in the path or body is the only authority.
func (cs *ContentServer) routeTable() []Route {
	return []Route{
		{http.MethodGet, "/healthz", Public, func(c echo.Context) error { return c.String(http.StatusOK, "ok") }},
		{http.MethodGet, "/readyz", Public, func(c echo.Context) error { return readiness(c, cs.store, cs.log) }},
		{http.MethodGet, "/static/:version/*", Public, cs.static},
		{http.MethodGet, "/player/:token", Runtime, cs.player},
		{http.MethodGet, "/c/:token/*", Runtime, cs.content},
		{http.MethodPost, "/rt/start", Runtime, cs.start},
		{http.MethodPost, "/rt/commit", Runtime, cs.commit},
		{http.MethodPost, "/rt/nav", Runtime, cs.nav},
	}
}

// Routes lists the content origin's route table.
func (cs *ContentServer) Routes() []Route { return cs.routeTable() }

// ServeHTTP makes the server an http.Handler.
func (cs *ContentServer) ServeHTTP(w http.ResponseWriter, r *http.Request) { cs.echo.ServeHTTP(w, r) }

func (cs *ContentServer) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				cs.log.Error("panic", "path", c.Request().URL.Path, "panic", fmt.Sprint(r))
				err = echo.NewHTTPError(http.StatusInternalServerError)
			}
		}()
		return next(c)
	}
}

func (cs *ContentServer) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		r := c.Request()
		p := r.URL.Path
		if i := strings.Index(p[1:], "/"); i > 0 && (strings.HasPrefix(p, "/c/") || strings.HasPrefix(p, "/player/")) {
			p = p[:i+1] + "/…" // tokens stay out of the log
		}
		cs.log.LogAttrs(r.Context(), slog.LevelDebug, "content request", slog.String("method", r.Method),
			slog.String("path", p), slog.Int("status", c.Response().Status), slog.Duration("took", time.Since(start)))
		return nil
	}
}

// compressStatic gzips the shim, the schemas and the CSS: loaded on every
// launch, they shrink to a quarter. Content files are served as packaged.
func compressStatic() echo.MiddlewareFunc {
	return middleware.GzipWithConfig(middleware.GzipConfig{
		Skipper: func(c echo.Context) bool { return !strings.HasPrefix(c.Request().URL.Path, "/static/") },
	})
}

// frameHeaders: only the LMS (and the player itself) may frame content. A
// learner who came from an LTI platform sees the LMS's player inside the
// platform's page, whose origin is not known in advance; every ancestor
// counts for frame-ancestors, so their content may be framed anywhere (it
// still answers only to the launch token).
func (cs *ContentServer) frameHeaders(c echo.Context, lti bool) {
	h := c.Response().Header()
	if lti {
		h.Set("Content-Security-Policy", "frame-ancestors *")
	} else {
		h.Set("Content-Security-Policy", "frame-ancestors 'self' "+cs.opt.LMSOrigin)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

type frameView struct {
	Token, Version, Schema, LMSOrigin string
}

// player serves the player frame: a page that hosts the API and frames the SCO.
func (cs *ContentServer) player(c echo.Context) error {
	token := c.Param("token")
	l, err := cs.store.LaunchByToken(c.Request().Context(), account.HashToken(token))
	if err != nil {
		return err
	}
	v, err := cs.store.VersionByID(c.Request().Context(), l.Attempt.VersionID)
	if err != nil {
		return err
	}
	dm := "2004"
	if v.Edition == "1.2" {
		dm = "1.2"
	}
	var buf bytes.Buffer
	err = cs.frame.Execute(&buf, frameView{Token: token, Version: dm, Schema: "/static/" + cs.staticVersion + "/cmi-" + dm + ".json", LMSOrigin: cs.opt.LMSOrigin})
	if err != nil {
		return err
	}
	lti, err := cs.store.LaunchOfLTIUser(c.Request().Context(), account.HashToken(token))
	if err != nil {
		return err
	}
	cs.frameHeaders(c, lti)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

// content serves a file of the launch's course version.
func (cs *ContentServer) content(c echo.Context) error {
	dir, lti, err := cs.folderOf(c, c.Param("token"))
	if err != nil {
		return contentRefused(err)
	}
	rel, err := url.PathUnescape(c.Param("*"))
	if err != nil {
		rel = c.Param("*")
	}
	rel = path.Clean("/" + rel)[1:]
	if rel == "" || !fs.ValidPath(rel) {
		return echo.ErrNotFound
	}
	root, err := os.OpenRoot(dir) // no path can leave the version's folder, links included
	if err != nil {
		return echo.ErrNotFound
	}
	defer root.Close()
	f, err := root.Open(filepath.FromSlash(rel))
	if err != nil {
		return echo.ErrNotFound
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return echo.ErrNotFound
	}
	cs.frameHeaders(c, lti)
	h := c.Response().Header()
	h.Set("Content-Type", contentType(rel))
	h.Set("Cache-Control", "private, max-age=3600")
	if cs.opt.TransferTimeout > 0 {
		_ = http.NewResponseController(c.Response().Writer).SetWriteDeadline(time.Now().Add(cs.opt.TransferTimeout))
	}
	http.ServeContent(c.Response(), c.Request(), fi.Name(), fi.ModTime(), f)
	return nil
}

// contentRefused answers a file request of a launch that is no longer live
// with 410 Gone and a sentence that says why.
func contentRefused(err error) error {
	switch {
	case errors.Is(err, store.ErrLaunchExpired):
		return echo.NewHTTPError(http.StatusGone, "This launch has expired. Open the course again from Lectern.")
	case errors.Is(err, store.ErrLaunchSuperseded):
		return echo.NewHTTPError(http.StatusGone, "This course was opened in another window; this window no longer shows it.")
	case errors.Is(err, store.ErrLaunchEnded):
		return echo.NewHTTPError(http.StatusGone, "This session has ended. Open the course again from Lectern.")
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "This launch is not known. Open the course again from Lectern.")
	}
	return err
}

// serverScripts are extensions of files a web server might run; a package
// may hold them, but they are only ever served as bytes.
var serverScripts = map[string]bool{".php": true, ".php3": true, ".php4": true, ".php5": true, ".phtml": true, ".phar": true,
	".cgi": true, ".pl": true, ".py": true, ".asp": true, ".aspx": true, ".jsp": true, ".shtml": true, ".htaccess": true}

// contentType is the type a package file is served as: its extension's
// type, or application/octet-stream when the extension is unknown or a
// server script. It is never guessed from the bytes (a file of unknown
// type sniffed as text/html would run as a page of the content origin).
func contentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if strings.HasPrefix(path.Base(name), ".ht") || serverScripts[ext] {
		return "application/octet-stream"
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// folderOf resolves a launch token to its content folder, remembering the
// answer for up to a minute so that a page with a hundred assets costs one
// query. The answer is looked up again as soon as any launch ends (the
// store's launch generation moves) or this one's expiry passes, so an
// expired, superseded or terminated launch serves nothing.
func (cs *ContentServer) folderOf(c echo.Context, token string) (string, bool, error) {
	key := account.HashToken(token)
	gen := cs.store.LaunchGeneration()
	now := cs.store.Now()
	cs.mu.Lock()
	f, ok := cs.folders[key]
	cs.mu.Unlock()
	if ok && f.gen == gen && now.Sub(f.checked) < time.Minute && now.Before(f.expires) {
		return f.dir, f.lti, nil
	}
	lc, err := cs.store.ContentOfLaunch(c.Request().Context(), key)
	if err != nil {
		cs.mu.Lock()
		delete(cs.folders, key)
		cs.mu.Unlock()
		return "", false, err
	}
	lti, err := cs.store.LaunchOfLTIUser(c.Request().Context(), key)
	if err != nil {
		return "", false, err
	}
	dir := filepath.Join(cs.opt.ContentDir, filepath.FromSlash(lc.Dir))
	cs.mu.Lock()
	if len(cs.folders) > 10_000 {
		clear(cs.folders)
	}
	cs.folders[key] = contentFolder{dir: dir, lti: lti, checked: now, expires: lc.ExpiresAt, gen: gen}
	cs.mu.Unlock()
	return dir, lti, nil
}

// static serves the shim, its CSS, and the data-model schemas.
func (cs *ContentServer) static(c echo.Context) error {
	name := path.Clean(c.Param("*"))
	b, ok := cs.schemas[name]
	ct := "application/json"
	if !ok {
		var err error
		if b, err = fs.ReadFile(cs.opt.Static, name); err != nil || !fs.ValidPath(name) {
			return echo.ErrNotFound
		}
		if ct = mime.TypeByExtension(path.Ext(name)); ct == "" {
			ct = http.DetectContentType(b)
		}
	}
	if c.Param("version") == cs.staticVersion {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	return c.Blob(http.StatusOK, ct, b)
}

// readJSON decodes a bounded JSON body.
func (cs *ContentServer) readJSON(c echo.Context, v any) error {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBody {
			buf.Reset()
			bodyBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(io.LimitReader(c.Request().Body, cs.opt.MaxCommitBytes+1)); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "the request could not be read")
	}
	body := buf.Bytes() // the decoder copies what it keeps
	if int64(len(body)) > cs.opt.MaxCommitBytes {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, fmt.Sprintf("a commit may be at most %d bytes", cs.opt.MaxCommitBytes))
	}
	// The JSON v2 decoder is four times faster on a commit than
	// encoding/json, and stricter: unknown and duplicate members and invalid
	// UTF-8 are refused.
	if err := jsonv2.Unmarshal(body, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON: "+err.Error())
	}
	return nil
}

// bodyBuffers hold request bodies while they are decoded: a commit's body
// is read into a buffer used before instead of a new one each time (the
// commit path's largest allocation). A buffer that grew past maxPooledBody
// for a large commit is left to the garbage collector.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBody = 256 << 10

type tokenBody struct {
	Token string `json:"token"`
}

func (cs *ContentServer) start(c echo.Context) error {
	var req tokenBody
	if err := cs.readJSON(c, &req); err != nil {
		return err
	}
	st, err := cs.rt.Start(c.Request().Context(), req.Token)
	if err != nil {
		return cs.runtimeError(c, req.Token, err)
	}
	return c.JSON(http.StatusOK, map[string]any{
		"version": st.Version, "state": st.State, "seq": st.Seq, "item": st.Item, "nav": st.Nav, "asset": st.Asset,
		"launch": "/c/" + req.Token + "/" + st.Launch,
	})
}

func (cs *ContentServer) commit(c echo.Context) error {
	var req runtime.CommitRequest
	if err := cs.readJSON(c, &req); err != nil {
		return err
	}
	ack, err := cs.rt.Commit(c.Request().Context(), req)
	if err != nil {
		return cs.runtimeError(c, req.Token, err)
	}
	return c.JSON(http.StatusOK, ack)
}

type navBody struct {
	Token   string      `json:"token"`
	Request seq.Request `json:"request"`
}

func (cs *ContentServer) nav(c echo.Context) error {
	var req navBody
	if err := cs.readJSON(c, &req); err != nil {
		return err
	}
	moved, err := cs.rt.Navigate(c.Request().Context(), req.Token, req.Request)
	if err != nil {
		return cs.runtimeError(c, req.Token, err)
	}
	if moved.End {
		return c.JSON(http.StatusOK, map[string]any{"end": true, "suspended": moved.Suspended})
	}
	if moved.Token == "" {
		// Nothing delivered, the session goes on: the learner chooses next.
		return c.JSON(http.StatusOK, map[string]any{"none": true, "nav": moved.Nav})
	}
	return c.JSON(http.StatusOK, map[string]any{"player": "/player/" + moved.Token, "item": moved.Item})
}

// runtimeError answers a refused run-time request with the status, reason and
// SCORM error code the shim reports.
func (cs *ContentServer) runtimeError(c echo.Context, token string, err error) error {
	code := cmi.CodeGeneralCommitFailure
	if v, verr := cs.rt.DataModelOf(c.Request().Context(), token); verr == nil && v == cmi.V12 {
		code = cmi.CodeGeneralException // 101: 1.2's general failure
	}
	var rej *runtime.RejectedError
	answer := func(status int, reason, msg string) error {
		return c.JSON(status, map[string]any{"error": msg, "reason": reason, "code": code})
	}
	switch {
	case errors.As(err, &rej):
		return c.JSON(http.StatusUnprocessableEntity, map[string]any{
			"error": fmt.Sprintf("%s was refused: %s", rej.Element, rej.Diagnostic), "reason": "refused",
			"code": code, "element": rej.Element, "index": rej.Index, "elementCode": rej.Code,
		})
	case errors.Is(err, store.ErrLaunchSuperseded):
		return answer(http.StatusConflict, "superseded", "This course was opened in another window; this window can no longer save progress.")
	case errors.Is(err, store.ErrLaunchEnded):
		return answer(http.StatusConflict, "terminated", "This session has already ended.")
	case errors.Is(err, store.ErrSequence):
		return answer(http.StatusConflict, "sequence", "The commit is out of sequence.")
	case errors.Is(err, store.ErrLaunchExpired):
		return answer(http.StatusGone, "expired", "This launch has expired. Open the course again from Lectern.")
	case errors.Is(err, runtime.ErrNotAllowed):
		var na *runtime.NotAllowedError
		if errors.As(err, &na) {
			return c.JSON(http.StatusConflict, map[string]any{"error": "That navigation is not allowed now: " + na.Reason + ".",
				"reason": "not-allowed", "code": code, "why": na.Reason, "exception": na.Code})
		}
		return answer(http.StatusConflict, "not-allowed", "That navigation is not allowed now.")
	case errors.Is(err, store.ErrNotFound):
		return answer(http.StatusNotFound, "unknown", "This launch is not known. Open the course again from Lectern.")
	}
	return err
}

// handleError maps errors to JSON (run-time endpoints) or plain pages.
func (cs *ContentServer) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side."
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
	case errors.Is(err, store.ErrLaunchExpired):
		status, msg = http.StatusGone, "This launch has expired. Open the course again from Lectern."
	case errors.Is(err, store.ErrLaunchSuperseded):
		status, msg = http.StatusConflict, "This course was opened in another window."
	case errors.Is(err, store.ErrLaunchEnded):
		status, msg = http.StatusGone, "This session has ended. Open the course again from Lectern."
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found."
	}
	if status >= 500 {
		cs.log.Error("content request failed", "method", c.Request().Method, "err", err)
	}
	// Errors of the content origin are never sniffed into a page, run
	// nothing and are framed only where content is.
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'self' "+cs.opt.LMSOrigin)
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(c.Request().URL.Path, "/rt/") {
		_ = c.JSON(status, map[string]any{"error": msg, "reason": "error", "code": cmi.CodeGeneralCommitFailure})
		return
	}
	_ = c.String(status, msg)
}
