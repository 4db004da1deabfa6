package scorm

import (
	"errors"
	"testing"
)

func TestLaunchJoinParameters(t *testing.T) {
	tests := []struct {
		launch, params, want string
	}{
		{"a.html", "", "a.html"},
		{"a.html", "x=1", "a.html?x=1"},
		{"a.html", "?x=1", "a.html?x=1"},
		{"a.html", "&x=1", "a.html?x=1"},
		{"a.html", "?&?x=1&y=2", "a.html?x=1&y=2"},
		{"a.html", "  ?x=1 ", "a.html?x=1"},
		{"a.html", "?", "a.html"},
		{"a.html?v=2", "x=1", "a.html?v=2&x=1"},
		{"a.html?v=2", "?x=1", "a.html?v=2&x=1"},
		{"a.html?", "x=1", "a.html?x=1"},
		{"a.html", "#intro", "a.html#intro"},
		{"a.html?v=2", "#intro", "a.html?v=2#intro"},
		{"a.html#top", "#intro", "a.html#top"},  // the href's own fragment wins
		{"a.html#top", "x=1", "a.html?x=1#top"}, // the query goes before the fragment
		{"a.html?v=2#top", "x=1", "a.html?v=2&x=1#top"},
		{"a.html", "x=1#part", "a.html?x=1#part"},
		{"a.html#top", "x=1#part", "a.html?x=1#top"},
		{"https://example.com/a.html", "x=1", "https://example.com/a.html?x=1"},
		{"", "x=1", ""},
	}
	for _, tt := range tests {
		if got := joinParameters(tt.launch, tt.params); got != tt.want {
			t.Errorf("joinParameters(%q, %q) = %q, want %q", tt.launch, tt.params, got, tt.want)
		}
	}
}

func TestLaunchResolveRef(t *testing.T) {
	tests := []struct {
		base, ref, want string
		wantErr         error // nil: no error; errAny: any error
	}{
		{"", "index.html", "index.html", nil},
		{"", " index.html ", "index.html", nil},
		{"content/", "index.html", "content/index.html", nil},
		{"content/", "a/../b/./c.html", "content/b/c.html", nil},
		{"content/", "../top.html", "top.html", nil},
		{"content/", "../../up.html", "", errOutside},
		{"", "..", "", errOutside},
		{"", "./index.html?x=1#y", "index.html?x=1#y", nil},
		{"content/", "/root.html", "root.html", nil},
		{"", `sub\page.html`, "sub/page.html", nil},
		{"", "a//b.html", "a/b.html", nil},
		{"", "folder/", "folder/", nil},
		{"", "HTTPS://Example.com/x.html", "HTTPS://Example.com/x.html", nil},
		{"", "//cdn.example.com/x.html", "//cdn.example.com/x.html", nil},
		{"https://cdn.example.com/c/", "x.html?q=1", "https://cdn.example.com/c/x.html?q=1", nil},
		{"https://cdn.example.com/c/", "../x.html", "https://cdn.example.com/x.html", nil},
		{"", "javascript:alert(1)", "", errAny},
		{"", "file:///etc/passwd", "", errAny},
		{"", `C:\course\index.html`, "", errAny},
		{"", "?only=query", "", errAny},
		{"content/", "#only-fragment", "", errAny},
		{"", "/", "", errAny},
		{"", "a/%2e%2E/%2E%2e/x.html", "", errAny},
		{"", "a%2Fb.html", "", errAny},
		{"", "a%5c..%5Cb.html", "", errAny},
		{"content/", "..", "", errAny},
	}
	for _, tt := range tests {
		got, err := resolveRef(tt.base, tt.ref)
		if got != tt.want {
			t.Errorf("resolveRef(%q, %q) = %q, want %q", tt.base, tt.ref, got, tt.want)
		}
		switch {
		case tt.wantErr == nil && err != nil:
			t.Errorf("resolveRef(%q, %q) error = %v, want none", tt.base, tt.ref, err)
		case tt.wantErr == errAny && err == nil, tt.wantErr != nil && tt.wantErr != errAny && !errors.Is(err, tt.wantErr):
			t.Errorf("resolveRef(%q, %q) error = %v, want %v", tt.base, tt.ref, err, tt.wantErr)
		}
	}
}

// errAny stands for "some error" in tables.
var errAny = errors.New("any error")

func TestLaunchJoinBase(t *testing.T) {
	tests := []struct {
		bases   []string
		want    string
		wantErr bool
	}{
		{nil, "", false},
		{[]string{"", "", ""}, "", false},
		{[]string{"course/"}, "course/", false},
		{[]string{"course", "content", "lessons"}, "course/content/lessons/", false},
		{[]string{"./", "content/"}, "content/", false},
		{[]string{"course/", "../shared/"}, "shared/", false},
		{[]string{"course/", "/abs/"}, "abs/", false},
		{[]string{"course/", "../../"}, "", true},
		{[]string{"https://cdn.example.com/c/", "lessons/"}, "https://cdn.example.com/c/lessons/", false},
		{[]string{"course/", "https://cdn.example.com/c"}, "https://cdn.example.com/c/", false},
	}
	for _, tt := range tests {
		got, err := joinBase(tt.bases...)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("joinBase(%q) = %q, %v; want %q, error %t", tt.bases, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestLaunchFile(t *testing.T) {
	tests := []struct {
		launch, want string
	}{
		{"index.html", "index.html"},
		{"a/b.html?x=1&y=2#top", "a/b.html"},
		{"a/b.html#top?x", "a/b.html"},
		{"my%20page.html?x=%20", "my page.html"},
		{"100%.html", "100%.html"}, // not a valid escape: kept as written
		{"https://example.com/x.html", ""},
		{"//example.com/x.html", ""},
	}
	for _, tt := range tests {
		if got := LaunchFile(tt.launch); got != tt.want {
			t.Errorf("LaunchFile(%q) = %q, want %q", tt.launch, got, tt.want)
		}
	}
}
