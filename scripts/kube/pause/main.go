// Command pause is the pod sandbox process of the test cluster's node
// (scripts/kube/up.sh --node): it holds the pod's namespaces open, reaps
// the children it inherits when the pod shares its PID namespace, and exits
// on SIGINT or SIGTERM. Built static and run FROM scratch, so that the
// cluster needs no registry.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child; one SIGCHLD may stand for several.
func reap() {
	for {
		pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
