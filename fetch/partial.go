package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/initbox/initbox/internal/atomicfile"
	"github.com/initbox/initbox/internal/redact"
)

// A download in progress lives in ".<name>.initbox-partial" beside its
// destination, with ".<name>.initbox-partial.json" saying what it is a
// prefix of. Both names are hidden and end in initbox's own suffixes, so
// neither can be taken for the real file; a later run resumes from them.
const (
	partialSuffix = ".initbox-partial" // the sidecar adds ".json"
)

// partialInfo identifies the remote file a partial download belongs to.
type partialInfo struct {
	URL          string `json:"url"` // secrets removed; for people
	Key          string `json:"key"` // SHA-256 of the full URL
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Size         int64  `json:"size"` // -1: not known
}

// validator is what If-Range carries: a strong ETag (RFC 9110 forbids weak
// ones there) or else the Last-Modified date.
func (i partialInfo) validator() string {
	if i.ETag != "" && !strings.HasPrefix(i.ETag, "W/") {
		return i.ETag
	}
	return i.LastModified
}

// partial is the temporary file a download is written to.
type partial struct {
	file *atomicfile.File
	path string // "" for a random temporary name: not resumable by a later run
	info partialInfo
	size int64 // bytes in the file
}

// openPartial opens dest's partial download and, if its sidecar says it
// holds the start of rawURL's file, keeps what it holds. fresh discards any
// earlier content. When another initbox is downloading the same file, the
// download goes to a random temporary file instead.
func openPartial(dest, rawURL string, mode os.FileMode, fresh bool) (*partial, error) {
	if err := makeDir(dest); err != nil {
		return nil, err
	}
	path := hiddenName(dest, partialSuffix)
	for range 3 {
		f, err := atomicfile.OpenAt(path, dest, mode)
		if err != nil {
			return nil, err
		}
		if !tryLock(f.File) {
			f.Keep() // closes without removing: it is the other run's
			break
		}
		if !sameFile(f.File, path) { // renamed into place while we locked it
			f.Keep()
			continue
		}
		p := &partial{file: f, path: path, info: partialInfo{Size: -1}}
		return p, p.load(rawURL, fresh)
	}
	f, err := atomicfile.Create(dest, mode)
	if err != nil {
		return nil, err
	}
	return &partial{file: f, info: partialInfo{Size: -1}}, nil
}

// hasPartial reports whether a partial download of dest is on disk.
func hasPartial(dest string) bool {
	_, err := os.Lstat(hiddenName(dest, partialSuffix))
	return err == nil
}

func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// load keeps the partial's content if its sidecar vouches for it.
func (p *partial) load(rawURL string, fresh bool) error {
	fi, err := p.file.Stat()
	if err != nil {
		return err
	}
	var info partialInfo
	data, err := os.ReadFile(p.path + ".json")
	ok := !fresh && err == nil && json.Unmarshal(data, &info) == nil &&
		info.Key == urlKey(rawURL) && info.validator() != "" &&
		fi.Size() > 0 && (info.Size < 0 || fi.Size() <= info.Size)
	if !ok {
		return p.reset()
	}
	p.info, p.size = info, fi.Size()
	_, err = p.file.Seek(p.size, io.SeekStart)
	return err
}

// resumable reports whether the content can be continued with If-Range.
func (p *partial) resumable() bool { return p.size > 0 && p.info.validator() != "" }

// reset empties the partial and forgets what it belonged to.
func (p *partial) reset() error {
	p.size = 0
	p.info = partialInfo{Size: -1}
	p.removeSidecar()
	if err := p.file.Truncate(0); err != nil {
		return err
	}
	_, err := p.file.Seek(0, io.SeekStart)
	return err
}

// begin records, before any byte of a new download is written, what the
// partial will hold, so that a run killed midway leaves a resumable pair.
func (p *partial) begin(info partialInfo) error {
	p.info = info
	if p.path == "" || info.validator() == "" {
		p.removeSidecar()
		return nil
	}
	data, err := json.Marshal(info)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(p.path+".json", data, 0o644)
}

// commit renames the complete file into place. The sidecar goes first: a
// crash between the two leaves a partial that is not trusted, never one
// that is trusted wrongly.
func (p *partial) commit() error {
	p.removeSidecar()
	return p.file.Commit()
}

// release ends a download that failed: the partial stays for the next run
// if it can be resumed and err does not say its content is wrong.
func (p *partial) release(err error) {
	var sum *ChecksumError
	bad := errors.As(err, &sum) || errors.Is(err, errTooBig) || isWriteError(err)
	if p.path != "" && p.resumable() && !bad {
		p.file.Keep()
		return
	}
	p.discard()
}

// discard removes the partial and its sidecar.
func (p *partial) discard() {
	p.removeSidecar()
	p.file.Abort()
}

func (p *partial) removeSidecar() {
	if p.path != "" {
		os.Remove(p.path + ".json")
	}
}

// urlKey identifies a URL without storing it: the full URL may hold a
// password or a token.
func urlKey(rawURL string) string {
	sum := sha256.Sum256([]byte(rawURL))
	return hex.EncodeToString(sum[:])
}

func newPartialInfo(rawURL, etag, lastModified string, size int64) partialInfo {
	return partialInfo{URL: redact.URL(rawURL), Key: urlKey(rawURL), ETag: etag, LastModified: lastModified, Size: size}
}
