#!/usr/bin/env bash
# Installs the servers and tools the tests and benchmarks use, from Debian's
# packages, when they are missing. Needs root (or sudo) only if something is
# missing.
set -euo pipefail

need=()
command -v dnsmasq >/dev/null || need+=(dnsmasq-base)
command -v busybox >/dev/null || need+=(busybox-static)
command -v nc >/dev/null || need+=(netcat-openbsd)
command -v curl >/dev/null || need+=(curl)
command -v hyperfine >/dev/null || need+=(hyperfine) # bench/run.sh: start-up
command -v gzip >/dev/null || need+=(gzip)
# The e2e tests run compose files: the plugin or Debian's docker-compose.
if command -v docker >/dev/null && ! docker compose version >/dev/null 2>&1; then
  command -v docker-compose >/dev/null || need+=(docker-compose)
fi
# Servers for the protocol checks (checks/*_test.go start their own
# instances on loopback; none is started as a system service).
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
command -v redis-server >/dev/null || need+=(redis-server)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v musl-gcc >/dev/null || need+=(musl-tools) # internal/conformance: musl's getaddrinfo
# A real OCI registry (distribution 2.8) for the oci:// tests and bench/oci.sh;
# internal/testregistry starts its own instances on unix sockets.
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v strace >/dev/null || need+=(strace)   # bench/render.sh: zero writes on a re-run
[ -x /usr/bin/time ] || need+=(time)             # bench/render.sh, bench/fetch.sh: peak RSS
command -v zsh >/dev/null || need+=(zsh)         # internal/cli: the completion scripts
command -v fish >/dev/null || need+=(fish)       # parse and complete in each shell
[ ${#need[@]} -eq 0 ] && exit 0
exec "$(dirname "$0")/apt-install.sh" "${need[@]}"
