// Command fileserver serves a directory over loopback HTTP for bench/fetch.sh.
// It uses http.FileServer, which answers Range requests and sends file
// bodies with sendfile(2), so the server costs little CPU and the benchmark
// measures the client. It prints its address on stdout and logs one line
// per request on stderr, so the benchmark can count requests.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
)

func main() {
	dir := flag.String("dir", ".", "directory to serve")
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ln.Addr().String())
	files := http.FileServer(http.Dir(*dir))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(os.Stderr, "%s %s range=%q\n", r.Method, r.URL.Path, r.Header.Get("Range"))
		files.ServeHTTP(w, r)
	})
	log.Fatal(http.Serve(ln, handler))
}
