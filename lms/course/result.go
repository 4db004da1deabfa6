package course

import "github.com/lectern/lectern/scorm"

// Result describes an imported (or checked) package. Its JSON form is the
// output of `lectern import --json`.
type Result struct {
	ID              *uint          `json:"id"`               // course id; null when only checked
	Status          string         `json:"status,omitempty"` // the course's status (draft, published, ...); absent when only checked
	CourseVersion   int            `json:"-"`
	Title           string         `json:"title"`
	Version         string         `json:"version"` // SCORM edition: "1.2", "2004 4th Edition", ...
	Organizations   []Organization `json:"organizations"`
	SCOCount        int            `json:"scoCount"`
	LaunchableCount int            `json:"launchableCount"`
	Warnings        []string       `json:"warnings"`
}

// Organization is one course tree of the package.
type Organization struct {
	Identifier string `json:"identifier"`
	Title      string `json:"title"`
	Default    bool   `json:"-"`
	Items      []Item `json:"items"`
}

// Item is a node of a course tree.
type Item struct {
	Identifier string `json:"identifier"`
	Title      string `json:"title"`
	Launch     string `json:"launch"`    // relative to the package root; "" when not launchable
	ScormType  string `json:"scormType"` // "sco", "asset" or ""
	Visible    bool   `json:"visible"`
	Children   []Item `json:"children"`
}

func newResult(pkg *scorm.Package, warnings []string) *Result {
	if warnings == nil {
		warnings = []string{}
	}
	r := &Result{
		Title:           pkg.Title,
		Version:         pkg.Edition.String(),
		SCOCount:        pkg.SCOCount(),
		LaunchableCount: pkg.LaunchableCount(),
		Warnings:        warnings,
		Organizations:   []Organization{},
	}
	for _, o := range pkg.Organizations {
		r.Organizations = append(r.Organizations, Organization{
			Identifier: o.Identifier, Title: o.Title, Default: o == pkg.DefaultOrg, Items: resultItems(o.Items),
		})
	}
	return r
}

func resultItems(items []*scorm.Item) []Item {
	out := make([]Item, 0, len(items))
	for _, it := range items {
		ri := Item{Identifier: it.Identifier, Title: it.Title, Launch: it.Launch, Visible: it.Visible, Children: resultItems(it.Children)}
		if it.Resource != nil && it.Launch != "" {
			ri.ScormType = it.Resource.ScormType
		}
		out = append(out, ri)
	}
	return out
}
