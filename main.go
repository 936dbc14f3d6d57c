// Command initbox waits for dependencies, fetches files and renders
// configuration: the jobs of Kubernetes initContainers and compose
// healthchecks, in one small static binary.
//
// This file is the seam between the process and the command line, which
// lives in internal/cli.
package main

import (
	"context"
	"os"

	"github.com/initbox/initbox/internal/cli"
)

func main() {
	// Signals first, before any other work: until then a SIGTERM would
	// take the runtime's default action (see cli.WithSignals).
	ctx := cli.WithSignals(context.Background())
	os.Exit(cli.Main(ctx, os.Args, os.Stdout, os.Stderr))
}
