package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// completionScript writes `initbox completion SHELL` to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, _, stdout, stderr := runInitbox(t, "completion", shell)
	if code != ExitOK || !strings.Contains(stdout, "initbox") {
		t.Fatalf("initbox completion %s: exit %d, stdout %q, stderr %q", shell, code, stdout, stderr)
	}
	path := filepath.Join(t.TempDir(), "initbox."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// needShell returns the path of a shell, which scripts/deps.sh installs;
// without it the test skips, or fails where servers are required.
func needShell(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("INITBOX_REQUIRE_SERVERS") != "" || os.Getenv("CI") == "true" {
			t.Fatalf("%s is needed (scripts/deps.sh installs it): %v", name, err)
		}
		t.Skipf("SKIPPED: no %s (scripts/deps.sh installs it)", name)
	}
	return path
}

func TestCompletionScriptsParse(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			script := completionScript(t, shell)
			bin := needShell(t, shell)
			if out, err := exec.Command(bin, "-n", script).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		code, _, stdout, stderr := runInitbox(t, args...)
		if code != ExitUsage || stdout != "" || !strings.Contains(stderr, "want one of bash, zsh or fish") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and the shells", args, code, stdout, stderr)
		}
	}
}

// TestBashCompletes sources the script into a real bash and calls its
// function as bash does on TAB, with COMP_WORDS set.
func TestBashCompletes(t *testing.T) {
	bash := needShell(t, "bash")
	script := completionScript(t, "bash")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tmpl.conf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string // the words before the cursor, and the one being typed
		want []string
	}{
		{"initbox wa", []string{"wait"}},
		{"initbox ", []string{"wait", "check", "fetch", "render", "serve", "run", "version", "completion", "help"}},
		{"initbox -q wa", []string{"wait"}},
		{"initbox --log-format json re", []string{"render"}},
		{"initbox wait --tim", []string{"--timeout"}},
		{"initbox wait tcp://db:5432 --an", []string{"--any"}},
		{"initbox fetch --sha", []string{"--sha256", "--sha512"}},
		{"initbox check --attempt", nil}, // wait's option, not check's
		{"initbox --ver", []string{"--version"}},
		{"initbox help fe", []string{"fetch"}},
		{"initbox completion f", []string{"fish"}},
		{"initbox render tmpl", []string{"tmpl.conf"}},           // files
		{"initbox wait file:///x -- tmp", []string{"tmpl.conf"}}, // the command's own
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			words := strings.Fields(tt.line)
			if strings.HasSuffix(tt.line, " ") {
				words = append(words, "")
			}
			prog := `source "$1"; shift
complete -p initbox >/dev/null || exit 3
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
_initbox
if [[ ${#COMPREPLY[@]} -eq 0 ]] && [[ ${COMP_WORDS[COMP_CWORD]} != -* ]]; then
    compgen -f -- "${COMP_WORDS[COMP_CWORD]}" # -o default: what bash would do
else
    printf '%s\n' "${COMPREPLY[@]}"
fi`
			cmd := exec.Command(bash, append([]string{"--norc", "--noprofile", "-c", prog, "bash", script}, words...)...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("bash: %v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			if !slices.Equal(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("completions %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFishCompletes asks a real fish what it would complete.
func TestFishCompletes(t *testing.T) {
	fish := needShell(t, "fish")
	script := completionScript(t, "fish")
	tests := []struct{ line, want string }{
		{"initbox wa", "wait\t"},
		{"initbox wait --tim", "--timeout\t"},
		{"initbox fetch --state", "--state-dir\t"},
		{"initbox help ch", "check"},
	}
	for _, tt := range tests {
		out, err := exec.Command(fish, "--no-config", "-c", "source $argv[1]; complete -C $argv[2]", script, tt.line).CombinedOutput()
		if err != nil {
			t.Fatalf("fish: %v\n%s", err, out)
		}
		if !strings.HasPrefix(string(out), tt.want) {
			t.Errorf("%q: fish completes %q, want %q first", tt.line, out, tt.want)
		}
	}
}

// TestZshRegisters loads the script into a real zsh, after compinit, and
// checks that it becomes initbox's completion function.
func TestZshRegisters(t *testing.T) {
	zsh := needShell(t, "zsh")
	script := completionScript(t, "zsh")
	prog := `autoload -U compinit && compinit -u -D && source $1 && print -r -- $_comps[initbox]`
	cmd := exec.Command(zsh, "-f", "-c", prog, "zsh", script)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "_initbox" {
		t.Errorf("zsh: %v; initbox completes with %q, want _initbox", err, out)
	}
}
