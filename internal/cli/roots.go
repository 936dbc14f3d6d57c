package cli

import (
	"crypto/x509"
	"slices"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// loadFallbackRoots makes certificate checks work where the system has no
// root CAs of its own, as in the image, which is FROM scratch: the NSS
// roots embedded from golang.org/x/crypto/x509roots are used then (and
// SSL_CERT_FILE and SSL_CERT_DIR still win). They cost ~150 KB of binary,
// less than the ~220 KB a copied CA bundle adds to an image, and work too
// when /initbox is copied into a distroless app's image.
//
// Importing x509roots/fallback would parse all of them at every start:
// ~1 ms and ~650 KB of allocations, a third more than a healthcheck of a
// TCP port takes in all. So they are parsed only before a command may
// verify a certificate.
var loadFallbackRoots = sync.OnceFunc(func() {
	pool := x509.NewCertPool()
	for r := range bundle.Roots() {
		c, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			continue // cannot happen: the bundle's own tests parse every root
		}
		if r.Constraint == nil {
			pool.AddCert(c)
		} else {
			pool.AddCertWithConstraint(c, r.Constraint)
		}
	}
	x509.SetFallbackRoots(pool)
})

// rootsFreeCommands load the roots themselves when they need them (wait
// and check: see targetsNeedRoots), or never do. Every other command, such
// as fetch, may verify certificates and gets them before it runs.
var rootsFreeCommands = []string{"wait", "check", "version"}

// loadRootsBefore makes cmd load the roots before its action, unless it is
// one of rootsFreeCommands.
func loadRootsBefore(cmd *cli.Command) {
	if slices.Contains(rootsFreeCommands, cmd.Name) {
		return
	}
	before := cmd.Before
	cmd.Before = func(c *cli.Context) error {
		loadFallbackRoots()
		if before != nil {
			return before(c)
		}
		return nil
	}
}

// targetsNeedRoots tells whether checking targets may verify a
// certificate: an https:// target, or an http:// one whose redirects are
// followed (they may lead to https://).
func targetsNeedRoots(targets []string, followRedirects bool) bool {
	for _, t := range targets {
		t = strings.ToLower(t)
		if strings.HasPrefix(t, "https://") || followRedirects && strings.HasPrefix(t, "http://") {
			return true
		}
	}
	return false
}
