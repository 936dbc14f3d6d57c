package checks

import (
	"crypto/tls"

	"github.com/initbox/initbox/internal/httpopt"
)

// TLSOptions configures certificate checks for https:// targets and the
// TLS of the protocol targets:
//
//	CAFile             string // PEM bundle to trust instead of the system roots
//	CertFile, KeyFile  string // client certificate for mutual TLS
//	ServerName         string // name to verify instead of the URL's host
//	InsecureSkipVerify bool   // accept any certificate; off unless asked for
type TLSOptions = httpopt.TLS

// tlsConfig is built and validated once; each attempt gets a clone, so no
// session state carries over between attempts.
type tlsConfig struct{ cfg *tls.Config }

func newTLSConfig(o TLSOptions) (*tlsConfig, error) {
	cfg, err := o.Config()
	if err != nil {
		return nil, err
	}
	return &tlsConfig{cfg: cfg}, nil
}

func (c *tlsConfig) clone() *tls.Config { return c.cfg.Clone() }

// tlsWhen is newTLSConfig for a target whose scheme asks for TLS (amqps://,
// rediss://), and nil for one whose scheme does not.
func tlsWhen(secure bool, o TLSOptions) (*tlsConfig, error) {
	if !secure {
		return nil, nil
	}
	return newTLSConfig(o)
}

// defaultPort is a scheme's port: the TLS one for its secure variant.
func defaultPort(secure bool, plain, tls string) string {
	if secure {
		return tls
	}
	return plain
}
