package fetch

import (
	"io"

	"github.com/initbox/initbox/internal/third_party/zstd"
)

// zstdReader decompresses zstd, as image layers
// (application/vnd.oci.image.layer.v1.tar+zstd) and .tar.zst archives may
// be, with the standard library's own decoder (see internal/third_party/zstd).
func zstdReader(r io.Reader) (io.ReadCloser, error) {
	return io.NopCloser(zstd.NewReader(r)), nil
}
