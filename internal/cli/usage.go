package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/internal/lazy"
)

// The flag parser's errors are written for Go programmers ("invalid value
// "3" for flag -timeout: parse error"); these patterns find what they are
// about, so that the message can say it as initbox does elsewhere.
var (
	undefinedFlag = lazy.Regexp(`^flag provided but not defined: -+(.+)$`)
	invalidValue  = lazy.Regexp(`^invalid (?:boolean )?value "(.*)" for flag -+([^:]+): `)
	missingValue  = lazy.Regexp(`^flag needs an argument: -+(.+)$`)
	invalidEnv    = lazy.Regexp(`^could not parse "(.*)" as \w+ value from environment variable "([^"]+)" for flag ([^:]+): `)
)

// onUsageError rewrites the flag parser's errors as usage errors (exit 2)
// that name the option as typed and point to the command's --help.
func onUsageError(c *cli.Context, err error, _ bool) error {
	help := "initbox --help"
	if c.Command != nil && c.Command.Name != c.App.Name { // the root is named after the app
		help = "initbox " + c.Command.Name + " --help"
	}
	var flags []cli.Flag
	if c.Command != nil {
		flags = c.Command.Flags
	}
	return usagef("%s (see %s)", flagMessage(flags, err.Error()), help)
}

// flagMessage says what is wrong with an option, in initbox's words, or
// returns msg unchanged.
func flagMessage(flags []cli.Flag, msg string) string {
	if m := undefinedFlag().FindStringSubmatch(msg); m != nil {
		return "unknown option " + dashed(m[1]) + suggestFlag(flags, m[1])
	}
	if m := missingValue().FindStringSubmatch(msg); m != nil {
		return dashed(m[1]) + " needs a value"
	}
	if m := invalidValue().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s %q: %s", dashed(m[2]), m[1], wantValue(findFlag(flags, m[2]), m[1]))
	}
	if m := invalidEnv().FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s=%q (for %s): %s", m[2], m[1], dashed(m[3]), wantValue(findFlag(flags, m[3]), m[1]))
	}
	return msg
}

// wantValue says what kind of value a flag wants, given what it got.
func wantValue(f cli.Flag, got string) string {
	switch f.(type) {
	case *cli.DurationFlag:
		if _, err := strconv.ParseFloat(strings.TrimSpace(got), 64); err == nil {
			return fmt.Sprintf("missing unit, e.g. %ss", strings.TrimSpace(got))
		}
		return "want a duration such as 500ms, 30s, 5m or 1h30m"
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag:
		return "want a whole number"
	case *cli.BoolFlag:
		return "want true or false"
	}
	return "not a valid value"
}
