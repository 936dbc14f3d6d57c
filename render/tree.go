package render

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/initbox/initbox/internal/atomicfile"
	"github.com/initbox/initbox/internal/option"
)

// TreeOptions select the templates of a directory tree.
type TreeOptions struct {
	In, Out string
	// Include and Exclude are path.Match patterns. A pattern with a slash
	// matches the path relative to In; one without matches the base name
	// at any depth. With no Include, every file is included; Exclude wins.
	Include, Exclude []string
	// TrimSuffix is cut from output names: nginx.conf.tmpl → nginx.conf.
	TrimSuffix string
	// NoHelpers renders files starting with "_" like the others (for
	// envsubst mode, which has no defines to share).
	NoHelpers bool
}

// Tree lists the templates under In as jobs writing to the same relative
// paths under Out. Files whose names start with "_" are helpers (Helm's
// convention), unless NoHelpers: their defined templates are available to
// every template, and they are not rendered. Entries starting with ".." (Kubernetes'
// ..data in a ConfigMap volume) and initbox's temp files are skipped;
// symlinks to files are followed, so a mounted ConfigMap works as input.
func Tree(o TreeOptions) ([]Job, error) {
	for _, p := range append(append([]string{}, o.Include...), o.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("bad pattern %q: %w", p, err)
		}
	}
	outAbs, _ := filepath.Abs(o.Out)
	var jobs []Job
	err := filepath.WalkDir(o.In, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != o.In && (strings.HasPrefix(name, "..") || atomicfile.IsTemp(name)) {
			return skip(d)
		}
		if d.IsDir() {
			if abs, _ := filepath.Abs(p); abs == outAbs && p != o.In {
				return filepath.SkipDir // our own output, inside the input
			}
			return nil
		}
		if !isFile(p, d) {
			return nil
		}
		rel, _ := filepath.Rel(o.In, p)
		rel = filepath.ToSlash(rel)
		if !selected(rel, o.Include, o.Exclude) {
			return nil
		}
		j := Job{Src: p, Name: rel, Helper: strings.HasPrefix(name, "_") && !o.NoHelpers}
		if !j.Helper {
			j.Dest = filepath.Join(o.Out, filepath.FromSlash(strings.TrimSuffix(rel, o.TrimSuffix)))
			if filepath.Clean(j.Dest) == filepath.Clean(p) {
				return fmt.Errorf("%s: the output would overwrite its template (use %s or another %s)", rel, option.TrimSuffix, option.OutputDir)
			}
		}
		jobs = append(jobs, j)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

func skip(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}

// isFile says whether p is a regular file, following a symlink.
func isFile(p string, d fs.DirEntry) bool {
	if d.Type().IsRegular() {
		return true
	}
	if d.Type()&fs.ModeSymlink == 0 {
		return false
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func selected(rel string, include, exclude []string) bool {
	if matchAny(rel, exclude) {
		return false
	}
	return len(include) == 0 || matchAny(rel, include)
}

func matchAny(rel string, patterns []string) bool {
	base := path.Base(rel)
	for _, p := range patterns {
		target := base
		if strings.Contains(p, "/") {
			target = rel
		}
		if ok, _ := path.Match(p, target); ok {
			return true
		}
	}
	return false
}
