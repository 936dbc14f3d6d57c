package cli

import (
	"fmt"
	"os"
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
// flag can lack one or spell it differently.
func withEnv(flags []cli.Flag) []cli.Flag {
	for _, f := range flags {
		env := []string{"INITBOX_" + strings.ToUpper(strings.ReplaceAll(f.Names()[0], "-", "_"))}
		switch f := f.(type) {
		case *cli.StringFlag:
			f.EnvVars = env
		case *cli.StringSliceFlag:
			f.EnvVars = env
		case *cli.BoolFlag:
			f.EnvVars = env
		case *cli.IntFlag:
			f.EnvVars = env
		case *cli.DurationFlag:
			f.EnvVars = env
		default:
			panic(fmt.Sprintf("withEnv: flag %s of type %T", f.Names()[0], f))
		}
	}
	return flags
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
