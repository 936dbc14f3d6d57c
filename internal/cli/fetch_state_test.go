package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

// TestFetchStateDir: with --state-dir (or INITBOX_STATE_DIR), the manifest
// that makes a re-run a conditional request lives there, and the
// destination directory holds the file alone.
func TestFetchStateDir(t *testing.T) {
	srv := testfiles.Server(t, map[string][]byte{"/index.html": []byte("<html>hi</html>")})
	for _, viaEnv := range []bool{false, true} {
		t.Run(map[bool]string{false: "flag", true: "env"}[viaEnv], func(t *testing.T) {
			web, state := t.TempDir(), t.TempDir()
			args := []string{"fetch", "--dir", web, srv.URL + "/index.html"}
			if viaEnv {
				t.Setenv("INITBOX_STATE_DIR", state)
			} else {
				args = append(args, "--state-dir", state) // after the URL, too
			}
			for run, want := range []string{"msg=downloaded", "msg=unchanged"} {
				code, _, _, stderr := runInitbox(t, args...)
				if code != ExitOK || !strings.Contains(stderr, want) {
					t.Fatalf("run %d: exit %d, want 0 and %s:\n%s", run+1, code, want, stderr)
				}
			}
			if ents, _ := os.ReadDir(web); len(ents) != 1 || ents[0].Name() != "index.html" {
				t.Errorf("%s holds %v, want index.html alone", web, names(ents))
			}
			if ents, _ := os.ReadDir(state); len(ents) == 0 {
				t.Errorf("the state directory %s is empty", state)
			}
		})
	}
}

func names(ents []os.DirEntry) []string {
	var out []string
	for _, e := range ents {
		out = append(out, filepath.Base(e.Name()))
	}
	return out
}
