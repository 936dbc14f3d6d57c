//go:build unix

package render

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FIFO with no writer must not hang --data in open(2), where neither the
// deadline nor SIGTERM could stop it: it is refused as not a regular file.
func TestLoadDataRefusesAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "values.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := LoadData(fifo)
		done <- err
	}()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("LoadData(fifo) = %v, want a not-a-regular-file error", err)
	}
}
