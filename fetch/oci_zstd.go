package fetch

import (
	"bufio"
	"io"
)

// zstdReader decompresses a zstd layer.
func zstdReader(br *bufio.Reader) (io.Reader, error) {
	return nil, &ArchiveError{Reason: "zstd-compressed layers are not supported"}
}
