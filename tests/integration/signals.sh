#!/usr/bin/env bash
# signals.sh - SIGTERM/SIGINT while waiting (behaviour.md §4): stop within 2 s with exit
# 128+n, log it, and say so in the termination log. Kubernetes sends SIGTERM when a pod is
# deleted; as PID 1 only dbready's own handlers make that work.
. "$(dirname "$0")/../lib/harness.sh"

REFUSED=$(free_port)
REFUSED_URL="postgres://app:$CANARY@127.0.0.1:$REFUSED/app"

# signal_test NAME SIGNAL EXIT URL [ARGS...]: start `wait --timeout 60s`, send SIGNAL after
# ~1 s, expect EXIT within 2 s of the signal.
# bash reports a process killed by signal n as 128+n too, so the exit code alone cannot tell
# a handled signal from an unhandled one: the log line and the termination log can.
signal_test() {
	local name=$1 sig=$2 code=$3 url=$4
	shift 4
	start_dbready "$name" wait --url "$url" --timeout 60s "$@"
	sleep 1
	local sent
	sent=$(now_ms)
	kill "-$sig" "$RUN_PID"
	finish_dbready "$code" 20
	local took=$((RUN_END_MS - sent))
	say "# $name: exit $RUN_RC ${took} ms after SIG$sig"
	assert_le "$name: exit within 2 s of SIG$sig (${took} ms)" "$took" 2000
	assert_contains "$RUN_ERR" "stopped by SIG$sig"
	assert_contains "$RUN_TERMLOG" "stopped (exit $code)"
	check "$name: termination log is one line" test "$(wc -l <"$RUN_TERMLOG")" -eq 1
}

# during the backoff sleep between refused attempts (a 5 s cap, so the sleep is long)
signal_test "signals: SIGTERM while waiting" TERM 143 "$REFUSED_URL" --backoff-base 5s --backoff-cap 5s
signal_test "signals: SIGINT while waiting" INT 130 "$REFUSED_URL" --backoff-base 5s --backoff-cap 5s
# with the default backoff: the signal may land in a sleep or in an attempt
signal_test "signals: SIGTERM, default backoff" TERM 143 "$REFUSED_URL"

# during a connection attempt that hangs (the server never answers; 30 s connect timeout)
blackhole_start || true
signal_test "signals: SIGTERM during a hanging connect" TERM 143 \
	"postgres://app:$CANARY@127.0.0.1:$BLACKHOLE_PORT/app?sslmode=disable" --connect-timeout 30s
# still in the first attempt when the signal came: no attempt had failed yet
assert_not_contains "$RUN_ERR" "attempt 1:"
signal_test "signals: SIGINT during a hanging connect" INT 130 \
	"postgres://app:$CANARY@127.0.0.1:$BLACKHOLE_PORT/app?sslmode=disable" --connect-timeout 30s
blackhole_stop

# the JSON log of a signal: the final line carries the exit code
signal_test "signals: SIGTERM, JSON log" TERM 143 "$REFUSED_URL" --log-format json
assert_json_log "$RUN_ERR"
check "signals: SIGTERM, JSON log: the signal event carries exit_code 143" \
	test "$(json_count "$RUN_ERR" event=signal exit_code=143)" -eq 1

harness_finish
