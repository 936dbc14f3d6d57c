// Command app stands in for a user's application in the e2e tests: a
// distroless-style program with no shell, into whose image /initbox is
// copied for healthchecks and start-up chains.
//
//	app serve [-addr :8080] [-config FILE]  serve /healthz until POST /break
//	app break [URL]                         make a serving app unhealthy
//	app cat FILE...                         print files, as an app reads its config
//	app stat FILE...                        print inode, mtime, size, mode, owner, sha256
//	app ls DIR                              print the names in a directory
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

func main() {
	log.SetFlags(0)
	if len(os.Args) < 2 {
		log.Fatal("usage: app serve|break|cat|stat ...")
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(args)
	case "break":
		err = breakApp(args)
	case "cat":
		err = catFiles(args)
	case "stat":
		err = statFiles(args)
	case "ls":
		err = listDir(args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		log.Fatalf("app: %v", err)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", ":8080", "address to listen on")
	config := fs.String("config", "", "config file to print at start")
	fs.Parse(args)
	if *config != "" {
		b, err := os.ReadFile(*config)
		if err != nil {
			return err
		}
		fmt.Printf("config %s:\n%s", *config, b)
	}
	var broken atomic.Bool
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if broken.Load() {
			http.Error(w, "broken on purpose", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("POST /break", func(w http.ResponseWriter, r *http.Request) {
		broken.Store(true)
		log.Print("app: /healthz fails from now on")
	})
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		os.Exit(0)
	}()
	// The PID shows whether a start-up chain exec'd the app in place.
	log.Printf("app: serving on %s pid=%d uid=%d", *addr, os.Getpid(), os.Getuid())
	return http.ListenAndServe(*addr, mux)
}

func breakApp(args []string) error {
	url := "http://localhost:8080/break"
	if len(args) > 0 {
		url = args[0]
	}
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return nil
}

func catFiles(names []string) error {
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		fmt.Printf("== %s\n%s", name, b)
	}
	return nil
}

func statFiles(names []string) error {
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Stat(name, &st); err != nil {
			return err
		}
		fmt.Printf("%s inode=%d mtime=%d.%09d size=%d mode=%o owner=%d:%d sha256=%x\n",
			name, st.Ino, st.Mtim.Sec, st.Mtim.Nsec, st.Size, st.Mode&0o7777, st.Uid, st.Gid, h.Sum(nil))
	}
	return nil
}

func listDir(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("ls: want one directory")
	}
	entries, err := os.ReadDir(args[0])
	if err != nil {
		return err
	}
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	return nil
}
