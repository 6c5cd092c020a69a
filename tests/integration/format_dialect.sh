#!/usr/bin/env bash
# format_dialect.sh - the migration tools' own configuration works unchanged (formats.md,
# issue 11): a team swaps the image and keeps the Secret.
#   (1) URL parameters libpq does not know are read, never passed to libpq, never rejected:
#       search_path goes to the server; x-migrations-table names golang-migrate's table,
#       x-migrations-table-quoted makes it "schema"."table"; x-statement-timeout bounds the
#       migration SQL; x-multi-statement only tunes golang-migrate's client (dropped);
#       a parameter of another tool's dialect is ignored with a warning
#   (2) a tool's scheme (pgx5://) is read as postgres://
#   (3) the tools' variables when dbready's are not set: GOOSE_DBSTRING (a canary password
#       in it never leaks), DBMATE_MIGRATIONS_DIR, GOOSE_MIGRATION_DIR, GOOSE_TABLE,
#       DBMATE_MIGRATIONS_TABLE; DATABASE_URL and --dir still win
#   (4) status --json names the format and says whether it records checksums
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

# shellcheck disable=SC2034 # RUN_LIMIT is read by run_dbready
RUN_LIMIT=30

folder() { # folder NAME: a fresh empty folder; prints its path
	rm -rf "${T:?}/dirs/$1"
	mkdir -p "$T/dirs/$1"
	echo "$T/dirs/$1"
}

json_field() { # json_field FILE KEY: the top-level KEY of the JSON document in FILE
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

pg_start main || true
pg_create_app main || true
HOSTPORT=127.0.0.1:$(pg_port main)

# --- (1) URL parameters ------------------------------------------------------------------
PLAIN=$(folder plain)
printf 'CREATE TABLE t1 (id int);\n' >"$PLAIN/1_t1.sql"
URL=$(new_db sp_plain)
q main sp_plain "CREATE SCHEMA ops AUTHORIZATION app" >/dev/null
run_dbready "search_path: a plain folder" 0 run -v --url "$URL?search_path=ops&sslmode=disable" \
	--dir "$PLAIN"
check "search_path: the migration's table is created in ops" test "$(exists sp_plain ops.t1)" = t
check "search_path: plain's history stays public.dbready_migrations" \
	test "$(history_count sp_plain)" = 1
assert_contains "$RUN_ERR" "URL parameter search_path: sent to the server"

GM=$(folder gm)
printf 'CREATE TABLE g1 (id int);\n' >"$GM/1_g1.up.sql"
printf 'DROP TABLE g1;\n' >"$GM/1_g1.down.sql"
printf 'CREATE TABLE g2 (id int);\n' >"$GM/2_g2.up.sql"
URL=$(new_db gm_table)
run_dbready "x-migrations-table: golang-migrate's table named whole" 0 run -v \
	--url "$URL?x-migrations-table=my.hist&x-multi-statement=true" --dir "$GM"
check "x-migrations-table: the table is public.\"my.hist\" with one row (2, false)" \
	test "$(q main gm_table 'SELECT version, dirty FROM public."my.hist"')" = "2|f"
check "x-migrations-table: no schema_migrations table" \
	test "$(exists gm_table schema_migrations)" = f
assert_contains "$RUN_ERR" "URL parameter x-multi-statement: tunes only golang-migrate's own client; dropped"

URL=$(new_db gm_quoted)
q main gm_quoted "CREATE SCHEMA ops AUTHORIZATION app" >/dev/null
run_dbready "x-migrations-table-quoted: \"schema\".\"table\"" 0 run \
	--url "$URL?x-migrations-table=%22ops%22.%22hist%22&x-migrations-table-quoted=1" --dir "$GM"
check "x-migrations-table-quoted: ops.hist holds (2, false)" \
	test "$(q main gm_quoted 'SELECT version, dirty FROM ops.hist')" = "2|f"

SLOW=$(folder gm-slow)
printf 'SELECT pg_sleep(2);\n' >"$SLOW/1_slow.up.sql"
URL=$(new_db gm_timeout)
run_dbready "x-statement-timeout: bounds the migration SQL" 7 run \
	--url "$URL?x-statement-timeout=200" --dir "$SLOW"
assert_contains "$RUN_ERR" "statement timeout"
check "x-statement-timeout: nothing recorded" \
	test "$(history_count gm_timeout public.schema_migrations)" -le 0
run_dbready "x-statement-timeout: --statement-timeout wins" 0 run \
	--url "$URL?x-statement-timeout=200" --statement-timeout 10s --dir "$SLOW"

URL=$(new_db other_tool)
run_dbready "another tool's parameter on a plain folder: ignored" 0 run \
	--url "$URL?x-migrations-table=nope" --dir "$PLAIN"
assert_contains "$RUN_ERR" "URL parameter x-migrations-table is golang-migrate's, and the migrations are read as plain's (the folder's shape): ignored; give --format=golang-migrate if they are golang-migrate's"
check "another tool's parameter: plain's own table is used" \
	test "$(history_count other_tool):$(exists other_tool nope)" = "1:f"

run_dbready "a tool parameter given twice: exit 3" 3 check \
	--url "$URL?search_path=a&search_path=b" --dir "$PLAIN"
assert_contains "$RUN_ERR" "search_path is given twice"

# --- (2) schemes ---------------------------------------------------------------------------
URL=$(new_db gm_pgx5)
run_dbready "pgx5:// is read as postgres://" 0 run \
	--url "pgx5://app:$CANARY@$HOSTPORT/gm_pgx5?sslmode=disable" --dir "$GM"
check "pgx5://: schema_migrations holds (2, false)" \
	test "$(q main gm_pgx5 'SELECT version, dirty FROM schema_migrations')" = "2|f"

# --- (3) the tools' variables --------------------------------------------------------------
URL=$(new_db goose_env)
GOOSE_DBSTRING=$URL run_dbready "GOOSE_DBSTRING when DATABASE_URL is not set" 0 run --dir "$PLAIN"
check "GOOSE_DBSTRING: applied to its database" test "$(history_count goose_env)" = 1
assert_contains "$RUN_ERR" "database ready: postgres://app:***@"

URL2=$(new_db goose_env2)
GOOSE_DBSTRING=$URL DATABASE_URL=$URL2 run_dbready "DATABASE_URL beats GOOSE_DBSTRING" 0 run \
	--dir "$PLAIN"
check "DATABASE_URL beats GOOSE_DBSTRING: applied to DATABASE_URL's database" \
	test "$(history_count goose_env2)" = 1

URL=$(new_db dbmate_dir)
DBMATE_MIGRATIONS_DIR=$PLAIN run_dbready "DBMATE_MIGRATIONS_DIR when --dir is not given" 0 run \
	--url "$URL"
check "DBMATE_MIGRATIONS_DIR: its folder applied" test "$(exists dbmate_dir t1)" = t
EMPTY=$(folder empty)
DBMATE_MIGRATIONS_DIR=$PLAIN run_dbready "--dir beats DBMATE_MIGRATIONS_DIR" 0 run \
	--url "$(new_db dbmate_dir2)" --dir "$EMPTY"
check "--dir beats DBMATE_MIGRATIONS_DIR: nothing applied" \
	test "$(exists dbmate_dir2 t1)" = f

GOOSE=$(folder goose)
printf '%s\n' '-- +goose Up' 'CREATE TABLE gz (id int);' '-- +goose Down' 'DROP TABLE gz;' \
	>"$GOOSE/00001_gz.sql"
URL=$(new_db goose_table)
q main goose_table "CREATE SCHEMA ops AUTHORIZATION app" >/dev/null
GOOSE_MIGRATION_DIR=$GOOSE GOOSE_TABLE=ops.goose_hist run_dbready \
	"GOOSE_MIGRATION_DIR and GOOSE_TABLE" 0 run --url "$URL"
check "GOOSE_TABLE: ops.goose_hist holds version 0 and 1" \
	test "$(q main goose_table 'SELECT string_agg(version_id::text, $$,$$ ORDER BY id) FROM ops.goose_hist')" = "0,1"
GOOSE_TABLE=ops.goose_hist DBREADY_HISTORY_TABLE=ops.mine run_dbready \
	"DBREADY_HISTORY_TABLE beats GOOSE_TABLE" 0 check --url "$URL" --dir "$GOOSE" --json
check "DBREADY_HISTORY_TABLE beats GOOSE_TABLE: check names ops.mine" \
	test "$(json_field "$RUN_OUT" history_table)" = '"ops"."mine"'

DBM=$(folder dbmate)
printf '%s\n' '-- migrate:up' 'CREATE TABLE dm (id int);' '-- migrate:down' 'DROP TABLE dm;' \
	>"$DBM/20240101000000_dm.sql"
URL=$(new_db dbmate_table)
DBMATE_MIGRATIONS_TABLE=dbm_hist run_dbready "DBMATE_MIGRATIONS_TABLE" 0 run --url "$URL" \
	--dir "$DBM"
check "DBMATE_MIGRATIONS_TABLE: public.dbm_hist holds the version" \
	test "$(q main dbmate_table 'SELECT version FROM public.dbm_hist')" = 20240101000000
URL=$(new_db dbmate_sp)
q main dbmate_sp "CREATE SCHEMA ops AUTHORIZATION app" >/dev/null
run_dbready "dbmate: search_path names the history table's schema" 0 run \
	--url "$URL?search_path=ops" --dir "$DBM"
check "dbmate search_path: ops.schema_migrations and ops.dm" \
	test "$(q main dbmate_sp 'SELECT version FROM ops.schema_migrations'):$(exists dbmate_sp ops.dm)" = "20240101000000:t"

# --- (4) status names the format --------------------------------------------------------
run_dbready "status --json: dbmate" 0 status --url "$URL?search_path=ops" --dir "$DBM" --json
check "status --json: format dbmate, records_checksum false" \
	test "$(json_field "$RUN_OUT" format) $(json_field "$RUN_OUT" records_checksum)" = "dbmate False"
run_dbready "status: text says edits go unseen" 0 status --url "$URL?search_path=ops" --dir "$DBM"
assert_contains "$RUN_OUT" "dbmate records no checksums"

# --- (5) --help lists every format with its dialect, from the format table -------------------
run_dbready "help lists the formats" 0 --help
for want in "golang-migrate  history table (current schema).schema_migrations" \
	"goose           history table (current schema).goose_db_version" \
	"dbmate          history table (current schema).schema_migrations" \
	"drizzle         history table drizzle.__drizzle_migrations" \
	"plain           history table public.dbready_migrations" \
	"GOOSE_DBSTRING" "DBMATE_MIGRATIONS_DIR" "x-migrations-table-quoted" "pgx5://"; do
	assert_contains "$RUN_OUT" "$want"
done
check "help: no line of the formats section is wider than 92 columns" \
	test "$(sed -n '/^Formats/,/^Exit/p' "$RUN_OUT" | awk '{ if (length > n) n = length } END { print n + 0 }')" -le 92

harness_finish
