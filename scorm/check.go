package scorm

import (
	"fmt"
	"strings"
)

// maxMissingFileWarnings is how many missing files Check names before summing up the rest:
// tools that list files they never package tend to miss dozens at once.
const maxMissingFileWarnings = 10

// Check compares a parsed package with the files of its archive (slash paths relative to the
// package root) and decides whether it can be imported. It returns a *ManifestError when an
// item of the default organization launches a file the package lacks, or nothing at all can be
// launched; files the manifest lists but the package lacks only add warnings to p.Warnings.
func Check(p *Package, files []string) error {
	if p == nil {
		return &ManifestError{Msg: "no manifest to check"}
	}
	have := make(map[string]bool, len(files))
	folded := make(map[string]string, len(files)) // lower case -> name as in the package
	for _, f := range files {
		f = strings.TrimPrefix(strings.TrimLeft(f, "/"), "./")
		if f == "" || strings.HasSuffix(f, "/") {
			continue
		}
		have[f] = true
		if _, dup := folded[strings.ToLower(f)]; !dup {
			folded[strings.ToLower(f)] = f
		}
	}
	lookup := func(name string) (ok bool, other string) {
		if have[name] {
			return true, ""
		}
		return false, folded[strings.ToLower(name)]
	}

	p.Warnings = append(p.Warnings, missingFiles(p, lookup)...)

	var problems, unlaunchable []string
	launchable := 0
	for _, it := range p.Items() {
		switch r := it.Resource; {
		case r == nil:
			if it.IdentifierRef != "" {
				unlaunchable = append(unlaunchable, fmt.Sprintf("item %q points at resource %q, which does not exist", it.Identifier, it.IdentifierRef))
			}
		case r.LaunchErr != nil:
			problems = append(problems, fmt.Sprintf("item %q launches %q, which %v", it.Identifier, r.Href, r.LaunchErr))
		case it.Launch == "":
			unlaunchable = append(unlaunchable, fmt.Sprintf("item %q points at resource %q, which has no href", it.Identifier, r.Identifier))
		default:
			launchable++
			file := LaunchFile(it.Launch)
			if file == "" {
				continue // hosted elsewhere
			}
			ok, other := lookup(file)
			if raw, _ := splitSuffix(it.Launch); !ok && raw != file {
				// A file name with a literal '%' that the author never meant as an escape.
				ok, _ = lookup(raw)
			}
			switch {
			case ok:
			case other != "":
				problems = append(problems, fmt.Sprintf("item %q launches %q, but the package has %q (file names are case-sensitive on the web server)", it.Identifier, file, other))
			default:
				problems = append(problems, fmt.Sprintf("item %q launches %q, which is not in the package", it.Identifier, file))
			}
		}
	}
	if len(problems) > 0 {
		msg := problems[0]
		if n := len(problems) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more launch problem%s)", n, pluralS(n))
		}
		return &ManifestError{Msg: msg}
	}
	if launchable == 0 {
		why := "the course outline has no item that links to a resource"
		if len(unlaunchable) > 0 {
			why = unlaunchable[0]
		}
		return &ManifestError{Msg: "nothing to launch: " + why}
	}
	return nil
}

// missingFiles lists, as warnings, the files resources name (href and <file>) that the package
// lacks. Launch files of items are left to Check's errors.
func missingFiles(p *Package, lookup func(string) (bool, string)) []string {
	seen := map[string]bool{}
	var warnings []string
	missing := 0
	for _, r := range p.Resources {
		names := r.Files
		if r.Launch != "" && r.LaunchErr == nil {
			if f := LaunchFile(r.Launch); f != "" {
				names = append([]string{f}, r.Files...)
			}
		}
		for _, f := range names {
			if seen[f] {
				continue
			}
			seen[f] = true
			ok, other := lookup(f)
			if ok {
				continue
			}
			missing++
			if missing > maxMissingFileWarnings {
				continue
			}
			w := fmt.Sprintf("resource %q lists %q, which is not in the package", r.Identifier, f)
			if other != "" {
				w = fmt.Sprintf("resource %q lists %q, but the package has %q (file names are case-sensitive on the web server)", r.Identifier, f, other)
			}
			warnings = append(warnings, w)
		}
	}
	switch n := missing - maxMissingFileWarnings; {
	case n == 1:
		warnings = append(warnings, "1 more file listed in the manifest is not in the package")
	case n > 1:
		warnings = append(warnings, fmt.Sprintf("%d more files listed in the manifest are not in the package", n))
	}
	return warnings
}

func pluralS(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
