#!/bin/sh
# deps.sh - install (as root) or name (otherwise) every Debian 12 package that building,
# `make demo` and `make check` need. Quiet and fast when everything is already there.
set -eu

# build: compiler, pkg-config and the four libraries dbready links
# tests: PostgreSQL 15 server and client, openssl (test CA), python3 (JSON checks),
#        util-linux (runuser: initdb refuses to run as root), procps, valgrind,
#        pgbouncer (pooler behaviour), libpg-query-dev (PostgreSQL's lexer as the splitter's
#        oracle), clang and its runtime (libFuzzer), nodejs and npm (drizzle-kit, the peer
#        tool whose history table dbready writes)
# static: dpkg-dev (apt-get source), perl (OpenSSL's Configure), bison and flex (PostgreSQL's
#        configure), file, patch, xz-utils, bzip2 (scripts/static/build-deps.sh)
# image:  podman, runc and debootstrap (a local Debian base; nothing can be pulled here)
# deploy: shellcheck (the workflows' and action.yml's scripts), golang-go with Debian's sprig
#        and yaml.v2 (tests/deploy/render: the Helm chart rendered by helm's template engine)
PACKAGES="build-essential pkg-config libpq-dev libcurl4-openssl-dev libcjson-dev libssl-dev
ca-certificates openssl postgresql-15 postgresql-client-15 python3 util-linux procps valgrind
pgbouncer libpg-query-dev clang libclang-rt-14-dev
dpkg-dev perl file patch xz-utils bzip2 bison flex coreutils
podman runc debootstrap
shellcheck golang-go golang-github-masterminds-sprig-dev golang-gopkg-yaml.v2-dev"

# Node.js may come from elsewhere than Debian (the machine image has one): only ask apt for
# it when there is none at all
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	PACKAGES="$PACKAGES nodejs npm"
fi

missing=""
for p in $PACKAGES; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	[ "${1:-}" = "-q" ] || echo "deps: all build and test dependencies are installed"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run as root:  apt-get update && $cmd" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
