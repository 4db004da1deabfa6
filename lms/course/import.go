// Package course turns uploaded SCORM packages into course versions: unpack
// safely into a staging folder, parse and check the manifest, store the course
// tree, and move the content into place with one rename.
package course

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
)

// Importer imports packages. ContentDir and StagingDir must be on one file
// system so that the final move is a rename.
type Importer struct {
	Store      *store.Store
	ContentDir string
	StagingDir string
	Limits     scorm.Limits
	// TitleMax is the longest course title, in characters; a package's
	// longer title is shortened with a warning. 0: DefaultTitleMax.
	TitleMax int
	Log      *slog.Logger
}

// DefaultTitleMax is the title limit when none is configured.
const DefaultTitleMax = 200

// MaxTitleMax is the most TitleMax may be: the size of the title columns.
const MaxTitleMax = 500

// Options say what to do with a package.
type Options struct {
	CheckOnly  bool   // validate, store nothing
	CourseID   uint   // add a version to this course; 0 creates a course
	Draft      bool   // a new course starts as a draft, seen by admins only
	Filename   string // the name the admin uploaded, for the record
	UploadedBy *uint
}

// RejectedError means the package itself is unacceptable; Reason is one plain
// sentence for the admin. Other errors are Lectern's own failures.
type RejectedError struct {
	Reason string
	Err    error
}

func (e *RejectedError) Error() string { return e.Reason }
func (e *RejectedError) Unwrap() error { return e.Err }

// Import reads the zip at zipPath. On any error nothing is stored and no file
// is left behind. Errors show no server path: files of the package by their
// names in it, Lectern's folders by what they are.
func (im *Importer) Import(ctx context.Context, zipPath string, opt Options) (res *Result, err error) {
	var tmp string
	defer func() {
		folders := []Folder{{im.StagingDir, "the staging folder"}, {im.ContentDir, "the content folder"}, {zipPath, "the uploaded file"}}
		if tmp != "" {
			folders = append(folders, Folder{filepath.Join(tmp, "package"), "the package:"}, Folder{tmp, "the staging folder"})
		}
		err = hidePaths(err, folders...)
	}()
	if err := os.MkdirAll(im.StagingDir, 0o755); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	tmp, err = os.MkdirTemp(im.StagingDir, "import-")
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer os.RemoveAll(tmp)
	unpacked := filepath.Join(tmp, "package")

	arc, err := scorm.Extract(zipPath, unpacked, im.Limits)
	if err != nil {
		return nil, rejectOr(err)
	}
	manifest, err := os.ReadFile(filepath.Join(unpacked, "imsmanifest.xml"))
	if err != nil {
		return nil, fmt.Errorf("import: read manifest: %w", err)
	}
	pkg, err := scorm.Parse(manifest)
	if err != nil {
		return nil, &RejectedError{Reason: "imsmanifest.xml: " + firstLine(err), Err: err}
	}
	if err := scorm.Check(pkg, arc.Files); err != nil {
		return nil, &RejectedError{Reason: firstLine(err), Err: err}
	}
	warnings := append(append([]string{}, arc.Warnings...), pkg.Warnings...)
	title, warning := CheckTitle(pkg.Title, im.titleMax())
	if warning != "" {
		warnings = append(warnings, warning)
	}
	res = newResult(pkg, warnings)
	res.Title = title
	if opt.CheckOnly {
		return res, nil
	}

	v := &store.CourseVersion{
		Edition:         pkg.Edition.String(),
		Identifier:      pkg.Identifier,
		Title:           res.Title,
		SCOCount:        res.SCOCount,
		LaunchableCount: res.LaunchableCount,
		Warnings:        warnings,
		Filename:        opt.Filename,
		Bytes:           arc.Bytes,
		UploadedByID:    opt.UploadedBy,
	}
	pass := pkg.Passing()
	v.PassJudged, v.PassingScore = &pass.Judged, pass.Score
	if opt.Draft {
		v.CourseStatus = store.CourseDraft
	}
	var final string
	err = im.Store.CreateCourseVersion(ctx, opt.CourseID, v, storeItems(pkg), func(v *store.CourseVersion) error {
		final = filepath.Join(im.ContentDir, filepath.FromSlash(v.ContentDir))
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return err
		}
		if _, err := os.Lstat(final); err == nil {
			return fmt.Errorf("content folder %s already exists", final)
		}
		return os.Rename(unpacked, final)
	})
	if err != nil {
		if final != "" {
			if _, statErr := os.Stat(unpacked); os.IsNotExist(statErr) {
				os.RemoveAll(final) // the rename happened but the transaction did not commit
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			return nil, &RejectedError{Reason: fmt.Sprintf("course %d does not exist", opt.CourseID), Err: err}
		}
		return nil, fmt.Errorf("import: %w", err)
	}
	res.ID = &v.CourseID
	res.CourseVersion = v.Number
	if im.Log != nil {
		im.Log.Info("course imported", "course", v.CourseID, "version", v.Number, "title", v.Title,
			"edition", v.Edition, "scos", v.SCOCount, "bytes", v.Bytes, "warnings", len(warnings))
	}
	return res, nil
}

// rejectOr sorts extraction errors: a bad package is the admin's to fix, an
// I/O failure is ours.
func rejectOr(err error) error {
	for _, e := range []error{scorm.ErrNotZip, scorm.ErrNoManifest, scorm.ErrAICC, scorm.ErrUnsafePath,
		scorm.ErrLimit, scorm.ErrEncrypted, scorm.ErrDuplicate, scorm.ErrSymlink, scorm.ErrTruncated, scorm.ErrUnsupported} {
		if errors.Is(err, e) {
			return &RejectedError{Reason: firstLine(err), Err: err}
		}
	}
	return fmt.Errorf("import: %w", err)
}

func firstLine(err error) string {
	s := err.Error()
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

// storeItems flattens the default organization depth-first.
func storeItems(pkg *scorm.Package) []store.Item {
	var out []store.Item
	var walk func(items []*scorm.Item, parent, depth int)
	walk = func(items []*scorm.Item, parent, depth int) {
		for _, it := range items {
			row := store.Item{
				Identifier:      it.Identifier,
				ParentPosition:  parent,
				Depth:           depth,
				Title:           it.Title,
				Launch:          it.Launch,
				Visible:         it.Visible,
				HasChildren:     len(it.Children) > 0,
				MasteryScore:    it.MasteryScore,
				MaxTimeAllowed:  it.MaxTimeAllowed,
				TimeLimitAction: it.TimeLimitAction,
				DataFromLMS:     it.DataFromLMS,
				Prerequisites:   it.Prerequisites,
			}
			if it.Resource != nil {
				row.ResourceID = it.Resource.Identifier
				row.ScormType = it.Resource.ScormType
			}
			if ct := it.CompletionThreshold; ct != nil {
				m := ct.MinProgressMeasure
				row.CompletionThreshold = &m
			}
			out = append(out, row)
			walk(it.Children, len(out)-1, depth+1)
		}
	}
	if pkg.DefaultOrg != nil {
		walk(pkg.DefaultOrg.Items, -1, 0)
	}
	return out
}

func (im *Importer) titleMax() int {
	if im.TitleMax <= 0 {
		return DefaultTitleMax
	}
	return min(im.TitleMax, MaxTitleMax)
}

// CheckTitle makes a package's title fit to show: one line (control
// characters and runs of white space become one space), trimmed, and at
// most max characters, shortened at a word boundary with an ellipsis. The
// warning, "" when the title fits, tells the admin what happened.
func CheckTitle(title string, max int) (shown, warning string) {
	title = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(title, "\uFFFD"))), " ")
	n := utf8.RuneCountInString(title)
	if n <= max {
		return title, ""
	}
	shown = Shorten(title, max)
	return shown, fmt.Sprintf("The package's title has %s characters; course titles have at most %d, so the course is shown as %q. Rename the course to choose a better title.",
		thousands(n), max, shown)
}

// Shorten cuts s to at most max characters, at the last space in the final
// fifth when there is one, and ends it with an ellipsis.
func Shorten(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	if max < 2 {
		return string(r[:max])
	}
	cut := max - 1
	for i := cut; i > max*4/5; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(string(r[:cut]), " ") + "…"
}

// thousands writes n with comma separators (4,679).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
