package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/fetch"
)

// defaultFetchTimeout bounds a whole fetch, retries and resumptions
// included. Ten minutes is a 1 GiB file at under 2 MB/s; larger files or
// slower links want --timeout 0 (no limit) and a pod's deadline instead.
const defaultFetchTimeout = 10 * time.Minute

const fetchExamples = `Examples:
   initbox fetch -o /work-dir/index.html https://kubernetes.io
   initbox fetch --sha256 9f86d08…0f00a08 -o /models/model.bin https://example.com/model.bin
   initbox fetch --dir /shared https://example.com/a.json https://example.com/b.json
   initbox fetch --checksum-url https://example.com/SHA256SUMS --dir /opt https://example.com/tool-1.2.tar.gz
   initbox fetch --extract -o /opt/tool https://example.com/tool-1.2.tar.gz
   initbox fetch https://example.com/app.conf=/etc/app/app.conf https://example.com/ca.pem=/etc/app/ca.pem
   initbox fetch --bearer-token-file /var/run/secrets/token -o /data/x.bin https://api.internal/x.bin
   initbox fetch -o /shared/config.json http://config:8080/config.json -- /app/server` + ociExamples

var fetchHelp = commandHelp{
	usage: "download files crash-safely: verified, resumable, atomic, idempotent",
	forms: []string{"[options] URL... [-- COMMAND [ARG...]]", "[options] URL=PATH..."},
	about: []string{"Each file goes to a temporary file beside its destination, is hashed while written,\n" +
		"verified, synced and renamed into place: a failure leaves the old file as it was.\n" +
		"With a checksum, a file already right on disk is skipped without any request; without\n" +
		"one, a manifest (an extended attribute of the file, or in --state-dir) makes the re-run a\n" +
		"conditional request (304: nothing written). Cut-off downloads resume (Range +\n" +
		"If-Range); connection errors, 408, 429 and 5xx are retried until --timeout. URLs:\n" +
		"http://, https://, file:///path, and oci://REGISTRY/REPO:TAG (artifacts and images\n" +
		"from OCI registries, into -o DIR). Proxies from HTTP_PROXY, HTTPS_PROXY and NO_PROXY\n" +
		"are used, as curl does.",
		fetchExamples},
}

func fetchCommand(e *env) *cli.Command {
	return e.newCommand("fetch", fetchHelp, fetchFlags(), runFetch)
}

func fetchFlags() []cli.Flag {
	return append(httpFetchFlags(), ociFlags()...)
}

func httpFetchFlags() []cli.Flag {
	out, verify, net, tlsCat := "Output", "Verification", "Network", "TLS"
	flags := []cli.Flag{
		&cli.StringFlag{Category: out, Name: "output", Aliases: []string{"o"}, Usage: "write the (one) URL to FILE"},
		&cli.StringFlag{Category: out, Name: "dir", Usage: "write each URL into DIR, named after the URL's path (or Content-Disposition when the path has no name)"},
		&cli.StringFlag{Category: out, Name: "mode", Value: "0644", Usage: "permissions of the files written, in octal"},
		&cli.BoolFlag{Category: out, Name: "extract", Usage: "unpack .tar, .tar.gz, .tgz, .zip (into a directory) or .gz (into a file)"},
		&cli.StringFlag{Category: out, Name: "extract-max-size", Value: "4GiB", Usage: "refuse an archive that unpacks to more than this"},
		&cli.IntFlag{Category: out, Name: "extract-max-files", Value: fetch.DefaultExtractFiles, Usage: "refuse an archive with more entries than this"},
		&cli.StringFlag{Category: out, Name: "state-dir", Usage: "keep the manifests that make re-runs conditional requests in DIR (default: an extended attribute of each file, or a hidden .NAME.initbox.json beside it on file systems without them)"},
		&cli.StringSliceFlag{Category: verify, Name: "sha256", Usage: "expected SHA-256 (hex); repeat once per URL, in order; - for none"},
		&cli.StringSliceFlag{Category: verify, Name: "sha512", Usage: "expected SHA-512 (hex); repeat once per URL, in order; - for none"},
		&cli.StringFlag{Category: verify, Name: "checksum-url", Usage: "a sha256sum/sha512sum-format file listing the files' names (http(s):// or file://)"},
		&cli.StringFlag{Category: verify, Name: "max-size", Value: "0", Usage: "refuse a download larger than this, e.g. 500MiB (0: no limit)"},
		&cli.DurationFlag{Category: net, Name: "timeout", Value: defaultFetchTimeout, Usage: "give up after this long, retries included (0: never); exit 124"},
		&cli.DurationFlag{Category: net, Name: "stall-timeout", Value: fetch.DefaultStallTimeout, Usage: "abandon an attempt that receives nothing this long, and resume"},
		&cli.IntFlag{Category: net, Name: "parallel", Value: fetch.DefaultParallel, Usage: "downloads at once, and blobs at once within an oci:// pull"},
		&cli.BoolFlag{Category: net, Name: "retry-not-found", Usage: "also retry 404 and 403 until --timeout: a file not published yet"},
		&cli.StringSliceFlag{Category: net, Name: "header", Usage: `request header "Name: value" (repeatable)`},
		&cli.StringSliceFlag{Category: net, Name: "header-file", Usage: `header whose value is read from a file: "X-Api-Key=/var/run/secrets/key" (repeatable)`},
		&cli.StringFlag{Category: net, Name: "bearer-token-file", Usage: `send "Authorization: Bearer <the file's content>"`},
		&cli.DurationFlag{Category: net, Name: "progress-interval", Value: 5 * time.Second, Usage: "when stderr is not a terminal, log progress this often (0: never)"},
	}
	return append(flags, tlsFlags(tlsCat, "accept any server certificate (unsafe)")...)
}

func runFetch(c *cli.Context, e *env) error {
	jobs, opts, err := parseFetch(c)
	if err != nil {
		return err
	}
	if err := e.checkCommandArgs(); err != nil {
		return err
	}
	done := e.showProgress(c, jobs) // before New: it may redirect e.log
	opts.Log = e.log
	opts.Proxy = http.ProxyFromEnvironment
	f, err := fetch.New(opts)
	if err != nil {
		done()
		return err
	}
	ctx := c.Context // cancelled by SIGTERM: see WithSignals
	if d := c.Duration("timeout"); d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	results := f.All(ctx, jobs)
	done()
	return e.fetchVerdict(results, context.Cause(c.Context))
}

// fetchVerdict logs one summary line per file and turns failures into the
// exit code: interrupted, timed out (when the deadline stopped every
// failed fetch) or failed.
func (e *env) fetchVerdict(results []fetch.Result, interrupted error) error {
	var failed []fetch.Result
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r)
			continue
		}
		e.log.Info(string(r.Status), "url", r.URL, "file", r.Dest, "size", r.Size,
			"sha256", r.SHA256, "elapsed", r.Elapsed.Round(time.Millisecond).String())
	}
	if len(failed) == 0 {
		return nil
	}
	k, msg := kindFailed, "failed"
	var sig *signalError
	switch {
	case errors.As(interrupted, &sig):
		msg = "interrupted"
	case allTimedOut(failed):
		k, msg = kindTimeout, "timed out"
	case interrupted != nil:
		msg = "stopped" // by a run's group: another step failed
	}
	for _, r := range failed {
		text := r.Err.Error()
		if interrupted != nil {
			// Say what cancelled it, not "context canceled".
			text = strings.Replace(text, context.Canceled.Error(), interrupted.Error(), 1)
		}
		attrs := []any{"url", r.URL, "error", text + ociHint(r.Err)}
		if r.Dest != "" {
			attrs = append(attrs, "file", r.Dest)
		}
		e.log.Error(msg, attrs...)
	}
	err := fmt.Errorf("%d of %d fetches %s", len(failed), len(results), msg)
	if sig != nil {
		err = fmt.Errorf("%w: %w", sig, err)
	}
	return loggedErr(k, err)
}

// allTimedOut reports whether the deadline is what stopped the failed
// fetches; a 404 beside a timeout is still a failure (exit 1).
func allTimedOut(failed []fetch.Result) bool {
	for _, r := range failed {
		if !errors.Is(r.Err, context.DeadlineExceeded) {
			return false
		}
	}
	return true
}
