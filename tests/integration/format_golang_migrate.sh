#!/usr/bin/env bash
# format_golang_migrate.sh - golang-migrate folders (formats.md, docs/formats/golang-migrate.md)
# applied by dbready on PostgreSQL, with golang-migrate's own history table.
#
# golang-migrate (Go) cannot run here: the DDL, the row and the lock key come from its
# source, github.com/golang-migrate/migrate at commit 18966c755f83de2b250dd8e766bad8b769cd0e25:
#   database/postgres/postgres.go ensureVersionTable:
#     CREATE TABLE IF NOT EXISTS "<schema>"."<table>" (version bigint not null primary key,
#     dirty boolean not null)
#   database/postgres/postgres.go SetVersion: TRUNCATE "<schema>"."<table>", then
#     INSERT ... (version, dirty) VALUES ($1, $2), in one transaction: the table holds ONE row
#   migrate.go runMigrations: SetVersion(V, true), run the file, SetVersion(V, false)
#   migrate.go ErrDirty: "Dirty database version %v. Fix and force version."
#   database/util.go GenerateAdvisoryLockId: crc32.ChecksumIEEE(schema \0 table \0 database)
#     * 1486364155 (uint32); database/postgres/postgres.go Open: database = the URL's path,
#     "/" included; Lock: SELECT pg_advisory_lock($1)
#   source/parse.go Regex ^([0-9]+)_(.*)\.(down|up)\.(.*)$; source/migration.go Append:
#     two files of one version and direction are "duplicate migration file"
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

CORPORA=${DBREADY_CORPORA:-$REPO_ROOT/../shared/corpora}

# golang-migrate's CREATE TABLE, as ensureVersionTable sends it for the public schema
GM_DDL='CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null)'

# gm_key SCHEMA TABLE DATABASE: GenerateAdvisoryLockId computed independently (python's zlib)
gm_key() {
	python3 -c 'import sys, zlib
s = "\0".join(sys.argv[1:4]).encode()
print(zlib.crc32(s) * 1486364155 % 2**32)' "$1" "$2" "$3"
}

# mkmig DIR NAME SQL: write DIR/NAME
mkmig() {
	mkdir -p "$1"
	printf '%s\n' "$3" >"$1/$2"
}

# rows DB [TABLE]: the history table's rows as "version|dirty" lines
rows() {
	q main "$1" "SELECT version, dirty FROM ${2:-public.schema_migrations} ORDER BY version"
}

pg_start main || true
pg_create_app main || true

# --- a basic folder: auto-detected, one row, down files never run -----------------------------
BASIC=$T/basic
mkmig "$BASIC" 1_create_users.up.sql 'CREATE TABLE users (id int PRIMARY KEY);'
mkmig "$BASIC" 1_create_users.down.sql 'CREATE TABLE down_ran (x int); DROP TABLE users;'
mkmig "$BASIC" 2_add_email.up.sql 'ALTER TABLE users ADD COLUMN email text;'
mkmig "$BASIC" 2_add_email.down.sql 'CREATE TABLE down_ran (x int);'
mkmig "$BASIC" 3_add_orders.up.sql 'CREATE TABLE orders (id int, user_id int REFERENCES users);'
mkmig "$BASIC" 3_add_orders.down.sql 'CREATE TABLE down_ran (x int);'
printf '# migrations\n' >"$BASIC/README.md"
URL=$(new_db basic)
run_dbready "gm: 3 files, --format=auto" 0 run --url "$URL" --dir "$BASIC" --timeout 10s
assert_contains "$RUN_TERMLOG" "ok: applied 3 migrations (1_create_users..3_add_orders)"
check "gm: the table holds exactly one row (3, false)" test "$(rows basic)" = "3|f"
check "gm: no down file ran" test "$(exists basic down_ran)" = f
check "gm: the up files ran (users.email, orders)" \
	test "$(q main basic "SELECT count(*) FROM information_schema.columns WHERE table_name IN ('users', 'orders')")" = 4
check "gm: no advisory lock left" test "$(advisory_locks)" = 0

# the DDL: pg_dump of dbready's table equals pg_dump of golang-migrate's literal statement,
# and both equal the literal text
mkdir -p "$T/dumps"
dump_table() {
	PGPASSWORD=$CANARY "$PG_BIN/pg_dump" --schema-only --no-owner --no-privileges \
		-h 127.0.0.1 -p "$(pg_port main)" -U postgres -t public.schema_migrations -d "$1" |
		grep -vE '^(--|SET |SELECT pg_catalog|\\(un)?restrict)' | sed -e '/^$/d'
}
new_db ddlref >/dev/null
q main ddlref "$GM_DDL" >/dev/null
dump_table basic >"$T/dumps/dbready.sql"
dump_table ddlref >"$T/dumps/golang-migrate.sql"
cat >"$T/dumps/literal.sql" <<'EOF'
CREATE TABLE public.schema_migrations (
    version bigint NOT NULL,
    dirty boolean NOT NULL
);
ALTER TABLE ONLY public.schema_migrations
    ADD CONSTRAINT schema_migrations_pkey PRIMARY KEY (version);
EOF
check "gm: pg_dump of the table equals golang-migrate's DDL's" \
	diff -u "$T/dumps/golang-migrate.sql" "$T/dumps/dbready.sql"
check "gm: pg_dump of the table equals the literal DDL" \
	diff -u "$T/dumps/literal.sql" "$T/dumps/dbready.sql"

run_dbready "gm: second run" 0 run --url "$URL" --dir "$BASIC" --timeout 10s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 3 migrations already applied"
run_dbready "gm: status --json" 0 status --json --url "$URL" --dir "$BASIC"
check "gm: status --json names the format golang-migrate" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "golang-migrate", d["format"]' "$RUN_OUT"
run_dbready "gm: check -v says why the format is golang-migrate" 0 check -v --url "$URL" --dir "$BASIC"
assert_contains "$RUN_ERR" "golang-migrate format (3 files named <version>_<title>.up.sql)"

# 19-digit versions (migrate create -format unixNano) stay exact, in the table and in JSON
NANO=$T/nano
mkmig "$NANO" 1700000000123456789_a.up.sql 'CREATE TABLE nano_a (n int);'
mkmig "$NANO" 1700000000123456790_b.up.sql 'CREATE TABLE nano_b (n int);'
URL=$(new_db nano)
run_dbready "gm: 19-digit versions" 0 run --url "$URL" --dir "$NANO" --timeout 10s
check "gm: 19-digit versions: one row (1700000000123456790, false)" \
	test "$(rows nano)" = "1700000000123456790|f"
run_dbready "gm: 19-digit versions: status --json" 0 status --json --url "$URL" --dir "$NANO"
check "gm: 19-digit versions: status --json keeps them exact" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = [str(m["version"]) for m in d["migrations"]]
assert got == ["1700000000123456789", "1700000000123456790"], got' "$RUN_OUT"

# --- a history golang-migrate wrote: version 2, clean -> exactly 3 is applied -----------------
URL=$(new_db partial)
q main partial "SET ROLE app; $GM_DDL; CREATE TABLE users (id int PRIMARY KEY); ALTER TABLE users ADD COLUMN email text; INSERT INTO schema_migrations (version, dirty) VALUES (2, false)" >/dev/null
run_dbready "gm: golang-migrate left version 2" 0 run --url "$URL" --dir "$BASIC" --timeout 10s
assert_contains "$RUN_TERMLOG" "ok: applied 1 migration (3_add_orders)"
check "gm: golang-migrate left version 2: now one row (3, false)" test "$(rows partial)" = "3|f"

# --- dirty: refused with golang-migrate's meaning, nothing applied -----------------------------
URL=$(new_db dirty)
q main dirty "SET ROLE app; $GM_DDL; CREATE TABLE users (id int PRIMARY KEY); INSERT INTO schema_migrations (version, dirty) VALUES (2, true)" >/dev/null
run_dbready "gm: dirty version 2" 6 run --url "$URL" --dir "$BASIC" --timeout 10s
assert_contains "$RUN_ERR" "Dirty database version"
assert_contains "$RUN_ERR" "migrate force"
assert_contains "$RUN_ERR" "dirty = true"
check "gm: dirty: nothing applied (no orders), the row is untouched" \
	test "$(exists dirty orders)/$(rows dirty)" = "f/2|t"

# --- numeric order, not padded: 1, 2, 10 ---------------------------------------------------------
ORDER=$T/order
mkmig "$ORDER" 1_a.up.sql 'CREATE TABLE seq (n int);'
mkmig "$ORDER" 10_c.up.sql "INSERT INTO seq VALUES ((SELECT max(n) FROM seq) * 10);"
mkmig "$ORDER" 2_b.up.sql 'INSERT INTO seq VALUES (2);'
URL=$(new_db ordered)
run_dbready "gm: order 1, 2, 10" 0 run --url "$URL" --dir "$ORDER" --timeout 10s
assert_contains "$RUN_TERMLOG" "ok: applied 3 migrations (1_a..10_c)"
check "gm: 10 ran after 2" test "$(q main ordered "SELECT string_agg(n::text, ',' ORDER BY n) FROM seq")" = "2,20"
check "gm: order: one row (10, false)" test "$(rows ordered)" = "10|f"

# --- a version with only a down file: recorded as golang-migrate records it, nothing run ------
DOWNONLY=$T/downonly
mkmig "$DOWNONLY" 1_a.up.sql 'CREATE TABLE a (n int);'
mkmig "$DOWNONLY" 2_b.down.sql 'CREATE TABLE down_ran (x int);'
URL=$(new_db downonly)
run_dbready "gm: version 2 has only a down file" 0 run --url "$URL" --dir "$DOWNONLY" --timeout 10s
check "gm: down-only: one row (2, false), the down file did not run" \
	test "$(rows downonly)/$(exists downonly down_ran)" = "2|f/f"

# --- duplicates: exit 6 ----------------------------------------------------------------------
DUP=$T/dup
mkmig "$DUP" 1_a.up.sql 'CREATE TABLE a (n int);'
mkmig "$DUP" 01_b.up.sql 'CREATE TABLE b (n int);'
URL=$(new_db dup)
run_dbready "gm: two up files of version 1" 6 run --url "$URL" --format=golang-migrate --dir "$DUP" --timeout 10s
assert_contains "$RUN_ERR" "are both up files of version 1"
check "gm: duplicate: nothing created" test "$(exists dup a)$(exists dup b)$(exists dup schema_migrations)" = fff
DUP2=$T/dup2
mkmig "$DUP2" 1_a.up.sql 'CREATE TABLE a (n int);'
mkmig "$DUP2" 1_a.up.sql.bak 'CREATE TABLE b (n int);'
run_dbready "gm: 1_a.up.sql and 1_a.up.sql.bak (any extension is an up file)" 6 run --url "$URL" \
	--format=golang-migrate --dir "$DUP2" --timeout 10s
assert_contains "$RUN_ERR" "1_a.up.sql.bak"

# --- a mixed folder is not claimed: auto picks plain, which runs every file -------------------
MIXED=$T/mixed
mkmig "$MIXED" 1_a.up.sql 'CREATE TABLE a (n int);'
mkmig "$MIXED" 2_b.sql 'CREATE TABLE b (n int);'
URL=$(new_db mixed)
run_dbready "gm: mixed folder (1_a.up.sql, 2_b.sql): status" 0 status --json --url "$URL" --dir "$MIXED"
check "gm: mixed folder is read as plain" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "plain", d["format"]' "$RUN_OUT"

# --- own BEGIN/COMMIT, CONCURRENTLY, and a file failing half-way (dirty as golang-migrate) ------
OWN=$T/own
mkmig "$OWN" 1_base.up.sql 'CREATE TABLE items (id int, note text);'
mkmig "$OWN" 2_own_tx.up.sql 'BEGIN;
CREATE TABLE own_tx (n int);
INSERT INTO own_tx VALUES (1);
COMMIT;'
mkmig "$OWN" 3_concurrently.up.sql 'CREATE INDEX CONCURRENTLY items_note_idx ON items (note);'
URL=$(new_db owntx)
run_dbready "gm: own BEGIN/COMMIT and CONCURRENTLY" 0 run --url "$URL" --dir "$OWN" --timeout 10s
assert_contains "$RUN_ERR" "applying 2_own_tx in its own session, with the file's own transactions"
assert_contains "$RUN_ERR" "applying 3_concurrently outside a transaction"
check "gm: own tx: one row (3, false)" test "$(rows owntx)" = "3|f"
check "gm: own tx: its rows are there, the index is valid" \
	test "$(q main owntx "SELECT (SELECT count(*) FROM own_tx) || '/' || (SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'items_note_idx')")" = "1/true"
mkmig "$OWN" 4_half.up.sql 'BEGIN;
CREATE TABLE half_one (n int);
COMMIT;
BEGIN;
CREATE TABLE half_one (n int);
COMMIT;'
run_dbready "gm: a file failing after its first COMMIT" 7 run --url "$URL" --dir "$OWN" --timeout 10s
check "gm: half-way: the table holds (4, true), as golang-migrate leaves it" test "$(rows owntx)" = "4|t"
check "gm: half-way: its first transaction stayed" test "$(exists owntx half_one)" = t
run_dbready "gm: the next run refuses the dirty version" 6 run --url "$URL" --dir "$OWN" --timeout 10s
assert_contains "$RUN_ERR" "Dirty database version"
# a transactional file that fails leaves the table clean (golang-migrate would leave it dirty)
mkmig "$OWN" 4_half.up.sql 'CREATE TABLE half_two (n int); SELECT 1/0;'
q main owntx "UPDATE schema_migrations SET version = 3, dirty = false" >/dev/null
run_dbready "gm: a transactional file that fails" 7 run --url "$URL" --dir "$OWN" --timeout 10s
check "gm: transactional failure: rolled back, the row is still (3, false)" \
	test "$(rows owntx)/$(exists owntx half_two)" = "3|f/f"

# --- golang-migrate's lock: a session holding it makes dbready wait --------------------------
# advisory locks belong to one database: the holder connects to the database dbready migrates
hold_lock() { # hold_lock DB KEY: a superuser session in DB holding pg_advisory_lock(KEY) for 60 s
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -qAt -h 127.0.0.1 -p "$(pg_port main)" -U postgres \
		-d "$1" -c "SELECT pg_advisory_lock($2)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	HOLDER=$!
	local i
	for i in $(seq 1 100); do
		[ "$(q main "$1" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = '$1') AND classid = 0 AND objid = $2 AND granted")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
holding() { # holding NAME DB KEY: hold_lock DB KEY as a result
	if hold_lock "$2" "$3"; then pass "$1"; else fail "$1" "pg_locks never showed the lock"; fi
}
release_lock() {
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
	q main postgres "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = $1" >/dev/null
}
URL=$(new_db gmlock)
# the key of the database without the "/" (a library user's WithInstance): not the CLI's
OTHER=$(gm_key public schema_migrations gmlock)
holding "gm lock: a session in gmlock holds pg_advisory_lock($OTHER) (not the CLI's key)" gmlock "$OTHER"
run_dbready "gm lock: another key does not block" 0 run --url "$URL" --dir "$ORDER" --timeout 10s \
	--lock-timeout 2s
release_lock "$OTHER"
URL=$(new_db gmlock2)
KEY=$(gm_key public schema_migrations /gmlock2)
holding "gm lock: a session in gmlock2 holds golang-migrate's key $KEY" gmlock2 "$KEY"
run_dbready "gm lock: golang-migrate's lock is held -> lock timeout" 8 run --url "$URL" --dir "$ORDER" \
	--timeout 10s --lock-timeout 1s
check "gm lock: nothing applied while it was held" test "$(history_count gmlock2 public.schema_migrations)" -le 0
release_lock "$KEY"
run_dbready "gm lock: released -> applied" 0 run --url "$URL" --dir "$ORDER" --timeout 10s --lock-timeout 5s
check "gm lock: one row (10, false)" test "$(rows gmlock2)" = "10|f"
# a file run outside a transaction takes the key as a session lock: held, it waits too
NOTXLOCK=$T/notxlock
mkmig "$NOTXLOCK" 1_t.up.sql 'CREATE TABLE t (n int);'
URL=$(new_db gmlock3)
run_dbready "gm lock: no-tx: the table first" 0 run --url "$URL" --dir "$NOTXLOCK" --timeout 10s
mkmig "$NOTXLOCK" 2_idx.up.sql 'CREATE INDEX CONCURRENTLY t_n_idx ON t (n);'
KEY=$(gm_key public schema_migrations /gmlock3)
holding "gm lock: no-tx: a session in gmlock3 holds golang-migrate's key $KEY" gmlock3 "$KEY"
run_dbready "gm lock: no-tx: CONCURRENTLY waits for golang-migrate's lock" 8 run --url "$URL" \
	--dir "$NOTXLOCK" --timeout 10s --lock-timeout 1s
check "gm lock: no-tx: nothing ran, the row is still (1, false)" \
	test "$(rows gmlock3)/$(q main gmlock3 "SELECT count(*) FROM pg_class WHERE relname = 't_n_idx'")" = "1|f/0"
release_lock "$KEY"
run_dbready "gm lock: no-tx: released -> applied" 0 run --url "$URL" --dir "$NOTXLOCK" --timeout 10s
check "gm lock: no-tx: one row (2, false)" test "$(rows gmlock3)" = "2|f"

# --- 10 racers: each migration applied once -----------------------------------------------------
RACE=$T/race
for i in $(seq 1 30); do
	mkmig "$RACE" "${i}_t$i.up.sql" "CREATE TABLE t$i (n int); SELECT pg_sleep(0.01);"
done
URL=$(new_db race)
racers 10 "gm race: runner" run --url "$URL" --dir "$RACE" --timeout 30s --lock-timeout 60s
for i in $(seq 0 9); do
	racer_finish "$i" 0 90
done
check "gm race: one row (30, false), 30 tables" \
	test "$(rows race)/$(q main race "SELECT count(*) FROM pg_tables WHERE tablename ~ '^t[0-9]+$'")" = "30|f/30"

# --- 5,000 migrations, per migration and in one transaction -----------------------------------
MANY=$T/many
mkmig "$MANY" 1_log.up.sql 'CREATE TABLE log (n int PRIMARY KEY);'
for i in $(seq 2 5000); do
	printf 'INSERT INTO log VALUES (%d);\n' "$i" >"$MANY/${i}_m$i.up.sql"
done
URL=$(new_db many)
RUN_LIMIT=240 run_dbready "gm: 5,000 migrations" 0 run --url "$URL" --dir "$MANY" --timeout 30s
say "# 5,000 golang-migrate migrations in $RUN_MS ms"
check "gm: 5,000: one row (5000, false), 4,999 log rows" \
	test "$(rows many)/$(q main many 'SELECT count(*) FROM log')" = "5000|f/4999"
URL=$(new_db manyall)
RUN_LIMIT=240 run_dbready "gm: 5,000 migrations --tx=all" 0 run --url "$URL" --dir "$MANY" \
	--timeout 30s --tx=all
say "# 5,000 golang-migrate migrations (--tx=all) in $RUN_MS ms"
check "gm: 5,000 --tx=all: one row (5000, false), 4,999 log rows" \
	test "$(rows manyall)/$(q main manyall 'SELECT count(*) FROM log')" = "5000|f/4999"

# --- the URL dialect -----------------------------------------------------------------------------
URL=$(new_db xtable)
run_dbready "gm url: x-migrations-table=my_versions" 0 run --dir "$BASIC" --timeout 10s \
	--url "$(pg_url app "$CANARY" xtable main 'x-migrations-table=my_versions&x-multi-statement=true&x-statement-timeout=5000')"
check "gm url: the history is public.my_versions (3, false), no schema_migrations" \
	test "$(rows xtable public.my_versions)/$(exists xtable schema_migrations)" = "3|f/f"
URL=$(new_db xquoted)
q main xquoted 'CREATE SCHEMA gm AUTHORIZATION app' >/dev/null
run_dbready "gm url: x-migrations-table-quoted" 0 run --dir "$BASIC" --timeout 10s \
	--url "$(pg_url app "$CANARY" xquoted main 'x-migrations-table=%22gm%22.%22versions%22&x-migrations-table-quoted=1')"
check "gm url: quoted: the history is gm.versions (3, false)" test "$(rows xquoted gm.versions)" = "3|f"
URL=$(new_db pgx5)
run_dbready "gm url: pgx5:// scheme" 0 run --dir "$BASIC" --timeout 10s \
	--url "$(pg_url app "$CANARY" pgx5 | sed -e 's,^postgres://,pgx5://,')"
check "gm url: pgx5: one row (3, false)" test "$(rows pgx5)" = "3|f"
URL=$(new_db pgx4)
run_dbready "gm url: pgx:// scheme (database/pgx, v4)" 0 run --dir "$BASIC" --timeout 10s \
	--url "$(pg_url app "$CANARY" pgx4 | sed -e 's,^postgres://,pgx://,')"
check "gm url: pgx: one row (3, false)" test "$(rows pgx4)" = "3|f"
URL=$(new_db spath)
q main spath 'CREATE SCHEMA app_s AUTHORIZATION app' >/dev/null
run_dbready "gm url: search_path=app_s" 0 run --dir "$BASIC" --timeout 10s \
	--url "$(pg_url app "$CANARY" spath main 'search_path=app_s')"
check "gm url: search_path: the table and the history are in app_s (current_schema())" \
	test "$(rows spath app_s.schema_migrations)/$(exists spath app_s.users)" = "3|f/t"

# --- harbor, in its native format ------------------------------------------------------------
if [ ! -d "$CORPORA/harbor" ]; then
	say "# SKIP corpora: set DBREADY_CORPORA ($CORPORA/harbor does not exist)"
else
	URL=$(new_db harbor)
	run_dbready "gm corpora: harbor (golang-migrate, 39 migrations, --format=auto)" 0 run \
		--url "$URL" --dir "$CORPORA/harbor/migrations" --timeout 30s
	assert_contains "$RUN_TERMLOG" "ok: applied 39 migrations (0001_initial_schema..0190_2.16.0_schema)"
	check "gm corpora: harbor: one row (190, false)" test "$(rows harbor)" = "190|f"
	schema_matches "gm corpora: harbor: schema equals expected-schema.sql" harbor \
		"$CORPORA/harbor/expected-schema.sql" --exclude-table=public.schema_migrations
	run_dbready "gm corpora: harbor, second run" 0 run --url "$URL" \
		--dir "$CORPORA/harbor/migrations" --timeout 30s
	assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 39 migrations already applied"
fi

harness_finish
