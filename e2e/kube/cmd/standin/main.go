// Command standin plays the applications of the Kubernetes examples in the
// e2e suite of e2e/kube, where their images (example.com/myapp:1.0, nginx,
// ...) cannot be pulled. Each image is this one binary with another
// entrypoint:
//
//	standin serve [-addr :8080]             an app: GET / answers 200
//	standin migrate ARG...                  a one-shot job: prints ARGs, exits 0
//	standin cat FILE...                     prints files (kubectl exec, no shell)
//	standin distroless [-addr :8080] [-admin /run/app/admin.sock]
//	                                        GET /health answers {"status":"UP"}
//	                                        until POST /down; the admin socket
//	                                        accepts until POST /close-admin
//	standin static -dir DIR [-addr :80]     serves DIR, as nginx does
//	standin listen -addr :3306              accepts TCP connections, closes them
//
// Every mode exits 0 on SIGTERM at once, so pods are deleted fast.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/initbox/initbox/internal/testutil/testnet"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("standin: ")
	if len(os.Args) < 2 {
		log.Fatal("usage: standin serve|migrate|cat|distroless|static|listen ...")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		os.Exit(0)
	}()
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		serve(args)
	case "cat":
		for _, f := range args {
			b, err := os.ReadFile(f)
			if err != nil {
				log.Fatal(err)
			}
			os.Stdout.Write(b)
		}
	case "migrate":
		fmt.Println("migrate:", strings.Join(args, " "))
	case "distroless":
		distroless(args)
	case "static":
		static(args)
	case "listen":
		listen(args)
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "address to listen on")
	fs.Parse(args)
	log.Printf("serving on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})))
}

func static(args []string) {
	fs := flag.NewFlagSet("static", flag.ExitOnError)
	addr := fs.String("addr", ":80", "address to listen on")
	dir := fs.String("dir", "/usr/share/nginx/html", "directory to serve")
	fs.Parse(args)
	log.Printf("serving %s on %s", *dir, *addr)
	log.Fatal(http.ListenAndServe(*addr, http.FileServer(http.Dir(*dir))))
}

func listen(args []string) {
	fs := flag.NewFlagSet("listen", flag.ExitOnError)
	addr := fs.String("addr", ":3306", "address to listen on")
	fs.Parse(args)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("accepting on %s", ln.Addr())
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		c.Close()
	}
}

// distroless is the app of distroless-probe.yaml: its readiness probe reads
// the body of /health, its liveness probe connects to the admin socket.
func distroless(args []string) {
	fs := flag.NewFlagSet("distroless", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "address to listen on")
	admin := fs.String("admin", "/run/app/admin.sock", "unix socket the liveness probe checks")
	fs.Parse(args)
	os.Remove(*admin) // left by the previous run of the container, if any
	ln, err := net.Listen("unix", *admin)
	if err != nil {
		log.Fatal(err)
	}
	go testnet.AcceptAndClose(ln)
	var down atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		// Always 200: only the body tells, which an httpGet probe cannot read.
		if down.Load() {
			fmt.Fprintln(w, `{"status":"DOWN"}`)
			return
		}
		fmt.Fprintln(w, `{"status":"UP"}`)
	})
	mux.HandleFunc("POST /down", func(w http.ResponseWriter, r *http.Request) {
		down.Store(true)
		log.Print("health: DOWN")
	})
	mux.HandleFunc("POST /up", func(w http.ResponseWriter, r *http.Request) {
		down.Store(false)
		log.Print("health: UP")
	})
	mux.HandleFunc("POST /close-admin", func(w http.ResponseWriter, r *http.Request) {
		ln.Close() // also removes the socket file
		log.Print("admin socket closed")
	})
	log.Printf("serving /health on %s, admin socket %s", *addr, *admin)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
