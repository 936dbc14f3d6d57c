package fetch

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// NotFoundError is a registry's 404 for something a pull needs: an
// unknown repository, tag, manifest or blob.
type NotFoundError struct {
	Registry string
	Repo     string
	What     string // "repository", "tag", "manifest" or "blob"
	Name     string // the tag or digest; "" for a repository
	Code     string // the registry's error code, e.g. MANIFEST_UNKNOWN
}

func (e *NotFoundError) Error() string {
	if e.What == "repository" {
		return fmt.Sprintf("registry %s has no repository %s", e.Registry, e.Repo)
	}
	return fmt.Sprintf("registry %s: repository %s has no %s %s", e.Registry, e.Repo, e.What, e.Name)
}

// AuthError is a 401 or 403 from a registry or its token service.
type AuthError struct {
	Registry string
	Scope    string // e.g. repository:team/app:pull
	Status   int
	// Credentials says whether the Docker config held credentials for
	// the registry (they were sent and refused) or not (the pull was
	// anonymous).
	Credentials bool
	Detail      string // the registry's message, quoted and truncated
}

func (e *AuthError) Error() string {
	msg := fmt.Sprintf("registry %s refused %s: status %d %s", e.Registry, e.Scope, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		msg += fmt.Sprintf(" (%q)", e.Detail)
	}
	if e.Credentials {
		return msg + "; the credentials found for it in the Docker config were sent and not accepted"
	}
	return msg + "; no credentials for it were found in the Docker config, so the pull was anonymous"
}

// DigestError is content that does not hash to the digest it was asked
// for by: a corrupted or tampered blob or manifest. Nothing was written.
type DigestError struct {
	What   string // "blob", "manifest"
	Digest string // wanted
	Got    string // "sha256:…", or a reason when the size is already wrong
}

func (e *DigestError) Error() string {
	return fmt.Sprintf("%s %s: content does not match its digest (got %s); nothing was written", e.What, e.Digest, e.Got)
}

// ManifestError is a manifest initbox cannot use: an unknown media type,
// no platform that matches, an image pulled without saying what to do
// with it.
type ManifestError struct {
	Ref    string
	Reason string
	Image  bool // a container image was pulled without saying what to do with it
}

func (e *ManifestError) Error() string { return e.Ref + ": " + e.Reason }

// registryCode reads the first error code of a registry's JSON error
// body ({"errors":[{"code":…,"message":…}]}), and its message.
func registryCode(resp *http.Response) (code, message string) {
	var body struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if json.Unmarshal(data, &body) != nil || len(body.Errors) == 0 {
		return "", strings.TrimSpace(truncate(string(data), 100))
	}
	return body.Errors[0].Code, truncate(body.Errors[0].Message, 100)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
