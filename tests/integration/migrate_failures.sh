#!/usr/bin/env bash
# migrate_failures.sh - what stops a run (cli.md exit codes 6, 7, 8; behaviour.md §3): an
# applied file edited afterwards, a failing migration (rolled back, reported at file:line:col
# with its SQLSTATE), a journal entry without its file, a journal that is not JSON, an
# out-of-order entry (and --allow-out-of-order), duplicate plain versions, the migration lock
# held elsewhere (--lock-timeout) and --statement-timeout.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"
HISTORY_TABLE=drizzle.__drizzle_migrations

FIXTURES=$REPO_ROOT/tests/fixtures

# folder FIXTURE NAME: a private copy of a fixture folder; prints its path
folder() {
	rm -rf "${T:?}/dirs/$2"
	mkdir -p "$T/dirs"
	cp -R "$FIXTURES/$1" "$T/dirs/$2"
	echo "$T/dirs/$2"
}

# journal_add DIR TAG WHEN: append an entry to DIR/meta/_journal.json
journal_add() {
	python3 - "$1/meta/_journal.json" "$2" "$3" <<-'PY'
		import json, sys
		p, tag, when = sys.argv[1], sys.argv[2], int(sys.argv[3])
		j = json.load(open(p))
		j["entries"].append({"idx": len(j["entries"]), "version": "7", "when": when,
		                     "tag": tag, "breakpoints": True})
		json.dump(j, open(p, "w"), indent=2)
	PY
}

pg_start main || true
pg_create_app main || true

# --- (1) an applied file edited afterwards: exit 6, both hashes, nothing applied --------------
DIR=$(folder migrate-drizzle4 edited)
URL=$(new_db edited)
run_dbready "edited: the folder applies" 0 run --url "$URL" --dir "$DIR" --timeout 10s
old_hash=$(sha256sum "$DIR/0001_projects.sql" | cut -d' ' -f1)
printf '%s\n' '--> statement-breakpoint' 'ALTER TABLE "projects" ADD COLUMN "archived" boolean;' \
	>>"$DIR/0001_projects.sql"
new_hash=$(sha256sum "$DIR/0001_projects.sql" | cut -d' ' -f1)
# a new migration next to the edit: it must not be applied either
printf '%s\n' 'CREATE TABLE "tags" ("id" serial PRIMARY KEY);' >"$DIR/0004_tags.sql"
journal_add "$DIR" 0004_tags 1700000004000
run_dbready "edited: run after 0001_projects.sql was edited" 6 run --url "$URL" --dir "$DIR" \
	--timeout 10s
assert_contains "$RUN_ERR" "0001_projects.sql"
assert_contains "$RUN_ERR" "$old_hash"
assert_contains "$RUN_ERR" "$new_hash"
assert_contains "$RUN_ERR" "edited after it was applied"
assert_contains "$RUN_TERMLOG" "error (exit 6): "
check "edited: nothing applied (4 rows, no tags table, no archived column)" \
	test "$(history_count edited)|$(exists edited tags)|$(q main edited "SELECT count(*) FROM information_schema.columns WHERE table_name = 'projects' AND column_name = 'archived'")" = "4|f|0"
run_dbready "edited: status lists it as changed" 0 status --json --url "$URL" --dir "$DIR"
check "edited: status --json: 0001_projects is changed, with recorded_hash" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
m = [x for x in d["migrations"] if x["name"] == "0001_projects"][0]
assert m["state"] == "changed", m
assert m["recorded_hash"] == sys.argv[2] and m["hash"] == sys.argv[3], m
assert d["counts"]["changed"] == 1, d["counts"]
' "$RUN_OUT" "$old_hash" "$new_hash"

# --- (2) a failing migration (3 of 4): exit 7 at file:line:col, rolled back -------------------
# users exists already, as in a database once deployed with drizzle-kit push
DIR=$(folder migrate-drizzle4 failing)
URL=$(new_db failing)
q main failing 'SET ROLE app; CREATE TABLE users (id serial PRIMARY KEY, email text);' >/dev/null
run_dbready "failing: migration 3 of 4 fails" 7 run --url "$URL" --dir "$DIR" --timeout 10s
# 0002_users.sql: audit_log (lines 1-4), breakpoint, CREATE TABLE "users" at line 6, column 1;
# "already exists" has no cursor position, so the statement's first line counts
assert_contains "$RUN_ERR" 'migration "0002_users" failed at 0002_users.sql:6:1: relation "users" already exists'
assert_contains "$RUN_ERR" '>    6 | CREATE TABLE "users" ('
assert_contains "$RUN_ERR" "HINT: "
assert_contains "$RUN_TERMLOG" 'error (exit 7): migration "0002_users" failed at 0002_users.sql:6:1'
assert_contains "$RUN_ERR" "applied 0001_projects"
check "failing: migrations 1-2 committed and recorded" \
	test "$(q main failing 'SELECT string_agg(created_at::text, $$,$$ ORDER BY id) FROM drizzle.__drizzle_migrations')|$(exists failing accounts)|$(exists failing projects)" = "1700000000000,1700000001000|t|t"
check "failing: nothing of migration 3 left (no audit_log)" test "$(exists failing audit_log)" = f
check "failing: migration 4 not applied (no sessions)" test "$(exists failing sessions)" = f
check "failing: the pre-existing users table is untouched" \
	test "$(q main failing "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users'")" = 2

run_dbready "failing: again, JSON log" 7 run --url "$URL" --dir "$DIR" --timeout 10s \
	--log-format json
assert_json_log "$RUN_ERR"
check "failing: JSON log carries sqlstate 42P07 and exit_code 7" \
	test "$(json_count "$RUN_ERR" level=error sqlstate=42P07)" -ge 1
check "failing: JSON error line names the migration" \
	test "$(json_count "$RUN_ERR" sqlstate=42P07 migration=0002_users)" -ge 1
check "failing: JSON message carries 0002_users.sql:6:1" \
	test "$(python3 "$HARNESS_LIB/jsonlog.py" get "$RUN_ERR" msg sqlstate=42P07 | grep -c '0002_users.sql:6:1')" -ge 1
check "failing: still 2 rows after the second try" test "$(history_count failing)" = 2

# an error the server positions: line and column (in characters) of the error itself
DIR=$(folder migrate-plain-typo typo)
URL=$(new_db typo)
run_dbready "failing: positioned error (plain)" 7 run --url "$URL" --dir "$DIR" --timeout 10s
assert_contains "$RUN_ERR" 'migration "2_b" failed at 2_b.sql:5:22: type "intt" does not exist'
assert_contains "$RUN_ERR" '>    5 |   ADD COLUMN "größe" intt;'
check "failing: positioned error: 1_a recorded, nothing of 2_b (no b, no c), 3_d not run" \
	test "$(history_count typo public.dbready_migrations)|$(exists typo a)|$(exists typo b)|$(exists typo c)|$(exists typo d)" = "1|t|f|f|f"
run_dbready "failing: positioned error, JSON" 7 run --url "$URL" --dir "$DIR" --timeout 10s \
	--log-format json
check "failing: positioned error: sqlstate 42704 in the JSON log" \
	test "$(json_count "$RUN_ERR" sqlstate=42704)" -ge 1

# --- (3) a journal entry without its file; a journal that is not JSON: exit 6 -----------------
DIR=$(folder migrate-drizzle4 ghost)
URL=$(new_db ghost)
journal_add "$DIR" 0004_ghost 1700000004000
run_dbready "journal: an entry without its file" 6 run --url "$URL" --dir "$DIR" --timeout 10s
assert_contains "$RUN_ERR" '0004_ghost.sql'
assert_contains "$RUN_ERR" 'missing'
check "journal: an entry without its file: nothing applied (no history table)" \
	test "$(history_count ghost)|$(exists ghost accounts)" = "-1|f"
run_dbready "journal: an entry without its file (check, offline)" 6 check --dir "$DIR" \
	--url "$URL"
assert_contains "$RUN_ERR" '0004_ghost.sql'

DIR=$(folder migrate-drizzle4 badjson)
head -c 200 "$FIXTURES/migrate-drizzle4/meta/_journal.json" >"$DIR/meta/_journal.json"
run_dbready "journal: not valid JSON" 6 run --url "$URL" --dir "$DIR" --timeout 10s
assert_contains "$RUN_ERR" "_journal.json"
assert_contains "$RUN_ERR" "not valid JSON"
check "journal: not valid JSON: nothing applied" test "$(history_count ghost)" = -1

# --- (4) out of order: exit 6, then --allow-out-of-order applies it ----------------------------
DIR=$(folder migrate-drizzle4 ooo)
URL=$(new_db ooo)
run_dbready "out of order: the folder applies" 0 run --url "$URL" --dir "$DIR" --timeout 10s
# a branch merged late: its "when" is older than the newest applied entry (1700000003000)
printf '%s\n' 'CREATE TABLE "late" ("id" serial PRIMARY KEY);' >"$DIR/0004_late.sql"
journal_add "$DIR" 0004_late 1700000001500
run_dbready "out of order: an entry older than the newest applied" 6 run --url "$URL" \
	--dir "$DIR" --timeout 10s
assert_contains "$RUN_ERR" "0004_late.sql"
assert_contains "$RUN_ERR" "older than the newest applied"
assert_contains "$RUN_ERR" "--allow-out-of-order"
check "out of order: not applied" test "$(history_count ooo)|$(exists ooo late)" = "4|f"
run_dbready "out of order: --allow-out-of-order" 0 run --url "$URL" --dir "$DIR" --timeout 10s \
	--allow-out-of-order
assert_contains "$RUN_TERMLOG" "ok: applied 1 migration (0004_late)"
check "out of order: applied and recorded with its when" \
	test "$(history_count ooo)|$(exists ooo late)|$(q main ooo 'SELECT count(*) FROM drizzle.__drizzle_migrations WHERE created_at = 1700000001500')" = "5|t|1"
DBREADY_ALLOW_OUT_OF_ORDER=true run_dbready "out of order: afterwards nothing to apply" 0 run \
	--url "$URL" --dir "$DIR" --timeout 10s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"

# --- (5) a plain folder with two files of the same version: exit 6 ----------------------------
DIR=$T/dirs/dup
mkdir -p "$DIR"
printf '%s\n' 'CREATE TABLE one (id int);' >"$DIR/1_one.sql"
printf '%s\n' 'CREATE TABLE two (id int);' >"$DIR/2_two.sql"
printf '%s\n' 'CREATE TABLE other_two (id int);' >"$DIR/02_other.sql"
URL=$(new_db dup)
run_dbready "plain: two files with version 2" 6 run --format=plain --url "$URL" --dir "$DIR" \
	--timeout 10s
assert_contains "$RUN_ERR" "2_two.sql"
assert_contains "$RUN_ERR" "02_other.sql"
assert_contains "$RUN_ERR" "same version"
check "plain: duplicate versions: nothing applied" \
	test "$(history_count dup public.dbready_migrations)|$(exists dup one)" = "-1|f"

# --- (6) the migration lock held elsewhere: exit 8 at --lock-timeout ---------------------------
DIR=$(folder migrate-drizzle4 locked)
URL=$(new_db locked)
# the key: the first 64 bits of SHA-256("dbready:" + the quoted history table), shifted right
# by one (src/history.c); the exit-8 HINT prints it as classid/objid
KEY=$(python3 -c 'import hashlib; print(int(hashlib.sha256(b"dbready:\"drizzle\".\"__drizzle_migrations\"").hexdigest()[:16], 16) >> 1)')
CLASSID=$((KEY >> 32))
OBJID=$((KEY & 0xffffffff))
PGPASSWORD=$CANARY "$PG_BIN/psql" -X -qAt -h 127.0.0.1 -p "$(pg_port main)" -U postgres -d locked \
	-v ON_ERROR_STOP=1 -c "SET application_name = 'lockholder'" \
	-c "SELECT pg_advisory_lock($KEY)" -c 'SELECT pg_sleep(60)' </dev/null \
	>>"$T/pg/main/psql.log" 2>&1 &
HOLDER=$!
for i in $(seq 1 100); do
	[ "$(q main locked "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $CLASSID AND objid = $OBJID AND granted")" = 1 ] && break
	sleep 0.05
done
check "lock: psql holds the advisory lock ($CLASSID/$OBJID)" \
	test "$(q main locked "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $CLASSID AND objid = $OBJID")" = 1
run_dbready "lock: held by psql, --lock-timeout 1s" 8 run --url "$URL" --dir "$DIR" --timeout 10s \
	--lock-timeout 1s
assert_le "lock: gave up no earlier than 1 s" 1000 "$RUN_MS"
assert_le "lock: gave up within 4 s" "$RUN_MS" 4000
assert_contains "$RUN_ERR" "could not take the migration lock"
assert_contains "$RUN_ERR" "classid = $CLASSID AND objid = $OBJID"
assert_contains "$RUN_TERMLOG" "error (exit 8): "
check "lock: nothing applied" test "$(history_count locked)|$(exists locked accounts)" = "-1|f"
q main postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lockholder'" >/dev/null
wait "$HOLDER" 2>/dev/null
run_dbready "lock: released, the run applies" 0 run --url "$URL" --dir "$DIR" --timeout 10s \
	--lock-timeout 1s
check "lock: then 4 rows" test "$(history_count locked)" = 4

# held by another dbready in the middle of a slow migration (pg_sleep(30))
DIR=$(folder migrate-plain-sleep slow)
URL=$(new_db slow)
start_dbready "lock: a runner in a slow migration" run --url "$URL" --dir "$DIR" --timeout 10s
SLOW_NAME=$RUN_NAME SLOW_DIR=$RUN_DIR SLOW_PID=$RUN_PID SLOW_START=$RUN_START_MS
for i in $(seq 1 100); do
	[ "$(q main slow "SELECT count(*) FROM pg_stat_activity WHERE datname = 'slow' AND query LIKE 'SELECT pg_sleep(30)%'")" = 1 ] && break
	sleep 0.05
done
run_dbready "lock: a second runner, --lock-timeout 1s" 8 run --url "$URL" --dir "$DIR" \
	--timeout 10s --lock-timeout 1s
assert_contains "$RUN_ERR" "waiting for the migration lock"
assert_contains "$RUN_ERR" "could not take the migration lock within 1000 ms"
assert_le "lock: the second runner gave up within 4 s" "$RUN_MS" 4000
# stop the first one (migrate_signals.sh looks at that closely)
kill -TERM "$SLOW_PID"
RUN_NAME=$SLOW_NAME RUN_DIR=$SLOW_DIR RUN_PID=$SLOW_PID RUN_START_MS=$SLOW_START
RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
finish_dbready 143 10
check "lock: 1_base recorded, 2_slow not" \
	test "$(history_count slow public.dbready_migrations)|$(exists slow slow_marker)" = "1|f"

# --- --statement-timeout -----------------------------------------------------------------------
run_dbready "statement timeout: 1s against pg_sleep(30)" 7 run --url "$URL" --dir "$DIR" \
	--timeout 10s --statement-timeout 1s --log-format json
assert_le "statement timeout: stopped within 4 s" "$RUN_MS" 4000
check "statement timeout: sqlstate 57014 in the JSON log" \
	test "$(json_count "$RUN_ERR" sqlstate=57014)" -ge 1
check "statement timeout: the error names 2_slow.sql:4:1" \
	test "$(python3 "$HARNESS_LIB/jsonlog.py" get "$RUN_ERR" msg sqlstate=57014 | grep -c '2_slow.sql:4:1')" -ge 1
check "statement timeout: 2_slow rolled back" \
	test "$(history_count slow public.dbready_migrations)|$(exists slow slow_marker)" = "1|f"

harness_finish
