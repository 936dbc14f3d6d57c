package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageMessages checks what a newcomer's typos get: a suggestion, the
// unit a duration lacks, "initbox" named once, and exit 2 every time. A
// k8s:// target that can never work, or credentials initbox cannot use,
// stop there too, before any request.
func TestUsageMessages(t *testing.T) {
	dir := t.TempDir()
	execConfig := filepath.Join(dir, "exec")
	os.WriteFile(execConfig, []byte(`current-context: c
contexts: [{name: c, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}}}]
`), 0o600)
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    string
		notWant string
	}{
		{"command typo", nil, []string{"wiat", "x:1"}, `unknown command "wiat": did you mean "wait"?`, ""},
		{"command prefix", nil, []string{"ren"}, `did you mean "render"?`, ""},
		{"no near command", nil, []string{"frobnicate"}, `unknown command "frobnicate" (want wait, check`, "did you mean"},
		{"help typo", nil, []string{"help", "fecth"}, `did you mean "fetch"?`, ""},
		{"option typo", nil, []string{"wait", "--timout", "1s", "x:1"}, "unknown option --timout: did you mean --timeout? (see initbox wait --help)", ""},
		{"option typo after target", nil, []string{"check", "x:1", "--tiemout", "1s"}, "did you mean --timeout?", ""},
		{"no near option", nil, []string{"wait", "--frob", "x:1"}, "unknown option --frob (see initbox wait --help)", "did you mean"},
		{"global option", nil, []string{"--verison"}, "unknown option --verison: did you mean --version? (see initbox --help)", "initbox initbox"},
		{"global option value", nil, []string{"--log-format"}, "--log-format needs a value (see initbox --help)", "initbox initbox"},
		{"duration without unit", nil, []string{"wait", "--timeout", "3", "x:1"}, `--timeout "3": missing unit, e.g. 3s`, "parse error"},
		{"fraction without unit", nil, []string{"fetch", "--stall-timeout", "1.5", "-o", "f", "http://h/f"}, "missing unit, e.g. 1.5s", ""},
		{"bad duration", nil, []string{"render", "--timeout", "soon", "t"}, `--timeout "soon": want a duration such as`, "parse error"},
		{"environment without unit", map[string]string{"INITBOX_TIMEOUT": "3"}, []string{"wait", "x:1"}, `INITBOX_TIMEOUT="3" (for --timeout): missing unit, e.g. 3s`, ""},
		{"bad number", nil, []string{"wait", "--dns-min", "many", "dns://x"}, `--dns-min "many": want a whole number`, ""},
		{"value missing at the end", nil, []string{"wait", "x:1", "--timeout"}, "--timeout needs a value", "not a target"},
		{"host:port/path", nil, []string{"wait", "localhost:18080/healthz"}, `did you mean http://localhost:18080/healthz?`, ""},
		{"host:port/path check", nil, []string{"check", "db:5432/ready?x=1"}, `did you mean http://db:5432/ready?x=1?`, ""},
		{"k8s without a name", nil, []string{"wait", "--kubeconfig", execConfig, "k8s://job"}, "want k8s://[NAMESPACE/]KIND/NAME", ""},
		{"k8s exec credentials", nil, []string{"wait", "--kubeconfig", execConfig, "k8s://job/migrate"}, "exec plugin are not supported", ""},
		{"k8s no kubeconfig", nil, []string{"check", "--kubeconfig", filepath.Join(dir, "none"), "k8s://job/migrate"}, "none", ""},
		{"k8s count without selector", nil, []string{"wait", "--kubeconfig", execConfig, "k8s://job/m?count=2"}, "count needs a selector", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, _, stdout, stderr := runInitbox(t, tt.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, stderr)
			}
			if tt.notWant != "" && strings.Contains(stderr, tt.notWant) {
				t.Errorf("stderr says %q:\n%s", tt.notWant, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing on a usage error", stdout)
			}
		})
	}
}

func TestNearest(t *testing.T) {
	names := []string{"wait", "check", "fetch", "render", "version", "timeout", "attempt-timeout", "o", "q"}
	tests := []struct{ typed, want string }{
		{"wiat", "wait"}, {"wai", "wait"}, {"chekc", "check"}, {"fecth", "fetch"},
		{"timout", "timeout"}, {"tiemout", "timeout"}, {"attempt-timout", "attempt-timeout"},
		{"x", ""}, {"p", ""}, {"frob", ""}, {"ve", "version"}, {"WAIT", "wait"},
	}
	for _, tt := range tests {
		if got := nearest(tt.typed, names); got != tt.want {
			t.Errorf("nearest(%q) = %q, want %q", tt.typed, got, tt.want)
		}
	}
}
