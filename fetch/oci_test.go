package fetch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testregistry"
)

// ociFetcher is a Fetcher for reg: plain http, or its CA for https.
func ociFetcher(t *testing.T, reg *testregistry.Registry, mod func(*Options)) *Fetcher {
	t.Helper()
	opts := Options{RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 200 * time.Millisecond}
	if reg.Scheme == "http" {
		opts.OCI.PlainHTTP = true
	} else {
		opts.TLS.CAFile = reg.CAFile
	}
	if mod != nil {
		mod(&opts)
	}
	f, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func pullOK(t *testing.T, f *Fetcher, ref, dir string) Result {
	t.Helper()
	res := pullRef(t, f, ref, dir)
	if res.Err != nil {
		t.Fatalf("pull %s: %v", ref, res.Err)
	}
	return res
}

func pullRef(t *testing.T, f *Fetcher, ref, dir string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	return f.Fetch(ctx, Job{URL: ref, Dest: dir, Progress: &Progress{}})
}

func wantFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s = %q, want %q", path, truncate(string(got), 40), truncate(want, 40))
	}
}

// ociFiles lists the names in dir that are not initbox's hidden files.
func ociFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && d.IsDir() {
			return filepath.SkipDir
		}
		if strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, rel)
		return nil
	})
	return names
}

func TestOCIArtifactAndReruns(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	big := bytes.Repeat([]byte("model "), 200_000)
	m := reg.PushArtifact(t, "team/model", "v1",
		testregistry.File{Name: "model.bin", Data: big},
		testregistry.File{Name: "config.json", Data: []byte(`{"a":1}`), MediaType: "application/json"},
		testregistry.File{Name: "docs/README.md", Data: []byte("# hi\n"), MediaType: "text/markdown"})
	f := ociFetcher(t, reg, nil)
	dir := filepath.Join(t.TempDir(), "out")

	res := pullOK(t, f, reg.Ref("team/model:v1"), dir)
	if res.Status != Downloaded || "sha256:"+res.SHA256 != m.Digest {
		t.Errorf("first pull: %s %s, want downloaded %s", res.Status, res.SHA256, m.Digest)
	}
	wantFile(t, filepath.Join(dir, "model.bin"), string(big))
	wantFile(t, filepath.Join(dir, "config.json"), `{"a":1}`)
	wantFile(t, filepath.Join(dir, "docs/README.md"), "# hi\n")
	if got, want := ociFiles(t, dir), []string{"config.json", "docs", "docs/README.md", "model.bin"}; !slices.Equal(got, want) {
		t.Errorf("files = %v, want %v", got, want)
	}
	before, _ := os.Stat(filepath.Join(dir, "model.bin"))

	// A tag re-run: one HEAD, no blob.
	reg.Proxy.Reset()
	res = pullOK(t, f, reg.Ref("team/model:v1"), dir)
	if res.Status != Unchanged {
		t.Errorf("re-run by tag: %s, want unchanged", res.Status)
	}
	if got := reg.Proxy.Requests(); len(got) != 1 || !strings.HasPrefix(got[0], "HEAD /v2/team/model/manifests/v1") {
		t.Errorf("re-run by tag made %q, want one HEAD of the manifest", got)
	}
	// A digest re-run: no request at all.
	reg.Proxy.Reset()
	res = pullOK(t, f, reg.Ref("team/model@"+m.Digest), dir)
	if res.Status != Skipped || len(reg.Proxy.Requests()) != 0 {
		t.Errorf("re-run by digest: %s with requests %q, want skipped with none", res.Status, reg.Proxy.Requests())
	}
	after, _ := os.Stat(filepath.Join(dir, "model.bin"))
	if !os.SameFile(before, after) || !before.ModTime().Equal(after.ModTime()) {
		t.Error("a re-run replaced model.bin")
	}

	// A new version that changes one file: only that blob is fetched, and
	// a file no longer in the artifact is removed.
	reg.PushArtifact(t, "team/model", "v1",
		testregistry.File{Name: "model.bin", Data: big},
		testregistry.File{Name: "config.json", Data: []byte(`{"a":2}`), MediaType: "application/json"})
	reg.Proxy.Reset()
	pullOK(t, f, reg.Ref("team/model:v1"), dir)
	wantFile(t, filepath.Join(dir, "config.json"), `{"a":2}`)
	if n := reg.Proxy.Count("/blobs/"); n != 1 {
		t.Errorf("update fetched %d blobs, want 1: %q", n, reg.Proxy.Requests())
	}
	if got, want := ociFiles(t, dir), []string{"config.json", "docs", "model.bin"}; !slices.Equal(got, want) {
		t.Errorf("files after the update = %v, want %v", got, want)
	}
	// The same files under a new manifest (layers in another order):
	// nothing to write.
	reg.PushArtifact(t, "team/model", "v1",
		testregistry.File{Name: "config.json", Data: []byte(`{"a":2}`), MediaType: "application/json"},
		testregistry.File{Name: "model.bin", Data: big})
	reg.Proxy.Reset()
	if res := pullOK(t, f, reg.Ref("team/model:v1"), dir); res.Status != Unchanged || reg.Proxy.Count("/blobs/") != 0 {
		t.Errorf("same files, new manifest: %s with %q, want unchanged without a blob", res.Status, reg.Proxy.Requests())
	}
}

func TestOCIArtifactSelect(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	reg.PushArtifact(t, "bundle", "1",
		testregistry.File{Name: "a.txt", Data: []byte("A"), MediaType: "text/plain"},
		testregistry.File{Name: "b.json", Data: []byte("{}"), MediaType: "application/json"},
		testregistry.File{Name: "c.txt", Data: []byte("C"), MediaType: "text/plain"})
	for _, tc := range []struct {
		name  string
		files []string
		types []string
		want  []string
	}{
		{"files", []string{"c.txt", "b.json"}, nil, []string{"b.json", "c.txt"}},
		{"media type", nil, []string{"text/plain"}, []string{"a.txt", "c.txt"}},
		{"both", []string{"a.txt", "b.json"}, []string{"application/json"}, []string{"b.json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := ociFetcher(t, reg, func(o *Options) { o.OCI.Files, o.OCI.MediaTypes = tc.files, tc.types })
			dir := t.TempDir()
			pullOK(t, f, reg.Ref("bundle:1"), dir)
			if got := ociFiles(t, dir); !slices.Equal(got, tc.want) {
				t.Errorf("files = %v, want %v", got, tc.want)
			}
		})
	}
	f := ociFetcher(t, reg, func(o *Options) { o.OCI.Files = []string{"nope.txt"} })
	res := pullRef(t, f, reg.Ref("bundle:1"), t.TempDir())
	var me *ManifestError
	if !errors.As(res.Err, &me) || !strings.Contains(me.Error(), `no file "nope.txt"`) {
		t.Errorf("missing file: %v, want a ManifestError naming it", res.Err)
	}
}

func TestOCIArtifactExtract(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	tgz := testregistry.Gzip(testregistry.Tar(t,
		testregistry.Entry{Name: "plugins/", Type: '5'},
		testregistry.Entry{Name: "plugins/p.so", Body: "ELF", Mode: 0o755}))
	reg.PushArtifact(t, "plug", "1",
		testregistry.File{Name: "plugins.tar.gz", Data: tgz, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip"},
		testregistry.File{Name: "dir", Data: tgz, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Unpack: true},
		testregistry.File{Name: "notes.txt", Data: []byte("n")})
	f := ociFetcher(t, reg, func(o *Options) { o.Extract = true })
	dir := t.TempDir()
	pullOK(t, f, reg.Ref("plug:1"), dir)
	wantFile(t, filepath.Join(dir, "plugins/plugins/p.so"), "ELF")
	wantFile(t, filepath.Join(dir, "dir/plugins/p.so"), "ELF")
	wantFile(t, filepath.Join(dir, "notes.txt"), "n")
	reg.Proxy.Reset()
	if res := pullOK(t, f, reg.Ref("plug:1"), dir); res.Status != Unchanged {
		t.Errorf("re-run: %s, want unchanged", res.Status)
	}

	// A slip in an archive layer is refused, as for https downloads.
	evil := testregistry.Gzip(testregistry.Tar(t, testregistry.Entry{Name: "../evil", Body: "x"}))
	reg.PushArtifact(t, "plug", "evil", testregistry.File{Name: "e.tar.gz", Data: evil})
	res := pullRef(t, f, reg.Ref("plug:evil"), t.TempDir())
	var ae *ArchiveError
	if !errors.As(res.Err, &ae) {
		t.Errorf("slip: %v, want an ArchiveError", res.Err)
	}
}
