package fetch

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/initbox/initbox/internal/atomicfile"
)

// An oci:// pull records what it wrote, so that a re-run can tell, from
// the manifest digest alone, that nothing changed. Files written into the
// directory (an artifact, one path of an image) are listed in
// DIR/.initbox-oci.json; an image's whole tree, which replaces DIR, in
// .DIR.initbox-oci.json beside it.
const (
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

// loadRecord reads the record of dir, inside or beside it; nil if none.
func loadRecord(dir string) *ociRecord {
	for _, tree := range []bool{false, true} {
		data, err := os.ReadFile(recordPath(dir, tree))
		if err != nil {
			continue
		}
		var rec ociRecord
		if json.Unmarshal(data, &rec) == nil && rec.Tree == tree {
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

func (rec *ociRecord) save(dir string) error {
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	path := recordPath(dir, rec.Tree)
	if !rec.Tree {
		os.Remove(recordPath(dir, true)) // from an earlier pull of an image's tree
	}
	return atomicfile.WriteFile(path, append(data, '\n'), 0o644)
}
