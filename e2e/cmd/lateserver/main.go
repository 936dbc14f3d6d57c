// Command lateserver is a stand-in database for the e2e tests: it opens its
// TCP port only after a delay, as a database does after its start-up work,
// then accepts connections and closes them at once.
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", ":5432", "address to listen on")
	delay := flag.Duration("delay", 0, "how long to wait before listening")
	flag.Parse()
	log.SetFlags(0)

	// As PID 1 in a container, a process without a handler ignores
	// SIGTERM, and every "compose down" would wait for the kill.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.Printf("lateserver: listening on %s in %v", *addr, *delay)
	select {
	case <-time.After(*delay):
	case <-ctx.Done():
		os.Exit(0)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("lateserver: %v", err)
	}
	log.Printf("lateserver: listening on %s", ln.Addr())
	go func() {
		<-ctx.Done()
		os.Exit(0)
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatalf("lateserver: %v", err)
		}
		c.Close()
	}
}
