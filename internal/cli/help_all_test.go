package cli

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestHelpIsWhole: urfave/cli prints help from templates and, when one
// fails, stops printing without an error. The release build's
// text/template calls only the methods scripts/template-overlay.sh names
// (scripts/test.sh runs this test with it), so a method missing from that
// list shows here as a help that lacks its last sections.
func TestHelpIsWhole(t *testing.T) {
	app := newApp(&env{})
	_, _, stdout, _ := runInitbox(t, "help")
	for _, want := range []string{"USAGE:", "DESCRIPTION:", "COMMANDS:", "GLOBAL OPTIONS:", "--version, -v", "--help, -h"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("initbox help lacks %q:\n%s", want, stdout)
		}
	}
	for _, cmd := range app.Commands {
		if cmd.Hidden {
			continue
		}
		if !strings.Contains(stdout, "   "+cmd.Name+" ") {
			t.Errorf("initbox help does not list %s", cmd.Name)
		}
		_, _, out, _ := runInitbox(t, "help", cmd.Name)
		for _, f := range cmd.VisibleFlags() {
			name := f.Names()[0]
			if bf, ok := f.(*cli.BoolFlag); ok && bf.Name == "help" {
				continue
			}
			if !strings.Contains(out, "--"+name) && !strings.Contains(out, "-"+name+" ") {
				t.Errorf("initbox help %s does not list --%s:\n%s", cmd.Name, name, out)
			}
		}
	}
}
