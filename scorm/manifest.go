// Package scorm holds the SCORM standards in pure Go: the imsmanifest.xml of SCORM 1.2 and
// SCORM 2004 (2nd, 3rd and 4th editions), the checks made when a package is imported, and the
// safe extraction of package archives.
package scorm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// Limits on a manifest. Real manifests are a few hundred kilobytes at most and nest elements
// about ten deep (twenty for the deepest course outlines with sequencing); the limits leave
// ample room for those while turning away inputs built to exhaust memory or the stack.
const (
	MaxManifestBytes = 8 << 20
	MaxManifestDepth = 64
)

// Edition is the SCORM version a package is written for.
type Edition int

// The editions Lectern understands.
const (
	EditionUnknown Edition = iota
	SCORM12
	SCORM2004v2
	SCORM2004v3
	SCORM2004v4
)

// String gives the name authors know the edition by.
func (e Edition) String() string {
	switch e {
	case SCORM12:
		return "1.2"
	case SCORM2004v2:
		return "2004 2nd Edition"
	case SCORM2004v3:
		return "2004 3rd Edition"
	case SCORM2004v4:
		return "2004 4th Edition"
	}
	return "unknown"
}

// Is2004 reports whether e is one of the SCORM 2004 editions.
func (e Edition) Is2004() bool {
	return e == SCORM2004v2 || e == SCORM2004v3 || e == SCORM2004v4
}

// Package is what a manifest says about a course.
type Package struct {
	Edition    Edition
	Identifier string // the manifest's identifier
	// Title is the title of the default organization, or else of the first organization, or
	// else the manifest identifier.
	Title                string
	DefaultOrg           *Organization // never nil for a parsed package; also in Organizations
	Organizations        []*Organization
	Resources            []*Resource
	SequencingCollection []*Sequencing // imsss:sequencingCollection, the sets items refer to by IDRef
	// Warnings are plain-language notes for the admin about problems that do not stop an
	// import. Parse and Check append to them.
	Warnings []string
}

// Organization is one course outline (activity tree) of a package.
type Organization struct {
	Identifier, Title string
	Items             []*Item
	Sequencing        *Sequencing // nil when the organization has no imsss:sequencing
	// SCORM 2004 attributes (adlseq:objectivesGlobalToSystem, adlcp:sharedDataGlobalToSystem);
	// true unless the manifest says otherwise.
	ObjectivesGlobalToSystem, SharedDataGlobalToSystem bool
}

// Item is a node of a course outline: a launchable activity, a folder of items, or both.
type Item struct {
	Identifier, Title, IdentifierRef string
	Parameters                       string // the parameters attribute as written
	Visible                          bool   // isvisible, true unless the manifest says otherwise
	Resource                         *Resource
	// Launch is the URL to launch, relative to the package root: the resource's resolved href
	// with the item parameters joined (see joinParameters); an absolute http(s) URL is kept as
	// it is. Empty when the item cannot be launched.
	Launch   string
	Children []*Item

	// SCORM 1.2 adlcp extensions, as written (trimmed). MasteryScore is nil when absent or
	// not a number.
	MasteryScore    *float64
	MaxTimeAllowed  string
	TimeLimitAction string
	DataFromLMS     string
	Prerequisites   string

	// SCORM 2004 extensions.
	CompletionThreshold *CompletionThreshold
	SharedData          []SharedData
	Presentation        *Presentation
	// Sequencing is nil when the item has none (the engine then uses DefaultSequencing); a set
	// named by IDRef is already combined in.
	Sequencing *Sequencing
}

// CompletionThreshold is adlcp:completionThreshold. The 4th edition gives it as attributes; the
// 2nd and 3rd editions give only a number as the element's text, which is read as
// CompletedByMeasure with that MinProgressMeasure because those editions tell the LMS to judge
// completion by comparing cmi.progress_measure with the threshold.
type CompletionThreshold struct {
	CompletedByMeasure bool
	MinProgressMeasure float64 // default 1.0
	ProgressWeight     float64 // default 1.0
}

// SharedData is one adlcp:data/adlcp:map entry (SCORM 2004 4th edition shared data buckets).
type SharedData struct {
	TargetID                        string
	ReadSharedData, WriteSharedData bool // default true
}

// Presentation is adlnav:presentation: the LMS controls to hide while the item runs.
type Presentation struct {
	HideLMSUI []string // previous, continue, exit, exitAll, abandon, abandonAll, suspendAll
}

// Resource is one <resource> of the manifest.
type Resource struct {
	Identifier, Type string
	ScormType        string // "sco", "asset", or "" when the manifest does not say
	Href             string // as written
	Base             string // effective xml:base (manifest, resources, resource), "" or "dir/"
	Files            []string
	Dependencies     []string // identifierrefs of <dependency>
	// Launch is Href resolved against Base: a URL relative to the package root (or an absolute
	// http(s) URL). Empty when Href is empty or could not be resolved.
	Launch string
	// LaunchErr says why Href could not become a launch URL (for example it points outside
	// the package); Check reports it as an error for every item that uses the resource.
	LaunchErr error
}

// ManifestError is why a manifest was rejected. Only the first line is meant for people.
type ManifestError struct {
	Msg       string
	Line, Col int // where in imsmanifest.xml, when known
}

func (e *ManifestError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("imsmanifest.xml line %d, column %d: %s", e.Line, e.Col, e.Msg)
	}
	return e.Msg
}

// Items returns every item of the default organization, depth first.
func (p *Package) Items() []*Item {
	if p == nil || p.DefaultOrg == nil {
		return nil
	}
	var all []*Item
	var add func([]*Item)
	add = func(items []*Item) {
		for _, it := range items {
			all = append(all, it)
			add(it.Children)
		}
	}
	add(p.DefaultOrg.Items)
	return all
}

// SCOCount counts the package's SCO resources (resources whose scormType is
// sco), the figure content-packaging tools and the corpus analysis report.
// Items are counted by LaunchableCount: one SCO resource may be launched by
// many items, each a separate activity with its own run-time data.
func (p *Package) SCOCount() int {
	n := 0
	for _, r := range p.Resources {
		if r.ScormType == "sco" {
			n++
		}
	}
	return n
}

// LaunchableCount counts the items of the default organization that have a resource and a
// launch URL.
func (p *Package) LaunchableCount() int {
	n := 0
	for _, it := range p.Items() {
		if it.Resource != nil && it.Launch != "" {
			n++
		}
	}
	return n
}

// Parse reads an imsmanifest.xml of SCORM 1.2 or 2004. It rejects what is not a well-formed
// SCORM manifest within MaxManifestBytes and MaxManifestDepth, and any DTD that declares
// entities; everything else it can make sense of is accepted, with the problems it forgave in
// Package.Warnings. Errors are *ManifestError.
func Parse(data []byte) (*Package, error) {
	if len(data) > MaxManifestBytes {
		return nil, &ManifestError{Msg: fmt.Sprintf("imsmanifest.xml is %s; a manifest may be at most %s",
			megabytes(len(data)), megabytes(MaxManifestBytes))}
	}
	data, err := toUTF8(data)
	if err != nil {
		return nil, err
	}
	if err := prescan(data); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{CharsetReader: charsetReader, MaxDepth: MaxManifestDepth}
	if err := doc.ReadFromBytes(data); err != nil {
		// prescan read the same bytes with the same decoder, so this is not expected.
		return nil, &ManifestError{Msg: "imsmanifest.xml is not well-formed XML: " + err.Error()}
	}
	ps := &parser{resByID: map[string]*Resource{}, collection: map[string]*Sequencing{}, itemIDs: map[string]bool{}}
	return ps.manifest(doc.Root())
}

func megabytes(n int) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// toUTF8 drops a UTF-8 byte-order mark and converts UTF-16 (which always starts with one) to
// UTF-8, because encoding/xml reads nothing but UTF-8 until a CharsetReader takes over.
func toUTF8(data []byte) ([]byte, error) {
	if bytes.HasPrefix(data, utf8BOM) {
		return data[len(utf8BOM):], nil
	}
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		out, err := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		if err != nil {
			return nil, &ManifestError{Msg: "imsmanifest.xml looks like UTF-16 but cannot be decoded: " + err.Error()}
		}
		return out, nil
	}
	return data, nil
}

// charsetReader decodes the encodings a manifest may declare, with the labels browsers accept.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	l := strings.ToLower(strings.TrimSpace(label))
	if strings.HasPrefix(l, "utf-16") || strings.HasPrefix(l, "utf16") || l == "utf8" {
		return input, nil // toUTF8 has converted UTF-16 already
	}
	enc, err := htmlindex.Get(l)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}

// prescan reads the whole manifest as a stream before any tree is built: it finds syntax errors
// (with line and column), refuses nesting deeper than MaxManifestDepth without building those
// levels, and refuses DTDs that declare entities or point at external files. encoding/xml never
// expands custom entities nor fetches anything; refusing them says plainly why such a file fails.
func prescan(data []byte) error {
	var badCharset string
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		cr, err := charsetReader(label, r)
		if err != nil {
			badCharset = label
		}
		return cr, err
	}
	at := func(msg string) error {
		line, col := d.InputPos()
		return &ManifestError{Msg: msg, Line: line, Col: col}
	}
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if badCharset != "" {
				return &ManifestError{Msg: fmt.Sprintf("imsmanifest.xml declares the character encoding %q, which Lectern cannot read; save it as UTF-8", badCharset)}
			}
			msg := err.Error()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				msg = se.Msg
			}
			return at("not well-formed XML: " + msg)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > MaxManifestDepth {
				return at(fmt.Sprintf("elements are nested more than %d deep; no SCORM manifest needs that", MaxManifestDepth))
			}
			if depth == 1 {
				roots++
				if roots > 1 {
					return at(fmt.Sprintf("not well-formed XML: a second top-level element <%s> after the root element", t.Name.Local))
				}
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			if declaresEntities(t) {
				return at("the manifest declares a DTD/entities, which SCORM manifests never need; remove the <!DOCTYPE> declaration")
			}
		}
	}
	if roots == 0 {
		return &ManifestError{Msg: "imsmanifest.xml is not well-formed XML: it has no elements at all (no <manifest>)"}
	}
	return nil
}

// declaresEntities reports whether a <!...> directive defines entities or refers to an external
// DTD, the two ways a DOCTYPE can expand or fetch content. A bare <!DOCTYPE manifest> is harmless.
func declaresEntities(d xml.Directive) bool {
	s := strings.ToUpper(string(d))
	return strings.Contains(s, "ENTITY") || strings.Contains(s, "SYSTEM") || strings.Contains(s, "PUBLIC")
}

// parser carries what the parts of a manifest need from each other, and the warnings.
type parser struct {
	warnings   []string
	resByID    map[string]*Resource
	collection map[string]*Sequencing
	itemIDs    map[string]bool
}

func (ps *parser) warnf(format string, args ...any) {
	ps.warnings = append(ps.warnings, fmt.Sprintf(format, args...))
}

func (ps *parser) manifest(root *etree.Element) (*Package, error) {
	if root == nil {
		return nil, &ManifestError{Msg: "imsmanifest.xml is not well-formed XML: it has no elements at all (no <manifest>)"}
	}
	if !strings.EqualFold(root.Tag, "manifest") {
		return nil, &ManifestError{Msg: fmt.Sprintf("not a SCORM manifest: the root element is <%s>, not <manifest>", root.FullTag())}
	}
	p := &Package{Identifier: elAttr(root, "identifier")}
	edition, err := ps.edition(root)
	if err != nil {
		return nil, err
	}
	p.Edition = edition

	if sc := elChild(root, "sequencingCollection"); sc != nil {
		for _, el := range elChildren(sc, "sequencing") {
			s := ps.sequencing(el, "the sequencing collection")
			if s.ID == "" {
				ps.warnf("a <sequencing> in the sequencing collection has no ID, so no item can use it")
				continue
			}
			if ps.collection[s.ID] != nil {
				ps.warnf("the sequencing collection has two sets with ID %q; using the first", s.ID)
				continue
			}
			ps.collection[s.ID] = s
			p.SequencingCollection = append(p.SequencingCollection, s)
		}
		for _, s := range p.SequencingCollection {
			switch {
			case s.IDRef == s.ID:
				ps.warnf("the sequencing collection set %q refers to itself; the reference is ignored", s.ID)
			case s.IDRef != "":
				ps.warnf("the sequencing collection set %q refers to %q, but sets of the collection cannot refer to others (cyclic or chained IDRef); the reference is ignored", s.ID, s.IDRef)
			}
		}
	}

	if res := elChild(root, "resources"); res != nil {
		p.Resources = ps.resources(res, xmlBase(root))
	}

	orgsEl := elChild(root, "organizations")
	for _, el := range elChildren(orgsEl, "organization") {
		p.Organizations = append(p.Organizations, ps.organization(el))
	}
	if len(p.Organizations) == 0 {
		p.DefaultOrg = ps.outlineFromResources(p.Resources)
		p.Organizations = []*Organization{p.DefaultOrg}
	} else {
		p.DefaultOrg = p.Organizations[0]
		if def := elAttr(orgsEl, "default"); def != "" {
			if org := findOrg(p.Organizations, def); org != nil {
				p.DefaultOrg = org
			} else {
				ps.warnf("the default organization %q does not exist; using %q", def, p.DefaultOrg.Identifier)
			}
		}
	}

	p.Title = p.DefaultOrg.Title
	if p.Title == "" {
		p.Title = p.Organizations[0].Title
	}
	if p.Title == "" {
		p.Title = p.Identifier
	}
	p.Warnings = ps.warnings
	return p, nil
}

func findOrg(orgs []*Organization, id string) *Organization {
	for _, o := range orgs {
		if o.Identifier == id {
			return o
		}
	}
	return nil
}

// edition reads <metadata><schemaversion>, and infers the edition from the namespaces in use
// when that is missing or unknown, with a warning that says so.
func (ps *parser) edition(root *etree.Element) (Edition, error) {
	sv := elText(elChild(elChild(root, "metadata"), "schemaversion"))
	if e := editionFromSchemaVersion(sv); e != EditionUnknown {
		return e, nil
	}
	e, why := inferEdition(root)
	switch {
	case e == EditionUnknown && sv == "":
		return e, &ManifestError{Msg: "not a SCORM manifest: it has no <schemaversion> and uses no SCORM (ADL) namespace; it may be a plain IMS content package"}
	case e == EditionUnknown:
		return e, &ManifestError{Msg: fmt.Sprintf("not a SCORM manifest: its <schemaversion> is %q and it uses no SCORM (ADL) namespace", sv)}
	case sv == "":
		ps.warnf("the manifest has no <schemaversion>; treating it as SCORM %s because %s", e, why)
	default:
		ps.warnf("the manifest's <schemaversion> %q is not a SCORM version; treating it as SCORM %s because %s", sv, e, why)
	}
	return e, nil
}

func editionFromSchemaVersion(sv string) Edition {
	s := strings.Join(strings.Fields(strings.ToLower(sv)), " ")
	s = strings.TrimSpace(strings.TrimPrefix(s, "scorm"))
	switch {
	case s == "1.2":
		return SCORM12
	case s == "cam 1.3" || s == "1.3" || s == "2004 2nd edition":
		return SCORM2004v2
	case s == "2004 3rd edition":
		return SCORM2004v3
	case s == "2004 4th edition":
		return SCORM2004v4
	}
	return EditionUnknown
}

// inferEdition decides from the namespaces a manifest declares. SCORM 2004 editions share their
// namespaces, so the 4th edition is recognised by features only it has, and otherwise the 3rd
// (the most common 2004 edition, and a superset of the 2nd) is assumed.
func inferEdition(root *etree.Element) (Edition, string) {
	var uris []string
	fourth := ""
	elWalk(root, func(el *etree.Element) {
		for _, a := range el.Attr {
			if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
				uris = append(uris, strings.ToLower(a.Value))
			}
			if fourth == "" && strings.EqualFold(a.Key, "sharedDataGlobalToSystem") {
				fourth = "shared data (adlcp:sharedDataGlobalToSystem)"
			}
		}
		if fourth != "" {
			return
		}
		switch f := familyOf(el); {
		case f == famADLCP && strings.EqualFold(el.Tag, "data"):
			fourth = "shared data (adlcp:data)"
		case f == famADLSeq && strings.EqualFold(el.Tag, "objectives"):
			fourth = "adlseq:objectives"
		case strings.EqualFold(el.Tag, "completionThreshold") && hasAnyAttr(el, "completedByMeasure", "minProgressMeasure", "progressWeight"):
			fourth = "completionThreshold attributes"
		}
	})
	var v2004 []string
	rootv1p2, otherADLCP, cp2004 := false, false, false
	for _, u := range uris {
		switch {
		case strings.Contains(u, "adlcp_v1p3"), family(u) == famIMSSS, family(u) == famADLSeq, family(u) == famADLNav:
			if name := u[strings.LastIndex(strings.TrimSuffix(u, "/"), "/")+1:]; !slices.Contains(v2004, name) {
				v2004 = append(v2004, name)
			}
		case strings.Contains(u, "adlcp_rootv1p2"):
			rootv1p2 = true
		case family(u) == famADLCP:
			otherADLCP = true
		case strings.Contains(u, "imscp_v1p1"):
			cp2004 = true
		}
	}
	switch {
	case len(v2004) > 0 && fourth != "":
		return SCORM2004v4, fmt.Sprintf("it uses the SCORM 2004 namespaces (%s) and %s, which only the 4th edition has", strings.Join(v2004, ", "), fourth)
	case len(v2004) > 0:
		return SCORM2004v3, fmt.Sprintf("it uses the SCORM 2004 namespaces (%s)", strings.Join(v2004, ", "))
	case rootv1p2:
		return SCORM12, "it uses the SCORM 1.2 namespace adlcp_rootv1p2"
	case otherADLCP && cp2004:
		return SCORM2004v3, "it uses an ADL namespace with the IMS CP 1.1.4 namespace of SCORM 2004"
	case otherADLCP:
		return SCORM12, "it uses an ADL namespace"
	}
	return EditionUnknown, ""
}

func (ps *parser) resources(el *etree.Element, manifestBase string) []*Resource {
	var out []*Resource
	for _, r := range elChildren(el, "resource") {
		res := &Resource{
			Identifier: elAttr(r, "identifier"),
			Type:       elAttr(r, "type"),
			Href:       elAttr(r, "href"),
		}
		where := fmt.Sprintf("resource %q", res.Identifier)
		if v, ok := elAttrOK(r, "scormtype"); ok {
			switch t := strings.ToLower(strings.TrimSpace(v)); t {
			case "sco", "asset":
				res.ScormType = t
			default:
				ps.warnf("%s has adlcp:scormType %q; expected \"sco\" or \"asset\"", where, v)
			}
		}
		base, err := joinBase(manifestBase, xmlBase(el), xmlBase(r))
		if err != nil {
			if res.Href != "" {
				res.LaunchErr = err
			}
			ps.warnf("%s %v; its files are ignored", where, err)
		} else {
			res.Base = base
			if res.Href != "" {
				res.Launch, res.LaunchErr = resolveRef(base, res.Href)
			}
			for _, f := range elChildren(r, "file") {
				href := elAttr(f, "href")
				if href == "" {
					continue
				}
				u, err := resolveRef(base, href)
				switch {
				case err != nil:
					ps.warnf("%s lists the file %q, which %v; ignoring it", where, href, err)
				case !isWebURL(u):
					res.Files = append(res.Files, LaunchFile(u))
				}
			}
		}
		for _, d := range elChildren(r, "dependency") {
			if ref := elAttr(d, "identifierref"); ref != "" {
				res.Dependencies = append(res.Dependencies, ref)
			}
		}
		if res.Identifier == "" {
			ps.warnf("a resource with href %q has no identifier, so no item can use it", res.Href)
		} else if ps.resByID[res.Identifier] != nil {
			ps.warnf("two resources have the identifier %q; items use the first", res.Identifier)
		} else {
			ps.resByID[res.Identifier] = res
		}
		out = append(out, res)
	}
	for _, r := range out {
		for _, d := range r.Dependencies {
			if ps.resByID[d] == nil {
				ps.warnf("resource %q depends on resource %q, which does not exist", r.Identifier, d)
			}
		}
	}
	return out
}

func (ps *parser) organization(el *etree.Element) *Organization {
	org := &Organization{
		Identifier:               elAttr(el, "identifier"),
		Title:                    elText(elChild(el, "title")),
		ObjectivesGlobalToSystem: true,
		SharedDataGlobalToSystem: true,
	}
	where := fmt.Sprintf("organization %q", org.Identifier)
	org.ObjectivesGlobalToSystem = ps.boolAttr(el, "objectivesGlobalToSystem", true, where)
	org.SharedDataGlobalToSystem = ps.boolAttr(el, "sharedDataGlobalToSystem", true, where)
	if s := elChildIn(el, famIMSSS, "sequencing"); s != nil {
		org.Sequencing = ps.sequencingWithRef(s, where)
	}
	for _, it := range elChildren(el, "item") {
		org.Items = append(org.Items, ps.item(it))
	}
	return org
}

func (ps *parser) item(el *etree.Element) *Item {
	it := &Item{
		Identifier:    elAttr(el, "identifier"),
		IdentifierRef: elAttr(el, "identifierref"),
		Parameters:    elAttr(el, "parameters"),
		Title:         elText(elChild(el, "title")),
		Visible:       true,
	}
	where := fmt.Sprintf("item %q", it.Identifier)
	if it.Identifier == "" {
		where = fmt.Sprintf("the item titled %q", it.Title)
		ps.warnf("%s has no identifier", where)
	} else if ps.itemIDs[it.Identifier] {
		ps.warnf("two items have the identifier %q; progress would be mixed up between them", it.Identifier)
	}
	ps.itemIDs[it.Identifier] = true
	it.Visible = ps.boolAttr(el, "isvisible", true, where)

	if it.IdentifierRef != "" {
		it.Resource = ps.resByID[it.IdentifierRef]
		switch {
		case it.Resource == nil:
			ps.warnf("%s points at resource %q, which does not exist; the item cannot be launched", where, it.IdentifierRef)
		case it.Resource.Href == "":
			ps.warnf("%s points at resource %q, which has no href; the item cannot be launched", where, it.IdentifierRef)
		case it.Resource.Launch != "":
			it.Launch = joinParameters(it.Resource.Launch, it.Parameters)
		}
	}

	var seqEl *etree.Element
	for _, c := range el.ChildElements() {
		switch strings.ToLower(c.Tag) {
		case "item":
			it.Children = append(it.Children, ps.item(c))
		case "masteryscore":
			if s := elText(c); s != "" {
				if v, err := strconv.ParseFloat(s, 64); err == nil {
					it.MasteryScore = &v
				} else {
					ps.warnf("%s: masteryscore %q is not a number; ignoring it", where, s)
				}
			}
		case "maxtimeallowed":
			it.MaxTimeAllowed = elText(c)
		case "timelimitaction":
			it.TimeLimitAction = elText(c)
		case "datafromlms":
			it.DataFromLMS = elText(c)
		case "prerequisites":
			it.Prerequisites = elText(c)
		case "completionthreshold":
			it.CompletionThreshold = ps.completionThreshold(c, where)
		case "data":
			if familyOf(c) == famADLCP {
				it.SharedData = append(it.SharedData, ps.sharedData(c, where)...)
			}
		case "presentation":
			it.Presentation = ps.presentation(c, where)
		case "sequencing":
			if f := familyOf(c); seqEl == nil && (f == famIMSSS || f == famCP || f == famOther) {
				seqEl = c
			}
		}
	}
	if seqEl != nil {
		it.Sequencing = ps.sequencingWithRef(seqEl, where)
		// Some generators put adlnav:presentation inside imsss:sequencing.
		if p := elChild(seqEl, "presentation"); it.Presentation == nil && p != nil && familyOf(p) == famADLNav {
			it.Presentation = ps.presentation(p, where)
		}
	}
	return it
}

func (ps *parser) completionThreshold(el *etree.Element, where string) *CompletionThreshold {
	ct := &CompletionThreshold{MinProgressMeasure: 1, ProgressWeight: 1}
	if hasAnyAttr(el, "completedByMeasure", "minProgressMeasure", "progressWeight") {
		ct.CompletedByMeasure = ps.boolAttr(el, "completedByMeasure", false, where)
		ct.MinProgressMeasure = ps.floatAttr(el, "minProgressMeasure", 1, where)
		ct.ProgressWeight = ps.floatAttr(el, "progressWeight", 1, where)
		return ct
	}
	if s := elText(el); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			ps.warnf("%s: completionThreshold %q is not a number; ignoring it", where, s)
			return nil
		}
		ct.CompletedByMeasure, ct.MinProgressMeasure = true, v
	}
	return ct
}

func (ps *parser) sharedData(el *etree.Element, where string) []SharedData {
	var out []SharedData
	for _, m := range elChildren(el, "map") {
		sd := SharedData{
			TargetID:        elAttr(m, "targetID"),
			ReadSharedData:  ps.boolAttr(m, "readSharedData", true, where),
			WriteSharedData: ps.boolAttr(m, "writeSharedData", true, where),
		}
		if sd.TargetID == "" {
			ps.warnf("%s: an adlcp:map has no targetID; ignoring it", where)
			continue
		}
		out = append(out, sd)
	}
	return out
}

var hideLMSUIVocab = []string{"previous", "continue", "exit", "exitAll", "abandon", "abandonAll", "suspendAll"}

func (ps *parser) presentation(el *etree.Element, where string) *Presentation {
	p := &Presentation{}
	for _, ni := range elChildren(el, "navigationInterface") {
		for _, h := range elChildren(ni, "hideLMSUI") {
			v, ok := canonical(elText(h), hideLMSUIVocab)
			if !ok {
				ps.warnf("%s: hideLMSUI %q is not one of %s; ignoring it", where, elText(h), strings.Join(hideLMSUIVocab, ", "))
				continue
			}
			p.HideLMSUI = append(p.HideLMSUI, v)
		}
	}
	return p
}

// outlineFromResources makes a course outline for a manifest without organizations, one item
// per SCO resource (or per launchable resource when there is no SCO), so that such a package
// can still be used; IMS CP allows an empty <organizations/> and some tools write one.
func (ps *parser) outlineFromResources(resources []*Resource) *Organization {
	org := &Organization{ObjectivesGlobalToSystem: true, SharedDataGlobalToSystem: true}
	var picked []*Resource
	for _, r := range resources {
		if r.ScormType == "sco" && r.Launch != "" && r.Identifier != "" {
			picked = append(picked, r)
		}
	}
	kind := "SCO"
	if len(picked) == 0 {
		kind = "launchable"
		for _, r := range resources {
			if r.Launch != "" && r.Identifier != "" {
				picked = append(picked, r)
			}
		}
	}
	for _, r := range picked {
		org.Items = append(org.Items, &Item{
			Identifier: r.Identifier, IdentifierRef: r.Identifier, Title: r.Identifier,
			Visible: true, Resource: r, Launch: r.Launch,
		})
	}
	ps.warnf("the manifest has no organization; the course outline was built from its %d %s resource(s)", len(picked), kind)
	return org
}

// Namespace families. Packages bind the SCORM namespaces to many prefixes and to several
// versions of their URIs, so elements are told apart by the family of their namespace.
type nsFamily int

const (
	famOther nsFamily = iota // unknown or none
	famCP
	famADLCP
	famIMSSS
	famADLSeq
	famADLNav
)

func family(uri string) nsFamily {
	u := strings.ToLower(uri)
	switch {
	case strings.Contains(u, "adlcp"):
		return famADLCP
	case strings.Contains(u, "adlseq"):
		return famADLSeq
	case strings.Contains(u, "adlnav"):
		return famADLNav
	case strings.Contains(u, "imsss"):
		return famIMSSS
	case strings.Contains(u, "imscp"):
		return famCP
	}
	return famOther
}

// familyOf is the family of an element's namespace, or of its prefix when the prefix was never
// declared (a mistake common enough to forgive: adlcp:masteryscore without xmlns:adlcp).
func familyOf(el *etree.Element) nsFamily {
	if uri := el.NamespaceURI(); uri != "" {
		return family(uri)
	}
	return family(el.Space)
}

// attr returns the trimmed value of el's attribute with the given local name, ignoring prefix
// and letter case: real packages write adlcp:scormtype, adlcp:scormType and isVisible alike.
func elAttr(el *etree.Element, name string) string {
	v, _ := elAttrOK(el, name)
	return strings.TrimSpace(v)
}

func elAttrOK(el *etree.Element, name string) (string, bool) {
	if el == nil {
		return "", false
	}
	for _, a := range el.Attr {
		if a.Space == "xmlns" || a.Space == "xml" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		if strings.EqualFold(a.Key, name) {
			return a.Value, true
		}
	}
	return "", false
}

func hasAnyAttr(el *etree.Element, names ...string) bool {
	for _, n := range names {
		if _, ok := elAttrOK(el, n); ok {
			return true
		}
	}
	return false
}

func xmlBase(el *etree.Element) string {
	if el == nil {
		return ""
	}
	for _, a := range el.Attr {
		if a.Space == "xml" && a.Key == "base" {
			return a.Value
		}
	}
	return ""
}

// children returns el's child elements with the given local name, in any letter case.
func elChildren(el *etree.Element, name string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if strings.EqualFold(c.Tag, name) {
			out = append(out, c)
		}
	}
	return out
}

func elChild(el *etree.Element, name string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if strings.EqualFold(c.Tag, name) {
			return c
		}
	}
	return nil
}

// childIn is child for names that two SCORM namespaces share (imsss:objectives and
// adlseq:objectives); an element in no known namespace counts as the wanted one.
func elChildIn(el *etree.Element, fam nsFamily, name string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if f := familyOf(c); strings.EqualFold(c.Tag, name) && (f == fam || f == famOther || f == famCP) {
			return c
		}
	}
	return nil
}

func elText(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return strings.TrimSpace(el.Text())
}

func elWalk(el *etree.Element, fn func(*etree.Element)) {
	fn(el)
	for _, c := range el.ChildElements() {
		elWalk(c, fn)
	}
}

// Typed attribute readers: a malformed value falls back to the default with a warning.

func (ps *parser) boolAttr(el *etree.Element, name string, def bool, where string) bool {
	v, ok := elAttrOK(el, name)
	if !ok {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1":
		return true
	case "false", "0":
		return false
	}
	ps.warnf("%s: <%s %s=%q> is not true or false; using %t", where, el.Tag, name, v, def)
	return def
}

func (ps *parser) floatAttr(el *etree.Element, name string, def float64, where string) float64 {
	v, ok := elAttrOK(el, name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		ps.warnf("%s: <%s %s=%q> is not a number; using %g", where, el.Tag, name, v, def)
		return def
	}
	return f
}

func (ps *parser) intAttr(el *etree.Element, name string, def int, where string) (int, bool) {
	v, ok := elAttrOK(el, name)
	if !ok {
		return def, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		ps.warnf("%s: <%s %s=%q> is not a whole number; using %d", where, el.Tag, name, v, def)
		return def, false
	}
	return n, true
}

// vocabAttr reads an attribute whose value must come from vocab; letter case is forgiven.
// A missing attribute gives def; an unknown value gives def and a warning.
func (ps *parser) vocabAttr(el *etree.Element, name, def string, vocab []string, where string) string {
	v, ok := elAttrOK(el, name)
	if !ok {
		return def
	}
	c, known := canonical(v, vocab)
	if !known {
		ps.warnf("%s: <%s %s=%q> is not one of %s; using %q", where, el.Tag, name, v, strings.Join(vocab, ", "), def)
		return def
	}
	return c
}

func canonical(v string, vocab []string) (string, bool) {
	v = strings.TrimSpace(v)
	for _, w := range vocab {
		if strings.EqualFold(v, w) {
			return w, true
		}
	}
	return v, false
}
