package zstd

// This package is the standard library's src/internal/zstd of Go 1.26.8,
// copied unchanged apart from this file (an internal package of the
// standard library cannot be imported from outside it), under Go's
// BSD-style licence in LICENSE. initbox uses it to unpack zstd-compressed
// image layers and .tar.zst archives: at about 50 KiB of binary it costs a
// quarter of what github.com/klauspost/compress/zstd does, and the Go team
// fuzzes it. It sits under third_party/ because it is the Go team's code,
// kept as they wrote it (not restyled to this project's rules). It decodes with windows of at most 8 MiB (maxWindowSize), so
// a stream made with zstd --long fails with an error rather than asking
// for more memory. To update: copy the non-test files of a newer release.
