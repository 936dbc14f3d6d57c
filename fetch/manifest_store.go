package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/initbox/initbox/internal/atomicfile"
)

// Where a manifest is kept. Not beside the file: a fetched file often lands
// in a directory a web server publishes (an emptyDir that nginx serves), and
// a hidden ".NAME.initbox.json" there would be published with it. So, in
// order of preference:
//   - the state directory, when the caller names one: one file per
//     destination, named by the hash of its absolute path;
//   - an extended attribute on the fetched file itself (or on the directory
//     an archive was unpacked into), which travels with the inode: replace
//     the file and its manifest is gone with it;
//   - only on a file system without user extended attributes, the hidden
//     file beside it that earlier versions always wrote.
//
// Manifests in that hidden file, from earlier versions, are still read and
// are moved to the attribute when they are next read or written.
// errNoXattr says the file system keeps no user extended attributes for a
// file.
var errNoXattr = errors.New("no extended attributes here")

const (
	manifestXattr  = "user.initbox.manifest"
	manifestSuffix = ".initbox.json" // the hidden file: ".<name>.initbox.json"
)

// readManifest returns the stored manifest of dest, and whether it came
// from the hidden file beside it.
func readManifest(dest, stateDir string) (data []byte, legacy bool, err error) {
	if stateDir != "" {
		if data, err = os.ReadFile(statePath(stateDir, dest)); err == nil {
			return data, false, nil
		}
	} else if data, err = getXattr(dest, manifestXattr); err == nil {
		return data, false, nil
	}
	data, err = os.ReadFile(hiddenName(dest, manifestSuffix))
	return data, err == nil, err
}

// storeManifest records data as dest's manifest, and removes an older
// hidden manifest file once the manifest is kept elsewhere.
func storeManifest(dest, stateDir string, data []byte) error {
	legacy := hiddenName(dest, manifestSuffix)
	switch err := storeOutside(dest, stateDir, data); {
	case err == nil:
	case stateDir == "" && errors.Is(err, errNoXattr):
		return atomicfile.WriteFile(legacy, data, 0o644)
	default:
		return err
	}
	if err := os.Remove(legacy); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// storeOutside keeps data where a web server would not publish it: the
// state directory or an extended attribute.
func storeOutside(dest, stateDir string, data []byte) error {
	if stateDir == "" {
		return setXattr(dest, manifestXattr, data)
	}
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(statePath(stateDir, dest), data, 0o644)
}

// migrateManifest moves a manifest read from the hidden file to where this
// version keeps it. Failing to is harmless: the hidden file still works.
func migrateManifest(dest, stateDir string, data []byte) {
	_ = storeManifest(dest, stateDir, data)
}

// statePath names dest's manifest in the state directory.
func statePath(stateDir, dest string) string {
	abs, err := filepath.Abs(dest)
	if err != nil {
		abs = dest
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(stateDir, hex.EncodeToString(sum[:16])+".json")
}
