#!/usr/bin/env bash
# migrate_notx.sh - no-transaction migrations (behaviour.md §3): CREATE INDEX CONCURRENTLY
# detected and run statement by statement (valid indexes), the first-line directive
# "-- dbready:no-transaction", a failure part-way (the message says what ran), several runners
# at once, --tx=all refusing them, and PgBouncer in transaction mode refused with a clear
# message about the pooler (exit 3) instead of a session lock that would not hold.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

FIXTURES=$REPO_ROOT/tests/fixtures
PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}

index_valid() { # index_valid DB INDEX: t/f, empty when missing
	q main "$1" "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = '$2'"
}

pg_start main || true
pg_create_app main || true

# --- CONCURRENTLY detected; the directive honoured --------------------------------------------
DIR=$FIXTURES/migrate-notx
URL=$(new_db notx)
run_dbready "no-tx: CONCURRENTLY and the directive" 0 run --url "$URL" --dir "$DIR" --timeout 10s
assert_contains "$RUN_ERR" "applying 2_indexes outside a transaction"
assert_contains "$RUN_ERR" "applying 3_probe outside a transaction (the file says -- dbready:no-transaction)"
assert_not_contains "$RUN_ERR" "applying 1_items outside"
assert_contains "$RUN_TERMLOG" "ok: applied 3 migrations (1_items..3_probe)"
check "no-tx: items_note_idx is valid" test "$(index_valid notx items_note_idx)" = t
check "no-tx: items_sku_key is valid and unique" \
	test "$(q main notx "SELECT i.indisvalid AND i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'items_sku_key'")" = t
check "no-tx: the directive's statements ran in separate transactions (two txids)" \
	test "$(q main notx 'SELECT count(DISTINCT xid) FROM notx_probe')" = 2
check "no-tx: 3 rows recorded" test "$(history_count notx)" = 3
check "no-tx: no advisory lock left" test "$(advisory_locks)" = 0
run_dbready "no-tx: second run applies nothing" 0 run --url "$URL" --dir "$DIR" --timeout 10s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 3 migrations already applied"
run_dbready "no-tx: check --json marks them" 0 check --json --url "$URL" --dir "$DIR"
check "no-tx: check --json: no_transaction false, true, true" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = [m["no_transaction"] for m in d["migrations"]]
assert got == [False, True, True], got
' "$RUN_OUT"

# VACUUM is detected too (auto, no directive)
VDIR=$T/dirs/vacuum
mkdir -p "$VDIR"
printf '%s\n' 'CREATE TABLE v (id int);' 'INSERT INTO v SELECT generate_series(1, 100);' >"$VDIR/1_v.sql"
printf '%s\n' 'VACUUM (ANALYZE) v;' >"$VDIR/2_vacuum.sql"
URL=$(new_db vacuum)
run_dbready "no-tx: VACUUM" 0 run --url "$URL" --dir "$VDIR" --timeout 10s
assert_contains "$RUN_ERR" "applying 2_vacuum outside a transaction"
check "no-tx: VACUUM ran (last_vacuum set)" \
	test "$(q main vacuum "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'v'")" = t

# --- a no-transaction migration that fails part-way: exit 7, says what ran -------------------
FDIR=$T/dirs/notx-fail
mkdir -p "$FDIR"
printf '%s\n' 'CREATE TABLE f (id int, v int);' >"$FDIR/1_f.sql"
printf '%s\n' 'CREATE INDEX CONCURRENTLY f_id_idx ON f (id);' \
	'CREATE INDEX CONCURRENTLY f_v_idx ON f (nosuchcolumn);' \
	'CREATE INDEX CONCURRENTLY f_idv_idx ON f (id, v);' >"$FDIR/2_idx.sql"
URL=$(new_db notxfail)
run_dbready "no-tx: statement 2 of 3 fails" 7 run --url "$URL" --dir "$FDIR" --timeout 10s
assert_contains "$RUN_ERR" 'migration "2_idx" failed at 2_idx.sql:2:'
assert_contains "$RUN_ERR" 'column "nosuchcolumn" does not exist'
assert_contains "$RUN_ERR" "1 of its 3 statements ran"
check "no-tx: the statement that ran stays (f_id_idx), the later one did not run" \
	test "$(index_valid notxfail f_id_idx)|$(index_valid notxfail f_idv_idx)" = "t|"
check "no-tx: 2_idx not recorded, 1_f recorded" test "$(history_count notxfail)" = 1
check "no-tx: no advisory lock left after the failure" test "$(advisory_locks)" = 0

# --- several runners at once through the session-lock path -----------------------------------
URL=$(new_db notxmany)
GATE=$T/gate.fifo
GATE_SH=$T/gate.sh
printf '%s\n' '#!/usr/bin/env bash' 'gate=$1' 'shift' 'read -r _ <"$gate"' 'exec "$@"' >"$GATE_SH"
chmod +x "$GATE_SH"
mkfifo "$GATE"
names=() dirs=() pids=()
for i in 1 2 3 4 5; do
	RUN_WRAP=("$GATE_SH" "$GATE")
	start_dbready "no-tx: 5 runners at once: runner $i" run --url "$URL" --dir "$DIR" \
		--timeout 10s --lock-timeout 30s
	RUN_WRAP=()
	names+=("$RUN_NAME") dirs+=("$RUN_DIR") pids+=("$RUN_PID")
done
sleep 0.3
t0=$(now_ms)
exec 3<>"$GATE" # read-write: never blocks, even if no runner got to the gate
exec 3>&-
for i in 0 1 2 3 4; do
	RUN_NAME=${names[$i]} RUN_DIR=${dirs[$i]} RUN_PID=${pids[$i]} RUN_START_MS=$t0
	RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
	finish_dbready 0 60
done
check "no-tx: 5 runners: each migration recorded once" \
	test "$(q main notxmany 'SELECT count(*), count(DISTINCT version) FROM public.dbready_migrations')" = "3|3"
check "no-tx: 5 runners: each index built once and valid" \
	test "$(index_valid notxmany items_note_idx)|$(index_valid notxmany items_sku_key)" = "t|t"
check "no-tx: 5 runners: the probe ran once (2 rows)" \
	test "$(q main notxmany 'SELECT count(*) FROM notx_probe')" = 2
check "no-tx: 5 runners: no advisory lock left" test "$(advisory_locks)" = 0

# --- --tx=all cannot hold a no-transaction migration ------------------------------------------
URL=$(new_db notxall)
run_dbready "no-tx: --tx=all with a CONCURRENTLY migration pending" 6 run --url "$URL" \
	--dir "$DIR" --timeout 10s --tx=all
assert_contains "$RUN_ERR" "2_indexes"
assert_contains "$RUN_ERR" "cannot run inside a transaction"
check "no-tx: --tx=all refused before applying anything" test "$(history_count notxall)" = -1

# --- PgBouncer in transaction mode: refused with a message about the pooler -------------------
# dbready as the first client of a fresh pool (the usual deployment: the migrating Job starts
# before the app), then 5 runners at once against another database (another pool)
new_db notxpool >/dev/null
new_db notxpool5 >/dev/null
if [ -x "$PGBOUNCER" ] && pgb_start pgb main; then
	POOLED_URL="postgres://app:$CANARY@127.0.0.1:$PGB_PORT/notxpool?sslmode=disable"
	run_dbready "no-tx: through PgBouncer (transaction mode)" 3 run --url "$POOLED_URL" \
		--dir "$DIR" --timeout 10s
	assert_contains "$RUN_ERR" "2_indexes"
	assert_matches "$RUN_ERR" '[Pp]ooler|PgBouncer'
	assert_contains "$RUN_TERMLOG" "error (exit 3): "
	check "no-tx: PgBouncer: 1_items applied, 2_indexes not (no index, not recorded)" \
		test "$(history_count notxpool)|$(index_valid notxpool items_note_idx)" = "1|"
	check "no-tx: PgBouncer: no advisory lock left" test "$(advisory_locks)" = 0

	POOLED_URL="postgres://app:$CANARY@127.0.0.1:$PGB_PORT/notxpool5?sslmode=disable"
	rm -f "$GATE"
	mkfifo "$GATE"
	names=() dirs=() pids=()
	for i in 1 2 3 4 5; do
		RUN_WRAP=("$GATE_SH" "$GATE")
		start_dbready "no-tx: PgBouncer, 5 runners at once: runner $i" run --url "$POOLED_URL" \
			--dir "$DIR" --timeout 10s --lock-timeout 30s
		RUN_WRAP=()
		names+=("$RUN_NAME") dirs+=("$RUN_DIR") pids+=("$RUN_PID")
	done
	sleep 0.3
	t0=$(now_ms)
	exec 3<>"$GATE" # read-write: never blocks, even if no runner got to the gate
	exec 3>&-
	for i in 0 1 2 3 4; do
		RUN_NAME=${names[$i]} RUN_DIR=${dirs[$i]} RUN_PID=${pids[$i]} RUN_START_MS=$t0
		RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
		finish_dbready 3 60
		assert_matches "$RUN_ERR" '[Pp]ooler|PgBouncer'
	done
	check "no-tx: PgBouncer, 5 runners: 1_items once, 2_indexes not applied" \
		test "$(history_count notxpool5)|$(index_valid notxpool5 items_note_idx)" = "1|"
	check "no-tx: PgBouncer, 5 runners: no advisory lock left" test "$(advisory_locks)" = 0
	pgb_stop
else
	fail "no-tx through PgBouncer" "pgbouncer not available at $PGBOUNCER"
fi

harness_finish
