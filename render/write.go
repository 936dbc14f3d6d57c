package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/initbox/initbox/internal/atomicfile"
)

// DefaultMode is the mode of a new output file when none is asked for:
// not the template's, which may be a read-only ConfigMap file.
const DefaultMode os.FileMode = 0o644

// WriteOptions say how Apply writes outputs.
type WriteOptions struct {
	// Mode is every output's mode; 0 keeps an existing file's mode and
	// gives new files DefaultMode.
	Mode os.FileMode
	// DryRun compares only and writes nothing (--check, --diff).
	DryRun bool
	// Diff, if set, receives a unified diff of each output that changes.
	Diff io.Writer
	// Hide lists values that the diff and a validation command's output
	// show as "xxxxx": secrets the outputs were rendered from.
	Hide []string
	// Validate, if set, is a command run on the temp file of each changed
	// output before any of them is moved into place. "{}" in its
	// arguments stands for the temp file (appended if there is none).
	Validate []string
	// Log receives a line per file written and warnings; nil logs nothing.
	Log *slog.Logger
}

// Result says which outputs changed (or would change, on a dry run) and
// which were already up to date.
type Result struct {
	Changed, Unchanged []string
}

// plan is what Apply found out about one output.
type plan struct {
	Output
	mode    os.FileMode // the mode it should have
	exists  bool
	oldMode os.FileMode
	same    bool // the file exists with these bytes and mode
	old     []byte
}

// Apply brings each file output up to date. An output whose file already
// has its bytes and mode is not touched (same inode, same mtime). The
// others are written to temp files in their directories, fsynced and
// validated, and only when all of them are ready renamed into place, the
// directories fsynced after. A failure before the renames leaves every file
// as it was. Outputs to stdout (Dest "") are the caller's.
func Apply(ctx context.Context, outs []Output, o WriteOptions) (Result, error) {
	var res Result
	var todo []*plan
	for _, out := range outs {
		if out.Dest == "" {
			continue
		}
		p, err := compare(out, o.Mode, o.Diff != nil)
		if err != nil {
			return res, err
		}
		if p.same {
			res.Unchanged = append(res.Unchanged, p.Dest)
			continue
		}
		res.Changed = append(res.Changed, p.Dest)
		todo = append(todo, p)
	}
	if o.Diff != nil {
		for _, p := range todo {
			if err := writeDiff(o.Diff, p, o.Hide); err != nil {
				return res, err
			}
		}
	}
	if o.DryRun || len(todo) == 0 {
		return res, nil
	}
	return res, commit(ctx, todo, o)
}

// compare reads what is at p.Dest, if anything.
func compare(out Output, mode os.FileMode, keepOld bool) (*plan, error) {
	p := &plan{Output: out, mode: mode}
	f, err := openRegular(out.Dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if p.mode == 0 {
			p.mode = DefaultMode
		}
		return p, nil
	case errors.Is(err, errNotRegular):
		return nil, fmt.Errorf("output %s: exists and is not a regular file", out.Dest)
	case err != nil:
		return nil, fmt.Errorf("output %s: %s", out.Dest, pathErr(err))
	}
	defer f.Close()
	p.exists, p.oldMode = true, f.mode
	if p.mode == 0 {
		p.mode = p.oldMode
	}
	if keepOld {
		if p.old, err = io.ReadAll(f); err != nil {
			return nil, fmt.Errorf("reading %s: %w", out.Dest, err)
		}
		p.same = bytes.Equal(p.old, out.Data) && p.mode == p.oldMode
		return p, nil
	}
	if f.size != int64(len(out.Data)) || p.mode != p.oldMode {
		return p, nil
	}
	same, err := sameContent(f, out.Data)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", out.Dest, err)
	}
	p.same = same
	return p, nil
}

// sameContent compares a file with data in chunks, so a large output is
// not held in memory twice.
func sameContent(r io.Reader, data []byte) (bool, error) {
	buf := make([]byte, min(len(data)+1, 64<<10))
	for {
		n, err := io.ReadFull(r, buf)
		if n > len(data) || !bytes.Equal(buf[:n], data[:n]) {
			return false, nil
		}
		data = data[n:]
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return len(data) == 0, nil
		case err != nil:
			return false, err
		}
	}
}

func writeDiff(w io.Writer, p *plan, hide []string) error {
	from := p.Dest
	if !p.exists {
		from = "/dev/null"
	} else if p.oldMode != p.mode {
		if _, err := fmt.Fprintf(w, "# %s: mode %04o -> %04o\n", p.Dest, p.oldMode, p.mode); err != nil {
			return err
		}
	}
	return Unified(w, from, p.Dest, p.old, p.Data, hide...)
}

// commit stages every changed output in a prepared temp file, validates
// them, and then renames them all into place.
func commit(ctx context.Context, todo []*plan, o WriteOptions) error {
	dirs := map[string]bool{}
	for _, p := range todo {
		if err := mkdirs(filepath.Dir(p.Dest), dirs); err != nil {
			return err
		}
		dirs[filepath.Dir(p.Dest)] = true
	}
	files, err := stage(todo)
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Abort() // a no-op once committed
			}
		}
	}()
	if err != nil {
		return fmt.Errorf("%w; no output was changed", err)
	}
	if len(o.Validate) > 0 {
		for i, f := range files {
			if err := validate(ctx, o.Validate, todo[i].Dest, f.Name(), o.Hide); err != nil {
				return err
			}
		}
	}
	// The data of every staged file is made durable before any rename, and
	// the renames after: one syncfs per file system each time, instead of
	// an fsync per file and per directory.
	fsDirs := oneDirPerFS(dirs)
	if err := syncAll(fsDirs); err != nil {
		return err
	}
	for i, f := range files {
		if err := rename(f, todo[i], o.Log); err != nil {
			return err
		}
	}
	return syncAll(fsDirs)
}

// oneDirPerFS picks one directory on each file system among dirs.
func oneDirPerFS(dirs map[string]bool) []string {
	seen := map[uint64]bool{}
	var out []string
	for dir := range dirs {
		var st syscall.Stat_t
		if err := syscall.Stat(dir, &st); err != nil {
			out = append(out, dir)
			continue
		}
		if !seen[uint64(st.Dev)] {
			seen[uint64(st.Dev)] = true
			out = append(out, dir)
		}
	}
	return out
}

func syncAll(dirs []string) error {
	for _, dir := range dirs {
		if err := atomicfile.SyncFS(dir); err != nil {
			return err
		}
	}
	return nil
}

// stage writes each output to a prepared (closed, not yet synced) temp
// file. One at a time: without an fsync each there is nothing to overlap.
func stage(todo []*plan) ([]*atomicfile.File, error) {
	files := make([]*atomicfile.File, len(todo))
	for i, p := range todo {
		f, err := stageOne(p)
		if err != nil {
			return files, err
		}
		files[i] = f
	}
	return files, nil
}

func stageOne(p *plan) (*atomicfile.File, error) {
	// Errors name the output, not the temp file, which is gone by the
	// time anyone reads them.
	f, err := atomicfile.Create(p.Dest, p.mode)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", p.Dest, withoutPath(err))
	}
	f.NoDirSync, f.NoSync = true, true // commit syncs them all at once
	if _, err := f.Write(p.Data); err != nil {
		f.Abort()
		return nil, fmt.Errorf("writing %s: %w", p.Dest, withoutPath(err))
	}
	if err := f.Prepare(); err != nil {
		return nil, err
	}
	return f, nil
}

// rename moves a prepared temp file into place. A file that is a mount
// point (a Kubernetes subPath mount) cannot be replaced: rename fails with
// EBUSY, and the only way left is to overwrite it in place.
func rename(f *atomicfile.File, p *plan, log *slog.Logger) error {
	err := f.Commit()
	if err == nil {
		if log != nil {
			log.Info("wrote", "file", p.Dest)
		}
		return nil
	}
	if !errors.Is(err, syscall.EBUSY) || !p.exists {
		return fmt.Errorf("output %s: %w", p.Dest, err)
	}
	if log != nil {
		log.Warn("file is a mount point (subPath?): cannot replace it atomically, overwriting it in place", "file", p.Dest)
	}
	if err := writeInPlace(p.Dest, p.Data, p.mode, p.oldMode); err != nil {
		return fmt.Errorf("output %s: writing in place: %w", p.Dest, err)
	}
	if log != nil {
		log.Info("wrote", "file", p.Dest, "in_place", true)
	}
	return nil
}

// writeInPlace overwrites an existing file's content: new bytes first,
// then the truncation, so the file is never seen empty.
func writeInPlace(path string, data []byte, mode, oldMode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	if err := f.Truncate(int64(len(data))); err != nil {
		return err
	}
	if mode != oldMode {
		if err := f.Chmod(mode); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// mkdirs creates dir and its missing parents, and marks the directories
// whose entries changed for syncing.
func mkdirs(dir string, dirs map[string]bool) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("output directory %s: not a directory", dir)
		}
		return nil
	}
	if err := mkdirs(filepath.Dir(dir), dirs); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("output directory: %w", err)
	}
	dirs[filepath.Dir(dir)] = true
	return nil
}
