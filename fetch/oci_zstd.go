package fetch

import (
	"io"

	"github.com/klauspost/compress/zstd"
)

// maxZstdWindow bounds the memory a zstd stream may ask for: zstd --long
// uses 128 MiB windows; a stream asking for more is refused, not obeyed.
const maxZstdWindow = 128 << 20

// zstdReader decompresses zstd, as image layers
// (application/vnd.oci.image.layer.v1.tar+zstd) and archives may be.
// One goroutine: the layer is read in order anyway.
func zstdReader(r io.Reader) (io.ReadCloser, error) {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(maxZstdWindow))
	if err != nil {
		return nil, &ArchiveError{Reason: "bad zstd data: " + err.Error()}
	}
	return d.IOReadCloser(), nil
}
