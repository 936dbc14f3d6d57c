package fetch

import (
	"fmt"
	"strings"

	"github.com/initbox/initbox/internal/lazy"
)

// OCIScheme is the URL scheme of references to OCI registries:
// oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST].
const OCIScheme = "oci"

// OCIRef is a parsed oci:// reference.
type OCIRef struct {
	Registry string // as written, host[:port]; docker.io for Docker Hub
	Repo     string // library/ prefixed for Docker Hub's one-word names
	Tag      string // "" when only a digest is given
	Digest   string // "sha256:<hex>", or ""
}

// The grammar of the distribution specification (repository names, tags)
// and of OCI digests, restricted to sha256: the only algorithm registries
// use, and the one initbox verifies.
var (
	repoRe   = lazy.Regexp(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagRe    = lazy.Regexp(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
	digestRe = lazy.Regexp(`^sha256:[a-f0-9]{64}$`)
	hostRe   = lazy.Regexp(`^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$`)
)

// ParseOCIRef parses "oci://REGISTRY/REPO[:TAG][@sha256:DIGEST]". Without
// a tag or digest the tag is "latest", as docker pull assumes.
func ParseOCIRef(s string) (OCIRef, error) {
	rest, ok := strings.CutPrefix(s, OCIScheme+"://")
	if !ok {
		return OCIRef{}, fmt.Errorf("want oci://REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]")
	}
	host, path, ok := strings.Cut(rest, "/")
	if !ok || host == "" || path == "" {
		return OCIRef{}, fmt.Errorf("want oci://REGISTRY/REPOSITORY[:TAG]: no repository")
	}
	if strings.Contains(host, "@") { // not quoted: it holds a password
		return OCIRef{}, fmt.Errorf("credentials in the reference: give them in a Docker config file instead")
	}
	if !hostRe().MatchString(host) {
		return OCIRef{}, fmt.Errorf("bad registry %q: want HOST[:PORT]", host)
	}
	r := OCIRef{Registry: host}
	if path, r.Digest, ok = strings.Cut(path, "@"); ok && !digestRe().MatchString(r.Digest) {
		return OCIRef{}, fmt.Errorf("bad digest %q: want sha256: and 64 lowercase hex digits", r.Digest)
	}
	if i := strings.LastIndexByte(path, ':'); i > strings.LastIndexByte(path, '/') {
		path, r.Tag = path[:i], path[i+1:]
		if !tagRe().MatchString(r.Tag) {
			return OCIRef{}, fmt.Errorf("bad tag %q: want letters, digits, _ . - (at most 128)", r.Tag)
		}
	}
	if !repoRe().MatchString(path) {
		return OCIRef{}, fmt.Errorf("bad repository %q: want lowercase path components such as team/app", path)
	}
	r.Repo = path
	if r.Registry == "docker.io" && !strings.Contains(r.Repo, "/") {
		r.Repo = "library/" + r.Repo
	}
	if r.Tag == "" && r.Digest == "" {
		r.Tag = "latest"
	}
	return r, nil
}

// String is the reference in its oci:// form.
func (r OCIRef) String() string {
	s := OCIScheme + "://" + r.Registry + "/" + r.Repo
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// host is the registry's API host: Docker Hub's API is not at docker.io.
func (r OCIRef) host() string {
	if r.Registry == "docker.io" || r.Registry == "index.docker.io" {
		return "registry-1.docker.io"
	}
	return r.Registry
}

// scope is the token scope a pull of this repository needs.
func (r OCIRef) scope() string { return "repository:" + r.Repo + ":pull" }
