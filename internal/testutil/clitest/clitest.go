// Package clitest runs initbox's command line in-process, as main would
// but without the exec of "-- COMMAND", for the CLI's own tests and the
// process-level suites.
package clitest

import (
	"bytes"
	"testing"

	"github.com/initbox/initbox/internal/cli"
)

// Run runs initbox with args and returns its exit code, the command it
// would exec (nil if none), and what it wrote.
func Run(t *testing.T, args ...string) (code int, argv []string, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, argv = cli.Run(t.Context(), append([]string{"initbox"}, args...), &out, &errOut)
	return code, argv, out.String(), errOut.String()
}
