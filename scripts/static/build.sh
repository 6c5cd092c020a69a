#!/bin/sh
# build.sh - build BUILD/dbready-static: x86_64, fully static, musl + libpq + libcurl + cJSON +
# OpenSSL, all built from the Debian source packages pinned in scripts/static/deps.lock.
#
#   sh scripts/static/build.sh          (what `make static` runs)
#
# Writes, in BUILD (default build/):
#   dbready-static             the stripped binary
#   dbready-static.unstripped  the same link with symbols and dbready's debug info
#   dbready-static.cdx.json    CycloneDX 1.5 SBOM (from deps.lock; scripts/static/sbom.py)
#   dbready-static.sha256      SHA-256 of the stripped binary
#
# The dependencies are built once per content of deps.lock + build-deps.sh into
# ${DBREADY_STATIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbready-static}/<hash>/ (about 5 min
# on 2 cores); later builds only compile dbready's own sources (seconds).
#
# Environment (the Makefile passes the first three): BUILD, VERSION, WARN (the project's
# warning flags), SOURCE_DATE_EPOCH (default: the last commit's date), JOBS (default nproc),
# DBREADY_STATIC_CACHE.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
BUILD=${BUILD:-build}
VERSION=${VERSION:-0.1.0}
WARN=${WARN:--Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla -Wno-format-nonliteral}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
export JOBS
CACHE=${DBREADY_STATIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbready-static}

say() { printf 'static: %s\n' "$*"; }
die() { printf 'static: error: %s\n' "$*" >&2; exit 1; }

[ "$(uname -m)" = x86_64 ] || die "only x86_64 is supported (this is $(uname -m))"

# Reproducibility: fixed locale, time zone and umask; the commit date for anything that
# wants a date (dbready itself embeds none; the SBOM's timestamp uses it)
export LC_ALL=C TZ=UTC
umask 022
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH

# --- 1. dependencies (cached) -------------------------------------------------------------
# The cache key covers everything that decides what build-deps.sh produces.
KEY=$(cat "$HERE/deps.lock" "$HERE/build-deps.sh" | sha256sum | cut -c1-16)
PREFIX=$CACHE/$KEY
mkdir -p "$CACHE"
t0=$(date +%s)
if [ ! -f "$PREFIX/.complete" ]; then
	say "deps: not cached, building into $PREFIX (about 5 minutes)"
	# one builder at a time per cache (two `make static` at once, or the repro script)
	exec 9>"$CACHE/.lock"
	flock 9
	if [ ! -f "$PREFIX/.complete" ]; then
		rm -rf "$PREFIX"
		sh "$HERE/build-deps.sh" "$PREFIX"
	fi
	flock -u 9
	exec 9>&-
	say "deps: built in $(($(date +%s) - t0)) s"
else
	say "deps: cached in $PREFIX"
fi
DEP=$PREFIX/sysroot/opt/dbready-static
PATH=$PREFIX/bin:$PREFIX/musl/bin:$PATH
export PATH
CC=dbready-cc

# --- 2. compile dbready -------------------------------------------------------------------
# -ffile-prefix-map: the checkout's path appears nowhere (debug info included); objects in a
# fresh directory each time, so a build never reuses a stale object
OBJ=$BUILD/static-obj
rm -rf "$OBJ"
mkdir -p "$OBJ"
# shellcheck disable=SC2089,SC2090 # the quotes are the macro's string literal, split on purpose
CFLAGS="-std=c11 $WARN -O2 -g -fstack-protector-strong -ffunction-sections -fdata-sections \
-ffile-prefix-map=$REPO=. -I$DEP/include -DDBREADY_VERSION=\"$VERSION\""
export CC CFLAGS OBJ
say "compile: $(ls src/*.c | wc -l) files with musl-gcc ($JOBS jobs)"
# shellcheck disable=SC2016 # expanded by the inner sh
ls src/*.c | LC_ALL=C sort | xargs -P "$JOBS" -n 1 sh -c \
	'o=$OBJ/$(basename "$1" .c).o; $CC $CFLAGS -c "$1" -o "$o" || { echo "static: error: compiling $1" >&2; exit 255; }' sh

# --- 3. link, strip -----------------------------------------------------------------------
# libcurl's own static flags from its .pc (pkg-config --static), not curl-config
PKG_CONFIG_LIBDIR=$DEP/lib/pkgconfig
PKG_CONFIG_SYSROOT_DIR=$PREFIX/sysroot
export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
CURL_LIBS=$(pkg-config --static --libs libcurl)
OUT=$BUILD/dbready-static
# shellcheck disable=SC2046,SC2086 # word splitting wanted
$CC -static -Wl,--gc-sections -Wl,--build-id=sha1 -o "$OUT.unstripped" \
	$(ls "$OBJ"/*.o | LC_ALL=C sort) \
	-L"$DEP/lib" -lpq -lpgcommon_shlib -lpgport_shlib $CURL_LIBS -lcjson -lssl -lcrypto
strip --strip-all -R .comment -o "$OUT" "$OUT.unstripped"
size_s=$(wc -c <"$OUT")
size_u=$(wc -c <"$OUT.unstripped")
say "link: $OUT ($size_s bytes stripped, $size_u unstripped)"

# --- 4. check what was made ---------------------------------------------------------------
desc=$(file -b "$OUT")
case $desc in
*"statically linked"*) ;;
*) die "$OUT is not statically linked: $desc" ;;
esac
case $desc in *interpreter*) die "$OUT has an interpreter: $desc" ;; esac
case $desc in *x86-64*) ;; *) die "$OUT is not x86-64: $desc" ;; esac
ver=$("$OUT" version) || die "$OUT version failed"
printf '%s\n' "$ver" | while IFS= read -r l; do say "check: $l"; done
(cd "$BUILD" && sha256sum dbready-static >dbready-static.sha256)

# --- 5. SBOM ------------------------------------------------------------------------------
python3 "$HERE/sbom.py" --lock "$HERE/deps.lock" --binary "$OUT" --version "$VERSION" \
	--epoch "$SOURCE_DATE_EPOCH" --out "$OUT.cdx.json"
python3 -m json.tool "$OUT.cdx.json" >/dev/null || die "$OUT.cdx.json is not valid JSON"
say "sbom: $OUT.cdx.json"
say "done: $(cut -d' ' -f1 "$BUILD/dbready-static.sha256")  $OUT"
