#!/usr/bin/env bash
# size.sh - how big and how light dbready is: the static binary (build/dbready-static, `make
# static`) side by side with the dynamic build/dbready (`make`), and the container image
# (`make image`, podman):
#
#   binary size, unstripped and stripped (the dynamic one: its own file only, without the
#     shared libraries it loads)
#   image size (podman image inspect)
#   start-up time of `dbready version` (hyperfine when installed, else a loop of RUNS runs
#     timed with date +%s%N; mean per run)
#   peak RSS (GNU time -v, "Maximum resident set size") of `dbready version`, and of a no-op
#     `run`: examples/migrations already applied to a throwaway PostgreSQL this script starts
#
# and then PASS/FAIL against the targets: stripped static binary <= 6 MB, image <= 7 MB,
# no-op run peak RSS <= 8 MB (MB = 10^6 bytes; the RSS target in MiB would be 8 MiB). A
# benchmark, not a test: it exits non-zero only when something could not be measured.
#
#   bash bench/size.sh                   RUNS=200 bash bench/size.sh
#   STATIC=path DYNAMIC=path IMAGE=tag-or-id bash bench/size.sh
#
# Needs: build/dbready-static, build/dbready, PostgreSQL server binaries (make deps), GNU time
# (apt-get install time), optionally hyperfine (apt-get install hyperfine) and podman with the
# image (build/image.id, written by `make image`; without it the image row says "n/a").

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
STATIC=${STATIC:-$REPO/build/dbready-static}
DYNAMIC=${DYNAMIC:-$REPO/build/dbready}
RUNS=${RUNS:-100}
TIME=/usr/bin/time
PODMAN=(sh "$REPO/scripts/image/podman.sh")
MB=1000000

# the harness: a private temp dir and a throwaway server, stopped and removed on exit
DBREADY=$STATIC
. "$REPO/tests/lib/harness.sh"
# shellcheck source=lib.sh
. "$REPO/bench/lib.sh"

die() {
	say "size: $*" >&2
	exit 1
}

[ -x "$STATIC" ] || die "no static binary at $STATIC: run make static"
[ -x "$DYNAMIC" ] || die "no dynamic binary at $DYNAMIC: run make"
need_runs
need_gnu_time

# --- sizes ---------------------------------------------------------------------------------
bytes() { wc -c <"$1" | tr -d ' '; }
# stripped_size FILE: the size of FILE with its symbols and debug info stripped (strip -o into
# the temp dir; a stripped FILE stays the same size)
stripped_size() {
	strip --strip-all -R .comment -o "$T/stripped" "$1" 2>/dev/null && bytes "$T/stripped"
}
if [ -f "$STATIC.unstripped" ]; then
	S_UNSTRIPPED=$(bytes "$STATIC.unstripped")
else
	S_UNSTRIPPED=$(bytes "$STATIC")
fi
S_STRIPPED=$(stripped_size "$STATIC")
D_UNSTRIPPED=$(bytes "$DYNAMIC")
D_STRIPPED=$(stripped_size "$DYNAMIC")
# the dynamic binary's shared libraries (resolved by ldd), for a fair comparison
D_LIBS=0
while read -r lib; do
	[ -f "$lib" ] && D_LIBS=$((D_LIBS + $(bytes "$(readlink -f "$lib")")))
done < <(ldd "$DYNAMIC" 2>/dev/null | awk '/=> \// {print $3} /^\t\// {print $1}')

IMAGE_SIZE=
IMAGE_REF=${IMAGE:-$(cat "$REPO/build/image.id" 2>/dev/null)}
if [ -n "$IMAGE_REF" ] && command -v podman >/dev/null 2>&1; then
	IMAGE_SIZE=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE_REF" 2>/dev/null)
fi

# --- start-up time of `version` ------------------------------------------------------------
# startup BINARY: mean wall time of `BINARY version` in microseconds
startup() {
	local bin=$1
	if command -v hyperfine >/dev/null 2>&1; then
		hyperfine -N --warmup 10 --runs "$RUNS" --export-json "$T/hf.json" \
			"$bin version" >/dev/null 2>&1 &&
			python3 -c 'import json, sys
print(round(json.load(open(sys.argv[1]))["results"][0]["mean"] * 1e6))' "$T/hf.json" && return
	fi
	local i t0 t1
	for i in 1 2 3 4 5; do "$bin" version >/dev/null; done
	t0=$(date +%s%N)
	for ((i = 0; i < RUNS; i++)); do "$bin" version >/dev/null; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / RUNS / 1000))
}
if command -v hyperfine >/dev/null 2>&1; then
	HOW="hyperfine -N, $RUNS runs, mean"
else
	HOW="loop of $RUNS runs, date +%s%N, mean (apt-get install hyperfine for better numbers)"
fi
S_START=$(startup "$STATIC")
D_START=$(startup "$DYNAMIC")

# --- peak RSS --------------------------------------------------------------------------------
# peak_kb CMD...: GNU time's "Maximum resident set size" (KiB) of CMD, which must exit 0
peak_kb() {
	"$TIME" -v -o "$T/time.out" "$@" </dev/null >"$T/cmd.out" 2>"$T/cmd.err" || {
		say "# failed: $*" >&2
		redact <"$T/cmd.err" | tail -n 5 | sed -e 's/^/#   /' >&2
		return 1
	}
	awk -F': ' '/Maximum resident set size/ {print $2}' "$T/time.out"
}
S_VER_RSS=$(peak_kb "$STATIC" version) || die "the static binary's version failed"
D_VER_RSS=$(peak_kb "$DYNAMIC" version) || die "the dynamic binary's version failed"

pg_start bench >/dev/null || die "could not start PostgreSQL ($PG_BIN)"
pg_create_app bench >/dev/null || die "could not create the app role"
URL=$(pg_url app "$CANARY" app bench)
MIG=$REPO/examples/migrations
# apply once (not measured), so that the measured runs have nothing to do
DATABASE_URL=$URL "$STATIC" run --dir "$MIG" --termination-log '' -q </dev/null >/dev/null 2>"$T/apply.err" ||
	die "applying examples/migrations failed: $(redact <"$T/apply.err" | tail -n 3)"
export DATABASE_URL=$URL
S_RUN_RSS=$(peak_kb "$STATIC" run --dir "$MIG" --termination-log '') || die "no-op run (static) failed"
D_RUN_RSS=$(peak_kb "$DYNAMIC" run --dir "$MIG" --termination-log '') || die "no-op run (dynamic) failed"
unset DATABASE_URL

# --- report ----------------------------------------------------------------------------------
fmt_b() { # bytes -> "4469296 (4.47 MB)"
	[ -n "$1" ] || { echo "n/a"; return; }
	awk -v b="$1" 'BEGIN { printf "%d (%.2f MB)", b, b / 1e6 }'
}
fmt_kb() { awk -v k="$1" 'BEGIN { printf "%d KiB (%.2f MB)", k, k * 1024 / 1e6 }'; }
fmt_us() { awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'; }
row() { printf '%-34s %-28s %-28s\n' "$1" "$2" "$3"; }

echo "dbready $("$STATIC" version | sed -e 's/^dbready //')"
echo
row "" "static (musl)" "dynamic (glibc, Debian libs)"
row "binary, unstripped" "$(fmt_b "$S_UNSTRIPPED")" "$(fmt_b "$D_UNSTRIPPED")"
row "binary, stripped" "$(fmt_b "$S_STRIPPED")" "$(fmt_b "$D_STRIPPED")"
row "shared libraries loaded" "none" "$(fmt_b "$D_LIBS")"
row "image (podman)" "$(fmt_b "$IMAGE_SIZE")" "-"
row "start-up, dbready version" "$(fmt_us "$S_START")" "$(fmt_us "$D_START")"
row "peak RSS, dbready version" "$(fmt_kb "$S_VER_RSS")" "$(fmt_kb "$D_VER_RSS")"
row "peak RSS, no-op run" "$(fmt_kb "$S_RUN_RSS")" "$(fmt_kb "$D_RUN_RSS")"
echo
echo "start-up: $HOW; peak RSS: GNU time -v; no-op run: examples/migrations already applied"
echo "image: ${IMAGE_REF:-none (make image)}"
echo

target() { # target NAME VALUE LIMIT UNIT
	if [ -z "$2" ]; then
		printf 'n/a   %s (not measured)\n' "$1"
	elif [ "$2" -le "$3" ]; then
		printf 'PASS  %s: %s <= %s %s\n' "$1" "$2" "$3" "$4"
	else
		printf 'FAIL  %s: %s > %s %s\n' "$1" "$2" "$3" "$4"
	fi
}
target "stripped static binary <= 6 MB" "$S_STRIPPED" $((6 * MB)) bytes
target "image <= 7 MB" "$IMAGE_SIZE" $((7 * MB)) bytes
target "no-op run peak RSS (static) <= 8 MB" "$((S_RUN_RSS * 1024))" $((8 * MB)) bytes
exit 0
