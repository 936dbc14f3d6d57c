package fetch

import (
	"encoding/hex"
	"encoding/json"
	"os"
)

// A manifest lets a re-run without a checksum ask the server "has it
// changed?" (If-None-Match, If-Modified-Since) instead of downloading
// again, and lets a re-run of an extraction with a checksum skip without a
// request. Where it is kept is manifest_store.go's business.

// manifest describes what a fetch wrote to its destination.
type manifest struct {
	URL          string `json:"url"` // secrets removed
	Key          string `json:"key"` // SHA-256 of the full URL
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	SHA512       string `json:"sha512,omitempty"`
	Extracted    bool   `json:"extracted,omitempty"` // Size and sums are the archive's
	// The destination as it was written: if it no longer matches, the
	// file was replaced or edited since, and the manifest is void.
	Inode uint64 `json:"inode"`
	MTime int64  `json:"mtime_ns"`
}

// loadManifest returns dest's manifest if it belongs to rawURL and dest is
// still the file it describes; nil otherwise.
func loadManifest(dest, rawURL, stateDir string) *manifest {
	data, legacy, err := readManifest(dest, stateDir)
	if err != nil {
		return nil
	}
	var m manifest
	if json.Unmarshal(data, &m) != nil || m.Key != urlKey(rawURL) {
		return nil
	}
	fi, err := os.Lstat(dest)
	if err != nil || inode(fi) != m.Inode || fi.ModTime().UnixNano() != m.MTime {
		return nil
	}
	if !m.Extracted && fi.Size() != m.Size {
		return nil
	}
	if legacy {
		migrateManifest(dest, stateDir, data)
	}
	return &m
}

// matches reports whether the manifest records the wanted checksums.
func (m *manifest) matches(want Sums) bool {
	if want.IsZero() {
		return false
	}
	return (want.SHA256 == nil || m.SHA256 == hex.EncodeToString(want.SHA256)) &&
		(want.SHA512 == nil || m.SHA512 == hex.EncodeToString(want.SHA512))
}

// writeManifest records what was just written to dest.
func writeManifest(dest, stateDir string, m manifest) error {
	fi, err := os.Lstat(dest)
	if err != nil {
		return err
	}
	m.Inode, m.MTime = inode(fi), fi.ModTime().UnixNano()
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return storeManifest(dest, stateDir, data)
}
