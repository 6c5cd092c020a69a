#!/usr/bin/env bash
# wait.sh - waiting for a real login (behaviour.md §2): success, a server that starts after
# dbready (detection delay), transient failures retried until the deadline (exit 4: DNS,
# refused, no answer), and "too many clients" (53300) retried until a slot frees.
. "$(dirname "$0")/../lib/harness.sh"

pg_start main || true
pg_create_app main || true
URL=$(pg_url app "$CANARY" app main)
PORT=$(pg_port main)

# --- success ---------------------------------------------------------------------------------
run_dbready "wait: PostgreSQL running" 0 wait --url "$URL" --timeout 10s
assert_contains "$RUN_ERR" "database ready"
assert_contains "$RUN_ERR" "postgres://app:***@127.0.0.1:$PORT/app"
assert_contains "$RUN_TERMLOG" "ok: database ready after 1 attempt"
assert_not_contains "$RUN_ERR" "attempt 1:"

DATABASE_URL=$URL run_dbready "wait: from DATABASE_URL" 0 wait --timeout 10s
assert_contains "$RUN_ERR" "database ready"

run_dbready "wait: key=value conninfo" 0 wait --timeout 10s \
	--url "host=127.0.0.1 port=$PORT user=app password=$CANARY dbname=app"
assert_contains "$RUN_ERR" "database ready"

# without a URL, libpq's PG* variables are used when PGHOST is set (cli.md)
PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=app PGPASSWORD=$CANARY PGDATABASE=app \
	run_dbready "wait: PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE" 0 wait --timeout 10s
assert_contains "$RUN_ERR" "database ready"

# the container's world (behaviour.md §5): a numeric uid without a passwd entry, no HOME,
# no locale, no PATH, cwd /; libpq must not need any of it
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	# shellcheck disable=SC2034 # read by start_dbready
	RUN_WRAP=(setpriv --reuid=65532 --regid=65532 --clear-groups env -C / -i "DATABASE_URL=$URL")
	run_dbready "wait: uid 65532, empty environment, cwd /" 0 wait --timeout 10s
	RUN_WRAP=()
	assert_contains "$RUN_ERR" "database ready"
	assert_contains "$RUN_TERMLOG" "ok: "
fi

# --- dbready started ~2 s before the server --------------------------------------------------
# initdb first (it takes a while), so that the 2 s are the server's absence, not initdb's.
# The superuser login: the app role would not exist yet when the first login gets through.
pg_init late || true
LATE_URL=$(pg_url postgres "$CANARY" postgres late)
start_dbready "wait: started 2 s before the server" wait --url "$LATE_URL" --timeout 30s
sleep 2
pg_start late || true
READY_MS=$(now_ms) # pg_ctl -w returns once the server accepts connections
finish_dbready 0 40
DELAY=$((RUN_END_MS - READY_MS))
say "# detection delay: $DELAY ms (dbready exit after pg_ctl -w start returned; server down $((READY_MS - RUN_START_MS)) ms)"
assert_contains "$RUN_ERR" "attempt 1:" "wait: started 2 s before the server: it retried while the server was down"
assert_contains "$RUN_ERR" "database ready"
# the backoff cap is 500 ms and a login takes a few ms: well under 1.5 s unless something
# (a connect that hangs, a sleep past the cap) delays detection
assert_le "wait: detection delay ${DELAY} ms <= 1500 ms after the server accepts logins" "$DELAY" 1500

# --- transient failures until the deadline: exit 4 -------------------------------------------
# a host name that cannot resolve (a Kubernetes Service that does not exist yet)
run_dbready "wait: unresolvable host" 4 wait --timeout 3s \
	--url "postgres://app:$CANARY@does-not-exist.invalid:5432/app"
check "wait: unresolvable host: retried (>= 3 attempt lines)" \
	test "$(count_matches "$RUN_ERR" 'attempt [0-9]+:')" -ge 3
assert_contains "$RUN_ERR" "attempt 2:"
assert_contains "$RUN_ERR" "HINT: Check the host name \"does-not-exist.invalid\""
assert_contains "$RUN_ERR" "DETAIL: could not resolve host name"
assert_le "wait: unresolvable host: gave up no earlier than the 3 s deadline" 2900 "$RUN_MS"
assert_le "wait: unresolvable host: gave up within 5 s" "$RUN_MS" 5000
assert_contains "$RUN_TERMLOG" "error (exit 4): "

# connection refused: nothing listens on the port
REFUSED=$(free_port)
run_dbready "wait: connection refused" 4 wait --timeout 2s --backoff-cap 200ms \
	--url "postgres://app:$CANARY@127.0.0.1:$REFUSED/app"
assert_contains "$RUN_ERR" "attempt 2:"
check "wait: connection refused: retried (>= 4 attempt lines with a 200 ms cap)" \
	test "$(count_matches "$RUN_ERR" 'attempt [0-9]+:')" -ge 4
assert_contains "$RUN_ERR" "Connection refused"
assert_contains "$RUN_ERR" "HINT: Is the server running"
assert_le "wait: connection refused: not before the 2 s deadline" 1900 "$RUN_MS"
assert_le "wait: connection refused: at the deadline (< 2.8 s)" "$RUN_MS" 2800

# the sleep never runs past the deadline, however large the backoff (behaviour.md §2)
run_dbready "wait: 10 s backoff, 1 s deadline" 4 wait --timeout 1s --backoff-base 10s --backoff-cap 10s \
	--url "postgres://app:$CANARY@127.0.0.1:$REFUSED/app"
assert_le "wait: 10 s backoff, 1 s deadline: gave up at the deadline (< 1.6 s)" "$RUN_MS" 1600

# run (the default command) waits the same way before it touches migrations
mkdir -p "$T/migrations"
run_dbready "run: waits like wait (refused)" 4 --timeout 1s --backoff-cap 200ms --dir "$T/migrations" \
	--url "postgres://app:$CANARY@127.0.0.1:$REFUSED/app"
assert_contains "$RUN_ERR" "attempt 2:"
assert_contains "$RUN_TERMLOG" "error (exit 4): "

# a server that accepts TCP but never answers (dropped replies, a hung server): each attempt
# ends at the connect timeout
blackhole_start || true
run_dbready "wait: no answer (connect timeout)" 4 wait --timeout 3s --connect-timeout 1s \
	--url "postgres://app:$CANARY@127.0.0.1:$BLACKHOLE_PORT/app?sslmode=disable"
assert_contains "$RUN_ERR" "attempt 2:"
assert_contains "$RUN_ERR" "no answer within"
assert_contains "$RUN_ERR" "firewall"
assert_le "wait: no answer: at the deadline (< 3.8 s)" "$RUN_MS" 3800
# the URL's connect_timeout beats --connect-timeout: with 30 s there would be no second try
run_dbready "wait: URL connect_timeout=2 beats --connect-timeout 30s" 4 wait --timeout 3s \
	--connect-timeout 30s --url "postgres://app:$CANARY@127.0.0.1:$BLACKHOLE_PORT/app?sslmode=disable&connect_timeout=2"
assert_matches "$RUN_ERR" 'attempt 1: .*no answer within 2[0-9]{3} ms'
blackhole_stop

# --- too many clients (53300) is transient ---------------------------------------------------
pg_start conn max_connections=3 superuser_reserved_connections=0 reserved_connections=0 || true
pg_create_app conn || true
CONN_LOG=$T/pg/conn/server.log
before=$(count_matches "$CONN_LOG" 'connection authorized')
fillers=()
for _ in 1 2 3; do
	PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -h 127.0.0.1 -p "$(pg_port conn)" \
		-U postgres -d postgres -c 'SELECT pg_sleep(4)' </dev/null >/dev/null 2>>"$T/pg/conn/fill.log" &
	fillers+=("$!")
done
# wait until the server logged all three logins: only then is every slot taken
for _ in $(seq 1 100); do
	[ "$(count_matches "$CONN_LOG" 'connection authorized')" -ge $((before + 3)) ] && break
	sleep 0.05
done
check "wait: too many clients: 3 sessions hold all 3 slots" \
	test "$(count_matches "$CONN_LOG" 'connection authorized')" -ge $((before + 3))
run_dbready "wait: too many clients, then a slot frees" 0 wait --timeout 30s --log-format json \
	--url "$(pg_url app "$CANARY" app conn)"
n=$(json_count "$RUN_ERR" event=attempt_failed sqlstate=53300)
check "wait: too many clients: logged 53300 retries ($n)" test "$n" -ge 1
check "wait: too many clients: ended with a ready event" \
	test "$(json_count "$RUN_ERR" event=ready level=info)" -eq 1
assert_json_log "$RUN_ERR"
wait "${fillers[@]}"

harness_finish
