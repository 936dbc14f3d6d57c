package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMessagesNameFlags: the libraries name options by their Options
// fields; what the user reads must name the flag to change instead.
func TestMessagesNameFlags(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big")
	tmpl := filepath.Join(dir, "f.tmpl")
	os.WriteFile(big, make([]byte, 4096), 0o644)
	os.WriteFile(tmpl, []byte(`{{ file "/etc/hostname" }}`), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"wait", "--expect-regex", "(", "http://app/"}, "initbox: --expect-regex: error parsing regexp"},
		{[]string{"wait", "--ca-file", filepath.Join(dir, "none.pem"), "https://app/"}, "initbox: --ca-file " + dir},
		{[]string{"wait", "--cert", "/x.pem", "https://app/"}, "initbox: --cert/--key: give both"},
		{[]string{"wait", "--password", "a", "--password-file", big, "redis://h:1"}, "give either --password or --password-file, not both"},
		{[]string{"wait", "redis://user@h:1"}, "needs a password: redis://USER:PASSWORD@HOST, --password or --password-file"},
		{[]string{"check", "--header-file", "X=" + filepath.Join(dir, "none"), "http://app/"}, "initbox: --header-file X=" + dir},
		{[]string{"fetch", "--bearer-token-file", filepath.Join(dir, "none"), "-o", filepath.Join(dir, "o"), "http://127.0.0.1:1/x"}, "initbox: --bearer-token-file " + dir},
		{[]string{"fetch", "--header", "Range: 1", "-o", filepath.Join(dir, "o"), "http://127.0.0.1:1/x"}, "initbox: --header Range: initbox sets Range itself"},
		{[]string{"fetch", "--max-size", "1KiB", "-o", filepath.Join(dir, "o"), "file://" + big}, "larger than --max-size"},
		{[]string{"fetch", "-o", dir, "file://" + big}, "or use --dir"},
		{[]string{"render", tmpl}, "allow a directory with --allow-dir"},
		{[]string{"--log-format", "json", "render", tmpl}, "allow a directory with --allow-dir"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, _, _, stderr := runInitbox(t, tt.args...)
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, stderr)
			}
			for _, option := range []string{"Options.", "Limits.", "Job."} {
				if strings.Contains(stderr, option) {
					t.Errorf("stderr names an option (%s…), not its flag:\n%s", option, stderr)
				}
			}
		})
	}
}
