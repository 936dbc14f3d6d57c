package fetch

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

// member is one entry of a test archive.
type member struct {
	name   string
	typ    byte // tar type flag
	mode   int64
	body   string
	link   string
	zeroes int64 // a body of this many zero bytes instead
}

func tarBytes(t testing.TB, gz bool, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	var zw *gzip.Writer
	tw := tar.NewWriter(&buf)
	if gz {
		zw = gzip.NewWriter(&buf)
		tw = tar.NewWriter(zw)
	}
	for _, m := range members {
		hdr := &tar.Header{Name: m.name, Typeflag: m.typ, Mode: m.mode, Linkname: m.link, Size: int64(len(m.body)), Format: tar.FormatPAX}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if m.typ != tar.TypeReg {
			hdr.Size = 0
		}
		if m.zeroes > 0 {
			hdr.Size = m.zeroes
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(m.body))
		for left := m.zeroes; left > 0; left -= 1 << 20 {
			tw.Write(make([]byte, min(left, 1<<20)))
		}
	}
	tw.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

func zipBytes(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		mode := fs.FileMode(m.mode)
		if m.mode == 0 {
			mode = 0o644
		}
		body := m.body
		switch m.typ {
		case tar.TypeSymlink:
			mode |= fs.ModeSymlink
			body = m.link
		case tar.TypeDir:
			mode |= fs.ModeDir
		case tar.TypeChar:
			mode |= fs.ModeDevice | fs.ModeCharDevice
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	zw.Close()
	return buf.Bytes()
}

// extractEnv is a work directory with an old tree at dest, beside which
// archives are unpacked.
type extractEnv struct {
	top, work, dest string
}

func newExtractEnv(t *testing.T) extractEnv {
	top := t.TempDir()
	e := extractEnv{top: top, work: filepath.Join(top, "work"), dest: filepath.Join(top, "work", "tree")}
	testfiles.File(t, filepath.Join(e.dest, "old.txt"), []byte("old tree"))
	return e
}

// unpackFile serves the archive from a file and unpacks it into e.dest.
func (e extractEnv) unpackFile(t *testing.T, archive []byte, lim Limits) Result {
	t.Helper()
	src := filepath.Join(e.top, "archive")
	testfiles.File(t, src, archive)
	f, _ := newTestFetcher(t, Options{Extract: true, Limits: lim})
	return f.Fetch(t.Context(), Job{URL: "file://" + src, Dest: e.dest})
}

// assertUntouched checks that the old tree is intact and nothing was
// written outside it: the work directory holds the tree alone, and no
// file named evil exists anywhere.
func (e extractEnv) assertUntouched(t *testing.T) {
	t.Helper()
	assertContent(t, filepath.Join(e.dest, "old.txt"), []byte("old tree"))
	if ents, _ := os.ReadDir(e.work); len(ents) != 1 {
		var names []string
		for _, d := range ents {
			names = append(names, d.Name())
		}
		t.Errorf("%s holds %v, want only the tree", e.work, names)
	}
	filepath.WalkDir(e.top, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "evil") {
			t.Errorf("%s was written", p)
		}
		return nil
	})
}

func TestExtractRejectsUnsafeArchives(t *testing.T) {
	reg, dir, sym, link := byte(tar.TypeReg), byte(tar.TypeDir), byte(tar.TypeSymlink), byte(tar.TypeLink)
	absolute := filepath.Join(t.TempDir(), "abs-evil")
	tests := []struct {
		name    string
		archive func(t *testing.T) []byte
		lim     Limits
		want    string
	}{
		{"dot-dot", func(t *testing.T) []byte { return tarBytes(t, false, member{name: "../evil", typ: reg, body: "x"}) }, Limits{}, `".."`},
		{"dot-dot inside", func(t *testing.T) []byte { return tarBytes(t, true, member{name: "a/../../evil", typ: reg}) }, Limits{}, `".."`},
		{"absolute path", func(t *testing.T) []byte { return tarBytes(t, false, member{name: absolute, typ: reg, body: "x"}) }, Limits{}, "absolute"},
		{"symlink escaping", func(t *testing.T) []byte {
			return tarBytes(t, false, member{name: "evil-link", typ: sym, link: "../../etc"})
		}, Limits{}, "outside"},
		{"absolute symlink", func(t *testing.T) []byte {
			return tarBytes(t, false, member{name: "evil-link", typ: sym, link: "/etc"})
		}, Limits{}, "outside"},
		{"symlink through a symlink", func(t *testing.T) []byte {
			return tarBytes(t, false, member{name: "here", typ: sym, link: "."}, member{name: "evil-link", typ: sym, link: "here/../x"})
		}, Limits{}, "outside"},
		{"symlink made escaping by a later one", func(t *testing.T) []byte {
			return tarBytes(t, false, member{name: "evil-link", typ: sym, link: "here/../x"}, member{name: "here", typ: sym, link: "."})
		}, Limits{}, "through other links"},
		{"write through a symlink", func(t *testing.T) []byte {
			return tarBytes(t, false, member{name: "sub", typ: dir}, member{name: "d", typ: sym, link: "sub"}, member{name: "d/evil", typ: reg})
		}, Limits{}, "goes through the symlink d"},
		{"hard link outside", func(t *testing.T) []byte {
			return tarBytes(t, false, member{name: "evil", typ: link, link: "/etc/passwd"})
		}, Limits{}, "hard link"},
		{"device file", func(t *testing.T) []byte { return tarBytes(t, false, member{name: "evil-dev", typ: tar.TypeChar}) }, Limits{}, "device"},
		{"fifo", func(t *testing.T) []byte { return tarBytes(t, false, member{name: "evil-fifo", typ: tar.TypeFifo}) }, Limits{}, "FIFO"},
		{"setuid", func(t *testing.T) []byte {
			return tarBytes(t, false, member{name: "evil-suid", typ: reg, mode: 0o4755, body: "x"})
		}, Limits{}, "setuid"},
		{"decompression bomb", func(t *testing.T) []byte {
			return tarBytes(t, true, member{name: "evil-bomb", typ: reg, zeroes: 64 << 20})
		}, Limits{MaxBytes: 1 << 20}, "more than 1048576 bytes"},
		{"too many files", func(t *testing.T) []byte {
			var ms []member
			for _, n := range []string{"a", "b", "c", "d"} {
				ms = append(ms, member{name: "evil-" + n, typ: reg})
			}
			return tarBytes(t, false, ms...)
		}, Limits{MaxFiles: 3}, "more than 3 entries"},
		{"directories not listed", func(t *testing.T) []byte { // found by FuzzExtract
			return tarBytes(t, false, member{name: "a/b/c/d/e/f/evil", typ: reg})
		}, Limits{MaxFiles: 5}, "more than 5 entries, counting the directories"},
		{"zip with too many files", func(t *testing.T) []byte {
			return zipBytes(t, member{name: "evil-a"}, member{name: "evil-b"}, member{name: "evil-c"})
		}, Limits{MaxFiles: 2}, "3 entries, more than 2"},
		{"zip dot-dot", func(t *testing.T) []byte { return zipBytes(t, member{name: "../evil", body: "x"}) }, Limits{}, `".."`},
		{"zip symlink escaping", func(t *testing.T) []byte {
			return zipBytes(t, member{name: "evil-link", typ: sym, link: "../../etc"})
		}, Limits{}, "outside"},
		{"zip bomb", func(t *testing.T) []byte {
			return zipBytes(t, member{name: "evil-bomb", body: string(make([]byte, 4<<20))})
		}, Limits{MaxBytes: 1 << 20}, "more than"},
		{"not an archive", func(t *testing.T) []byte { return []byte("<html>not found</html>") }, Limits{}, "not a .tar"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newExtractEnv(t)
			res := e.unpackFile(t, tt.archive(t), tt.lim)
			var ae *ArchiveError
			if !errors.As(res.Err, &ae) || !strings.Contains(res.Err.Error(), tt.want) {
				t.Fatalf("got %v, want an archive error about %q", res.Err, tt.want)
			}
			e.assertUntouched(t)
			if _, err := os.Lstat(absolute); err == nil {
				t.Errorf("%s was written", absolute)
			}
		})
	}
}

func TestExtractReplacesTree(t *testing.T) {
	archive := tarBytes(t, true,
		member{name: "./", typ: tar.TypeDir, mode: 0o755},
		member{name: "bin/", typ: tar.TypeDir, mode: 0o755},
		member{name: "bin/tool", typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\n"},
		member{name: "share/doc/README", typ: tar.TypeReg, body: "read me"},
		member{name: "share/README", typ: tar.TypeSymlink, link: "doc/README"},
		member{name: "bin/tool2", typ: tar.TypeLink, link: "bin/tool"},
	)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request, _ int) { serve(w, r, archive, `"a1"`) })
	e := newExtractEnv(t)
	f, _ := newTestFetcher(t, Options{Extract: true})
	job := Job{URL: srv.URL + "/tool-1.2.tar.gz", Dest: e.dest, Want: Sums{SHA256: sha(archive)}}
	if res := f.Fetch(t.Context(), job); res.Err != nil {
		t.Fatal(res.Err)
	}
	assertContent(t, filepath.Join(e.dest, "share", "README"), []byte("read me"))
	assertContent(t, filepath.Join(e.dest, "bin", "tool2"), []byte("#!/bin/sh\n"))
	if fi, err := os.Stat(filepath.Join(e.dest, "bin", "tool")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("bin/tool: %v, mode %v; want 0755", err, fi.Mode())
	}
	if _, err := os.Stat(filepath.Join(e.dest, "old.txt")); err == nil {
		t.Error("the old tree's file is still there")
	}
	if ents, _ := os.ReadDir(e.work); len(ents) != 1 { // the manifest is the tree's xattr
		t.Errorf("%s holds %d entries, want only the tree", e.work, len(ents))
	}

	res := f.Fetch(t.Context(), job)
	if res.Err != nil || res.Status != Skipped || srv.requests() != 1 {
		t.Errorf("re-run: %v, %s, %d requests; want skipped with no request", res.Err, res.Status, srv.requests())
	}
	job.Want = Sums{}
	if res := f.Fetch(t.Context(), job); res.Err != nil || res.Status != Unchanged {
		t.Errorf("re-run without checksum: %v, %s; want unchanged (304)", res.Err, res.Status)
	}
}

func TestExtractZipAndGzip(t *testing.T) {
	e := newExtractEnv(t)
	archive := zipBytes(t, member{name: "dir/", typ: tar.TypeDir}, member{name: "dir/a.txt", body: "zipped"}, member{name: "run.sh", mode: 0o700, body: "echo"})
	if res := e.unpackFile(t, archive, Limits{}); res.Err != nil {
		t.Fatal(res.Err)
	}
	assertContent(t, filepath.Join(e.dest, "dir", "a.txt"), []byte("zipped"))
	if fi, _ := os.Stat(filepath.Join(e.dest, "run.sh")); fi.Mode().Perm() != 0o700 {
		t.Errorf("run.sh mode %v, want 0700", fi.Mode().Perm())
	}

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("just one file"))
	zw.Close()
	src := filepath.Join(e.top, "notes.txt.gz")
	testfiles.File(t, src, gz.Bytes())
	f, _ := newTestFetcher(t, Options{Extract: true})
	res := f.Fetch(t.Context(), Job{URL: "file://" + src, Dir: e.work})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	assertContent(t, filepath.Join(e.work, "notes.txt"), []byte("just one file"))
	assertNoTemp(t, e.work, false)
}

func TestZipEntriesReadsZip64Count(t *testing.T) {
	for _, count := range []int{3, 70_000} { // 70,000 needs the zip64 end record
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range count {
			zw.CreateHeader(&zip.FileHeader{Name: strconv.Itoa(i), Method: zip.Store})
		}
		zw.SetComment("a comment, to be skipped")
		zw.Close()
		n, ok := zipEntries(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if !ok || n != uint64(count) {
			t.Errorf("zipEntries = %d, %v; want %d, true", n, ok, count)
		}
	}
	if _, ok := zipEntries(bytes.NewReader([]byte("not a zip")), 9); ok {
		t.Error("zipEntries found entries in a non-zip")
	}
}
