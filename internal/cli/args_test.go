package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

func TestReorderArgs(t *testing.T) {
	app := newApp(&env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	tests := []struct{ in, want string }{
		{"wait x:1 --timeout 1s", "wait --timeout 1s x:1"},
		{"wait x:1 --any y:2", "wait --any x:1 y:2"},
		{"wait x:1 --timeout=1s y:2", "wait --timeout=1s x:1 y:2"},
		{"-q wait x:1 -q", "-q wait -q x:1"},
		{"--log-format json wait x:1 --timeout 2s", "--log-format json wait --timeout 2s x:1"},
		{"fetch https://h/f -o out", "fetch -o out https://h/f"},
		{"render - -o -", "render -o - -"},                               // a lone "-" is an argument
		{"wait x:1 --header X-A: --any", "wait --header X-A: --any x:1"}, // a value is never an option
		{"wait x:1 --frob y:2", "wait --frob x:1 y:2"},                   // unknown: moved alone, reported
		{"wait x:1 --timeout", "wait --timeout"},                         // the value is missing, not x:1
		{"wait x:1 --help", "wait --help"},                               // not a help topic
		{"frob x:1 --any", "frob x:1 --any"},                             // unknown command: as it is
		{"wait", "wait"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			args := append([]string{"initbox"}, strings.Fields(tt.in)...)
			got := strings.Join(reorderArgs(app, args)[1:], " ")
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOptionsAfterTargets runs what kubectl and wait4x users type: the
// timeout after the target, and the command after "--" untouched.
func TestOptionsAfterTargets(t *testing.T) {
	late := testnet.NewLate(t)
	code, _, _, stderr := runInitbox(t, "wait", "tcp://"+late.Addr, "--timeout", "300ms")
	if code != ExitTimeout {
		t.Fatalf("exit %d, want %d (--timeout after the target); stderr:\n%s", code, ExitTimeout, stderr)
	}

	path := filepath.Join(t.TempDir(), "ready")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	code, argv, _, stderr := runInitbox(t, "wait", "file://"+path, "-q", "--timeout", "1m", "--", "echo", "--timeout", "x")
	if code != ExitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if want := []string{"echo", "--timeout", "x"}; !slices.Equal(argv, want) {
		t.Errorf("command %q, want %q: options after -- belong to the command", argv, want)
	}
	if stderr != "" {
		t.Errorf("-q after the target was ignored:\n%s", stderr)
	}
}
