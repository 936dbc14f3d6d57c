package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/initbox/initbox/internal/option"
)

// file is the template function that reads a file, confined to
// Options.AllowDirs: a path must lie inside one of them, and is opened
// through an os.Root, which refuses ".." and symlinks that lead outside
// even if they change after the check.
func (r *run) file(path string) (string, error) {
	if len(r.e.opts.AllowDirs) == 0 {
		return "", fmt.Errorf("file %q: reading files is off; allow a directory with %s", path, option.AllowDirs)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("file %q: %w", path, err)
	}
	for _, dir := range r.e.opts.AllowDirs {
		rel, ok := within(dir, abs)
		if !ok {
			continue
		}
		b, err := readBeneath(dir, rel)
		if err != nil {
			return "", fmt.Errorf("file %q: %w", path, err)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("file %q: outside the allowed directories (%s)", path, strings.Join(r.e.opts.AllowDirs, ", "))
}

// within returns abs relative to dir, if abs lies inside dir (lexically).
func within(dir, abs string) (string, bool) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	rel, err := filepath.Rel(d, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}

func readBeneath(dir, rel string) ([]byte, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("allowed directory: %w", err)
	}
	defer root.Close()
	b, err := root.ReadFile(rel)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err // the message names the path already
		}
		return nil, err
	}
	return b, nil
}
