// Package e2e tests the initbox image on a real Docker engine: the image
// is built from the repository's Dockerfile (its "prebuilt" target, from
// a binary built on the host, since no base image can be pulled), and the
// compose files in examples/compose are run as they are, so the examples
// cannot rot. The test-only images (a late database, a file server, an
// upstream DNS server and a stand-in app) are built FROM scratch from the
// programs in e2e/cmd.
//
// The tests skip, saying why, when no Docker engine answers or no compose
// is installed; scripts/test.sh says so loudly.
package e2e
