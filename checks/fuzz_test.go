package checks

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// hasPassword matches targets whose userinfo carries the password s3cr3t.
var hasPassword = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@]*:s3cr3t@`)

// FuzzParse feeds arbitrary targets to Parse: it must return a checker or a
// *UsageError, never panic, and never echo a URL password in its message
// or in the checker's name, which is logged.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"tcp://db:5432", "db:5432", "tcp://[::1]:80", "http://app:8080/healthz",
		"https://u:pw@api/ready?token=x", "dns://myservice", "dns://a.b.c.", "unix:///run/a.sock",
		"file:///shared/ready", "ftp://x", "http://u:s3cr3t@[::1/", "gopher://u:s3cr3t@h/", "tcp://db", "http://[::1/", "", "::", "dns://", "file://host/x",
		"dns://u:s3cr3t@name", "tcp://u:s3cr3t@h", "tcp://u:s3cr3t@h:1", "file://u:s3cr3t@localhost/x", "unix://u:s3cr3t@/run/a.sock",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, target string) {
		c, err := Parse(target, Options{})
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error %v is not a *UsageError", target, err)
			}
			if c != nil {
				t.Fatalf("Parse(%q) returned a checker with an error", target)
			}
			// Where s3cr3t is also the host or a path, it may rightly be
			// shown there: only a target holding it once, as the password,
			// can tell.
			if hasPassword.MatchString(target) && strings.Count(target, "s3cr3t") == 1 && strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("message %q shows the password", err)
			}
			return
		}
		if c == nil {
			t.Fatalf("Parse(%q) returned neither checker nor error", target)
		}
		if hasPassword.MatchString(target) && strings.Contains(c.String(), ":s3cr3t@") {
			t.Fatalf("String() %q shows the password", c.String())
		}
	})
}
