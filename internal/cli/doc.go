// Package cli is initbox's command line: flags and environment variables,
// logging, exit codes and the exec of "-- COMMAND". The libraries (checks,
// fetch, render) do the work and return typed errors; this package alone
// names flags, writes to the terminal and picks exit codes.
//
// Where things are:
//
//	app.go      Main and Run, the app, its global flags, the command list
//	command.go  newCommand, which makes every command from its help, its
//	            flags and its run function
//	exit.go     the one table from errors to exit codes
//	log.go      everything about what reaches stderr: slog setup, the
//	            final error message
//	termination.go  the termination message written at exit, from the log
//	flags.go    the libraries name options (internal/option), the CLI
//	            names flags: the one table between them, applied to every
//	            message
//	env.go      the environment: INITBOX_ variables for every flag, and the
//	            environment as render's templates see it
//	args.go     options anywhere before "--": moved before the arguments
//	            for urfave/cli, which stops at the first argument
//	usage.go    the flag parser's errors in initbox's words (missing unit,
//	            unknown option), pointing to the right --help
//	suggest.go  "did you mean" for commands, options and host:port/path
//	help.go     help COMMAND, --version, a bare initbox (usage on stderr)
//	completion.go  bash, zsh and fish scripts from the commands' flags
//	exec.go     "-- COMMAND": checked before the work, exec'd after it
//	            (127 not found, 126 not executable, as sh)
//	signals.go  SIGINT and SIGTERM as a context's cause
//	units.go    sizes on the command line (500MiB) and in messages
//	roots.go    embedded root certificates, loaded only when needed
//	wait.go, check.go, targets.go, fetch.go, render.go, serve.go, version.go
//	            one file per command (targets.go: what wait, check and
//	            serve share)
//	run.go      initbox run: a file of steps (parsed by internal/spec), each
//	            run by the command of the same name; run_kinds.go makes the
//	            step kinds and the schema from those commands' flags,
//	            run_check.go validates every step first, run_steps.go runs them
//
// To add a command, say "status":
//
//  1. Write status.go with func statusCommand(e *env) *cli.Command (cli is
//     github.com/urfave/cli/v2) that returns e.newCommand("status",
//     statusHelp, flags, runStatus), statusHelp its commandHelp, and func
//     runStatus(c *cli.Context, e *env) error. runStatus parses and
//     validates every flag before any work, returning usagef("--flag %v:
//     want ...") for mistakes, then does the work through a library.
//  2. Add statusCommand to the commands list in app.go.
//  3. Return errors, never exit codes: a library's typed error (one with
//     Usage() bool for the caller's mistakes), a usagef error, or a
//     *failure of a kind; exit.go turns them into 0, 1, 2, 124, ... If the
//     command logged its own verdict, return loggedErr(kind, err) so that
//     it is not printed twice.
//  4. Every flag gets its INITBOX_ environment variable from env.go; --help
//     is the reference: keep Usage texts exact.
//  5. If it may verify a certificate, it gets the embedded roots before it
//     runs (roots.go), unless it is listed in rootsFreeCommands.
//  6. If a library's message names one of its options, give the option an
//     internal/option Name and map it to the flag in flags.go.
//  7. Test it in-process with clitest.Run (internal/testutil/clitest, as
//     main_test.go does), and the process-level behaviour (signals, exec,
//     faults) in processtest/.
package cli
