package httpopt

import (
	"crypto/tls"
	"fmt"

	"github.com/initbox/initbox/internal/option"
)

// TLS configures certificate checks: the options that checks and fetch
// share (fetch leaves the server name unset).
type TLS struct {
	CAFile             string // PEM bundle to trust instead of the system roots
	CertFile, KeyFile  string // client certificate for mutual TLS
	ServerName         string // name to verify instead of the URL's host
	InsecureSkipVerify bool   // accept any certificate; off unless asked for
}

// Config validates the options, reading every file now, so that a
// mistake is found before any attempt.
func (o TLS) Config() (*tls.Config, error) {
	cfg := &tls.Config{
		ServerName:         o.ServerName,
		InsecureSkipVerify: o.InsecureSkipVerify,
		MinVersion:         tls.VersionTLS12,
	}
	pool, err := CertPool(o.CAFile)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = pool
	if (o.CertFile == "") != (o.KeyFile == "") {
		both := string(option.CertFile) + "/" + string(option.KeyFile)
		return nil, &option.Error{Arg: both, Err: fmt.Errorf("give both the client certificate and its key")}
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, option.Errorf(option.CertFile, o.CertFile, "%v", fmt.Errorf("loading client certificate: %w", err))
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
