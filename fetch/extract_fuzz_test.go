package fetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

// fuzzLimits are small, so that a fuzzed bomb costs little.
var fuzzLimits = Limits{MaxBytes: 64 << 10, MaxFiles: 32}

// FuzzExtract unpacks mutated archives (tar, tar.gz, zip, gz; valid and
// malicious seeds built below, regressions in testdata/fuzz/FuzzExtract)
// into a directory four levels below the test's own, then checks that
// nothing was created anywhere else, that no staging directory is left,
// that no symlink or hard link in the result leads outside it, and that
// the result keeps within fuzzLimits.
func FuzzExtract(f *testing.F) {
	for _, seed := range extractSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, archive []byte) {
		top := t.TempDir()
		work := filepath.Join(top, "a", "b", "c", "work")
		dest := filepath.Join(work, "tree")
		// Odd lengths unpack over an old tree, so the swap is exercised.
		old := len(archive)%2 == 1
		if old {
			testfiles.File(t, filepath.Join(dest, "old.txt"), []byte("old tree"))
		} else if err := os.MkdirAll(work, 0o755); err != nil {
			t.Fatal(err)
		}
		src := filepath.Join(top, "archive")
		testfiles.File(t, src, archive)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := unpack(ctx, src, dest, 0o644, fuzzLimits)
		assertOnlyDest(t, top, src, dest)
		switch {
		case err != nil && old:
			assertContent(t, filepath.Join(dest, "old.txt"), []byte("old tree"))
		case err != nil:
			if _, statErr := os.Lstat(dest); statErr == nil {
				t.Errorf("failed (%v) but left %s", err, dest)
			}
		default:
			assertWithinLimits(t, dest, fuzzLimits)
		}
	})
}

// assertOnlyDest fails for anything under top but the archive, dest's
// parents and dest's own tree: files written through "..", staging
// directories left behind.
func assertOnlyDest(t *testing.T, top, src, dest string) {
	t.Helper()
	filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			t.Errorf("walking %s: %v", p, err)
		case p == dest && d.IsDir():
			return fs.SkipDir // its tree is checked on its own
		case p == dest:
		case p == src || (d.IsDir() && strings.HasPrefix(dest, p+"/")):
		default:
			t.Errorf("%s was created outside %s", p, dest)
		}
		return nil
	})
}

// assertWithinLimits walks a successful result: only files, directories
// and symlinks, none setuid, symlinks that resolve inside, files whose
// links are all inside, and no more bytes and entries than lim allows.
func assertWithinLimits(t *testing.T, dest string, lim Limits) {
	t.Helper()
	var entries int
	var size int64
	links := map[uint64]int{}  // inode -> paths found in the tree
	nlinks := map[uint64]int{} // inode -> its link count
	filepath.WalkDir(dest, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatalf("walking %s: %v", p, err)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dest, p)
		if rel != "." {
			entries++
		}
		mode := fi.Mode()
		switch {
		case mode&(fs.ModeSetuid|fs.ModeSetgid) != 0:
			t.Errorf("%s is setuid or setgid: %v", rel, mode)
		case mode&fs.ModeSymlink != 0:
			if !resolvesInside(dest, rel) {
				target, _ := os.Readlink(p)
				t.Errorf("symlink %s -> %s leads outside the tree", rel, target)
			}
		case mode.IsRegular():
			st := fi.Sys().(*syscall.Stat_t)
			if links[st.Ino]++; links[st.Ino] == 1 {
				size += fi.Size()
			}
			nlinks[st.Ino] = int(st.Nlink)
		case !mode.IsDir():
			t.Errorf("%s is neither file, directory nor symlink: %v", rel, mode)
		}
		return nil
	})
	for ino, n := range links {
		if n != nlinks[ino] {
			t.Errorf("inode %d has %d links, %d of them in the tree: a hard link leads outside", ino, nlinks[ino], n)
		}
	}
	if size > lim.MaxBytes || entries > lim.MaxFiles {
		t.Errorf("%d bytes in %d entries, over the limits of %d bytes and %d entries", size, entries, lim.MaxBytes, lim.MaxFiles)
	}
}

// resolvesInside follows the symlink at rel, and every symlink its target
// passes through, as the kernel would, and reports whether the path stays
// inside root. More than 40 links count as leaving (ELOOP).
func resolvesInside(root, rel string) bool {
	cur := strings.Split(path.Dir(filepath.ToSlash(rel)), "/")
	if cur[0] == "." {
		cur = nil
	}
	todo := []string{path.Base(filepath.ToSlash(rel))}
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return false
			}
			cur = cur[:len(cur)-1]
			continue
		}
		p := filepath.Join(append([]string{root}, append(cur, c)...)...)
		target, err := os.Readlink(p)
		if err != nil { // not a symlink, or missing: a plain step
			cur = append(cur, c)
			continue
		}
		if hops++; hops > 40 || strings.HasPrefix(target, "/") {
			return false
		}
		todo = append(strings.Split(target, "/"), todo...)
	}
	return true
}

// extractSeeds are small archives of every format, valid and malicious.
func extractSeeds(tb testing.TB) [][]byte {
	reg, dir, sym, link := byte(tar.TypeReg), byte(tar.TypeDir), byte(tar.TypeSymlink), byte(tar.TypeLink)
	valid := []member{
		{name: "./", typ: dir, mode: 0o755},
		{name: "bin/", typ: dir, mode: 0o755},
		{name: "bin/tool", typ: reg, mode: 0o755, body: "#!/bin/sh\n"},
		{name: "share/doc/README", typ: reg, body: "read me"},
		{name: "share/README", typ: sym, link: "doc/README"},
		{name: "bin/tool2", typ: link, link: "bin/tool"},
	}
	seeds := [][]byte{
		tarBytes(tb, false, valid...),
		tarBytes(tb, true, valid...),
		zipBytes(tb, member{name: "dir/", typ: dir}, member{name: "dir/a.txt", body: "zipped"},
			member{name: "run.sh", mode: 0o700, body: "echo"}, member{name: "l", typ: sym, link: "dir/a.txt"}),
		gzipBytes(tb, []byte("just one file")),
		gzipBytes(tb, make([]byte, 1<<20)),
		tarBytes(tb, true, member{name: "bomb", typ: reg, zeroes: 1 << 20}),
		tarBytes(tb, false, member{name: "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/0/1/2/3/4/5/6/7/8/9/f", typ: reg}),
		hugeTar(tb),
	}
	var many []member
	for _, c := range "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP" {
		many = append(many, member{name: string(c), typ: reg})
	}
	seeds = append(seeds, tarBytes(tb, false, many...))
	for _, ms := range [][]member{
		{{name: "../evil", typ: reg, body: "x"}},
		{{name: "a/../../evil", typ: reg}},
		{{name: "/tmp/evil-absolute", typ: reg, body: "x"}},
		{{name: "evil", typ: sym, link: "../../../../../.."}, {name: "evil/escaped", typ: reg, body: "x"}},
		{{name: "here", typ: sym, link: "."}, {name: "evil", typ: sym, link: "here/../x"}},
		{{name: "evil", typ: sym, link: "here/../x"}, {name: "here", typ: sym, link: "."}},
		{{name: "sub", typ: dir}, {name: "d", typ: sym, link: "sub"}, {name: "d/evil", typ: reg}},
		{{name: "f", typ: reg, body: "x"}, {name: "f", typ: sym, link: "/etc/passwd"}, {name: "f", typ: reg, body: "y"}},
		{{name: "l", typ: sym, link: "."}, {name: "l", typ: reg, body: "replaces the link"}},
		{{name: "evil", typ: link, link: "/etc/passwd"}},
		{{name: "evil", typ: link, link: "../archive"}},
		{{name: "evil-dev", typ: tar.TypeChar}},
		{{name: "evil-blk", typ: tar.TypeBlock}},
		{{name: "evil-fifo", typ: tar.TypeFifo}},
		{{name: "evil-suid", typ: reg, mode: 0o4755, body: "x"}},
		{{name: "evil-sgid", typ: dir, mode: 0o2755}},
		{{name: strings.Repeat("long/", 30) + "name", typ: reg, body: "pax path"}},
	} {
		seeds = append(seeds, tarBytes(tb, false, ms...), zipBytes(tb, ms...))
	}
	return seeds
}

func gzipBytes(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// hugeTar declares a 1 TiB file and ends after its header.
func hugeTar(tb testing.TB) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "huge", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 40}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
