package processtest

import (
	"bytes"
	"testing"

	"github.com/initbox/initbox/internal/cli"
)

// runInitbox runs a command line in-process, as main would.
func runInitbox(t *testing.T, args ...string) (code int, argv []string, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, argv = cli.Run(t.Context(), append([]string{"initbox"}, args...), &out, &errOut)
	return code, argv, out.String(), errOut.String()
}
