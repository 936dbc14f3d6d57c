package fetch

import (
	"net/http"
	"os"
	"strings"

	"github.com/initbox/initbox/internal/httpopt"
	"github.com/initbox/initbox/internal/option"
)

// buildHeader turns "Name: value" options, "Name=/path" files and a bearer
// token file into the header sent with every request. Values never appear
// in error messages: they are often tokens.
func buildHeader(lines, files []string, tokenFile string) (http.Header, error) {
	h, err := httpopt.Header(lines, files)
	if err != nil {
		return nil, err
	}
	for name := range h {
		switch name {
		case "Range", "If-Range", "If-None-Match", "If-Modified-Since", "Accept-Encoding", "Host":
			return nil, option.Errorf(option.Headers, name, "initbox sets %s itself", name)
		}
	}
	if tokenFile != "" {
		data, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, httpopt.SecretFileError(option.BearerTokenFile, "", tokenFile, err)
		}
		token := strings.TrimSpace(string(data))
		if token == "" || strings.ContainsAny(token, "\r\n\x00") {
			return nil, option.Errorf(option.BearerTokenFile, tokenFile, "want one line holding the token")
		}
		h.Set("Authorization", "Bearer "+token)
	}
	return h, nil
}
