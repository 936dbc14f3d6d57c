package checks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/option"
)

func TestParseRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, target string
		opts         Options
		want         string // in the message
	}{
		{"unknown scheme", "ftp://host:21", Options{}, `unknown scheme "ftp"`},
		{"bare word", "database", Options{}, "not a target"},
		{"missing port", "tcp://db", Options{}, "missing port"},
		{"port zero", "tcp://db:0", Options{}, `bad port "0"`},
		{"port too big", "db:70000", Options{}, `bad port "70000"`},
		{"port name", "tcp://db:postgres", Options{}, `bad port "postgres"`},
		{"empty host", "tcp://:80", Options{}, "missing host"},
		{"bad URL", "http://[::1/x", Options{}, "bad URL"},
		{"URL without host", "http:///path", Options{}, "missing host"},
		{"bad regex", "http://app/", Options{HTTP: HTTPOptions{ExpectRegex: "a(b"}}, string(option.ExpectRegex)},
		{"bad status", "http://app/", Options{HTTP: HTTPOptions{Status: "2xx"}}, "not an HTTP status"},
		{"backwards range", "http://app/", Options{HTTP: HTTPOptions{Status: "399-200"}}, "runs backwards"},
		{"bad header", "http://app/", Options{HTTP: HTTPOptions{Headers: []string{"NoColonHere"}}}, `want "Name: value"`},
		{"bad header name", "http://app/", Options{HTTP: HTTPOptions{Headers: []string{"Bad Name: x"}}}, "not a valid header name"},
		{"missing header file", "http://app/", Options{HTTP: HTTPOptions{HeaderFiles: []string{"Authorization=" + filepath.Join(dir, "nope")}}}, "no such file"},
		{"unreadable CA file", "https://app/", Options{HTTP: HTTPOptions{TLS: TLSOptions{CAFile: filepath.Join(dir, "missing.pem")}}}, string(option.CAFile)},
		{"CA file without PEM", "https://app/", Options{HTTP: HTTPOptions{TLS: TLSOptions{CAFile: notPEM}}}, "no PEM certificates"},
		{"cert without key", "https://app/", Options{HTTP: HTTPOptions{TLS: TLSOptions{CertFile: notPEM}}}, "give both"},
		{"relative unix path", "unix://run/app.sock", Options{}, "absolute path"},
		{"file with host", "file://shared/ready", Options{}, "three slashes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.target, tt.opts)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) = %v, %v; want a *UsageError", tt.target, c, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to mention %q", err, tt.want)
			}
			if c != nil {
				t.Errorf("got a checker %v along with the error", c)
			}
		})
	}
}

func TestParseRedactsPasswords(t *testing.T) {
	c, err := Parse("http://user:s3cret@app:8080/ready?token=abc123", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"s3cret", "abc123"} {
		if strings.Contains(c.String(), secret) {
			t.Errorf("String() = %q shows %q", c, secret)
		}
	}
	_, err = Parse("gopher://user:s3cret@app:8080/", Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error %q leaks the password", err)
	}
}
