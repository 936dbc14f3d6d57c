package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"

	"github.com/initbox/initbox/internal/ocispec"
)

// Media types of the manifests initbox reads: OCI's and Docker's v2.
const (
	mtOCIIndex     = "application/vnd.oci.image.index.v1+json"
	mtOCIManifest  = "application/vnd.oci.image.manifest.v1+json"
	mtDockerList   = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtDockerImage  = "application/vnd.docker.distribution.manifest.v2+json"
	titleKey       = "org.opencontainers.image.title"
	maxManifest    = 4 << 20 // what distribution itself accepts
	maxIndexDepth  = 4       // an index of indexes of …
	emptyConfigOCI = "application/vnd.oci.empty.v1+json"
)

var acceptManifests = strings.Join([]string{mtOCIIndex, mtOCIManifest, mtDockerList, mtDockerImage}, ", ")

// descriptor points at a blob or manifest by digest.
type descriptor = ocispec.Descriptor

// ociManifest is an image manifest or an index: which one its media type
// says, and which fields are set.
type ociManifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	ArtifactType  string       `json:"artifactType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
	Manifests     []descriptor `json:"manifests"`
}

// Platform is an image's os/architecture[/variant].
type Platform = ocispec.Platform

// ParsePlatform reads "os/arch[/variant]", e.g. linux/arm64 or
// linux/arm/v7; "" is the platform initbox runs on.
func ParsePlatform(s string) (Platform, error) {
	if s == "" {
		return Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return Platform{}, fmt.Errorf("want os/arch[/variant], e.g. linux/amd64 or linux/arm/v7")
	}
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// matches reports whether an index entry's platform q is p. A platform
// given without variant takes any variant; arm64's v8 is its default.
func matches(p Platform, q *Platform) bool {
	if q == nil || q.OS != p.OS || q.Architecture != p.Architecture {
		return false
	}
	if p.Variant == "" || q.Variant == p.Variant {
		return true
	}
	return p.Architecture == "arm64" && p.Variant == "v8" && q.Variant == ""
}

// getManifest fetches the manifest reference names (a tag or digest) and
// checks it against want, a digest, if given; it returns the manifest, its
// media type and its digest.
func (r *registry) getManifest(ctx context.Context, reference, want string) (m *ociManifest, mt, digest string, err error) {
	h := http.Header{"Accept": {acceptManifests}}
	resp, err := r.send(ctx, http.MethodGet, "manifests/"+reference, h)
	if err != nil {
		return nil, "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", "", r.failed(resp, "manifest", reference)
	}
	data, err := readSmall(resp.Body, maxManifest)
	if err != nil {
		return nil, "", "", fmt.Errorf("registry %s: manifest %s: %w", r.ref.Registry, reference, err)
	}
	sum := sha256.Sum256(data)
	got := "sha256:" + hex.EncodeToString(sum[:])
	if want != "" && got != want {
		return nil, "", "", &DigestError{What: "manifest", Digest: want, Got: got}
	}
	m = &ociManifest{}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, "", "", &ManifestError{Ref: r.ref.String(), Reason: "the manifest is not valid JSON"}
	}
	mt = m.MediaType
	if mt == "" { // optional in OCI manifests: the header says
		mt, _, _ = strings.Cut(resp.Header.Get("Content-Type"), ";")
	}
	return m, strings.TrimSpace(mt), got, nil
}

// resolve asks which digest a tag points at, with a HEAD: a re-run whose
// tag has not moved costs this one request.
func (r *registry) resolve(ctx context.Context) (string, error) {
	if r.ref.Digest != "" {
		return r.ref.Digest, nil
	}
	h := http.Header{"Accept": {acceptManifests}}
	resp, err := r.send(ctx, http.MethodHead, "manifests/"+r.ref.Tag, h)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	switch d := resp.Header.Get("Docker-Content-Digest"); {
	case resp.StatusCode == http.StatusOK && digestRe().MatchString(d):
		return d, nil
	case resp.StatusCode == http.StatusOK:
		// No digest in the answer: the GET by tag computes it.
		_, _, d, err := r.getManifest(ctx, r.ref.Tag, "")
		return d, err
	case resp.StatusCode == http.StatusNotFound:
		// A HEAD has no body to tell repository from tag: a GET of the
		// tag list does.
		if !r.repoExists(ctx) {
			return "", &NotFoundError{Registry: r.ref.Registry, Repo: r.ref.Repo, What: "repository", Code: "NAME_UNKNOWN"}
		}
		return "", &NotFoundError{Registry: r.ref.Registry, Repo: r.ref.Repo, What: "tag", Name: r.ref.Tag, Code: "MANIFEST_UNKNOWN"}
	}
	return "", r.failed(resp, "tag", r.ref.Tag)
}

// image follows digest down to one image manifest: through an index (or
// several), choosing the platform. It returns the manifest and its digest.
func (r *registry) image(ctx context.Context, digest string, p Platform) (*ociManifest, string, error) {
	for range maxIndexDepth {
		m, mt, _, err := r.getManifest(ctx, digest, digest)
		if err != nil {
			return nil, "", err
		}
		index, err := isIndex(r.ref, mt)
		if err != nil {
			return nil, "", err
		}
		if !index {
			return m, digest, nil
		}
		d, err := choose(r.ref, m.Manifests, p)
		if err != nil {
			return nil, "", err
		}
		digest = d.Digest
	}
	return nil, "", &ManifestError{Ref: r.ref.String(), Reason: "indexes nested too deep"}
}

// isIndex tells an index from an image manifest by media type, and
// refuses the types initbox does not read (Docker schema 1, OCI's
// withdrawn artifact manifest, anything else).
func isIndex(ref OCIRef, mt string) (bool, error) {
	switch mt {
	case mtOCIManifest, mtDockerImage:
		return false, nil
	case mtOCIIndex, mtDockerList:
		return true, nil
	}
	return false, &ManifestError{Ref: ref.String(), Reason: fmt.Sprintf("unhandled manifest type %q: want an OCI image manifest or index, or a Docker v2 manifest or list", truncate(mt, 80))}
}

// choose picks the index entry for platform p; an index of one entry
// without a platform (an artifact's index) gives that entry.
func choose(ref OCIRef, entries []descriptor, p Platform) (descriptor, error) {
	for _, d := range entries {
		if matches(p, d.Platform) && digestRe().MatchString(d.Digest) {
			return d, nil
		}
	}
	if len(entries) == 1 && entries[0].Platform == nil && digestRe().MatchString(entries[0].Digest) {
		return entries[0], nil
	}
	var have []string
	for _, d := range entries {
		if d.Platform != nil && d.Platform.OS != "unknown" {
			have = append(have, d.Platform.String())
		}
	}
	return descriptor{}, &ManifestError{Ref: ref.String(), Reason: fmt.Sprintf("no image for platform %s in the index (it has: %s)", p, strings.Join(have, ", "))}
}
