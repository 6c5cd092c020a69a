#!/usr/bin/env bash
# invalid_index.sh - invalid indexes left by a failed CREATE INDEX / REINDEX CONCURRENTLY
# (behaviour.md §7, docs/invalid-indexes.md): a unique index over duplicate rows fails and stays
# behind, invalid; after the data is fixed, a re-run of CREATE INDEX CONCURRENTLY IF NOT EXISTS
# would skip it and succeed over a broken index. dbready refuses it (exit 6) naming the exact
# DROP INDEX CONCURRENTLY, drops it with --drop-invalid-indexes and rebuilds it valid, and never
# records a migration as applied over an invalid index (exit 7). Builds stopped by
# statement_timeout and by SIGTERM likewise; REINDEX CONCURRENTLY's _ccnew leftover too. The
# normal path adds no ERROR line to the server's log.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

pg_start main || true
pg_create_app main || true

# index_state DB SCHEMA NAME: "valid,ready" as t/f, empty when there is no such index
index_state() {
	q main "$1" "SELECT substr(i.indisvalid::text, 1, 1) || ',' || substr(i.indisready::text, 1, 1) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$2' AND c.relname = '$3'"
}

# --- a unique index over duplicate rows ------------------------------------------------------
DIR=$T/dirs/dup
mkdir -p "$DIR"
printf '%s\n' 'CREATE TABLE items (id int PRIMARY KEY, sku text);' \
	"INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'a');" >"$DIR/1_items.sql"
printf '%s\n' '-- the unique key, built without blocking writes' \
	'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_sku_key ON items (sku);' >"$DIR/2_sku.sql"
URL=$(new_db dup)
run_dbready "dup: the unique build fails on duplicate rows" 7 run --url "$URL" --dir "$DIR" --timeout 20s
assert_contains "$RUN_ERR" 'could not create unique index "items_sku_key"'
assert_contains "$RUN_ERR" 'DROP INDEX CONCURRENTLY IF EXISTS "public"."items_sku_key";'
check "dup: the failed build left items_sku_key behind, invalid" \
	test "$(index_state dup public items_sku_key)" = "f,f"
check "dup: 2_sku not recorded" test "$(history_count dup)" = 1

# the data is fixed; IF NOT EXISTS would now skip the invalid index and report success
q main dup "DELETE FROM items WHERE id = 3" >/dev/null
run_dbready "dup: re-run over the invalid index is refused" 6 run --url "$URL" --dir "$DIR" --timeout 20s
assert_contains "$RUN_ERR" 'migration "2_sku" names invalid index "public"."items_sku_key"'
assert_contains "$RUN_ERR" 'DROP INDEX CONCURRENTLY IF EXISTS "public"."items_sku_key";'
assert_contains "$RUN_ERR" '--drop-invalid-indexes'
assert_contains "$RUN_TERMLOG" 'invalid index'
check "dup: still invalid, still not recorded" \
	test "$(index_state dup public items_sku_key),$(history_count dup)" = "f,f,1"

run_dbready "dup: --dry-run names it and changes nothing" 0 run --url "$URL" --dir "$DIR" --timeout 20s \
	--dry-run
assert_contains "$RUN_ERR" 'dry run: migration "2_sku" names 1 invalid index; run would refuse it (exit 6) until it is dropped: DROP INDEX CONCURRENTLY IF EXISTS "public"."items_sku_key";'
run_dbready "dup: --dry-run --drop-invalid-indexes says it would drop it" 0 run --url "$URL" \
	--dir "$DIR" --timeout 20s --dry-run --drop-invalid-indexes
assert_contains "$RUN_ERR" 'run would drop it first (--drop-invalid-indexes): DROP INDEX CONCURRENTLY IF EXISTS "public"."items_sku_key";'
check "dup: the dry runs left it, invalid, and recorded nothing" \
	test "$(index_state dup public items_sku_key),$(history_count dup)" = "f,f,1"
run_dbready "dup: --drop-invalid-indexes drops and rebuilds it" 0 run --url "$URL" --dir "$DIR" \
	--timeout 20s --drop-invalid-indexes
assert_contains "$RUN_ERR" 'dropping invalid index "public"."items_sku_key" on "items" before "2_sku" (--drop-invalid-indexes): DROP INDEX CONCURRENTLY IF EXISTS "public"."items_sku_key"'
check "dup: items_sku_key rebuilt, valid and unique" \
	test "$(q main dup "SELECT i.indisvalid AND i.indisready AND i.indisunique FROM pg_index i WHERE i.indexrelid = 'public.items_sku_key'::regclass")" = t
check "dup: 2_sku recorded" test "$(history_count dup)" = 2
check "dup: the unique key works" \
	bash -c "! PGPASSWORD=\$CANARY '$PG_BIN/psql' -X -q -h 127.0.0.1 -p $(pg_port main) -U postgres -d dup -c \"INSERT INTO items VALUES (4, 'a')\" 2>/dev/null"
run_dbready "dup: then nothing to apply" 0 run --url "$URL" --dir "$DIR" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"

# --- quoted names in a schema; the variable; the file that drops it first -------------------
QDIR=$T/dirs/quoted
mkdir -p "$QDIR"
printf '%s\n' 'CREATE SCHEMA "App";' 'CREATE TABLE "App"."Items" (id int, "Sku" text);' \
	"INSERT INTO \"App\".\"Items\" VALUES (1, 'x'), (2, 'x');" >"$QDIR/1_items.sql"
printf '%s\n' 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Sku ""Key""" ON ONLY "App"."Items" ("Sku");' \
	>"$QDIR/2_key.sql"
URL=$(new_db quoted)
run_dbready "quoted: the build fails" 7 run --url "$URL" --dir "$QDIR" --timeout 20s
q main quoted "DELETE FROM \"App\".\"Items\" WHERE id = 2" >/dev/null
run_dbready "quoted: refused, the DROP quoted" 6 run --url "$URL" --dir "$QDIR" --timeout 20s
assert_contains "$RUN_ERR" 'DROP INDEX CONCURRENTLY IF EXISTS "App"."Sku ""Key""";'
DBREADY_DROP_INVALID_INDEXES=true run_dbready "quoted: DBREADY_DROP_INVALID_INDEXES=true" 0 \
	run --url "$URL" --dir "$QDIR" --timeout 20s
check "quoted: rebuilt valid" test "$(index_state quoted App 'Sku "Key"')" = "t,t"

# a file that drops the index itself before building it is not in the way
DDIR=$T/dirs/dropsfirst
mkdir -p "$DDIR"
cp "$DIR/1_items.sql" "$DDIR/"
printf '%s\n' 'DROP INDEX CONCURRENTLY IF EXISTS items_sku_key;' \
	'CREATE UNIQUE INDEX CONCURRENTLY items_sku_key ON items (sku);' >"$DDIR/2_sku.sql"
URL=$(new_db dropsfirst)
run_dbready "drops-first: the build fails" 7 run --url "$URL" --dir "$DDIR" --timeout 20s
q main dropsfirst "DELETE FROM items WHERE id = 3" >/dev/null
run_dbready "drops-first: the file's own DROP clears the way" 0 run --url "$URL" --dir "$DDIR" --timeout 20s
check "drops-first: valid" test "$(index_state dropsfirst public items_sku_key)" = "t,t"

# --- the same in another format: goose's NO TRANSACTION file -------------------------------
GDIR=$T/dirs/goose
mkdir -p "$GDIR"
printf '%s\n' '-- +goose Up' 'CREATE TABLE items (id int PRIMARY KEY, sku text);' \
	"INSERT INTO items VALUES (1, 'a'), (2, 'a');" >"$GDIR/1_items.sql"
printf '%s\n' '-- +goose NO TRANSACTION' '-- +goose Up' \
	'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS items_sku_key ON items (sku);' >"$GDIR/2_sku.sql"
URL=$(new_db goosedb)
goose_versions() { q main goosedb "SELECT string_agg(version_id::text, ' ' ORDER BY id) FROM goose_db_version WHERE is_applied"; }
run_dbready "goose: the build fails" 7 run --format goose --url "$URL" --dir "$GDIR" --timeout 20s
q main goosedb "DELETE FROM items WHERE id = 2" >/dev/null
run_dbready "goose: re-run refused" 6 run --format goose --url "$URL" --dir "$GDIR" --timeout 20s
assert_contains "$RUN_ERR" 'DROP INDEX CONCURRENTLY IF EXISTS "public"."items_sku_key";'
check "goose: version 2 not recorded" test "$(goose_versions)" = "0 1"
run_dbready "goose: dropped and rebuilt" 0 run --format goose --url "$URL" --dir "$GDIR" --timeout 20s \
	--drop-invalid-indexes
check "goose: version 2 recorded, the index valid" \
	test "$(goose_versions),$(index_state goosedb public items_sku_key)" = "0 1 2,t,t"

# --- never recorded over an invalid index ----------------------------------------------------
# (the statements succeed, yet an index the file names ends invalid: here a superuser file
# marks it so, as a build racing another session's would leave it)
ADIR=$T/dirs/after
mkdir -p "$ADIR"
printf '%s\n' 'CREATE TABLE t (c int);' >"$ADIR/1_t.sql"
printf '%s\n' 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_c_idx ON t (c);' \
	"UPDATE pg_catalog.pg_index SET indisvalid = false WHERE indexrelid = 't_c_idx'::regclass;" \
	>"$ADIR/2_idx.sql"
q main postgres 'CREATE DATABASE after' >/dev/null
SUPER_URL=$(pg_url postgres "$CANARY" after)
run_dbready "after: an index left invalid is not recorded as applied" 7 run --url "$SUPER_URL" \
	--dir "$ADIR" --timeout 20s
assert_contains "$RUN_ERR" 'migration "2_idx" left invalid index "public"."t_c_idx"; it is not recorded as applied'
assert_contains "$RUN_ERR" 'DROP INDEX CONCURRENTLY IF EXISTS "public"."t_c_idx";'
check "after: 2_idx not recorded" test "$(history_count after)" = 1

# --- a build stopped by statement_timeout: unnamed, schema-qualified ---------------------------
SDIR=$T/dirs/slow
mkdir -p "$SDIR"
cat >"$SDIR/1_t.sql" <<'EOF'
CREATE SCHEMA s;
CREATE TABLE s.t (c int);
INSERT INTO s.t SELECT generate_series(1, 20);
CREATE FUNCTION s.slow(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_sleep(0.05); RETURN $1; END $$;
EOF
printf '%s\n' 'CREATE INDEX CONCURRENTLY ON s.t ((s.slow(c)));' >"$SDIR/2_slow.sql"
URL=$(new_db slow)
run_dbready "timeout: the build is cancelled" 7 run --url "$URL" --dir "$SDIR" --timeout 20s \
	--statement-timeout 300ms
assert_contains "$RUN_ERR" 'canceling statement due to statement timeout'
assert_contains "$RUN_ERR" 'DROP INDEX CONCURRENTLY IF EXISTS "s"."t_slow_idx";'
check "timeout: t_slow_idx left behind, invalid" \
	bash -c "case '$(index_state slow s t_slow_idx)' in f,*) exit 0 ;; *) exit 1 ;; esac"
run_dbready "timeout: re-run refused (an unnamed build would add a second index)" 6 run --url "$URL" \
	--dir "$SDIR" --timeout 20s
assert_contains "$RUN_ERR" 'migration "2_slow" names invalid index "s"."t_slow_idx"'
run_dbready "timeout: dropped and rebuilt" 0 run --url "$URL" --dir "$SDIR" --timeout 30s \
	--drop-invalid-indexes
check "timeout: one index on s.t, valid, named t_slow_idx" \
	test "$(q main slow "SELECT string_agg(c.relname || ':' || i.indisvalid, ',') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 's.t'::regclass")" = "t_slow_idx:true"

# REINDEX INDEX CONCURRENTLY stopped: its copy <name>_ccnew stays, invalid
RDIR=$T/dirs/reindex
mkdir -p "$RDIR"
cp "$SDIR/1_t.sql" "$RDIR/"
printf '%s\n' 'CREATE INDEX t_slow_idx ON s.t ((s.slow(c)));' >"$RDIR/2_idx.sql"
URL=$(new_db reindex)
run_dbready "reindex: the index built" 0 run --url "$URL" --dir "$RDIR" --timeout 30s
printf '%s\n' 'REINDEX INDEX CONCURRENTLY s.t_slow_idx;' >"$RDIR/3_reindex.sql"
run_dbready "reindex: cancelled by statement_timeout" 7 run --url "$URL" --dir "$RDIR" \
	--timeout 30s --statement-timeout 300ms
assert_contains "$RUN_ERR" 'DROP INDEX CONCURRENTLY IF EXISTS "s"."t_slow_idx_ccnew";'
run_dbready "reindex: re-run refused" 6 run --url "$URL" --dir "$RDIR" --timeout 30s
assert_contains "$RUN_ERR" 'names invalid index "s"."t_slow_idx_ccnew"'
check "reindex: t_slow_idx itself still valid" test "$(index_state reindex s t_slow_idx)" = "t,t"
run_dbready "reindex: dropped, reindexed" 0 run --url "$URL" --dir "$RDIR" --timeout 30s \
	--drop-invalid-indexes
check "reindex: no invalid index left" \
	test "$(q main reindex "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 0

# --- a build stopped by SIGTERM ------------------------------------------------------------
KDIR=$T/dirs/sigterm
mkdir -p "$KDIR"
sed 's/generate_series(1, 20)/generate_series(1, 200)/' "$SDIR/1_t.sql" >"$KDIR/1_t.sql"
printf '%s\n' 'CREATE INDEX CONCURRENTLY IF NOT EXISTS t_slow ON s.t ((s.slow(c)));' >"$KDIR/2_slow.sql"
URL=$(new_db sigterm)
start_dbready "sigterm: stopped during the build" run --url "$URL" --dir "$KDIR" --timeout 60s
for _ in $(seq 1 100); do
	[ "$(index_state sigterm s t_slow)" != "" ] && break
	sleep 0.1
done
kill -TERM "$RUN_PID"
finish_dbready 143 30
check "sigterm: t_slow left behind, invalid" \
	bash -c "case '$(index_state sigterm s t_slow)' in f,*) exit 0 ;; *) exit 1 ;; esac"
run_dbready "sigterm: re-run refused" 6 run --url "$URL" --dir "$KDIR" --timeout 20s
assert_contains "$RUN_ERR" 'DROP INDEX CONCURRENTLY IF EXISTS "s"."t_slow";'
check "sigterm: 2_slow not recorded" test "$(history_count sigterm)" = 1

# --- the normal path: no ERROR line in the server's log ------------------------------------
NDIR=$T/dirs/normal
mkdir -p "$NDIR"
printf '%s\n' 'CREATE SCHEMA "App";' 'CREATE TABLE "App"."T" (c int, d int);' 'CREATE TABLE u (c int);' \
	>"$NDIR/1_t.sql"
printf '%s\n' 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "T_c" ON ONLY "App"."T" (c);' \
	'CREATE UNIQUE INDEX CONCURRENTLY ON "App"."T" (d);' 'CREATE INDEX CONCURRENTLY u_c ON u (c);' \
	'REINDEX INDEX CONCURRENTLY u_c;' 'REINDEX TABLE CONCURRENTLY "App"."T";' >"$NDIR/2_idx.sql"
URL=$(new_db normal)
errors_before=$(server_errors main)
run_dbready "normal: CONCURRENTLY builds and REINDEX" 0 run --url "$URL" --dir "$NDIR" --timeout 20s
run_dbready "normal: again, nothing to apply" 0 run --url "$URL" --dir "$NDIR" --timeout 20s \
	--drop-invalid-indexes
check "normal: no ERROR line in the server log" test "$(($(server_errors main) - errors_before))" = 0
assert_not_contains "$RUN_ERR" 'dropping invalid index'
check "normal: no invalid index" test "$(q main normal "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 0

# --- the names read, against PostgreSQL's own parser (libpg_query, tests/oracle/ii_oracle.c) ---
# its table of statements, and every CREATE/REINDEX statement of the real-world corpora
have_pg_query() {
	[ -f /usr/include/pg_query.h ] || return 1
	local f
	for f in /usr/lib/*/libpg_query.* /usr/lib/libpg_query.* /usr/local/lib/libpg_query.*; do
		[ -e "$f" ] && return 0
	done
	return 1
}
CORPORA=${DBREADY_CORPORA:-$REPO_ROOT/../shared/corpora}
if ! have_pg_query; then
	say "# SKIP the name oracle: libpg_query is not installed (apt-get install libpg-query-dev)"
elif make -C "$REPO_ROOT" --no-print-directory BUILD=build build/ii-oracle >"$T/ii-oracle-build.log" 2>&1; then
	pass "build/ii-oracle builds (libpg_query)"
	corpora=()
	if [ -d "$CORPORA" ]; then
		corpora=("$CORPORA")
	else
		say "# SKIP the corpora for the name oracle: $CORPORA is not there"
	fi
	"$REPO_ROOT/build/ii-oracle" "${corpora[@]}" >"$T/ii-oracle.out" 2>&1
	rc=$?
	check "ii-oracle: the names read are the parser's ($(tail -1 "$T/ii-oracle.out"))" test "$rc" = 0
	[ "$rc" = 0 ] || diag_file ii-oracle "$T/ii-oracle.out"
else
	fail "build/ii-oracle builds (libpg_query)"
	diag_file "make build/ii-oracle" "$T/ii-oracle-build.log"
fi

harness_finish
