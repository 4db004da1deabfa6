package web_test

// The browser shim (static/scorm-api.js) in headless Chromium: the shared
// test vectors and a differential run against cmi.Runtime, the commit
// protocol with a fake transport, and the player frame against fake runtime
// endpoints (recovery, a SCO that finishes while its tab closes, navigation
// from the LMS page).

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	headless "github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/scorm/cmi"
)

// shimPage loads the shim and the test scripts of testdata/shim.
const shimPage = `<!doctype html><html><head><meta charset="utf-8"><title>shim test</title>
<script src="/static/scorm-api.js"></script><script src="/shim/harness.js"></script>
<script src="/shim/protocol.js"></script></head><body></body></html>`

// newShimServer serves the test page and the files of serveShimFiles.
func newShimServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, shimPage)
	})
	serveShimFiles(t, mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// serveShimFiles adds the shim, the schemas (/schema/1.2.json and
// /schema/2004.json) and testdata/shim (/shim/…), read on each request so
// that edits show without rebuilding.
func serveShimFiles(t *testing.T, mux *http.ServeMux) {
	t.Helper()
	mux.HandleFunc("GET /static/scorm-api.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFile(w, r, filepath.Join(fixture.Root(), "static", "scorm-api.js"))
	})
	mux.Handle("GET /shim/", http.StripPrefix("/shim/", http.FileServer(http.Dir(filepath.Join(fixture.Root(), "testdata", "shim")))))
	for _, v := range []cmi.Version{cmi.V12, cmi.V2004} {
		doc, err := cmi.Schema(v)
		if err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc("GET /schema/"+string(v)+".json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(doc)
		})
	}
}

// openShimPage starts Chromium on the test page with the schemas loaded.
func openShimPage(t *testing.T) context.Context {
	t.Helper()
	srv := newShimServer(t)
	ctx := headless.New(t, 3*time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`loadSchemas()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("load schemas: %v", err)
	}
	return ctx
}

// Vector cases as documented in scorm/cmi/doc.go.
type shimVector struct {
	Name    string            `json:"name"`
	Version cmi.Version       `json:"version"`
	Init    cmi.Init          `json:"init"`
	Nav     map[string]string `json:"nav,omitempty"`
	Tags    []string          `json:"tags,omitempty"`
	Calls   []shimCall        `json:"calls"`
}

type shimCall struct {
	Call string    `json:"call"`
	Args []string  `json:"args,omitempty"`
	Ret  *string   `json:"ret,omitempty"`
	Err  *string   `json:"err,omitempty"`
	Init *cmi.Init `json:"init,omitempty"`
}

// shimNav answers adl.nav.request_valid like the vectors' "nav" table.
type shimNav map[string]string

func (m shimNav) RequestValid(request, target string) string {
	key := request
	if target != "" {
		key += ":" + target
	}
	if v, ok := m[key]; ok {
		return v
	}
	return "unknown"
}

// shimNavObject turns a vector's table into the server's nav object.
func shimNavObject(table map[string]string) map[string]any {
	nav := map[string]any{}
	for k, v := range table {
		if v != "true" && v != "false" {
			continue
		}
		req, target, ok := strings.Cut(k, ":")
		if !ok {
			nav[req] = v == "true"
			continue
		}
		sub, _ := nav[req].(map[string]any)
		if sub == nil {
			sub = map[string]any{}
			nav[req] = sub
		}
		sub[target] = v == "true"
	}
	return nav
}

type shimSegmentIn struct {
	Version cmi.Version    `json:"version"`
	State   *cmi.State     `json:"state"`
	Nav     map[string]any `json:"nav"`
	Calls   []shimCall     `json:"calls"`
}

type shimSegmentOut struct {
	Results []struct {
		Ret  string `json:"ret"`
		Err  string `json:"err"`
		Diag string `json:"diag"`
	} `json:"results"`
	State   cmi.State `json:"state"`
	Batches []struct {
		Mode      string       `json:"mode"`
		Token     string       `json:"token"`
		Seq       int          `json:"seq"`
		Changes   []cmi.Change `json:"changes"`
		Terminate bool         `json:"terminate"`
	} `json:"batches"`
}

func runShimSegment(t *testing.T, ctx context.Context, in shimSegmentIn) shimSegmentOut {
	t.Helper()
	arg, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[shimSegmentOut](`runSegment(`+string(arg)+`)`))
	if err != nil {
		t.Fatalf("runSegment: %v", err)
	}
	if len(out.Results) != len(in.Calls) {
		t.Fatalf("runSegment: %d results for %d calls", len(out.Results), len(in.Calls))
	}
	return out
}

// compareShimRun runs one case in the browser and on cmi.Runtime side by side:
// every call must give the same answer, error code and diagnostic (and the
// vector's expectations, where it states them); the batches must carry every
// accepted change in order with consecutive sequence numbers; and replaying
// them with State.Apply, as the server does, must rebuild the browser's state.
// It returns the number of calls checked.
func compareShimRun(t *testing.T, ctx context.Context, name string, v cmi.Version, init cmi.Init, nav map[string]string, calls []shimCall) int {
	t.Helper()
	st, err := cmi.NewState(v, init, nil)
	if err != nil {
		t.Errorf("%s: NewState: %v", name, err)
		return 0
	}
	checked := 0
	for start := 0; start <= len(calls); {
		end := start
		for end < len(calls) && calls[end].Call != "_relaunch" {
			end++
		}
		seg := calls[start:end]
		var committed []cmi.Change
		rt := cmi.NewRuntime(st)
		rt.Nav = shimNav(nav)
		rt.OnCommit = func(c []cmi.Change) error {
			committed = append(committed, c...)
			return nil
		}
		begin := st.Clone()
		out := runShimSegment(t, ctx, shimSegmentIn{Version: v, State: st, Nav: shimNavObject(nav), Calls: seg})
		for i, c := range seg {
			at := fmt.Sprintf("%s: call %d: %s(%q)", name, start+i, c.Call, c.Args)
			got := out.Results[i]
			ret := rt.Call(c.Call, c.Args...)
			errCode, diag := rt.GetLastError(), rt.GetDiagnostic("")
			checked++
			if c.Ret != nil && got.Ret != *c.Ret {
				t.Errorf("%s = %q, want %q (error %s: %s)", at, got.Ret, *c.Ret, got.Err, got.Diag)
			}
			if c.Err != nil && got.Err != *c.Err {
				t.Errorf("%s: error %s (%s), want %s", at, got.Err, got.Diag, *c.Err)
			}
			if got.Ret != ret || got.Err != errCode || got.Diag != diag {
				t.Errorf("%s: browser gives %q, error %s, diagnostic %q; cmi.Runtime gives %q, error %s, diagnostic %q",
					at, got.Ret, got.Err, got.Diag, ret, errCode, diag)
			}
		}
		var sent []cmi.Change
		for i, b := range out.Batches {
			if b.Seq != i+1 || b.Token != "t" {
				t.Errorf("%s: batch %d has token %q, seq %d; want %q, %d", name, i, b.Token, b.Seq, "t", i+1)
			}
			sent = append(sent, b.Changes...)
		}
		if want := append(committed, rt.Pending()...); !shimSameChanges(sent, want) {
			t.Errorf("%s: the browser sent %v, cmi.Runtime recorded %v", name, sent, want)
		}
		if err := begin.Apply(sent); err != nil {
			t.Errorf("%s: the server would refuse the browser's changes: %v", name, err)
		} else if !shimSameState(begin, &out.State) {
			t.Errorf("%s: replaying the changes gives values %v counts %v; the browser has values %v counts %v",
				name, begin.Values, begin.Counts, out.State.Values, out.State.Counts)
		}
		if end == len(calls) {
			break
		}
		// _relaunch: what the LMS does between two launches.
		if calls[end].Init != nil {
			init = *calls[end].Init
		}
		rt.State.EndSession()
		if st, err = cmi.NewState(v, init, rt.State); err != nil {
			t.Errorf("%s: call %d: _relaunch: NewState: %v", name, end, err)
			return checked
		}
		start = end + 1
	}
	return checked
}

func shimSameChanges(a, b []cmi.Change) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func shimSameState(a, b *cmi.State) bool {
	norm := func(m map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	}
	values := func(m map[string]string) map[string]string {
		if m == nil {
			return map[string]string{}
		}
		return m
	}
	return reflect.DeepEqual(values(a.Values), values(b.Values)) && reflect.DeepEqual(norm(a.Counts), norm(b.Counts))
}

// TestShimVectors runs testdata/cmi/vectors.json through the browser shim.
func TestShimVectors(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(fixture.Root(), "testdata", "cmi", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []shimVector
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	ctx := openShimPage(t)
	calls := 0
	for _, vc := range cases {
		calls += compareShimRun(t, ctx, vc.Name, vc.Version, vc.Init, vc.Nav, vc.Calls)
	}
	t.Logf("%d vectors, %d calls in Chromium", len(cases), calls)
}

// TestShimMatchesRuntime is a differential test beyond the vectors: random
// call sequences over every element of the schema, with values that hit each
// rule, must give the same answers in the browser as on cmi.Runtime.
func TestShimMatchesRuntime(t *testing.T) {
	ctx := openShimPage(t)
	r := rand.New(rand.NewPCG(1, 2))
	calls := 0
	for _, v := range []cmi.Version{cmi.V12, cmi.V2004} {
		doc, err := cmi.Schema(v)
		if err != nil {
			t.Fatal(err)
		}
		var schema *cmi.SchemaDoc
		if err := json.Unmarshal(doc, &schema); err != nil {
			t.Fatal(err)
		}
		g := newShimCallGen(r, schema)
		for i := range 300 {
			init := g.inits[i%len(g.inits)]
			nav := map[string]string{"continue": "true", "previous": "false", "choice:a": "true", "jump:b": "false"}
			calls += compareShimRun(t, ctx, fmt.Sprintf("%s random sequence %d", v, i), v, init, nav, g.sequence(60))
		}
	}
	t.Logf("%d random calls agree", calls)
}

// shimResponses are values for correct_responses.n.pattern and the learner's
// response, by interaction type.
var shimResponses = map[string][]string{
	"choice":       {"a", "a[,]b", "b[,]a", "", "a[,]a", "a b"},
	"true-false":   {"true", "false", "x"},
	"fill-in":      {"{case_matters=true}{order_matters=false}x", "{lang=en}word[,]b", "", "{case_matters=x}y", "{order_matters=true}{order_matters=true}z", "{lang=eng}{case_matters=invalid}a[,]b", "a[,]{lang=frl}b"},
	"long-fill-in": {"{case_matters=true}long", "{lang=xx-}x", "{lang=de}Wort", "{lang=eng}{case_matters=true}x", "{lang=en}{case_matters=maybe}x", "{case_matters=true}{lang=frl}x", "{lang=en}{lang=fr}x"},
	"likert":       {"likert_1", "", "a b"},
	"matching":     {"a[.]b", "a[.]1[:]2", "a[.]b[,]c[.]d", "[.]x", "", "a[.]b[.]c", "c[.]d[,]a[.]b"},
	"performance":  {"{order_matters=true}a[.]b", "{order_matters=true}{order_matters=false}a[.]b", "a[.]1[:]2", "[.]x", "a[.]", "[.]", "a[.]2[:]1", "b[.]x[,]a[.]y"},
	"sequencing":   {"a[,]b", "b[,]a", "", "a[,]a"},
	"numeric":      {"1[:]2", "2[:]1", "[:]5", "1.5", "x[:]1", "1[:]2[:]3", "1e3"},
	"other":        {"anything", "", strings.Repeat("z", 4001)},
}

// shimCallGen makes random API calls for one version.
type shimCallGen struct {
	r      *rand.Rand
	v      cmi.Version
	names  []string // element templates, keyword paths and bad names
	values []string
	vocab  map[string][]string // element template -> values of its type
	inits  []cmi.Init
}

func newShimCallGen(r *rand.Rand, s *cmi.SchemaDoc) *shimCallGen {
	g := &shimCallGen{r: r, v: s.Version, vocab: map[string][]string{}}
	for _, el := range s.Elements {
		g.names = append(g.names, el.Name)
		if t := s.Types[el.Type]; t != nil {
			g.vocab[el.Name] = t.Vocab
		}
		if el.Type == "pattern" || el.Type == "response" {
			g.vocab[el.Name] = []string{"true", "a", "a[,]b", "b[,]a", "a[,]a", "a[.]b", "a[.]b[,]c[.]d", "[.]x",
				"a[.]1[:]2", "1[:]2", "2[:]1", "[:]5", "{case_matters=true}{order_matters=false}x", "{case_matters=x}y",
				"{order_matters=true}a[.]b", "{lang=en}word", "", "12.5", "likert_1", "x y"}
		}
	}
	for _, c := range slices.Sorted(maps.Keys(s.Containers)) { // sorted: the same seed gives the same calls
		g.names = append(g.names, c+"._children", c+"._count", c+"._version")
	}
	g.names = append(g.names, "", "cmi", "cmi.bogus", "cmi._version", "cmi.interactions.01.id", "cmi.objectives.00.id",
		"cmi.interactions.0.objectives.01.id", "cmi.interactions.01.objectives._count",
		"cmi.interactions.99999999999999999999.id", "adl.nav.request_valid.choice.{target=}",
		"adl.nav.request_valid.choice.{target=a}", "adl.nav.request_valid.jump.{target=b}", "cmi.objectives.0.n")
	g.values = []string{"", "0", "1", "-1", "0.5", "1.5", "-0.5", "100", "-100", "101", "1.", ".5", "+1", "1e5",
		"1" + strings.Repeat("0", 400), "abc", "a b", "x\ny", "é", "\u00a0", "PT1H30M", "P1D", "PT", "P1DT",
		"PT1.234S", "2021-03-04T05:06:07.8Z", "2021-03-04", "2021-02-29", "2020-02-29T10:00", "0000:10:00",
		"12:30:00", "25:00:00", "{lang=en}hello", "{lang=}x", "{lang=e1}x", "{lang=en-GB}", "{lang=frl}x",
		"{lang=ruq-JM}x", "{lang=EN-us}x", "eng", "en-UK", "en-ZZ", "i-klingon", "sp", "urn:x:y", "urn:bad",
		"URN:ab:c%20d", "a[,]b", "a[.]b", "1[:]2", "true", "false", "_none_", "continue", "{target=a}choice",
		"{target=}jump", "a", "b", "suspend", "normal", "logout", "choice", "numeric", "true-false", "sequencing",
		"matching", "performance", "other", "fill-in", "long-fill-in", "likert", "correct", "wrong", "incorrect",
		"passed", "failed", "completed", "incomplete", "browsed", "not attempted", "unknown",
		strings.Repeat("x", 256), strings.Repeat("y", 4001), strings.Repeat("\U0001F600", 251), "id-1", "id-2"}
	if s.Version == cmi.V12 {
		mastery := 80.0
		data := "launch"
		g.inits = []cmi.Init{
			{LearnerID: "l1", LearnerName: "One"},
			{LearnerID: "l2", LearnerName: "Two", MasteryScore: &mastery, LaunchData: &data, Mode: "browse",
				CommentsFromLMS: []cmi.LMSComment{{Comment: "hello"}}, SuspendDataMax: 10},
		}
	} else {
		th, sps := 0.5, 0.6
		stored := "shared"
		g.inits = []cmi.Init{
			{LearnerID: "l1", LearnerName: "One"},
			{LearnerID: "l2", LearnerName: "Two", CompletionThreshold: &th, ScaledPassingScore: &sps,
				ObjectiveIDs: []string{"obj-1", "obj-2"}, SuspendDataMax: 20,
				CommentsFromLMS: []cmi.LMSComment{{Comment: "{lang=en}hi", Location: "p1", Timestamp: "2021-01-01"}},
				SharedData: []cmi.SharedData{{ID: "s1", Readable: true, Writable: true, Value: &stored},
					{ID: "s2", Readable: false, Writable: true}, {ID: "s3", Readable: true}}},
		}
	}
	return g
}

func (g *shimCallGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// name instantiates a template with small indices, so that records get
// created, reused and skipped.
func (g *shimCallGen) name() string {
	segs := strings.Split(g.pick(g.names), ".")
	for i, s := range segs {
		if s == "n" && g.r.IntN(20) > 0 {
			segs[i] = fmt.Sprint(g.r.IntN(3))
		}
	}
	return strings.ReplaceAll(strings.Join(segs, "."), "{target=ID}", "{target="+g.pick([]string{"a", "b", "x.y"})+"}")
}

func (g *shimCallGen) value(name string) string {
	tmpl := name
	for _, s := range strings.Split(name, ".") {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			tmpl = strings.Replace(tmpl, "."+s+".", ".n.", 1)
		}
	}
	if vocab := g.vocab[tmpl]; len(vocab) > 0 && g.r.IntN(3) > 0 {
		return g.pick(vocab)
	}
	return g.pick(g.values)
}

func (g *shimCallGen) sequence(n int) []shimCall {
	prefix := ""
	if g.v == cmi.V12 {
		prefix = "LMS"
	}
	call := func(f string, args ...string) shimCall {
		if f == "Terminate" && g.v == cmi.V12 {
			f = "Finish"
		}
		return shimCall{Call: prefix + f, Args: args}
	}
	var out []shimCall
	if g.r.IntN(10) > 0 {
		out = append(out, call("Initialize", ""))
	}
	for len(out) < n {
		switch k := g.r.IntN(100); {
		case k < 10:
			// A coherent record, so that the rules on records (creation,
			// types, patterns, uniqueness, clears) are reached, not only
			// refusals.
			prefix := g.pick([]string{"cmi.interactions.n.", "cmi.interactions.n.", "cmi.objectives.n."})
			i := fmt.Sprint(g.r.IntN(2))
			typ := ""
			for _, el := range g.names {
				if !strings.HasPrefix(el, prefix) {
					continue
				}
				for j := range 1 + 2*strings.Count(el[len(prefix):], ".n.") {
					name := strings.Replace(strings.Replace(el, ".n.", "."+i+".", 1), ".n.", "."+fmt.Sprint(j)+".", 1)
					value := g.value(name)
					response := strings.HasSuffix(name, "response") || strings.HasSuffix(name, "pattern")
					if rs := shimResponses[typ]; response && len(rs) > 0 && g.r.IntN(4) > 0 {
						value = g.pick(rs)
					}
					if strings.HasSuffix(name, ".type") {
						typ = value
					}
					out = append(out, call("SetValue", name, value))
					if g.r.IntN(3) == 0 {
						out = append(out, call("GetValue", name))
					}
				}
			}
			if prefix == "cmi.interactions.n." {
				name := "cmi.interactions." + i + ".type"
				out = append(out, call("SetValue", name, g.pick([]string{typ, g.value(name)})),
					call("GetValue", "cmi.interactions."+i+".correct_responses._count"))
			}
		case k < 55:
			name := g.name()
			out = append(out, call("SetValue", name, g.value(name)))
		case k < 82:
			out = append(out, call("GetValue", g.name()))
		case k < 86:
			out = append(out, call("Commit", g.pick([]string{"", "", "", "x"})))
		case k < 89:
			out = append(out, call("GetErrorString", g.pick([]string{"0", "101", "201", "0301", "+403", "406", "999", "x", ""})))
		case k < 92:
			out = append(out, call("GetDiagnostic", g.pick([]string{"", "0", "401", "351", "abc"})))
		case k < 93:
			out = append(out, call("Terminate", ""))
		case k < 94:
			out = append(out, call("Initialize", g.pick([]string{"", "x"})))
		case k < 96:
			out = append(out, shimCall{Call: "_relaunch"})
			if g.r.IntN(10) > 0 {
				out = append(out, call("Initialize", ""))
			}
		default:
			out = append(out, call("GetLastError"))
		}
	}
	return out
}

// TestShimCommitProtocol checks batching, sequence numbers, failures,
// supersession, localStorage recovery, autocommit and dismissal with fake
// transports.
func TestShimCommitProtocol(t *testing.T) {
	ctx := openShimPage(t)
	states := map[cmi.Version]*cmi.State{}
	for _, v := range []cmi.Version{cmi.V12, cmi.V2004} {
		st, err := cmi.NewState(v, cmi.Init{LearnerID: "l1", LearnerName: "One"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		states[v] = st
	}
	arg, _ := json.Marshal(states)
	res, err := chromedp.Run(ctx, chromedp.Evaluate[struct {
		Failures []string `json:"failures"`
		Checks   int      `json:"checks"`
	}](`runProtocol(`+string(arg)+`)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Failures {
		t.Error(f)
	}
	t.Logf("%d protocol checks", res.Checks)
}

// shimRuntime stands in for the lead's runtime endpoints on the content
// origin, with the same sequence rules as the store (a repeated seq is
// acknowledged, a gap refused, nothing after a terminating batch) and a log
// of every request.
type shimRuntime struct {
	t      *testing.T
	srv    *httptest.Server
	lms    *httptest.Server // the LMS origin, which frames the player
	mu     sync.Mutex
	log    []shimRequest
	seq    map[string]int  // last applied seq per token
	ended  map[string]bool // token terminated
	navTo  map[string]any  // answer of /rt/nav per token
	starts map[string]shimLaunch
	down   map[string]int // commits of a token to answer 503
}

type shimRequest struct {
	Path      string         `json:"path"`
	Token     string         `json:"token"`
	Seq       int            `json:"seq"`
	Changes   []cmi.Change   `json:"changes"`
	Terminate bool           `json:"terminate"`
	Request   map[string]any `json:"request"`
	Status    int            `json:"-"`
}

// shimLaunch is what /rt/start answers for a token.
type shimLaunch struct {
	version cmi.Version
	sco     string // path of the SCO page
	status  int    // non-zero: refuse with this status
}

func newShimRuntime(t *testing.T) *shimRuntime {
	t.Helper()
	f := &shimRuntime{t: t, seq: map[string]int{}, ended: map[string]bool{}, navTo: map[string]any{},
		starts: map[string]shimLaunch{}, down: map[string]int{}}
	mux := http.NewServeMux()
	serveShimFiles(t, mux)
	mux.HandleFunc("GET /blank", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>blank</title>`)
	})
	mux.HandleFunc("GET /player/{token}", func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		f.mu.Lock()
		l := f.starts[token]
		f.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>player</title>
<script src="/static/scorm-api.js"></script></head><body>
<div id="lectern-config" hidden data-token="%s" data-version="%s" data-schema="/schema/%s.json"
 data-lms-origin="%s" data-start="/rt/start" data-commit="/rt/commit" data-nav="/rt/nav"></div>
<iframe id="sco" title="Course content" allow="fullscreen; autoplay"></iframe>
<p id="lectern-status" role="status"></p></body></html>`, token, l.version, l.version, f.lms.URL)
	})
	mux.HandleFunc("POST /rt/{op}", f.serveRuntime)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	// The LMS page, on its own origin, frames the player.
	f.lms = httptest.NewServer(http.FileServer(http.Dir(filepath.Join(fixture.Root(), "testdata", "shim"))))
	t.Cleanup(f.lms.Close)
	return f
}

func (f *shimRuntime) launch(token string, l shimLaunch) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts[token] = l
	return f.lms.URL + "/lms.html?player=" + url.QueryEscape(f.srv.URL+"/player/"+token+"#k="+shimSealKey)
}

// shimSealKey is the key the LMS would give every launch of the test course.
var shimSealKey = strings.Repeat("5a", 32)

func (f *shimRuntime) serveRuntime(w http.ResponseWriter, r *http.Request) {
	var req shimRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req.Path = r.URL.Path
	f.mu.Lock()
	defer f.mu.Unlock()
	reply := func(status int, body any) {
		req.Status = status
		f.log = append(f.log, req)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	}
	nav := map[string]any{"continue": true, "previous": false, "choice": map[string]bool{}}
	switch r.PathValue("op") {
	case "start":
		l, ok := f.starts[req.Token]
		if !ok || l.status != 0 {
			reply(max(l.status, http.StatusNotFound), map[string]any{"error": "This launch has expired; open the course again.", "code": 0})
			return
		}
		st, err := cmi.NewState(l.version, cmi.Init{LearnerID: "l1", LearnerName: "One"}, nil)
		if err != nil {
			f.t.Error(err)
		}
		reply(http.StatusOK, map[string]any{"version": l.version, "state": st, "seq": f.seq[req.Token],
			"launch": l.sco, "item": map[string]string{"id": "item-1", "title": "Lesson 1"}, "nav": nav})
	case "commit":
		switch {
		case f.down[req.Token] > 0:
			f.down[req.Token]--
			reply(http.StatusServiceUnavailable, map[string]any{"error": "Try again."})
		case req.Seq <= f.seq[req.Token]:
			reply(http.StatusOK, map[string]any{"seq": req.Seq, "nav": nav})
		case f.ended[req.Token]:
			reply(http.StatusConflict, map[string]any{"error": "The session has ended.", "code": 391, "reason": "terminated"})
		case req.Seq != f.seq[req.Token]+1:
			reply(http.StatusConflict, map[string]any{"error": "Out of sequence.", "code": 391, "reason": "sequence"})
		default:
			f.seq[req.Token] = req.Seq
			f.ended[req.Token] = req.Terminate
			reply(http.StatusOK, map[string]any{"seq": req.Seq, "nav": nav})
		}
	case "nav":
		f.ended[req.Token] = true
		answer, ok := f.navTo[req.Token]
		if !ok {
			answer = map[string]any{"end": true, "suspended": false}
		}
		reply(http.StatusOK, answer)
	}
}

// requests returns the log of requests so far.
func (f *shimRuntime) requests() []shimRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// applied returns the changes the server applied for a token, in order, and
// whether a terminating batch arrived.
func (f *shimRuntime) applied(token string) (map[string]string, bool) {
	values, ended := map[string]string{}, false
	seen := map[int]bool{}
	for _, r := range f.requests() {
		if r.Path == "/rt/commit" && r.Token == token && r.Status == http.StatusOK && !seen[r.Seq] {
			seen[r.Seq] = true
			for _, c := range r.Changes {
				values[c.Element] = c.Value
			}
			ended = ended || r.Terminate
		}
	}
	return values, ended
}

// shimWaitFor polls until cond holds or the time is up.
func shimWaitFor(t *testing.T, what string, d time.Duration, cond func() bool) bool {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	t.Errorf("timed out waiting for %s", what)
	return false
}

// shimMessages returns the messages of a type that the test LMS page
// (testdata/shim/lms.html) received from the player.
func shimMessages(ctx context.Context, typ string) []map[string]any {
	all, _ := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]any](`window.messages || []`))
	var out []map[string]any
	for _, m := range all {
		if m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// TestShimPlayerFrame runs the player frame in Chromium against fake runtime
// endpoints: start errors, recovery of stored batches before the start, and a
// SCO that saves and finishes from its unload handlers while the tab closes
// or navigates away.
func TestShimPlayerFrame(t *testing.T) {
	f := newShimRuntime(t)
	browserCtx := headless.New(t, 4*time.Minute)
	tab := func(t *testing.T) (context.Context, context.CancelFunc) {
		ctx, cancel := chromedp.NewContext(browserCtx)
		t.Cleanup(cancel)
		return ctx, cancel
	}
	t.Run("start refused", func(t *testing.T) {
		ctx, _ := tab(t)
		f.launch("gone", shimLaunch{version: cmi.V12, status: http.StatusGone})
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/player/gone")); err != nil {
			t.Fatal(err)
		}
		var status string
		shimWaitFor(t, "status text", 5*time.Second, func() bool {
			status, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("lectern-status").textContent`))
			return status != ""
		})
		if want := "This launch has expired; open the course again."; status != want {
			t.Errorf("status = %q, want %q", status, want)
		}
		if src, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("sco").src + (window.API ? " API" : "")`)); src != "" {
			t.Errorf("the SCO frame was loaded or the API installed: %q", src)
		}
	})

	t.Run("stored batches go first", func(t *testing.T) {
		ctx, _ := tab(t)
		f.launch("old", shimLaunch{version: cmi.V2004, sco: "/shim/sco.html"})
		stored := `[{"token":"old","seq":1,"changes":[{"element":"cmi.location","value":"kept"}],"terminate":true}]`
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/blank"),
			chromedp.Evaluate[chromedp.Void](`localStorage.setItem("lectern:pending:old", `+fmt.Sprintf("%q", stored)+`)`)); err != nil {
			t.Fatal(err)
		}
		lms := f.launch("new", shimLaunch{version: cmi.V12, sco: "/shim/sco.html?v=1.2"})
		if err := chromedp.Do(ctx, chromedp.Navigate(lms)); err != nil {
			t.Fatal(err)
		}
		shimWaitFor(t, "launched message", 10*time.Second, func() bool { return len(shimMessages(ctx, "lectern:launched")) > 0 })
		var order []string
		for _, r := range f.requests() {
			order = append(order, r.Path+" "+r.Token)
		}
		if i, j := slices.Index(order, "/rt/commit old"), slices.Index(order, "/rt/start new"); i < 0 || j < 0 || i > j {
			t.Errorf("requests %q: want the stored commit before the start", order)
		}
		if values, ended := f.applied("old"); values["cmi.location"] != "kept" || !ended {
			t.Errorf("recovered batch not applied: %v, terminated %v", values, ended)
		}
		if left, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("iframe") !== null`)); !left {
			t.Error("LMS page lost its frame")
		}
		if m := shimMessages(ctx, "lectern:launched"); len(m) != 1 {
			t.Errorf("launched messages = %v", m)
		} else if item, _ := m[0]["item"].(map[string]any); item["title"] != "Lesson 1" || m[0]["nav"] == nil {
			t.Errorf("launched message = %v", m[0])
		}
	})

	// The SCO saves in its own unload handler while the whole tab goes away.
	for _, v := range []cmi.Version{cmi.V12, cmi.V2004} {
		for _, on := range []string{"pagehide", "beforeunload", "unload"} {
			for _, how := range []string{"close", "navigate"} {
				name := fmt.Sprintf("%s %s %s", v, on, how)
				t.Run(name, func(t *testing.T) {
					ctx, cancel := tab(t)
					token := strings.ReplaceAll(name, " ", "-")
					lms := f.launch(token, shimLaunch{version: v, sco: "/shim/sco.html?v=" + string(v) + "&on=" + on + "&id=" + token})
					if err := chromedp.Do(ctx, chromedp.Navigate(lms)); err != nil {
						t.Fatal(err)
					}
					// The SCO's first SetValue goes out by autocommit (5 s) or
					// with the final batch; wait for the page to be up.
					shimWaitFor(t, "launched", 10*time.Second, func() bool { return len(shimMessages(ctx, "lectern:launched")) > 0 })
					time.Sleep(300 * time.Millisecond) // the SCO frame loads
					if how == "close" {
						// As the learner closing the tab: beforeunload, pagehide, unload.
						if _, err := chromedp.Call(ctx, page.Close, cdp.Empty{}); err != nil {
							t.Fatal(err)
						}
						defer cancel()
					} else if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/blank")); err != nil {
						t.Fatal(err)
					}
					location := map[cmi.Version]string{cmi.V12: "cmi.core.lesson_location", cmi.V2004: "cmi.location"}[v]
					if !shimWaitFor(t, "the SCO's last batch on the server", 10*time.Second, func() bool {
						values, ended := f.applied(token)
						return values[location] == "page-7" && ended
					}) {
						for _, r := range f.requests() {
							if r.Token == token {
								t.Logf("%s seq %d terminate %v status %d: %d changes", r.Path, r.Seq, r.Terminate, r.Status, len(r.Changes))
							}
						}
					}
					for _, r := range f.requests() {
						if r.Token == token && r.Status != http.StatusOK {
							t.Errorf("%s seq %d answered %d: batches overtook each other", r.Path, r.Seq, r.Status)
						}
					}
					reader, _ := tab(t)
					if got, want := f.scoAnswers(t, reader, token), []string{"true", "true", "true", "true", "true", "true"}; !slices.Equal(got, want) {
						t.Errorf("the SCO's calls answered %q, want %q", got, want)
					}
				})
			}
		}
	}
}

// scoAnswers reads what a SCO page recorded under sco:<id> (content origin).
func (f *shimRuntime) scoAnswers(t *testing.T, ctx context.Context, id string) []string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/blank")); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`JSON.parse(localStorage.getItem("sco:`+id+`") || "[]")`))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestShimPlayerNavigation: navigation requested by the LMS page unloads the
// SCO first (its unload handler still saves, and every call answers true),
// then asks /rt/nav; a SCO's own adl.nav.request is acted on after Terminate;
// and a last batch the server missed is recovered on the next launch.
func TestShimPlayerNavigation(t *testing.T) {
	f := newShimRuntime(t)
	browserCtx := headless.New(t, 3*time.Minute)
	tab := func(t *testing.T) context.Context {
		ctx, cancel := chromedp.NewContext(browserCtx)
		t.Cleanup(cancel)
		return ctx
	}
	open := func(t *testing.T, ctx context.Context, lms string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(lms)); err != nil {
			t.Fatal(err)
		}
		shimWaitFor(t, "launched", 10*time.Second, func() bool { return len(shimMessages(ctx, "lectern:launched")) > 0 })
		time.Sleep(300 * time.Millisecond) // the SCO frame loads
	}
	paths := func(token string) []string {
		var out []string
		for _, r := range f.requests() {
			if r.Token == token {
				out = append(out, fmt.Sprintf("%s %d %v", r.Path, r.Seq, r.Terminate))
			}
		}
		return out
	}

	for _, v := range []cmi.Version{cmi.V12, cmi.V2004} {
		t.Run("LMS asks "+string(v), func(t *testing.T) {
			ctx := tab(t)
			token := "lmsnav-" + string(v)
			f.mu.Lock()
			f.navTo[token] = map[string]any{"end": true, "suspended": true}
			f.mu.Unlock()
			open(t, ctx, f.launch(token, shimLaunch{version: v, sco: "/shim/sco.html?v=" + string(v) + "&on=unload&id=" + token}))
			if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`nav({kind: "exitAll"})`)); err != nil {
				t.Fatal(err)
			}
			shimWaitFor(t, "lectern:end", 10*time.Second, func() bool { return len(shimMessages(ctx, "lectern:end")) > 0 })
			if m := shimMessages(ctx, "lectern:end"); len(m) != 1 || m[0]["suspended"] != true {
				t.Errorf("end messages = %v", m)
			}
			got := paths(token)
			nav := slices.Index(got, "/rt/nav 0 false")
			term := slices.IndexFunc(got, func(s string) bool { return strings.HasSuffix(s, " true") })
			if nav < 0 || term < 0 || term > nav {
				t.Errorf("requests %q: want the SCO's terminating commit before /rt/nav", got)
			}
			location := map[cmi.Version]string{cmi.V12: "cmi.core.lesson_location", cmi.V2004: "cmi.location"}[v]
			if values, ended := f.applied(token); values[location] != "page-7" || !ended {
				t.Errorf("applied %v, terminated %v", values, ended)
			}
			if got, want := f.scoAnswers(t, ctx, token), []string{"true", "true", "true", "true", "true", "true"}; !slices.Equal(got, want) {
				t.Errorf("the SCO's calls in its unload handler answered %q, want %q", got, want)
			}
		})
	}

	t.Run("LMS asks what nav refuses", func(t *testing.T) {
		ctx := tab(t)
		open(t, ctx, f.launch("refused", shimLaunch{version: cmi.V12, sco: "/shim/sco.html?v=1.2"}))
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`nav({kind: "previous"})`)); err != nil {
			t.Fatal(err)
		}
		shimWaitFor(t, "lectern:error", 5*time.Second, func() bool { return len(shimMessages(ctx, "lectern:error")) > 0 })
		if got := paths("refused"); slices.Contains(got, "/rt/nav 0 false") || slices.ContainsFunc(got, func(s string) bool {
			return strings.HasSuffix(s, " true")
		}) {
			t.Errorf("requests %q: want no navigation and no Terminate (the SCO stays)", got)
		}
	})

	t.Run("SCO asks", func(t *testing.T) {
		ctx := tab(t)
		f.launch("next", shimLaunch{version: cmi.V12, sco: "/shim/sco.html?v=1.2"})
		f.mu.Lock()
		f.navTo["asks"] = map[string]any{"player": f.srv.URL + "/player/next"}
		f.mu.Unlock()
		open(t, ctx, f.launch("asks", shimLaunch{version: cmi.V2004, sco: "/shim/sco.html?v=2004&nav=continue"}))
		shimWaitFor(t, "the next launch", 10*time.Second, func() bool { return len(shimMessages(ctx, "lectern:launched")) == 2 })
		var nav map[string]any
		for _, r := range f.requests() {
			if r.Path == "/rt/nav" && r.Token == "asks" {
				nav = r.Request
			}
		}
		if nav["kind"] != "continue" {
			t.Errorf("navigation request %v, want continue", nav)
		}
		if got := paths("asks"); len(got) < 3 || got[len(got)-1] != "/rt/nav 0 false" || !strings.HasSuffix(got[len(got)-2], " true") {
			t.Errorf("requests %q: want start, the terminating commit, then /rt/nav", got)
		}
	})

	t.Run("missed batch recovered on the next launch", func(t *testing.T) {
		ctx := tab(t)
		token := "missed"
		f.mu.Lock()
		f.down[token] = 100 // the server is down while the tab closes
		f.mu.Unlock()
		open(t, ctx, f.launch(token, shimLaunch{version: cmi.V2004, sco: "/shim/sco.html?v=2004&on=pagehide&id=missed"}))
		if _, err := chromedp.Call(ctx, page.Close, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		if values, _ := f.applied(token); values["cmi.location"] != "" {
			t.Fatalf("applied while the server was down: %v", values)
		}
		f.mu.Lock()
		f.down[token] = 0
		f.mu.Unlock()
		open(t, tab(t), f.launch("later", shimLaunch{version: cmi.V12, sco: "/shim/sco.html?v=1.2"}))
		values, ended := f.applied(token)
		if values["cmi.location"] != "page-7" || values["cmi.session_time"] != "PT1M" || !ended {
			t.Errorf("after the next launch: applied %v, terminated %v", values, ended)
		}
	})
}
