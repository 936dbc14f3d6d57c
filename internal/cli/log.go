package cli

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/internal/termlog"
)

// env is what a command may touch of the process: its output streams and
// the logger built from the global flags.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	args           []string // the command line, before any "--"
	command        []string // after "--"; nil if none was given
	json           bool     // logs are JSON
	gone           bool     // wait and check wait for targets to be gone
	rec            *termlog.Recorder
	term           termination
	termSet        bool // term was read from the flags
	hints          kubeHints
}

func (e *env) setupLog(c *cli.Context) error {
	level := slog.LevelInfo
	if anyBool(c, "quiet") {
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(lastString(c, "log-format")) {
	case "text":
		h = slog.NewTextHandler(e.stderr, opts)
	case "json":
		e.json = true
		h = slog.NewJSONHandler(e.stderr, opts)
	default:
		return usagef("--log-format %q: want text or json", lastString(c, "log-format"))
	}
	// Every line logged is kept too, for the termination message.
	e.rec = termlog.NewRecorder(h)
	e.log = newLogger(e.rec)
	e.setupTermination(c)
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
	msg := withFlags(err.Error())
	fmt.Fprintf(e.stderr, "initbox: %s\n", msg)
	e.rec.Add(slog.LevelError, "initbox: "+msg)
}

// newLogger logs through h, naming flags where messages name options.
func newLogger(h slog.Handler) *slog.Logger { return slog.New(flagHandler{h}) }
