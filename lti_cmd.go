package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/lectern/lectern/internal/ltiplatform"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/bench"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/lti"
	"github.com/lectern/lectern/lms/store"
)

// multiFlag collects a repeated flag (--deployment A --deployment B).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

const ltiUsage = "lti: want platform add|list|remove, tool-config or key rotate|list"

// ltiCmd runs "lectern lti ...".
func ltiCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{ltiUsage}
	}
	switch args[0] {
	case "platform":
		if len(args) < 2 {
			return usageError{"lti platform: want add, list or remove"}
		}
		switch args[1] {
		case "add":
			return ltiPlatformAdd(ctx, args[2:], stdout, stderr)
		case "list":
			return ltiPlatformList(ctx, args[2:], stdout, stderr)
		case "remove":
			return ltiPlatformRemove(ctx, args[2:], stdout, stderr)
		}
		return usageError{"lti platform: want add, list or remove"}
	case "tool-config":
		return ltiToolConfig(ctx, args[1:], stdout, stderr)
	case "key":
		if len(args) < 2 || (args[1] != "rotate" && args[1] != "list") {
			return usageError{"lti key: want rotate or list"}
		}
		return ltiKey(ctx, args[1], args[2:], stdout, stderr)
	}
	return usageError{ltiUsage}
}

func ltiPlatformAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("lti platform add", stderr)
	var in lti.PlatformInput
	var deployments multiFlag
	c.fs.StringVar(&in.Issuer, "issuer", "", "the platform's issuer (platform ID), a URL")
	c.fs.StringVar(&in.ClientID, "client-id", "", "the client id the platform gave Lectern")
	c.fs.Var(&deployments, "deployment", "a deployment id (repeat for several)")
	c.fs.StringVar(&in.AuthURL, "auth-url", "", "the platform's OIDC authentication request URL")
	c.fs.StringVar(&in.TokenURL, "token-url", "", "the platform's access token URL")
	c.fs.StringVar(&in.JWKSURL, "jwks-url", "", "the platform's public keyset URL")
	c.fs.StringVar(&in.Name, "name", "", "a name for the platform (default: the issuer)")
	c.fs.StringVar(&in.Keep, "keep", "name,email", "what Lectern keeps from launches: name,email, name, email or none")
	app, _, err := c.start(args, stderr, 0, "lti platform add: takes only flags")
	if err != nil {
		return err
	}
	defer app.Close()
	if in.Issuer == "" || in.ClientID == "" || len(deployments) == 0 || in.AuthURL == "" || in.TokenURL == "" || in.JWKSURL == "" {
		return usageError{"lti platform add: want --issuer, --client-id, --deployment, --auth-url, --token-url and --jwks-url"}
	}
	if _, _, err := lti.ParseKeep(in.Keep); err != nil {
		return usageError{"lti platform add: --" + err.Error()}
	}
	in.Deployments = deployments
	p, err := app.LTI.AddPlatform(ctx, in, "cli")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, p.ID)
	return nil
}

type platformRow struct {
	ID          uint     `json:"id"`
	Name        string   `json:"name"`
	Issuer      string   `json:"issuer"`
	ClientID    string   `json:"clientId"`
	Deployments []string `json:"deployments"`
	AuthURL     string   `json:"authUrl"`
	TokenURL    string   `json:"tokenUrl"`
	JWKSURL     string   `json:"jwksUrl"`
	Keep        string   `json:"keep"`
	Source      string   `json:"source"`
}

func ltiPlatformList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("lti platform list", stderr)
	asJSON := c.fs.Bool("json", false, "print JSON")
	app, _, err := c.start(args, stderr, 0, "lti platform list: takes no arguments")
	if err != nil {
		return err
	}
	defer app.Close()
	ps, err := app.Store.LTIPlatforms(ctx)
	if err != nil {
		return err
	}
	rows := make([]platformRow, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, platformRow{p.ID, p.Name, p.Issuer, p.ClientID, p.Deployments, p.AuthURL, p.TokenURL, p.JWKSURL, lti.KeepText(&p), p.Source})
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tISSUER\tCLIENT ID\tDEPLOYMENTS\tKEEPS")
	for _, r := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.Issuer, r.ClientID, strings.Join(r.Deployments, ","), r.Keep)
	}
	return tw.Flush()
}

func ltiPlatformRemove(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("lti platform remove", stderr)
	app, pos, err := c.start(args, stderr, 1, "lti platform remove: want one platform ID")
	if err != nil {
		return err
	}
	defer app.Close()
	id, err := strconv.ParseUint(pos[0], 10, 32)
	if err != nil || id == 0 {
		return usageError{fmt.Sprintf("lti platform remove: %q is not a platform id", pos[0])}
	}
	if err := app.Store.DeleteLTIPlatform(ctx, uint(id)); err != nil {
		if isNotFound(err) {
			return fmt.Errorf("no platform with id %d", id)
		}
		return err
	}
	fmt.Fprintf(stdout, "Removed platform %d: its launches no longer work; its learners and their records stay.\n", id)
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func ltiToolConfig(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("lti tool-config", stderr)
	asJSON := c.fs.Bool("json", false, "print JSON")
	app, _, err := c.start(args, stderr, 0, "lti tool-config: takes no arguments")
	if err != nil {
		return err
	}
	defer app.Close()
	tc, err := app.LTI.Config(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(tc)
	}
	fmt.Fprintf(stdout, "Login URL (OIDC login initiation):  %s\n", tc.LoginURL)
	fmt.Fprintf(stdout, "Launch URL (redirect / target link): %s\n", tc.LaunchURL)
	fmt.Fprintf(stdout, "Deep-linking URL:                    %s\n", tc.DeepLinkURL)
	fmt.Fprintf(stdout, "Public keyset (JWKS) URL:            %s\n", tc.JWKSURL)
	fmt.Fprintf(stdout, "Dynamic registration URL:            %s\n", tc.DynamicRegistrationURL)
	fmt.Fprintf(stdout, "(the registration URL registers one platform and expires in %s)\n", app.Config.LTI.RegistrationTTL)
	return nil
}

func ltiKey(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) error {
	c := newCommand("lti key "+verb, stderr)
	asJSON := c.fs.Bool("json", false, "print JSON (list)")
	app, _, err := c.start(args, stderr, 0, "lti key "+verb+": takes no arguments")
	if err != nil {
		return err
	}
	defer app.Close()
	if verb == "rotate" {
		kid, err := app.LTI.RotateKey(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "New signing key %s; the previous key stays published for %s.\n", kid, app.Config.LTI.KeyOverlap)
		return nil
	}
	keys, err := app.LTI.Keys(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(keys)
	}
	for _, k := range keys {
		state := "signing"
		if !k.Signing && k.RemoveAt != nil {
			state = "published until " + k.RemoveAt.Format("2006-01-02 15:04 MST")
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\n", k.KID, k.CreatedAt.Format("2006-01-02 15:04 MST"), state)
	}
	return nil
}

// benchLTI measures launches and the grade outbox: this process plays the
// learning platform and its learners; Lectern runs as "lectern serve" in
// another process, over loopback.
func benchLTI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("lectern bench lti", flag.ContinueOnError)
	flags.SetOutput(stderr)
	o := bench.LTIOptions{Log: stdout}
	flags.IntVar(&o.Concurrency, "concurrency", 64, "launches in flight at once")
	flags.DurationVar(&o.Duration, "duration", 20*time.Second, "how long to measure launches per second")
	flags.IntVar(&o.TermLearners, "learners", 1000, "learners launching at the start of term")
	flags.DurationVar(&o.TermWindow, "window", 60*time.Second, "within this time")
	flags.IntVar(&o.Scores, "scores", 10000, "scores queued while the platform is down")
	db := flags.String("db", "", "the server's database: a postgres:// URL (default: SQLite in a temporary data folder); its tables must be empty")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if o.Concurrency < 1 || o.Duration <= 0 || o.TermLearners < 0 || o.TermWindow <= 0 || o.Scores < 0 {
		return usageError{"bench lti: --concurrency, --duration, --window must be positive, --learners and --scores not negative"}
	}
	dir, err := os.MkdirTemp("", "lectern-bench-lti-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg := lms.DefaultConfig()
	cfg.DataDir, cfg.LogLevel, cfg.DB = dir, "error", *db
	if cfg.Addr, err = loopbackAddr(); err != nil {
		return err
	}
	if cfg.ContentAddr, err = loopbackAddr(); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	// The data folder is prepared here, then the server runs in its own process.
	c := newCommand("bench lti", stderr)
	c.cfg = cfg
	app, err := c.open(io.Discard)
	if err != nil {
		return err
	}
	zip := filepath.Join(dir, "bench.zip")
	if err := bench.BenchCourse(zip); err != nil {
		app.Close()
		return err
	}
	res, err := app.Importer.Import(ctx, zip, course.Options{Filename: "bench.zip"})
	if err != nil {
		app.Close()
		return err
	}
	p, err := ltiplatform.Start("localhost")
	if err != nil {
		app.Close()
		return err
	}
	defer p.Close()
	tool := &ltiplatform.Tool{ClientID: "lectern-bench", DeploymentID: "bench", LoginURL: cfg.BaseURL + lti.PathLogin,
		LaunchURL: cfg.BaseURL + lti.PathLaunch, DeepLinkURL: cfg.BaseURL + lti.PathDeepLink, JWKSURL: cfg.BaseURL + lti.PathJWKS}
	p.AddTool(tool)
	if _, err := app.LTI.AddPlatform(ctx, lti.PlatformInput{Name: "Bench platform", Issuer: p.Issuer, ClientID: tool.ClientID,
		AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), JWKSURL: p.JWKSURL(), Deployments: []string{tool.DeploymentID}, Keep: "name,email"}, "cli"); err != nil {
		app.Close()
		return err
	}
	app.Close()
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// One address stands for a whole platform of learners here: lift the
	// per-client connection cap. Failed grade posts are retried after 500 ms.
	serve := []string{"serve", "--data", dir, "--addr", cfg.Addr, "--content-addr", cfg.ContentAddr,
		"--log-level", "error", "--max-conns-per-client", "100000", "--lti-retry-base", "500ms", "--lti-outbox-interval", "1s"}
	if *db != "" {
		serve = append(serve, "--db", *db)
	}
	srv := exec.CommandContext(ctx, exe, serve...)
	srv.Stdout, srv.Stderr = io.Discard, stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	for i := 0; ; i++ {
		resp, err := http.Get(cfg.BaseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			return fmt.Errorf("the server did not start: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Fprintf(stdout, "Lectern (pid %d) at %s; the platform and its learners in this process (pid %d) at %s\n", srv.Process.Pid, cfg.BaseURL, os.Getpid(), p.URL)
	o.Platform, o.Tool, o.CourseID = p, tool, *res.ID
	r, err := bench.RunLTI(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	return nil
}

func loopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
