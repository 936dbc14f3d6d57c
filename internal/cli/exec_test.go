package cli

import (
	"bytes"
	"context"
	"log/slog"
	"syscall"
	"testing"

	"github.com/initbox/initbox/internal/termlog"
)

// TestSignalStopsTheCommandAfter: a step that completes while SIGTERM
// arrives must not start the command after "--" (here one that does not
// exist: without the check, the answer would be 127).
func TestSignalStopsTheCommandAfter(t *testing.T) {
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(&signalError{sig: syscall.SIGTERM})
	var stderr bytes.Buffer
	if code := execAfter(ctx, []string{"/nonexistent/initbox-app"}, termlog.NewRecorder(slog.DiscardHandler), &stderr); code != 143 {
		t.Errorf("exit %d, want 143 without running the command; stderr: %s", code, stderr.String())
	}
}
