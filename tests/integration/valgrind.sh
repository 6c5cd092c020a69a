#!/usr/bin/env bash
# valgrind.sh - the main paths run clean under valgrind's memcheck: no invalid read or write,
# no use of uninitialised memory, no definite leak (STYLE.md: clean under valgrind). The
# sanitizer build covers the rest of the suite; this runs the plain build as shipped.
. "$(dirname "$0")/../lib/harness.sh"

if ! command -v valgrind >/dev/null 2>&1; then
	fail "valgrind: installed" "# missing: run 'make deps' (apt-get install -y valgrind)"
	harness_finish
	exit
fi

pg_start main || true
pg_create_app main || true
URL=$(pg_url app "$CANARY" app)
HERE=$(cd "$(dirname "$0")/../.." && pwd)

# memcheck cannot run a sanitizer build: under `make check-asan` the plain build is made and
# checked instead. Every run below goes through this wrapper: exit code 99 marks an error.
REAL=$DBREADY
if ldd "$REAL" 2>/dev/null | grep -q libasan; then
	make --no-print-directory -C "$HERE" all >/dev/null 2>&1
	REAL=$HERE/build/dbready
fi
WRAP=$DBREADY_TEST_DIR/valgrind-dbready
cat >"$WRAP" <<WRAPPER
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \\
	--show-leak-kinds=definite --track-origins=yes "$REAL" "\$@"
WRAPPER
chmod +x "$WRAP"
DBREADY=$WRAP
export RUN_LIMIT=120
# memcheck runs dbready 20-50 times slower: on a loaded machine a login took over the 5 s
# default (probe and check make one attempt, so that was exit 4, not a memory error)
export DBREADY_CONNECT_TIMEOUT=60s

run_dbready "valgrind: check (offline)" 0 check --url "$URL" --dir "$HERE/examples/migrations"
run_dbready "valgrind: check --json" 0 check --json --url "$URL" --dir "$HERE/examples/migrations"
run_dbready "valgrind: bad URL" 3 check --url "postgres://app:p@ss@db/app" --dir "$HERE/examples/migrations"
run_dbready "valgrind: wait" 0 wait --url "$URL"
run_dbready "valgrind: run (apply)" 0 run --url "$URL" --dir "$HERE/examples/migrations"
run_dbready "valgrind: run again (nothing to apply)" 0 run --url "$URL" --dir "$HERE/examples/migrations"
run_dbready "valgrind: status --json" 0 status --json --url "$URL" --dir "$HERE/examples/migrations"
run_dbready "valgrind: probe" 0 probe --url "$URL" --dir "$HERE/examples/migrations"
run_dbready "valgrind: refused (wrong password)" 5 wait --url "$(pg_url app Wrong-pass-x app)"
run_dbready "valgrind: unreachable (DNS)" 4 wait --timeout 2s \
	--url "postgres://app:$CANARY@does-not-exist.invalid:5432/app"
run_dbready "valgrind: JSON logs" 0 wait --log-format json --url "$URL"

# every format on the table, through its own loader, history hooks and lock: goose (Up/Down,
# StatementBegin/End, NO TRANSACTION, ENVSUB), golang-migrate (a file with its own BEGIN/COMMIT,
# then a dirty row refused), dbmate (the fixture: sections, transaction:false, CRLF), flyway
fmt_db() { # fmt_db NAME: a fresh database owned by app; prints its URL
	pg_sql main <<<"CREATE DATABASE \"$1\" OWNER app;" >/dev/null || true
	pg_url app "$CANARY" "$1"
}
FMT=$DBREADY_TEST_DIR/formats
mkdir -p "$FMT/goose" "$FMT/gm"
printf '%s\n' '-- +goose Up' '-- +goose StatementBegin' \
	'CREATE FUNCTION vg() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;' \
	'-- +goose StatementEnd' '-- +goose ENVSUB ON' 'CREATE TABLE ${VG_PREFIX}_t (id int);' \
	'-- +goose Down' 'DROP TABLE vg_t;' >"$FMT/goose/00001_a.sql"
printf '%s\n' '-- +goose NO TRANSACTION' '-- +goose Up' 'CREATE INDEX CONCURRENTLY vg_i ON vg_t (id);' \
	>"$FMT/goose/00002_b.sql"
printf '%s\n' 'BEGIN;' 'CREATE TABLE gm_t (id int);' 'COMMIT;' >"$FMT/gm/1_own_tx.up.sql"
printf '%s\n' 'CREATE TABLE gm_u (id int);' >"$FMT/gm/2_u.up.sql"
printf '%s\n' 'DROP TABLE gm_u;' >"$FMT/gm/2_u.down.sql"
GURL=$(fmt_db vg_goose)
VG_PREFIX=vg run_dbready "valgrind: goose" 0 run --url "$GURL" --dir "$FMT/goose"
run_dbready "valgrind: goose, status" 0 status --url "$GURL" --dir "$FMT/goose"
assert_contains "$RUN_OUT" "2 applied, 0 pending"
MURL=$(fmt_db vg_gm)
run_dbready "valgrind: golang-migrate, x-migrations-table" 0 run --dir "$FMT/gm" \
	--url "$MURL?x-migrations-table=vg_hist&search_path=public"
pg_sql main vg_gm <<<'UPDATE vg_hist SET dirty = true;'
run_dbready "valgrind: golang-migrate, dirty refused" 6 run --dir "$FMT/gm" \
	--url "$MURL?x-migrations-table=vg_hist"
assert_contains "$RUN_ERR" "Dirty database version"
run_dbready "valgrind: dbmate" 0 run --url "$(fmt_db vg_dbmate)" \
	--dir "$HERE/tests/fixtures/dbmate-basic"
# flyway: versions 1.10 after 1.9, a repeatable, a placeholder, a .sql.conf, FLYWAY_SCHEMAS
# (schemas made, the marker row, the search_path), then a baseline on a non-empty schema
mkdir -p "$FMT/fw"
printf '%s\n' 'CREATE TABLE fw_t (id int);' >"$FMT/fw/V1_9__a.sql"
printf '%s\n' 'CREATE TABLE ${vg}_u (id int);' >"$FMT/fw/V1_10__b.sql"
printf '%s\n' 'CREATE INDEX CONCURRENTLY fw_i ON fw_t (id);' >"$FMT/fw/V2__c.sql"
printf '%s\n' 'executeInTransaction=false' >"$FMT/fw/V2__c.sql.conf"
printf '%s\n' 'CREATE OR REPLACE VIEW fw_v AS SELECT 1 AS one;' >"$FMT/fw/R__v.sql"
FLYWAY_SCHEMAS=vgs,vgx FLYWAY_PLACEHOLDERS_VG=fw run_dbready "valgrind: flyway" 0 run \
	--url "$(fmt_db vg_flyway)" --dir "$FMT/fw"
FURL=$(fmt_db vg_flyway_base)
pg_sql main vg_flyway_base <<<'CREATE TABLE fw_t (id int); ALTER TABLE fw_t OWNER TO app;' >/dev/null
FLYWAY_BASELINE_ON_MIGRATE=true FLYWAY_BASELINE_VERSION=1.9 FLYWAY_PLACEHOLDERS_VG=fw \
	run_dbready "valgrind: flyway, baseline on migrate" 0 run --url "$FURL" --dir "$FMT/fw"
FLYWAY_PLACEHOLDERS_VG=fw run_dbready "valgrind: flyway, status" 0 status --url "$FURL" \
	--dir "$FMT/fw"
assert_contains "$RUN_OUT" "3 applied, 0 pending"

# the HTTP side: dependency waits (one retried) and the outcome webhook (one retry)
. "$(dirname "$0")/../lib/httpstub.sh"
httpstub_start valgrind --route /ready=503,200 --route /hook=500,200 || true
run_dbready "valgrind: --wait-for and --notify-url" 0 wait --url "$URL" \
	--wait-for "http://127.0.0.1:$STUB_PORT/ready,tcp://127.0.0.1:$STUB_PORT" \
	--notify-url "http://127.0.0.1:$STUB_PORT/hook" --notify-format slack
assert_contains "$RUN_ERR" "outcome posted"

harness_finish
