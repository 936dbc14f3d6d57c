package checks

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/initbox/initbox/internal/redact"
)

// Redirects says which redirects an HTTP check follows. The zero value is
// the kubelet's rule.
type Redirects int

const (
	// RedirectsSameHost follows a redirect whose host name is the first
	// request's (port and scheme may change), as the kubelet's prober does.
	// A redirect to another host is not followed: the target is ready, with
	// a warning, as the kubelet's probe result is Warning, a success.
	RedirectsSameHost Redirects = iota
	// RedirectsAll follows redirects to any host, as the kubelet's prober
	// does when built to follow non-local redirects.
	RedirectsAll
	// RedirectsNone follows no redirect and judges the 3xx itself.
	RedirectsNone
)

// maxRedirects is the kubelet's limit, which is net/http's: the tenth
// redirect fails the attempt.
const maxRedirects = 10

var redirectNames = [...]string{RedirectsSameHost: "same-host", RedirectsAll: "all", RedirectsNone: "none"}

func (r Redirects) String() string {
	if int(r) < len(redirectNames) {
		return redirectNames[r]
	}
	return fmt.Sprintf("Redirects(%d)", int(r))
}

// ParseRedirects reads a Redirects by its name: same-host, all or none.
func ParseRedirects(s string) (Redirects, error) {
	for i, name := range redirectNames {
		if strings.EqualFold(s, name) {
			return Redirects(i), nil
		}
	}
	return 0, fmt.Errorf("redirects %q: want same-host, all or none", s)
}

// ErrTooManyRedirects is an answer that was still a redirect after the
// limit.
var ErrTooManyRedirects = fmt.Errorf("stopped after %d redirects", maxRedirects)

// check is the client's CheckRedirect. It compares host names exactly as
// the kubelet does, so that both follow the same redirects.
func (r Redirects) check(req *http.Request, via []*http.Request) error {
	switch {
	case r == RedirectsNone:
		return http.ErrUseLastResponse
	case r == RedirectsSameHost && req.URL.Hostname() != via[0].URL.Hostname():
		return http.ErrUseLastResponse
	case len(via) >= maxRedirects:
		return ErrTooManyRedirects
	}
	return nil
}

// warning says why a ready answer deserves a warning: like the kubelet,
// a final 3xx that was not followed (another host's redirect, or one with
// no Location) is a success, but worth a line in the log. When redirects are
// not followed on purpose, a 3xx is the answer asked for.
func (r Redirects) warning(resp *http.Response) string {
	if r == RedirectsNone || resp.StatusCode < 300 || resp.StatusCode > 399 {
		return ""
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return fmt.Sprintf("status %d is a redirect without a Location: not followed", resp.StatusCode)
	}
	why := "not followed"
	if u, err := resp.Request.URL.Parse(loc); err == nil {
		loc = u.String()
		if u.Hostname() != resp.Request.URL.Hostname() {
			why = "another host: not followed"
		}
	}
	return fmt.Sprintf("status %d redirects to %s, %s", resp.StatusCode, redact.URL(loc), why)
}
