package scorm

// Launch URLs: xml:base joining, href resolution and the SCORM rule for item parameters.
// Results are URL references relative to the package root ("lessons/a.html?x=1"), or absolute
// http(s) URLs for content hosted elsewhere.

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
)

var errOutside = errors.New("points outside the package")

// joinBase combines xml:base values from the outermost (manifest) to the innermost (resource),
// as relative URL resolution does. Each base is taken as a folder even without a trailing
// slash: in a content package a base always names a folder, and authors often omit the slash.
// The result is "" or a folder ending in "/" (or an absolute http(s) URL).
func joinBase(bases ...string) (string, error) {
	acc := ""
	for _, b := range bases {
		b = strings.ReplaceAll(strings.TrimSpace(b), `\`, "/")
		if b == "" {
			continue
		}
		if !strings.HasSuffix(b, "/") {
			b += "/"
		}
		r, err := resolve(acc, b, true)
		if err != nil {
			return "", fmt.Errorf("is under an xml:base (%q) that %w", b, err)
		}
		acc = r
		if !isWebURL(acc) && acc != "" && !strings.HasSuffix(acc, "/") {
			acc += "/"
		}
	}
	return acc, nil
}

// resolveRef resolves ref (an href as written) against base (a folder from joinBase). A path
// starting with "/" is taken from the package root, since a package has no other root.
func resolveRef(base, ref string) (string, error) {
	return resolve(base, ref, false)
}

// resolve is resolveRef for a file, or for a folder when folder is set (where "./" is the root).
func resolve(base, ref string, folder bool) (string, error) {
	ref = strings.ReplaceAll(strings.TrimSpace(ref), `\`, "/")
	if hasScheme(ref) || strings.HasPrefix(ref, "//") {
		if !isWebURL(ref) {
			return "", errors.New("is not a web address or a file in the package")
		}
		return ref, nil
	}
	if isWebURL(base) {
		b, err1 := url.Parse(base)
		r, err2 := url.Parse(ref)
		if err := errors.Join(err1, err2); err != nil {
			return "", errors.New("is not a valid URL")
		}
		return b.ResolveReference(r).String(), nil
	}
	p, suffix := splitSuffix(ref)
	if p == "" {
		return "", errors.New("names no file")
	}
	if hasEscapedSeparator(p) {
		// Browsers and servers decode these into dot segments and separators after any check
		// made here; no real package needs them.
		return "", errors.New("hides dots or slashes behind %-escapes")
	}
	if strings.HasPrefix(p, "/") {
		p = strings.TrimLeft(p, "/")
	} else {
		p = base + p
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", errOutside
	}
	if clean == "." {
		if !folder {
			return "", errors.New("names no file")
		}
		clean = ""
	}
	if strings.HasSuffix(p, "/") && clean != "" {
		clean += "/"
	}
	return clean + suffix, nil
}

// joinParameters adds an item's parameters to a launch URL, following the SCORM CAM rule:
// leading '?' and '&' are dropped; parameters starting with '#' are a fragment, ignored when the
// URL already has one; other parameters join the URL's query with '&', or start one with '?'.
// Unlike plain string appending, the query is placed before any fragment the URL has, so that
// "a.html#top" with "x=1" gives "a.html?x=1#top" and the browser still sends x=1.
func joinParameters(launch, params string) string {
	params = strings.TrimLeft(strings.TrimSpace(params), "?&")
	if launch == "" || params == "" {
		return launch
	}
	p, q, f, hasF := splitURL(launch)
	if strings.HasPrefix(params, "#") {
		if hasF {
			return launch
		}
		return launch + params
	}
	pq, pf, pHasF := strings.Cut(params, "#")
	if pq != "" {
		if q != "" {
			q += "&" + pq
		} else {
			q = pq
		}
	}
	if !hasF && pHasF {
		f, hasF = pf, true
	}
	out := p
	if q != "" {
		out += "?" + q
	}
	if hasF {
		out += "#" + f
	}
	return out
}

// LaunchFile returns the file a launch URL opens, as a slash path relative to the package root
// without query or fragment and with percent-escapes decoded; "" for an absolute web URL.
func LaunchFile(launch string) string {
	if isWebURL(launch) {
		return ""
	}
	p, _ := splitSuffix(launch)
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

func hasEscapedSeparator(p string) bool {
	l := strings.ToLower(p)
	return strings.Contains(l, "%2e") || strings.Contains(l, "%2f") || strings.Contains(l, "%5c")
}

// splitSuffix splits a URL reference before its query or fragment.
func splitSuffix(ref string) (p, suffix string) {
	if i := strings.IndexAny(ref, "?#"); i >= 0 {
		return ref[:i], ref[i:]
	}
	return ref, ""
}

// splitURL splits a URL reference into path, query and fragment (without '?' and '#').
func splitURL(u string) (p, query, fragment string, hasFragment bool) {
	u, fragment, hasFragment = strings.Cut(u, "#")
	p, query, _ = strings.Cut(u, "?")
	return p, query, fragment, hasFragment
}

// isWebURL reports whether s is an absolute http(s) URL (or scheme-relative "//host/...").
func isWebURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "//")
}

// hasScheme reports whether s starts with a URL scheme ("mailto:", "javascript:", "C:").
func hasScheme(s string) bool {
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case c == ':':
			return i > 0
		default:
			return false
		}
	}
	return false
}
