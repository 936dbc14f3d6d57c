package processtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/cli"
	"github.com/initbox/initbox/internal/testutil/faults"
	"github.com/initbox/initbox/internal/testutil/testnet"
)

// secretEnv is one token placed everywhere a secret can go: URL passwords
// and query parameters, header values inline and from files, bearer-token
// and password files, protocol URLs, and environment variables that
// templates read. Servers and files for the runs of every subcommand are
// ready in it.
type secretEnv struct {
	token             string
	web               string // an HTTP server, see secretHandler
	refused           string // HOST:PORT refusing connections
	closer            string // HOST:PORT closing every connection at once
	redis             string // a Redis with the token as its password
	headerFile        string // "Bearer <token>"
	ready             string // a file that exists
	tokenFile, pwFile string // the token alone
}

func newSecretEnv(t *testing.T) *secretEnv {
	b := make([]byte, 8)
	rand.Read(b)
	s := &secretEnv{token: "Tok" + hex.EncodeToString(b)}
	s.refused = testnet.NewLate(t).Addr
	s.closer = faults.AcceptClose(t)
	s.redis = testnet.MiniRedis(t, s.token)
	srv := httptest.NewServer(s.handler())
	t.Cleanup(srv.Close)
	s.web = srv.URL
	dir := t.TempDir()
	s.headerFile, s.tokenFile, s.pwFile = filepath.Join(dir, "header"), filepath.Join(dir, "token"), filepath.Join(dir, "pw")
	s.ready = filepath.Join(dir, "ready")
	for path, data := range map[string]string{s.headerFile: "Bearer " + s.token + "\n", s.tokenFile: s.token + "\n", s.pwFile: s.token, s.ready: ""} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("DB_PASSWORD", s.token)
	t.Setenv("API_TOKEN", s.token)
	t.Setenv("DB_URL", "postgres://app:"+s.token+"@db:5432/app")
	return s
}

// handler serves /ok, /auth (the token as bearer), /slow (never answers),
// /sums (a checksum file with a wrong sum for ok), /signed (a redirect to a
// signed URL on a refused port), /signed-404 (a redirect to a signed URL
// that is not found); anything else is 404.
func (s *secretEnv) handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signed := "?X-Amz-Signature=" + s.token + "&token=" + s.token
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("content\n"))
		case "/auth":
			if r.Header.Get("Authorization") != "Bearer "+s.token {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			w.Write([]byte("private\n"))
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(time.Minute):
			}
		case "/sums":
			w.Write([]byte(strings.Repeat("00", 32) + "  ok\n"))
		case "/signed":
			http.Redirect(w, r, "http://u:"+s.token+"@"+s.refused+"/object"+signed, http.StatusFound)
		case "/signed-404":
			http.Redirect(w, r, "/missing"+signed, http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
}

// url gives a URL of the web server with the token as password and in the
// query.
func (s *secretEnv) url(path string) string {
	return strings.Replace(s.web, "://", "://user:"+s.token+"@", 1) + path + "?token=" + s.token + "&access_token=" + s.token
}

// secretRun is one command line; args gets a fresh directory for outputs.
type secretRun struct {
	name  string
	code  int
	want  string // in stdout
	args  func(dir string) []string
	setup func(t *testing.T, dir string)
}

func (s *secretEnv) waitRuns() []secretRun {
	tok := s.token
	protocols := []string{
		"postgres://app:" + tok + "@" + s.refused + "/db", "mysql://app:" + tok + "@" + s.closer + "/db",
		"redis://:" + tok + "@" + s.refused, "amqp://app:" + tok + "@" + s.closer + "/",
		"nats://app:" + tok + "@" + s.closer, "mqtt://app:" + tok + "@" + s.refused,
		"postgres://app:" + tok + "@" + s.closer + "/db", "redis://:" + tok + "@" + s.closer,
	}
	var runs []secretRun
	for _, cmd := range []string{"wait", "check"} {
		failed, timeout := cli.ExitTimeout, []string{"--timeout", "400ms", "--attempt-timeout", "200ms", "--interval", "50ms", "--max-interval", "100ms"}
		if cmd == "check" {
			failed, timeout = cli.ExitFailed, []string{"--timeout", "2s"}
		}
		with := func(args ...string) func(string) []string {
			return func(string) []string { return append(append([]string{cmd}, timeout...), args...) }
		}
		// Runs that succeed get time enough for a loaded machine.
		ready := func(args ...string) func(string) []string {
			return func(string) []string { return append([]string{cmd, "--timeout", "30s"}, args...) }
		}
		runs = append(runs,
			secretRun{name: cmd + " ready", code: 0, args: ready(s.url("/ok"), "redis://:"+tok+"@"+s.redis, "file://u:"+tok+"@localhost"+s.ready)},
			secretRun{name: cmd + " http 404", code: failed, args: with(s.url("/missing"))},
			secretRun{name: cmd + " http refused", code: failed, args: with("http://u:" + tok + "@" + s.refused + "/?token=" + tok)},
			secretRun{name: cmd + " http slow", code: failed, args: with(s.url("/slow"))},
			secretRun{name: cmd + " redirect to signed", code: failed, args: with("--follow-redirects", s.web+"/signed")},
			secretRun{name: cmd + " headers", code: failed, args: with("--header-file", "Authorization="+s.headerFile,
				"--header", "X-Api-Key: "+tok, s.web+"/missing")},
			secretRun{name: cmd + " header accepted", code: 0, args: ready("--header-file", "Authorization="+s.headerFile, s.web+"/auth")},
			secretRun{name: cmd + " protocols", code: failed, args: with(protocols...)},
			secretRun{name: cmd + " password file", code: failed, args: with("--password-file", s.pwFile,
				"postgres://app@"+s.closer+"/db", "redis://"+s.closer, "mysql://app@"+s.closer+"/db")},
			secretRun{name: cmd + " wrong redis password", code: failed, args: with("redis://:" + tok + "x@" + s.redis)},
			secretRun{name: cmd + " password with @", code: failed, args: with("amqp://u:x@" + tok + "@" + s.refused + "/")},
		)
	}
	usage := [][]string{
		{"wait", "http://u:" + tok + "@[::1/"}, {"check", "ftp://u:" + tok + "@h/"},
		{"wait", "--header", tok, "http://h/"}, {"check", "--header", "Bad Name: " + tok, "http://h/"},
		{"wait", "--header", "X-Key: " + tok + "\x00", "http://h/"}, {"wait", "tcp://u:" + tok + "@h"},
		{"check", "grpc://u:" + tok + "@h:1"}, {"wait", "--password", tok, "--password-file", s.pwFile, "redis://h:1"},
		{"wait", "--header-file", "X-Key" + tok, "http://h/"}, {"check", "dns://u:" + tok + "@name"},
		{"wait", "dns://name?token=" + tok}, {"wait", "tcp://h:1?token=" + tok}, {"check", "unix://u:" + tok + "@h/run/a.sock"},
		// Passwords with characters a URL needs escaped: the URL breaks.
		{"wait", "redis://:" + tok + "/x@h"}, {"check", "http://u:" + tok + "/x@h/"}, {"wait", "postgres://u:" + tok + "#x@h/db"},
		{"check", "mysql://u:" + tok + "?x@h/db"}, {"wait", "file://u:" + tok + "/x@localhost/ready"},
		{"check", "http://[::1/x?token=" + tok},
		// The secret given where its file's path belongs.
		{"wait", "--password-file", tok, "redis://h:1"}, {"check", "--header-file", "Authorization=" + tok, "http://h/"},
	}
	for _, args := range usage {
		name := strings.ReplaceAll(strings.Join(args, " "), tok, "TOKEN")
		runs = append(runs, secretRun{name: "usage " + name, code: cli.ExitUsage, args: fixed(args...)})
	}
	return runs
}

func fixed(args ...string) func(string) []string { return func(string) []string { return args } }

func (s *secretEnv) fetchRuns() []secretRun {
	tok := s.token
	// Runs that succeed or fail at once get time enough for a loaded
	// machine; those that are retried until the timeout, half a second.
	out := func(args ...string) func(string) []string {
		return func(dir string) []string {
			return append([]string{"fetch", "--timeout", "30s", "-o", filepath.Join(dir, "out")}, args...)
		}
	}
	retried := func(args ...string) func(string) []string {
		return func(dir string) []string {
			return append([]string{"fetch", "--timeout", "500ms", "-o", filepath.Join(dir, "out")}, args...)
		}
	}
	return []secretRun{
		{name: "fetch ok", code: 0, args: out(s.url("/ok"))},
		{name: "fetch 404", code: cli.ExitFailed, args: out(s.url("/missing"))},
		{name: "fetch refused", code: cli.ExitTimeout, args: retried("http://u:" + tok + "@" + s.refused + "/f?token=" + tok)},
		{name: "fetch slow", code: cli.ExitTimeout, args: retried("--stall-timeout", "200ms", s.url("/slow"))},
		{name: "fetch bearer file", code: 0, args: out("--bearer-token-file", s.tokenFile, s.web+"/auth")},
		{name: "fetch header file", code: 0, args: out("--header-file", "Authorization="+s.headerFile, s.web+"/auth")},
		{name: "fetch header", code: cli.ExitFailed, args: out("--header", "Authorization: Bearer "+tok+"x", s.web+"/auth")},
		{name: "fetch bearer 404", code: cli.ExitFailed, args: out("--bearer-token-file", s.tokenFile, s.web+"/missing")},
		{name: "fetch signed redirect", code: cli.ExitTimeout, args: retried(s.web + "/signed")},
		{name: "fetch signed 404", code: cli.ExitFailed, args: out(s.url("/signed-404"))},
		{name: "fetch checksum mismatch", code: cli.ExitFailed, args: out("--checksum-url", s.url("/sums"), s.url("/ok"))},
		{name: "fetch checksum missing", code: cli.ExitFailed, args: out("--checksum-url", s.url("/nosums"), s.url("/ok"))},
		{name: "fetch extract", code: cli.ExitFailed, args: out("--extract", s.url("/ok"))},
		{name: "fetch pairs", code: cli.ExitFailed, args: func(dir string) []string {
			return []string{"fetch", s.url("/ok") + "=" + filepath.Join(dir, "a"), s.url("/missing") + "=" + filepath.Join(dir, "b")}
		}},
		{name: "fetch no destination", code: cli.ExitUsage, args: fixed("fetch", s.url("/ok"))},
		{name: "fetch token as its file", code: cli.ExitUsage, args: out("--bearer-token-file", tok, s.web+"/auth")},
		{name: "fetch header as its file", code: cli.ExitUsage, args: out("--header-file", "X-Key="+tok, s.web+"/auth")},
		{name: "fetch bad scheme", code: cli.ExitUsage, args: out("ftp://u:" + tok + "@h/f?token=" + tok)},
		{name: "fetch password with slash", code: cli.ExitUsage, args: out("http://u:" + tok + "/x@h/f")},
		{name: "fetch password with hash", code: cli.ExitUsage, args: out("https://u:" + tok + "#x@h/f")},
		{name: "fetch broken query", code: cli.ExitUsage, args: out("http://[::1/x?token=" + tok)},
		{name: "fetch bad checksum URL", code: cli.ExitUsage, args: out("--checksum-url", "sums?token="+tok, s.url("/ok"))},
		{name: "fetch same destination", code: cli.ExitUsage, args: func(dir string) []string {
			return []string{"fetch", "--dir", dir, s.url("/ok"), strings.Replace(s.url("/ok"), "user:", "other:", 1)}
		}},
	}
}

func (s *secretEnv) renderRuns() []secretRun {
	tmpl := func(text string) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "t.tmpl"), []byte(text), 0o644)
			os.WriteFile(filepath.Join(dir, "out"), []byte("password: old\n"), 0o644)
		}
	}
	render := func(args ...string) func(string) []string {
		return func(dir string) []string {
			return append(append([]string{"render"}, args...), "-o", filepath.Join(dir, "out"), filepath.Join(dir, "t.tmpl"))
		}
	}
	good := "password: {{ .Env.DB_PASSWORD }}\n"
	return []secretRun{
		{name: "render ok", code: 0, setup: tmpl(good), args: render()},
		{name: "render other key missing", code: cli.ExitFailed, setup: tmpl(good + "host: {{ .Env.DB_HOST_UNSET }}\n"), args: render()},
		{name: "render check", code: cli.ExitFailed, setup: tmpl(good), args: render("--check")},
		{name: "render syntax", code: cli.ExitUsage, setup: tmpl(good + "{{ if }}\n"), args: render()},
		{name: "render atoi", code: cli.ExitFailed, setup: tmpl("port: {{ .Env.API_TOKEN | atoi }}\n"), args: render()},
		{name: "render int", code: cli.ExitFailed, setup: tmpl("port: {{ int .Env.API_TOKEN }}\n"), args: render()},
		{name: "render fromJson", code: cli.ExitFailed, setup: tmpl("{{ fromJson .Env.API_TOKEN }}\n"), args: render()},
		{name: "render fromYaml", code: cli.ExitFailed, setup: tmpl("{{ fromYaml (printf \"a: [%s\" .Env.API_TOKEN) }}\n"), args: render()},
		{name: "render b64dec", code: cli.ExitFailed, setup: tmpl("{{ b64dec .Env.API_TOKEN }}\n"), args: render()},
		{name: "render index", code: cli.ExitFailed, setup: tmpl("{{ index .Env.DB_URL 999 }}\n"), args: render()},
		{name: "render field", code: cli.ExitFailed, setup: tmpl("{{ .Env.DB_URL.host }}\n"), args: render()},
		{name: "render envsubst", code: cli.ExitFailed, setup: tmpl("password: ${DB_PASSWORD}\nhost: ${DB_HOST_UNSET:?set DB_HOST_UNSET}\n"), args: render("--envsubst")},
		{name: "render validate", code: cli.ExitFailed, setup: tmpl(good), args: render("--validate", "false {}")},
		{name: "render data", code: cli.ExitFailed, setup: s.data("password: "+s.token+"\n", "{{ .creds.password | atoi }}\n"),
			args: func(dir string) []string { return render("--data", "creds="+filepath.Join(dir, "creds.yaml"))(dir) }},
		{name: "render bad data", code: cli.ExitUsage, setup: s.data("password: "+s.token+": [\n", "{{ .creds }}\n"),
			args: func(dir string) []string { return render("--data", "creds="+filepath.Join(dir, "creds.yaml"))(dir) }},
		// The diff and a validator's output show the file: the secret is
		// hidden there, and so is the old value it replaces.
		{name: "render diff", code: 0, setup: tmpl(good + "url: {{ .Env.DB_URL }}\n"), args: render("--diff"), want: "+password: xxxxx\n"},
		{name: "render validator quoting", code: cli.ExitFailed, setup: tmpl(good), args: render("--validate", `sh -c "cat {}; exit 1"`)},
	}
}

// data writes a --data file, creds.yaml, and a template that reads it.
func (s *secretEnv) data(yaml, text string) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		os.WriteFile(filepath.Join(dir, "creds.yaml"), []byte(yaml), 0o600)
		os.WriteFile(filepath.Join(dir, "t.tmpl"), []byte(text), 0o644)
	}
}

// TestSecretsNeverPrinted runs every subcommand with the token in every
// place a secret goes, on success and on each kind of failure, with text
// and JSON logs and with -q, and fails for any run whose stdout or stderr
// carries the token.
func TestSecretsNeverPrinted(t *testing.T) {
	s := newSecretEnv(t)
	runs := append(append(s.waitRuns(), s.fetchRuns()...), s.renderRuns()...)
	formats := []struct {
		name  string
		flags []string
	}{{"text", nil}, {"json", []string{"--log-format", "json"}}, {"quiet", []string{"-q"}}}
	for _, r := range runs {
		for _, f := range formats {
			t.Run(r.name+"/"+f.name, func(t *testing.T) {
				dir := t.TempDir()
				if r.setup != nil {
					r.setup(t, dir)
				}
				args := append(append([]string{}, f.flags...), r.args(dir)...)
				code, _, stdout, stderr := runInitbox(t, args...)
				if code != r.code {
					t.Errorf("exit %d, want %d; stderr:\n%s", code, r.code, stderr)
				}
				if code != 0 && stderr == "" {
					t.Error("failed with nothing on stderr")
				}
				if !strings.Contains(stdout, r.want) {
					t.Errorf("stdout %q does not hold %q", stdout, r.want)
				}
				s.assertHidden(t, "stdout", stdout)
				s.assertHidden(t, "stderr", stderr)
			})
		}
	}
}

// TestSecretsNeverPrintedByProxyErrors runs the real binary, since
// net/http reads the proxy variables once per process.
func TestSecretsNeverPrintedByProxyErrors(t *testing.T) {
	s := newSecretEnv(t)
	cmd := exec.Command(binary, "fetch", "--timeout", "1s", "-o", filepath.Join(t.TempDir(), "out"), "http://files.invalid/f")
	proxy := "http://proxy:" + s.token + "@" + s.refused
	cmd.Env = append(os.Environ(), "HTTP_PROXY="+proxy, "HTTPS_PROXY="+proxy, "NO_PROXY=")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != cli.ExitTimeout || !strings.Contains(string(out), "proxyconnect") {
		t.Errorf("got %v, want exit %d after trying the proxy; output:\n%s", err, cli.ExitTimeout, out)
	}
	s.assertHidden(t, "output", string(out))
}

// assertHidden fails if text holds the token, its end alone (a message
// that cut its start), or the Basic credentials made from it.
func (s *secretEnv) assertHidden(t *testing.T, what, text string) {
	t.Helper()
	for _, form := range []string{s.token, s.token[3:], base64.StdEncoding.EncodeToString([]byte("user:" + s.token))} {
		if strings.Contains(text, form) {
			t.Errorf("%s shows the secret %q:\n%s", what, form, text)
			return
		}
	}
}
