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

// shimHarness is loaded into the blank test page. runSegment runs API calls
// on a fresh LecternRuntime over a state, with a transport that acknowledges
// every commit, and reports each call's answer, last error and diagnostic,
// the final state and the batches sent (after a pagehide, so that changes
// not yet committed are sent too).
const shimHarness = `
const schemas = {};
async function loadSchemas() {
  for (const v of ["1.2", "2004"]) schemas[v] = await (await fetch("/schema/" + v + ".json")).json();
  return true;
}
function memoryStorage() {
  const m = new Map();
  return {
    get length() { return m.size; },
    key: (i) => [...m.keys()][i] ?? null,
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
  };
}
function callName(schema, call) {
  let name = call.replace(/^LMS/, "");
  if (name === "Finish") name = "Terminate";
  return schema.functions[name];
}
function runSegment(seg) {
  const schema = schemas[seg.version];
  const batches = [];
  const transport = {
    send(url, body, mode) {
      batches.push({ mode, ...JSON.parse(JSON.stringify(body)) });
      const res = { status: 200, body: { seq: body.seq } };
      return mode === "sync" ? res : Promise.resolve(res);
    },
  };
  const s = LecternRuntime.create({ schema, state: seg.state, nav: seg.nav, transport, token: "t",
    storage: memoryStorage(), timing: false });
  const api = s.api;
  const fn = (f) => api[schema.functions[f]];
  const results = seg.calls.map((c) => {
    const name = callName(schema, c.call);
    const ret = name ? api[name](...(c.args || [])) : "";
    return { ret, err: fn("GetLastError")(), diag: fn("GetDiagnostic")("") };
  });
  s.pagehide();
  return { results, state: s.state(), batches };
}
`

const shimPage = `<!doctype html><html><head><meta charset="utf-8"><title>shim test</title>
<script src="/static/scorm-api.js"></script><script>` + shimHarness + `</script></head><body></body></html>`

// newShimServer serves the test page, the shim from static/ (read on each
// request, so edits show without rebuilding) and the two schema documents.
func newShimServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, shimPage)
	})
	mux.HandleFunc("GET /static/scorm-api.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFile(w, r, filepath.Join(fixture.Root(), "static", "scorm-api.js"))
	})
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
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
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

// tableNav answers adl.nav.request_valid like the vectors' "nav" table.
type tableNav map[string]string

func (m tableNav) RequestValid(request, target string) string {
	key := request
	if target != "" {
		key += ":" + target
	}
	if v, ok := m[key]; ok {
		return v
	}
	return "unknown"
}

// jsNav turns a vector's table into the server's nav object.
func jsNav(table map[string]string) map[string]any {
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

type segmentIn struct {
	Version cmi.Version    `json:"version"`
	State   *cmi.State     `json:"state"`
	Nav     map[string]any `json:"nav"`
	Calls   []shimCall     `json:"calls"`
}

type segmentOut struct {
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

func runSegment(t *testing.T, ctx context.Context, in segmentIn) segmentOut {
	t.Helper()
	arg, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[segmentOut](`runSegment(`+string(arg)+`)`))
	if err != nil {
		t.Fatalf("runSegment: %v", err)
	}
	if len(out.Results) != len(in.Calls) {
		t.Fatalf("runSegment: %d results for %d calls", len(out.Results), len(in.Calls))
	}
	return out
}

// compareRun runs one case in the browser and on cmi.Runtime side by side:
// every call must give the same answer, error code and diagnostic (and the
// vector's expectations, where it states them); the batches must carry every
// accepted change in order with consecutive sequence numbers; and replaying
// them with State.Apply, as the server does, must rebuild the browser's state.
// It returns the number of calls checked.
func compareRun(t *testing.T, ctx context.Context, name string, v cmi.Version, init cmi.Init, nav map[string]string, calls []shimCall) int {
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
		rt.Nav = tableNav(nav)
		rt.OnCommit = func(c []cmi.Change) error {
			committed = append(committed, c...)
			return nil
		}
		begin := st.Clone()
		out := runSegment(t, ctx, segmentIn{Version: v, State: st, Nav: jsNav(nav), Calls: seg})
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
		if want := append(committed, rt.Pending()...); !equalChanges(sent, want) {
			t.Errorf("%s: the browser sent %v, cmi.Runtime recorded %v", name, sent, want)
		}
		if err := begin.Apply(sent); err != nil {
			t.Errorf("%s: the server would refuse the browser's changes: %v", name, err)
		} else if !sameState(begin, &out.State) {
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

func equalChanges(a, b []cmi.Change) bool {
	return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b))
}

func sameState(a, b *cmi.State) bool {
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
		calls += compareRun(t, ctx, vc.Name, vc.Version, vc.Init, vc.Nav, vc.Calls)
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
		g := newCallGen(r, schema)
		for i := range 300 {
			init := g.inits[i%len(g.inits)]
			nav := map[string]string{"continue": "true", "previous": "false", "choice:a": "true", "jump:b": "false"}
			calls += compareRun(t, ctx, fmt.Sprintf("%s random sequence %d", v, i), v, init, nav, g.sequence(60))
		}
	}
	t.Logf("%d random calls agree", calls)
}

// responses are values for correct_responses.n.pattern and the learner's
// response, by interaction type.
var responses = map[string][]string{
	"choice":       {"a", "a[,]b", "b[,]a", "", "a[,]a", "a b"},
	"true-false":   {"true", "false", "x"},
	"fill-in":      {"{case_matters=true}{order_matters=false}x", "{lang=en}word[,]b", "", "{case_matters=x}y", "{order_matters=true}{order_matters=true}z"},
	"long-fill-in": {"{case_matters=true}long", "{lang=xx-}x", "{lang=de}Wort"},
	"likert":       {"likert_1", "", "a b"},
	"matching":     {"a[.]b", "a[.]1[:]2", "a[.]b[,]c[.]d", "[.]x", "", "a[.]b[.]c", "c[.]d[,]a[.]b"},
	"performance":  {"{order_matters=true}a[.]b", "{order_matters=true}{order_matters=false}a[.]b", "a[.]1[:]2", "[.]x", "a[.]", "[.]", "a[.]2[:]1", "b[.]x[,]a[.]y"},
	"sequencing":   {"a[,]b", "b[,]a", "", "a[,]a"},
	"numeric":      {"1[:]2", "2[:]1", "[:]5", "1.5", "x[:]1", "1[:]2[:]3", "1e3"},
	"other":        {"anything", "", strings.Repeat("z", 4001)},
}

// callGen makes random API calls for one version.
type callGen struct {
	r      *rand.Rand
	v      cmi.Version
	names  []string // element templates, keyword paths and bad names
	values []string
	vocab  map[string][]string // element template -> values of its type
	inits  []cmi.Init
}

func newCallGen(r *rand.Rand, s *cmi.SchemaDoc) *callGen {
	g := &callGen{r: r, v: s.Version, vocab: map[string][]string{}}
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
	for c := range s.Containers {
		g.names = append(g.names, c+"._children", c+"._count", c+"._version")
	}
	g.names = append(g.names, "", "cmi", "cmi.bogus", "cmi._version", "cmi.interactions.01.id",
		"cmi.interactions.99999999999999999999.id", "adl.nav.request_valid.choice.{target=}",
		"adl.nav.request_valid.choice.{target=a}", "adl.nav.request_valid.jump.{target=b}", "cmi.objectives.0.n")
	g.values = []string{"", "0", "1", "-1", "0.5", "1.5", "-0.5", "100", "-100", "101", "1.", ".5", "+1", "1e5",
		"1" + strings.Repeat("0", 400), "abc", "a b", "x\ny", "é", "\u00a0", "PT1H30M", "P1D", "PT", "P1DT",
		"PT1.234S", "2021-03-04T05:06:07.8Z", "2021-03-04", "2021-02-29", "2020-02-29T10:00", "0000:10:00",
		"12:30:00", "25:00:00", "{lang=en}hello", "{lang=}x", "{lang=e1}x", "{lang=en-GB}", "urn:x:y", "urn:bad",
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

func (g *callGen) pick(list []string) string { return list[g.r.IntN(len(list))] }

// name instantiates a template with small indices, so that records get
// created, reused and skipped.
func (g *callGen) name() string {
	segs := strings.Split(g.pick(g.names), ".")
	for i, s := range segs {
		if s == "n" && g.r.IntN(20) > 0 {
			segs[i] = fmt.Sprint(g.r.IntN(3))
		}
	}
	return strings.ReplaceAll(strings.Join(segs, "."), "{target=ID}", "{target="+g.pick([]string{"a", "b", "x.y"})+"}")
}

func (g *callGen) value(name string) string {
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

func (g *callGen) sequence(n int) []shimCall {
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
					if rs := responses[typ]; len(rs) > 0 && strings.HasSuffix(name, "response") || strings.HasSuffix(name, "pattern") {
						if rs := responses[typ]; len(rs) > 0 && g.r.IntN(4) > 0 {
							value = g.pick(rs)
						}
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

// protocolScript checks the commit protocol of LecternRuntime with scripted
// transports. runProtocol resolves to the failed checks.
const protocolScript = `
async function runProtocol(states) {
  const failures = [];
  let checks = 0;
  const check = (label, got, want) => {
    checks++;
    const g = JSON.stringify(got), w = JSON.stringify(want);
    if (g !== w) failures.push(label + ": got " + g + ", want " + w);
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const tick = () => new Promise((r) => setTimeout(r, 0));
  // fake records every request and answers with reply(body, mode, n).
  function fake(reply) {
    const log = [];
    return {
      log,
      send(url, body, mode) {
        const b = JSON.parse(JSON.stringify(body));
        log.push({ url, mode, ...b });
        const res = reply(b, mode, log.length);
        if (res instanceof Error) throw res;
        return mode === "sync" ? res : Promise.resolve(res);
      },
    };
  }
  const ok = (b) => ({ status: 200, body: { seq: b.seq } });
  const seqs = (log) => log.map((r) => r.seq);
  const make = (version, transport, more) => LecternRuntime.create({
    schema: schemas[version], state: JSON.parse(JSON.stringify(states[version])), transport,
    token: "tok", url: "/rt/commit", storage: memoryStorage(), timing: false, ...more });

  { // Batches keep their order and sequence numbers; the ack's nav answers request_valid.
    const navs = [], terms = [];
    const tr = fake((b) => ({ status: 200, body: { seq: b.seq, nav: { continue: true, choice: { x: false } } } }));
    const s = make("2004", tr, { seq: 5, onNav: (n) => navs.push(n), onTerminated: (r) => terms.push(r) });
    const api = s.api;
    check("order: Initialize", api.Initialize(""), "true");
    check("order: request_valid before any ack", api.GetValue("adl.nav.request_valid.continue"), "unknown");
    api.SetValue("cmi.location", "p1");
    check("order: Commit", api.Commit(""), "true");
    api.SetValue("cmi.location", "p2");
    api.SetValue("cmi.suspend_data", "s");
    check("order: second Commit", api.Commit(""), "true");
    check("order: Commit without changes sends nothing", [api.Commit(""), tr.log.length], ["true", 2]);
    check("order: request_valid from the ack", [api.GetValue("adl.nav.request_valid.continue"),
      api.GetValue("adl.nav.request_valid.choice.{target=x}"), api.GetValue("adl.nav.request_valid.previous")],
      ["true", "false", "unknown"]);
    check("order: nav changes reported once", navs.length, 1);
    api.SetValue("adl.nav.request", "{target=x}choice");
    check("order: Terminate", api.Terminate(""), "true");
    check("order: requests", tr.log.map((r) => [r.token, r.seq, r.mode, r.terminate, r.changes]), [
      ["tok", 6, "sync", false, [{ element: "cmi.location", value: "p1" }]],
      ["tok", 7, "sync", false, [{ element: "cmi.location", value: "p2" }, { element: "cmi.suspend_data", value: "s" }]],
      ["tok", 8, "sync", true, [{ element: "adl.nav.request", value: "{target=x}choice" }]],
    ]);
    check("order: navigation request after Terminate", terms, [{ kind: "choice", target: "x" }]);
    check("order: nothing pending", s.pending(), []);
  }

  { // Terminate always sends a batch, even without changes (1.2).
    const tr = fake(ok);
    const api = make("1.2", tr).api;
    api.LMSInitialize("");
    check("finish: LMSFinish", api.LMSFinish(""), "true");
    check("finish: empty terminating batch", tr.log.map((r) => [r.seq, r.terminate, r.changes.length]), [[1, true, 0]]);
  }

  { // A commit the server cannot take fails with 391 and is sent again, first, with the same seq.
    let down = true;
    const storage = memoryStorage();
    const tr = fake((b) => (down ? { status: 503, body: {} } : ok(b)));
    const s = make("2004", tr, { storage });
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "a");
    check("retry: Commit while the server is down", [api.Commit(""), api.GetLastError()], ["false", "391"]);
    check("retry: batch stored", JSON.parse(storage.getItem("lectern:pending:tok")).map((b) => b.seq), [1]);
    api.SetValue("cmi.location", "b");
    down = false;
    check("retry: Commit once it is back", [api.Commit(""), api.GetLastError()], ["true", "0"]);
    check("retry: seqs", seqs(tr.log), [1, 1, 2]);
    check("retry: storage emptied", storage.getItem("lectern:pending:tok"), null);
  }

  { // A network error (the synchronous request throws) fails the Commit, and keepalive takes the batch.
    let n = 0;
    const tr = fake((b, mode) => (mode === "sync" ? new Error("NetworkError") : (n++, ok(b))));
    const s = make("1.2", tr);
    const api = s.api;
    api.LMSInitialize("");
    api.LMSSetValue("cmi.core.lesson_location", "x");
    check("throw: LMSCommit", [api.LMSCommit(""), api.LMSGetLastError()], ["false", "101"]);
    await tick();
    check("throw: sent with keepalive and acknowledged", [tr.log.map((r) => r.mode), s.pending().length], [["sync", "keepalive"], 0]);
  }

  { // A refused value (422) fails the Commit, names the element, and the rest is saved under the same seq.
    const tr = fake((b, mode, n) => (n === 1
      ? { status: 422, body: { error: "bad value", code: 406, element: "cmi.score.raw", index: 1 } } : ok(b)));
    const s = make("2004", tr);
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "a");
    api.SetValue("cmi.score.raw", "5");
    api.SetValue("cmi.suspend_data", "d");
    check("refused: Commit", [api.Commit(""), api.GetLastError()], ["false", "391"]);
    check("refused: diagnostic names the element", api.GetDiagnostic("").includes("cmi.score.raw"), true);
    check("refused: resent without it", tr.log.map((r) => [r.seq, r.changes.map((c) => c.element)]),
      [[1, ["cmi.location", "cmi.score.raw", "cmi.suspend_data"]], [1, ["cmi.location", "cmi.suspend_data"]]]);
    check("refused: next commit works", [api.SetValue("cmi.location", "b"), api.Commit(""), tr.log.at(-1).seq], ["true", "true", 2]);
  }

  { // Superseded: from then on SetValue, Commit and Terminate fail with 391.
    const fatal = [];
    const storage = memoryStorage();
    const tr = fake(() => ({ status: 409, body: { error: "Taken over.", code: 391, reason: "superseded" } }));
    const s = make("2004", tr, { storage, onFatal: (m) => fatal.push(m) });
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "a");
    check("superseded: Commit", [api.Commit(""), api.GetLastError()], ["false", "391"]);
    check("superseded: diagnostic", api.GetDiagnostic(""),
      "This course was opened in another window; this window can no longer save progress.");
    check("superseded: SetValue", [api.SetValue("cmi.location", "b"), api.GetLastError()], ["false", "391"]);
    check("superseded: GetValue still answers", [api.GetValue("cmi.location"), api.GetLastError()], ["a", "0"]);
    check("superseded: Commit again", [api.Commit(""), api.GetLastError()], ["false", "391"]);
    check("superseded: Terminate", [api.Terminate(""), api.GetLastError()], ["false", "391"]);
    check("superseded: one request, nothing kept", [tr.log.length, storage.length], [1, 0]);
    check("superseded: reported once", fatal.length, 1);
    const api12 = make("1.2", fake(() => ({ status: 409, body: { reason: "superseded" } }))).api;
    api12.LMSInitialize("");
    api12.LMSSetValue("cmi.core.lesson_location", "a");
    check("superseded 1.2: LMSCommit", [api12.LMSCommit(""), api12.LMSGetLastError()], ["false", "101"]);
    check("superseded 1.2: LMSSetValue", [api12.LMSSetValue("cmi.core.lesson_location", "b"), api12.LMSGetLastError()], ["false", "101"]);
  }

  { // Pending batches survive in localStorage and are replayed first, in order, for every token.
    localStorage.clear();
    const dead = make("2004", fake(() => ({ status: 0, body: {} })), { storage: localStorage, token: "old" });
    dead.api.Initialize("");
    dead.api.SetValue("cmi.location", "a");
    dead.api.Commit("");
    dead.api.SetValue("cmi.location", "b");
    dead.api.Terminate("");
    check("recover: both batches stored", JSON.parse(localStorage.getItem("lectern:pending:old")).map((b) => [b.seq, b.terminate]),
      [[1, false], [2, true]]);
    localStorage.setItem("lectern:pending:other", JSON.stringify([{ token: "other", seq: 4, changes: [], terminate: false }]));
    localStorage.setItem("unrelated", "x");
    const down = fake(() => ({ status: 502, body: {} }));
    await LecternRuntime.recover({ storage: localStorage, transport: down, url: "/rt/commit" });
    check("recover: server down keeps everything", [localStorage.getItem("lectern:pending:old") !== null,
      localStorage.getItem("lectern:pending:other") !== null], [true, true]);
    const up = fake((b) => (b.token === "other" ? { status: 410, body: { error: "expired" } } : ok(b)));
    await LecternRuntime.recover({ storage: localStorage, transport: up, url: "/rt/commit" });
    check("recover: old batches in order", up.log.filter((r) => r.token === "old").map((r) => [r.seq, r.terminate, r.changes]),
      [[1, false, [{ element: "cmi.location", value: "a" }]], [2, true, [{ element: "cmi.location", value: "b" }]]]);
    check("recover: acknowledged and expired batches removed", [localStorage.getItem("lectern:pending:old"),
      localStorage.getItem("lectern:pending:other"), localStorage.getItem("unrelated")], [null, null, "x"]);
    localStorage.setItem("lectern:pending:r", JSON.stringify([{ token: "r", seq: 1, changes: [
      { element: "cmi.location", value: "a" }, { element: "cmi.exit", value: "bad" }], terminate: true }]));
    const picky = fake((b) => (b.changes.some((c) => c.element === "cmi.exit")
      ? { status: 422, body: { element: "cmi.exit", code: 406 } } : ok(b)));
    await LecternRuntime.recover({ storage: localStorage, transport: picky, url: "/rt/commit" });
    check("recover: refused value dropped, rest saved", picky.log.map((r) => r.changes.length), [2, 1]);
    check("recover: done", localStorage.getItem("lectern:pending:r"), null);
    localStorage.removeItem("unrelated");
  }

  { // Autocommit: debounced after SetValue, at the latest after maxWait, with backoff on failure.
    let fails = 2;
    const tr = fake((b, mode) => (mode === "async" && fails-- > 0 ? { status: 500, body: {} } : ok(b)));
    const s = make("2004", tr, { timing: { debounce: 40, maxWait: 1000, retryMin: 30, retryMax: 60 } });
    const api = s.api;
    api.Initialize("");
    api.SetValue("cmi.location", "a");
    api.SetValue("cmi.location", "b");
    check("auto: nothing sent at once", tr.log.length, 0);
    await sleep(300);
    check("auto: retried until acknowledged", tr.log.map((r) => [r.seq, r.mode, r.changes.length]),
      [[1, "async", 2], [1, "async", 2], [1, "async", 2]]);
    check("auto: nothing pending", s.pending().length, 0);
    const tr2 = fake(ok);
    const s2 = make("2004", tr2, { timing: { debounce: 60, maxWait: 150, retryMin: 30, retryMax: 60 } });
    s2.api.Initialize("");
    for (let i = 0; i < 12; i++) {
      s2.api.SetValue("cmi.location", "v" + i);
      await sleep(25);
    }
    check("auto: maxWait sends during a stream of SetValue", tr2.log.length > 0 && tr2.log[0].changes.length < 12, true);
  }

  { // A synchronous Commit while an autocommit is in flight: the duplicate is harmless and order holds.
    let release;
    const tr = {
      log: [],
      send(url, body, mode) {
        this.log.push({ seq: body.seq, mode });
        if (mode === "sync") return ok(body);
        return new Promise((r) => { release = () => r(ok(body)); });
      },
    };
    const s = make("2004", tr, { timing: { debounce: 10, maxWait: 1000, retryMin: 30, retryMax: 60 } });
    s.api.Initialize("");
    s.api.SetValue("cmi.location", "a");
    await sleep(40);
    s.api.SetValue("cmi.location", "b");
    check("inflight: Commit", s.api.Commit(""), "true");
    release();
    await tick();
    check("inflight: requests", tr.log, [{ seq: 1, mode: "async" }, { seq: 1, mode: "sync" }, { seq: 2, mode: "sync" }]);
    check("inflight: nothing pending", s.pending().length, 0);
  }

  { // Page dismissal: keepalive, and what a SCO does in its unload handler leaves as one batch.
    const tr = fake(ok);
    const storage = memoryStorage();
    const s = make("1.2", tr, { storage });
    const api = s.api;
    api.LMSInitialize("");
    api.LMSSetValue("cmi.core.lesson_location", "p1");
    s.pagehide();
    check("hide: draft sent with keepalive", tr.log.map((r) => [r.seq, r.mode]), [[1, "keepalive"]]);
    api.LMSSetValue("cmi.core.lesson_location", "p2");
    api.LMSSetValue("cmi.core.exit", "suspend");
    check("hide: LMSCommit answers at once", api.LMSCommit(""), "true");
    check("hide: LMSFinish answers at once", api.LMSFinish(""), "true");
    check("hide: stored before the task ends", JSON.parse(storage.getItem("lectern:pending:tok") || "[]").length, 1);
    await tick();
    check("hide: one terminating batch", tr.log.map((r) => [r.seq, r.mode, r.terminate, r.changes.length]),
      [[1, "keepalive", false, 1], [2, "keepalive", true, 2]]);
    check("hide: acknowledged", storage.getItem("lectern:pending:tok"), null);
    check("hide: after LMSFinish", [api.LMSGetValue("cmi.core.lesson_location"), api.LMSGetLastError()], ["", "301"]);
  }
  return { failures, checks };
}
`

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
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](protocolScript+`; true`)); err != nil {
		t.Fatal(err)
	}
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

// fakeRuntime stands in for the lead's runtime endpoints on the content
// origin, with the same sequence rules as the store (a repeated seq is
// acknowledged, a gap refused, nothing after a terminating batch) and a log
// of every request.
type fakeRuntime struct {
	t      *testing.T
	srv    *httptest.Server
	lms    *httptest.Server // the LMS origin, which frames the player
	mu     sync.Mutex
	log    []rtRequest
	seq    map[string]int  // last applied seq per token
	ended  map[string]bool // token terminated
	navTo  map[string]any  // answer of /rt/nav per token
	starts map[string]rtLaunch
}

type rtRequest struct {
	Path      string         `json:"path"`
	Token     string         `json:"token"`
	Seq       int            `json:"seq"`
	Changes   []cmi.Change   `json:"changes"`
	Terminate bool           `json:"terminate"`
	Request   map[string]any `json:"request"`
	Status    int            `json:"-"`
}

// rtLaunch is what /rt/start answers for a token.
type rtLaunch struct {
	version cmi.Version
	sco     string // path of the SCO page
	status  int    // non-zero: refuse with this status
}

func newFakeRuntime(t *testing.T) *fakeRuntime {
	t.Helper()
	f := &fakeRuntime{t: t, seq: map[string]int{}, ended: map[string]bool{}, navTo: map[string]any{},
		starts: map[string]rtLaunch{}}
	schemas := map[cmi.Version][]byte{}
	for _, v := range []cmi.Version{cmi.V12, cmi.V2004} {
		doc, err := cmi.Schema(v)
		if err != nil {
			t.Fatal(err)
		}
		schemas[v] = doc
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/scorm-api.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFile(w, r, filepath.Join(fixture.Root(), "static", "scorm-api.js"))
	})
	mux.HandleFunc("GET /schema/{v}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(schemas[cmi.Version(strings.TrimSuffix(r.PathValue("v"), ".json"))])
	})
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
	mux.HandleFunc("GET /sco/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, scoPage(r.URL.Query()))
	})
	mux.HandleFunc("POST /rt/{op}", f.serveRuntime)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	// The LMS page frames the player and records its messages.
	f.lms = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>lms</title><script>
window.messages = [];
addEventListener("message", (e) => { if (e.origin === %q) messages.push(e.data); });
function nav(request) { document.querySelector("iframe").contentWindow.postMessage({type: "lectern:nav", request}, %q); }
</script><iframe id="player" src="%s"></iframe>`, f.srv.URL, f.srv.URL, f.srv.URL+"/player/"+r.URL.Query().Get("token"))
	}))
	t.Cleanup(f.lms.Close)
	return f
}

func (f *fakeRuntime) launch(token string, l rtLaunch) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts[token] = l
	return f.lms.URL + "/?token=" + token
}

func (f *fakeRuntime) serveRuntime(w http.ResponseWriter, r *http.Request) {
	var req rtRequest
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
func (f *fakeRuntime) requests() []rtRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// applied returns the changes the server applied for a token, in order, and
// whether a terminating batch arrived.
func (f *fakeRuntime) applied(token string) (map[string]string, bool) {
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

// waitFor polls until cond holds or the time is up.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) bool {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	t.Errorf("timed out waiting for %s", what)
	return false
}

// scoPage is a SCO that finds the API the usual way (parents, then opener),
// initializes on load, and saves in the handler named by ?on= (pagehide,
// beforeunload, unload) with the calls of its version (?v=1.2|2004).
func scoPage(q url.Values) string {
	return `<!doctype html><html><head><meta charset="utf-8"><title>sco</title><script>
function findAPI(win, name) {
  for (let i = 0; win && i < 10; i++) {
    if (win[name]) return win[name];
    if (win.parent === win) break;
    win = win.parent;
  }
  return window.top.opener ? window.top.opener[name] : null;
}
const v12 = ` + fmt.Sprintf("%q", q.Get("v")) + ` === "1.2";
const api = findAPI(window, v12 ? "API" : "API_1484_11");
const on = ` + fmt.Sprintf("%q", q.Get("on")) + `;
const navReq = ` + fmt.Sprintf("%q", q.Get("nav")) + `;
if (v12) {
  api.LMSInitialize("");
  api.LMSSetValue("cmi.core.lesson_status", "incomplete");
} else {
  api.Initialize("");
  api.SetValue("cmi.completion_status", "incomplete");
  if (navReq) {
    api.SetValue("adl.nav.request", navReq);
    setTimeout(() => api.Terminate(""), 50);
  }
}
document.title = "ready";
function save() {
  if (v12) {
    api.LMSSetValue("cmi.core.lesson_location", "page-7");
    api.LMSSetValue("cmi.core.exit", "suspend");
    api.LMSSetValue("cmi.suspend_data", "` + strings.Repeat("s", 2000) + `");
    api.LMSCommit("");
    api.LMSSetValue("cmi.core.session_time", "0000:01:00");
    api.LMSFinish("");
  } else {
    api.SetValue("cmi.location", "page-7");
    api.SetValue("cmi.exit", "suspend");
    api.SetValue("cmi.suspend_data", "` + strings.Repeat("s", 2000) + `");
    api.Commit("");
    api.SetValue("cmi.session_time", "PT1M");
    api.Terminate("");
  }
}
if (on) addEventListener(on, save);
</script></head><body><p>SCO</p></body></html>`
}

// TestShimPlayerFrame runs the player frame in Chromium against fake runtime
// endpoints: start errors, recovery of stored batches before the start, a SCO
// that saves and finishes from its unload handlers while the tab closes or
// navigates away, and navigation requested by the LMS page and by the SCO.
func TestShimPlayerFrame(t *testing.T) {
	f := newFakeRuntime(t)
	browserCtx := headless.New(t, 4*time.Minute)
	tab := func(t *testing.T) (context.Context, context.CancelFunc) {
		ctx, cancel := chromedp.NewContext(browserCtx)
		t.Cleanup(cancel)
		return ctx, cancel
	}
	messages := func(ctx context.Context) []map[string]any {
		m, _ := chromedp.Run(ctx, chromedp.Evaluate[[]map[string]any](`window.messages || []`))
		return m
	}
	hasMessage := func(ctx context.Context, typ string) map[string]any {
		for _, m := range messages(ctx) {
			if m["type"] == typ {
				return m
			}
		}
		return nil
	}
	t.Run("start refused", func(t *testing.T) {
		ctx, _ := tab(t)
		f.launch("gone", rtLaunch{version: cmi.V12, status: http.StatusGone})
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/player/gone")); err != nil {
			t.Fatal(err)
		}
		var status string
		waitFor(t, "status text", 5*time.Second, func() bool {
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
		f.launch("old", rtLaunch{version: cmi.V2004, sco: "/sco/x"})
		f.mu.Lock()
		f.seq["old"] = 0
		f.mu.Unlock()
		stored := `[{"token":"old","seq":1,"changes":[{"element":"cmi.location","value":"kept"}],"terminate":true}]`
		if err := chromedp.Do(ctx, chromedp.Navigate(f.srv.URL+"/blank"),
			chromedp.Evaluate[chromedp.Void](`localStorage.setItem("lectern:pending:old", `+fmt.Sprintf("%q", stored)+`)`)); err != nil {
			t.Fatal(err)
		}
		lms := f.launch("new", rtLaunch{version: cmi.V12, sco: "/sco/a?v=1.2"})
		if err := chromedp.Do(ctx, chromedp.Navigate(lms)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "launched message", 10*time.Second, func() bool { return hasMessage(ctx, "lectern:launched") != nil })
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
		m := hasMessage(ctx, "lectern:launched")
		if item, _ := m["item"].(map[string]any); item["title"] != "Lesson 1" || m["nav"] == nil {
			t.Errorf("launched message = %v", m)
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
					lms := f.launch(token, rtLaunch{version: v, sco: "/sco/s?v=" + string(v) + "&on=" + on})
					if err := chromedp.Do(ctx, chromedp.Navigate(lms)); err != nil {
						t.Fatal(err)
					}
					// The SCO's first SetValue goes out by autocommit (5 s) or
					// with the final batch; wait for the page to be up.
					waitFor(t, "launched", 10*time.Second, func() bool { return hasMessage(ctx, "lectern:launched") != nil })
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
					if !waitFor(t, "the SCO's last batch on the server", 10*time.Second, func() bool {
						values, ended := f.applied(token)
						return values[location] == "page-7" && ended
					}) {
						for _, r := range f.requests() {
							if r.Token == token {
								t.Logf("%s seq %d terminate %v status %d: %d changes", r.Path, r.Seq, r.Terminate, r.Status, len(r.Changes))
							}
						}
					}
				})
			}
		}
	}
}
