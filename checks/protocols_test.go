package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// protocolSchemes are the protocol checks, each with a URL form that
// carries a password.
var protocolSchemes = []string{
	"postgres://app:s3cret@%s/db",
	"mysql://app:s3cret@%s/db",
	"redis://:s3cret@%s/0",
	"rediss://app:s3cret@%s",
	"amqp://app:s3cret@%s/vhost",
	"amqps://app:s3cret@%s",
	"nats://app:s3cret@%s",
	"mqtt://app:s3cret@%s",
	"mqtts://app:s3cret@%s",
	"grpc://%s/app.Service",
	"grpcs://%s",
}

func forEachScheme(t *testing.T, addr string, f func(t *testing.T, c Checker)) {
	for _, form := range protocolSchemes {
		target := strings.Replace(form, "%s", addr, 1)
		t.Run(strings.SplitN(form, ":", 2)[0], func(t *testing.T) {
			f(t, mustParse(t, target, Options{}))
		})
	}
}

func TestProtocolsNotThere(t *testing.T) {
	late := testnet.NewLate(t)
	forEachScheme(t, late.Addr, func(t *testing.T, c Checker) {
		err := c.Check(t.Context())
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("got %v, want connection refused", err)
		}
		if strings.Contains(c.String(), "s3cret") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the password shows in %q or %q", c, err)
		}
	})
}

func TestProtocolsSilentServer(t *testing.T) {
	// A server that accepts and never says a word: every check gives up
	// at its deadline, and at once when the context is cancelled (SIGTERM).
	ln := testnet.Listen(t)
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	forEachScheme(t, ln.Addr().String(), func(t *testing.T, c Checker) {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := c.Check(ctx); err == nil || !(errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)) {
			t.Errorf("deadline: got %v, want a timeout", err)
		}
		ctx, cancel = context.WithCancel(t.Context())
		time.AfterFunc(50*time.Millisecond, cancel)
		if err := c.Check(ctx); err == nil {
			t.Error("cancelled: got ready")
		}
	})
}

func TestProtocolUsageErrors(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("x"), 0o600)
	tests := []struct {
		name, target string
		auth         AuthOptions
		want         string
	}{
		{"bad sslmode", "postgres://db/app?sslmode=maybe", AuthOptions{}, "sslmode=maybe: want disable, prefer"},
		{"unknown parameter", "postgres://db/app?connect_timeout=5", AuthOptions{}, `unknown parameter "connect_timeout" (want sslmode)`},
		{"parameter where none go", "redis://db?timeout=1", AuthOptions{}, "this scheme takes none"},
		{"bad port", "mysql://db:99999", AuthOptions{}, `bad port "99999"`},
		{"missing host", "amqp:///vhost", AuthOptions{}, "missing host"},
		{"redis database not a number", "redis://db/cache", AuthOptions{}, "want a database number"},
		{"redis user without password", "redis://app@db", AuthOptions{}, `user "app" needs a password`},
		{"nats path", "nats://db/x", AuthOptions{}, "has no path"},
		{"mqtt path", "mqtt://db/x", AuthOptions{}, "has no path"},
		{"grpc without port", "grpc://api", AuthOptions{}, "missing port"},
		{"grpc with a user", "grpc://me:pw@api:50051", AuthOptions{}, "takes no user"},
		{"both password options", "postgres://app@db", AuthOptions{Password: "x", PasswordFile: pw}, "not both"},
		{"missing password file", "postgres://app@db", AuthOptions{PasswordFile: pw + ".missing"}, string(option.PasswordFile)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.target, Options{Auth: tt.auth})
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) = %v, %v; want a *UsageError", tt.target, c, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Errorf("%q shows the password", err)
			}
		})
	}
}

func TestPasswordFileReadEveryAttempt(t *testing.T) {
	// A rotated secret is used from the next attempt on.
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("old\n"), 0o600)
	cred, err := newCredential(nil, AuthOptions{PasswordFile: pw})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"old", "new"} {
		os.WriteFile(pw, []byte(want+"\r\n"), 0o600)
		if got, err := cred.get(); err != nil || got != want {
			t.Errorf("got %q, %v; want %q", got, err, want)
		}
	}
}

// loginCase is one way of logging in to a server: url holds %s for the
// server's address; want is "" for ready, else what the error must say
// (see checkVerdict).
type loginCase struct {
	name, url string
	auth      AuthOptions
	want      string
}

// checkLogins checks every case against the server at addr.
func checkLogins(t *testing.T, addr string, tests []loginCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mustParse(t, fmt.Sprintf(tt.url, addr), Options{Auth: tt.auth}).Check(t.Context())
			checkVerdict(t, err, tt.want, "secret", "nope")
		})
	}
}

// passwordFile writes a password file, as a mounted secret holds it.
func passwordFile(t *testing.T, password string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
