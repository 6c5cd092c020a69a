#!/bin/sh
# repro.sh - prove that build/dbready-static is reproducible (what `make static-repro` runs).
#
#   sh scripts/static/repro.sh            two builds of dbready from clean object dirs
#   REPRO_DEPS=1 sh scripts/static/repro.sh   ... and the dependencies built a second time
#                                         from scratch in a temporary cache (+5 min)
#
# Builds into build/repro-a and build/repro-b (each compiles every source into a fresh
# object dir and links anew, with the same SOURCE_DATE_EPOCH) and compares the SHA-256 of the
# stripped binary, the unstripped binary and the SBOM. With REPRO_DEPS=1 the second build uses
# a fresh dependency cache in another directory, and the static libraries are compared too.
# Exit 0 when everything is byte-identical.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

say() { printf 'static-repro: %s\n' "$*"; }

rm -rf build/repro-a build/repro-b
say "build A (build/repro-a)"
BUILD=build/repro-a sh "$HERE/build.sh" >build/repro-a.log 2>&1 || { cat build/repro-a.log; exit 1; }

tmpcache=
if [ "${REPRO_DEPS:-0}" = 1 ]; then
	tmpcache=$(mktemp -d "${TMPDIR:-/tmp}/dbready-static-repro.XXXXXX")
	trap 'rm -rf "$tmpcache"' EXIT
	say "build B (build/repro-b) with the dependencies rebuilt in $tmpcache"
	# the downloads are shared (they are verified against deps.lock anyway)
	maindl=${DBREADY_STATIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbready-static}/dl
	DBREADY_STATIC_CACHE=$tmpcache DBREADY_STATIC_DL=$maindl BUILD=build/repro-b \
		sh "$HERE/build.sh" >build/repro-b.log 2>&1 || { cat build/repro-b.log; exit 1; }
else
	say "build B (build/repro-b)"
	BUILD=build/repro-b sh "$HERE/build.sh" >build/repro-b.log 2>&1 || { cat build/repro-b.log; exit 1; }
fi

rc=0
for f in dbready-static dbready-static.unstripped dbready-static.cdx.json; do
	a=$(sha256sum <"build/repro-a/$f" | cut -d' ' -f1)
	b=$(sha256sum <"build/repro-b/$f" | cut -d' ' -f1)
	if [ "$a" = "$b" ]; then
		say "same: $f $a"
	else
		say "DIFFERENT: $f A=$a B=$b"
		rc=1
	fi
done
if [ -n "$tmpcache" ]; then
	key=$(cat "$HERE/deps.lock" "$HERE/build-deps.sh" | sha256sum | cut -c1-16)
	main=${DBREADY_STATIC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dbready-static}/$key
	if cmp -s "$main/libs.sha256" "$tmpcache/$key/libs.sha256"; then
		say "same: static libraries ($(wc -l <"$main/libs.sha256") archives)"
	else
		say "DIFFERENT: static libraries"
		diff "$main/libs.sha256" "$tmpcache/$key/libs.sha256" || true
		rc=1
	fi
fi
[ "$rc" = 0 ] && say "reproducible" || say "NOT reproducible"
exit "$rc"
