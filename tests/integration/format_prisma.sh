#!/usr/bin/env bash
# format_prisma.sh - dbready is a drop-in for `prisma migrate deploy` (formats.md, Prisma),
# proven with the real Prisma CLI (prisma 6.19.3 on its bundled WASM schema engine through
# @prisma/adapter-pg, pinned in tests/prisma) on PostgreSQL:
#   (a) dbready applies tests/fixtures/prisma-basic; `prisma migrate deploy` then applies
#       nothing and `prisma migrate status` says up to date; _prisma_migrations (pg_dump -t),
#       its rows (all but id and the times) and the whole schema equal what Prisma alone makes
#   (b) Prisma applies the first k folders, dbready exactly the rest
#   (c) a failed row (finished_at and rolled_back_at NULL): exit 6, as Prisma (P3009); a
#       rolled-back row is not applied: dbready applies the migration again
#   (d) an edited migration.sql: exit 6 ("changed")
#   (e) CREATE INDEX CONCURRENTLY: dbready runs it outside a transaction; Prisma itself fails
#   (f) migration_lock.toml with another provider: exit 6 (Prisma: P3019); a folder without
#       migration.sql: exit 6 (Prisma: P3015)
#   (g) ?schema=app: the table and the migrations' objects land in schema app
#   (h) Prisma's lock (pg_advisory_lock(72707369)): dbready waits while a session holds it
#   (i) folder names order as strings (a longer older name is not "newer")
#   (j) a non-empty schema without _prisma_migrations: exit 6 with Prisma's P3005 words, as
#       `prisma migrate deploy` refuses it; an empty ?schema= beside it is migrated
# format_prisma_scale.sh runs 5,000 migrations and the umami corpus; format_prisma_config.sh
# DIRECT_URL and the TLS parameters.
# The DDL and the lock key are Prisma's own (github.com/prisma/prisma-engines at
# 042511990ea2dc539b711cfaa3f692c6997d4533, schema-engine/connectors/sql-schema-connector/src/
# flavour/postgres.rs: create_migrations_table() and acquire_lock(), "SELECT
# pg_advisory_lock(72707369)"), and are compared with the real Prisma's below. Prisma's WASM
# engine splits a script at every ';' (naively), so the fixtures Prisma runs keep ';' out of
# strings and comments. Without node/npm or the npm registry the parts that need Prisma are
# skipped with a "# SKIP" line; the rest runs.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"
. "$(dirname "$0")/../lib/prisma.sh"

pg_start main || harness_finish
pg_create_app main || harness_finish

prisma_setup

# --- (a) dbready applies, Prisma sees nothing pending; equal to Prisma's own ------------------
URL_A=$(new_db a)
run_dbready "prisma: dbready applies the fixture" 0 run --url "$URL_A" --dir "$FIX" -v --timeout 20s
assert_contains "$RUN_ERR" 'prisma format (it has migration_lock.toml)'
assert_contains "$RUN_TERMLOG" "ok: applied 4 migrations (20240101000000_init..20240104000000_crlf)"
check "prisma: each migration ran once" \
	test "$(log_rows a)" = "crlf init posts_index users 4"
# the checksum is SHA-256 of the file's bytes (checksum.rs render_checksum), CRLF kept
for f in "$FIX"/2*/migration.sql; do
	n=$(basename "$(dirname "$f")")
	want=$(sha256sum "$f" | cut -d' ' -f1)
	check "prisma: $n: checksum = sha256sum of migration.sql" \
		test "$(q main a "SELECT checksum FROM _prisma_migrations WHERE migration_name = '$n'")" = "$want"
done
check "prisma: the rows: finished, not rolled back, 1 step, a UUID v4 id" \
	test "$(rows a | cut -d'|' -f3-9 | sort -u)" = "t|||t|1|36|t"
run_dbready "prisma: dbready again applies nothing" 0 run --url "$URL_A" --dir "$FIX" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 4 migrations already applied"
run_dbready "prisma: status" 0 status --url "$URL_A" --dir "$FIX" --timeout 20s
assert_contains "$RUN_OUT" '"public"."_prisma_migrations" (prisma format)'
assert_contains "$RUN_OUT" "4 applied, 0 pending, 0 changed, 0 out of order, 0 unknown"

if [ -n "$PRISMA" ]; then
	prisma_run deploy-a.log "$URL_A" "$FIX" -- migrate deploy
	check "prisma: prisma migrate deploy after dbready: exit 0" test $? = 0
	assert_contains "$PR_PKG/deploy-a.log" "No pending migrations to apply." \
		"prisma: prisma migrate deploy after dbready applies nothing"
	prisma_run status-a.log "$URL_A" "$FIX" -- migrate status
	check "prisma: prisma migrate status after dbready: exit 0" test $? = 0
	assert_contains "$PR_PKG/status-a.log" "Database schema is up to date!" \
		"prisma: prisma migrate status says up to date"
	check "prisma: still 4 rows, each migration ran once" \
		test "$(q main a 'SELECT count(*) FROM _prisma_migrations') $(log_rows a)" = "4 crlf init posts_index users 4"

	URL_B=$(new_db b)
	prisma_run deploy-b.log "$URL_B" "$FIX" -- migrate deploy
	check "prisma: prisma alone applies the fixture to B" test $? = 0
	pgdump a -t public._prisma_migrations >"$CMP/a-table.sql"
	pgdump b -t public._prisma_migrations >"$CMP/b-table.sql"
	check "prisma: the dump of _prisma_migrations is not empty" \
		grep -q 'CONSTRAINT _prisma_migrations_pkey PRIMARY KEY (id)' "$CMP/b-table.sql"
	same_files "prisma: pg_dump -t _prisma_migrations: dbready's = Prisma's" "$CMP/a-table.sql" "$CMP/b-table.sql"
	rows a >"$CMP/a-rows"
	rows b >"$CMP/b-rows"
	check "prisma: Prisma wrote 4 rows" test "$(wc -l <"$CMP/b-rows")" = 4
	same_files "prisma: _prisma_migrations rows (all but id and times): dbready's = Prisma's" "$CMP/a-rows" "$CMP/b-rows"
	pgdump a >"$CMP/a-all.sql"
	pgdump b >"$CMP/b-all.sql"
	same_files "prisma: the whole schema: dbready's = Prisma's" "$CMP/a-all.sql" "$CMP/b-all.sql"
	run_dbready "prisma: dbready after Prisma applies nothing" 0 run --url "$URL_B" --dir "$FIX" --timeout 20s
	assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 4 migrations already applied"

	# --- (b) Prisma applies the first k, dbready exactly the rest -----------------------------
	dirs=("$FIX"/2*/)
	for k in 1 3; do
		mkdir -p "$D/prefix$k"
		cp "$FIX/migration_lock.toml" "$D/prefix$k/"
		for dd in "${dirs[@]:0:k}"; do cp -r "$dd" "$D/prefix$k/"; done
		U=$(new_db "prefix$k")
		prisma_run "prefix$k.log" "$U" "$D/prefix$k" -- migrate deploy
		check "prisma: prefix $k: Prisma applies $k" \
			test "$(q main "prefix$k" 'SELECT count(*) FROM _prisma_migrations')" = "$k"
		run_dbready "prisma: prefix $k: dbready applies the other $((4 - k))" 0 run --url "$U" --dir "$FIX" --timeout 20s
		assert_contains "$RUN_TERMLOG" "ok: applied $((4 - k)) migration"
		first=$(basename "${dirs[k]}")
		assert_contains "$RUN_TERMLOG" "($first" "prisma: prefix $k: the first one dbready applies is $first"
		rows "prefix$k" >"$CMP/prefix$k-rows"
		same_files "prisma: prefix $k: rows equal Prisma's own" "$CMP/prefix$k-rows" "$CMP/b-rows"
		check "prisma: prefix $k: nothing ran twice" \
			test "$(log_rows "prefix$k")" = "crlf init posts_index users 4"
		prisma_run "prefix$k-status.log" "$U" "$FIX" -- migrate status
		check "prisma: prefix $k: prisma migrate status: up to date (exit 0)" test $? = 0
	done
else
	say "# SKIP prisma: the comparisons with the real Prisma (no CLI)"
fi

# --- (c) a failed row; a rolled-back row ------------------------------------------------------
URL_F=$(new_db failed)
run_dbready "prisma: failed: dbready applies the fixture" 0 run --url "$URL_F" --dir "$FIX" --timeout 20s
q main failed "UPDATE _prisma_migrations SET finished_at = NULL, applied_steps_count = 0 WHERE migration_name = '20240104000000_crlf'" >/dev/null
run_dbready "prisma: a failed row (finished_at and rolled_back_at NULL) is refused" 6 run --url "$URL_F" --dir "$FIX" --timeout 20s
assert_contains "$RUN_ERR" "records a migration that failed or stopped half-way"
assert_contains "$RUN_ERR" "migration_name 20240104000000_crlf"
assert_contains "$RUN_ERR" "P3009"
assert_contains "$RUN_ERR" "prisma migrate resolve --rolled-back"
if [ -n "$PRISMA" ]; then
	prisma_run failed.log "$URL_F" "$FIX" -- migrate deploy
	rc=$?
	check "prisma: Prisma refuses the failed row too (exit $rc, P3009)" \
		test "$rc" != 0 -a "$(grep -c P3009 "$PR_PKG/failed.log")" -gt 0
fi
# as `prisma migrate resolve --rolled-back` leaves it: the row is kept, rolled_back_at set,
# and the migration is applied again (here: its table dropped first, as a user would)
q main failed "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20240104000000_crlf'; DROP TABLE \"Crlf\"; DELETE FROM applied_log WHERE name = 'crlf'" >/dev/null
run_dbready "prisma: a rolled-back row: dbready applies the migration again" 0 run --url "$URL_F" --dir "$FIX" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 1 migration (20240104000000_crlf)"
check "prisma: rolled back: two rows for it, one rolled back, one finished" \
	test "$(q main failed "SELECT count(*), count(rolled_back_at), count(finished_at) FROM _prisma_migrations WHERE migration_name = '20240104000000_crlf'")" = "2|1|1"
if [ -n "$PRISMA" ]; then
	prisma_run failed-status.log "$URL_F" "$FIX" -- migrate status
	check "prisma: after the rolled-back row and dbready: prisma migrate status up to date" test $? = 0
fi

# --- (d) an edited migration.sql -------------------------------------------------------------
cp -r "$FIX" "$D/edited"
printf -- '-- edited\n' >>"$D/edited/20240102000000_users/migration.sql"
run_dbready "prisma: an edited applied migration is refused" 6 run --url "$URL_A" --dir "$D/edited" --timeout 20s
assert_contains "$RUN_ERR" "20240102000000_users/migration.sql was edited after it was applied"

# --- (e) CREATE INDEX CONCURRENTLY ------------------------------------------------------------
# Prisma's native schema engine sends migration.sql as one simple query, an implicit
# transaction: two CONCURRENTLY statements in one file fail there ("cannot run inside a
# transaction block"; psql -c sends a string the same way, shown below). The WASM engine that
# runs here splits the script at ';' and sends the pieces one by one, so it applies the file.
CONC=$D/concurrently
cp -r "$FIX" "$CONC"
mkdir -p "$CONC/20240105000000_concurrently"
printf -- '-- CreateIndex\nCREATE INDEX CONCURRENTLY "User_id_email_idx" ON "User"("id", "email");\n\n-- CreateIndex\nCREATE INDEX CONCURRENTLY "Post_title_idx" ON "Post"("title");\n' \
	>"$CONC/20240105000000_concurrently/migration.sql"
URL_C=$(new_db conc)
run_dbready "prisma: CONCURRENTLY: dbready applies it outside a transaction" 0 run --url "$URL_C" --dir "$CONC" -v --timeout 20s
assert_contains "$RUN_ERR" "applying 20240105000000_concurrently outside a transaction"
check "prisma: CONCURRENTLY: both indexes are valid, the row finished" \
	test "$(q main conc "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('User_id_email_idx', 'Post_title_idx') AND i.indisvalid") $(q main conc "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '20240105000000_concurrently' AND finished_at IS NOT NULL AND applied_steps_count = 1")" = "2 1"
URL_C1=$(new_db conc1)
run_dbready "prisma: CONCURRENTLY: the fixture first" 0 run --url "$URL_C1" --dir "$FIX" --timeout 20s
PGPASSWORD=$CANARY "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$(pg_port main)" -U postgres -d conc1 \
	-c "$(cat "$CONC/20240105000000_concurrently/migration.sql")" >"$CMP/conc-simple.log" 2>&1
rc=$?
check "prisma: CONCURRENTLY: the file as one simple query (as Prisma's native engine sends it) fails (psql exit $rc)" \
	test "$rc" != 0 -a "$(grep -c 'cannot run inside a transaction block' "$CMP/conc-simple.log")" -gt 0
if [ -n "$PRISMA" ]; then
	prisma_run conc-status.log "$URL_C" "$CONC" -- migrate status
	check "prisma: CONCURRENTLY: prisma migrate status after dbready: up to date" test $? = 0
	URL_C2=$(new_db conc2)
	prisma_run conc2.log "$URL_C2" "$CONC" -- migrate deploy
	check "prisma: CONCURRENTLY: the WASM Prisma applies it piece by piece (exit 0)" test $? = 0
	rows conc >"$CMP/conc-rows"
	rows conc2 >"$CMP/conc2-rows"
	same_files "prisma: CONCURRENTLY: rows equal the WASM Prisma's" "$CMP/conc-rows" "$CMP/conc2-rows"
fi

# --- (f) another provider; a folder without migration.sql --------------------------------------
cp -r "$FIX" "$D/mysql"
sed -i 's/"postgresql"/"mysql"/' "$D/mysql/migration_lock.toml"
URL_E=$(new_db errs)
run_dbready "prisma: migration_lock.toml says mysql: refused" 6 run --url "$URL_E" --dir "$D/mysql" --timeout 20s
assert_contains "$RUN_ERR" 'says provider = "mysql", not "postgresql"'
if [ -n "$PRISMA" ]; then
	prisma_run mysql.log "$URL_E" "$D/mysql" -- migrate deploy
	rc=$?
	check "prisma: Prisma refuses the mysql lock file too (exit $rc, P3019)" \
		test "$rc" != 0 -a "$(grep -c P3019 "$PR_PKG/mysql.log")" -gt 0
fi
cp -r "$FIX" "$D/nosql"
mkdir -p "$D/nosql/20240103500000_empty"
run_dbready "prisma: a migration folder without migration.sql: refused" 6 run --url "$URL_E" --dir "$D/nosql" --timeout 20s
assert_contains "$RUN_ERR" '"20240103500000_empty"'
assert_contains "$RUN_ERR" "P3015"
check "prisma: nothing was applied before the refusals" test "$(exists errs _prisma_migrations)" = f
cp -r "$FIX" "$D/badname"
mkdir -p "$D/badname/20240105000000_a,b"
cp "$FIX/20240101000000_init/migration.sql" "$D/badname/20240105000000_a,b/"
run_dbready "prisma: a folder name with a comma: refused clearly" 6 run --url "$URL_E" --dir "$D/badname" --timeout 20s
assert_contains "$RUN_ERR" "has a name dbready cannot use"
long=$(printf '2024%0130d' 0)
cp -r "$FIX" "$D/longname"
mkdir -p "$D/longname/$long"
cp "$FIX/20240101000000_init/migration.sql" "$D/longname/$long/"
run_dbready "prisma: a folder name over 128 bytes: refused clearly" 6 run --url "$URL_E" --dir "$D/longname" --timeout 20s
assert_contains "$RUN_ERR" "longer than 128 bytes"

# --- (g) ?schema=app ---------------------------------------------------------------------------
URL_S=$(new_db schema)
q main schema "CREATE SCHEMA app AUTHORIZATION app" >/dev/null
run_dbready "prisma: ?schema=app" 0 run --url "$URL_S?schema=app" --dir "$FIX" --timeout 20s
check "prisma: ?schema=app: the table and the objects are in app, none in public" \
	test "$(q main schema "SELECT count(*) FROM app._prisma_migrations") $(exists schema app.\"User\") $(exists schema public._prisma_migrations) $(exists schema public.\"User\")" = "4 t f f"
if [ -n "$PRISMA" ]; then
	prisma_run schema.log "$URL_S" "$FIX" app -- migrate status
	check "prisma: ?schema=app: prisma migrate status (schema app) says up to date" test $? = 0
	URL_S2=$(new_db schema2)
	q main schema2 "CREATE SCHEMA app AUTHORIZATION app" >/dev/null
	prisma_run schema2.log "$URL_S2" "$FIX" app -- migrate deploy
	pgdump schema -n app >"$CMP/schema.sql"
	pgdump schema2 -n app >"$CMP/schema2.sql"
	same_files "prisma: ?schema=app: schema app equals Prisma's own" "$CMP/schema.sql" "$CMP/schema2.sql"
fi

# --- (h) Prisma's lock ------------------------------------------------------------------------
URL_L=$(new_db lock)
(printf 'SELECT pg_advisory_lock(72707369);\nSELECT pg_sleep(3);\n' |
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -qAt -h 127.0.0.1 -p "$(pg_port main)" -U postgres -d lock >/dev/null 2>&1) &
holder=$!
for _ in $(seq 50); do
	[ "$(q main postgres "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND granted")" = 1 ] && break
	sleep 0.1
done
t0=$(now_ms)
run_dbready "prisma: dbready waits while Prisma's lock 72707369 is held" 0 run --url "$URL_L" --dir "$FIX" --timeout 30s
wait "$holder"
assert_le "prisma: dbready waited for the lock holder (ms)" 2000 $(($(now_ms) - t0))
assert_contains "$RUN_TERMLOG" "ok: applied 4 migrations"

# --- (i) folder names order as strings ---------------------------------------------------------
ORD=$D/order
mkdir -p "$ORD/20240101000000_a_much_longer_first_name"
cp "$FIX/migration_lock.toml" "$ORD/"
printf 'CREATE TABLE first_t (id int);\n' >"$ORD/20240101000000_a_much_longer_first_name/migration.sql"
URL_O=$(new_db order)
run_dbready "prisma: order: the first folder" 0 run --url "$URL_O" --dir "$ORD" --timeout 20s
mkdir -p "$ORD/20240201000000_b"
printf 'CREATE TABLE second_t (id int);\n' >"$ORD/20240201000000_b/migration.sql"
run_dbready "prisma: order: a newer, shorter name is pending, not out of order" 0 run --url "$URL_O" --dir "$ORD" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 1 migration (20240201000000_b)"

# --- (j) a non-empty schema without _prisma_migrations: P3005 -------------------------------
# Prisma's words: prisma-engines libs/user-facing-errors/src/schema_engine.rs,
# DatabaseSchemaNotEmpty
URL_N=$(new_db nonempty)
q main nonempty "CREATE TABLE legacy (id int); CREATE TYPE mood AS ENUM ('ok'); CREATE SCHEMA app AUTHORIZATION app" >/dev/null
run_dbready "prisma: a non-empty schema without _prisma_migrations is refused" 6 run --url "$URL_N" --dir "$FIX" --timeout 20s
assert_contains "$RUN_ERR" "P3005"
assert_contains "$RUN_ERR" "The database schema is not empty. Read more about how to baseline an existing production database: https://pris.ly/d/migrate-baseline"
assert_contains "$RUN_ERR" "prisma migrate resolve --applied"
assert_contains "$RUN_ERR" "table legacy, type mood"
assert_contains "$RUN_TERMLOG" "error (exit 6)"
check "prisma: P3005: nothing applied, no _prisma_migrations" \
	test "$(exists nonempty _prisma_migrations) $(exists nonempty '"User"')" = "f f"
if [ -n "$PRISMA" ]; then
	prisma_run nonempty.log "$URL_N" "$FIX" -- migrate deploy
	rc=$?
	check "prisma: Prisma refuses the same database too (exit $rc, P3005)" \
		test "$rc" != 0 -a "$(grep -c P3005 "$PR_PKG/nonempty.log")" -gt 0
	check "prisma: P3005: Prisma applied nothing either" test "$(exists nonempty '"User"')" = f
fi
run_dbready "prisma: P3005 is per schema: the empty ?schema=app beside it is migrated" 0 run \
	--url "$URL_N?schema=app" --dir "$FIX" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 4 migrations"

harness_finish
