#!/usr/bin/env bash
# migrate_signals.sh - SIGTERM/SIGINT in the middle of a migration (behaviour.md §4): cancel
# the running statement, roll back, release the lock and exit 128+n within 2 s, leaving the
# database as if the interrupted migration never started; the termination log says it was
# stopped. Also: a no-transaction migration interrupted (the statements that ran are said),
# --tx=all interrupted (nothing at all remains), and a signal while waiting for the lock.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

FIXTURES=$REPO_ROOT/tests/fixtures
SLOW=$FIXTURES/migrate-plain-sleep

recorded() { # recorded DB: the recorded versions, comma-separated; "none" without a table
	if [ "$(q main "$1" "SELECT to_regclass('public.dbready_migrations') IS NULL")" = t ]; then
		echo none
	else
		q main "$1" "SELECT coalesce(string_agg(version, ',' ORDER BY version), '') FROM public.dbready_migrations"
	fi
}

# wait_sleeping DB: until a backend of DB runs pg_sleep (the slow statement is under way)
wait_sleeping() {
	local i
	for i in $(seq 1 200); do
		[ "$(q main "$1" "SELECT count(*) FROM pg_stat_activity WHERE datname = '$1' AND query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()")" -ge 1 ] && return 0
		sleep 0.05
	done
	return 1
}

# after_stop NAME DB: nothing of the interrupted work is left running or locked
after_stop() {
	local name=$1 db=$2
	check "$name: no backend still running pg_sleep" \
		test "$(q main "$db" "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")" = 0
	check "$name: no advisory lock held" \
		test "$(q main "$db" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")" = 0
}

# interrupt NAME SIG EXIT DB DIR [ARGS...]: run DIR, send SIG once the slow statement runs,
# expect EXIT within 2 s of the signal
interrupt() {
	local name=$1 sig=$2 code=$3 db=$4 dir=$5
	shift 5
	start_dbready "$name" run --url "$(pg_url app "$CANARY" "$db")" --dir "$dir" --timeout 10s "$@"
	if ! wait_sleeping "$db"; then
		fail "$name: the slow statement started" "no backend in pg_sleep(30) after 10 s"
	fi
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

pg_start main || true
pg_create_app main || true

# --- SIGTERM / SIGINT in a transactional migration --------------------------------------------
new_db sigterm >/dev/null
interrupt "signals: SIGTERM during 2_slow" TERM 143 sigterm "$SLOW"
assert_contains "$RUN_ERR" "2_slow"
assert_contains "$RUN_ERR" "applied 1_base"
check "signals: SIGTERM: 1_base recorded, 2_slow not" test "$(recorded sigterm)" = 1
check "signals: SIGTERM: nothing of 2_slow remains (no slow_marker)" \
	test "$(exists sigterm slow_marker)" = f
after_stop "signals: SIGTERM" sigterm

new_db sigint >/dev/null
interrupt "signals: SIGINT during 2_slow" INT 130 sigint "$SLOW"
check "signals: SIGINT: 1_base recorded, 2_slow not" test "$(recorded sigint)" = 1
check "signals: SIGINT: nothing of 2_slow remains" test "$(exists sigint slow_marker)" = f
after_stop "signals: SIGINT" sigint

# the JSON log's last word carries the exit code
new_db sigjson >/dev/null
interrupt "signals: SIGTERM, JSON log" TERM 143 sigjson "$SLOW" --log-format json
assert_json_log "$RUN_ERR"
check "signals: SIGTERM, JSON log: an error line with exit_code 143 or a signal event" \
	test "$(($(json_count "$RUN_ERR" exit_code=143) + $(json_count "$RUN_ERR" event=signal)))" -ge 1
after_stop "signals: SIGTERM, JSON log" sigjson

# interrupted twice, then run to the end: the second run starts from a clean slate
run_dbready "signals: afterwards, --statement-timeout stops 2_slow" 7 run \
	--url "$(pg_url app "$CANARY" sigterm)" --dir "$SLOW" --timeout 10s --statement-timeout 500ms
check "signals: afterwards: still only 1_base" test "$(recorded sigterm)" = 1

# --- --tx=all: the whole batch goes ------------------------------------------------------------
new_db sigall >/dev/null
interrupt "signals: SIGTERM with --tx=all" TERM 143 sigall "$SLOW" --tx=all
check "signals: --tx=all: nothing recorded, not even 1_base (no history table)" \
	test "$(recorded sigall)|$(exists sigall base)" = "none|f"
after_stop "signals: --tx=all" sigall

# --- a no-transaction migration: statement 2 of 3 interrupted ----------------------------------
NOTX=$T/dirs/notx
mkdir -p "$NOTX"
cp "$SLOW/1_base.sql" "$NOTX/"
printf '%s\n' '-- dbready:no-transaction' 'CREATE TABLE notx_first (id int);' \
	'SELECT pg_sleep(30);' 'CREATE TABLE notx_third (id int);' >"$NOTX/2_notx.sql"
new_db signotx >/dev/null
interrupt "signals: SIGTERM in a no-transaction migration" TERM 143 signotx "$NOTX"
assert_contains "$RUN_ERR" "statement 2"
assert_contains "$RUN_ERR" "1 of its 3 statements ran"
check "signals: no-tx: statement 1 stays, statement 3 never ran, 2_notx not recorded" \
	test "$(exists signotx notx_first)|$(exists signotx notx_third)|$(recorded signotx)" = "t|f|1"
after_stop "signals: no-tx" signotx

# --- while waiting for the migration lock ------------------------------------------------------
new_db siglock >/dev/null
start_dbready "signals: the lock holder" run --url "$(pg_url app "$CANARY" siglock)" --dir "$SLOW" \
	--timeout 10s
H_NAME=$RUN_NAME H_DIR=$RUN_DIR H_PID=$RUN_PID H_START=$RUN_START_MS
wait_sleeping siglock || fail "signals: the lock holder reached pg_sleep"
start_dbready "signals: SIGTERM while waiting for the lock" run \
	--url "$(pg_url app "$CANARY" siglock)" --dir "$SLOW" --timeout 10s --lock-timeout 60s
for i in $(seq 1 100); do
	grep -q "waiting for the migration lock" "$RUN_ERR" 2>/dev/null && break
	sleep 0.05
done
assert_contains "$RUN_ERR" "waiting for the migration lock"
sent=$(now_ms)
kill -TERM "$RUN_PID"
finish_dbready 143 20
assert_le "signals: lock wait: exit within 2 s of SIGTERM ($((RUN_END_MS - sent)) ms)" \
	$((RUN_END_MS - sent)) 2000
assert_contains "$RUN_ERR" "stopped by SIGTERM"
assert_contains "$RUN_TERMLOG" "stopped (exit 143)"
RUN_NAME=$H_NAME RUN_DIR=$H_DIR RUN_PID=$H_PID RUN_START_MS=$H_START
RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
kill -INT "$RUN_PID"
finish_dbready 130 20
after_stop "signals: lock wait" siglock
check "signals: lock wait: 1_base recorded once, 2_slow not" test "$(recorded siglock)" = 1

harness_finish
