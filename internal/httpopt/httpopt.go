// Package httpopt reads the HTTP options that wait/check and fetch share:
// request headers given inline or read from files (mounted secrets), and a
// CA file. Errors are *option.Error values naming the option at fault, never
// a header's value: values are often tokens.
package httpopt

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/textproto"
	"os"
	"strings"

	"github.com/initbox/initbox/internal/option"
)

// Header turns "Name: value" lines and "Name=/path" files (the value is the
// file's content, trimmed) into a header with canonical names.
func Header(lines, files []string) (http.Header, error) {
	h := http.Header{}
	for _, line := range lines {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, option.Errorf(option.Headers, hide(line), `want "Name: value"`)
		}
		if err := add(h, name, value, option.Headers, strings.TrimSpace(name)); err != nil {
			return nil, err
		}
	}
	for _, spec := range files {
		name, path, ok := strings.Cut(spec, "=")
		if !ok || path == "" {
			return nil, option.Errorf(option.HeaderFiles, hide(spec), `want "Name=/path/to/file"`)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, SecretFileError(option.HeaderFiles, strings.TrimSpace(name)+"=", path, err)
		}
		if err := add(h, name, string(data), option.HeaderFiles, spec); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func add(h http.Header, name, value string, opt option.Name, arg string) error {
	name = strings.TrimSpace(name)
	value = strings.TrimSpace(value)
	if !validName(name) {
		return option.Errorf(opt, arg, "%q is not a valid header name", name)
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return option.Errorf(opt, arg, "the value has characters a header cannot carry (a newline?)")
	}
	h.Add(textproto.CanonicalMIMEHeaderKey(name), value)
	return nil
}

// hide keeps a malformed argument out of messages except for its start, in
// case it is a bare token.
func hide(s string) string {
	if len(s) > 12 {
		return s[:4] + "…"
	}
	return "(value hidden)"
}

// validName reports whether name is an RFC 9110 token. (net/http has this
// check only internally; importing x/net's copy would add a second one to
// the binary.)
func validName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// SecretFileError says that a file holding a secret cannot be read. It
// names the file only if the name has a "/": a token given in place of
// its file's path must not be printed. prefix goes before the name, as
// "Authorization=" for a header file.
func SecretFileError(opt option.Name, prefix, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err // its message names the file
	}
	if strings.Contains(path, "/") {
		return &option.Error{Option: opt, Arg: prefix + path, Err: err}
	}
	return &option.Error{Option: opt, Arg: strings.TrimRight(prefix, "="), Err: fmt.Errorf(`%w (the name given is not shown: without a "/" it may be the secret itself; give the file's path, e.g. ./token)`, err)}
}

// CertPool reads a PEM file of CA certificates; "" gives nil (system roots).
func CertPool(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, option.Errorf(option.CAFile, caFile, "%v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, option.Errorf(option.CAFile, caFile, "no PEM certificates found")
	}
	return pool, nil
}
