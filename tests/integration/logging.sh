#!/usr/bin/env bash
# logging.sh - the output contract (cli.md "Output", behaviour.md §4): JSON lines with ts,
# level, msg (attempt lines with attempt, the outcome with exit_code), PostgreSQL-style text
# lines, log levels, and the one-line termination log for each outcome. Passwords in every
# place a URL can carry them stay out of all of it (the canary check at the end).
. "$(dirname "$0")/../lib/harness.sh"

pg_start main || true
pg_create_app main || true
URL=$(pg_url app "$CANARY" app)
PORT=$(pg_port main)
REFUSED=$(free_port)
REFUSED_URL="postgres://app:$CANARY@127.0.0.1:$REFUSED/app"

# termlog_is NAME ERE: the termination log is exactly one line, matching ERE, <= 4 KiB
termlog_is() {
	check "$1: termination log is one line" test "$(wc -l <"$RUN_TERMLOG")" -eq 1
	assert_matches "$RUN_TERMLOG" "$2"
	check "$1: termination log <= 4096 bytes" test "$(wc -c <"$RUN_TERMLOG")" -le 4096
}

# --- JSON ------------------------------------------------------------------------------------
run_dbready "json: ready" 0 wait --url "$URL" --timeout 10s --log-format json
assert_json_log "$RUN_ERR"
check "json: ready: one info line with event ready" \
	test "$(json_count "$RUN_ERR" event=ready level=info)" -eq 1
check "json: ready: msg says database ready, target is redacted" \
	test "$(json_count "$RUN_ERR" event=ready "target=postgres://app:***@127.0.0.1:$PORT/app")" -eq 1
assert_contains "$RUN_ERR" '"msg":"database ready'
termlog_is "json: ready" '^ok: database ready after 1 attempt in [0-9]+ ms$'

# retried until the deadline: numbered attempt lines, then the outcome with exit_code 4
run_dbready "json: unreachable" 4 wait --url "$REFUSED_URL" --timeout 1500ms --backoff-cap 100ms \
	--log-format json
assert_json_log "$RUN_ERR"
n=$(json_count "$RUN_ERR" event=attempt_failed level=warning attempt)
check "json: unreachable: >= 3 attempt lines, each with attempt ($n)" test "$n" -ge 3
check "json: unreachable: attempts numbered 1..n" python3 -c '
import json, sys
lines = map(json.loads, open(sys.argv[1]))
a = [o["attempt"] for o in lines if o.get("event") == "attempt_failed"]
assert a == list(range(1, len(a) + 1)), a' "$RUN_ERR"
check "json: unreachable: final error line with exit_code 4, detail and hint" \
	test "$(json_count "$RUN_ERR" level=error exit_code=4 detail hint)" -eq 1
termlog_is "json: unreachable" '^error \(exit 4\): .*Connection refused'

# the environment variable does the same as the flag
DBREADY_LOG_FORMAT=json run_dbready "json: DBREADY_LOG_FORMAT=json" 0 wait --url "$URL" --timeout 10s
assert_json_log "$RUN_ERR"

# a configuration error is logged as JSON too (the format is known by then)
run_dbready "json: configuration error" 3 wait --url "mysql://app:$CANARY@db/app" --log-format json
assert_json_log "$RUN_ERR"
check "json: configuration error: an error line" test "$(json_count "$RUN_ERR" level=error)" -ge 1
termlog_is "json: configuration error" '^error \(exit 3\): '

# a usage error follows the same contract when the environment (a pod spec) already chose
# JSON and a termination log: a typo in one value must not produce a line a log pipeline
# cannot parse, nor an empty termination message in `kubectl describe pod`
ENV_TERMLOG=$T/out/usage-error-env-termination-log
DBREADY_LOG_FORMAT=json DBREADY_TERMINATION_LOG=$ENV_TERMLOG \
	run_dbready "json: usage error" 2 wait --url "$URL" --timeout 5x
assert_json_log "$RUN_ERR"
# the flag (run_dbready's --termination-log, before the bad value) beats the environment,
# but either file holding the outcome is fine here
check "json: usage error: termination log says error (exit 2)" \
	grep -qs '^error (exit 2): ' "$ENV_TERMLOG" "$RUN_TERMLOG"

# --- text ------------------------------------------------------------------------------------
# every line is "dbready: LEVEL: ...", a DETAIL:/HINT: line, or a tab-indented continuation
text_lines_ok() {
	local name=$1
	if grep -vqE '^(dbready: (error|warning|info|debug): |DETAIL: |HINT: |'$'\t'')' "$RUN_ERR"; then
		fail "$name: every stderr line is dbready: LEVEL:, DETAIL:, HINT: or a continuation"
		diag_run
	else
		pass "$name: every stderr line is dbready: LEVEL:, DETAIL:, HINT: or a continuation"
	fi
}
run_dbready "text: unreachable" 4 wait --url "$REFUSED_URL" --timeout 1s --backoff-cap 100ms
text_lines_ok "text: unreachable"
assert_matches "$RUN_ERR" '^dbready: warning: attempt 1: postgres://app:\*\*\*@127\.0\.0\.1:[0-9]+/app not ready: .*; next try in [0-9]+ ms$'
assert_matches "$RUN_ERR" '^dbready: error: database .* not reachable within 1000 ms'
assert_matches "$RUN_ERR" '^DETAIL: '
assert_matches "$RUN_ERR" '^HINT: '

run_dbready "text: ready" 0 wait --url "$URL" --timeout 10s
text_lines_ok "text: ready"
assert_matches "$RUN_ERR" '^dbready: info: database ready: postgres://app:\*\*\*@127\.0\.0\.1:[0-9]+/app \(PostgreSQL [0-9.]+\) after 1 attempt in [0-9]+ ms$'

# -q hides info, -v adds debug
run_dbready "text: -q" 0 wait --url "$URL" --timeout 10s -q
assert_not_contains "$RUN_ERR" "database ready"
run_dbready "text: -v" 0 wait --url "$URL" --timeout 10s -v
assert_matches "$RUN_ERR" '^dbready: debug: '
assert_contains "$RUN_ERR" "database ready"

# --- termination log per outcome -------------------------------------------------------------
run_dbready "termlog: refused" 5 wait --url "$(pg_url app Not-the-password app)" --timeout 10s
termlog_is "termlog: refused" '^error \(exit 5\): the database refused the connection'
# two hosts: libpq's message has a line per host; the termination log folds it into one
run_dbready "termlog: multi-line reason folded" 4 wait --timeout 1s --backoff-cap 100ms \
	--url "postgres://app:$CANARY@127.0.0.1:$REFUSED,127.0.0.1:$(free_port)/app"
termlog_is "termlog: multi-line reason folded" '^error \(exit 4\): '
run_dbready "termlog: missing migrations dir" 3 check --url "$URL" --dir "$T/nonexistent"
termlog_is "termlog: missing migrations dir" '^error \(exit 3\): .*nonexistent'

# --- secrets in the other places a URL can carry them ----------------------------------------
run_dbready "secrets: password as a query parameter" 0 wait --timeout 10s \
	--url "postgres://app@127.0.0.1:$PORT/app?password=$CANARY"
assert_contains "$RUN_ERR" "database ready"
run_dbready "secrets: password in key=value, unreachable" 4 wait --timeout 1s --backoff-cap 100ms \
	--url "host=127.0.0.1 port=$REFUSED user=app password=$CANARY dbname=app"
run_dbready "secrets: password in key=value, refused" 5 wait --timeout 10s -v --log-format json \
	--url "host=127.0.0.1 port=$PORT user=app password='$CANARY' dbname=nosuchdb"
# a password with every reserved character, percent-encoded in the URL: neither the decoded
# nor the encoded form may appear
pg_sql main <<-EOF || true
	CREATE ROLE enc LOGIN PASSWORD '$CANARY@/#?%:x';
EOF
ENC_PW="$CANARY%40%2F%23%3F%25%3Ax"
run_dbready "secrets: percent-encoded password" 0 wait --timeout 10s -v \
	--url "postgres://enc:$ENC_PW@127.0.0.1:$PORT/app"
assert_contains "$RUN_ERR" "postgres://enc:***@127.0.0.1:$PORT/app"
run_dbready "secrets: percent-encoded password, refused" 5 wait --timeout 10s --log-format json \
	--url "postgres://enc:$ENC_PW@127.0.0.1:$PORT/nosuchdb"
assert_not_contains "$RUN_ERR" "%3Ax"
PGPASSWORD=$CANARY run_dbready "secrets: PGPASSWORD, -v" 0 wait --timeout 10s -v \
	--url "postgres://app@127.0.0.1:$PORT/app"

# --- the scrubber under pressure ----------------------------------------------------------------
# Found by an adversarial review: each of these printed (part of) the password before.
# The run-wide canary scan looks for the whole canary; a cut or split one is checked here.
CANARY_HEAD=${CANARY%-pW}
# more secrets than the scrubber once held (16): sixteen --wait-for passwords registered first
many=""
for i in $(seq 1 17); do many="${many}http://svc:pw$i-secret@svc$i:80/,"; done
run_dbready "secrets: 17 other secrets first, malformed URL" 3 check --dir "$T" \
	--wait-for "$many" --url "postgres://app:$CANARY@[::1/app"
assert_not_contains "$RUN_ERR" "$CANARY_HEAD"
# a short secret that occurs inside the password: the longer one is masked whole
mid=${CANARY:7:6}
run_dbready "secrets: a short secret inside the password" 3 check --dir "$T" \
	--wait-for "http://svc:$mid@svc:80/" --url "postgres://app:$CANARY@[::1/app"
assert_not_contains "$RUN_ERR" "Canary-"
# a URL so long that libpq's quoted copy is cut: the cut never leaves a piece of the password
cut_leaks=0
for n in $(seq 880 3 1010); do
	u=$(printf 'u%.0s' $(seq 1 "$n"))
	"$DBREADY" check --dir "$T" --termination-log "$T/cut.termlog" \
		--url "postgres://$u:$CANARY@[::1/app" >"$T/cut.out" 2>"$T/cut.err"
	if grep -qF -- "${CANARY:0:10}" "$T/cut.out" "$T/cut.err" "$T/cut.termlog"; then
		cut_leaks=$((cut_leaks + 1))
	fi
done
check "secrets: a long malformed URL cut at any length shows no piece of the password" \
	test "$cut_leaks" = 0

harness_finish
