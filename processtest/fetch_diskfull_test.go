//go:build linux

package processtest

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/filestate"
	"github.com/initbox/initbox/internal/testutil/testfiles"
	"github.com/initbox/initbox/internal/testutil/testfs"
)

// TestFetchDiskFull fetches a file larger than the space left: the old
// file must stay, the partial download must go (keeping it keeps the disk
// full), and once space is freed a re-run must succeed.
func TestFetchDiskFull(t *testing.T) {
	body := make([]byte, 512<<10)
	rand.Read(body)
	srv := testfiles.Server(t, map[string][]byte{"/model.bin": body}) // with an ETag: resumable
	dir := testfs.SmallTmpfs(t, 1<<20)
	dest := filepath.Join(dir, "model.bin")
	old := []byte("the old model\n")
	testfiles.File(t, dest, old)
	filler := fillDisk(t, dir, 768<<10)

	args := []string{"fetch", "--timeout", "30s", "--sha256", testfiles.SHA256(body), "-o", dest, srv.URL + "/model.bin"}
	assertDiskFull(t, dest, args)
	assertFileIs(t, dest, old)
	assertNames(t, dir, "filler", "model.bin")

	os.Remove(filler)
	if code, _, _, stderr := runInitbox(t, args...); code != cli.ExitOK {
		t.Fatalf("after freeing space: exit %d:\n%s", code, stderr)
	}
	assertFileIs(t, dest, body)
}

// TestFetchExtractDiskFull unpacks a small archive that expands beyond the
// space left: the old tree must stay and no staging directory remain.
func TestFetchExtractDiskFull(t *testing.T) {
	big := bytes.Repeat([]byte{0}, 3<<19) // 1.5 MiB that gzip shrinks to a few KiB
	archive := testfiles.TarGz(t, map[string][]byte{"VERSION": []byte("2.0\n"), "lib/big.bin": big})
	srv := testfiles.Server(t, map[string][]byte{"/tool.tar.gz": archive})
	dir := testfs.SmallTmpfs(t, 3<<20)
	dest := filepath.Join(dir, "tool")
	testfiles.File(t, filepath.Join(dest, "VERSION"), []byte("1.0\n"))
	filler := fillDisk(t, dir, 2<<20)

	args := []string{"fetch", "--timeout", "30s", "--extract", "-o", dest, srv.URL + "/tool.tar.gz"}
	assertDiskFull(t, dest, args)
	assertFileIs(t, filepath.Join(dest, "VERSION"), []byte("1.0\n"))
	assertNames(t, dir, "filler", "tool")
	assertNames(t, dest, "VERSION")

	os.Remove(filler)
	if code, _, _, stderr := runInitbox(t, args...); code != cli.ExitOK {
		t.Fatalf("after freeing space: exit %d:\n%s", code, stderr)
	}
	assertFileIs(t, filepath.Join(dest, "VERSION"), []byte("2.0\n"))
	assertFileIs(t, filepath.Join(dest, "lib", "big.bin"), big)
}

// assertDiskFull runs fetch and wants exit 1 at once (a full disk is not
// retried) with a message that names the cause and the destination.
func assertDiskFull(t *testing.T, dest string, args []string) {
	t.Helper()
	code, _, _, stderr := runInitbox(t, args...)
	want := regexp.MustCompile(`msg=failed .*no space left on device.* file=` + regexp.QuoteMeta(dest))
	if code != cli.ExitFailed || !want.MatchString(stderr) {
		t.Errorf("exit %d, want %d with %q in:\n%s", code, cli.ExitFailed, want, stderr)
	}
}

// fillDisk writes a file of n bytes into dir, to leave less space free.
func fillDisk(t *testing.T, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	testfiles.File(t, path, make([]byte, n))
	return path
}

// assertNames checks that dir holds exactly the names given: no partial
// download, temporary file or staging directory.
func assertNames(t *testing.T, dir string, want ...string) {
	t.Helper()
	if got := filestate.Names(t, dir); !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}
