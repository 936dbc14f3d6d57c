// Package filestate records what a write to a file changes, so that a test
// can tell that a re-run, or a run that failed, left the file as it was.
package filestate

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// State is what a write to a file changes: its inode (a rename into
// place), its mtime (a rewrite in place) and its bytes.
type State struct {
	Ino   uint64
	Mtime time.Time
	Data  string
}

// Of reads path's state now.
func Of(t testing.TB, path string) State {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return State{fi.Sys().(*syscall.Stat_t).Ino, fi.ModTime(), string(b)}
}

// Names lists the names in dir, sorted; a temp file left behind shows here.
func Names(t testing.TB, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}
