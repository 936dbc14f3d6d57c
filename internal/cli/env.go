package cli

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// envFreeCommands read no INITBOX_ variables for their own flags (the
// global ones still apply): run's steps take their options from its file
// alone, and its --check is not render's INITBOX_CHECK.
var envFreeCommands = []string{"run"}

// withEnv gives every flag its environment variable: INITBOX_ and the
// flag's name in capitals, "-" as "_" (--max-size: INITBOX_MAX_SIZE), the
// usual way to configure a container. Set here, for all flags at once, no
// flag can lack one or spell it differently. Variables a flag lists
// itself stay, after it: --kubeconfig also reads KUBECONFIG.
func withEnv(flags []cli.Flag) []cli.Flag {
	for _, f := range flags {
		vars := flagEnv(f)
		name := "INITBOX_" + strings.ToUpper(strings.ReplaceAll(f.Names()[0], "-", "_"))
		if !slices.Contains(*vars, name) {
			*vars = append([]string{name}, *vars...)
		}
	}
	return flags
}

// flagEnv returns where a flag keeps its environment variables. A new kind
// of flag must be added here (and, for run's steps, in flagType: the
// schema test fails until it is).
func flagEnv(f cli.Flag) *[]string {
	switch f := f.(type) {
	case *cli.StringFlag:
		return &f.EnvVars
	case *cli.BoolFlag:
		return &f.EnvVars
	case *cli.IntFlag:
		return &f.EnvVars
	case *cli.DurationFlag:
		return &f.EnvVars
	case *cli.StringSliceFlag:
		return &f.EnvVars
	}
	panic(fmt.Sprintf("initbox: no environment variables for flag %T", f))
}

// environ is the process environment as a map: render reads only what it
// is given.
func environ() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}
