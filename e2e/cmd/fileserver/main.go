// Command fileserver serves a directory over HTTP or HTTPS and logs every
// request, so the e2e tests can count what a fetch asked for.
//
// With -tls-issuer, its certificate claims to be issued by a public root
// CA (but is signed by its own key). A client that trusts that root then
// names it in the error ("while trying to verify candidate authority
// certificate ..."), one that has no roots at all cannot: this is how the
// e2e tests see that the scratch image embeds the root CAs, with no
// internet.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net/http"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"github.com/initbox/initbox/internal/testutil/testcert"
)

func main() {
	addr := flag.String("addr", ":8080", "address to listen on")
	dir := flag.String("dir", "/srv", "directory to serve")
	selfSigned := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate")
	issuer := flag.String("tls-issuer", "", "with -tls: claim to be issued by the public root CA of this common name")
	flag.Parse()
	log.SetFlags(0)

	srv := &http.Server{Addr: *addr, Handler: logRequests(serveFiles(*dir))}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		os.Exit(0)
	}()
	log.Printf("fileserver: serving %s on %s (tls: %v)", *dir, *addr, *selfSigned)
	var err error
	if *selfSigned {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{selfSignedCert(*issuer)}}
		err = srv.ListenAndServeTLS("", "")
	} else {
		err = srv.ListenAndServe()
	}
	log.Fatalf("fileserver: %v", err)
}

// logRequests writes one line per request: "request GET /index.html".
func logRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("request %s %s", r.Method, r.URL.Path)
		h.ServeHTTP(w, r)
	})
}

// serveFiles serves the files of dir, with Range, If-Range and
// conditional requests answered by http.ServeContent and the ETag a
// sha256 of the content. Unlike http.FileServer, it does not redirect
// /index.html to / or list directories.
func serveFiles(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path.Clean("/"+r.URL.Path))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		sum := sha256.Sum256(b)
		w.Header().Set("ETag", fmt.Sprintf("%q", hex.EncodeToString(sum[:])))
		http.ServeContent(w, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(b))
	})
}

func selfSignedCert(issuer string) tls.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fileserver"},
		DNSNames:     []string{"files", "fileserver", "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	var parent *x509.Certificate // self-signed
	if issuer != "" {
		// Signed by our key under the name of a root CA in the same
		// bundle initbox embeds.
		if parent = testcert.PublicRoot(issuer); parent == nil {
			log.Fatalf("fileserver: no root CA named %q in the bundle", issuer)
		}
	}
	der, key := testcert.Issue(tmpl, parent, nil)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
