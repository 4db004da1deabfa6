package course

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Delete deletes a course that has no learner records (store.ErrHasRecords
// otherwise), then its content folders. The database decides first: once it
// no longer knows the course, a folder that cannot be removed is only left
// behind, and is logged.
func (im *Importer) Delete(ctx context.Context, courseID uint) error {
	dirs, err := im.Store.DeleteCourse(ctx, courseID)
	if err != nil {
		return err
	}
	root := im.ContentDir
	for _, d := range dirs {
		p := filepath.Join(root, filepath.FromSlash(d))
		if rel, err := filepath.Rel(root, p); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			im.warn("refusing to remove content outside the content folder", "course", courseID, "dir", d)
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			im.warn("could not remove the content of a deleted course", "course", courseID, "dir", d, "err", err)
		}
	}
	// The course's own folder, empty now unless something was left.
	_ = os.Remove(filepath.Join(root, fmt.Sprint(courseID)))
	return nil
}

func (im *Importer) warn(msg string, args ...any) {
	if im.Log != nil {
		im.Log.Warn(msg, args...)
	}
}
