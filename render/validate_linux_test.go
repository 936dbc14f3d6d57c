package render

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/initbox/initbox/internal/testutil/testproc"
)

// The deadline stops a validation command's children too: a shell script
// that runs a hanging tool must not leave it behind.
func TestDeadlineKillsTheValidationGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	err := validate(ctx, []string{"sh", "-c", `sleep 30 & echo $! > "$1"; wait`, "sh"}, "/etc/app.conf", pidFile, nil)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "validating /etc/app.conf: sh -c") {
		t.Errorf("got %v, want the deadline, naming the file and the command", err)
	}
	testproc.Gone(t, pidFile)
}
