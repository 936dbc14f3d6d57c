// Package cli is initbox's command line: flags and environment variables,
// logging, exit codes and the exec of "-- COMMAND". The libraries (checks,
// fetch, render) do the work and return typed errors; this package alone
// names flags, writes to the terminal and picks exit codes.
//
// Where things are:
//
//	app.go      Main and Run, the app, its global flags, the command list
//	exit.go     the one table from errors to exit codes
//	log.go      everything about what reaches stderr: slog setup, the
//	            final error message
//	termination.go  the termination message written at exit, from the log
//	exec.go     "-- COMMAND": checked before the work, exec'd after it
//	signals.go  SIGINT and SIGTERM as a context's cause
//	units.go    sizes on the command line (500MiB) and in messages
//	roots.go    embedded root certificates, loaded only when needed
//	wait.go, check.go, targets.go, fetch.go, render.go, serve.go, version.go
//	            one file per command (targets.go: what wait, check and
//	            serve share)
//
// To add a command, say "run":
//
//  1. Write run.go with func runCommand(e *env) *cli.Command (cli is
//     github.com/urfave/cli/v2). Its Action parses and validates every
//     flag before any work, returning usagef("--flag %v: want ...") for
//     mistakes, then does the work through a library.
//  2. Add runCommand to the commands list in app.go.
//  3. Return errors, never exit codes: a library's typed error (one with
//     Usage() bool for the caller's mistakes), a usagef error, or a
//     *failure of a kind; exit.go turns them into 0, 1, 2, 124, ... If the
//     command logged its own verdict, return loggedErr(kind, err) so that
//     it is not printed twice.
//  4. Flags come with an INITBOX_ environment variable (EnvVars), and
//     --help is the reference: keep Usage texts exact.
//  5. If it may verify a certificate, it gets the embedded roots before it
//     runs (roots.go), unless it is listed in rootsFreeCommands.
//  6. Test it in-process with Run (see main_test.go).
package cli
