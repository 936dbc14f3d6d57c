package cli

import (
	"io"
	"testing"

	"github.com/initbox/initbox/internal/testutil/faults"
)

// What a process pays in the CLI before and around its command, without
// the runtime's start-up and package init: a compose healthcheck pays it
// every few seconds for the life of its container.

func BenchmarkRunVersion(b *testing.B) {
	benchRun(b, "initbox", "version")
}

func BenchmarkRunCheckTCP(b *testing.B) {
	benchRun(b, "initbox", "check", "tcp://"+faults.AcceptClose(b))
}

func benchRun(b *testing.B, args ...string) {
	b.ReportAllocs()
	for b.Loop() {
		if code, _ := Run(b.Context(), args, io.Discard, io.Discard); code != ExitOK {
			b.Fatalf("%v: exit %d", args, code)
		}
	}
}
