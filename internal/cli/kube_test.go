package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/cli"
)

// TestKubeUsageExitsTwo: a k8s:// target that can never work, or
// credentials initbox cannot use, stop before any request.
func TestKubeUsageExitsTwo(t *testing.T) {
	dir := t.TempDir()
	execConfig := filepath.Join(dir, "exec")
	os.WriteFile(execConfig, []byte(`current-context: c
contexts: [{name: c, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {exec: {command: aws, apiVersion: client.authentication.k8s.io/v1}}}]
`), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"wait", "--kubeconfig", execConfig, "k8s://job"}, "want k8s://[NAMESPACE/]KIND/NAME"},
		{[]string{"wait", "--kubeconfig", execConfig, "k8s://job/migrate"}, "exec plugin are not supported"},
		{[]string{"check", "--kubeconfig", filepath.Join(dir, "none"), "k8s://job/migrate"}, "none"},
		{[]string{"wait", "--kubeconfig", execConfig, "k8s://job/m?count=2"}, "count needs a selector"},
	}
	for _, tt := range tests {
		code, _, _, stderr := runInitbox(t, tt.args...)
		if code != cli.ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, cli.ExitUsage, tt.want)
		}
	}
}
