package cli

import (
	"log/slog"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/internal/redact"
	"github.com/initbox/initbox/internal/termlog"
)

// terminationFlag names the file for the termination message.
func terminationFlag() cli.Flag {
	return &cli.StringFlag{Name: "termination-log", Value: termlog.DefaultPath,
		Usage: "write a summary of the outcome here at exit, for kubectl describe pod; the default only if Kubernetes mounted it; - or empty: never"}
}

// termination is where the termination message goes, and what it must
// never contain.
type termination struct {
	path        string
	onlyIfThere bool // the default path: write only if the kubelet made it
	secrets     []string
}

// setupTermination reads --termination-log and collects the secrets that
// the message must hide: passwords in the arguments and in options.
func (e *env) setupTermination(c *cli.Context) {
	e.termSet = true
	e.term.path = lastString(c, "termination-log")
	e.term.onlyIfThere = e.term.path == termlog.DefaultPath
	for _, ctx := range c.Lineage() {
		for _, a := range ctx.Args().Slice() {
			e.term.secrets = append(e.term.secrets, redact.Secrets(a)...)
		}
	}
	if v := c.String("password"); v != "" {
		e.term.secrets = append(e.term.secrets, v)
	}
	for _, h := range c.StringSlice("header") {
		if _, v, ok := strings.Cut(h, ":"); ok && strings.TrimSpace(v) != "" {
			e.term.secrets = append(e.term.secrets, strings.TrimSpace(v))
		}
	}
}

// writeTermination writes the summary of a run that ended with code. A
// failure to write it is logged and changes nothing else: the message is
// a courtesy, the exit code is the verdict.
func (e *env) writeTermination(code int) {
	path := e.term.path
	if !e.termSet || code == ExitUsage {
		// The flags may not have been parsed: a usage error came first.
		path = unparsedTerminationLog(e.args)
		e.term.onlyIfThere = path == termlog.DefaultPath
		for _, a := range e.args {
			e.term.secrets = append(e.term.secrets, redact.Secrets(a)...)
		}
	}
	if path == "" || path == "-" {
		return
	}
	msg := redact.Hide(summary(e.rec.Lines(), code, e.args), e.term.secrets)
	if err := termlog.Write(path, msg, e.term.onlyIfThere); err != nil {
		e.log.Warn("cannot write the termination message", "error", err.Error())
	}
}

// unparsedTerminationLog finds --termination-log in args that the flag
// parser rejected (a usage error), so that the message of a mistyped
// command line still goes where it was asked to.
func unparsedTerminationLog(args []string) string {
	path := termlog.DefaultPath
	if v, ok := os.LookupEnv("INITBOX_TERMINATION_LOG"); ok {
		path = v
	}
	for i, a := range args {
		a = "-" + strings.TrimLeft(a, "-")
		switch {
		case a == "-termination-log" && i+1 < len(args):
			path = args[i+1]
		case strings.HasPrefix(a, "-termination-log="):
			path = strings.TrimPrefix(a, "-termination-log=")
		}
	}
	return path
}

// summary is the termination message: on success the last line logged,
// on failure every warning and error, in the words and order of the log.
func summary(lines []termlog.Line, code int, args []string) string {
	var b strings.Builder
	if code == ExitOK {
		for i := len(lines) - 1; i >= 0; i-- {
			if lines[i].Level >= slog.LevelInfo && !strings.HasPrefix(lines[i].Text, "progress") {
				return lines[i].Text + "\n"
			}
		}
		return commandName(args) + ": ok\n"
	}
	for _, l := range lines {
		if l.Level >= slog.LevelWarn {
			b.WriteString(l.Text + "\n")
		}
	}
	if b.Len() == 0 && len(lines) > 0 {
		b.WriteString(lines[len(lines)-1].Text + "\n")
	}
	return b.String()
}

// commandName is "initbox check" for a run of check: the first argument
// that is not an option.
func commandName(args []string) string {
	for _, a := range args[min(1, len(args)):] {
		if !strings.HasPrefix(a, "-") {
			return "initbox " + a
		}
	}
	return "initbox"
}
