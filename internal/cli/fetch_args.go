package cli

import (
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/initbox/initbox/fetch"
	"github.com/initbox/initbox/internal/redact"
)

// parseFetch validates the command line into jobs and options before any
// work: every mistake here exits 2.
func parseFetch(c *cli.Context) ([]fetch.Job, fetch.Options, error) {
	var opts fetch.Options
	jobs, err := fetchJobs(c)
	if err != nil {
		return nil, opts, err
	}
	if err := setSums(c, jobs); err != nil {
		return nil, opts, err
	}
	if opts, err = fetchOptions(c); err != nil {
		return nil, opts, err
	}
	if opts.OCI, err = ociOptions(c, jobs); err != nil {
		return nil, opts, err
	}
	if err := fetch.Check(jobs, opts.Extract); err != nil {
		return nil, opts, err
	}
	return jobs, opts, nil
}

// fetchJobs reads the URLs and where each goes: -o FILE for one URL,
// URL=PATH pairs, or --dir DIR.
func fetchJobs(c *cli.Context) ([]fetch.Job, error) {
	args := c.Args().Slice()
	out, dir := c.String("output"), c.String("dir")
	switch {
	case len(args) == 0:
		return nil, usagef("no URLs: give at least one, e.g. initbox fetch -o /work-dir/index.html https://kubernetes.io")
	case out != "" && dir != "":
		return nil, usagef("-o and --dir: give one of them (-o for one URL, --dir for several)")
	case out != "" && len(args) > 1:
		return nil, usagef("-o names one file but %d URLs were given: use --dir DIR or URL=PATH pairs", len(args))
	}
	jobs := make([]fetch.Job, len(args))
	for i, arg := range args {
		jobs[i] = fetch.Job{URL: arg, Dir: dir, Progress: &fetch.Progress{}}
		switch u, path, ok := splitPair(arg); {
		case out != "":
			jobs[i].Dest = out
		case ok:
			jobs[i].URL, jobs[i].Dest = u, path
		case dir == "":
			return nil, usagef("%s: no destination: give -o FILE, --dir DIR or URL=PATH", redact.URL(arg))
		}
	}
	return jobs, nil
}

// splitPair splits "URL=PATH" at the last "=" when what follows is a path
// (starting with "/" or "./"); a URL's own query "?a=b" stays whole.
func splitPair(arg string) (rawURL, path string, ok bool) {
	i := strings.LastIndexByte(arg, '=')
	if i < 0 {
		return "", "", false
	}
	rawURL, path = arg[:i], arg[i+1:]
	if !strings.HasPrefix(path, "/") && !strings.HasPrefix(path, "./") && !strings.HasPrefix(path, "../") {
		return "", "", false
	}
	if u, err := url.Parse(rawURL); err != nil || u.Scheme == "" {
		return "", "", false
	}
	return rawURL, path, true
}

// setSums gives each job its --sha256/--sha512, in order, or the
// --checksum-url to look it up in.
func setSums(c *cli.Context, jobs []fetch.Job) error {
	for _, algo := range []string{"sha256", "sha512"} {
		values := c.StringSlice(algo)
		if len(values) == 0 {
			continue
		}
		if len(values) != len(jobs) {
			return usagef("--%s given %d times for %d URLs: give one per URL, in order (- for none)", algo, len(values), len(jobs))
		}
		for i, v := range values {
			if v == "-" || v == "" {
				continue
			}
			sum, err := fetch.ParseSum(algo, v)
			if err != nil {
				return usagef("--%s %q: %v", algo, v, err)
			}
			if algo == "sha256" {
				jobs[i].Want.SHA256 = sum
			} else {
				jobs[i].Want.SHA512 = sum
			}
		}
	}
	if sumsURL := c.String("checksum-url"); sumsURL != "" {
		u, err := url.Parse(sumsURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
			return usagef("--checksum-url %s: want an http://, https:// or file:// URL", redact.URL(sumsURL))
		}
		for i := range jobs {
			jobs[i].SumsURL = sumsURL
		}
	}
	return nil
}

func fetchOptions(c *cli.Context) (fetch.Options, error) {
	o := fetch.Options{
		Headers:         c.StringSlice("header"),
		HeaderFiles:     c.StringSlice("header-file"),
		BearerTokenFile: c.String("bearer-token-file"),
		TLS: fetch.TLSOptions{CAFile: c.String("ca-file"), InsecureSkipVerify: c.Bool("insecure-skip-verify"),
			CertFile: c.String("cert"), KeyFile: c.String("key")},
		RetryNotFound: c.Bool("retry-not-found"),
		StallTimeout:  c.Duration("stall-timeout"),
		Parallel:      c.Int("parallel"),
		Extract:       c.Bool("extract"),
		Limits:        fetch.Limits{MaxFiles: c.Int("extract-max-files")},
		StateDir:      c.String("state-dir"),
	}
	var err error
	if o.MaxSize, err = parseSize("--max-size", c.String("max-size")); err != nil {
		return o, err
	}
	if o.Limits.MaxBytes, err = parseSize("--extract-max-size", c.String("extract-max-size")); err != nil {
		return o, err
	}
	mode, err := strconv.ParseUint(c.String("mode"), 8, 32)
	if err != nil || mode > 0o777 || mode == 0 {
		return o, usagef("--mode %q: want octal permissions such as 0644 or 0755", c.String("mode"))
	}
	o.Mode = os.FileMode(mode)
	switch {
	case c.Duration("timeout") < 0:
		return o, usagef("--timeout %v: want 0 (no limit) or a positive duration such as 10m", c.Duration("timeout"))
	case o.StallTimeout <= 0:
		return o, usagef("--stall-timeout %v: want a positive duration such as 30s", o.StallTimeout)
	case o.Parallel < 1:
		return o, usagef("--parallel %d: want 1 or more", o.Parallel)
	case o.Limits.MaxFiles < 1:
		return o, usagef("--extract-max-files %d: want 1 or more", o.Limits.MaxFiles)
	case o.Extract && o.Limits.MaxBytes == 0:
		return o, usagef("--extract-max-size 0: want a limit such as 4GiB")
	case c.Duration("progress-interval") < 0:
		return o, usagef("--progress-interval %v: want 0 (never) or a duration such as 5s", c.Duration("progress-interval"))
	}
	return o, nil
}
