package fetch

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/initbox/initbox/internal/testutil/testregistry"
)

type entry_ = testregistry.Entry

func TestOCIIndexPlatforms(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	var descs []testregistry.Desc
	for _, arch := range []string{"amd64", "arm64"} {
		layer := testregistry.Gzip(testregistry.Tar(t, entry_{Name: "etc/arch", Body: arch}))
		descs = append(descs, reg.PushImage(t, "multi", "only-"+arch, testregistry.Platform{OS: "linux", Architecture: arch}, layer))
	}
	reg.PushIndex(t, "multi", "1", descs...)
	for _, tc := range []struct{ platform, want string }{
		{"", runtime.GOARCH},
		{"linux/arm64", "arm64"},
		{"linux/amd64", "amd64"},
		{"linux/arm64/v8", "arm64"},
	} {
		if tc.platform == "" && runtime.GOOS != "linux" || tc.want != "amd64" && tc.want != "arm64" {
			continue
		}
		f := ociFetcher(t, reg, func(o *Options) { o.Extract, o.OCI.Platform = true, tc.platform })
		dir := filepath.Join(t.TempDir(), "rootfs")
		pullOK(t, f, reg.Ref("multi:1"), dir)
		wantFile(t, filepath.Join(dir, "etc/arch"), tc.want)
	}
	f := ociFetcher(t, reg, func(o *Options) { o.Extract, o.OCI.Platform = true, "linux/s390x" })
	res := pullRef(t, f, reg.Ref("multi:1"), filepath.Join(t.TempDir(), "rootfs"))
	var me *ManifestError
	if !errors.As(res.Err, &me) || !strings.Contains(me.Error(), "linux/amd64, linux/arm64") {
		t.Errorf("unknown platform: %v, want a ManifestError listing the platforms", res.Err)
	}
}

// whiteoutImage pushes three layers: a base, one with whiteouts (plain
// and opaque) and replacements, one with links.
func whiteoutImage(t *testing.T, reg *testregistry.Registry) {
	base := testregistry.Gzip(testregistry.Tar(t,
		entry_{Name: "etc/", Type: tar.TypeDir},
		entry_{Name: "etc/keep", Body: "keep"},
		entry_{Name: "etc/gone", Body: "gone"},
		entry_{Name: "opq/", Type: tar.TypeDir},
		entry_{Name: "opq/old1", Body: "1"},
		entry_{Name: "opq/sub/old2", Body: "2"},
		entry_{Name: "dir2file/x", Body: "x"},
		entry_{Name: "usr/bin/tool-1.0", Body: "#!tool v1", Mode: 0o4755}, // setuid: dropped
		entry_{Name: "dev/null", Type: tar.TypeChar},                      // skipped
	))
	second := testregistry.Tar(t, // uncompressed
		entry_{Name: "etc/.wh.gone", Body: ""},
		entry_{Name: "opq/new", Body: "new"},
		entry_{Name: "opq/.wh..wh..opq", Body: ""},
		entry_{Name: "dir2file", Body: "now a file"},
		entry_{Name: "usr/bin/tool-1.0", Body: "#!tool v2", Mode: 0o755},
	)
	third := testregistry.Gzip(testregistry.Tar(t,
		entry_{Name: "usr/bin/tool", Type: tar.TypeSymlink, Link: "/usr/bin/tool-1.0"},
		entry_{Name: "bin", Type: tar.TypeSymlink, Link: "usr/bin"},
		entry_{Name: "etc/hard", Type: tar.TypeLink, Link: "etc/keep"},
	))
	reg.PushImage(t, "layered", "1", testregistry.Platform{OS: "linux", Architecture: runtime.GOARCH}, base, second, third)
}

func TestOCIImageWhiteouts(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	whiteoutImage(t, reg)
	f := ociFetcher(t, reg, func(o *Options) { o.Extract = true })
	dir := filepath.Join(t.TempDir(), "rootfs")
	pullOK(t, f, reg.Ref("layered:1"), dir)
	want := []string{"bin", "dir2file", "etc", "etc/hard", "etc/keep", "opq", "opq/new", "usr", "usr/bin", "usr/bin/tool", "usr/bin/tool-1.0"}
	if got := ociFiles(t, dir); !slices.Equal(got, want) {
		t.Errorf("tree = %v\nwant   %v", got, want)
	}
	wantFile(t, filepath.Join(dir, "dir2file"), "now a file")
	wantFile(t, filepath.Join(dir, "usr/bin/tool-1.0"), "#!tool v2")
	wantFile(t, filepath.Join(dir, "etc/hard"), "keep")
	if l, _ := os.Readlink(filepath.Join(dir, "usr/bin/tool")); l != "/usr/bin/tool-1.0" {
		t.Errorf("usr/bin/tool -> %q, want the image's absolute link", l)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".*")); len(leftovers) != 0 {
		t.Errorf("beside the tree: %v, want nothing (the record is an xattr)", leftovers)
	}
	reg.Proxy.Reset()
	if res := pullOK(t, f, reg.Ref("layered:1"), dir); res.Status != Unchanged || reg.Proxy.Count("/blobs/") != 0 {
		t.Errorf("re-run: %s with %q, want unchanged and no blob", res.Status, reg.Proxy.Requests())
	}
}

func TestOCIImageOnePath(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	whiteoutImage(t, reg)
	for _, path := range []string{"/usr/bin/tool", "/bin/tool"} { // through the image's links
		f := ociFetcher(t, reg, func(o *Options) { o.OCI.Path = path })
		dir := t.TempDir()
		pullOK(t, f, reg.Ref("layered:1"), dir)
		wantFile(t, filepath.Join(dir, "tool"), "#!tool v2")
		if fi, _ := os.Stat(filepath.Join(dir, "tool")); fi.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v, want the image's 0755", path, fi.Mode())
		}
		if got := ociFiles(t, dir); !slices.Equal(got, []string{"tool"}) {
			t.Errorf("%s: dir holds %v, want only tool", path, got)
		}
		if all, _ := os.ReadDir(dir); len(all) != 1 { // the record is an xattr of dir
			t.Errorf("%s: dir holds %d entries, want only tool", path, len(all))
		}
	}
	f := ociFetcher(t, reg, func(o *Options) { o.OCI.Path = "/etc/gone" })
	res := pullRef(t, f, reg.Ref("layered:1"), t.TempDir())
	var me *ManifestError
	if !errors.As(res.Err, &me) || !strings.Contains(me.Error(), "no file /etc/gone") {
		t.Errorf("whited-out path: %v, want a ManifestError", res.Err)
	}
}

func TestOCIImageWithoutExtract(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	whiteoutImage(t, reg)
	res := pullRef(t, ociFetcher(t, reg, nil), reg.Ref("layered:1"), t.TempDir())
	var me *ManifestError
	if !errors.As(res.Err, &me) || !strings.Contains(me.Error(), "container image") {
		t.Errorf("image without extract: %v, want a ManifestError", res.Err)
	}
}

func zstdBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

func TestOCIZstdLayers(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	layer := zstdBytes(t, testregistry.Tar(t, entry_{Name: "etc/z", Body: "zstd layer"}))
	reg.PushImage(t, "z", "img", testregistry.Platform{OS: "linux", Architecture: "amd64"}, layer)
	dir := filepath.Join(t.TempDir(), "rootfs")
	pullOK(t, ociFetcher(t, reg, func(o *Options) { o.Extract, o.OCI.Platform = true, "linux/amd64" }), reg.Ref("z:img"), dir)
	wantFile(t, filepath.Join(dir, "etc/z"), "zstd layer")

	reg.PushArtifact(t, "z", "art", testregistry.File{Name: "b.tar.zst", Data: layer, MediaType: "application/vnd.oci.image.layer.v1.tar+zstd"})
	dir = t.TempDir()
	pullOK(t, ociFetcher(t, reg, func(o *Options) { o.Extract = true }), reg.Ref("z:art"), dir)
	wantFile(t, filepath.Join(dir, "b/etc/z"), "zstd layer")
}
