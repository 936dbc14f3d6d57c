package fetch

import (
	"net/http"
	"os"
	"strings"

	"github.com/initbox/initbox/internal/httpopt"
)

// buildHeader turns "Name: value" options, "Name=/path" files and a bearer
// token file into the header sent with every request. Values never appear
// in error messages: they are often tokens.
func buildHeader(lines, files []string, tokenFile string) (http.Header, error) {
	h, err := httpopt.Header(lines, files)
	if err != nil {
		return nil, asUsageError(err)
	}
	for name := range h {
		switch name {
		case "Range", "If-Range", "If-None-Match", "If-Modified-Since", "Accept-Encoding", "Host":
			return nil, usageErrorf("--header "+name, "initbox sets %s itself", name)
		}
	}
	if tokenFile != "" {
		data, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, asUsageError(httpopt.SecretFileError("--bearer-token-file ", tokenFile, err))
		}
		token := strings.TrimSpace(string(data))
		if token == "" || strings.ContainsAny(token, "\r\n\x00") {
			return nil, usageErrorf("--bearer-token-file "+tokenFile, "want one line holding the token")
		}
		h.Set("Authorization", "Bearer "+token)
	}
	return h, nil
}

// asUsageError turns an httpopt.ArgError into a *UsageError.
func asUsageError(err error) error {
	if ae, ok := httpopt.AsArgError(err); ok {
		return &UsageError{Arg: ae.Arg, Err: ae.Err}
	}
	return err
}
