#!/usr/bin/env bash
# migrate_edges.sh - the core promise at its edges (issue 10): a rolling deploy with --tx=all
# never skips a migration; files with their own BEGIN/COMMIT are applied once under 3 racers
# and a failure says what stayed committed; a SIGTERM whose cancel comes too late reports the
# migration as applied; a deferred constraint failing at COMMIT names the migration; a lost
# connection says what is known; 5,000 migrations in one --tx=all transaction; 20 racers
# leave no ERROR in the server log; history table names PostgreSQL would cut are refused,
# and a ';' inside a quoted one works. Every folder is generated here (no corpora needed).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}
D=$T/dirs
mkdir -p "$D"

# mig DIR FILE SQL: write one migration file
mig() {
	mkdir -p "$1"
	printf '%s\n' "$3" >"$1/$2"
}

# backend_of DB: the pid of the backend inside pg_sleep(30) in DB (wait_event PgSleep, not
# merely active on the statement that calls it), once there is one
backend_of() {
	local i pid
	for i in $(seq 1 100); do
		pid=$(q main "$1" "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND wait_event = 'PgSleep' AND pid <> pg_backend_pid() LIMIT 1")
		[ -n "$pid" ] && echo "$pid" && return 0
		sleep 0.05
	done
	return 1
}

recorded() { # recorded DB [TABLE]: the recorded versions, comma-separated
	q main "$1" "SELECT coalesce(string_agg(version, ',' ORDER BY version::numeric), '') FROM ${2:-public.dbready_migrations}"
}

pg_start main max_connections=100 || true
pg_create_app main || true

# --- 1. a rolling deploy with --tx=all ----------------------------------------------------
# The old pod's folder has 1-2 (2 is slow); the new pod's has 1-3 and uses --tx=all. The new
# pod reads the history while 2 runs, waits for the lock, and must then apply 3 - not
# conclude that "another runner applied these" and exit 0 with 3 missing.
mig "$D/old" 1_a.sql 'CREATE TABLE roll_a (id int);'
mig "$D/old" 2_slow.sql 'CREATE TABLE roll_b (id int); SELECT pg_sleep(2);'
cp -r "$D/old" "$D/new"
mig "$D/new" 3_c.sql 'CREATE TABLE roll_c (id int);'
URL=$(new_db roll)
run_dbready "rolling: old pod applies 1" 0 run --url "$URL" --dir "$D/old" --timeout 10s --tx=all
q main roll "DELETE FROM public.dbready_migrations WHERE version = '2'; DROP TABLE roll_b"
start_dbready "rolling: old pod applies the slow 2" run --url "$URL" --dir "$D/old" --timeout 10s
OLD_DIR=$RUN_DIR OLD_PID=$RUN_PID OLD_START=$RUN_START_MS
sleep 0.7
run_dbready "rolling: new pod, --tx=all, starts while 2 runs" 0 run --url "$URL" --dir "$D/new" \
	--timeout 10s --tx=all --lock-timeout 20s
NEW_ERR=$RUN_ERR
assert_contains "$NEW_ERR" "the history changed while waiting for the migration lock"
RUN_DIR=$OLD_DIR RUN_PID=$OLD_PID RUN_START_MS=$OLD_START RUN_NAME="rolling: old pod"
RUN_OUT=$OLD_DIR/stdout RUN_ERR=$OLD_DIR/stderr RUN_TERMLOG=$OLD_DIR/termination-log
finish_dbready 0 20
check "rolling: 1, 2 and 3 recorded once each" test "$(recorded roll)" = "1,2,3"
check "rolling: 3's table exists" test "$(q main roll "SELECT to_regclass('roll_c') IS NOT NULL")" = t
assert_contains "$NEW_ERR" "applied 1 migration (3_c)" "rolling: the new pod says it applied 3_c"

# --- 2. files with their own transaction control -------------------------------------------
# golang-migrate and dbmate projects wrap files in BEGIN; ... COMMIT;. Such a COMMIT would end
# dbready's transaction (and its lock) half-way; dbready runs the file in its own session
# under a session lock instead, so 3 racers insert the seed row once.
mig "$D/wrapped" 1_seed_table.sql 'CREATE TABLE seed (v int);'
mig "$D/wrapped" 2_seed.sql 'BEGIN;
INSERT INTO seed VALUES (1);
COMMIT;
SELECT pg_sleep(1);'
URL=$(new_db wrapped)
errors_before=$(server_errors main)
racers 3 "own transactions: racer" run --url "$URL" --dir "$D/wrapped" --timeout 20s \
	--lock-timeout 20s
dirs=("${RACER_DIRS[@]}")
for i in 0 1 2; do
	racer_finish "$i" 0 30
	assert_not_contains "$RUN_ERR" "rolled back"
done
check "own transactions: the seed row was inserted once ($(q main wrapped 'SELECT count(*) FROM seed'))" \
	test "$(q main wrapped 'SELECT count(*) FROM seed')" = 1
check "own transactions: 2_seed recorded once" test "$(recorded wrapped)" = "1,2"
check "own transactions: run in its own session, with the file's own transactions" \
	test "$(grep -l 'applying 2_seed in its own session, with the file.s own transactions (BEGIN at line 1)' "${dirs[@]/%//stderr}" | wc -l)" -ge 1
check "own transactions: exactly one racer applied 2_seed" \
	test "$(grep -l 'applied 2_seed in' "${dirs[@]/%//stderr}" | wc -l)" = 1
check "own transactions: no server warning about transactions in the log" \
	test "$(grep -cE 'there is (already|no) transaction in progress' "$T/pg/main/server.log")" = 0
check "own transactions: no ERROR in the server log" test "$(($(server_errors main) - errors_before))" = 0

# a failure after the file's own COMMIT: what was committed stays, and dbready says so
mig "$D/wrapfail" 1_accounts.sql 'BEGIN;
CREATE TABLE accounts (id int);
COMMIT;
ALTER TABLE accounts ADD COLUMN x intt;'
URL=$(new_db wrapfail)
run_dbready "own transactions: fails after its COMMIT" 7 run --url "$URL" --dir "$D/wrapfail" --timeout 10s
assert_contains "$RUN_ERR" 'migration "1_accounts" failed at 1_accounts.sql:4:'
assert_contains "$RUN_ERR" "3 of its 4 statements ran and committed"
assert_contains "$RUN_ERR" "statements 1-3 stay applied"
assert_not_contains "$RUN_ERR" "nothing of it remains"
check "own transactions: accounts stays (committed by the file), nothing recorded" \
	test "$(q main wrapfail "SELECT to_regclass('accounts') IS NOT NULL, (SELECT count(*) FROM public.dbready_migrations)")" = "t|0"
# a failure inside the file's own transaction: that transaction is rolled back
mig "$D/wrapfail2" 1_tx.sql 'CREATE TABLE before_tx (id int);
BEGIN;
CREATE TABLE inside_tx (id int);
SELECT 1/0;
COMMIT;'
URL=$(new_db wrapfail2)
run_dbready "own transactions: fails inside its transaction" 7 run --url "$URL" --dir "$D/wrapfail2" --timeout 10s
assert_contains "$RUN_ERR" "statement 1 stays applied"
assert_contains "$RUN_ERR" "statements 2-3 ran in the file's own transaction, which was rolled back"
check "own transactions: before_tx stays, inside_tx rolled back" \
	test "$(q main wrapfail2 "SELECT to_regclass('before_tx') IS NOT NULL, to_regclass('inside_tx') IS NULL")" = "t|t"
# a file that begins a transaction and never ends it
mig "$D/wrapopen" 1_open.sql 'BEGIN;
CREATE TABLE left_open (id int);'
URL=$(new_db wrapopen)
run_dbready "own transactions: BEGIN without COMMIT" 7 run --url "$URL" --dir "$D/wrapopen" --timeout 10s
assert_contains "$RUN_ERR" 'migration "1_open" ends inside a transaction it began; it was rolled back'
check "own transactions: left_open rolled back, nothing recorded" \
	test "$(q main wrapopen "SELECT to_regclass('left_open') IS NULL, (SELECT count(*) FROM public.dbready_migrations)")" = "t|0"
# --tx=all cannot hold such a file
run_dbready "own transactions: --tx=all refuses" 6 run --url "$(new_db wraptxall)" --dir "$D/wrapped" \
	--timeout 10s --tx=all
assert_contains "$RUN_ERR" 'migration "2_seed" cannot run inside a transaction (it has its own BEGIN/COMMIT)'
# behind a transaction pooler the session lock cannot hold: refused, nothing applied
pg_sql main <<<'CREATE DATABASE wrappool OWNER app;' || true
if [ -x "$PGBOUNCER" ] && pgb_start pgbedges main; then
	run_dbready "own transactions: behind PgBouncer" 3 run \
		--url "postgres://app:$CANARY@127.0.0.1:$PGB_PORT/wrappool?sslmode=disable" \
		--dir "$D/wrapped" --timeout 10s
	assert_contains "$RUN_ERR" 'migration "2_seed" must run in one session (it has its own BEGIN at line 1)'
	check "own transactions: behind PgBouncer 1 applied, 2 not, no seed row" \
		test "$(recorded wrappool):$(q main wrappool 'SELECT count(*) FROM seed')" = "1:0"
	pgb_stop
else
	fail "own transactions behind PgBouncer" "pgbouncer not available at $PGBOUNCER"
fi

# --- 3. a SIGTERM whose cancel comes too late --------------------------------------------------
# The DO block swallows the cancel, so the transaction goes on and commits: dbready must say
# that 1_swallow was applied (status agrees), not that it was rolled back. The handler says
# so with a WARNING (dbready logs server warnings). PostgreSQL may deliver one cancel request
# twice: the postmaster sends SIGINT to the backend and then to its process group (postmaster.c
# signal_child), so when the backend handles the first before the second arrives, the second
# cancels the statement after the DO (the history row) or the DO outside its handler (seen
# here in about 1 try of 12). dbready then rightly says the migration was rolled back, and
# nothing is recorded: such a try is checked for that consistency and the scenario is tried
# again, up to 5 times, until the cancel was swallowed and the COMMIT ran.
mig "$D/swallow" 1_swallow.sql 'CREATE TABLE swallowed (id int);
DO $$ BEGIN PERFORM pg_sleep(30); EXCEPTION WHEN query_canceled THEN RAISE WARNING $n$cancel swallowed$n$; END $$;'
mig "$D/swallow" 2_next.sql 'CREATE TABLE never_started (id int);'
committed=0
for try in 1 2 3 4 5; do
	URL=$(new_db "swallow$try")
	start_dbready "signal: the cancel is swallowed, COMMIT runs (try $try)" run --url "$URL" \
		--dir "$D/swallow" --timeout 10s
	backend_of "swallow$try" >/dev/null
	kill -TERM "$RUN_PID"
	finish_dbready 143 20
	if grep -q 'server: cancel swallowed' "$RUN_ERR" && grep -q 'applied 1_swallow in' "$RUN_ERR"; then
		committed=1
		break
	fi
	assert_contains "$RUN_ERR" 'stopped by SIGTERM while applying "1_swallow"; it was rolled back'
	check "signal, try $try: the cancel rolled the migration back, and nothing is recorded, as said" \
		test "$(q main "swallow$try" "SELECT to_regclass('swallowed') IS NULL, to_regclass('public.dbready_migrations') IS NULL")" = "t|t"
done
check "signal: the DO block swallowed the cancel and the COMMIT ran in one of 5 tries" test "$committed" = 1
assert_contains "$RUN_ERR" "server: cancel swallowed"
assert_contains "$RUN_ERR" 'stopped by SIGTERM before applying "2_next"'
assert_contains "$RUN_ERR" "This run applied 1 migration"
assert_not_contains "$RUN_ERR" "rolled back"
assert_contains "$RUN_TERMLOG" 'stopped (exit 143): stopped by SIGTERM before applying "2_next"'
check "signal: 1_swallow is recorded and its table exists; 2_next never started" \
	test "$(recorded "swallow$try"):$(q main "swallow$try" "SELECT to_regclass('swallowed') IS NOT NULL, to_regclass('never_started') IS NULL")" = "1:t|t"

# SIGTERM at a random moment among 3,000 one-line migrations: whatever the timing, what the
# run says it applied is exactly what is recorded, and the migration it names as stopped or
# rolled back is not recorded
mkdir -p "$D/lines"
for i in $(seq 1 3000); do
	printf 'SELECT %d;\n' "$i" >"$D/lines/${i}_l.sql"
done
for r in 1 2 3 4 5; do
	URL=$(new_db "lines$r")
	start_dbready "signal at random, run $r" run --url "$URL" --dir "$D/lines" --timeout 10s
	# once migrations are being applied, wait 0-0.25 s more (the timing varies with load)
	for i in $(seq 1 200); do
		grep -q 'info: applied 1_l in' "$RUN_ERR" 2>/dev/null && break
		sleep 0.05
	done
	sleep "0.$(printf '%02d' $((RANDOM % 26)))"
	kill -TERM "$RUN_PID" 2>/dev/null
	# exit 143, or 0 when it finished first: asserted below, once it is known which
	wait "$RUN_PID"
	RUN_RC=$?
	said=$(grep -c 'info: applied [0-9]*_l in' "$RUN_ERR")
	rows=$(q main "lines$r" "SELECT CASE WHEN to_regclass('public.dbready_migrations') IS NULL THEN 0 ELSE (SELECT count(*) FROM public.dbready_migrations) END")
	check "signal at random, run $r: said applied = recorded ($said, $rows)" test "$said" = "$rows"
	if [ "$RUN_RC" = 0 ] && [ "$rows" = 3000 ]; then
		pass "signal at random, run $r: all 3000 applied before the signal (exit 0)"
		continue
	fi
	check "signal at random, run $r: exit 143 ($RUN_RC)" test "$RUN_RC" = 143
	named=$(sed -nE 's/.*(before applying|while applying) "([0-9]+)_l".*/\2/p' "$RUN_TERMLOG")
	check "signal at random, run $r: the migration named in the outcome ($named) is not recorded" \
		test -n "$named" -a "$(q main "lines$r" "SELECT CASE WHEN to_regclass('public.dbready_migrations') IS NULL THEN 0 ELSE (SELECT count(*) FROM public.dbready_migrations WHERE version = '$named') END")" = 0
done

# --- 5. messages from what was observed -------------------------------------------------------
# a deferred foreign key fails at COMMIT: the migration is named, the hint fits
mig "$D/deferred" 1_fk.sql 'CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);
INSERT INTO child VALUES (42);'
URL=$(new_db deferred)
run_dbready "deferred constraint at COMMIT" 7 run --url "$URL" --dir "$D/deferred" --timeout 10s
assert_contains "$RUN_ERR" 'migration "1_fk" failed at COMMIT: insert or update on table "child" violates foreign key constraint'
assert_contains "$RUN_ERR" "A deferred constraint or trigger was checked at COMMIT"
assert_contains "$RUN_ERR" "it was rolled back: nothing of it remains"
assert_not_contains "$RUN_ERR" "privileges"
check "deferred: nothing of 1_fk remains" \
	test "$(q main deferred "SELECT to_regclass('parent') IS NULL, to_regclass('public.dbready_migrations') IS NULL")" = "t|t"

# a no-transaction migration that failed at statement 3: the detail and the hint agree, and
# the re-run does not blame drizzle-kit push alone for what the first run left
mig "$D/notx3" 1_idx.sql 'CREATE TABLE n3 (id int, v int);'
mig "$D/notx3" 2_idx.sql 'CREATE INDEX CONCURRENTLY n3_id ON n3 (id);
CREATE INDEX CONCURRENTLY n3_v ON n3 (v);
CREATE INDEX CONCURRENTLY n3_w ON n3 (nosuchcolumn);'
URL=$(new_db notx3)
run_dbready "no-tx fails at statement 3" 7 run --url "$URL" --dir "$D/notx3" --timeout 10s
assert_contains "$RUN_ERR" "2 of its 3 statements ran and committed"
assert_not_contains "$RUN_ERR" "nothing of it remains"
assert_not_contains "$RUN_ERR" "rolled back"
sed -i 's/nosuchcolumn/v, id/' "$D/notx3/2_idx.sql"
run_dbready "no-tx re-run after the partial failure" 7 run --url "$URL" --dir "$D/notx3" --timeout 10s
assert_contains "$RUN_ERR" 'relation "n3_id" already exists'
assert_contains "$RUN_ERR" "or an earlier run of a migration that cannot run in one transaction stopped part-way"

# --- 6. no fixed buffer cuts the guard: 5,000 migrations in one transaction ------------------
mig "$D/many" 0_t.sql 'CREATE TABLE many (v int);'
for i in $(seq 1 5000); do
	printf 'INSERT INTO many VALUES (%d);\n' "$i" >"$D/many/${i}_m.sql"
done
URL=$(new_db many)
# the first 3 by themselves, so that the guard also looks at existing rows
mkdir -p "$D/many3" && cp "$D/many/0_t.sql" "$D/many/1_m.sql" "$D/many/2_m.sql" "$D/many3/"
run_dbready "5,000 migrations: the first 3" 0 run --url "$URL" --dir "$D/many3" --timeout 20s
run_dbready "5,000 migrations with --tx=all" 0 run --url "$URL" --dir "$D/many" --timeout 120s --tx=all
assert_contains "$RUN_TERMLOG" "ok: applied 4998 migrations (3_m..5000_m)"
check "5,000 migrations: 5,001 rows, each value once" \
	test "$(q main many "SELECT count(*), count(DISTINCT v) FROM many; SELECT count(*) FROM public.dbready_migrations")" = "$(printf '5000|5000\n5001')"

# history table names: a part PostgreSQL would cut is refused; a ';' in a quoted one works
long=$(printf 'h%.0s' $(seq 1 64))
run_dbready "history table: 64-byte name refused" 2 run --url "$(new_db histname)" --dir "$D/old" \
	--history-table "public.$long" --timeout 10s
assert_contains "$RUN_ERR" "at most 63 bytes"
run_dbready "history table: ';' in a quoted schema" 0 run --url "$(new_db histsemi)" --dir "$D/new" \
	--history-table '"odd;schema"."hist"' --timeout 10s
check "history table: rows in \"odd;schema\".hist" \
	test "$(q main histsemi 'SELECT count(*) FROM "odd;schema".hist')" = 3

# --- 7. a race leaves no ERROR in the server log -----------------------------------------------
mkdir -p "$D/race"
for i in $(seq -w 1 60); do
	printf 'CREATE TABLE race_%s (id int);\nINSERT INTO race_%s VALUES (1);\n' "$i" "$i" >"$D/race/${i}_race.sql"
done
# race DB LABEL: 20 runners of the 60 generated migrations released together against DB: all
# exit 0, each migration recorded once, no ERROR added to the server log
race() {
	local db=$1 label=$2 i errors_before errors
	errors_before=$(server_errors main)
	racers 20 "$label: runner" run --url "$(pg_url app "$CANARY" "$db")" --dir "$D/race" \
		--timeout 30s --lock-timeout 60s
	for i in $(seq 0 19); do
		racer_finish "$i" 0 90
	done
	check "$label: 60 migrations recorded once each" \
		test "$(q main "$db" 'SELECT count(*), count(DISTINCT version) FROM public.dbready_migrations')" = "60|60"
	errors=$(($(server_errors main) - errors_before))
	check "$label: 20 runners left no ERROR in the server log ($errors)" test "$errors" = 0
	if [ "$errors" != 0 ]; then
		grep 'ERROR:' "$T/pg/main/server.log" | tail -n 5 | sed 's/^/#   /'
	fi
}
new_db race >/dev/null
race race "race"
# the same where the database defaults to SERIALIZABLE: dbready's transactions run at READ
# COMMITTED (the history check must see a commit that happened before its lock), so the race
# neither re-applies a migration nor ends in serialization failures
new_db race_ser >/dev/null
pg_sql main <<<"ALTER DATABASE race_ser SET default_transaction_isolation = 'serializable';" || true
race race_ser "race, SERIALIZABLE by default"

# --- lost connections (last: the second one makes the server restart its backends) ---------
# the server ends the session before the COMMIT ran: known not committed, said so
mig "$D/lost" 1_lost.sql 'CREATE TABLE lost (id int); SELECT pg_sleep(30);'
URL=$(new_db lost)
start_dbready "connection ended by the server" run --url "$URL" --dir "$D/lost" --timeout 10s
pid=$(backend_of lost)
q main lost "SELECT pg_terminate_backend($pid)" >/dev/null
finish_dbready 7 20
assert_contains "$RUN_ERR" 'lost the connection while applying "1_lost": terminating connection due to administrator command'
assert_contains "$RUN_ERR" "before the COMMIT ran, so the transaction did not commit"
assert_not_contains "$RUN_ERR" "Fix the migration"
# the backend dies without a word after the COMMIT was sent: whether it committed is unknown
start_dbready "connection lost without an answer" run --url "$URL" --dir "$D/lost" --timeout 10s
pid=$(backend_of lost)
kill -KILL "$pid"
finish_dbready 7 20
assert_contains "$RUN_ERR" 'lost the connection while applying "1_lost"'
assert_contains "$RUN_ERR" "whether it committed is unknown"
for i in $(seq 1 100); do
	q main postgres "SELECT 1" >/dev/null 2>&1 && break
	sleep 0.1
done
run_dbready "connection lost: the next run applies it" 0 run --url "$URL" --dir "$D/lost" --timeout 60s
check "connection lost: recorded once" test "$(recorded lost)" = 1

harness_finish
