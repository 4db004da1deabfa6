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
	Log        *slog.Logger
}

// Options say what to do with a package.
type Options struct {
	CheckOnly  bool   // validate, store nothing
	CourseID   uint   // add a version to this course; 0 creates a course
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
// is left behind.
func (im *Importer) Import(ctx context.Context, zipPath string, opt Options) (*Result, error) {
	if err := os.MkdirAll(im.StagingDir, 0o755); err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	tmp, err := os.MkdirTemp(im.StagingDir, "import-")
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
	res := newResult(pkg, warnings)
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
