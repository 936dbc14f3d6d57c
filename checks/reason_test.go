package checks

import (
	"errors"
	"testing"
)

// Two failures for the same cause are one state, whatever the local port
// or the clock in their messages: the log says a state once.
func TestReasonIgnoresWhatChangesBetweenAttempts(t *testing.T) {
	same := [][2]string{
		{"dial tcp 127.0.0.1:40790->127.0.0.1:5432: connect: connection refused",
			"dial tcp 127.0.0.1:40791->127.0.0.1:5432: connect: connection refused"},
		{"x509: certificate has expired or is not yet valid: current time 2026-12-02T14:10:07Z is after 2026-12-01T14:10:07Z",
			"x509: certificate has expired or is not yet valid: current time 2026-12-02T14:10:09Z is after 2026-12-01T14:10:07Z"},
	}
	for _, p := range same {
		if a, b := reason(errors.New(p[0])), reason(errors.New(p[1])); a != b {
			t.Errorf("reason(%q) = %q, reason(%q) = %q; want the same", p[0], a, p[1], b)
		}
	}
	if reason(errors.New("status 503")) == reason(errors.New("status 502")) {
		t.Error("different statuses are one reason")
	}
}
