package fetch

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/initbox/initbox/internal/redact"
)

// Sums are checksums of a file; a nil field is not known or not wanted.
type Sums struct {
	SHA256 []byte
	SHA512 []byte
}

// IsZero reports whether no checksum is given.
func (s Sums) IsZero() bool { return s.SHA256 == nil && s.SHA512 == nil }

// ParseSum parses a hex checksum of the given algorithm ("sha256" or
// "sha512"), optionally prefixed "sha256:" as in OCI digests.
func ParseSum(algo, s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimSpace(strings.ToLower(s)), algo+":")
	size := map[string]int{"sha256": 32, "sha512": 64}[algo]
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != size {
		return nil, fmt.Errorf("want %d hex digits", 2*size)
	}
	return b, nil
}

// ChecksumError is a file whose content does not match the checksum
// given: nothing was written.
type ChecksumError struct {
	Algo      string
	Got, Want []byte
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s mismatch: got %x, want %x; the file was not written", e.Algo, e.Got, e.Want)
}

// verify compares what was hashed with what is wanted, in constant time
// (the expected sum is not secret, but this costs nothing).
func verify(got, want Sums) error {
	if want.SHA256 != nil && subtle.ConstantTimeCompare(got.SHA256, want.SHA256) != 1 {
		return &ChecksumError{"sha256", got.SHA256, want.SHA256}
	}
	if want.SHA512 != nil && subtle.ConstantTimeCompare(got.SHA512, want.SHA512) != 1 {
		return &ChecksumError{"sha512", got.SHA512, want.SHA512}
	}
	return nil
}

// hashFile hashes the file at path (SHA-256, and SHA-512 if asked).
func hashFile(ctx context.Context, path string, withSHA512 bool) (Sums, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return Sums{}, 0, err
	}
	defer f.Close()
	d := newDigests(withSHA512)
	n, err := d.hashFrom(ctx, f)
	return d.sums(), n, err
}

// matchesOnDisk reports whether dest is a regular file with the wanted
// checksums, so the download can be skipped without a request. It never
// trusts the size alone: the content is hashed.
func matchesOnDisk(ctx context.Context, dest string, want Sums) (Sums, int64, bool, error) {
	fi, err := os.Stat(dest)
	if err != nil || !fi.Mode().IsRegular() {
		return Sums{}, 0, false, nil
	}
	got, n, err := hashFile(ctx, dest, want.SHA512 != nil)
	if err != nil {
		return Sums{}, 0, false, err
	}
	return got, n, verify(got, want) == nil, nil
}

// sumsFile is a checksum file fetched once per run, for every job that
// names it.
type sumsFile struct {
	done  chan struct{}
	table sumsTable
	err   error
}

// wantSums returns the job's expected checksums: given, or looked up in its
// checksum file by the name in the URL.
func (f *Fetcher) wantSums(ctx context.Context, job Job, u *url.URL) (Sums, error) {
	if !job.Want.IsZero() || job.SumsURL == "" {
		return job.Want, nil
	}
	table, err := f.sumsFile(ctx, job.SumsURL)
	if err != nil {
		return Sums{}, err
	}
	s, err := table.lookup(path.Base(u.Path))
	if err != nil {
		return Sums{}, fmt.Errorf("checksum file %s %w", redact.URL(job.SumsURL), err)
	}
	return s, nil
}

func (f *Fetcher) sumsFile(ctx context.Context, rawURL string) (sumsTable, error) {
	f.sumsMu.Lock()
	s, ok := f.sums[rawURL]
	if !ok {
		s = &sumsFile{done: make(chan struct{})}
		f.sums[rawURL] = s
	}
	f.sumsMu.Unlock()
	if !ok {
		s.table, s.err = f.loadSums(ctx, rawURL)
		close(s.done)
	}
	select {
	case <-s.done:
		return s.table, s.err
	case <-ctx.Done():
		return sumsTable{}, context.Cause(ctx)
	}
}

func (f *Fetcher) loadSums(ctx context.Context, rawURL string) (sumsTable, error) {
	data, err := f.small(ctx, rawURL, maxChecksumFileBytes)
	if err != nil {
		return sumsTable{}, fmt.Errorf("checksum file %s: %w", redact.URL(rawURL), err)
	}
	table, err := parseSums(data)
	if err != nil {
		return sumsTable{}, fmt.Errorf("checksum file %s: %w", redact.URL(rawURL), err)
	}
	return table, nil
}

// readSmall reads at most limit bytes of r, failing if there are more.
func readSmall(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}
