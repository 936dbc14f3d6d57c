// Package redact removes secrets from URLs before they are logged.
package redact

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// secretKey matches query parameter names that usually carry credentials
// (access_token, api_key, X-Amz-Signature, password, …).
// Compiled on first use, not at start-up.
var secretKey = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(token|key|secret|passw|pwd|sig|auth|credential)`)
})

// URL returns s with any userinfo password and any credential-like query
// value replaced by "xxxxx". Text that is not a URL is returned unchanged.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return userinfo(s)
	}
	if u.User == nil && u.RawQuery == "" {
		return s
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k, vs := range q {
			if secretKey().MatchString(k) {
				for i := range vs {
					vs[i] = "xxxxx"
				}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// userinfo hides the password of a URL that does not parse, by its shape
// alone: scheme://user:password@host….
func userinfo(s string) string {
	_, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	authority, _, _ := strings.Cut(rest, "/")
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return s
	}
	colon := strings.Index(authority[:at], ":")
	if colon < 0 {
		return s
	}
	start := len(s) - len(rest) + colon + 1
	end := len(s) - len(rest) + at
	return s[:start] + "xxxxx" + s[end:]
}
