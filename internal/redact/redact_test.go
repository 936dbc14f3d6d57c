package redact

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://app:8080/healthz", "http://app:8080/healthz"},
		{"postgres://app:s3cret@db:5432/x", "postgres://app:xxxxx@db:5432/x"},
		{"https://user@host/", "https://user@host/"},
		{"https://h/f?token=abc&page=2", "https://h/f?page=2&token=xxxxx"},
		{"https://h/f?X-Amz-Signature=abc&X-Amz-Credential=def", "https://h/f?X-Amz-Credential=xxxxx&X-Amz-Signature=xxxxx"},
		{"db:5432", "db:5432"},
		{"not a url %zz", "not a url %zz"},
		{"http://u:s3cr3t@[::1/x", "http://u:xxxxx@[::1/x"},
		{"http://u:p@ss@h%zz/", "http://u:xxxxx@h%zz/"},
		// Passwords with characters that break the URL: hidden by shape.
		{"redis://:s3/cret@h:6379", "redis://:xxxxx@h:6379"},
		{"http://u:s3cr?et@h/x", "http://u:xxxxx@h/x"},
		{"http://u:s3cr#et@h/x", "http://u:xxxxx@h/x"},
		// ... or that leave a URL that parses, with no user and the password
		// in what url.Parse takes for the fragment or the query.
		{"http://#:s3cr3t@00000", "http://#:xxxxx@00000"},
		{"http://?:s3cr3t@h/x", "http://?:xxxxx@h/x"},
		{"http://#:s3/cr3t@h", "http://#:xxxxx@h"}, // a "/" in such a password too
		{"http://?:s3/cr3t@h/db", "http://?:xxxxx@h/db"},
		{"http://h/x?a=b:c@d", "http://h/x?a=b:c@d"},
		{"http://[::1/x?page=2&token=s3cret&sig=", "http://[::1/x?page=2&token=xxxxx&sig="},
		{"http://u:pw@[::1/x?token=s3cret", "http://u:xxxxx@[::1/x?token=xxxxx"},
	}
	for _, tt := range tests {
		if got := URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"http://app/healthz?page=2", nil},
		{"postgres://app:s3cret@db/x?token=t0k", []string{"s3cret", "t0k"}},
		{"dns://u:s3cret@name", []string{"s3cret"}},
		{"redis://:s3/cret@h", []string{"s3/cret"}},
		{"http://[::1/x?access_token=t0k", []string{"t0k"}},
	}
	for _, tt := range tests {
		got := Secrets(tt.in)
		slices.Sort(got)
		if !slices.Equal(got, tt.want) {
			t.Errorf("Secrets(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHide(t *testing.T) {
	got := Hide(`name "u:s3cret@h" and s3cret-longer`, []string{"s3cret", "s3cret-longer", ""})
	if want := `name "u:xxxxx@h" and xxxxx`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseError(t *testing.T) {
	for _, in := range []string{"redis://:s3cret/x@h", "http://u:s3cret#x@h/", "http://[::1/?token=s3cret"} {
		_, err := url.Parse(in)
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Fatalf("%q parses", in)
		}
		if msg := ParseError(in, err); strings.Contains(msg, "s3cret") || !strings.HasPrefix(msg, "bad URL") {
			t.Errorf("ParseError(%q) = %q", in, msg)
		}
	}
}

func TestEnvSecrets(t *testing.T) {
	env := map[string]string{
		"DB_PASSWORD": "s3cret-pw", "API_TOKEN": "t0ken-value", "DATABASE_URL": "postgres://app:url-pw-1@db/app",
		"AUTH_ENABLED": "true", "HOME": "/root", "PORT": "8080", "OTHER_KEY": "s3cret-pw",
	}
	got := EnvSecrets(env)
	if want := []string{"s3cret-pw", "t0ken-value", "url-pw-1"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
