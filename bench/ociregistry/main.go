// Command ociregistry runs Debian's docker-registry for bench/oci.sh: the
// registry listens on a unix socket in -dir, and a proxy on 127.0.0.1:0
// in front of it logs one line per request to stderr ("METHOD /path"),
// so that the benchmark can count a re-run's requests. It prints the
// proxy's address on stdout and runs until killed.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/initbox/initbox/internal/testutil/testregistry"
)

func main() {
	dir := flag.String("dir", "", "directory for the registry's storage and socket")
	flag.Parse()
	if *dir == "" {
		log.Fatal("give -dir")
	}
	sock := filepath.Join(*dir, "registry.sock")
	conf := filepath.Join(*dir, "config.yml")
	os.Remove(sock)
	err := os.WriteFile(conf, []byte(testregistry.ServeConfig(filepath.Join(*dir, "data"), sock)), 0o644)
	if err != nil {
		log.Fatal(err)
	}
	reg := exec.Command("docker-registry", "serve", conf)
	// Killed with this process, which bench/oci.sh kills when it ends.
	reg.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	regLog, err := os.Create(filepath.Join(*dir, "registry.log"))
	if err != nil {
		log.Fatal(err)
	}
	reg.Stdout, reg.Stderr = regLog, regLog
	if err := reg.Start(); err != nil {
		log.Fatal(err)
	}
	defer reg.Process.Kill()
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	target, _ := url.Parse("http://registry")
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{DisableCompression: true, DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	proxy.FlushInterval = -1
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr())
	logger := log.New(os.Stderr, "", 0)
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger.Printf("%s %s", r.Method, r.URL.RequestURI())
		proxy.ServeHTTP(w, r)
	})))
}
