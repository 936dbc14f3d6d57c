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
		ff := fieldsOf(f)
		name := "INITBOX_" + strings.ToUpper(strings.ReplaceAll(ff.name, "-", "_"))
		if !slices.Contains(*ff.env, name) {
			*ff.env = append([]string{name}, *ff.env...)
		}
	}
	return flags
}

// flagEnv returns where a flag keeps its environment variables.
func flagEnv(f cli.Flag) *[]string { return fieldsOf(f).env }

// flagFields are the fields of a flag that initbox reads or sets for all
// flags at once. name is the Name field: Names()[0] is the same, but
// urfave/cli finds it with a regexp, which for every flag of every
// command was a noticeable part of each start-up.
type flagFields struct {
	name     string
	env      *[]string // environment variables
	category *string   // heading in the command's help
}

// fieldsOf returns f's fields. A new kind of flag must be added here (and,
// for run's steps, in flagType: the schema test fails until it is).
func fieldsOf(f cli.Flag) flagFields {
	switch f := f.(type) {
	case *cli.StringFlag:
		return flagFields{f.Name, &f.EnvVars, &f.Category}
	case *cli.BoolFlag:
		return flagFields{f.Name, &f.EnvVars, &f.Category}
	case *cli.IntFlag:
		return flagFields{f.Name, &f.EnvVars, &f.Category}
	case *cli.DurationFlag:
		return flagFields{f.Name, &f.EnvVars, &f.Category}
	case *cli.StringSliceFlag:
		return flagFields{f.Name, &f.EnvVars, &f.Category}
	}
	panic(fmt.Sprintf("initbox: unknown kind of flag %T", f))
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
