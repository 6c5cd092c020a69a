#!/usr/bin/env bash
# recover.sh - dbready resolve and dbready repair (behaviour.md §7), per format:
#   (a) golang-migrate: a dirty row as golang-migrate writes it (SetVersion(V, true)): run
#       refuses (6) naming `dbready resolve`; resolve --applied V leaves (V, false) as `migrate
#       force V`; --rolled-back V leaves the version before V, or an empty table for the
#       first, as `migrate force`; run then completes. The lock: while golang-migrate's lock
#       is held resolve waits, and gives up at --lock-timeout (8)
#   (b) dbready's own half-done migration: SIGTERM in a no-transaction golang-migrate file
#       leaves it dirty (started_sql); finished by hand, resolve --applied, run completes
#   (c) Flyway: a success = false row, literally as Flyway writes it: --rolled-back deletes
#       it (`flyway repair`'s removeFailedMigrations), --applied sets success = true
#   (d) Prisma: the real prisma 6.19.3 fails a migration (a unique index over duplicates):
#       dbready refuses (6) naming `dbready resolve`; fixed by hand and resolved
#       (--rolled-back, then dbready applies it; or --applied), `prisma migrate deploy`
#       applies nothing and `prisma migrate status` says up to date; the rows are the ones
#       `prisma migrate resolve` writes
#   (e) repair --accept-changed: an edited applied file: run 6, repair, run 0, and the row's
#       checksum is the file's (plain, drizzle, Prisma, Flyway)
#   (f) --dry-run writes nothing; --json; an unknown NAME (2); a format with no failed rows
#       or no checksums refuses (2); a migration with no failed row (6); the flags are checked
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"
. "$(dirname "$0")/../lib/prisma.sh"

pg_start main || harness_finish
pg_create_app main || harness_finish

mkmig() { # mkmig DIR NAME SQL
	mkdir -p "$1"
	printf '%b' "$3" >"$1/$2"
}

# --- (a) golang-migrate: a dirty row ----------------------------------------------------------
GM_DDL='CREATE TABLE IF NOT EXISTS "public"."schema_migrations" (version bigint not null primary key, dirty boolean not null)'
gm_rows() { q main "$1" "SELECT version || '|' || CASE WHEN dirty THEN 't' ELSE 'f' END FROM schema_migrations ORDER BY version" | tr '\n' ';'; }
GM=$T/gm
mkmig "$GM" 1_users.up.sql 'CREATE TABLE users (id int PRIMARY KEY);\n'
mkmig "$GM" 2_email.up.sql 'ALTER TABLE users ADD COLUMN email text;\n'
mkmig "$GM" 3_orders.up.sql 'CREATE TABLE orders (id int);\n'

URL=$(new_db gma)
q main gma "SET ROLE app; $GM_DDL; CREATE TABLE users (id int PRIMARY KEY); INSERT INTO schema_migrations VALUES (2, true)" >/dev/null
run_dbready "gm dirty: run refuses" 6 run --url "$URL" --dir "$GM"
assert_contains "$RUN_ERR" "dbready resolve --applied"
assert_contains "$RUN_ERR" "dbready resolve --rolled-back"
run_dbready "gm dirty: resolve --applied 2 --dry-run" 0 resolve --applied 2 --dry-run --url "$URL" --dir "$GM"
assert_contains "$RUN_ERR" "dry run: would run on"
assert_contains "$RUN_ERR" "TRUNCATE"
check "gm dirty: --dry-run wrote nothing" test "$(gm_rows gma)" = "2|t;"
run_dbready "gm dirty: resolve --applied 9 (no such migration)" 2 resolve --applied 9 --url "$URL" --dir "$GM"
assert_contains "$RUN_ERR" 'no migration "9"'
run_dbready "gm dirty: resolve --applied 1 (not the dirty one)" 6 resolve --applied 1 --url "$URL" --dir "$GM"
assert_contains "$RUN_ERR" "The failed row is version 2 (dirty = true)"
check "gm dirty: refusals wrote nothing" test "$(gm_rows gma)" = "2|t;"
# the lock: golang-migrate's own key (format_golang_migrate.sh checks the key itself)
KEY=$(python3 -c 'import sys, zlib
print(zlib.crc32("\0".join(sys.argv[1:4]).encode()) * 1486364155 % 2**32)' public schema_migrations /gma)
q main gma "SELECT 1" >/dev/null
(printf 'SELECT pg_advisory_lock(%s);\nSELECT pg_sleep(4);\n' "$KEY" | PGPASSWORD=$CANARY "$PG_BIN/psql" -X -qAt -h 127.0.0.1 -p "$(pg_port main)" -U postgres -d gma >/dev/null 2>&1) &
HOLDER=$!
for _ in $(seq 50); do [ "$(advisory_locks)" -gt 0 ] && break; sleep 0.1; done
run_dbready "gm dirty: resolve while golang-migrate's lock is held: exit 8" 8 resolve --applied 2 --lock-timeout 1s --url "$URL" --dir "$GM"
assert_contains "$RUN_ERR" "could not take the migration lock"
check "gm dirty: nothing written without the lock" test "$(gm_rows gma)" = "2|t;"
wait "$HOLDER"
run_dbready "gm dirty: resolve --applied 2" 0 resolve --applied 2 --url "$URL" --dir "$GM"
assert_contains "$RUN_ERR" "TRUNCATE TABLE"
assert_contains "$RUN_ERR" "INSERT 0 1 (1 row)"
assert_contains "$RUN_TERMLOG" 'ok: recorded "2_email" as applied'
check "gm dirty: --applied 2 leaves (2, false), as migrate force 2" test "$(gm_rows gma)" = "2|f;"
run_dbready "gm dirty: run after resolve applies 3" 0 run --url "$URL" --dir "$GM"
assert_contains "$RUN_TERMLOG" "ok: applied 1 migration (3_orders)"
run_dbready "gm: resolve without a failed row" 6 resolve --applied 3 --url "$URL" --dir "$GM"
assert_contains "$RUN_ERR" "records no failed migration"

URL=$(new_db gmb)
q main gmb "SET ROLE app; $GM_DDL; CREATE TABLE users (id int PRIMARY KEY); INSERT INTO schema_migrations VALUES (2, true)" >/dev/null
run_dbready "gm dirty: resolve --rolled-back 2 --json" 0 resolve --rolled-back 2_email --json --url "$URL" --dir "$GM"
check "gm dirty: --rolled-back 2 leaves (1, false), as migrate force 1" test "$(gm_rows gmb)" = "1|f;"
check "gm dirty: --json says what changed" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "resolve" and d["record"] == "rolled_back", d
assert d["migration"] == "2_email" and d["was"] == "dirty = true" and d["changed"], d
assert [s["result"] for s in d["statements"]] == ["TRUNCATE TABLE", "INSERT 0 1"], d
assert d["statements"][1]["params"] == ["1"], d' "$RUN_OUT"
run_dbready "gm dirty: run after --rolled-back applies 2 and 3" 0 run --url "$URL" --dir "$GM"
assert_contains "$RUN_TERMLOG" "ok: applied 2 migrations (2_email..3_orders)"

URL=$(new_db gmc)
q main gmc "SET ROLE app; $GM_DDL; INSERT INTO schema_migrations VALUES (1, true)" >/dev/null
run_dbready "gm dirty 1: resolve --rolled-back 1" 0 resolve --rolled-back 1 --url "$URL" --dir "$GM"
check "gm dirty 1: --rolled-back the first leaves an empty table, as migrate force -1" \
	test "$(q main gmc 'SELECT count(*) FROM schema_migrations')" = 0
run_dbready "gm dirty 1: run applies all three" 0 run --url "$URL" --dir "$GM"
assert_contains "$RUN_TERMLOG" "ok: applied 3 migrations"
run_dbready "gm: repair --accept-changed: no checksums" 2 repair --accept-changed 1 --url "$URL" --dir "$GM"
assert_contains "$RUN_ERR" "records no checksum"

# --- (b) dbready's own half-done no-transaction migration -------------------------------------
NOTX=$T/notx
mkmig "$NOTX" 1_users.up.sql 'CREATE TABLE users (id int PRIMARY KEY, email text);\n'
mkmig "$NOTX" 2_index.up.sql 'CREATE TABLE audit (id int);\nSELECT pg_sleep(30);\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n'
URL=$(new_db notx)
start_dbready "notx: SIGTERM in a no-transaction migration" run --url "$URL" --dir "$NOTX"
for _ in $(seq 100); do
	[ "$(q main notx "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()")" -gt 0 ] && break
	sleep 0.1
done
kill -TERM "$RUN_PID"
finish_dbready 143 20
check "notx: the interrupted migration is left dirty (2, true)" test "$(gm_rows notx)" = "2|t;"
run_dbready "notx: run refuses the half-done migration" 6 run --url "$URL" --dir "$NOTX"
assert_contains "$RUN_ERR" "dbready resolve"
q main notx "CREATE INDEX users_email ON users (email)" >/dev/null # finished by hand
run_dbready "notx: resolve --applied 2_index" 0 resolve --applied 2_index --url "$URL" --dir "$NOTX"
run_dbready "notx: run completes" 0 run --url "$URL" --dir "$NOTX"
assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 2 migrations already applied"

# --- (c) Flyway: success = false --------------------------------------------------------------
FLYWAY_DDL=$(printf 'CREATE TABLE "public"."flyway_schema_history" (\n    "installed_rank" INT NOT NULL,\n    "version" VARCHAR(50),\n    "description" VARCHAR(200) NOT NULL,\n    "type" VARCHAR(20) NOT NULL,\n    "script" VARCHAR(1000) NOT NULL,\n    "checksum" INTEGER,\n    "installed_by" VARCHAR(100) NOT NULL,\n    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),\n    "execution_time" INTEGER NOT NULL,\n    "success" BOOLEAN NOT NULL\n);\nALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");\nCREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");')
# Flyway's checksum: CRC32 over the lines (no line endings), BOM dropped, as a signed int
crc_of() {
	python3 -c '
import re, sys, zlib
lines = re.split(r"\r\n|\r|\n", open(sys.argv[1], "rb").read().decode("utf-8"))
if lines and lines[-1] == "":
    lines.pop()
crc = 0
for i, l in enumerate(lines):
    if i == 0 and l.startswith("\ufeff"):
        l = l[1:]
    crc = zlib.crc32(l.encode("utf-8"), crc)
print(crc - 2**32 if crc >= 2**31 else crc)' "$1"
}
fw_rows() { q main "$1" "SELECT installed_rank || '|' || version || '|' || success::int FROM flyway_schema_history ORDER BY installed_rank" | tr '\n' ';'; }
FW=$T/fw
mkmig "$FW" V1__t1.sql 'CREATE TABLE t1 (id int);\n'
mkmig "$FW" V2__t2.sql 'CREATE TABLE t2 (id int);\n'
mkmig "$FW" V3__t3.sql 'CREATE TABLE t3 (id int);\n'
fw_failed() { # fw_failed DB: V1 applied, V2 failed (success = false), as Flyway writes them
	printf "SET ROLE app; %s\nCREATE TABLE t1 (id int); INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (1, '1', 't1', 'SQL', 'V1__t1.sql', %s, 'app', 5, true), (2, '2', 't2', 'SQL', 'V2__t2.sql', %s, 'app', 3, false);\n" \
		"$FLYWAY_DDL" "$(crc_of "$FW/V1__t1.sql")" "$(crc_of "$FW/V2__t2.sql")" | q main "$1" "$(cat)" >/dev/null
}
URL=$(new_db fwa)
fw_failed fwa
run_dbready "flyway failed: run refuses" 6 run --url "$URL" --dir "$FW"
assert_contains "$RUN_ERR" "dbready resolve --rolled-back"
run_dbready "flyway failed: resolve --rolled-back 2" 0 resolve --rolled-back 2 --url "$URL" --dir "$FW"
assert_contains "$RUN_ERR" "DELETE 1 (1 row)"
check "flyway failed: --rolled-back deletes the failed row, as flyway repair" test "$(fw_rows fwa)" = "1|1|1;"
run_dbready "flyway failed: run applies 2 and 3" 0 run --url "$URL" --dir "$FW"
assert_contains "$RUN_TERMLOG" "ok: applied 2 migrations"
check "flyway failed: ranks 1..3, all successful" test "$(fw_rows fwa)" = "1|1|1;2|2|1;3|3|1;"

URL=$(new_db fwb)
fw_failed fwb
q main fwb "CREATE TABLE t2 (id int)" >/dev/null # finished by hand
run_dbready "flyway failed: resolve --applied V2__t2.sql" 0 resolve --applied V2__t2.sql --url "$URL" --dir "$FW"
check "flyway failed: --applied sets success = true" test "$(fw_rows fwb)" = "1|1|1;2|2|1;"
run_dbready "flyway failed: run applies 3 only" 0 run --url "$URL" --dir "$FW"
assert_contains "$RUN_TERMLOG" "ok: applied 1 migration (t3)"

# Flyway: an edited applied file
printf 'CREATE TABLE t3 (id int, note text);\n' >"$FW/V3__t3.sql"
run_dbready "flyway edited: run refuses" 6 run --url "$URL" --dir "$FW"
run_dbready "flyway edited: repair --accept-changed 3" 0 repair --accept-changed 3 --url "$URL" --dir "$FW"
check "flyway edited: the row's checksum is the file's" \
	test "$(q main fwb "SELECT checksum FROM flyway_schema_history WHERE version = '3'")" = "$(crc_of "$FW/V3__t3.sql")"
run_dbready "flyway edited: run after repair" 0 run --url "$URL" --dir "$FW"

# --- (e) repair --accept-changed: plain and drizzle --------------------------------------------
PL=$T/plain
mkmig "$PL" 001_a.sql 'CREATE TABLE pa (id int);\n'
mkmig "$PL" 002_b.sql 'CREATE TABLE pb (id int);\n'
URL=$(new_db plain)
run_dbready "plain: applies" 0 run --url "$URL" --dir "$PL"
printf -- '-- reviewed\nCREATE TABLE pb (id int);\n' >"$PL/002_b.sql"
run_dbready "plain edited: run refuses" 6 run --url "$URL" --dir "$PL"
BEFORE=$(q main plain "SELECT checksum FROM dbready_migrations WHERE version = '002'")
run_dbready "plain edited: repair --dry-run" 0 repair --accept-changed 002_b --dry-run --url "$URL" --dir "$PL"
check "plain edited: --dry-run wrote nothing" test "$(q main plain "SELECT checksum FROM dbready_migrations WHERE version = '002'")" = "$BEFORE"
run_dbready "plain edited: repair --accept-changed 002_b --json" 0 repair --accept-changed 002_b --json --url "$URL" --dir "$PL"
check "plain edited: the row's checksum is the file's" \
	test "$(q main plain "SELECT checksum FROM dbready_migrations WHERE version = '002'")" = "$(sha256sum "$PL/002_b.sql" | cut -d' ' -f1)"
check "plain edited: --json" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "repair" and d["record"] == "checksum" and d["changed"], d
assert d["statements"][0]["result"] == "UPDATE 1" and d["was"] == sys.argv[2], d' "$RUN_OUT" "$BEFORE"
run_dbready "plain edited: run after repair" 0 run --url "$URL" --dir "$PL"
run_dbready "plain: repair again: nothing to change" 0 repair --accept-changed 002_b --url "$URL" --dir "$PL"
assert_contains "$RUN_ERR" "nothing to change"
mkmig "$PL" 003_c.sql 'CREATE TABLE pc (id int);\n'
run_dbready "plain: repair of a pending migration" 6 repair --accept-changed 003_c --url "$URL" --dir "$PL"
assert_contains "$RUN_ERR" "is not applied"
run_dbready "plain: resolve: no failed rows in this format" 2 resolve --applied 002_b --url "$URL" --dir "$PL"
assert_contains "$RUN_ERR" "never records a failed migration"

DZ=$T/drizzle
cp -r "$REPO_ROOT/tests/fixtures/migrate-drizzle4" "$DZ"
URL=$(new_db dz)
run_dbready "drizzle: applies" 0 run --url "$URL" --dir "$DZ"
printf '\n-- reviewed\n' >>"$DZ/0001_projects.sql"
run_dbready "drizzle edited: run refuses" 6 run --url "$URL" --dir "$DZ"
run_dbready "drizzle edited: repair --accept-changed 0001_projects" 0 repair --accept-changed 0001_projects --url "$URL" --dir "$DZ"
WHEN=$(python3 -c 'import json,sys; print([e["when"] for e in json.load(open(sys.argv[1]))["entries"] if e["tag"] == "0001_projects"][0])' "$DZ/meta/_journal.json")
check "drizzle edited: the row's hash is the file's sha256" \
	test "$(q main dz "SELECT hash FROM drizzle.__drizzle_migrations WHERE created_at = $WHEN")" = "$(sha256sum "$DZ/0001_projects.sql" | cut -d' ' -f1)"
run_dbready "drizzle edited: run after repair" 0 run --url "$URL" --dir "$DZ"

# --- (f) the flags ----------------------------------------------------------------------------
run_dbready "flags: resolve without --applied/--rolled-back" 2 resolve --url "$URL" --dir "$DZ"
assert_contains "$RUN_ERR" "resolve needs --applied NAME or --rolled-back NAME"
run_dbready "flags: both --applied and --rolled-back" 2 resolve --applied a --rolled-back a --url "$URL" --dir "$DZ"
run_dbready "flags: --applied with run" 2 run --applied a --url "$URL" --dir "$DZ"
run_dbready "flags: repair without --accept-changed" 2 repair --url "$URL" --dir "$DZ"
run_dbready "flags: --help names resolve and repair" 0 --help
assert_contains "$RUN_OUT" "resolve --applied NAME | --rolled-back NAME"
assert_contains "$RUN_OUT" "repair --accept-changed NAME"

# --- (d) Prisma, with the real Prisma ----------------------------------------------------------
prisma_setup
PD=$T/prisma-dir
P2=20240102000000_email_unique
mkdir -p "$PD/20240101000000_init"
cp "$FIX/migration_lock.toml" "$PD/"
printf 'CREATE TABLE "U" ("id" INTEGER NOT NULL, "email" TEXT, CONSTRAINT "U_pkey" PRIMARY KEY ("id"))\n' >"$PD/20240101000000_init/migration.sql"
if [ -n "$PRISMA" ]; then
	for db in pra prb; do
		URL=$(new_db $db)
		prisma_run init-$db.log "$URL" "$PD" -- migrate deploy || true
		q main $db 'INSERT INTO "U" VALUES (1, '"'a@x'"'), (2, '"'a@x'"')' >/dev/null
	done
	# the init first, then the duplicates, then the index fails
	mkdir -p "$PD/$P2"
	printf 'CREATE UNIQUE INDEX "U_email_key" ON "U"("email")\n' >"$PD/$P2/migration.sql"
	for db in pra prb; do
		prisma_run fail-$db.log "$(pg_url app "$CANARY" $db)" "$PD" -- migrate deploy
		rc=$?
		check "prisma $db: the real Prisma fails the unique index (exit $rc)" test "$rc" != 0
		assert_contains "$PR_PKG/fail-$db.log" "U_email_key" "prisma $db: Prisma's error names the index"
		check "prisma $db: Prisma left a failed row (finished_at and rolled_back_at NULL)" \
			test "$(q main $db "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '$P2' AND finished_at IS NULL AND rolled_back_at IS NULL")" = 1
	done
	URL=$(pg_url app "$CANARY" pra)
	run_dbready "prisma failed: run refuses" 6 run --url "$URL" --dir "$PD"
	assert_contains "$RUN_ERR" "P3009"
	assert_contains "$RUN_ERR" "dbready resolve --rolled-back"
	q main pra 'DELETE FROM "U" WHERE id = 2' >/dev/null # the data fixed by hand
	run_dbready "prisma failed: resolve --rolled-back" 0 resolve --rolled-back "$P2" --url "$URL" --dir "$PD"
	check "prisma failed: the failed row is kept with rolled_back_at set" \
		test "$(q main pra "SELECT count(*) FROM _prisma_migrations WHERE migration_name = '$P2' AND finished_at IS NULL AND rolled_back_at IS NOT NULL")" = 1
	run_dbready "prisma failed: run applies it again" 0 run --url "$URL" --dir "$PD"
	assert_contains "$RUN_TERMLOG" "ok: applied 1 migration ($P2)"
	prisma_run deploy-pra.log "$URL" "$PD" -- migrate deploy
	assert_contains "$PR_PKG/deploy-pra.log" "No pending migrations to apply." "prisma --rolled-back: prisma migrate deploy applies nothing"
	prisma_run status-pra.log "$URL" "$PD" -- migrate status
	assert_contains "$PR_PKG/status-pra.log" "Database schema is up to date!" "prisma --rolled-back: prisma migrate status says up to date"

	URL=$(pg_url app "$CANARY" prb)
	q main prb 'DELETE FROM "U" WHERE id = 2; CREATE UNIQUE INDEX "U_email_key" ON "U"("email")' >/dev/null # finished by hand
	run_dbready "prisma failed: resolve --applied" 0 resolve --applied "$P2" --url "$URL" --dir "$PD"
	check "prisma --applied: the failed row rolled back, a new row finished, the file's checksum, logs '', 0 steps" \
		test "$(q main prb "SELECT (rolled_back_at IS NOT NULL)::text || '|' || (finished_at IS NOT NULL)::text || '|' || checksum || '|' || CASE WHEN logs = '' THEN 'empty' WHEN logs IS NULL THEN 'null' ELSE 'text' END || '|' || applied_steps_count || '|' || COALESCE((started_at = finished_at)::text, '-') FROM _prisma_migrations WHERE migration_name = '$P2' ORDER BY started_at, finished_at NULLS FIRST" | tr '\n' ';')" \
		= "true|false|$(sha256sum "$PD/$P2/migration.sql" | cut -d' ' -f1)|text|0|-;false|true|$(sha256sum "$PD/$P2/migration.sql" | cut -d' ' -f1)|empty|0|true;"
	run_dbready "prisma --applied: run applies nothing" 0 run --url "$URL" --dir "$PD"
	assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 2 migrations already applied"
	prisma_run deploy-prb.log "$URL" "$PD" -- migrate deploy
	assert_contains "$PR_PKG/deploy-prb.log" "No pending migrations to apply." "prisma --applied: prisma migrate deploy applies nothing"
	prisma_run status-prb.log "$URL" "$PD" -- migrate status
	assert_contains "$PR_PKG/status-prb.log" "Database schema is up to date!" "prisma --applied: prisma migrate status says up to date"

	# an edited applied migration.sql
	printf -- '-- reviewed\n' >>"$PD/20240101000000_init/migration.sql"
	run_dbready "prisma edited: run refuses" 6 run --url "$URL" --dir "$PD"
	run_dbready "prisma edited: repair --accept-changed" 0 repair --accept-changed 20240101000000_init --url "$URL" --dir "$PD"
	check "prisma edited: the row's checksum is the file's" \
		test "$(q main prb "SELECT checksum FROM _prisma_migrations WHERE migration_name = '20240101000000_init'")" = "$(sha256sum "$PD/20240101000000_init/migration.sql" | cut -d' ' -f1)"
	run_dbready "prisma edited: run after repair" 0 run --url "$URL" --dir "$PD"
	prisma_run status-edited.log "$URL" "$PD" -- migrate status
	assert_contains "$PR_PKG/status-edited.log" "Database schema is up to date!" "prisma edited: prisma migrate status says up to date"
else
	say "# SKIP prisma: the real Prisma is not available (node, npm and the npm registry)"
fi

# resolve and repair, their refusals and dry runs add no ERROR to the server's log: the only
# ones are the SIGTERM's cancel in (b) and the real Prisma's failed index in (d)
UNEXPECTED=$(grep 'ERROR:' "$T/pg/main/server.log" | grep -v -e 'canceling statement due to user request' -e 'could not create unique index "U_email_key"')
check "recover: no ERROR in the server log but the two expected ones" test -z "$UNEXPECTED"
[ -z "$UNEXPECTED" ] || printf '%s\n' "$UNEXPECTED" | head -5 | sed 's/^/#   /'
check "recover: the server log is there to look at" grep -q 'canceling statement due to user request' "$T/pg/main/server.log"
harness_finish
