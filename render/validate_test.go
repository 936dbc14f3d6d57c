package render

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"nginx -t -c {}", []string{"nginx", "-t", "-c", "{}"}},
		{`  sh -c 'test -s "$1"' sh {} `, []string{"sh", "-c", `test -s "$1"`, "sh", "{}"}},
		{`a "b c" d\ e "x\"y" ''`, []string{"a", "b c", "d e", `x"y`, ""}},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "   ", `a "b`, "a 'b"} {
		if _, err := SplitCommand(bad); err == nil {
			t.Errorf("SplitCommand(%q): no error", bad)
		}
	}
}

func TestRunCommand(t *testing.T) {
	out, err := runCommand(t.Context(), []string{"sh", "-c", "echo out; echo err >&2; exit 3"})
	if err == nil || err.Error() != "exit status 3" || out != "out\nerr\n" {
		t.Errorf("got %q, %v; want both streams and exit status 3", out, err)
	}
	if _, err := runCommand(t.Context(), []string{"no-such-command-here"}); err == nil {
		t.Error("a missing command ran")
	}
	// A background child that keeps the output pipe open must not hold
	// us up, nor must a command that outlives the context.
	start := time.Now()
	pidFile := filepath.Join(t.TempDir(), "pid")
	if _, err := runCommand(t.Context(), []string{"sh", "-c", `sleep 30 & echo $! > "$1"`, "sh", pidFile}); err != nil {
		t.Errorf("got %v", err)
	}
	if b, err := os.ReadFile(pidFile); err == nil { // leave nothing running
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := runCommand(ctx, []string{"sleep", "30"}); err == nil {
		t.Error("a killed command succeeded")
	}
	if d := time.Since(start); d > 10*time.Second { // a hang check, not a speed test
		t.Errorf("took %v: waited for the background child or the killed command", d)
	}
}
