package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The limits for the image.
const (
	maxImageBytes      = 10 << 20 // uncompressed, docker image inspect's Size
	maxCompressedBytes = 5 << 20  // docker save IMAGE | gzip -c | wc -c
)

func TestImageConfig(t *testing.T) {
	requireDocker(t)
	var img []struct {
		Size   int64
		Config struct {
			User       string
			Entrypoint []string
			Cmd        []string
			Labels     map[string]string
		}
	}
	if err := json.Unmarshal([]byte(mustDocker(t, "image", "inspect", images.initbox)), &img); err != nil || len(img) != 1 {
		t.Fatalf("docker image inspect: %v", err)
	}
	c := img[0].Config
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", c.User)
	}
	if !slices.Equal(c.Entrypoint, []string{"/initbox"}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [/initbox] and no cmd", c.Entrypoint, c.Cmd)
	}
	for key, want := range map[string]string{
		"org.opencontainers.image.title":   "initbox",
		"org.opencontainers.image.source":  "https://github.com/initbox/initbox",
		"org.opencontainers.image.version": imageVersion(),
	} {
		if got := c.Labels[key]; got != want {
			t.Errorf("label %s = %q, want %q", key, got, want)
		}
	}
	t.Logf("image size %d bytes (%.2f MiB)", img[0].Size, float64(img[0].Size)/(1<<20))
	if img[0].Size > maxImageBytes {
		t.Errorf("image is %d bytes, want at most %d (10 MiB)", img[0].Size, maxImageBytes)
	}
}

// TestImageContents reads the image as docker save writes it: its layers
// must hold /initbox and nothing else (no shell, no CA files, no /tmp),
// and the whole must compress to at most 5 MiB.
func TestImageContents(t *testing.T) {
	requireDocker(t)
	saved, err := exec.CommandContext(t.Context(), "docker", "save", images.initbox).Output()
	if err != nil {
		t.Fatalf("docker save: %v", err)
	}
	var gz countWriter
	zw := gzip.NewWriter(&gz)
	zw.Write(saved)
	zw.Close()
	t.Logf("docker save | gzip: %d bytes (%.2f MiB)", gz.n, float64(gz.n)/(1<<20))
	if gz.n > maxCompressedBytes {
		t.Errorf("compressed image is %d bytes, want at most %d (5 MiB)", gz.n, maxCompressedBytes)
	}

	files, err := layerFiles(saved)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"initbox 0755"}; !slices.Equal(files, want) {
		t.Errorf("image holds %q, want only %q", files, want)
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// layerFiles lists "path mode" for every entry of every layer of a
// docker save archive, the legacy and the OCI layouts alike: both have a
// manifest.json naming the layer files.
func layerFiles(saved []byte) ([]string, error) {
	entries := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(saved))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		entries[h.Name] = b
	}
	var manifest []struct{ Layers []string }
	if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		return nil, errors.New("docker save: no manifest.json with one image")
	}
	var files []string
	for _, layer := range manifest[0].Layers {
		lr := tar.NewReader(bytes.NewReader(entries[layer]))
		for {
			h, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			files = append(files, fmt.Sprintf("%s %04o", strings.TrimPrefix(h.Name, "/"), h.Mode&0o7777))
		}
	}
	return files, nil
}

func TestImageRunsVersion(t *testing.T) {
	requireDocker(t)
	out := mustDocker(t, "run", "--rm", images.initbox, "version")
	if want := "initbox " + imageVersion() + " go"; !strings.HasPrefix(out, want) {
		t.Errorf("version printed %q, want it to start with %q", out, want)
	}
}

// TestImageTrustsPublicRoots shows that the scratch image verifies HTTPS
// with embedded root CAs, with no internet: the server's certificate
// claims to be issued by ISRG Root X1, and only a client that holds that
// root names it as the candidate it tried. Without roots, the error is a
// bare "certificate signed by unknown authority".
func TestImageTrustsPublicRoots(t *testing.T) {
	requireDocker(t)
	network := "initbox-e2e-" + runID + "-tls"
	mustDocker(t, "network", "create", network)
	t.Cleanup(func() { exec.Command("docker", "network", "rm", network).Run() })
	server := mustDocker(t, "run", "-d", "--rm", "--network", network, "--network-alias", "files",
		images.tools, "/fileserver", "-tls", "-tls-issuer", "ISRG Root X1", "-addr", ":8443")
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", server).Run() })
	mustDocker(t, "run", "--rm", "--network", network, images.initbox, "wait", "--timeout", "60s", "tcp://files:8443")

	r := docker(t, "run", "--rm", "--network", network, images.initbox, "check", "https://files:8443/")
	if r.code != 1 {
		t.Fatalf("check of a forged certificate: exit %d, want 1\n%s", r.code, r.out())
	}
	if want := `candidate authority certificate \"ISRG Root X1\"`; !strings.Contains(r.out(), want) {
		t.Errorf("the error does not name the embedded root; want %s in\n%s", want, r.out())
	}
}
