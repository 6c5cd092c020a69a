#!/usr/bin/env bash
# run.sh - the whole suite: the C unit tests, then every tests/integration/*.sh, then the
# checks that span the run (canary over every capture, exit-code coverage, no process left).
#
#   DBREADY=/abs/build/dbready UNIT=/abs/build/unit-tests bash tests/run.sh [FILTER...]
#
# FILTERs run only the integration files whose name contains one of them (and skip the unit
# tests and the coverage check). The last line is always "N passed, N failed"; the exit
# status is non-zero when anything failed. KEEP_TMP=1 keeps the captures for a look
# afterwards; DBREADY_FILE_TIMEOUT (seconds, default 600) bounds each integration file, so
# that a hung test fails the run instead of hanging CI.

set -u

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
: "${DBREADY:=$REPO/build/dbready}"
: "${UNIT:=$REPO/build/unit-tests}"
# one canary for the whole run, so that the final scan covers every file's captures
: "${CANARY:=Canary-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')-pW}"
export DBREADY UNIT CANARY

FILTERS=("$@")
FILE_TIMEOUT=${DBREADY_FILE_TIMEOUT:-600}
PASSED=0
FAILED=0
START_S=$SECONDS

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/dbready-tests.XXXXXX")
# integration files start servers as the postgres user below this dir
chmod 755 "$ROOT"

redact() {
	sed -e "s/$CANARY/<canary>/g"
}

ok() {
	PASSED=$((PASSED + 1))
	echo "ok - $1"
}

not_ok() {
	FAILED=$((FAILED + 1))
	echo "not ok - $1"
	shift
	local d
	for d in "$@"; do
		printf '#   %s\n' "$d" | redact
	done
}

# Safety net for a file that died without its own cleanup (SIGKILL, a harness bug): stop any
# server whose data dir lies in this run's tree, then remove the tree.
cleanup() {
	local rc=$?
	[ "$BASHPID" = "$$" ] || return "$rc" # not in a subshell that happens to end
	trap - EXIT
	trap '' INT TERM # a second signal must not cut the cleanup short
	local pidfile
	for pidfile in "$ROOT"/*/pg/*/data/postmaster.pid; do
		[ -f "$pidfile" ] || continue
		local pid
		pid=$(head -n 1 "$pidfile")
		# only if that pid still is this postmaster (a stale file's pid may be reused)
		if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$ROOT"; then
			kill -KILL "$pid" 2>/dev/null
		fi
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "# kept $ROOT" >&2
	else
		rm -rf "$ROOT"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- unit tests ---------------------------------------------------------------------------
# $UNIT prints "ok - name" / "not ok - name: why" and ends with "unit: N passed, N failed".
run_unit() {
	if [ ! -x "$UNIT" ]; then
		not_ok "unit tests" "$UNIT is missing or not executable (make $(basename "$UNIT"))"
		return
	fi
	local log=$ROOT/unit.log
	"$UNIT" </dev/null >"$log" 2>&1
	local rc=$?
	# show failures in full, successes as they are (one line each)
	grep -E '^(ok|not ok) - ' "$log" | redact
	local summary
	summary=$(grep -E '^unit: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$summary" ]; then
		not_ok "unit tests finished" "exit $rc and no \"unit: N passed, N failed\" line:"
		tail -n 30 "$log" | redact | sed -e 's/^/#     /'
		return
	fi
	local p f
	p=$(echo "$summary" | sed -E 's/^unit: ([0-9]+) passed, ([0-9]+) failed$/\1/')
	f=$(echo "$summary" | sed -E 's/^unit: ([0-9]+) passed, ([0-9]+) failed$/\2/')
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	echo "# $summary"
	# a crash after the summary (a sanitizer's leak report) or a lying summary
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		not_ok "unit tests exit status" "exit $rc although no test failed:"
		tail -n 30 "$log" | redact | sed -e 's/^/#     /'
	fi
}

# --- integration files --------------------------------------------------------------------
run_file() {
	local file=$1 name
	name=$(basename "$file" .sh)
	local dir=$ROOT/$name
	mkdir -p "$dir"
	echo "# $name"
	local t0=$SECONDS
	# timeout signals the file's whole process group; the harness's trap then stops its servers
	DBREADY_TEST_DIR=$dir timeout -k 15 "$FILE_TIMEOUT" bash "$file" </dev/null 2>&1 |
		tee "$ROOT/$name.log"
	local rc=${PIPESTATUS[0]}
	local p f
	p=$(grep -cE '^ok - ' "$ROOT/$name.log")
	f=$(grep -cE '^not ok - ' "$ROOT/$name.log")
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	echo "# $name: $((SECONDS - t0)) s"
	# a file that stopped early (a bash error under set -u, a crash) must not look green
	# 124: timed out; 137: timed out and needed the KILL (or was killed by someone else)
	if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ $((SECONDS - t0)) -ge "$FILE_TIMEOUT" ]; }; then
		not_ok "$name finished within ${FILE_TIMEOUT} s" "stopped by timeout (exit $rc)"
	elif [ ! -e "$dir/finished" ]; then
		not_ok "$name ran to the end" "exit $rc before harness_finish"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		not_ok "$name exit status" "exit $rc although no test failed"
	fi
}

# matches NAME: no filter, or NAME contains one of the filters
matches() {
	[ ${#FILTERS[@]} -eq 0 ] && return 0
	local f
	for f in "${FILTERS[@]}"; do
		case $1 in *"$f"*) return 0 ;; esac
	done
	return 1
}

if [ ${#FILTERS[@]} -eq 0 ]; then
	run_unit
fi

nfiles=0
for file in "$HERE"/integration/*.sh; do
	[ -e "$file" ] || continue
	matches "$(basename "$file" .sh)" || continue
	nfiles=$((nfiles + 1))
	run_file "$file"
done
if [ "$nfiles" -eq 0 ]; then
	not_ok "integration files matching: ${FILTERS[*]}" "none found in $HERE/integration"
fi

# --- checks over the whole run -------------------------------------------------------------

# The canary over everything captured in the run (each file checked its own; this also
# covers run.sh's logs). Server data dirs and deliberate secret files are left out.
plant=$ROOT/canary-selftest
mkdir -p "$plant"
printf 'x%sx\n' "$CANARY" >"$plant/planted"
if ! grep -rqF -- "$CANARY" "$plant"; then
	not_ok "canary never leaked (whole run)" "the scan does not find a planted canary"
else
	rm -rf "$plant"
	hits=$(grep -rlF --exclude-dir=pg --exclude-dir=secrets -- "$CANARY" "$ROOT")
	if [ -n "$hits" ]; then
		not_ok "canary never leaked (whole run)" "the canary password appears in:" "$hits"
	else
		ok "canary never leaked (whole run)"
	fi
fi

# Every exit code of cli.md's table that the waiting stage covers, asserted at least once
# (each file appends the codes its passing exit assertions saw to exitcodes).
if [ ${#FILTERS[@]} -eq 0 ]; then
	seen=" $(cat "$ROOT"/*/exitcodes 2>/dev/null | sort -un | tr '\n' ' ')"
	missing=
	for code in 0 2 3 4 5 130 143; do
		case $seen in *" $code "*) ;; *) missing="$missing $code" ;; esac
	done
	if [ -n "$missing" ]; then
		not_ok "every exit code of the waiting stage asserted (0 2 3 4 5 130 143)" \
			"never asserted:$missing (seen:$seen)"
	else
		ok "every exit code of the waiting stage asserted (0 2 3 4 5 130 143)"
	fi
fi

# Nothing of the run may outlive it: no server on a data dir in the tree, no dbready.
# (dbready's arguments and the postmasters' -D name the tree; the grep itself is left out)
left=$(ps -eo pid=,args= | grep -F -- "$ROOT" | grep -v -e ' grep ' || true)
if [ -n "$left" ]; then
	not_ok "no process left behind" "$left"
else
	ok "no process left behind"
fi

echo "# total time: $((SECONDS - START_S)) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
