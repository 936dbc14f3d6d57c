package fetch

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/initbox/initbox/internal/atomicfile"
)

// An oci:// pull records what it wrote, so that a re-run can tell, from
// the manifest digest alone, that nothing changed. Like the manifests of
// other fetches (manifest_store.go), the record is kept where a web server
// serving DIR would not publish it: in the state directory if the caller
// names one, else in an extended attribute of DIR itself, and only on a
// file system without user xattrs in a hidden file: DIR/.initbox-oci.json
// for files written into DIR, .DIR.initbox-oci.json beside DIR for an
// image's tree, which replaces DIR.
const (
	recordXattr  = "user.initbox.oci"
	recordName   = ".initbox-oci.json"
	recordSuffix = ".initbox-oci.json"
)

type ociRecord struct {
	Ref    string       `json:"ref"`
	Digest string       `json:"digest"` // what the reference resolved to: an index or a manifest
	Image  string       `json:"image"`  // the manifest used
	Select string       `json:"select"` // the options that chose what to write
	Tree   bool         `json:"tree,omitempty"`
	Files  []recordFile `json:"files"`
}

// recordFile is one file or unpacked tree, as written: if its inode or
// mtime (or a file's size) changed since, it is not intact.
type recordFile struct {
	Name      string `json:"name"` // relative to DIR; "." for the tree
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	Extracted bool   `json:"extracted,omitempty"`
	Inode     uint64 `json:"inode"`
	MTime     int64  `json:"mtime_ns"`
}

func recordPath(dir string, tree bool) string {
	if tree {
		return hiddenName(filepath.Clean(dir), recordSuffix)
	}
	return filepath.Join(dir, recordName)
}

// recordStatePath names DIR's record in the state directory: apart from a
// manifest an https fetch may keep for the same path.
func recordStatePath(stateDir, dir string) string {
	return strings.TrimSuffix(statePath(stateDir, dir), ".json") + ".oci.json"
}

// loadRecord reads the record of dir; nil if there is none.
func loadRecord(dir, stateDir string) *ociRecord {
	var found [][]byte
	if stateDir != "" {
		if data, err := os.ReadFile(recordStatePath(stateDir, dir)); err == nil {
			found = append(found, data)
		}
	} else if data, err := getXattr(dir, recordXattr); err == nil {
		found = append(found, data)
	}
	for _, tree := range []bool{false, true} {
		if data, err := os.ReadFile(recordPath(dir, tree)); err == nil {
			found = append(found, data)
		}
	}
	for _, data := range found {
		var rec ociRecord
		if json.Unmarshal(data, &rec) == nil {
			return &rec
		}
	}
	return nil
}

// fresh reports whether rec says dir already holds what digest names,
// chosen as sel says, untouched since.
func (rec *ociRecord) fresh(dir, digest, sel string) bool {
	if rec == nil || rec.Digest != digest || rec.Select != sel || len(rec.Files) == 0 {
		return false
	}
	for _, f := range rec.Files {
		if !f.intact(dir) {
			return false
		}
	}
	return true
}

// file returns the record of name if it still holds digest.
func (rec *ociRecord) file(dir, name, digest string, extracted bool) (recordFile, bool) {
	if rec == nil {
		return recordFile{}, false
	}
	for _, f := range rec.Files {
		if f.Name == name && f.Digest == digest && f.Extracted == extracted && f.intact(dir) {
			return f, true
		}
	}
	return recordFile{}, false
}

func (f recordFile) intact(dir string) bool {
	fi, err := os.Lstat(filepath.Join(dir, f.Name))
	return err == nil && inode(fi) == f.Inode && fi.ModTime().UnixNano() == f.MTime &&
		(f.Extracted || fi.Size() == f.Size)
}

// stamp fills in the inode and mtime of a file just written.
func (f *recordFile) stamp(dir string) error {
	fi, err := os.Lstat(filepath.Join(dir, f.Name))
	if err != nil {
		return err
	}
	f.Inode, f.MTime = inode(fi), fi.ModTime().UnixNano()
	return nil
}

func (rec *ociRecord) save(dir, stateDir string) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	var stored error
	if stateDir != "" {
		if stored = os.MkdirAll(stateDir, 0o755); stored == nil {
			stored = atomicfile.WriteFile(recordStatePath(stateDir, dir), data, 0o644)
		}
	} else {
		stored = setXattr(dir, recordXattr, data)
	}
	if stateDir == "" && errors.Is(stored, errNoXattr) {
		return atomicfile.WriteFile(recordPath(dir, rec.Tree), append(data, '\n'), 0o644)
	}
	if stored != nil {
		return stored
	}
	for _, tree := range []bool{false, true} {
		os.Remove(recordPath(dir, tree)) // kept elsewhere now
	}
	return nil
}
