package processtest

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

// The property: once a fetch or a render has run, running it again over
// the same inputs writes nothing at all — every file and directory of the
// destination keeps its inode, size, mtime and ctime (ctime cannot be set
// back, so any write, chmod, rename or link shows) — and downloads
// nothing. Real processes, as an init container restarted in a crash loop
// would run them.

// statusCounter counts a server's answers by status.
type statusCounter struct {
	mu    sync.Mutex
	codes map[int]int
}

func (s *statusCounter) count(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code]++
}

func (s *statusCounter) snapshot() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int]int{}
	for k, v := range s.codes {
		out[k] = v
	}
	return out
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func countingServer(t *testing.T, files map[string][]byte) (*httptest.Server, *statusCounter) {
	t.Helper()
	sc := &statusCounter{codes: map[int]int{}}
	serve := testfiles.Handler(files)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		serve(sw, r)
		sc.count(max(sw.code, 200))
	}))
	t.Cleanup(srv.Close)
	return srv, sc
}

// fileID is what any write to a file or directory changes.
type fileID struct {
	ino, size, nlink uint64
	mode             uint32
	mtime, ctime     syscall.Timespec
}

func (f fileID) String() string {
	return fmt.Sprintf("inode %d size %d links %d mode %o mtime %d.%09d ctime %d.%09d",
		f.ino, f.size, f.nlink, f.mode, f.mtime.Sec, f.mtime.Nsec, f.ctime.Sec, f.ctime.Nsec)
}

// snapshot records the identity of every entry under root, root included.
func snapshot(t *testing.T, root string) map[string]fileID {
	t.Helper()
	ids := map[string]fileID{}
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return err
		}
		ids[p] = fileID{ino: st.Ino, size: uint64(st.Size), nlink: uint64(st.Nlink), mode: st.Mode, mtime: st.Mtim, ctime: st.Ctim}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// watcher keeps the first and the last snapshot of each directory.
type watcher struct{ first, last map[string]map[string]fileID }

func watch(t *testing.T, dirs ...string) watcher {
	t.Helper()
	w := watcher{map[string]map[string]fileID{}, map[string]map[string]fileID{}}
	for _, d := range dirs {
		w.first[d] = snapshot(t, d)
		w.last[d] = w.first[d]
	}
	return w
}

// check counts the entries changed since the last check, and fails the
// test for the first few.
func (w watcher) check(t *testing.T, what string) int {
	t.Helper()
	n := 0
	for dir, before := range w.last {
		w.last[dir] = snapshot(t, dir)
		c := changes(before, w.last[dir])
		if n += len(c); len(c) > 0 && !t.Failed() {
			t.Errorf("%s wrote: %q", what, c)
		}
	}
	return n
}

// sinceFirst counts the entries changed since the first snapshot. A run
// that came within one tick of the coarse file clock after the check
// before it could write the same times; the first snapshot is older.
func (w watcher) sinceFirst(t *testing.T) int {
	t.Helper()
	n := 0
	for dir, first := range w.first {
		c := changes(first, snapshot(t, dir))
		if n += len(c); len(c) > 0 && !t.Failed() {
			t.Errorf("the re-runs wrote: %q", c)
		}
	}
	return n
}

// changes lists what differs between two snapshots.
func changes(before, after map[string]fileID) []string {
	var out []string
	for p, a := range after {
		b, ok := before[p]
		switch {
		case !ok:
			out = append(out, "new: "+p)
		case a != b:
			out = append(out, fmt.Sprintf("changed: %s: %v, was %v", p, a, b))
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, "gone: "+p)
		}
	}
	return out
}

// rerunSetup is the inputs of both commands: five files to fetch (two with
// a checksum, skipped without a request; two without, asked for with a
// conditional request; one file:// copy, hashed and compared with the
// manifest) and a tree of templates.
type rerunSetup struct {
	fetchDir, renderOut string
	fetch, render       []string
	counter             *statusCounter
	// An archive unpacked with --extract (no checksum: a conditional
	// request), beside the tree it makes and its manifest.
	extractDir     string
	extract        []string
	extractCounter *statusCounter
}

func newRerunSetup(t *testing.T) rerunSetup {
	t.Helper()
	root := t.TempDir()
	files := map[string][]byte{}
	var urls, sums []string
	for i := range 4 {
		name := fmt.Sprintf("/file%d.bin", i)
		files[name] = bytes.Repeat([]byte(name), 20_000+i)
		urls = append(urls, name)
		sum := "-"
		if i%2 == 0 {
			sum = testfiles.SHA256(files[name])
		}
		sums = append(sums, "--sha256", sum)
	}
	srv, counter := countingServer(t, files)
	s := rerunSetup{fetchDir: filepath.Join(root, "fetched"), renderOut: filepath.Join(root, "rendered"), counter: counter}
	local := filepath.Join(root, "local.bin")
	testfiles.Write(t, root, map[string]string{"local.bin": "a local copy, compared by its hash\n"})
	s.fetch = append([]string{"fetch", "--dir", s.fetchDir}, append(sums, "--sha256", "-")...)
	for _, u := range urls {
		s.fetch = append(s.fetch, srv.URL+u)
	}
	s.fetch = append(s.fetch, "file://"+local)
	in := filepath.Join(root, "templates")
	templates := map[string]string{}
	for i := range 60 {
		templates[fmt.Sprintf("d%d/f%02d.conf.tmpl", i%4, i)] = fmt.Sprintf("file %d\nvalue = {{ .Env.INITBOX_RERUN_VALUE }}\n", i)
	}
	testfiles.Write(t, in, templates)
	s.render = []string{"render", "--input-dir", in, "--output-dir", s.renderOut, "--trim-suffix", ".tmpl"}
	archive := testfiles.TarGz(t, map[string][]byte{"VERSION": []byte("1.2\n"), "bin/tool": []byte("#!/bin/sh\n")})
	asrv, acounter := countingServer(t, map[string][]byte{"/tool.tar.gz": archive})
	s.extractDir, s.extractCounter = filepath.Join(root, "extracted"), acounter
	s.extract = []string{"fetch", "--extract", "-o", filepath.Join(s.extractDir, "tool"), asrv.URL + "/tool.tar.gz"}
	return s
}

// runOK runs initbox as a process and returns its stderr; it must succeed.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "INITBOX_RERUN_VALUE=42")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("initbox %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stderr.String()
}

func TestRerunsWriteNothing(t *testing.T) {
	runs := envInt(t, "INITBOX_RERUNS", 100)
	s := newRerunSetup(t)
	runOK(t, s.fetch...)
	runOK(t, s.render...)
	runOK(t, s.extract...)
	if got := s.counter.snapshot(); got[200] != 4 || len(got) != 1 {
		t.Fatalf("first run: answers %v, want four 200s", got)
	}
	// Timestamps come from a coarse clock (a jiffy, up to 4 ms): let it
	// tick, so that a write in the next run cannot carry the same time.
	time.Sleep(20 * time.Millisecond)
	w := watch(t, s.fetchDir, s.renderOut, s.extractDir)
	writes := 0
	for i := 1; i < runs; i++ {
		fetchLog, renderLog := runOK(t, s.fetch...), runOK(t, s.render...)
		extractLog := runOK(t, s.extract...)
		if i == 1 {
			checkRerunLogs(t, fetchLog, renderLog)
			if !strings.Contains(extractLog, "msg=unchanged") {
				t.Errorf("fetch --extract re-run did not say unchanged:\n%s", extractLog)
			}
		}
		writes += w.check(t, fmt.Sprintf("re-run %d", i))
	}
	got := s.counter.snapshot()
	if want := map[int]int{200: 4, 304: 2 * (runs - 1)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("answers by status %v, want %v: each re-run asks only for the two files without a checksum, and gets 304", got, want)
	}
	if got, want := s.extractCounter.snapshot(), map[int]int{200: 1, 304: runs - 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("--extract: answers by status %v, want %v", got, want)
	}
	straceRerun(t, s.fetch, s.fetchDir)
	straceRerun(t, s.extract, s.extractDir)
	straceRerun(t, s.render, s.renderOut)
	writes += w.check(t, "the re-runs under strace")
	writes = max(writes, w.sinceFirst(t))
	t.Logf("reruns: fetch %d, fetch --extract %d, render %d, writes after first %d", runs, runs, runs, writes)
	t.Logf("reruns: answers by status %v", got)
}

// checkRerunLogs looks for what a re-run says it did.
func checkRerunLogs(t *testing.T, fetchLog, renderLog string) {
	t.Helper()
	if n, m := strings.Count(fetchLog, "msg=skipped"), strings.Count(fetchLog, "msg=unchanged"); n != 2 || m != 3 {
		t.Errorf("fetch re-run logged %d skipped and %d unchanged, want 2 and 3:\n%s", n, m, fetchLog)
	}
	if !strings.Contains(renderLog, "changed=0 unchanged=60") {
		t.Errorf("render re-run did not say it changed nothing:\n%s", renderLog)
	}
}

// straceRerun runs one more re-run of each command under strace, if it
// works here, as a second witness: no call may open a destination path
// for writing, or create, rename, link, remove or chmod one.
func straceRerun(t *testing.T, args []string, dests ...string) {
	t.Helper()
	if err := exec.Command("strace", "-o", "/dev/null", "true").Run(); err != nil {
		t.Logf("strace not usable (%v): mtimes and ctimes are the proof", err)
		return
	}
	out := filepath.Join(t.TempDir(), "strace.txt")
	cmd := exec.Command("strace", append([]string{"-f", "-qq", "-o", out, "-e", "trace=" + tracedCalls, binary}, args...)...)
	cmd.Env = append(os.Environ(), "INITBOX_RERUN_VALUE=42")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("under strace: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	bad := writeCalls(string(data), dests)
	if len(bad) > 0 {
		t.Errorf("a re-run under strace changed the destination:\n%s", strings.Join(bad, "\n"))
	}
	t.Logf("strace: %d calls traced, %d touch %v for writing", strings.Count(string(data), "\n"), len(bad), dests)
}

const tracedCalls = "open,openat,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat," +
	"unlink,unlinkat,mkdir,mkdirat,rmdir,chmod,fchmodat,truncate,utimensat"

// writeCalls returns the traced calls that name a path under one of dests
// and may change it: every call traced but a read-only open.
func writeCalls(trace string, dests []string) []string {
	var bad []string
	for _, line := range strings.Split(trace, "\n") {
		if !slices.ContainsFunc(dests, func(d string) bool { return strings.Contains(line, `"`+d) }) {
			continue
		}
		open := strings.Contains(line, "open(") || strings.Contains(line, "openat(")
		if !open || writeFlags.MatchString(line) {
			bad = append(bad, line)
		}
	}
	return bad
}

var writeFlags = regexp.MustCompile(`O_(WRONLY|RDWR|CREAT|TRUNC|APPEND)`)
