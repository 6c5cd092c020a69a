# httpstub.sh - start and stop tests/lib/httpstub.py from an integration file (after harness.sh).
#
#   httpstub_start NAME [HTTPSTUB ARGS...]   start it in the background on a free port (or
#       --port N), wait until it listens; sets STUB_PORT, STUB_PID and STUB_LOG (the JSON
#       lines of every request it got: $T/out/http-NAME.jsonl, inside out/ so that the canary
#       scan covers whatever dbready sent; STUB_LOG_DIR=$T/secrets for a service that gets a
#       credential on purpose). Returns 1 (with a "not ok") when it did not start.
#   httpstub_stop PID                        stop one stub (the harness stops the rest)
#   stub_requests LOG [PATH]                 how many requests (for PATH) the stub recorded

HTTPSTUB=$HARNESS_LIB/httpstub.py

httpstub_start() {
	local name=$1
	shift
	local pf=$T/stub-$name.port
	rm -f "$pf"
	STUB_LOG=${STUB_LOG_DIR:-$T/out}/http-$name.jsonl
	: >"$STUB_LOG"
	python3 "$HTTPSTUB" --port-file "$pf" --log "$STUB_LOG" "$@" \
		</dev/null >"$T/stub-$name.err" 2>&1 &
	STUB_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$pf" ] && break
		kill -0 "$STUB_PID" 2>/dev/null || break
		sleep 0.05
	done
	STUB_PORT=$(cat "$pf" 2>/dev/null)
	case $STUB_PORT in
	'' | *[!0-9]*)
		fail "start HTTP stub $name" "$(cat "$T/stub-$name.err" 2>/dev/null)"
		return 1
		;;
	esac
}

httpstub_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

stub_requests() {
	local log=$1 path=${2:-}
	python3 - "$log" "$path" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip() and (not sys.argv[2] or json.loads(line)["path"] == sys.argv[2]):
        n += 1
print(n)
PY
}
