package fetch

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
)

// The registry client is written here over net/http rather than taken
// from oras-go or go-containerregistry: a pull needs five requests of the
// distribution API (HEAD and GET of a manifest, GET of a blob with Range,
// the token request, the tag list for an error message), and what makes
// it initbox's — resuming blobs, verifying while streaming, renaming
// nothing until all is verified, the extract rules — would sit on top of
// either library anyway. See the commit that added this comment for the
// sizes measured.

// registry talks to one repository of one registry, with the retries,
// stall timeout, TLS options and redirect rules of every fetch.
type registry struct {
	f    *Fetcher
	ref  OCIRef
	base string      // https://host or http://host
	cred *credential // from the Docker config; nil: anonymous

	mu   sync.Mutex
	auth string // the Authorization value that worked; "" until one is needed
}

func (f *Fetcher) newRegistry(ref OCIRef) *registry {
	scheme := "https"
	if f.opts.OCI.PlainHTTP {
		scheme = "http"
	}
	r := &registry{f: f, ref: ref, base: scheme + "://" + ref.host()}
	if c, ok := f.creds[ref.Registry]; ok {
		r.cred = &c
	}
	return r
}

// send makes one request (retried on connection errors, 429 and 5xx) of
// path under /v2/REPO/, and answers a 401 once by authenticating as the
// registry's challenge asks. Any other status is the caller's to judge.
func (r *registry) send(ctx context.Context, method, path string, h http.Header) (*http.Response, error) {
	u, err := url.Parse(r.base + "/v2/" + r.ref.Repo + "/" + path)
	if err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		req := h.Clone()
		r.mu.Lock()
		if r.auth != "" {
			req.Set("Authorization", r.auth)
		}
		sent := r.auth
		r.mu.Unlock()
		t := &target{f: r.f, url: u, method: method}
		resp, err := t.do(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("registry %s: %w", r.ref.Registry, err)
		}
		if resp.StatusCode != http.StatusUnauthorized || try > 0 {
			return resp, nil
		}
		c := parseChallenge(resp.Header.Get("WWW-Authenticate"))
		resp.Body.Close()
		if err := r.authenticate(ctx, c, sent); err != nil {
			return nil, err
		}
	}
}

// authenticate finds the Authorization a challenge asks for. Parallel
// blob requests that meet the same challenge share one token request.
func (r *registry) authenticate(ctx context.Context, c challenge, sent string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.auth != sent { // another request authenticated meanwhile
		return nil
	}
	switch c.scheme {
	case "bearer":
		auth, err := r.tokenFor(ctx, c)
		if err != nil {
			return err
		}
		r.auth = auth
	case "basic":
		if r.cred == nil {
			return &AuthError{Registry: r.ref.Registry, Scope: r.ref.scope(), Status: http.StatusUnauthorized}
		}
		r.auth = basicAuth(*r.cred)
	default:
		return &AuthError{Registry: r.ref.Registry, Scope: r.ref.scope(), Status: http.StatusUnauthorized,
			Credentials: r.cred != nil, Detail: "unsupported authentication scheme " + truncate(c.scheme, 20)}
	}
	return nil
}

// failed turns an answer that is not what was asked for into an error:
// 401/403 into *AuthError, 404 into *NotFoundError (what and name say
// what was looked up), anything else into a *StatusError.
func (r *registry) failed(resp *http.Response, what, name string) error {
	code, msg := registryCode(resp)
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return &AuthError{Registry: r.ref.Registry, Scope: r.ref.scope(), Status: resp.StatusCode, Credentials: r.cred != nil, Detail: msg}
	case http.StatusNotFound:
		if code == "NAME_UNKNOWN" {
			what, name = "repository", ""
		}
		return &NotFoundError{Registry: r.ref.Registry, Repo: r.ref.Repo, What: what, Name: name, Code: code}
	}
	return fmt.Errorf("registry %s: %s %s: %w", r.ref.Registry, what, name, &StatusError{Code: resp.StatusCode, Body: msg})
}

// repoExists tells an unknown tag from an unknown repository, which
// registries both answer with MANIFEST_UNKNOWN: only the tag list says.
func (r *registry) repoExists(ctx context.Context) bool {
	resp, err := r.send(ctx, http.MethodGet, "tags/list?n=1", http.Header{})
	if err != nil {
		return true // no better answer: keep the first error
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		return true
	}
	code, _ := registryCode(resp)
	return code != "NAME_UNKNOWN"
}
