#!/usr/bin/env bash
# Builds the release binary: static (no cgo), stripped, version-stamped.
#   scripts/build.sh [OUTPUT [VERSION]]     (GOOS/GOARCH from the environment)
#
# -gcflags=all=-l turns inlining off: the binary is ~1 MB (10%) smaller,
# which keeps it under 10 MiB with every protocol, the template functions
# and the embedded root CAs; initbox waits on the network and its hot loops
# (hashing, TLS) are assembly, so the measured figures do not change.
# urfave_cli_no_docs leaves out the man-page generator of urfave/cli, and
# urfave_cli_no_suggest its Jaro-Winkler suggestions (8 KB), which initbox
# never turns on (App.Suggest): internal/cli/suggest.go has its own.
# The overlay of scripts/template-overlay.sh lets text/template call only
# methods of a fixed list of names, which saves 1 MB: see that script.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-initbox}
version=${2:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
overlay=$(scripts/template-overlay.sh)
CGO_ENABLED=0 go build -overlay "$overlay" -tags urfave_cli_no_docs,urfave_cli_no_suggest -trimpath -gcflags=all=-l \
  -ldflags="-s -w -X github.com/initbox/initbox/internal/cli.version=$version" -o "$out" .
