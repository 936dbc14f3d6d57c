package fetch

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testfiles"
)

func TestParseOCIRef(t *testing.T) {
	digest := "sha256:" + strings.Repeat("0a", 32)
	for _, tc := range []struct {
		in   string
		want OCIRef
	}{
		{"oci://r.example/app:1.2", OCIRef{"r.example", "app", "1.2", ""}},
		{"oci://r.example:5000/team/app", OCIRef{"r.example:5000", "team/app", "latest", ""}},
		{"oci://127.0.0.1:5000/a/b/c@" + digest, OCIRef{"127.0.0.1:5000", "a/b/c", "", digest}},
		{"oci://r.example/app:v1@" + digest, OCIRef{"r.example", "app", "v1", digest}},
		{"oci://docker.io/busybox:1", OCIRef{"docker.io", "library/busybox", "1", ""}},
		{"oci://[::1]:5000/x__y.z-w:t", OCIRef{"[::1]:5000", "x__y.z-w", "t", ""}},
	} {
		got, err := ParseOCIRef(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseOCIRef(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"https://r.example/app", "oci://", "oci://r.example", "oci://r.example/", "oci://r.example/App:1",
		"oci://r.example/app:", "oci://r.example/app@sha256:abc", "oci://r.example/app@md5:" + strings.Repeat("0", 32),
		"oci://r.example/app/:1", "oci://r.example/../app:1", "oci://user:pw@r.example/app", "oci://r.example/app:" + strings.Repeat("t", 129),
	} {
		if got, err := ParseOCIRef(in); err == nil || strings.Contains(err.Error(), "pw") {
			t.Errorf("ParseOCIRef(%q) = %+v, %v; want an error that shows no password", in, got, err)
		}
	}
}

func TestParseChallenge(t *testing.T) {
	c := parseChallenge(`Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push", error="invalid_token"`)
	if c.scheme != "bearer" || c.params["realm"] != "https://auth.example/token" || c.params["service"] != "registry.example" ||
		c.params["scope"] != "repository:a/b:pull,push" || c.params["error"] != "invalid_token" {
		t.Errorf("bearer: %+v", c)
	}
	c = parseChallenge(`Basic realm="initbox \"test\""`)
	if c.scheme != "basic" || c.params["realm"] != `initbox "test"` {
		t.Errorf("basic: %+v", c)
	}
	for _, v := range []string{"", "Bearer", `Bearer realm="unterminated`, "Bearer ,,,=", `Bearer realm=x\`} {
		parseChallenge(v) // must not panic
	}
}

func TestLoadCredentials(t *testing.T) {
	dir := t.TempDir()
	cfg := testfiles.Put(t, dir, "config.json", `{"auths":{
		"https://index.docker.io/v1/":{"auth":"aHViOmh1YnB3"},
		"r.example:5000":{"username":"u","password":"p"},
		"https://ghcr.io":{"auth":"Z2g6dG9rZW4="},
		"empty.example":{}},
		"credsStore":"desktop"}`)
	creds, err := loadCredentials(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]credential{"docker.io": {"hub", "hubpw"}, "r.example:5000": {"u", "p"}, "ghcr.io": {"gh", "token"}}
	if len(creds) != len(want) {
		t.Errorf("creds = %v, want %v", creds, want)
	}
	for k, v := range want {
		if creds[k] != v {
			t.Errorf("creds[%s] = %v, want %v", k, creds[k], v)
		}
	}
	// A kubernetes.io/dockercfg secret holds the map alone.
	old := testfiles.Put(t, dir, "dockercfg", `{"r.example":{"auth":"YTpi"}}`)
	if creds, err := loadCredentials(old); err != nil || creds["r.example"] != (credential{"a", "b"}) {
		t.Errorf(".dockercfg: %v, %v", creds, err)
	}
	var ue *UsageError
	for _, content := range []string{"not json", `{"auths":{"r":{"auth":"!!!"}}}`, `{"auths":{"r":{"auth":"bm9jb2xvbg=="}}}`} {
		if _, err := loadCredentials(testfiles.Put(t, dir, "bad.json", content)); !errors.As(err, &ue) || strings.Contains(err.Error(), content) {
			t.Errorf("%q: %v, want a UsageError that does not quote it", content, err)
		}
	}
	if _, err := loadCredentials(filepath.Join(dir, "missing.json")); !errors.As(err, &ue) {
		t.Errorf("missing file: %v, want a UsageError", err)
	}
}

func TestPlatformMatches(t *testing.T) {
	for _, tc := range []struct {
		want, have string
		ok         bool
	}{
		{"linux/amd64", "linux/amd64", true},
		{"linux/arm64", "linux/arm64/v8", true},
		{"linux/arm64/v8", "linux/arm64", true},
		{"linux/arm/v7", "linux/arm/v6", false},
		{"linux/arm", "linux/arm/v7", true},
		{"linux/amd64", "windows/amd64", false},
	} {
		w, _ := ParsePlatform(tc.want)
		h, _ := ParsePlatform(tc.have)
		if got := matches(w, &h); got != tc.ok {
			t.Errorf("%s matches %s = %v, want %v", tc.want, tc.have, got, tc.ok)
		}
	}
	for _, bad := range []string{"linux", "linux/", "/amd64", "a/b/c/d"} {
		if _, err := ParsePlatform(bad); err == nil {
			t.Errorf("ParsePlatform(%q): no error", bad)
		}
	}
}
