// Package testutil is the parent of packages only tests import: real
// servers and faults on loopback (testnet, faults, grpchealth, an OCI
// registry: testregistry), file systems that fill up or refuse writes
// (testfs), and child processes (testproc). Nothing in the initbox binary
// imports them.
package testutil
