package ltiplatform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// Browser drives launches over HTTP without a real browser: it holds cookies,
// follows the tools' pages as their scripts would (storing the state in the
// platform's storage, submitting forms) and keeps the platform's storage.
type Browser struct {
	C       *http.Client
	Storage map[string]string // the platform's postMessage storage, for one tool origin
	// BeforeLaunchPost may change the platform's form post to the tool (the
	// id_token and state), for tests of refused launches.
	BeforeLaunchPost func(form url.Values)
	// LoginPOST sends the login initiation as a form post instead of a GET.
	LoginPOST bool
}

// NewBrowser returns a browser with an empty cookie jar.
func NewBrowser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{Storage: map[string]string{}, C: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Page is a response as a browser shows it.
type Page struct {
	Status int
	URL    string
	Header http.Header
	Body   string
}

func (b *Browser) do(ctx context.Context, method, u string, form url.Values) (*Page, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.C.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &Page{Status: resp.StatusCode, URL: u, Header: resp.Header, Body: string(raw)}, nil
}

// follow GETs redirects until a page answers.
func (b *Browser) follow(ctx context.Context, pg *Page) (*Page, error) {
	for i := 0; i < 10 && pg.Status >= 300 && pg.Status < 400; i++ {
		next, err := resolve(pg.URL, pg.Header.Get("Location"))
		if err != nil {
			return nil, err
		}
		if pg, err = b.do(ctx, http.MethodGet, next, nil); err != nil {
			return nil, err
		}
	}
	return pg, nil
}

// Get loads a page (following redirects).
func (b *Browser) Get(ctx context.Context, u string) (*Page, error) {
	pg, err := b.do(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	return b.follow(ctx, pg)
}

// Submit posts a form of a page (following redirects).
func (b *Browser) Submit(ctx context.Context, pg *Page, f *Form, set map[string]string) (*Page, error) {
	action, err := resolve(pg.URL, f.Action)
	if err != nil {
		return nil, err
	}
	vals := url.Values{}
	for k, v := range f.Values {
		vals[k] = append([]string(nil), v...)
	}
	for k, v := range set {
		vals.Set(k, v)
	}
	next, err := b.do(ctx, http.MethodPost, action, vals)
	if err != nil {
		return nil, err
	}
	return b.follow(ctx, next)
}

func resolve(base, ref string) (string, error) {
	bu, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	ru, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	return bu.ResolveReference(ru).String(), nil
}

// Launch runs a whole launch of l: the tool's OIDC login, the platform's
// authorisation, the id_token post, and what the tool's pages do next. It
// returns the last page.
func (p *Platform) Launch(ctx context.Context, b *Browser, l *Launch) (*Page, error) {
	q := p.LoginParams(l)
	var pg *Page
	var err error
	if b.LoginPOST {
		pg, err = b.do(ctx, http.MethodPost, l.Tool.LoginURL, q)
	} else {
		pg, err = b.do(ctx, http.MethodGet, l.Tool.LoginURL+"?"+q.Encode(), nil)
	}
	if err != nil {
		return nil, err
	}
	var auth string
	switch {
	case pg.Status >= 300 && pg.Status < 400:
		auth, err = resolve(pg.URL, pg.Header.Get("Location"))
		if err != nil {
			return nil, err
		}
	case pg.Status == http.StatusOK:
		d := DataOf(pg.Body, "lti")
		if d["auth"] == "" {
			return pg, nil
		}
		auth = d["auth"]
		if d["storage"] == "platform" {
			b.Storage["state_"+d["state"]] = d["state"]
			b.Storage["nonce_"+d["nonce"]] = d["nonce"]
		}
	default:
		return pg, nil
	}
	apg, err := b.do(ctx, http.MethodGet, auth, nil)
	if err != nil {
		return nil, err
	}
	if apg.Status != http.StatusOK {
		return apg, fmt.Errorf("platform authorisation: HTTP %d: %s", apg.Status, apg.Body)
	}
	action, form, err := AutoPost(apg.Body)
	if err != nil {
		return nil, err
	}
	if b.BeforeLaunchPost != nil {
		b.BeforeLaunchPost(form)
	}
	lpg, err := b.do(ctx, http.MethodPost, action, form)
	if err != nil {
		return nil, err
	}
	if lpg, err = b.follow(ctx, lpg); err != nil {
		return nil, err
	}
	return b.Continue(ctx, lpg)
}

// Continue does what a Lectern launch page's script does: check the state in
// the platform's storage and enter the launch.
func (b *Browser) Continue(ctx context.Context, pg *Page) (*Page, error) {
	d := DataOf(pg.Body, "lti")
	if d["step"] != "launch" {
		return pg, nil
	}
	f := FormByID(pg.Body, "lti-enter")
	if f == nil {
		return nil, errors.New("launch page without its form")
	}
	set := map[string]string{}
	if d["storage"] == "platform" && b.Storage["state_"+d["state"]] != d["state"] {
		set["check"] = "failed"
	}
	return b.Submit(ctx, pg, f, set)
}

// Form is an HTML form of a page.
type Form struct {
	ID, Action string
	Values     url.Values
}

// Forms lists the forms of a page with their hidden and filled fields.
func Forms(page string) []*Form {
	var out []*Form
	var cur *Form
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			t := z.Token()
			attr := func(k string) string {
				for _, a := range t.Attr {
					if a.Key == k {
						return a.Val
					}
				}
				return ""
			}
			switch {
			case t.Data == "form" && tt == html.EndTagToken:
				cur = nil
			case t.Data == "form":
				cur = &Form{ID: attr("id"), Action: attr("action"), Values: url.Values{}}
				out = append(out, cur)
			case t.Data == "input" && cur != nil && attr("name") != "":
				typ := attr("type")
				if (typ == "radio" || typ == "checkbox") && !hasAttr(t, "checked") {
					continue
				}
				cur.Values.Add(attr("name"), attr("value"))
			}
		}
	}
}

func hasAttr(t html.Token, k string) bool {
	for _, a := range t.Attr {
		if a.Key == k {
			return true
		}
	}
	return false
}

// FormByID finds a form by its id.
func FormByID(page, id string) *Form {
	for _, f := range Forms(page) {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// FormByAction finds the first form posting to action (with the given field
// value, when field is not "").
func FormByAction(page, action, field, value string) *Form {
	for _, f := range Forms(page) {
		if f.Action == action && (field == "" || f.Values.Get(field) == value) {
			return f
		}
	}
	return nil
}

// DataOf returns the data-* attributes of the element with the id.
func DataOf(page, id string) map[string]string {
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return map[string]string{}
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			found := false
			for _, a := range t.Attr {
				found = found || (a.Key == "id" && a.Val == id)
			}
			if !found {
				continue
			}
			out := map[string]string{}
			for _, a := range t.Attr {
				if k, ok := strings.CutPrefix(a.Key, "data-"); ok {
					out[k] = a.Val
				}
			}
			return out
		}
	}
}

// AutoPost reads the form an auto-submitting page holds (as a browser would
// submit it).
func AutoPost(page string) (string, url.Values, error) {
	fs := Forms(page)
	if len(fs) == 0 {
		return "", nil, errors.New("no form in the page")
	}
	return fs[0].Action, fs[0].Values, nil
}
