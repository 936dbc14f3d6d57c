package cli

import (
	"slices"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestWithEnv: every flag gets its INITBOX_ variable, and keeps the ones
// it lists itself (--kubeconfig reads KUBECONFIG too).
func TestWithEnv(t *testing.T) {
	flags := withEnv([]cli.Flag{
		&cli.StringFlag{Name: "max-size"},
		&cli.StringFlag{Name: "kubeconfig", EnvVars: []string{"KUBECONFIG"}},
		&cli.BoolFlag{Name: "any", EnvVars: []string{"INITBOX_ANY"}},
	})
	for i, want := range [][]string{
		{"INITBOX_MAX_SIZE"},
		{"INITBOX_KUBECONFIG", "KUBECONFIG"},
		{"INITBOX_ANY"},
	} {
		if got := *flagEnv(flags[i]); !slices.Equal(got, want) {
			t.Errorf("--%s reads %q, want %q", flags[i].Names()[0], got, want)
		}
	}
}
