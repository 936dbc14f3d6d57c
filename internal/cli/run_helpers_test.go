package cli

import (
	"bytes"
	"os"
	"testing"
)

func assertContent(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s = %q, want %q", path, got, want)
	}
}

// runInitbox runs initbox in-process, as clitest.Run does for the black-box
// tests (which this package's own tests cannot import).
func runInitbox(t *testing.T, args ...string) (code int, argv []string, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code, argv = Run(t.Context(), append([]string{"initbox"}, args...), &out, &errOut)
	return code, argv, out.String(), errOut.String()
}
