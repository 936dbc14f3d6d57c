package cli

import (
	"testing"

	"github.com/urfave/cli/v2"
)

func TestTargetsNeedRoots(t *testing.T) {
	for _, tt := range []struct {
		targets []string
		follow  bool
		want    bool
	}{
		{[]string{"tcp://db:5432", "dns://db", "file:///x", "unix:///s"}, true, false},
		{[]string{"http://app:8080/healthz"}, false, false},
		{[]string{"http://app:8080/healthz"}, true, true}, // may redirect to https
		{[]string{"tcp://db:5432", "HTTPS://api/ready"}, false, true},
	} {
		if got := targetsNeedRoots(tt.targets, tt.follow); got != tt.want {
			t.Errorf("targetsNeedRoots(%q, follow %v) = %v, want %v", tt.targets, tt.follow, got, tt.want)
		}
	}
}

func TestCommandsLoadRootsBeforeTheyRun(t *testing.T) {
	for name, want := range map[string]bool{"fetch": true, "render": true, "wait": false, "check": false, "version": false} {
		cmd := &cli.Command{Name: name}
		loadRootsBefore(cmd)
		if got := cmd.Before != nil; got != want {
			t.Errorf("%s loads the roots before it runs: %v, want %v", name, got, want)
		}
	}
}
