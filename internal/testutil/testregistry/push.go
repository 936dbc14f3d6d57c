package testregistry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/initbox/initbox/internal/ocispec"
)

// Media types the pushes use.
const (
	MediaOCIManifest = "application/vnd.oci.image.manifest.v1+json"
	MediaOCIIndex    = "application/vnd.oci.image.index.v1+json"
	MediaOCIConfig   = "application/vnd.oci.image.config.v1+json"
	MediaEmpty       = "application/vnd.oci.empty.v1+json"
	MediaLayerGzip   = "application/vnd.oci.image.layer.v1.tar+gzip"
	MediaLayerTar    = "application/vnd.oci.image.layer.v1.tar"
)

// Desc is an OCI descriptor.
type Desc = ocispec.Descriptor

// Platform of an index entry.
type Platform = ocispec.Platform

// Digest is the sha256 digest of data.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (r *Registry) do(t testing.TB, method, u string, body io.Reader, size int64, h http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if size >= 0 {
		req.ContentLength = size
	}
	switch {
	case r.token != nil:
		req.Header.Set("Authorization", "Bearer "+r.token.pushToken(req.URL.Path))
	case r.User != "":
		req.SetBasicAuth(r.User, r.Pass)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	return resp
}

// PushBlob uploads data (monolithic upload) and returns its descriptor.
func (r *Registry) PushBlob(t testing.TB, repo, mediaType string, data []byte) Desc {
	t.Helper()
	return r.PushBlobFrom(t, repo, mediaType, bytes.NewReader(data), int64(len(data)), Digest(data))
}

// PushBlobFrom uploads size bytes read from body, whose digest is given.
func (r *Registry) PushBlobFrom(t testing.TB, repo, mediaType string, body io.Reader, size int64, digest string) Desc {
	t.Helper()
	base := r.Scheme + "://" + r.Host
	resp := r.do(t, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", nil, 0, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("starting an upload to %s: status %d", repo, resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(base + "/")
	loc = u.ResolveReference(loc)
	q := loc.Query()
	q.Set("digest", digest)
	loc.RawQuery = q.Encode()
	resp = r.do(t, http.MethodPut, loc.String(), body, size, http.Header{"Content-Type": {"application/octet-stream"}})
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("uploading blob %s to %s: status %d: %s", digest, repo, resp.StatusCode, msg)
	}
	return Desc{MediaType: mediaType, Digest: digest, Size: size}
}

// PushManifest puts a manifest (or index) under ref, a tag or its digest.
func (r *Registry) PushManifest(t testing.TB, repo, ref, mediaType string, data []byte) Desc {
	t.Helper()
	u := r.Scheme + "://" + r.Host + "/v2/" + repo + "/manifests/" + ref
	resp := r.do(t, http.MethodPut, u, bytes.NewReader(data), int64(len(data)), http.Header{"Content-Type": {mediaType}})
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("putting manifest %s:%s: status %d: %s", repo, ref, resp.StatusCode, msg)
	}
	return Desc{MediaType: mediaType, Digest: Digest(data), Size: int64(len(data))}
}

// File is one file of an artifact.
type File struct {
	Name      string
	Data      []byte
	MediaType string // default application/octet-stream
	Unpack    bool   // mark as a directory oras pushed (a tar.gz to unpack)
}

// PushArtifact pushes files as an artifact (artifactType, empty config,
// one titled layer per file) tagged tag, as oras push does.
func (r *Registry) PushArtifact(t testing.TB, repo, tag string, files ...File) Desc {
	t.Helper()
	cfg := r.PushBlob(t, repo, MediaEmpty, []byte("{}"))
	var layers []Desc
	for _, f := range files {
		mt := f.MediaType
		if mt == "" {
			mt = "application/octet-stream"
		}
		d := r.PushBlob(t, repo, mt, f.Data)
		d.Annotations = map[string]string{"org.opencontainers.image.title": f.Name}
		if f.Unpack {
			d.Annotations["io.deis.oras.content.unpack"] = "true"
		}
		layers = append(layers, d)
	}
	return r.PushManifestOf(t, repo, tag, "application/vnd.initbox.test.v1", cfg, layers)
}

// PushManifestOf pushes an image manifest of config and layers.
func (r *Registry) PushManifestOf(t testing.TB, repo, tag, artifactType string, config Desc, layers []Desc) Desc {
	t.Helper()
	m := map[string]any{"schemaVersion": 2, "mediaType": MediaOCIManifest, "config": config, "layers": layers}
	if artifactType != "" {
		m["artifactType"] = artifactType
	}
	data, _ := json.Marshal(m)
	return r.PushManifest(t, repo, tag, MediaOCIManifest, data)
}

// PushImage pushes an image of the given layers (tar or tar+gzip
// blobs) for a platform, under tag (which may be its digest's string
// for none, but a tag is simpler).
func (r *Registry) PushImage(t testing.TB, repo, tag string, p Platform, layers ...[]byte) Desc {
	t.Helper()
	var descs []Desc
	var diffIDs []string
	for _, l := range layers {
		mt := MediaLayerTar
		if bytes.HasPrefix(l, []byte{0x1f, 0x8b}) {
			mt = MediaLayerGzip
		}
		descs = append(descs, r.PushBlob(t, repo, mt, l))
		diffIDs = append(diffIDs, Digest(l)) // not the uncompressed digest: initbox does not read it
	}
	cfgData, _ := json.Marshal(map[string]any{"architecture": p.Architecture, "os": p.OS, "variant": p.Variant,
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs}})
	cfg := r.PushBlob(t, repo, MediaOCIConfig, cfgData)
	d := r.PushManifestOf(t, repo, tag, "", cfg, descs)
	d.Platform = &Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}
	return d
}

// PushIndex pushes an index of manifests under tag.
func (r *Registry) PushIndex(t testing.TB, repo, tag string, manifests ...Desc) Desc {
	t.Helper()
	data, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": MediaOCIIndex, "manifests": manifests})
	return r.PushManifest(t, repo, tag, MediaOCIIndex, data)
}

// Entry is one member of a tar layer.
type Entry struct {
	Name string
	Body string
	Mode int64 // default 0644 (0755 for directories)
	Type byte  // tar.TypeReg by default
	Link string
}

// Tar builds a tar archive of entries.
func Tar(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Mode: e.Mode, Linkname: e.Link, Size: int64(len(e.Body)), Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.Mode == 0 {
			h.Mode = 0o644
			if h.Typeflag == tar.TypeDir {
				h.Mode = 0o755
			}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write([]byte(e.Body))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Gzip compresses data.
func Gzip(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}
