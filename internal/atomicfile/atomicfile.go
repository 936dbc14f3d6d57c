// Package atomicfile writes files so that readers only ever see the old
// content or the complete new content: data goes to a temporary file in the
// destination's directory, which is synced, given its mode and renamed over
// the destination, and the directory is synced too.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TempPrefix and TempSuffix frame the names of temporary files, so they can
// never be taken for a real file and can be found and cleaned up.
const (
	TempPrefix = "."
	TempSuffix = ".initbox-tmp"
)

// File is a temporary file that becomes Dest on Commit.
type File struct {
	*os.File
	Dest string
	// NoDirSync leaves the directory sync out of Commit, for a caller
	// that commits many files and then calls SyncDir once per directory.
	NoDirSync bool
	// NoSync leaves the data sync out of Prepare and Commit, for a caller
	// that writes many files and then makes them durable at once with
	// SyncFS, before renaming any of them.
	NoSync   bool
	mode     os.FileMode
	prepared bool // synced, chmodded and closed
	done     bool // renamed or removed
}

// Create opens a new temporary file next to dest. The caller writes to it
// and then calls Commit, or Abort on failure; Abort after Commit is a no-op,
// so `defer f.Abort()` is always safe.
func Create(dest string, mode os.FileMode) (*File, error) {
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := filepath.Join(dir, TempPrefix+base+"."+hex.EncodeToString(rnd[:])+TempSuffix)
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &File{File: f, Dest: dest, mode: mode}, nil
}

// OpenAt opens, creating it if needed, the temporary file tmp, which must be
// in dest's directory and have a name that can never be taken for a real
// file. Unlike Create it keeps what tmp already holds, so a caller can resume
// writing where an earlier run stopped; Keep leaves it for the next run.
func OpenAt(tmp, dest string, mode os.FileMode) (*File, error) {
	if filepath.Dir(tmp) != filepath.Dir(dest) {
		return nil, fmt.Errorf("atomicfile: %s is not in the directory of %s", tmp, dest)
	}
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return &File{File: f, Dest: dest, mode: mode}, nil
}

// IsTemp reports whether name (a base name) is one of this package's
// temporary files.
func IsTemp(name string) bool {
	return strings.HasPrefix(name, TempPrefix) && strings.HasSuffix(name, TempSuffix)
}

// Commit syncs the data, sets the mode, renames the file over Dest and
// closes it, then syncs the directory so the rename survives a crash. The
// rename comes before the close so that a lock held on the file (see
// OpenAt) covers it: nobody can take the file up again between the two.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: commit after commit or abort")
	}
	if !f.prepared {
		if err := f.syncAndChmod(); err != nil {
			return err
		}
	}
	if err := os.Rename(f.Name(), f.Dest); err != nil {
		f.Abort()
		return err
	}
	f.done = true
	if !f.prepared {
		if err := f.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", f.Dest, err)
		}
	}
	if f.NoDirSync {
		return nil
	}
	return SyncDir(filepath.Dir(f.Dest))
}

// Prepare does the first half of Commit: it syncs the data, sets the mode
// and closes the file, which keeps its temporary name until Commit renames
// it. Callers that write many files prepare them all (in parallel, holding
// few descriptors), check them, and only then commit them, one rename each.
// Prepare after Prepare does nothing.
func (f *File) Prepare() error {
	if f.prepared {
		return nil
	}
	if err := f.syncAndChmod(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", f.Dest, err)
	}
	f.prepared = true
	return nil
}

// syncAndChmod makes the data durable and gives the file its mode; on
// failure the temporary file is removed.
func (f *File) syncAndChmod() error {
	if !f.NoSync { // else the caller syncs the file system before the rename
		if err := f.Sync(); err != nil {
			f.Abort()
			return fmt.Errorf("syncing %s: %w", f.Dest, err)
		}
	}
	if err := f.Chmod(f.mode); err != nil {
		f.Abort()
		return fmt.Errorf("setting the mode of %s: %w", f.Dest, err)
	}
	return nil
}

// Abort closes and removes the temporary file, leaving Dest as it was.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	if !f.prepared {
		f.Close()
	}
	return os.Remove(f.Name())
}

// Keep closes the temporary file and leaves it on disk, for a later OpenAt
// to resume from. Commit and Abort are no-ops after it.
func (f *File) Keep() error {
	if f.done {
		return nil
	}
	f.done = true
	if f.prepared {
		return nil
	}
	return f.Close()
}

// WriteFile atomically replaces dest with data.
func WriteFile(dest string, data []byte, mode os.FileMode) error {
	f, err := Create(dest, mode)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	return f.Commit()
}

// SyncDir fsyncs a directory, making renames and creations in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
