#!/usr/bin/env bash
# Runs the release path as far as it can run without a forge: GoReleaser
# builds every binary, archive, SBOM and SHA256SUMS as a snapshot into dist/,
# the checksums are verified with sha256sum -c, the linux/amd64 binary is run,
# and actionlint checks the release workflow. The tools are pinned in
# tools/go.mod and built by the go command on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
export INITBOX_TOOLS_MOD=$PWD/tools/go.mod
tool() { go tool -modfile="$INITBOX_TOOLS_MOD" "$@"; }

tool actionlint .github/workflows/*.yml
tool goreleaser check
tool goreleaser release --snapshot --clean --skip=publish
(cd dist && sha256sum --strict -c SHA256SUMS)
# Everything GoReleaser made is listed in SHA256SUMS: archives and SBOMs.
want=$(cd dist && ls -1 -- *.tar.gz *.cdx.json | sort)
got=$(awk '{print $2}' dist/SHA256SUMS | sed 's/^\*//' | sort)
if [[ $want != "$got" ]]; then
  echo "release-check: SHA256SUMS does not list exactly the archives and SBOMs" >&2
  diff <(echo "$want") <(echo "$got") >&2
  exit 1
fi
n=$(wc -l <<<"$want")
bin=$(ls -d dist/initbox_linux_amd64*/initbox)
out=$("$bin" version)
echo "$out"
# "dev" would mean the ldflags' -X names a variable that is not there.
if [[ $out == "initbox dev "* ]]; then
  echo "release-check: the version is not stamped: check the -X path in .goreleaser.yaml" >&2
  exit 1
fi
echo "release-check: $n files verified against dist/SHA256SUMS"
