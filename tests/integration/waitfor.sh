#!/usr/bin/env bash
# waitfor.sh - dependency waits (--wait-for, README "Waiting for other services"): tcp://,
# http:// and https:// targets against real local servers (tests/lib/httpstub.py, python's
# http.server, a TCP listener started late), waited for together within --timeout before the
# database; the deadline names each failing target (exit 10); expectations (#status, #body,
# #timeout); HTTPS with a test CA (--http-ca-file); credentials never printed; wait, run,
# await, migrate and probe honour the targets; SIGTERM stops a dependency wait (143). At the
# end the static binary (build/dbready-static, when built) does an HTTP wait and a webhook.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/httpstub.sh"

pg_start main || true
pg_create_app main || true
DB_URL=$(pg_url app "$CANARY" app "" sslmode=disable)
REFUSED=$(free_port)
H=127.0.0.1

# tcp_listen_later PORT DELAY_S: a plain TCP listener (accepts, says nothing) that starts
# listening on PORT after DELAY_S seconds; sets LATE_PID
tcp_listen_later() {
	python3 -c 'import socket, sys, time
time.sleep(float(sys.argv[2]))
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
while True:
    c, _ = s.accept()
    c.close()' "$1" "$2" </dev/null >"$T/late-$1.log" 2>&1 &
	LATE_PID=$!
}

# line_no FILE TEXT: the number of the first line containing TEXT (0: none)
line_no() {
	local n
	n=$(grep -nF -- "$2" "$1" | head -n 1 | cut -d: -f1)
	echo "${n:-0}"
}

# --- everything ready after the last one comes up ----------------------------------------
httpstub_start flappy --route /healthz=503,503,200 || true
FLAPPY=$STUB_PORT FLAPPY_LOG=$STUB_LOG
mkdir -p "$T/www" && echo hello >"$T/www/index.html"
HS_PORT=$(free_port)
(cd "$T/www" && exec python3 -m http.server --bind 127.0.0.1 "$HS_PORT") >"$T/http.server.log" 2>&1 &
HS_PID=$!
LATE=$(free_port)
for i in $(seq 1 100); do (exec 3<>"/dev/tcp/$H/$HS_PORT") 2>/dev/null && break; sleep 0.05; done

start_dbready "waitfor: wait, three targets, the TCP one up after 1.5 s" wait --timeout 30s \
	--url "$DB_URL" --wait-for "http://$H:$FLAPPY/healthz, tcp://$H:$LATE" \
	--wait-for "http://$H:$HS_PORT/"
tcp_listen_later "$LATE" 1.5
finish_dbready 0
assert_contains "$RUN_ERR" "dependency ready: tcp://$H:$LATE (accepts connections)"
assert_contains "$RUN_ERR" "dependency ready: http://$H:$FLAPPY/healthz (HTTP 200) after 3 attempts"
assert_contains "$RUN_ERR" "dependency ready: http://$H:$HS_PORT/ (HTTP 200) after 1 attempt"
assert_contains "$RUN_ERR" "attempt 1: tcp://$H:$LATE not ready: "
assert_le "waitfor: ready only after the late listener (>= 1400 ms: $RUN_MS)" 1400 "$RUN_MS"
# one line per failed attempt: the stub answered 503 twice
check "waitfor: one log line per failed attempt of the flappy target" \
	test "$(count_matches "$RUN_ERR" "attempt [0-9]+: http://$H:$FLAPPY/healthz not ready: HTTP status 503")" -eq 2
check "waitfor: the stub saw exactly the 3 attempts" test "$(stub_requests "$FLAPPY_LOG" /healthz)" -eq 3
# the database comes after every dependency (README: dependencies first, one deadline)
tcp_line=$(line_no "$RUN_ERR" "dependency ready: tcp://")
db_line=$(line_no "$RUN_ERR" "database ready")
check "waitfor: the database wait follows the dependencies" test "$tcp_line" -gt 0 -a "$db_line" -gt "$tcp_line"
assert_contains "$RUN_TERMLOG" "ok: database ready"
httpstub_stop "$LATE_PID"

# --- the deadline names every failing target, and only those ----------------------------
start_dbready "waitfor: deadline" wait --url "$DB_URL" --timeout 2s \
	--wait-for "tcp://$H:$REFUSED,http://$H:$FLAPPY/healthz,http://$H:$FLAPPY/missing"
finish_dbready 10 20
assert_contains "$RUN_ERR" "dependencies not ready within 2000 ms: tcp://$H:$REFUSED, http://$H:$FLAPPY/missing"
assert_contains "$RUN_ERR" "DETAIL: tcp://$H:$REFUSED: "
assert_contains "$RUN_ERR" "http://$H:$FLAPPY/missing: HTTP status 404, expected 2xx"
assert_not_contains "$RUN_ERR" "database ready"
assert_contains "$RUN_TERMLOG" "error (exit 10): not ready: tcp://$H:$REFUSED ("
assert_not_contains "$RUN_TERMLOG" "/healthz"
assert_le "waitfor: deadline: exit 10 soon after 2 s ($RUN_MS ms)" "$RUN_MS" 3500
check "waitfor: deadline: termination log is one line" test "$(wc -l <"$RUN_TERMLOG")" -eq 1

# a name that does not resolve is retried like the rest, and reported as such
run_dbready "waitfor: unresolvable host" 10 wait --url "$DB_URL" --timeout 1s \
	--wait-for "tcp://no-such-host.invalid:6379"
assert_contains "$RUN_ERR" "resolve"

# --- expectations ------------------------------------------------------------------------
httpstub_start expect --route /nc=200,204 --route /starting=200 --body /starting=starting \
	--route /up=200 --body '/up={"status": "ready"}' --delay /slow=3 --route /slow=200 || true
EXP=$STUB_PORT EXP_LOG=$STUB_LOG
run_dbready "waitfor: #status=204 and #body=" 0 wait --url "$DB_URL" --timeout 20s \
	--wait-for "http://$H:$EXP/nc#status=204,http://$H:$EXP/up#body=%22ready%22"
assert_contains "$RUN_ERR" "attempt 1: http://$H:$EXP/nc not ready: HTTP status 200, expected 204"
assert_contains "$RUN_ERR" "dependency ready: http://$H:$EXP/nc (HTTP 204) after 2 attempts"
assert_contains "$RUN_ERR" "dependency ready: http://$H:$EXP/up (HTTP 200) after 1 attempt"
run_dbready "waitfor: #body= that never comes" 10 wait --url "$DB_URL" --timeout 1s \
	--wait-for "http://$H:$EXP/starting#body=ready"
assert_contains "$RUN_ERR" "HTTP status 200, but the body does not contain \"ready\""
# per-target timeout: each attempt at /slow gives up after 300 ms, the server needs 3 s
run_dbready "waitfor: #timeout= bounds each attempt" 10 wait --url "$DB_URL" --timeout 2s \
	--wait-for "http://$H:$EXP/slow#timeout=300ms"
assert_matches "$RUN_ERR" "attempt 2: http://$H:$EXP/slow not ready: .*(timed out|Timeout)"
assert_le "waitfor: #timeout=: several attempts within 2 s" 3 \
	"$(count_matches "$RUN_ERR" "attempt [0-9]+: http://$H:$EXP/slow not ready")"

# --- HTTPS with a test CA ------------------------------------------------------------------
tls_make_certs || true
httpstub_start tls --tls "$T/tls/server.crt" "$T/tls/server.key" --route /healthz=200 || true
TLS_PORT=$STUB_PORT
run_dbready "waitfor: https with --http-ca-file" 0 wait --url "$DB_URL" --timeout 10s \
	--wait-for "https://localhost:$TLS_PORT/healthz" --http-ca-file "$T/tls/ca.crt"
assert_contains "$RUN_ERR" "dependency ready: https://localhost:$TLS_PORT/healthz (HTTP 200)"
DBREADY_HTTP_CA_FILE=$T/tls/ca.crt run_dbready "waitfor: https with DBREADY_HTTP_CA_FILE" 0 \
	wait --url "$DB_URL" --timeout 10s --wait-for "https://127.0.0.1:$TLS_PORT/healthz"
run_dbready "waitfor: https, CA not trusted" 10 wait --url "$DB_URL" --timeout 1s \
	--wait-for "https://localhost:$TLS_PORT/healthz"
assert_matches "$RUN_ERR" "certificate|SSL"
run_dbready "waitfor: https, --http-ca-file missing" 3 wait --url "$DB_URL" \
	--wait-for "https://localhost:$TLS_PORT/healthz" --http-ca-file "$T/tls/nope.crt"
assert_contains "$RUN_ERR" "could not read the HTTP CA file"

# --- credentials in a target are never printed --------------------------------------------
# this service gets the credentials on purpose: its request log is kept out of the scan
STUB_LOG_DIR=$T/secrets httpstub_start auth --route /auth=401,200 || true
AUTH=$STUB_PORT AUTH_LOG=$STUB_LOG
run_dbready "waitfor: credentials in the URL, JSON log" 0 wait --url "$DB_URL" --timeout 10s \
	--log-format json --wait-for "http://svc:$CANARY@$H:$AUTH/auth?token=$CANARY"
assert_json_log "$RUN_ERR"
check "waitfor: the failed attempt's JSON line names the target redacted" \
	test "$(json_count "$RUN_ERR" event=dependency_attempt_failed "target=http://svc:***@$H:$AUTH/auth?***" attempt=1)" -eq 1
check "waitfor: the ready line names the target redacted" \
	test "$(json_count "$RUN_ERR" event=dependency_ready "target=http://svc:***@$H:$AUTH/auth?***")" -eq 1
# the credentials did reach the service (HTTP basic authentication from the URL)
want_auth="Basic $(printf 'svc:%s' "$CANARY" | base64 -w0)"
check "waitfor: the service got the URL's credentials" \
	grep -qF -- "\"authorization\": \"$want_auth\"" "$AUTH_LOG"
run_dbready "waitfor: credentials in a failing target" 10 wait --url "$DB_URL" --timeout 1s \
	--wait-for "http://svc:$CANARY@$H:$REFUSED/x?token=$CANARY,https://$CANARY@$H:$REFUSED/"
assert_contains "$RUN_ERR" "not ready within 1000 ms: http://svc:***@$H:$REFUSED/x?***, https://***@$H:$REFUSED/"
assert_contains "$RUN_TERMLOG" "http://svc:***@$H:$REFUSED/x?***"
# a target that is invalid never quotes its password either
run_dbready "waitfor: invalid target with credentials" 2 wait --url "$DB_URL" \
	--wait-for "http://svc:$CANARY@$H:$AUTH/x#status=abc"
assert_contains "$RUN_ERR" "invalid status \"abc\" in --wait-for target \"http://svc:***@$H:$AUTH/x\""
# whatever the password holds ('/', '?', '#', a space, ",http://"), a missing or mistyped
# scheme, a target too long: the exit-2 error never quotes it (nor a prefix of it)
LONGPW=$(printf 'A%.0s' $(seq 1 30))$CANARY$(printf 'B%.0s' $(seq 1 2040))
for bad in "http://u:${CANARY}/x+pW==@h:8080/healthz" "http://u:${CANARY}?x@h" \
	"http://u:${CANARY}#x@h" "http://u:${CANARY} x@h" "http://u:${CANARY},http://x@h" \
	"//u:${CANARY}@h/" "http:/u:${CANARY}@h/" "http://u:${LONGPW}@h/" \
	"http://${CANARY:0:20}$(printf 'B%.0s' $(seq 1 2040)) x@h/"; do
	run_dbready "waitfor: odd password never quoted (${bad:0:12}...)" 2 check --url "$DB_URL" \
		--dir "$T/www" --wait-for "$bad"
	assert_not_contains "$RUN_ERR" "${CANARY:0:12}"
done
# (these runs name a database without the canary: nothing else registers it as a secret)
NOPW_DB="postgres://app@$H:$REFUSED/app?sslmode=disable"
# "TOKEN:@host": an empty password, the user name is the token
run_dbready "waitfor: token as user name with an empty password" 10 wait --url "$NOPW_DB" \
	--timeout 1s --wait-for "http://$CANARY:@$H:$REFUSED/nope"
assert_contains "$RUN_ERR" "http://***@$H:$REFUSED/nope"
# proxy credentials from the environment, quoted by libcurl in its error text
httpstub_start proxyleak --route /ok=200 || true
PL=$STUB_PORT
http_proxy="htp://user:$CANARY@proxy:3128" no_proxy=127.0.0.1 run_dbready \
	"waitfor: proxy credentials from the environment" 10 wait --url "$NOPW_DB" --timeout 300ms \
	--wait-for "http://svc.example:$PL/health" --notify-url "http://$H:$PL/ok"
assert_contains "$RUN_ERR" "Unsupported proxy scheme for 'htp://user:***@proxy:3128'"
check "waitfor: proxy: the webhook got the outcome" grep -qF '\"outcome\":\"error\"' "$STUB_LOG"

# --- usage: checked offline, before anything else --------------------------------------------
run_dbready "waitfor: bad target is a usage error" 2 check --url "$DB_URL" --dir "$T/www" \
	--wait-for "redis:6379"
assert_contains "$RUN_ERR" "the scheme is missing in --wait-for target \"redis:6379\""
assert_contains "$RUN_TERMLOG" "error (exit 2)"
DBREADY_WAIT_FOR="tcp://a:1,postgres://db/app" run_dbready "waitfor: bad DBREADY_WAIT_FOR" 2 \
	wait --url "$DB_URL"
assert_contains "$RUN_ERR" "unsupported scheme \"postgres\""
# a flag replaces the variable's list: the bad one above is not looked at
DBREADY_WAIT_FOR="postgres://db/app" run_dbready "waitfor: --wait-for replaces DBREADY_WAIT_FOR" 0 \
	wait --url "$DB_URL" --timeout 10s --wait-for "http://$H:$HS_PORT/"
DBREADY_WAIT_FOR="http://$H:$HS_PORT/" run_dbready "waitfor: DBREADY_WAIT_FOR" 0 \
	wait --url "$DB_URL" --timeout 10s
assert_contains "$RUN_ERR" "dependency ready: http://$H:$HS_PORT/"

# --- every waiting command honours the targets -------------------------------------------
MIG=$T/migrations
mkdir -p "$MIG"
echo 'CREATE TABLE waitfor_t (id int);' >"$MIG/0001_init.sql"
echo 'CREATE TABLE waitfor_u (id int);' >"$MIG/0002_more.sql"
run_dbready "waitfor: run, target down: nothing applied" 10 run --url "$DB_URL" --dir "$MIG" \
	--timeout 1s --wait-for "tcp://$H:$REFUSED"
assert_not_contains "$RUN_ERR" "applied"
run_dbready "waitfor: await, target down" 10 await --url "$DB_URL" --dir "$MIG" --timeout 1s \
	--wait-for "tcp://$H:$REFUSED"
run_dbready "waitfor: migrate makes one attempt" 10 migrate --url "$DB_URL" --dir "$MIG" \
	--wait-for "tcp://$H:$REFUSED"
assert_contains "$RUN_ERR" "dependency not ready: tcp://$H:$REFUSED"
check "waitfor: migrate: one attempt" test "$(count_matches "$RUN_ERR" "attempt [0-9]+: tcp://")" -eq 1
run_dbready "waitfor: probe makes one attempt" 10 probe --url "$DB_URL" --dir "$MIG" \
	--wait-for "tcp://$H:$REFUSED"
httpstub_start cmds --route /run=503,200 --route /await=503,200 || true
CMDS=$STUB_PORT
run_dbready "waitfor: run waits, then applies" 0 run --url "$DB_URL" --dir "$MIG" --timeout 20s \
	--wait-for "http://$H:$CMDS/run"
assert_contains "$RUN_ERR" "dependency ready: http://$H:$CMDS/run (HTTP 200) after 2 attempts"
assert_contains "$RUN_ERR" "applied 2 migrations"
check "waitfor: run: the migrations came after the dependency" \
	test "$(line_no "$RUN_ERR" "applying 0001_init")" -gt "$(line_no "$RUN_ERR" "dependency ready")"
run_dbready "waitfor: await waits, then finds nothing pending" 0 await --url "$DB_URL" --dir "$MIG" \
	--timeout 20s --wait-for "http://$H:$CMDS/await"
assert_contains "$RUN_ERR" "dependency ready: http://$H:$CMDS/await (HTTP 200) after 2 attempts"
assert_contains "$RUN_ERR" "all 2 migrations are applied"
# status looks at the database only
run_dbready "waitfor: status ignores the targets" 0 status --url "$DB_URL" --dir "$MIG" \
	--wait-for "tcp://$H:$REFUSED"
assert_not_contains "$RUN_ERR" "tcp://"

# one deadline: the database gets what the dependencies left (3 s in all, the flappy-like
# target takes about 1 s, the database never comes)
httpstub_start share --route /s=503,503,503,200 || true
run_dbready "waitfor: one deadline for dependencies and database" 4 wait --timeout 3s \
	--backoff-base 300ms --backoff-cap 300ms \
	--url "postgres://app:$CANARY@$H:$REFUSED/app?sslmode=disable" --wait-for "http://$H:$STUB_PORT/s"
assert_contains "$RUN_ERR" "dependency ready"
assert_le "waitfor: one deadline: exit 4 by ~3 s ($RUN_MS ms)" "$RUN_MS" 4000

# --- SIGTERM during a dependency wait ----------------------------------------------------
sigterm_test() { # sigterm_test NAME TARGET [ARGS...]
	local name=$1 target=$2
	shift 2
	start_dbready "$name" wait --url "$DB_URL" --timeout 60s --wait-for "$target" "$@"
	sleep 1
	local sent
	sent=$(now_ms)
	kill -TERM "$RUN_PID"
	finish_dbready 143 20
	local took=$((RUN_END_MS - sent))
	assert_le "$name: exit within 2 s of SIGTERM (${took} ms)" "$took" 2000
	assert_contains "$RUN_ERR" "stopped by SIGTERM while waiting for"
	assert_contains "$RUN_TERMLOG" "stopped (exit 143)"
}
sigterm_test "waitfor: SIGTERM in the backoff sleep" "tcp://$H:$REFUSED" --backoff-base 5s --backoff-cap 5s
assert_contains "$RUN_ERR" "next try in"
blackhole_start || true
sigterm_test "waitfor: SIGTERM during a hanging request" "http://$H:$BLACKHOLE_PORT/#timeout=30s"
assert_not_contains "$RUN_ERR" "attempt 1:"
blackhole_stop

# --- the static binary: an HTTP wait and a webhook ----------------------------------------
# static.sh (which runs before this file) rebuilds it when it is stale: in build/, or in
# $BUILD/ under `make check BUILD=...` (make passes BUILD on to its `make static`).
fresh() { [ -x "$1" ] && [ -z "$(find "$REPO_ROOT/src" -newer "$1" -type f 2>/dev/null | head -n 1)" ]; }
STATIC=
for c in ${DBREADY_STATIC:-} "$(dirname "$DBREADY")/dbready-static" "$REPO_ROOT/build/dbready-static"; do
	if fresh "$c"; then
		STATIC=$c
		break
	fi
done
if [ -n "$STATIC" ]; then
	httpstub_start static-hook --route /hook=200 || true
	HOOK_PORT=$STUB_PORT HOOK_LOG=$STUB_LOG
	SAVED=$DBREADY
	DBREADY=$STATIC
	run_dbready "waitfor: static binary: https wait and webhook" 0 wait --url "$DB_URL" \
		--timeout 20s --http-ca-file "$T/tls/ca.crt" \
		--wait-for "https://localhost:$TLS_PORT/healthz,http://$H:$FLAPPY/healthz,tcp://$H:$HS_PORT" \
		--notify-url "http://$H:$HOOK_PORT/hook"
	DBREADY=$SAVED
	assert_contains "$RUN_ERR" "dependency ready: https://localhost:$TLS_PORT/healthz (HTTP 200)"
	assert_contains "$RUN_ERR" "outcome posted to http://$H:$HOOK_PORT/***"
	check "waitfor: static binary: the webhook got the outcome" \
		grep -qF '\"outcome\":\"ok\"' "$HOOK_LOG"
elif [ "${CI:-}" = true ]; then
	fail "waitfor: static binary" "no dbready-static newer than src/ (static.sh builds it)"
else
	say "# SKIP waitfor: static binary (no dbready-static newer than src/: make static)"
fi

harness_finish
