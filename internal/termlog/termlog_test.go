package termlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFit(t *testing.T) {
	tests := []struct {
		name, msg string
		n         int
		want      string
	}{
		{"short", "all 2 targets ready\n", 4096, "all 2 targets ready\n"},
		{"exact", "abcd", 4, "abcd"},
		{"cut mid-character", "ab€€x", 8, "ab€…"},
		{"cut inside the first character", "ab€€", 7, "ab…"},
		{"whole lines", "line one\nline two\nline three\n", 24, "line one\nline two\n…"},
		{"one long line", strings.Repeat("x", 20), 10, "xxxxxxx…"},
		{"invalid UTF-8", "a\xffb", 10, "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fit(tt.msg, tt.n)
			if got != tt.want {
				t.Errorf("Fit(%q, %d) = %q, want %q", tt.msg, tt.n, got, tt.want)
			}
			if len(got) > tt.n || !utf8.ValidString(got) {
				t.Errorf("Fit(%q, %d) = %q: %d bytes, valid UTF-8 %v", tt.msg, tt.n, got, len(got), utf8.ValidString(got))
			}
		})
	}
}

func FuzzFit(f *testing.F) {
	f.Add("ab€€\nü", 5)
	f.Fuzz(func(t *testing.T, msg string, n int) {
		if n < 4 || n > 1<<16 {
			return
		}
		got := Fit(msg, n)
		if len(got) > n || !utf8.ValidString(got) {
			t.Fatalf("Fit(%q, %d) = %q", msg, n, got)
		}
		if utf8.ValidString(msg) && len(msg) <= n && got != msg {
			t.Fatalf("Fit(%q, %d) = %q, want it unchanged", msg, n, got)
		}
	})
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "termination-log")
	// The default path: nothing there, nothing written, no error.
	if err := Write(path, "x", true); err != nil {
		t.Fatalf("onlyIfThere, no file: %v", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("onlyIfThere created the file: %v", err)
	}
	// An explicit path is created, and replaced on the next write.
	if err := Write(path, strings.Repeat("é", 3000), false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); len(b) > MaxBytes || !utf8.Valid(b) {
		t.Errorf("wrote %d bytes, valid UTF-8 %v", len(b), utf8.Valid(b))
	}
	if err := Write(path, "done\n", true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); string(b) != "done\n" {
		t.Errorf("second write left %q", b)
	}
	if err := Write(filepath.Join(dir, "no", "dir"), "x", false); err == nil {
		t.Error("explicit path in a missing directory: no error")
	}
}
