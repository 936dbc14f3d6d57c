package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestCommitReplacesAndAbortKeeps(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(dest, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	f, err := Create(dest, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half")
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	assertFile(t, dest, "old", 0o644)
	assertOnly(t, dir, "config.yaml")

	if err := WriteFile(dest, []byte("new"), 0o640); err != nil {
		t.Fatal(err)
	}
	assertFile(t, dest, "new", 0o640)
	assertOnly(t, dir, "config.yaml")
}

func TestCommitIntoMissingDirFails(t *testing.T) {
	_, err := Create(filepath.Join(t.TempDir(), "no", "such", "dir", "f"), 0o644)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want not exist", err)
	}
}

func assertFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || string(got) != content {
		t.Fatalf("%s holds %q (%v), want %q", path, got, err, content)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != mode {
		t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), mode)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(names) {
		var got []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		t.Fatalf("%s holds %v, want only %v (no temp files)", dir, got, names)
	}
}

func TestPrepareThenCommit(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "app.conf")
	f, err := Create(dest, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.NoDirSync = true
	f.WriteString("prepared")
	if err := f.Prepare(); err != nil {
		t.Fatal(err)
	}
	// Prepared: complete, closed and with its mode, but not in place yet.
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists before Commit: %v", dest, err)
	}
	assertFile(t, f.Name(), "prepared", 0o600)
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	assertFile(t, dest, "prepared", 0o600)
	assertOnly(t, dir, "app.conf")
}

func TestAbortAfterPrepareRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "x"), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Prepare(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, dir)
}

func TestOpenAtResumesAndKeeps(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "model.bin")
	tmp := filepath.Join(dir, ".model.bin.partial")

	f, err := OpenAt(tmp, dest, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("first ")
	if err := f.Keep(); err != nil {
		t.Fatal(err)
	}
	if err := f.Abort(); err != nil {
		t.Fatalf("Abort after Keep: %v, want a no-op", err)
	}
	assertFile(t, tmp, "first ", 0o600)

	f, err = OpenAt(tmp, dest, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekEnd)
	f.WriteString("second")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	assertFile(t, dest, "first second", 0o644)
	assertOnly(t, dir, "model.bin")

	if _, err := OpenAt(filepath.Join(t.TempDir(), "x"), dest, 0o644); err == nil {
		t.Error("OpenAt accepted a temporary file in another directory")
	}
}
