package fetch

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzOCIRef: a reference that parses prints as one that parses to the
// same thing, and no input panics.
func FuzzOCIRef(f *testing.F) {
	for _, s := range []string{"oci://r.example/app:1", "oci://127.0.0.1:5000/a/b@sha256:" + strings.Repeat("0", 64),
		"oci://docker.io/busybox", "oci://[::1]:5/x:y@sha256:" + strings.Repeat("a", 64), "oci://a/b/:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseOCIRef(s)
		if err != nil {
			return
		}
		again, err := ParseOCIRef(r.String())
		if err != nil || again != r {
			t.Fatalf("%q parses to %+v, printed %q, which parses to %+v, %v", s, r, r.String(), again, err)
		}
	})
}

// FuzzParseChallenge: any WWW-Authenticate value parses without panic,
// into a lowercase scheme and lowercase parameter names.
func FuzzParseChallenge(f *testing.F) {
	f.Add(`Bearer realm="https://a/token",service="s",scope="repository:x:pull"`)
	f.Add(`Basic realm="r\"q"`)
	f.Add(`Bearer realm=unquoted, error="x"`)
	f.Fuzz(func(t *testing.T, v string) {
		c := parseChallenge(v)
		if c.scheme != strings.ToLower(c.scheme) {
			t.Fatalf("scheme %q not lowercase", c.scheme)
		}
		for k := range c.params {
			if k == "" || k != strings.ToLower(k) {
				t.Fatalf("parameter name %q", k)
			}
		}
	})
}

// FuzzLayers applies two layers built from a script (one entry per
// line: "f NAME", "d NAME", "l NAME TARGET" for a symlink, "h NAME
// TARGET" for a hard link, "w NAME" for a whiteout, "o DIR" for an
// opaque whiteout, "--" between the layers) and checks what must always
// hold: nothing is created outside the stage, no whiteout file is ever
// created, and no input panics.
func FuzzLayers(f *testing.F) {
	f.Add("d a\nf a/x\nl b a\n--\nw a/x\nf b2\no a\nf a/y")
	f.Add("l etc /etc\n--\nf etc/passwd")
	f.Add("f x\n--\nd x\nf x/y\nh z x/y")
	f.Add("l a ../..\nf a/b")
	f.Fuzz(func(t *testing.T, script string) {
		parent := t.TempDir()
		stage := filepath.Join(parent, "stage")
		if err := os.Mkdir(stage, 0o755); err != nil {
			t.Fatal(err)
		}
		root, err := os.OpenRoot(stage)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		x := newExtractor(context.Background(), root, Limits{MaxBytes: 1 << 20, MaxFiles: 100})
		x.rootfs = true
		for _, layer := range strings.Split(script, "\n--\n") {
			if x.layer(bytes.NewReader(scriptTar(layer))) != nil {
				break
			}
		}
		x.checkLinks()
		if ents, _ := os.ReadDir(parent); len(ents) != 1 {
			t.Fatalf("outside the stage: %v", ents)
		}
		filepath.WalkDir(stage, func(p string, d os.DirEntry, err error) error {
			if err == nil && strings.HasPrefix(d.Name(), whiteoutPrefix) {
				t.Fatalf("a whiteout was created: %s", p)
			}
			return nil
		})
	})
}

// scriptTar builds a tar layer from FuzzLayers' script.
func scriptTar(script string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, line := range strings.Split(script, "\n") {
		kind, rest, _ := strings.Cut(line, " ")
		name, target, _ := strings.Cut(rest, " ")
		h := &tar.Header{Name: name, Mode: 0o644, Linkname: target}
		switch kind {
		case "d":
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case "l":
			h.Typeflag = tar.TypeSymlink
		case "h":
			h.Typeflag = tar.TypeLink
		case "w":
			dir, base := filepath.Split(name)
			h.Name, h.Typeflag = dir+whiteoutPrefix+base, tar.TypeReg
		case "o":
			h.Name, h.Typeflag = strings.TrimSuffix(name, "/")+"/"+whiteoutOpaque, tar.TypeReg
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(name))
		}
		if tw.WriteHeader(h) != nil {
			continue
		}
		if h.Size > 0 {
			tw.Write([]byte(name))
		}
	}
	tw.Close()
	return buf.Bytes()
}
