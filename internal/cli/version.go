package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// version is stamped at build time (scripts/build.sh):
// -ldflags "-X github.com/initbox/initbox/internal/cli.version=v1.2.3".
var version = ""

func versionCommand(e *env) *cli.Command {
	return e.newCommand("version", commandHelp{usage: "print the version"}, nil, printVersion)
}

// printVersion is "initbox version" and "initbox --version".
func printVersion(_ *cli.Context, e *env) error {
	_, err := fmt.Fprintf(e.stdout, "initbox %s %s %s/%s\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
