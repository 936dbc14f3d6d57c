#!/usr/bin/env bash
# Installs the Debian packages it is given, as root or through sudo.
# scripts/deps.sh and scripts/kube/deps.sh work out what is missing and
# call it with that.
set -euo pipefail
[ $# -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: $*" >&2
$sudo apt-get update -qq
# Where systemd runs, the packages also start their system services; the
# tests do not use them (they run their own on random loopback addresses).
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
