package checks

import (
	"net/http"

	"github.com/initbox/initbox/internal/httpopt"
)

// buildHeader turns the header options into a header; a Host header becomes
// the request's host instead.
func buildHeader(lines, files []string) (http.Header, string, error) {
	h, err := httpopt.Header(lines, files)
	if err != nil {
		return nil, "", err
	}
	host := h.Get("Host")
	h.Del("Host")
	return h, host, nil
}
