// Package redact removes secrets from URLs, and from messages about them,
// before they are logged.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
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
	if err != nil || passwordCut(u, s) {
		return unparsed(s)
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

// Secrets returns what URL hides in s: the password and the values of
// credential-like query parameters, found by shape when s does not parse.
// A message about s that might quote a piece of it can be passed through
// Hide with them.
func Secrets(s string) []string {
	var secrets []string
	add := func(v string) {
		if v != "" {
			secrets = append(secrets, v)
		}
	}
	if u, err := url.Parse(s); err == nil && !passwordCut(u, s) {
		if u.User != nil {
			pw, _ := u.User.Password()
			add(pw)
		}
		for k, vs := range u.Query() {
			if secretKey().MatchString(k) {
				for _, v := range vs {
					add(v)
				}
			}
		}
		return secrets
	}
	if start, end, ok := passwordSpan(s); ok {
		add(s[start:end])
	}
	for _, span := range querySpans(s) {
		add(s[span[0]:span[1]])
	}
	return secrets
}

// Hide replaces each of secrets in text with "xxxxx", longest first, so
// that no secret is hidden only in part.
func Hide(text string, secrets []string) string {
	sorted := slices.Clone(secrets)
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, s := range sorted {
		if s != "" {
			text = strings.ReplaceAll(text, s, "xxxxx")
		}
	}
	return text
}

// ParseError describes why url.Parse refused s without quoting s: its
// messages quote pieces of the authority ("invalid port \":s3cret\""),
// which is where a password with an unescaped / ? # or @ breaks the URL.
func ParseError(s string, err error) string {
	if _, _, ok := passwordSpan(s); ok {
		return "bad URL (a password holding / ? # or @ must have them percent-encoded: %2F %3F %23 %40)"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // the rest quotes s whole
	}
	return "bad URL: " + Hide(err.Error(), Secrets(s))
}

// unparsed hides, by their shape alone, the password and the credential-like
// query values of a URL that does not parse.
func unparsed(s string) string {
	spans := querySpans(s)
	if start, end, ok := passwordSpan(s); ok {
		spans = append([][2]int{{start, end}}, spans...)
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp[0] < last {
			continue // a query inside the password
		}
		b.WriteString(s[last:sp[0]])
		b.WriteString("xxxxx")
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// passwordCut reports whether s parsed as u only because a "#" or "?" in
// its password ended the authority early (http://u:p#w@host): url.Parse
// then finds no user, and the password is in what it took for the
// fragment or the query. Such a URL is hidden by shape, as one that does
// not parse.
func passwordCut(u *url.URL, s string) bool {
	i := strings.Index(s, "://")
	if u.User != nil || i < 0 {
		return false
	}
	// The "#" or "?" must come before the first "/", where it ends the
	// authority; the password after it may hold a "/" too, so its "@" is
	// looked for in the whole of s.
	auth, _, _ := strings.Cut(s[i+3:], "/")
	_, _, ok := passwordSpan(s)
	return ok && strings.ContainsAny(auth, "#?")
}

// passwordSpan finds the password of scheme://user:password@host… by shape:
// from the first ":" after "://" to the last "@". The password may hold
// "/", "?" or "#" that broke the URL, so the "@" is looked for everywhere;
// in a URL that does not parse anyway, hiding too much is the safe error.
func passwordSpan(s string) (start, end int, ok bool) {
	i := strings.Index(s, "://")
	if i < 0 {
		return 0, 0, false
	}
	rest := s[i+3:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return 0, 0, false
	}
	colon := strings.Index(rest[:at], ":")
	if colon < 0 {
		return 0, 0, false
	}
	return i + 3 + colon + 1, i + 3 + at, true
}

// querySpans finds the values of credential-like parameters after the
// first "?", by shape.
func querySpans(s string) [][2]int {
	q := strings.IndexByte(s, '?')
	if q < 0 {
		return nil
	}
	var spans [][2]int
	pos := q + 1
	for _, pair := range strings.Split(s[q+1:], "&") {
		if k, v, ok := strings.Cut(pair, "="); ok && v != "" && secretKey().MatchString(k) {
			start := pos + len(k) + 1
			spans = append(spans, [2]int{start, start + len(v)})
		}
		pos += len(pair) + 1
	}
	return spans
}

// minSecret is the shortest value EnvSecrets takes for a secret: shorter
// ones, such as API_KEY_ENABLED=1 or AUTH=true, would hide every "1" or
// "true" of a text while protecting nothing.
const minSecret = 6

// EnvSecrets returns the values in env that are secrets, for hiding with
// Hide in text that shows what was rendered from them: the values of
// variables whose names look like credentials (DB_PASSWORD, API_TOKEN,
// AWS_SECRET_ACCESS_KEY), and the passwords and tokens inside URL values
// (DATABASE_URL=postgres://app:pw@db/app). Values shorter than six bytes
// are left out.
func EnvSecrets(env map[string]string) []string {
	var secrets []string
	for name, v := range env {
		candidates := Secrets(v)
		if secretKey().MatchString(name) {
			candidates = append(candidates, v)
		}
		for _, c := range candidates {
			if len(c) >= minSecret {
				secrets = append(secrets, c)
			}
		}
	}
	slices.Sort(secrets)
	return slices.Compact(secrets)
}
