package render

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

// fileID is what must not change when a file is not rewritten.
type fileID struct {
	ino   uint64
	mtime time.Time
	mode  os.FileMode
}

func statID(t *testing.T, path string) fileID {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fileID{fi.Sys().(*syscall.Stat_t).Ino, fi.ModTime(), fi.Mode().Perm()}
}

func apply(t *testing.T, outs []Output, o WriteOptions) (Result, error) {
	t.Helper()
	return Apply(t.Context(), outs, o)
}

func out(dest, data string) Output {
	return Output{Job: Job{Dest: dest}, Data: []byte(data)}
}

func TestRerunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.conf"), filepath.Join(dir, "sub", "b.conf")
	outs := []Output{out(a, "alpha\n"), out(b, "beta\n")}
	res, err := apply(t, outs, WriteOptions{})
	if err != nil || len(res.Changed) != 2 {
		t.Fatalf("first run: %+v, %v", res, err)
	}
	before := []fileID{statID(t, a), statID(t, b)}
	time.Sleep(10 * time.Millisecond) // so a rewrite would show in the mtime
	res, err = apply(t, outs, WriteOptions{})
	if err != nil || len(res.Changed) != 0 || len(res.Unchanged) != 2 {
		t.Fatalf("second run: %+v, %v; want 2 unchanged", res, err)
	}
	if after := []fileID{statID(t, a), statID(t, b)}; after[0] != before[0] || after[1] != before[1] {
		t.Errorf("unchanged files were touched: before %+v, after %+v", before, after)
	}
}

func TestChangeReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.conf")
	os.WriteFile(dest, []byte("old content\n"), 0o640)
	before := statID(t, dest)
	old, err := os.Open(dest) // a reader in the middle of reading the old file
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()

	if _, err := apply(t, []Output{out(dest, "new\n")}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	after := statID(t, dest)
	if after.ino == before.ino {
		t.Error("the file was rewritten in place (same inode), not replaced")
	}
	if after.mode != 0o640 {
		t.Errorf("mode %v, want the existing file's 0640 kept", after.mode)
	}
	if got, _ := io.ReadAll(old); string(got) != "old content\n" {
		t.Errorf("the old file now holds %q: it was truncated", got)
	}
	if got := testfiles.Read(t, dest); got != "new\n" {
		t.Errorf("got %q", got)
	}
	assertNoTemps(t, dir)
}

func TestModes(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh")
	old := syscall.Umask(0o077) // a umask must not decide the mode
	defer syscall.Umask(old)
	if _, err := apply(t, []Output{out(fresh, "x")}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := statID(t, fresh).mode; got != DefaultMode {
		t.Errorf("new file mode %v, want %v", got, DefaultMode)
	}
	// Same bytes, other mode: replaced, with the new mode.
	before := statID(t, fresh)
	res, err := apply(t, []Output{out(fresh, "x")}, WriteOptions{Mode: 0o600})
	if err != nil || len(res.Changed) != 1 {
		t.Fatalf("%+v, %v: want the mode change to count", res, err)
	}
	if after := statID(t, fresh); after.mode != 0o600 || after.ino == before.ino {
		t.Errorf("got %+v, want mode 0600 on a new inode", after)
	}
}

func TestFailingValidationKeepsEveryOldFile(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.conf"), filepath.Join(dir, "bad.conf")
	os.WriteFile(good, []byte("old good\n"), 0o644)
	os.WriteFile(bad, []byte("old bad\n"), 0o644)
	before := []fileID{statID(t, good), statID(t, bad)}
	outs := []Output{out(good, "valid\n"), out(bad, "broken\n")}
	validate := []string{"sh", "-c", `grep -q valid "$1" || { echo "syntax error in line 1"; exit 3; }`, "sh", "{}"}

	_, err := apply(t, outs, WriteOptions{Validate: validate})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("got %v, want a *ValidationError", err)
	}
	if ve.Dest != bad || !strings.Contains(err.Error(), "syntax error in line 1") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("the error does not name the file, the output and the status: %v", err)
	}
	if got := testfiles.Read(t, good) + testfiles.Read(t, bad); got != "old good\nold bad\n" {
		t.Errorf("files hold %q: a failed validation must replace none", got)
	}
	if after := []fileID{statID(t, good), statID(t, bad)}; after[0] != before[0] || after[1] != before[1] {
		t.Errorf("files were touched: %+v, %+v", before, after)
	}
	assertNoTemps(t, dir)
}

func TestValidationSeesTheNewContentBesideTheDestination(t *testing.T) {
	for _, validate := range [][]string{
		{"sh", "-c", `cat "$2" > "$1"; dirname "$2" >> "$1"`, "sh", "SEEN", "{}"},
		{"sh", "-c", `cat "$2" > "$1"; dirname "$2" >> "$1"`, "sh", "SEEN"}, // {} appended
	} {
		dir := t.TempDir()
		dest := filepath.Join(dir, "nginx.conf")
		seen := filepath.Join(t.TempDir(), "seen")
		validate[4] = seen
		if _, err := apply(t, []Output{out(dest, "events {}\n")}, WriteOptions{Validate: validate}); err != nil {
			t.Fatal(err)
		}
		if got, want := testfiles.Read(t, seen), "events {}\n"+dir+"\n"; got != want {
			t.Errorf("%q: the validator saw %q, want %q", validate, got, want)
		}
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	dir := t.TempDir()
	same, changed := filepath.Join(dir, "same"), filepath.Join(dir, "changed")
	added := filepath.Join(dir, "newdir", "added")
	os.WriteFile(same, []byte("same\n"), 0o644)
	os.WriteFile(changed, []byte("a\nb\n"), 0o644)
	before := []fileID{statID(t, same), statID(t, changed)}
	outs := []Output{out(same, "same\n"), out(changed, "a\nB\n"), out(added, "new\n")}
	for _, o := range []WriteOptions{{DryRun: true}, {DryRun: true, Diff: &bytes.Buffer{}, Mode: 0o600}} {
		res, err := apply(t, outs, o)
		if err != nil {
			t.Fatal(err)
		}
		wantChanged := 2
		if o.Mode != 0 {
			wantChanged = 3
		}
		if len(res.Changed) != wantChanged {
			t.Errorf("%+v: changed %v, want %d", o, res.Changed, wantChanged)
		}
	}
	if after := []fileID{statID(t, same), statID(t, changed)}; after[0] != before[0] || after[1] != before[1] {
		t.Errorf("a dry run touched files: %+v, %+v", before, after)
	}
	if _, err := os.Stat(filepath.Dir(added)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dry run created %s", filepath.Dir(added))
	}
	var diff bytes.Buffer
	apply(t, outs, WriteOptions{DryRun: true, Diff: &diff})
	want := "--- " + changed + "\n+++ " + changed + "\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n" +
		"--- /dev/null\n+++ " + added + "\n@@ -0,0 +1 @@\n+new\n"
	if diff.String() != want {
		t.Errorf("diff:\n%s\nwant:\n%s", diff.String(), want)
	}
}

func TestOutputThatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	_, err := apply(t, []Output{out(dir, "x")}, WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("got %v", err)
	}
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(d.Name(), ".initbox-tmp") {
			t.Errorf("temp file left behind: %s", p)
		}
		return nil
	})
}
