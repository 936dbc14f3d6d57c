package cli

import (
	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/checks"
)

const targetExamples = `Targets (several are checked in parallel; all must be ready unless --any):
   tcp://db:5432, db:5432, tcp://[::1]:80   a TCP connection opens (and is closed again)
   http://app:8080/healthz                  status 200-399, like a kubelet httpGet probe
   https://api.example/ready                the same over verified TLS
   dns://myservice                          the name resolves, through resolv.conf's search list
   unix:///run/app.sock                     a stream connection to the socket succeeds
   file:///shared/ready                     the file exists (--non-empty: and has data)
   postgres://app@db:5432/appdb             logs in and runs SELECT 1 (no user: the server answers, not 57P03)
   mysql://app@db:3306/appdb                logs in and pings (no user: the server sends its handshake)
   redis://:PASSWORD@cache:6379, rediss://  PING answers PONG, not LOADING or BUSY
   amqp://app@rabbit:5672/vhost, amqps://   Connection.Start; with a user, the vhost opens
   nats://nats:4222                         INFO, then PING answers PONG
   mqtt://broker:1883, mqtts://             CONNECT answered by CONNACK 0
   grpc://api:50051[/SERVICE], grpcs://     grpc.health.v1.Health/Check answers SERVING
   k8s://job/migrate, k8s://NS/pod/db-0     a Kubernetes object is ready, as kubectl wait/rollout status says:
   k8s://service/db?min=2                   pod Ready, Job complete (failed: exit 1 at once), rolled out,
   k8s://pods?selector=app=db&count=any     a Service's ready endpoints; any kind: ?condition=Ready,
   k8s://certificates.cert-manager.io/web   ?jsonpath=.status.phase&value=Bound, ?for=delete (by watch)
   Passwords: in the URL, or --password-file / INITBOX_PASSWORD for URLs without one.`

// targetFlags are the options of each target kind, shared by wait and check.
func targetFlags() []cli.Flag {
	http := "HTTP(S) targets"
	tlsCat := "TLS (https, rediss, amqps, mqtts, grpcs; postgres sslmode; nats when required)"
	dns := "DNS targets"
	proto := "Protocol targets (postgres, mysql, redis, amqp, nats, mqtt)"
	flags := []cli.Flag{
		&cli.StringFlag{Category: http, Name: "method", Value: "GET", Usage: "request method"},
		&cli.StringSliceFlag{Category: http, Name: "header", Usage: `request header "Name: value" (repeatable)`},
		&cli.StringSliceFlag{Category: http, Name: "header-file", Usage: `header whose value is read from a file: "Authorization=/var/run/secrets/token" (repeatable)`},
		&cli.StringFlag{Category: http, Name: "body", Usage: "request body, sent in full on every attempt"},
		&cli.StringFlag{Category: http, Name: "status", Value: "200-399", Usage: "accepted status codes and ranges, e.g. 200,204,300-399"},
		&cli.StringFlag{Category: http, Name: "expect-body", Usage: "the response body must contain this text"},
		&cli.StringFlag{Category: http, Name: "expect-regex", Usage: "the response body must match this regular expression"},
		&cli.StringFlag{Category: http, Name: "redirects", Value: "same-host", Usage: "which redirects to follow, at most 10: same-host (the kubelet's rule: a redirect to another host is not followed and counts as ready, with a warning), all, or none (the 3xx itself is judged)"},
		&cli.BoolFlag{Category: http, Name: "follow-redirects", Hidden: true, Usage: "same as --redirects all (kept for old scripts)"},
		&cli.StringFlag{Category: tlsCat, Name: "server-name", Usage: "name to verify in the server certificate instead of the URL's host"},
		&cli.StringFlag{Category: dns, Name: "dns-type", Usage: "record type: A, AAAA, CNAME, SRV, TXT or MX (default: A or AAAA)"},
		&cli.IntFlag{Category: dns, Name: "dns-min", Value: 1, Usage: "at least this many records (headless services)"},
		&cli.StringSliceFlag{Category: dns, Name: "dns-expect", Usage: "a value that must be among the answers (repeatable)"},
		&cli.StringFlag{Category: dns, Name: "dns-server", Usage: "ask this server (HOST or HOST:PORT) instead of resolv.conf's"},
		&cli.StringFlag{Category: dns, Name: "resolv-conf", Value: "/etc/resolv.conf", Usage: "resolver configuration, read as glibc reads it: nameservers, search list, options ndots, timeout, attempts, rotate, single-request (names are searched by glibc's rule: see docs/conformance.md)"},
		&cli.StringFlag{Category: dns, Name: "dns-resolver", Value: "glibc", Usage: "whose rule to resolve names by: glibc (Debian, Ubuntu, distroless images) or musl (Alpine images), which stops at the first search domain that does not answer NXDOMAIN"},
		&cli.StringFlag{Category: proto, Name: "password", Usage: "password for targets whose URL has none (prefer INITBOX_PASSWORD or --password-file: arguments show in ps)"},
		&cli.StringFlag{Category: proto, Name: "password-file", Usage: "file holding that password, read again on every attempt (mounted secrets)"},
		&cli.BoolFlag{Category: "File targets", Name: "non-empty", Usage: "the file must also have data"},
	}
	flags = append(flags, tlsFlags(tlsCat, "accept any server certificate (unsafe). Certificates are verified by default: stricter than a kubelet httpGet probe, which never verifies them")...)
	return append(flags, kubeFlags()...)
}

// goneFlag is wait's and check's --gone.
func goneFlag() cli.Flag {
	return &cli.BoolFlag{Name: "gone", Usage: "wait until each target is definitely gone (refused, unreachable, NXDOMAIN, absent, or answering not ready); a timeout is not gone"}
}

// parseTargets validates every target and its options before any attempt.
func parseTargets(c *cli.Context) ([]checks.Checker, error) {
	if c.NArg() == 0 {
		return nil, usagef("no targets: give at least one, e.g. tcp://db:5432 (see initbox %s --help)", c.Command.Name)
	}
	opts, err := targetOptions(c)
	if err != nil {
		return nil, err
	}
	targets := make([]checks.Checker, 0, c.NArg())
	for _, arg := range c.Args().Slice() {
		t, err := checks.Parse(arg, opts)
		if err != nil {
			return nil, withSchemeHint(arg, err)
		}
		targets = append(targets, t)
	}
	if c.Bool("gone") {
		for i, t := range targets {
			targets[i] = checks.Gone(t)
		}
	}
	if targetsNeedRoots(c.Args().Slice(), opts.HTTP.Redirects != checks.RedirectsNone) {
		loadFallbackRoots()
	}
	return targets, nil
}

func targetOptions(c *cli.Context) (checks.Options, error) {
	redirects, err := redirectsOption(c)
	if err != nil {
		return checks.Options{}, err
	}
	resolver, err := checks.ParseResolver(c.String("dns-resolver"))
	if err != nil {
		return checks.Options{}, usagef("--dns-%v", err)
	}
	return checks.Options{
		HTTP: checks.HTTPOptions{
			Method:      c.String("method"),
			Headers:     c.StringSlice("header"),
			HeaderFiles: c.StringSlice("header-file"),
			Body:        c.String("body"),
			Status:      c.String("status"),
			ExpectBody:  c.String("expect-body"),
			ExpectRegex: c.String("expect-regex"),
			Redirects:   redirects,
			UserAgent:   "initbox/" + buildVersion(),
			TLS: checks.TLSOptions{
				CAFile:             c.String("ca-file"),
				CertFile:           c.String("cert"),
				KeyFile:            c.String("key"),
				ServerName:         c.String("server-name"),
				InsecureSkipVerify: c.Bool("insecure-skip-verify"),
			},
		},
		DNS: checks.DNSOptions{
			Type:       c.String("dns-type"),
			MinRecords: c.Int("dns-min"),
			Expect:     c.StringSlice("dns-expect"),
			Server:     c.String("dns-server"),
			ResolvConf: c.String("resolv-conf"),
			Resolver:   resolver,
		},
		File: checks.FileOptions{NonEmpty: c.Bool("non-empty")},
		Auth: checks.AuthOptions{Password: c.String("password"), PasswordFile: c.String("password-file")},
		Kube: kubeOptions(c),
	}, nil
}

// redirectsOption reads --redirects, and --follow-redirects, its old
// spelling of "all".
func redirectsOption(c *cli.Context) (checks.Redirects, error) {
	r, err := checks.ParseRedirects(c.String("redirects"))
	if err != nil {
		return 0, usagef("--%v", err)
	}
	if c.Bool("follow-redirects") {
		if c.IsSet("redirects") && r != checks.RedirectsAll {
			return 0, usagef("--follow-redirects means --redirects all: drop one of them")
		}
		r = checks.RedirectsAll
	}
	return r, nil
}
