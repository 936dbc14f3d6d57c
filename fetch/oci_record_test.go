package fetch

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/initbox/initbox/internal/testutil/filestate"
	"github.com/initbox/initbox/internal/testutil/testfs"
	"github.com/initbox/initbox/internal/testutil/testregistry"
)

// rerunRecorded pulls an artifact twice into dir and checks that the
// second pull, by tag, makes one request: the record was found.
func rerunRecorded(t *testing.T, reg *testregistry.Registry, opts func(*Options), dir string) {
	t.Helper()
	f := ociFetcher(t, reg, opts)
	pullOK(t, f, reg.Ref("rec:1"), dir)
	reg.Proxy.Reset()
	if res := pullOK(t, f, reg.Ref("rec:1"), dir); res.Status != Unchanged || len(reg.Proxy.Requests()) != 1 {
		t.Errorf("re-run: %s with %q, want unchanged after one HEAD", res.Status, reg.Proxy.Requests())
	}
}

func TestOCIRecordPlaces(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	reg.PushArtifact(t, "rec", "1", testregistry.File{Name: "index.html", Data: []byte("<p>")})

	t.Run("xattr", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "www")
		rerunRecorded(t, reg, nil, dir)
		if got := filestate.Names(t, dir); !slices.Equal(got, []string{"index.html"}) {
			t.Errorf("a served directory holds %q, want only the artifact", got)
		}
		if _, err := getXattr(dir, recordXattr); err != nil {
			t.Errorf("no record attribute: %v", err)
		}
	})
	t.Run("state dir", func(t *testing.T) {
		dir, state := filepath.Join(t.TempDir(), "www"), t.TempDir()
		rerunRecorded(t, reg, func(o *Options) { o.StateDir = state }, dir)
		if got := filestate.Names(t, dir); !slices.Equal(got, []string{"index.html"}) {
			t.Errorf("directory holds %q, want only the artifact", got)
		}
		if got, _ := os.ReadDir(state); len(got) != 1 {
			t.Errorf("state directory holds %d files, want the record", len(got))
		}
	})
	t.Run("no xattrs", func(t *testing.T) {
		dir := filepath.Join(testfs.NoXattr(t), "www")
		rerunRecorded(t, reg, nil, dir)
		if got := filestate.Names(t, dir); !slices.Equal(got, []string{recordName, "index.html"}) {
			t.Errorf("directory holds %q, want the artifact and the hidden record", got)
		}
	})
}
