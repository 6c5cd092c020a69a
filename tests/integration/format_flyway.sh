#!/usr/bin/env bash
# format_flyway.sh - Flyway folders (formats.md, docs/formats/flyway.md) applied by dbready on
# PostgreSQL 15, with Flyway's own history table.
#
# Flyway (Java) cannot run here: the DDL, the rows, the checksum, the name rules and the lock
# come from its source, github.com/flyway/flyway, commit
# c5e20fc77341d4117e7a291214e23f89c1371516:
#   flyway-database/flyway-database-postgresql/src/main/java/org/flywaydb/database/
#     postgresql/PostgreSQLDatabase.java getRawCreateScript(): the CREATE TABLE below, then
#     ALTER TABLE ... ADD CONSTRAINT "<table>_pk" PRIMARY KEY ("installed_rank") and
#     CREATE INDEX "<table>_s_idx" ON ... ("success")
#   flyway-core .../internal/schemahistory/SchemaHistory.java addAppliedMigration() and
#     JdbcTableSchemaHistory.java: installed_rank = max + 1, type SQL, script = the file name,
#     installed_by = current_user, execution_time in ms, success
#   flyway-core .../internal/resource/ResourceNameParser.java: prefix V/R/U, "__", the
#     description with "_" as " "; .../api/MigrationVersion.java: "_" as ".", numeric parts
#   flyway-core .../internal/resolver/ChecksumCalculator.java: CRC-32 of each line's UTF-8
#     bytes (line ends excluded, BOM filtered), (int)
#   flyway-core .../internal/parser/PlaceholderReplacingReader.java, ParsingContext.java:
#     ${name} (case-insensitive), flyway:* defaults, undefined -> "No value provided"
#   flyway-database-postgresql .../PostgreSQLAdvisoryLockTemplate.java: 0x466C79776179 +
#     ("\"" + schema + "\".\"" + table + "\"").hashCode(), pg_try_advisory_xact_lock
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

CORPORA=${DBREADY_CORPORA:-$REPO_ROOT/../shared/corpora}
FIX=$REPO_ROOT/tests/fixtures/flyway-checksum

# getRawCreateScript(table, false), no tablespace, as Flyway sends it
FLYWAY_DDL=$(printf 'CREATE TABLE "public"."flyway_schema_history" (\n    "installed_rank" INT NOT NULL,\n    "version" VARCHAR(50),\n    "description" VARCHAR(200) NOT NULL,\n    "type" VARCHAR(20) NOT NULL,\n    "script" VARCHAR(1000) NOT NULL,\n    "checksum" INTEGER,\n    "installed_by" VARCHAR(100) NOT NULL,\n    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),\n    "execution_time" INTEGER NOT NULL,\n    "success" BOOLEAN NOT NULL\n);\nALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");\nCREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");')

# python3: Java's String.hashCode over UTF-16 code units, signed; plus 0x466C79776179
lock_key() {
	python3 -c '
import sys
s = "\"" + sys.argv[1].replace("\"", "\"\"") + "\".\"" + sys.argv[2].replace("\"", "\"\"") + "\""
b = s.encode("utf-16-be"); h = 0
for i in range(0, len(b), 2):
    h = (31 * h + int.from_bytes(b[i:i + 2], "big")) & 0xFFFFFFFF
print(0x466C79776179 + (h - (1 << 32) if h >= 1 << 31 else h))' "$1" "$2"
}
FLYWAY_KEY=$(lock_key public flyway_schema_history)

# python3: Flyway's checksum of a file, as ChecksumCalculator reads it (independent of src/)
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
print(crc - (1 << 32) if crc >= 1 << 31 else crc)' "$1"
}

mkmig() { # mkmig DIR NAME TEXT (printf %b)
	mkdir -p "$1"
	printf '%b' "$3" >"$1/$2"
}

# rows DB [TABLE]: rank|version|description|type|script|success (1/0), joined by ';'
rows() {
	q main "$1" "SELECT installed_rank || '|' || COALESCE(version, '-') || '|' || description || '|' || type || '|' || script || '|' || success::int FROM ${2:-flyway_schema_history} ORDER BY installed_rank" | tr '\n' ';' | sed 's/;$//'
}

# the format's source stays in files named after what they do, each well under 400 lines
# (format_flyway.c was one file of 893)
for f in "$REPO_ROOT"/src/format_flyway*.c; do
	check "flyway source: $(basename "$f") is under 400 lines ($(wc -l <"$f"))" test "$(wc -l <"$f")" -lt 400
done
check "flyway source: five files (table, load, names, placeholders, checksum)" \
	test "$(ls "$REPO_ROOT"/src/format_flyway*.c | wc -l)" -ge 5

pg_start main || harness_finish
pg_create_app main || harness_finish

check "flyway lock: the default table's key is 77433833903597 (formats.md)" test "$FLYWAY_KEY" = 77433833903597

# --- a folder: order 1.9 < 1.10, undo files ignored, rows, checksums, DDL ------------------------
B=$T/basic
mkmig "$B" V1__init.sql 'CREATE TABLE t (id int PRIMARY KEY, note text);\n'
mkmig "$B" V1_9__nine.sql 'INSERT INTO t VALUES (9, '"'"'nine'"'"');\n'
mkmig "$B" V1_10__ten_after_nine.sql 'INSERT INTO t VALUES (10, (SELECT note FROM t WHERE id = 9) || '"'"'+ten'"'"');\n'
mkmig "$B" V2__two.sql 'ALTER TABLE t ADD COLUMN extra int;\n'
mkmig "$B" U2__undo_two.sql 'ALTER TABLE t DROP COLUMN extra;\nCREATE TABLE undo_ran (x int);\n'
mkmig "$B" README.md 'not a migration\n'
for f in "$FIX"/V*.sql; do
	n=$(basename "$f")
	cp "$f" "$B/V3_${n#V}" # V3_1__lf.sql .. V3_7__empty.sql: CRLF, BOM, non-ASCII, no final newline
done
URL=$(new_db basic)
run_dbready "flyway: auto-detected folder" 0 run -v --url "$URL" --dir "$B" --timeout 30s
assert_contains "$RUN_ERR" 'is named as a Flyway migration'
assert_contains "$RUN_ERR" 'U2__undo_two.sql": an undo migration (Flyway Teams): ignored'
assert_contains "$RUN_TERMLOG" "ok: applied 11 migrations"
check "flyway: 1.10 ran after 1.9" test "$(q main basic "SELECT note FROM t WHERE id = 10")" = "nine+ten"
check "flyway: the undo file did not run (column extra kept, no undo_ran)" \
	test "$(q main basic "SELECT count(*) FROM information_schema.columns WHERE table_name = 't' AND column_name = 'extra'")/$(exists basic undo_ran)" = "1/f"
check "flyway: rows 1..4: rank, version, description with spaces, type SQL, script, success" \
	test "$(rows basic | cut -d';' -f1-4)" = "1|1|init|SQL|V1__init.sql|1;2|1.9|nine|SQL|V1_9__nine.sql|1;3|1.10|ten after nine|SQL|V1_10__ten_after_nine.sql|1;4|2|two|SQL|V2__two.sql|1"
check "flyway: installed_by = app (current_user), execution_time >= 0, installed_on set" \
	test "$(q main basic "SELECT count(*) FROM flyway_schema_history WHERE installed_by = 'app' AND execution_time >= 0 AND installed_on IS NOT NULL")" = 11
for f in "$B"/V*.sql; do
	n=$(basename "$f")
	want=$(crc_of "$f")
	check "flyway checksum: $n = $want (python zlib.crc32 over the lines)" \
		test "$(q main basic "SELECT checksum FROM flyway_schema_history WHERE script = '$n'")" = "$want"
done
check "flyway checksum: CRLF and LF files of the same lines have one checksum" \
	test "$(crc_of "$FIX/V1__lf.sql")" = "$(python3 -c 'import zlib; c = zlib.crc32(b"CREATE TABLE a (id int);"); c = zlib.crc32(b"INSERT INTO a VALUES (1);", c); print(c - (1 << 32) if c >= 1 << 31 else c)')"
check "flyway: the non-ASCII default arrived as UTF-8" \
	test "$(q main basic "SELECT column_default FROM information_schema.columns WHERE table_name = 'd'")" = "'Grüße, 日本, 😀'::text"

dump_table() {
	PGPASSWORD=$CANARY "$PG_BIN/pg_dump" --schema-only --no-owner --no-privileges -h 127.0.0.1 \
		-p "$(pg_port main)" -U postgres -t public.flyway_schema_history -d "$1" |
		grep -vE '^-- Dumped (from|by) |^\\(un)?restrict( |$)'
}
new_db flyway_ref >/dev/null
q main flyway_ref "$FLYWAY_DDL" >/dev/null
dump_table basic >"$T/ddl-dbready.sql"
dump_table flyway_ref >"$T/ddl-flyway.sql"
if grep -q 'flyway_schema_history_pk PRIMARY KEY (installed_rank)' "$T/ddl-flyway.sql" &&
	grep -q 'CREATE INDEX flyway_schema_history_s_idx ON public.flyway_schema_history USING btree (success)' "$T/ddl-flyway.sql" &&
	diff -u "$T/ddl-flyway.sql" "$T/ddl-dbready.sql" >"$T/ddl.diff"; then
	pass "flyway: pg_dump of flyway_schema_history equals Flyway's literal DDL (pk, s_idx)"
else
	fail "flyway: pg_dump of flyway_schema_history equals Flyway's literal DDL (pk, s_idx)"
	diag_file ddl.diff "$T/ddl.diff"
fi

run_dbready "flyway: second run" 0 run --url "$URL" --dir "$B" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"
run_dbready "flyway: status" 0 status --url "$URL" --dir "$B"
assert_contains "$RUN_OUT" "11 applied, 0 pending"

# an edited file: its checksum differs -> changed (Flyway's validate fails too)
cp -r "$B" "$T/edited"
printf 'ALTER TABLE t ADD COLUMN extra int; -- edited\n' >"$T/edited/V2__two.sql"
run_dbready "flyway: an applied file edited is refused" 6 run --url "$URL" --dir "$T/edited" --timeout 20s
assert_contains "$RUN_ERR" "V2__two.sql was edited after it was applied"

# --- executeInTransaction=false with CREATE INDEX CONCURRENTLY ----------------------------------
N=$T/notx
mkmig "$N" V1__items.sql 'CREATE TABLE items (id int, sku text);\nINSERT INTO items SELECT g, g::text FROM generate_series(1, 1000) g;\n'
mkmig "$N" V2__index.sql 'CREATE INDEX CONCURRENTLY items_sku ON items (sku);\n'
mkmig "$N" V2__index.sql.conf '# Flyway script config\nexecuteInTransaction=false\n'
URL=$(new_db notx)
run_dbready "flyway notx: executeInTransaction=false" 0 run --url "$URL" --dir "$N" --timeout 30s
assert_contains "$RUN_ERR" "outside a transaction (the file's .sql.conf says executeInTransaction=false)"
check "flyway notx: the index is valid" \
	test "$(q main notx "SELECT indisvalid FROM pg_index WHERE indexrelid = 'items_sku'::regclass")" = t
check "flyway notx: two rows" test "$(q main notx "SELECT count(*) FROM flyway_schema_history WHERE success")" = 2
mkmig "$T/badconf" V1__a.sql 'SELECT 1;\n'
mkmig "$T/badconf" V1__a.sql.conf 'shouldExecute=false\n'
run_dbready "flyway: a .sql.conf key dbready does not honour is refused" 6 check --url "$URL" --dir "$T/badconf"
assert_contains "$RUN_ERR" 'sets "shouldExecute", which dbready does not honour'

# --- placeholders ---------------------------------------------------------------------------------
P=$T/ph
mkmig "$P" V1__ph.sql 'CREATE TABLE ${tenant}_t (note text DEFAULT '"'"'${flyway:table}|${flyway:filename}|${flyway:user}|${flyway:database}|${FLYWAY:DefaultSchema}'"'"', at text DEFAULT '"'"'${flyway:timestamp}'"'"');\n'
URL=$(new_db ph)
# ${flyway:user} and ${flyway:database} come from the URL in the environment (DATABASE_URL or
# FLYWAY_URL): the folder is read before dbready connects
FLYWAY_PLACEHOLDERS_TENANT=acme FLYWAY_DEFAULT_SCHEMA=public run_dbready "flyway placeholders: \${flyway:user} with the URL only on the command line" 3 check --url "$URL" --dir "$P"
assert_contains "$RUN_ERR" 'uses ${flyway:user}, and no user is configured'
DATABASE_URL=$URL FLYWAY_PLACEHOLDERS_TENANT=acme FLYWAY_DEFAULT_SCHEMA=public \
	run_dbready "flyway placeholders: defined" 0 run --dir "$P" --timeout 20s
check "flyway placeholders: \${tenant}, flyway:table/filename/user/database/defaultSchema" \
	test "$(q main ph "SELECT column_default FROM information_schema.columns WHERE table_name = 'acme_t' AND column_name = 'note'")" = "'flyway_schema_history|V1__ph.sql|app|ph|public'::text"
check "flyway placeholders: \${flyway:timestamp} is yyyy-MM-dd HH:mm:ss" \
	test "$(q main ph "SELECT column_default ~ '^''[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}''::text\$' FROM information_schema.columns WHERE table_name = 'acme_t' AND column_name = 'at'")" = t
check "flyway placeholders: the checksum is the raw file's (before replacement)" \
	test "$(q main ph "SELECT checksum FROM flyway_schema_history")" = "$(crc_of "$P/V1__ph.sql")"
U=$T/ph_undef
mkmig "$U" V1__ok.sql 'CREATE TABLE ok_t (id int);\n'
mkmig "$U" V2__undef.sql 'CREATE TABLE ${missing_one}_t (id int);\n'
URL=$(new_db ph_undef)
run_dbready "flyway placeholders: undefined -> exit 6 naming it" 6 run --url "$URL" --dir "$U" --timeout 20s
assert_contains "$RUN_ERR" 'uses the placeholder ${missing_one}, which is not defined'
assert_contains "$RUN_ERR" 'FLYWAY_PLACEHOLDERS_'
check "flyway placeholders: nothing applied" test "$(exists ph_undef ok_t)/$(exists ph_undef flyway_schema_history)" = "f/f"
mkmig "$T/ph_noschema" V1__s.sql 'CREATE TABLE ${flyway:defaultSchema}.s (id int);\n'
run_dbready "flyway placeholders: defaultSchema without FLYWAY_DEFAULT_SCHEMA/SCHEMAS" 3 check --url "$URL" --dir "$T/ph_noschema"
assert_contains "$RUN_ERR" 'Set FLYWAY_DEFAULT_SCHEMA'
FLYWAY_PLACEHOLDER_REPLACEMENT=false run_dbready "flyway placeholders: FLYWAY_PLACEHOLDER_REPLACEMENT=false" 0 check --url "$URL" --dir "$U"

# --- a history Flyway wrote: failed row, partial history -----------------------------------------
S=$T/seq
for i in 1 2 3 4 5; do
	mkmig "$S" "V$i""__t$i.sql" "CREATE TABLE t$i (id int);\n"
done
# flyway_history DB V...: the table and rows as Flyway writes them (its DDL, then one row per
# version with the file's checksum, installed_rank max+1)
flyway_history() {
	local db=$1 v
	shift
	{
		printf 'SET ROLE app;\n%s\n' "$FLYWAY_DDL"
		for v in "$@"; do
			printf "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES ((SELECT COALESCE(MAX(installed_rank), 0) + 1 FROM flyway_schema_history), '%s', 't%s', 'SQL', 'V%s__t%s.sql', %s, 'app', 12, true);\n" \
				"$v" "$v" "$v" "$v" "$(crc_of "$S/V${v}__t$v.sql")"
		done
	} | q main "$db" "$(cat)" >/dev/null
}
URL=$(new_db partial)
flyway_history partial 1 2
run_dbready "flyway partial: Flyway applied 1, 2" 0 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 3 migrations"
check "flyway partial: t3..t5 created by dbready, t1, t2 not" \
	test "$(q main partial "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE tablename ~ '^t[0-9]$'")" = "t3,t4,t5"
check "flyway partial: ranks 1..5 in order" \
	test "$(rows partial)" = "1|1|t1|SQL|V1__t1.sql|1;2|2|t2|SQL|V2__t2.sql|1;3|3|t3|SQL|V3__t3.sql|1;4|4|t4|SQL|V4__t4.sql|1;5|5|t5|SQL|V5__t5.sql|1"

# MigrationVersion.compareTo (BigInteger parts): with 1 and 1.10 applied by Flyway, V2 is
# newer than 1.10, not out of order (a comparison of the text as one number says 1.10 > 2)
O=$T/order
mkmig "$O" V1__a.sql 'CREATE TABLE oa (id int);\n'
mkmig "$O" V1_10__b.sql 'CREATE TABLE ob (id int);\n'
mkmig "$O" V2__c.sql 'CREATE TABLE oc (id int);\n'
URL=$(new_db order)
{
	printf 'SET ROLE app;\n%s\n' "$FLYWAY_DDL"
	printf "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (1, '1', 'a', 'SQL', 'V1__a.sql', %s, 'app', 3, true), (2, '1.10', 'b', 'SQL', 'V1_10__b.sql', %s, 'app', 3, true);\n" \
		"$(crc_of "$O/V1__a.sql")" "$(crc_of "$O/V1_10__b.sql")"
} | q main order "$(cat)" >/dev/null
run_dbready "flyway order: 1 and 1.10 applied, V2 pending (2 > 1.10)" 0 run --url "$URL" --dir "$O" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 1 migration"
check "flyway order: rank 3 is version 2" test "$(rows order | cut -d';' -f3)" = "3|2|c|SQL|V2__c.sql|1"

URL=$(new_db failed)
flyway_history failed 1 2
q main failed "SET ROLE app; UPDATE flyway_schema_history SET success = false WHERE version = '2'" >/dev/null
run_dbready "flyway failed: a row with success = false is refused" 6 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_ERR" "success = false"
assert_contains "$RUN_ERR" "flyway repair"
check "flyway failed: nothing applied" test "$(exists failed t3)" = f

# --- repeatable migrations: after the versioned ones, again whenever the checksum changes ------
R=$T/rep
mkmig "$R" V1__rt.sql 'CREATE TABLE rt (x int);\n'
mkmig "$R" R__view.sql 'CREATE OR REPLACE VIEW v AS SELECT count(*) AS n FROM rt;\n'
mkmig "$R" R__a_first.sql 'CREATE OR REPLACE VIEW va AS SELECT 1 AS one;\n'
mkmig "$R" V2__ins.sql 'INSERT INTO rt VALUES (1);\n'
URL=$(new_db rep)
run_dbready "flyway repeatable: first run" 0 run --url "$URL" --dir "$R" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 4 migrations"
check "flyway repeatable: versioned first, then R by description; version NULL" \
	test "$(rows rep)" = "1|1|rt|SQL|V1__rt.sql|1;2|2|ins|SQL|V2__ins.sql|1;3|-|a first|SQL|R__a_first.sql|1;4|-|view|SQL|R__view.sql|1"
check "flyway repeatable: its checksum is Flyway's" \
	test "$(q main rep "SELECT checksum FROM flyway_schema_history WHERE script = 'R__view.sql'")" = "$(crc_of "$R/R__view.sql")"
run_dbready "flyway repeatable: unchanged -> nothing to apply" 0 run --url "$URL" --dir "$R" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"
mkmig "$R" R__view.sql 'CREATE OR REPLACE VIEW v AS SELECT count(*) + 100 AS n FROM rt;\n'
run_dbready "flyway repeatable: changed -> applied again (not refused)" 0 run --url "$URL" --dir "$R" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 1 migration"
check "flyway repeatable: a fifth row for R__view.sql, the view is the new one" \
	test "$(rows rep | cut -d';' -f5)/$(q main rep "SELECT n FROM v")" = "5|-|view|SQL|R__view.sql|1/101"
run_dbready "flyway repeatable: then nothing to apply" 0 run --url "$URL" --dir "$R" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"
run_dbready "flyway repeatable: status" 0 status --url "$URL" --dir "$R"
assert_contains "$RUN_OUT" "4 applied, 0 pending, 0 changed, 0 out of order, 0 unknown"
run_dbready "flyway repeatable: status --json" 0 status --json --url "$URL" --dir "$R"
assert_contains "$RUN_OUT" '"R__view"'
hold_lock() { # hold_lock DB KEY
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -qAt -h 127.0.0.1 -p "$(pg_port main)" -U postgres \
		-d "$1" -c "SELECT pg_advisory_lock($2)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
	HOLDER=$!
	local i
	for i in $(seq 1 100); do
		[ "$(q main "$1" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND ((classid::bigint << 32) | objid::bigint) = $2 AND granted")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
release_lock() {
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
	q main postgres "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND ((classid::bigint << 32) | objid::bigint) = $1" >/dev/null
}

# a racing runner: dbready reads the history (R__view changed: pending), then waits for the
# lock; meanwhile another runner applies R__view as it is now and records it. Under the
# lock the history check must see that row (the newest of its description carries the
# file's checksum) and not apply R__view a second time.
mkmig "$R" R__view.sql 'CREATE OR REPLACE VIEW v AS SELECT count(*) + 200 AS n FROM rt;\n'
if hold_lock rep "$FLYWAY_KEY"; then pass "flyway repeatable race: a session holds $FLYWAY_KEY"; else fail "flyway repeatable race: a session holds $FLYWAY_KEY"; fi
start_dbready "flyway repeatable race: the waiting runner" run --url "$URL" --dir "$R" --timeout 30s --lock-timeout 30s
for i in $(seq 1 100); do
	grep -q 'waiting for the migration lock' "$RUN_ERR" 2>/dev/null && break
	sleep 0.1
done
assert_contains "$RUN_ERR" 'waiting for the migration lock'
q main rep "SET ROLE app; CREATE OR REPLACE VIEW v AS SELECT count(*) + 200 AS n FROM rt; INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (6, NULL, 'view', 'SQL', 'R__view.sql', $(crc_of "$R/R__view.sql"), 'other', 1, true)" >/dev/null
release_lock "$FLYWAY_KEY"
finish_dbready 0 40
assert_contains "$RUN_ERR" 'the history changed while waiting for the migration lock'
assert_contains "$RUN_TERMLOG" 'ok: nothing to apply'
check "flyway repeatable race: R__view recorded once more (by the other runner), not twice" \
	test "$(q main rep "SELECT count(*) || '/' || max(installed_rank) FROM flyway_schema_history WHERE script = 'R__view.sql'")" = "3/6"

mkmig "$T/repdup" R__x.sql 'SELECT 1;\n'
mkmig "$T/repdup" R__x.SQL 'SELECT 1;\n'
run_dbready "flyway repeatable: two files of one description" 6 check --url "$URL" --dir "$T/repdup"
assert_contains "$RUN_ERR" 'have the same description'

# --- names ----------------------------------------------------------------------------------------
mkmig "$T/dup" V1__a.sql 'SELECT 1;\n'
mkmig "$T/dup" V1.0__b.sql 'SELECT 1;\n'
run_dbready "flyway: versions 1 and 1.0 are one version" 6 check --url "$URL" --dir "$T/dup"
assert_contains "$RUN_ERR" 'have the same version'
mkmig "$T/badname" V1__a.sql 'SELECT 1;\n'
mkmig "$T/badname" V1.x__b.sql 'SELECT 1;\n'
run_dbready "flyway: V1.x__b.sql is not a valid name" 6 check --url "$URL" --dir "$T/badname"
assert_contains "$RUN_ERR" 'is not a valid Flyway migration name'

# --- the environment: FLYWAY_URL, FLYWAY_TABLE, FLYWAY_SCHEMAS -----------------------------------
URL=$(new_db envcfg)
q main envcfg "CREATE SCHEMA ops AUTHORIZATION app" >/dev/null
FLYWAY_URL=$URL FLYWAY_TABLE=my_history \
	run_dbready "flyway env: FLYWAY_URL, FLYWAY_TABLE=my_history" 0 run --dir "$S" --timeout 20s
check "flyway env: public.my_history holds 5 rows, no public.flyway_schema_history" \
	test "$(q main envcfg "SELECT count(*) FROM public.my_history")/$(exists envcfg flyway_schema_history)" = "5/f"
check "flyway env: the pk and index carry the table's name" \
	test "$(q main envcfg "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname LIKE 'my_history%'")" = "my_history,my_history_pk,my_history_s_idx"
URL=$(new_db envjdbc)
q main envjdbc "CREATE SCHEMA ops AUTHORIZATION app" >/dev/null
mkmig "$T/jdbc" V1__who.sql 'CREATE TABLE who (u text DEFAULT '"'"'${flyway:user}@${flyway:database}'"'"');\n'
FLYWAY_URL="jdbc:postgresql://127.0.0.1:$(pg_port main)/envjdbc?ApplicationName=flyway&prepareThreshold=0" \
	FLYWAY_USER=app FLYWAY_PASSWORD=$CANARY FLYWAY_DEFAULT_SCHEMA=ops FLYWAY_SCHEMAS=ops,public \
	run_dbready "flyway env: a JDBC FLYWAY_URL, FLYWAY_USER, FLYWAY_PASSWORD, FLYWAY_DEFAULT_SCHEMA=ops" 0 run --dir "$T/jdbc" --timeout 20s
check "flyway env: ops.flyway_schema_history holds the row, installed_by app" \
	test "$(q main envjdbc "SELECT installed_by || '/' || script FROM ops.flyway_schema_history")/$(exists envjdbc flyway_schema_history)" = "app/V1__who.sql/f"
check "flyway env: \${flyway:user}@\${flyway:database} from FLYWAY_USER and the JDBC URL" \
	test "$(q main envjdbc "SELECT column_default FROM information_schema.columns WHERE table_name = 'who'")" = "'app@envjdbc'::text"
check "flyway env: FLYWAY_DEFAULT_SCHEMA=ops leads the search_path: who is ops.who" \
	test "$(q main envjdbc "SELECT table_schema FROM information_schema.tables WHERE table_name = 'who'")" = ops

# FLYWAY_SCHEMAS without FLYWAY_DEFAULT_SCHEMA: the first is the default schema (Flyway's
# schemas[0]); DbSchemas.create() makes the missing ones and addSchemasMarker() records them
# (rank 0, "<< Flyway Schema Creation >>", type SCHEMA, script "a","b" as Schema.toString()
# quotes them, checksum NULL, execution_time 0); PostgreSQLConnection.changeCurrentSchemaTo()
# sets search_path to "first",<as it was> (set_config, comma without a space)
URL=$(new_db envschemas)
mkmig "$T/schemas" V1__here.sql 'CREATE TABLE here (sp text DEFAULT current_setting('"'"'search_path'"'"'));\nINSERT INTO here DEFAULT VALUES;\n'
FLYWAY_SCHEMAS='sales, Extra' run_dbready "flyway env: FLYWAY_SCHEMAS=sales,Extra (neither exists)" 0 run --url "$URL" --dir "$T/schemas" --timeout 20s
check "flyway env: sales.flyway_schema_history, both schemas made" \
	test "$(exists envschemas sales.flyway_schema_history)/$(q main envschemas "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname IN ('sales', 'Extra')")" = "t/Extra,sales"
check "flyway env: the schema marker row, then V1 at rank 1" \
	test "$(q main envschemas "SELECT installed_rank || '|' || COALESCE(version, '-') || '|' || description || '|' || type || '|' || script || '|' || COALESCE(checksum::text, 'NULL') || '|' || execution_time || '|' || success FROM sales.flyway_schema_history ORDER BY installed_rank" | tr '\n' ';')" \
	= '0|-|<< Flyway Schema Creation >>|SCHEMA|"sales","Extra"|NULL|0|true;1|1|here|SQL|V1__here.sql|'"$(crc_of "$T/schemas/V1__here.sql")"'|'"$(q main envschemas "SELECT execution_time FROM sales.flyway_schema_history WHERE installed_rank = 1")"'|true;'
check "flyway env: the migration ran with search_path \"sales\",<as it was>; here is sales.here" \
	test "$(q main envschemas "SELECT sp FROM sales.here")" = '"sales","$user", public'
FLYWAY_SCHEMAS='sales, Extra' run_dbready "flyway env: FLYWAY_SCHEMAS, second run" 0 run --url "$URL" --dir "$T/schemas" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"
# the schema already there: no marker row (none made)
URL=$(new_db envschemas2)
q main envschemas2 "CREATE SCHEMA sales AUTHORIZATION app" >/dev/null
FLYWAY_SCHEMAS=sales run_dbready "flyway env: FLYWAY_SCHEMAS=sales, which exists" 0 run --url "$URL" --dir "$T/schemas" --timeout 20s
check "flyway env: no marker row when no schema was made" \
	test "$(q main envschemas2 "SELECT string_agg(installed_rank || type, ',') FROM sales.flyway_schema_history")" = "1SQL"

# pgjdbc's currentSchema: the session's search_path, its first schema the default schema
URL=$(new_db envcurrent)
q main envcurrent "CREATE SCHEMA cur AUTHORIZATION app" >/dev/null
FLYWAY_URL="jdbc:postgresql://127.0.0.1:$(pg_port main)/envcurrent?currentSchema=cur,public" FLYWAY_USER=app FLYWAY_PASSWORD=$CANARY \
	run_dbready "flyway env: a JDBC URL with currentSchema=cur,public" 0 run --dir "$T/schemas" --timeout 20s
check "flyway env: currentSchema: cur.flyway_schema_history, search_path cur,public" \
	test "$(exists envcurrent cur.flyway_schema_history)/$(q main envcurrent "SELECT sp FROM cur.here")" = "t/cur,public"

# FLYWAY_LOCATIONS: a filesystem: location is the folder when --dir/DBREADY_DIR are not set
URL=$(new_db envloc)
FLYWAY_LOCATIONS="filesystem:$T/schemas" run_dbready "flyway env: FLYWAY_LOCATIONS=filesystem:<dir>" 0 run --url "$URL" --timeout 20s
check "flyway env: FLYWAY_LOCATIONS: V1 applied" test "$(exists envloc here)" = t
FLYWAY_LOCATIONS="classpath:db/migration" run_dbready "flyway env: FLYWAY_LOCATIONS=classpath: is refused" 3 check --url "$URL"
assert_contains "$RUN_ERR" 'FLYWAY_LOCATIONS location "classpath:db/migration" is not a filesystem: location'
FLYWAY_LOCATIONS="db/migration" run_dbready "flyway env: FLYWAY_LOCATIONS without a prefix (classpath) is refused" 3 check --url "$URL"
assert_contains "$RUN_ERR" 'a location without a prefix is a classpath: one'
FLYWAY_LOCATIONS="filesystem:$T/schemas,filesystem:$T/seq" run_dbready "flyway env: two FLYWAY_LOCATIONS are refused" 3 check --url "$URL"
assert_contains "$RUN_ERR" 'FLYWAY_LOCATIONS names more than one location'
FLYWAY_LOCATIONS="classpath:db/migration" run_dbready "flyway env: --dir beats FLYWAY_LOCATIONS" 0 check --url "$URL" --dir "$T/schemas"

# FLYWAY_OUT_OF_ORDER=true: --allow-out-of-order (Flyway's outOfOrder); the flag beats it
URL=$(new_db envooo)
flyway_history envooo 1 3
FLYWAY_OUT_OF_ORDER=false run_dbready "flyway env: FLYWAY_OUT_OF_ORDER=false: V2 out of order is refused" 6 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_ERR" "older than the newest applied one"
FLYWAY_OUT_OF_ORDER=true run_dbready "flyway env: FLYWAY_OUT_OF_ORDER=true, --allow-out-of-order=false beats it" 6 run --url "$URL" --dir "$S" --timeout 20s --allow-out-of-order=false
FLYWAY_OUT_OF_ORDER=maybe run_dbready "flyway env: FLYWAY_OUT_OF_ORDER=maybe is refused" 2 check --url "$URL" --dir "$S"
assert_contains "$RUN_ERR" 'invalid boolean "maybe" for FLYWAY_OUT_OF_ORDER'
FLYWAY_OUT_OF_ORDER=true run_dbready "flyway env: FLYWAY_OUT_OF_ORDER=true applies V2, V4, V5" 0 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 3 migrations"
check "flyway env: FLYWAY_OUT_OF_ORDER: V2 at rank 3" test "$(rows envooo | cut -d';' -f3)" = "3|2|t2|SQL|V2__t2.sql|1"

# FLYWAY_VALIDATE_ON_MIGRATE=false: Flyway then migrates past an edited file; dbready has no
# switch to accept an edited migration, so it still refuses, and says so
URL=$(new_db envvalidate)
flyway_history envvalidate 1
cp -r "$S" "$T/seq_edited"
printf 'CREATE TABLE t1 (id int); -- edited\n' >"$T/seq_edited/V1__t1.sql"
FLYWAY_VALIDATE_ON_MIGRATE=false run_dbready "flyway env: FLYWAY_VALIDATE_ON_MIGRATE=false, an edited file" 6 run --url "$URL" --dir "$T/seq_edited" --timeout 20s
assert_contains "$RUN_ERR" "FLYWAY_VALIDATE_ON_MIGRATE=false: dbready still refuses a migration edited after it was applied"

# --- a schema that is not empty and has no history table: refused, or baselined -------------
# Flyway.migrate() (flyway-core .../Flyway.java): no history table and a non-empty schema ->
# "Found non-empty schema(s) ... but no schema history table. Use baseline() or set
# baselineOnMigrate to true"; with baselineOnMigrate, doBaseline(): the table is created
# with Database.getBaselineStatement() (flyway-core .../database/base/Database.java):
# installed_rank 1, version = baselineVersion (default "1", FlywayModel.java),
# description and script "<< Flyway Baseline >>", type BASELINE, checksum NULL,
# execution_time 0, success true; migrations at or below it are not applied. All schemas
# empty: no baseline ("a baseline marker will not be added").
baseline_db() { # baseline_db DB [SQL]: a fresh database whose public schema holds t1 and t2
	local url
	url=$(new_db "$1")
	q main "$1" "SET ROLE app; ${2:-CREATE TABLE t1 (id int); CREATE TABLE t2 (id int)}" >/dev/null
	printf '%s' "$url"
}
# hist DB: rank|version|description|type|script|checksum|installed_by|execution_time|success
hist() {
	q main "$1" "SELECT installed_rank || '|' || version || '|' || description || '|' || type || '|' || script || '|' || COALESCE(checksum::text, 'NULL') || '|' || installed_by || '|' || execution_time || '|' || success FROM flyway_schema_history ORDER BY installed_rank" | tr '\n' ';'
}
URL=$(baseline_db base_refused)
run_dbready "flyway baseline: a non-empty schema without history is refused" 6 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_ERR" 'is not empty (2 objects) and has no flyway history table'
assert_contains "$RUN_ERR" 'FLYWAY_BASELINE_ON_MIGRATE=true'
check "flyway baseline: refused: no history table, t3 not created" \
	test "$(exists base_refused flyway_schema_history)/$(exists base_refused t3)" = "f/f"
URL=$(baseline_db base_two)
FLYWAY_BASELINE_ON_MIGRATE=true FLYWAY_BASELINE_VERSION=2 \
	run_dbready "flyway baseline: FLYWAY_BASELINE_ON_MIGRATE=true, FLYWAY_BASELINE_VERSION=2" 0 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 3 migrations (t3..t5)"
et() { q main "$1" "SELECT execution_time FROM flyway_schema_history WHERE installed_rank = $2"; }
check "flyway baseline: row 1 is Flyway's baseline at 2, then 3..5" \
	test "$(hist base_two)" = "1|2|<< Flyway Baseline >>|BASELINE|<< Flyway Baseline >>|NULL|app|0|true;2|3|t3|SQL|V3__t3.sql|$(crc_of "$S/V3__t3.sql")|app|$(et base_two 2)|true;3|4|t4|SQL|V4__t4.sql|$(crc_of "$S/V4__t4.sql")|app|$(et base_two 3)|true;4|5|t5|SQL|V5__t5.sql|$(crc_of "$S/V5__t5.sql")|app|$(et base_two 4)|true;"
run_dbready "flyway baseline: then, without the variables, nothing to apply" 0 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"
run_dbready "flyway baseline: status: 1 and 2 baselined, nothing unknown" 0 status --url "$URL" --dir "$S"
assert_contains "$RUN_OUT" "3 applied, 0 pending, 0 changed, 0 out of order, 0 unknown"
assert_matches "$RUN_OUT" 'baselined +t1'
run_dbready "flyway baseline: status --json" 0 status --json --url "$URL" --dir "$S"
assert_matches "$RUN_OUT" '"state":[[:space:]]*"baselined"'
URL=$(baseline_db base_default 'CREATE TABLE t1 (id int)')
FLYWAY_BASELINE_ON_MIGRATE=true run_dbready "flyway baseline: the default version is 1" 0 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 4 migrations (t2..t5)"
check "flyway baseline: default: baseline 1, then V2" \
	test "$(rows base_default | cut -d';' -f1-2)" = "1|1|<< Flyway Baseline >>|BASELINE|<< Flyway Baseline >>|1;2|2|t2|SQL|V2__t2.sql|1"
URL=$(new_db base_empty)
FLYWAY_BASELINE_ON_MIGRATE=true run_dbready "flyway baseline: an empty schema is not baselined" 0 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 5 migrations"
check "flyway baseline: empty schema: no BASELINE row" \
	test "$(q main base_empty "SELECT count(*) FROM flyway_schema_history WHERE type = 'BASELINE'")" = 0
FLYWAY_BASELINE_ON_MIGRATE=true FLYWAY_BASELINE_VERSION=1.x \
	run_dbready "flyway baseline: FLYWAY_BASELINE_VERSION=1.x is refused" 3 check --url "$URL" --dir "$S"
assert_contains "$RUN_ERR" "FLYWAY_BASELINE_VERSION is not a Flyway version"
FLYWAY_BASELINE_ON_MIGRATE=maybe run_dbready "flyway baseline: FLYWAY_BASELINE_ON_MIGRATE=maybe is refused" 2 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_ERR" 'invalid boolean "maybe" for FLYWAY_BASELINE_ON_MIGRATE'
# a baseline row Flyway wrote (flyway baseline -baselineVersion=3): 1..3 baselined, 4, 5 applied
URL=$(baseline_db base_flyway)
{
	printf 'SET ROLE app;\n%s\n' "$FLYWAY_DDL"
	printf "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (1, '3', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'app', 0, true);\n"
} | q main base_flyway "$(cat)" >/dev/null
run_dbready "flyway baseline: a baseline row Flyway wrote at 3" 0 run --url "$URL" --dir "$S" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 2 migrations (t4..t5)"
check "flyway baseline: ranks 2, 3 are V4, V5" test "$(rows base_flyway | cut -d';' -f2-3)" = "2|4|t4|SQL|V4__t4.sql|1;3|5|t5|SQL|V5__t5.sql|1"

# --- Flyway's lock: a session holding the key makes dbready wait --------------------------------
URL=$(new_db lock)
if hold_lock lock "$FLYWAY_KEY"; then pass "flyway lock: a session holds $FLYWAY_KEY"; else fail "flyway lock: a session holds $FLYWAY_KEY"; fi
run_dbready "flyway lock: held -> lock timeout" 8 run --url "$URL" --dir "$S" --timeout 20s --lock-timeout 1s
check "flyway lock: nothing applied while held" test "$(exists lock t1)" = f
release_lock "$FLYWAY_KEY"
run_dbready "flyway lock: applied after the release" 0 run --url "$URL" --dir "$S" --timeout 20s --lock-timeout 5s
check "flyway lock: 5 rows" test "$(q main lock "SELECT count(*) FROM flyway_schema_history")" = 5
# a custom table's key: ops.my_history
CUSTOM_KEY=$(lock_key ops my_history)
check "flyway lock: ops.my_history's key is $CUSTOM_KEY (python: 77429916882164)" test "$CUSTOM_KEY" = 77429916882164
URL=$(new_db lock2)
q main lock2 "CREATE SCHEMA ops AUTHORIZATION app" >/dev/null
if hold_lock lock2 "$CUSTOM_KEY"; then pass "flyway lock: a session holds $CUSTOM_KEY"; else fail "flyway lock: a session holds $CUSTOM_KEY"; fi
run_dbready "flyway lock: custom table held -> lock timeout" 8 run --url "$URL" --dir "$S" --history-table ops.my_history --timeout 20s --lock-timeout 1s
release_lock "$CUSTOM_KEY"
check "flyway lock: no advisory lock left" test "$(advisory_locks)" = 0

# --- kestra in its native Flyway layout -----------------------------------------------------------
if [ -d "$CORPORA/kestra/migrations" ]; then
	URL=$(new_db kestra)
	run_dbready "flyway corpus: kestra, --format=auto" 0 run -v --url "$URL" --dir "$CORPORA/kestra/migrations" --timeout 60s
	assert_contains "$RUN_ERR" "is named as a Flyway migration"
	assert_contains "$RUN_TERMLOG" "ok: applied 26 migrations"
	check "flyway corpus: kestra: 26 rows, 1.10 after 1.9 (rank 10)" \
		test "$(q main kestra "SELECT count(*) || '/' || (SELECT installed_rank FROM flyway_schema_history WHERE version = '1.10') FROM flyway_schema_history")" = "26/10"
	schema_matches "flyway corpus: kestra: schema equals expected-schema.sql" kestra \
		"$CORPORA/kestra/expected-schema.sql" -T public.flyway_schema_history
	run_dbready "flyway corpus: kestra, second run" 0 run --url "$URL" --dir "$CORPORA/kestra/migrations" --timeout 30s
	assert_contains "$RUN_TERMLOG" "ok: nothing to apply"
else
	say "# SKIP corpora: set DBREADY_CORPORA (no $CORPORA/kestra)"
fi

# --- 5,000 migrations, per migration and in one transaction ---------------------------------------
MANY=$T/many
mkmig "$MANY" V1__log.sql 'CREATE TABLE log (n int PRIMARY KEY);\n'
for i in $(seq 2 5000); do
	printf 'INSERT INTO log VALUES (%d);\n' "$i" >"$MANY/V1_${i}__m$i.sql"
done
for mode in per-migration all; do
	URL=$(new_db "many_$mode")
	run_dbready "flyway 5000: --tx=$mode" 0 run --url "$URL" --dir "$MANY" --timeout 180s --tx "$mode"
	check "flyway 5000 --tx=$mode: ranks 1..5000, 1.5000 last, 4999 log rows" \
		test "$(q main "many_$mode" "SELECT count(*) || '/' || max(installed_rank) || '/' || (SELECT version FROM flyway_schema_history ORDER BY installed_rank DESC LIMIT 1) FROM flyway_schema_history")/$(q main "many_$mode" 'SELECT count(*) FROM log')" = "5000/5000/1.5000/4999"
done

harness_finish
