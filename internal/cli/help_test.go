package cli

import (
	"slices"
	"strings"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	_, _, want, _ := runInitbox(t, "version")
	for _, flag := range []string{"--version", "-v"} {
		code, _, stdout, stderr := runInitbox(t, flag)
		if code != ExitOK || stdout != want || stderr != "" {
			t.Errorf("initbox %s: exit %d, stdout %q, stderr %q; want 0 and %q", flag, code, stdout, stderr, want)
		}
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args []string
		want string // on stdout: help asked for is the output
	}{
		{[]string{"help"}, "COMMANDS:"},
		{[]string{"--help"}, "COMMANDS:"},
		{[]string{"-h"}, "COMMANDS:"},
		{[]string{"help", "wait"}, "initbox wait [options] TARGET..."},
		{[]string{"wait", "--help"}, "initbox wait [options] TARGET..."},
		{[]string{"wait", "tcp://db:1", "--help"}, "initbox wait [options] TARGET..."},
		{[]string{"help", "completion"}, "source <(initbox completion bash)"},
		// Each form of a command's usage on a line of its own, all indented alike.
		{[]string{"help", "fetch"}, "\n   initbox fetch [options] URL... [-- COMMAND [ARG...]]\n   initbox fetch [options] URL=PATH...\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stdout, stderr := runInitbox(t, tt.args...)
			if code != ExitOK || !strings.Contains(stdout, tt.want) {
				t.Errorf("exit %d, want 0 and %q on stdout:\n%s\nstderr:\n%s", code, tt.want, stdout, stderr)
			}
		})
	}
}

// TestBareInitbox: the usage goes to stderr, as stdout is for data, and a
// command line that does nothing is a usage error.
func TestBareInitbox(t *testing.T) {
	code, _, stdout, stderr := runInitbox(t)
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	for _, want := range []string{"USAGE:", "COMMANDS:", "missing command"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not show %q:\n%s", want, stderr)
		}
	}
}

// TestCommandHelpWhole: a run takes the help headings off the flags of
// the commands whose help it does not show (see commandToRun), not off
// the one it shows: "initbox COMMAND --help" shows what "initbox help
// COMMAND" shows, whichever way the help flag is written.
func TestCommandHelpWhole(t *testing.T) {
	for _, cmd := range newApp(&env{}).Commands {
		if cmd.Hidden || slices.Contains(showOtherCommands, cmd.Name) {
			continue
		}
		_, _, want, _ := runInitbox(t, "help", cmd.Name)
		for _, args := range [][]string{{cmd.Name, "--help"}, {cmd.Name, "-h"}, {cmd.Name, "-help"}, {cmd.Name, "--help=true"}, {"-h", cmd.Name}} {
			code, _, got, stderr := runInitbox(t, args...)
			if code != ExitOK || got != want {
				t.Errorf("initbox %s: exit %d, stderr %q, stdout:\n%s\nwant exit 0 and:\n%s", strings.Join(args, " "), code, stderr, got, want)
			}
		}
	}
}
