package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"
)

// env is what a command may touch of the process: its output streams and
// the logger built from the global flags.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	command        []string // after "--"; nil if none was given
	json           bool     // logs are JSON
	hints          kubeHints
}

func (e *env) setupLog(c *cli.Context) error {
	level := slog.LevelInfo
	if anyBool(c, "quiet") {
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(lastString(c, "log-format")) {
	case "text":
		e.log = newLogger(slog.NewTextHandler(e.stderr, opts))
	case "json":
		e.json = true
		e.log = newLogger(slog.NewJSONHandler(e.stderr, opts))
	default:
		return usagef("--log-format %q: want text or json", lastString(c, "log-format"))
	}
	return nil
}

// anyBool reports whether a flag defined both globally and on the command
// is true at either level.
func anyBool(c *cli.Context, name string) bool {
	for _, ctx := range c.Lineage() {
		if ctx.Command != nil && ctx.Bool(name) {
			return true
		}
	}
	return c.Bool(name)
}

// lastString returns a flag given on the command if set there, else the
// global one (which also carries its environment variable and default).
func lastString(c *cli.Context, name string) string {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return ctx.String(name)
		}
	}
	return c.String(name)
}

// reportError logs why the command failed, unless the command already did.
func (e *env) reportError(err error) {
	var f *failure
	if errors.As(err, &f) && f.logged {
		return
	}
	if e.json && e.log != nil {
		e.log.Error(err.Error())
		return
	}
	// Plain text for people at a terminal: no logfmt quoting to unpick.
	fmt.Fprintf(e.stderr, "initbox: %s\n", withFlags(err.Error()))
}

// newLogger logs through h, naming flags where messages name options.
func newLogger(h slog.Handler) *slog.Logger { return slog.New(flagHandler{h}) }
