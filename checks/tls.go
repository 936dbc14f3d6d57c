package checks

import (
	"crypto/tls"
	"fmt"

	"github.com/initbox/initbox/internal/httpopt"
)

// TLSOptions configures certificate checks for https:// targets.
type TLSOptions struct {
	CAFile             string // PEM bundle to trust instead of the system roots
	CertFile, KeyFile  string // client certificate for mutual TLS
	ServerName         string // name to verify instead of the URL's host
	InsecureSkipVerify bool   // accept any certificate; off unless asked for
}

// tlsConfig is built and validated once; each attempt gets a clone, so no
// session state carries over between attempts.
type tlsConfig struct{ cfg *tls.Config }

func newTLSConfig(o TLSOptions) (*tlsConfig, error) {
	cfg := &tls.Config{
		ServerName:         o.ServerName,
		InsecureSkipVerify: o.InsecureSkipVerify,
		MinVersion:         tls.VersionTLS12,
	}
	pool, err := httpopt.CertPool(o.CAFile)
	if err != nil {
		return nil, asUsageError(err)
	}
	cfg.RootCAs = pool
	if (o.CertFile == "") != (o.KeyFile == "") {
		return nil, usageErrorf("--cert/--key", "give both the client certificate and its key")
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, usageErrorf("--cert "+o.CertFile, "%v", fmt.Errorf("loading client certificate: %w", err))
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return &tlsConfig{cfg: cfg}, nil
}

func (c *tlsConfig) clone() *tls.Config { return c.cfg.Clone() }
