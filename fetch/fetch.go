// Package fetch downloads files crash-safely: into a temporary file beside
// the destination, hashed while written, verified, synced and renamed into
// place, so a reader only ever sees the old file or the complete new one.
// Downloads resume after a cut with Range and If-Range, re-runs that would
// change nothing write nothing, and archives can be unpacked safely.
//
// The package never exits, reads the environment or writes to a terminal:
// the caller passes a logger, and reads progress and results.
package fetch

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/initbox/initbox/internal/option"
	"github.com/initbox/initbox/internal/redact"
)

// Defaults for Options fields left at zero.
const (
	DefaultParallel      = 4
	DefaultStallTimeout  = 30 * time.Second
	DefaultMode          = 0o644
	DefaultExtractBytes  = 4 << 30
	DefaultExtractFiles  = 100_000
	defaultRetryWaitMin  = 250 * time.Millisecond
	defaultRetryWaitMax  = 10 * time.Second
	maxChecksumFileBytes = 1 << 20
)

// Options configures a Fetcher. The zero value gives the documented
// defaults.
type Options struct {
	Headers         []string // "Name: value"
	HeaderFiles     []string // "Name=/path": the value is the file's content, trimmed (mounted secrets)
	BearerTokenFile string   // sends "Authorization: Bearer <content>"
	TLS             TLSOptions
	// Proxy picks the proxy for a request, e.g. http.ProxyFromEnvironment;
	// nil means no proxy. The caller decides, so the package never reads
	// the environment behind its back.
	Proxy func(*http.Request) (*url.URL, error)

	MaxSize       int64         // largest download accepted, in bytes; 0: no limit
	RetryNotFound bool          // also retry 404 and 403: a file not published yet
	StallTimeout  time.Duration // an attempt that receives nothing this long is abandoned and resumed
	RetryWaitMin  time.Duration // first pause between attempts; it doubles up to RetryWaitMax
	RetryWaitMax  time.Duration
	Parallel      int         // downloads at once (All)
	Mode          os.FileMode // of the files written; default 0644

	Extract bool // unpack .tar, .tar.gz, .tgz, .zip or .gz into the destination
	Limits  Limits

	// StateDir, if set, keeps the manifests that make re-runs cheap; by
	// default they are extended attributes of the files fetched (see
	// manifest_store.go).
	StateDir string

	OCI OCIOptions // for oci:// references

	Log *slog.Logger // retries, resumptions and restarts; nil: silent
}

// Job is one file to fetch.
type Job struct {
	URL string
	// Dest is the file to write (with Extract, the directory to fill, or
	// the file for a .gz). If empty, the name comes from the URL's path or,
	// when the path has none, from the answer's Content-Disposition, in Dir.
	Dest string
	Dir  string
	Want Sums // expected checksums; zero: none
	// SumsURL names a checksum file in the sha256sum (or sha512sum) format
	// that lists this file's name; used when Want is zero.
	SumsURL string
	// Progress, if not nil, is updated as the file arrives.
	Progress *Progress
}

// Status says what a fetch did.
type Status string

const (
	Downloaded Status = "downloaded"
	Resumed    Status = "resumed"   // completed from a partial download
	Skipped    Status = "skipped"   // the file on disk matched the checksum: no request made
	Unchanged  Status = "unchanged" // the server or the content said nothing changed: nothing written
)

// Result is the outcome of one Job.
type Result struct {
	URL     string // with secrets removed
	Dest    string
	Status  Status
	Size    int64
	SHA256  string // hex, of the file (or archive) fetched
	Elapsed time.Duration
	Err     error
}

// Progress counts a download's bytes, for the caller to show. It is safe
// to read while the download runs.
type Progress struct {
	done, total atomic.Int64
	dest        atomic.Value // string
}

// Done is the number of bytes of the file on disk so far, resumed ones
// included.
func (p *Progress) Done() int64 { return p.done.Load() }

// Total is the expected size, or -1 when the server did not say.
func (p *Progress) Total() int64 { return p.total.Load() - 1 }

// Dest is the destination, once known.
func (p *Progress) Dest() string {
	s, _ := p.dest.Load().(string)
	return s
}

func (p *Progress) setTotal(n int64) {
	if p != nil {
		p.total.Store(n + 1)
	}
}

func (p *Progress) setDone(n int64) {
	if p != nil {
		p.done.Store(n)
	}
}

func (p *Progress) add(n int) {
	if p != nil {
		p.done.Add(int64(n))
	}
}

func (p *Progress) setDest(s string) {
	if p != nil {
		p.dest.Store(s)
	}
}

// Fetcher fetches Jobs with one shared HTTP client.
type Fetcher struct {
	opts   Options
	client *http.Client
	header http.Header
	log    *slog.Logger

	sumsMu sync.Mutex
	sums   map[string]*sumsFile // checksum files, fetched once per run

	creds    map[string]credential // registry credentials by host, from OCIOptions.AuthFile
	platform Platform              // of images chosen from an index
}

// New validates opts (headers, files, CA certificates) and builds a
// Fetcher. Its errors are *UsageError.
func New(opts Options) (*Fetcher, error) {
	if opts.Parallel <= 0 {
		opts.Parallel = DefaultParallel
	}
	if opts.StallTimeout <= 0 {
		opts.StallTimeout = DefaultStallTimeout
	}
	if opts.RetryWaitMin <= 0 {
		opts.RetryWaitMin = defaultRetryWaitMin
	}
	if opts.RetryWaitMax < opts.RetryWaitMin {
		opts.RetryWaitMax = max(defaultRetryWaitMax, opts.RetryWaitMin)
	}
	if opts.Mode == 0 {
		opts.Mode = DefaultMode
	}
	opts.Limits = opts.Limits.withDefaults()
	f := &Fetcher{opts: opts, log: opts.Log, sums: map[string]*sumsFile{}}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if f.header, err = buildHeader(opts.Headers, opts.HeaderFiles, opts.BearerTokenFile); err != nil {
		return nil, err
	}
	if f.client, err = f.newClient(); err != nil {
		return nil, err
	}
	if err := f.setupOCI(); err != nil {
		return nil, err
	}
	return f, nil
}

// UsageError is a Job or option that can never work: a bad URL, checksum,
// header or CA file. It is reported before any download starts.
// Option names the option at fault (the CLI names its flag), Arg the URL
// or value, secrets removed.
type UsageError = option.Error

func usageErrorf(arg, format string, a ...any) error {
	return &UsageError{Arg: arg, Err: fmt.Errorf(format, a...)}
}

// All fetches every job, at most Options.Parallel at once, and returns
// their results in order. A failed job does not stop the others: each is
// idempotent, so whatever completes need not be fetched again. Idle
// keep-alive connections are closed when it returns: a run's connections
// (and their goroutines) do not outlive it.
func (f *Fetcher) All(ctx context.Context, jobs []Job) []Result {
	defer f.client.CloseIdleConnections()
	results := make([]Result, len(jobs))
	sem := make(chan struct{}, f.opts.Parallel)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				results[i] = f.Fetch(ctx, jobs[i])
			case <-ctx.Done():
				results[i] = Result{URL: redact.URL(jobs[i].URL), Dest: jobs[i].Dest, Err: context.Cause(ctx)}
			}
		}()
	}
	wg.Wait()
	return results
}

// Fetch fetches one job.
func (f *Fetcher) Fetch(ctx context.Context, job Job) Result {
	start := time.Now()
	res, err := f.fetch(ctx, job)
	res.URL = redact.URL(job.URL)
	res.Elapsed = time.Since(start)
	res.Err = err
	return res
}

func (f *Fetcher) fetch(ctx context.Context, job Job) (Result, error) {
	if strings.HasPrefix(job.URL, OCIScheme+"://") {
		return f.pull(ctx, job)
	}
	u, err := url.Parse(job.URL)
	if err != nil {
		return Result{Dest: job.Dest}, usageErrorf(redact.URL(job.URL), "bad URL")
	}
	want, err := f.wantSums(ctx, job, u)
	if err != nil {
		return Result{Dest: job.Dest}, err
	}
	t := &target{f: f, job: job, url: u, want: want, dest: job.Dest}
	if t.dest == "" {
		if name := nameFromURL(u); name != "" {
			t.dest = joinDir(job.Dir, f.opts.Extract, name)
		}
	}
	if !f.opts.Extract && t.dest != "" {
		if fi, err := os.Stat(t.dest); err == nil && fi.IsDir() {
			return t.result(), fmt.Errorf("%s is a directory: give the file's path (%s %s) or use %s", t.dest, option.Dest, filepath.Join(t.dest, "NAME"), option.Dir)
		}
	}
	if u.Scheme == "file" {
		return t.copyLocal(ctx)
	}

	return t.download(ctx)
}

// makeDir creates the destination's directory if missing, as a volume
// mounted at /shared with --dir /shared/models needs.
func makeDir(dest string) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return fmt.Errorf("creating the destination's directory: %w", err)
	}
	return nil
}
