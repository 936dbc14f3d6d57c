// Package processtest holds initbox's process-level suites: the fault
// matrices (HTTP, TLS and DNS faults; full disks; read-only directories),
// SIGTERM at random moments, re-runs that must write nothing, secrets
// that must never be printed, and exec of "-- COMMAND". They run the CLI
// in-process through cli.Run, or the binary built from the repository
// once per run, and take minutes.
//
// They all skip under go test -short, so that the short run of the whole
// tree is a fast loop; scripts/test.sh (and so CI) runs them in full.
package processtest
