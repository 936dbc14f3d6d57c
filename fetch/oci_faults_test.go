package fetch

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testregistry"
)

func TestOCITamperedBlobReplacesNothing(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	reg.PushArtifact(t, "app", "1",
		testregistry.File{Name: "a.txt", Data: []byte("a v1")},
		testregistry.File{Name: "b.txt", Data: []byte("b v1")})
	f := ociFetcher(t, reg, nil)
	dir := t.TempDir()
	pullOK(t, f, reg.Ref("app:1"), dir)
	before, _ := os.Stat(filepath.Join(dir, "a.txt"))

	a2 := []byte("a v2")
	reg.PushArtifact(t, "app", "1",
		testregistry.File{Name: "a.txt", Data: a2},
		testregistry.File{Name: "b.txt", Data: []byte("b v2, longer")})
	reg.Proxy.Tamper(testregistry.Digest(a2), true)
	res := pullRef(t, f, reg.Ref("app:1"), dir)
	var de *DigestError
	if !errors.As(res.Err, &de) || de.Digest != testregistry.Digest(a2) {
		t.Fatalf("tampered blob: %v, want a DigestError for it", res.Err)
	}
	// Neither file changed: b.txt, which downloaded fine, waits too.
	wantFile(t, filepath.Join(dir, "a.txt"), "a v1")
	wantFile(t, filepath.Join(dir, "b.txt"), "b v1")
	after, _ := os.Stat(filepath.Join(dir, "a.txt"))
	if !os.SameFile(before, after) {
		t.Error("a.txt was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, ".a.txt"+partialSuffix)); err == nil {
		t.Error("the tampered blob's partial was kept")
	}
	// Once the registry serves the right bytes, the pull completes, and
	// b.txt comes from its verified partial without a request.
	pullFixed(t, reg, f, testregistry.Digest(a2), reg.Ref("app:1"), dir, 1, map[string]string{"a.txt": "a v2", "b.txt": "b v2, longer"})
}

// pullFixed stops tampering with the blob digest and pulls ref into dir
// again: it must succeed with the files want, after blobs blob requests.
func pullFixed(t *testing.T, reg *testregistry.Registry, f *Fetcher, digest, ref, dir string, blobs int, want map[string]string) {
	t.Helper()
	reg.Proxy.Tamper(digest, false)
	reg.Proxy.Reset()
	pullOK(t, f, ref, dir)
	for name, content := range want {
		wantFile(t, filepath.Join(dir, name), content)
	}
	if n := reg.Proxy.Count("/blobs/"); n != blobs {
		t.Errorf("after the fix, %d blob requests, want %d: %q", n, blobs, reg.Proxy.Requests())
	}
}

func TestOCITamperedLayer(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	layer := testregistry.Gzip(testregistry.Tar(t, entry_{Name: "f", Body: "x"}))
	reg.PushImage(t, "img", "1", testregistry.Platform{OS: "linux", Architecture: "amd64"}, layer)
	reg.Proxy.Tamper(testregistry.Digest(layer), true)
	f := ociFetcher(t, reg, func(o *Options) { o.Extract, o.OCI.Platform = true, "linux/amd64" })
	dir := filepath.Join(t.TempDir(), "rootfs")
	res := pullRef(t, f, reg.Ref("img:1"), dir)
	var de *DigestError
	if !errors.As(res.Err, &de) {
		t.Fatalf("tampered layer: %v, want a DigestError", res.Err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Error("the tree was created")
	}
}

func TestOCICutBlobResumes(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	data := bytes.Repeat([]byte("0123456789abcdef"), 256<<10) // 4 MiB
	reg.PushArtifact(t, "big", "1", testregistry.File{Name: "big.bin", Data: data})
	reg.Proxy.CutOnce(testregistry.Digest(data), 1<<20)
	dir := t.TempDir()
	pullOK(t, ociFetcher(t, reg, nil), reg.Ref("big:1"), dir)
	wantFile(t, filepath.Join(dir, "big.bin"), string(data))
	var ranges []string
	for _, r := range reg.Proxy.Requests() {
		if _, rg, ok := strings.Cut(r, " Range:"); ok {
			ranges = append(ranges, rg)
		}
	}
	if len(ranges) != 1 || ranges[0] == "bytes=0-" {
		t.Errorf("ranges asked for: %q, want one resumption after the cut", ranges)
	}
}

// An interrupted pull (SIGTERM cancels the context) leaves the old files
// as they were, and the next run resumes the partial blob.
func TestOCIInterruptedPullResumes(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	reg.PushArtifact(t, "m", "1", testregistry.File{Name: "w.bin", Data: []byte("old weights")})
	f := ociFetcher(t, reg, nil)
	dir := t.TempDir()
	pullOK(t, f, reg.Ref("m:1"), dir)

	data := bytes.Repeat([]byte("new weights "), 200_000)
	reg.PushArtifact(t, "m", "1", testregistry.File{Name: "w.bin", Data: data})
	reg.Proxy.Hold(testregistry.Digest(data), 1<<20)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan Result)
	go func() { done <- f.Fetch(ctx, Job{URL: reg.Ref("m:1"), Dest: dir}) }()
	part := filepath.Join(dir, ".w.bin"+partialSuffix)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if fi, err := os.Stat(part); err == nil && fi.Size() >= 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the partial blob never reached 1 MiB")
		}
	}
	cancel()
	if res := <-done; !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("interrupted pull: %v, want context.Canceled", res.Err)
	}
	wantFile(t, filepath.Join(dir, "w.bin"), "old weights")

	reg.Proxy.Hold(testregistry.Digest(data), -1)
	reg.Proxy.Reset()
	res := pullOK(t, f, reg.Ref("m:1"), dir)
	wantFile(t, filepath.Join(dir, "w.bin"), string(data))
	if res.Status != Resumed || reg.Proxy.Count("Range:bytes=1048576-") != 1 {
		t.Errorf("after the interruption: %s with %q, want resumed at 1 MiB", res.Status, reg.Proxy.Requests())
	}
}

func TestOCIErrors(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	reg.PushArtifact(t, "known", "1", testregistry.File{Name: "a", Data: []byte("a")})
	f := ociFetcher(t, reg, nil)
	var nf *NotFoundError
	res := pullRef(t, f, reg.Ref("known:2"), t.TempDir())
	if !errors.As(res.Err, &nf) || nf.What != "tag" || !strings.Contains(nf.Error(), "has no tag 2") {
		t.Errorf("unknown tag: %v", res.Err)
	}
	res = pullRef(t, f, reg.Ref("unknown:1"), t.TempDir())
	if !errors.As(res.Err, &nf) || nf.What != "repository" || !strings.Contains(nf.Error(), "has no repository unknown") {
		t.Errorf("unknown repository: %v", res.Err)
	}
	missing := "sha256:" + strings.Repeat("ab", 32)
	res = pullRef(t, f, reg.Ref("known@"+missing), t.TempDir())
	if !errors.As(res.Err, &nf) || nf.What != "manifest" {
		t.Errorf("unknown digest: %v", res.Err)
	}
	var ue *UsageError
	res = pullRef(t, f, "oci://"+reg.Host+"/Bad_Repo:1", t.TempDir())
	if !errors.As(res.Err, &ue) {
		t.Errorf("bad reference: %v, want a UsageError", res.Err)
	}
}

// The registry refuses to store what initbox does not read, so the
// media types are checked here, without one.
func TestOCIManifestTypes(t *testing.T) {
	ref, _ := ParseOCIRef("oci://r.example/app:1")
	for mt, want := range map[string]bool{mtOCIManifest: false, mtDockerImage: false, mtOCIIndex: true, mtDockerList: true} {
		if got, err := isIndex(ref, mt); err != nil || got != want {
			t.Errorf("isIndex(%s) = %v, %v; want %v", mt, got, err, want)
		}
	}
	for _, mt := range []string{"application/vnd.docker.distribution.manifest.v1+prettyjws", "application/vnd.oci.artifact.manifest.v1+json", ""} {
		var me *ManifestError
		if _, err := isIndex(ref, mt); !errors.As(err, &me) || !strings.Contains(me.Error(), "unhandled manifest type") {
			t.Errorf("isIndex(%q): %v, want an unhandled type", mt, err)
		}
	}
}

func TestOCITLSAndAuth(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{TLS: true, Auth: true})
	reg.PushArtifact(t, "private/app", "1", testregistry.File{Name: "secret.txt", Data: []byte("s")})
	good := reg.DockerConfig(t, reg.User, reg.Pass)
	bad := reg.DockerConfig(t, reg.User, "wrong")

	dir := t.TempDir()
	f := ociFetcher(t, reg, func(o *Options) { o.OCI.AuthFile = good })
	pullOK(t, f, reg.Ref("private/app:1"), dir)
	wantFile(t, filepath.Join(dir, "secret.txt"), "s")

	var ae *AuthError
	res := pullRef(t, ociFetcher(t, reg, nil), reg.Ref("private/app:1"), t.TempDir())
	if !errors.As(res.Err, &ae) || ae.Credentials || ae.Scope != "repository:private/app:pull" || ae.Registry != reg.Host {
		t.Errorf("anonymous: %v, want an AuthError without credentials", res.Err)
	}
	res = pullRef(t, ociFetcher(t, reg, func(o *Options) { o.OCI.AuthFile = bad }), reg.Ref("private/app:1"), t.TempDir())
	if !errors.As(res.Err, &ae) || !ae.Credentials {
		t.Errorf("wrong password: %v, want an AuthError with credentials", res.Err)
	}
	if strings.Contains(res.Err.Error(), "wrong") || strings.Contains(res.Err.Error(), reg.Pass) {
		t.Errorf("the error shows a password: %v", res.Err)
	}
	// Without the CA: a certificate error, not retried until the deadline.
	f = ociFetcher(t, reg, func(o *Options) { o.TLS.CAFile = ""; o.OCI.AuthFile = good })
	if res = pullRef(t, f, reg.Ref("private/app:1"), t.TempDir()); res.Err == nil || !strings.Contains(res.Err.Error(), "certificate") {
		t.Errorf("unknown CA: %v, want a certificate error", res.Err)
	}
}

// The registry token flow: the registry answers 401 with a Bearer
// challenge, the token service (given the Docker config's credentials)
// issues a token for the scope, and the blobs, fetched in parallel, share
// that one token.
func TestOCIBearerTokenFlow(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{Token: true})
	reg.PushArtifact(t, "private/tok", "1",
		testregistry.File{Name: "a", Data: []byte("A")}, testregistry.File{Name: "b", Data: []byte("B")},
		testregistry.File{Name: "c", Data: []byte("C")})
	reg.Tokens.Store(0)
	dir := t.TempDir()
	f := ociFetcher(t, reg, func(o *Options) { o.OCI.AuthFile = reg.DockerConfig(t, reg.User, reg.Pass) })
	pullOK(t, f, reg.Ref("private/tok:1"), dir)
	wantFile(t, filepath.Join(dir, "b"), "B")
	if n := reg.Tokens.Load(); n != 1 {
		t.Errorf("%d token requests, want 1 shared by the manifest and the blobs", n)
	}
	var ae *AuthError
	res := pullRef(t, ociFetcher(t, reg, nil), reg.Ref("private/tok:1"), t.TempDir())
	if !errors.As(res.Err, &ae) || ae.Credentials || ae.Scope != "repository:private/tok:pull" {
		t.Errorf("anonymous: %v, want an AuthError for the scope, without credentials", res.Err)
	}
	res = pullRef(t, ociFetcher(t, reg, func(o *Options) { o.OCI.AuthFile = reg.DockerConfig(t, reg.User, "nope") }), reg.Ref("private/tok:1"), t.TempDir())
	if !errors.As(res.Err, &ae) || !ae.Credentials {
		t.Errorf("wrong password: %v, want an AuthError with credentials", res.Err)
	}
}

// A layer that failed leaves the good ones in the cache beside the tree;
// one altered there is fetched again, not unpacked.
func TestOCILayerCacheIsVerified(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{})
	l1 := testregistry.Gzip(testregistry.Tar(t, entry_{Name: "one", Body: "1"}))
	l2 := testregistry.Gzip(testregistry.Tar(t, entry_{Name: "two", Body: "2"}))
	reg.PushImage(t, "img", "1", testregistry.Platform{OS: "linux", Architecture: "amd64"}, l1, l2)
	f := ociFetcher(t, reg, func(o *Options) { o.Extract, o.OCI.Platform = true, "linux/amd64" })
	dir := filepath.Join(t.TempDir(), "rootfs")
	reg.Proxy.Tamper(testregistry.Digest(l2), true)
	if res := pullRef(t, f, reg.Ref("img:1"), dir); res.Err == nil {
		t.Fatal("pull with a tampered layer succeeded")
	}
	// Layer 1 arrived, but is kept as a partial: nothing is committed
	// while a blob fails.
	cachedL1 := hiddenName(filepath.Join(hiddenName(dir, blobsSuffix), strings.Replace(testregistry.Digest(l1), ":", "-", 1)), partialSuffix)
	data, err := os.ReadFile(cachedL1)
	if err != nil {
		t.Fatalf("layer 1 not cached: %v", err)
	}
	data[len(data)/2] ^= 1
	os.WriteFile(cachedL1, data, 0o644)
	// Both layers are fetched again.
	pullFixed(t, reg, f, testregistry.Digest(l2), reg.Ref("img:1"), dir, 2, map[string]string{"one": "1", "two": "2"})
	if _, err := os.Stat(hiddenName(dir, blobsSuffix)); err == nil {
		t.Error("the cache is still there after success")
	}
}

func TestOCIClientCertificate(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{TLS: true, MTLS: true})
	reg.PushArtifact(t, "mtls", "1", testregistry.File{Name: "f", Data: []byte("F")})
	dir := t.TempDir()
	f := ociFetcher(t, reg, func(o *Options) { o.TLS.CertFile, o.TLS.KeyFile = reg.ClientCert, reg.ClientKey })
	pullOK(t, f, reg.Ref("mtls:1"), dir)
	wantFile(t, filepath.Join(dir, "f"), "F")
	// Refused at once (a TLS alert is not retried), not at the deadline.
	res := pullRef(t, ociFetcher(t, reg, nil), reg.Ref("mtls:1"), t.TempDir())
	if res.Err == nil || errors.Is(res.Err, context.DeadlineExceeded) || !strings.Contains(res.Err.Error(), "certificate") {
		t.Errorf("without the client certificate: %v, want a certificate error", res.Err)
	}
	var ue *UsageError
	if _, err := New(Options{TLS: TLSOptions{CertFile: reg.ClientCert}}); !errors.As(err, &ue) {
		t.Errorf("certificate without key: %v, want a UsageError", err)
	}
	if _, err := New(Options{TLS: TLSOptions{CertFile: reg.ClientCert, KeyFile: reg.CAFile}}); !errors.As(err, &ue) || strings.Contains(err.Error(), "BEGIN") {
		t.Errorf("wrong key: %v, want a UsageError that quotes no file", err)
	}
}

// Registries often answer a blob GET with a redirect to their storage (a
// CDN, S3). The blob comes from there, verified as ever, and the
// registry's token does not follow it, not even to the same host name on
// another port (which net/http alone would allow).
func TestOCIBlobRedirectKeepsTheToken(t *testing.T) {
	reg := testregistry.Start(t, testregistry.Config{Token: true, CDN: true})
	data := bytes.Repeat([]byte("cdn "), 100_000)
	reg.PushArtifact(t, "private/cdn", "1", testregistry.File{Name: "big", Data: data})
	dir := t.TempDir()
	f := ociFetcher(t, reg, func(o *Options) { o.OCI.AuthFile = reg.DockerConfig(t, reg.User, reg.Pass) })
	reg.CDN.CutOnce(100_000) // and a cut there is resumed through the registry
	pullOK(t, f, reg.Ref("private/cdn:1"), dir)
	wantFile(t, filepath.Join(dir, "big"), string(data))
	got := reg.CDN.Headers()
	if n := len(got); n != 2 || !strings.HasPrefix(got[1].Get("Range"), "bytes=") || got[1].Get("Range") == "bytes=0-" {
		t.Errorf("the CDN answered %d requests (second Range %q), want the cut one and its resumption", n, got[min(1, n-1)].Get("Range"))
	}
	if len(got) == 0 {
		t.Fatal("the CDN was not asked: the registry did not redirect")
	}
	for _, h := range got {
		if h.Get("Authorization") != "" {
			t.Errorf("the CDN received Authorization %.20q…", h.Get("Authorization"))
		}
	}
}
