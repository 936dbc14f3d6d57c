package fetch

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/initbox/initbox/internal/httpopt"
	"github.com/initbox/initbox/internal/option"
)

// credential is a user name and password (or token) for one registry.
type credential struct{ user, pass string }

// dockerConfig is the part of ~/.docker/config.json (and of a
// kubernetes.io/dockerconfigjson secret, which has the same form) that
// holds credentials. The older .dockercfg form is the "auths" map alone.
type dockerConfig struct {
	Auths map[string]struct {
		Auth     string `json:"auth"`
		Username string `json:"username"`
		Password string `json:"password"`
	} `json:"auths"`
}

// loadCredentials reads a Docker config file into credentials by
// registry host. Credential helpers (credsStore, credHelpers) are not
// run: initbox runs where no helper is installed. Errors name the file,
// never its content.
func loadCredentials(path string) (map[string]credential, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, httpopt.SecretFileError(option.OCIAuthFile, "", path, err)
	}
	var cfg dockerConfig
	if json.Unmarshal(data, &cfg) != nil {
		return nil, option.Errorf(option.OCIAuthFile, path, "not a Docker config file (JSON with \"auths\")")
	}
	if cfg.Auths == nil { // .dockercfg: the map at the top level
		if json.Unmarshal(data, &cfg.Auths) != nil {
			return nil, option.Errorf(option.OCIAuthFile, path, "not a Docker config file (JSON with \"auths\")")
		}
	}
	creds := map[string]credential{}
	for key, a := range cfg.Auths {
		c := credential{a.Username, a.Password}
		if a.Auth != "" {
			raw, err := base64.StdEncoding.DecodeString(a.Auth)
			user, pass, ok := strings.Cut(string(raw), ":")
			if err != nil || !ok {
				return nil, option.Errorf(option.OCIAuthFile, path, "the \"auth\" of %s is not base64 of user:password", configHost(key))
			}
			c = credential{user, pass}
		}
		if c.user != "" || c.pass != "" {
			creds[configHost(key)] = c
		}
	}
	return creds, nil
}

// configHost reduces a Docker config key ("https://index.docker.io/v1/",
// "registry.example:5000") to the registry's host[:port].
func configHost(key string) string {
	if u, err := url.Parse(key); err == nil && u.Host != "" {
		key = u.Host
	} else if i := strings.IndexByte(key, '/'); i >= 0 {
		key = key[:i]
	}
	if key == "index.docker.io" || key == "registry-1.docker.io" {
		return "docker.io"
	}
	return key
}

// challenge is a parsed WWW-Authenticate header.
type challenge struct {
	scheme string // "bearer" or "basic", lowercased
	params map[string]string
}

// parseChallenge reads the first challenge of a WWW-Authenticate value:
// `Bearer realm="https://auth.example/token",service="registry",scope="…"`.
func parseChallenge(v string) challenge {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
	for rest != "" {
		var key, val string
		key, rest, _ = strings.Cut(strings.TrimLeft(rest, " ,"), "=")
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			val = strings.ReplaceAll(rest[1:min(end, len(rest))], `\"`, `"`)
			rest = rest[min(end+1, len(rest)):]
		} else {
			val, rest, _ = strings.Cut(rest, ",")
		}
		if key = strings.ToLower(strings.TrimSpace(key)); key != "" {
			c.params[key] = val
		}
	}
	return c
}

// tokenFor runs the registry token flow: a GET of the realm with the
// service and scope, with the credentials as basic auth if there are
// any, answered by {"token": …} (or "access_token").
func (r *registry) tokenFor(ctx context.Context, c challenge) (string, error) {
	realm, err := url.Parse(c.params["realm"])
	if err != nil || realm.Host == "" || (realm.Scheme != "https" && realm.Scheme != "http") {
		return "", fmt.Errorf("registry %s: bad token realm in its WWW-Authenticate", r.ref.Registry)
	}
	if realm.Scheme == "http" && r.cred != nil && !r.f.opts.OCI.PlainHTTP {
		return "", fmt.Errorf("registry %s: refusing to send credentials to the plain-http token realm %s", r.ref.Registry, realm.Host)
	}
	q := realm.Query()
	if s := c.params["service"]; s != "" {
		q.Set("service", s)
	}
	q.Set("scope", r.scope(c))
	realm.RawQuery = q.Encode()
	h := http.Header{}
	if r.cred != nil {
		h.Set("Authorization", basicAuth(*r.cred))
	}
	t := &target{f: r.f, url: realm}
	resp, err := t.do(ctx, h)
	if err != nil {
		return "", fmt.Errorf("registry %s: token service %s: %w", r.ref.Registry, realm.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		_, msg := registryCode(resp)
		return "", &AuthError{Registry: r.ref.Registry, Scope: r.scope(c), Status: resp.StatusCode, Credentials: r.cred != nil, Detail: msg}
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("registry %s: token service %s: %w", r.ref.Registry, realm.Host, statusError(resp))
	}
	data, err := readSmall(resp.Body, 1<<20)
	if err != nil {
		return "", err
	}
	var tok struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(data, &tok) != nil || tok.Token == "" && tok.AccessToken == "" {
		return "", fmt.Errorf("registry %s: token service %s answered no token", r.ref.Registry, realm.Host)
	}
	return "Bearer " + cmpOr(tok.Token, tok.AccessToken), nil
}

// scope is the challenge's scope if it names one, else a pull of the
// repository.
func (r *registry) scope(c challenge) string {
	if s := c.params["scope"]; s != "" {
		return s
	}
	return r.ref.scope()
}

func basicAuth(c credential) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(c.user+":"+c.pass))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
