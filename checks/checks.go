// Package checks makes single readiness attempts against targets (TCP, HTTP,
// DNS, unix sockets, files, and the protocols of common servers) and waits
// for them to become ready.
//
// A Checker is built by Parse, which validates everything it can up front, so
// an error from Check always means "not ready yet", never "bad input".
package checks

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/redact"
)

// Checker makes one readiness attempt per call to Check. Each attempt opens
// what it needs and closes it again before returning.
type Checker interface {
	// Check returns nil when the target is ready, or the reason it is not.
	Check(ctx context.Context) error
	// String names the target for logs, with any secret removed.
	String() string
}

// Options configures the checkers built by Parse. The zero value gives the
// defaults documented on each field.
type Options struct {
	HTTP HTTPOptions
	DNS  DNSOptions
	File FileOptions
	Auth AuthOptions // postgres, mysql, redis, amqp, nats and mqtt targets
	Kube KubeOptions // k8s:// targets
}

// UsageError reports a target or option that can never work: a bad scheme,
// URL, regular expression or CA file. It is the caller's mistake, not a
// readiness failure.
// Option names the option at fault (the CLI names its flag), Arg the
// target or value, secrets removed.
type UsageError = option.Error

// usageErrorf builds a *UsageError; arg is redacted, since it is often the
// target itself and may carry a password, and so is the message, which
// may quote a piece of the target (a name, a port) that holds it.
func usageErrorf(arg, format string, a ...any) error {
	err := fmt.Errorf(format, a...)
	if secrets := redact.Secrets(arg); len(secrets) > 0 {
		err = &hiddenError{msg: redact.Hide(err.Error(), secrets), err: err}
	}
	return &UsageError{Arg: redact.URL(arg), Err: err}
}

// hiddenError is an error whose message had secrets taken out.
type hiddenError struct {
	msg string
	err error
}

func (e *hiddenError) Error() string { return e.msg }
func (e *hiddenError) Unwrap() error { return e.err }

// Parse builds the Checker for one target. Schemes: tcp://HOST:PORT (or bare
// HOST:PORT), http://, https://, dns://NAME, unix:///path, file:///path, and
// the protocol checks postgres://, mysql://, redis(s)://, amqp(s)://,
// nats://, mqtt(s)://, grpc(s)://, and Kubernetes objects k8s://.
func Parse(target string, opts Options) (Checker, error) {
	scheme, rest, ok := strings.Cut(target, "://")
	if !ok {
		return parseBareHostPort(target)
	}
	switch strings.ToLower(scheme) {
	case "tcp":
		return checker(newTCP(target, rest))
	case "http", "https":
		return checker(newHTTP(target, opts.HTTP))
	case "dns":
		return checker(newDNS(target, rest, opts.DNS))
	case "unix":
		return checker(newUnix(target, rest))
	case "file":
		return checker(newFile(target, opts.File))
	case "postgres", "postgresql":
		return checker(newPostgres(target, opts))
	case "mysql":
		return checker(newMySQL(target, opts))
	case "redis", "rediss":
		return checker(newRedis(target, opts, strings.EqualFold(scheme, "rediss")))
	case "amqp", "amqps":
		return checker(newAMQP(target, opts, strings.EqualFold(scheme, "amqps")))
	case "nats":
		return checker(newNATS(target, opts))
	case "mqtt", "mqtts":
		return checker(newMQTT(target, opts, strings.EqualFold(scheme, "mqtts")))
	case "grpc", "grpcs":
		return checker(newGRPC(target, opts, strings.EqualFold(scheme, "grpcs")))
	case "k8s":
		return checker(newKube(target, rest, opts.Kube))
	default:
		return nil, usageErrorf(target, "unknown scheme %q (want tcp, http(s), dns, unix, file, postgres, mysql, redis(s), amqp(s), nats, mqtt(s), grpc(s) or k8s)", scheme)
	}
}

// checker keeps a nil *T from becoming a non-nil Checker.
func checker[T Checker](c T, err error) (Checker, error) {
	if err != nil {
		return nil, err
	}
	return c, nil
}

func parseBareHostPort(target string) (Checker, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return nil, usageErrorf(target, "not a target: want tcp://HOST:PORT, HOST:PORT, http(s)://…, dns://NAME, unix:///path or file:///path")
	}
	return checker(newTCP(target, target))
}
