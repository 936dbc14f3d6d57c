package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

func TestPasswordFromEnvironmentAndFile(t *testing.T) {
	addr := testnet.MiniRedis(t, "s3cret")
	file := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(file, []byte("s3cret\n"), 0o600)
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantCode int
		want     string // in stderr
	}{
		{"INITBOX_PASSWORD", map[string]string{"INITBOX_PASSWORD": "s3cret"}, nil, 0, ""},
		{"INITBOX_PASSWORD_FILE", map[string]string{"INITBOX_PASSWORD_FILE": file}, nil, 0, ""},
		{"--password-file", nil, []string{"--password-file", file}, 0, ""},
		{"wrong password", map[string]string{"INITBOX_PASSWORD": "wr0ng"}, nil, 1, "redis: authentication failed: WRONGPASS"},
		{"no password", nil, nil, 1, "redis: authentication failed: NOAUTH"},
		{"both", map[string]string{"INITBOX_PASSWORD": "s3cret"}, []string{"--password-file", file}, 2, "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := append(append([]string{"check"}, tt.args...), "redis://"+addr)
			code, _, _, stderr := runInitbox(t, args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tt.wantCode, tt.want)
			}
			if strings.Contains(stderr, "s3cret") || strings.Contains(stderr, "wr0ng") {
				t.Errorf("stderr shows the password: %q", stderr)
			}
		})
	}
}
