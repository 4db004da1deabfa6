package course

import (
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Errors reach admins (the upload page, the API, the command line), and a
// server's paths are not theirs to see: a full disk during an import once
// showed the absolute staging path. HidePaths and hidden keep them out.

// Folder names a server folder for messages: Path is shown as Name.
type Folder struct{ Path, Name string }

// absPath is an absolute path in a message: after the start, a space, a
// quote, a bracket or "=", up to the next space, quote, bracket or colon.
var absPath = regexp.MustCompile(`(^|[\s"'(=\[])(/[^\s"'():\[\]]+|[A-Za-z]:\\[^\s"'():\[\]]+)`)

// HidePaths rewrites msg so that it shows no absolute path: a path in one
// of the folders becomes the folder's name and the path inside it (files of
// a package by their names in the package); any other absolute path becomes
// its last element.
func HidePaths(msg string, folders ...Folder) string {
	sorted := append([]Folder(nil), folders...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i].Path) > len(sorted[j].Path) }) // the deepest first
	for _, f := range sorted {
		if !filepath.IsAbs(f.Path) {
			continue // a relative path is the caller's own, and "" is none
		}
		p := filepath.Clean(f.Path)
		msg = strings.ReplaceAll(msg, p+string(filepath.Separator), f.Name+" ")
		msg = strings.ReplaceAll(msg, p, f.Name)
	}
	return absPath.ReplaceAllStringFunc(msg, func(m string) string {
		loc := absPath.FindStringSubmatchIndex(m)
		lead, p := m[loc[2]:loc[3]], m[loc[4]:loc[5]]
		return lead + filepath.Base(strings.ReplaceAll(p, `\`, "/"))
	})
}

// hiddenPaths is an error whose message shows no server path; the error
// it wraps keeps them, for errors.Is and the server's log.
type hiddenPaths struct {
	msg string
	err error
}

func (e *hiddenPaths) Error() string { return e.msg }
func (e *hiddenPaths) Unwrap() error { return e.err }

// hidePaths applies HidePaths to an import error, keeping its kind.
func hidePaths(err error, folders ...Folder) error {
	if err == nil {
		return nil
	}
	if rej, ok := err.(*RejectedError); ok {
		return &RejectedError{Reason: HidePaths(rej.Reason, folders...), Err: rej.Err}
	}
	msg := HidePaths(err.Error(), folders...)
	if msg == err.Error() {
		return err
	}
	return &hiddenPaths{msg: msg, err: err}
}
