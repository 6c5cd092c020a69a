#!/usr/bin/env bash
# format_drizzle1.sh - dbready is a drop-in for drizzle-kit 1.x's folders and drizzle-orm 1.x's
# migrate() (formats.md, drizzle 1.x), proven with the real drizzle-kit@1.0.0-rc.5 and
# drizzle-orm@1.0.0-rc.5 (pinned in tests/drizzle1/package-lock.json) on PostgreSQL:
#   (a) drizzle-kit generate writes <timestamp>_<name>/ folders from tests/drizzle1/schemas
#       (plus a custom migration whose name has a space, filled with non-ASCII, CRLF,
#       breakpoints and no final newline); dbready applies them; drizzle-orm's migrate()
#       then applies nothing (rows, id sequence, pg_dump unchanged); drizzle-orm alone on
#       another database ends in the same rows (hash, created_at, name) and pg_dump
#       (whole schema, and pg_dump -t of the history table); --tx=all ends the same
#   (b) prefix and rest both ways: drizzle-orm applies the first k (a copy), dbready the
#       rest; dbready applies the first k, drizzle-orm the rest
#   (c) order: names that differ by case, '_', '-', '.', digits and length are applied in
#       the order JavaScript's localeCompare gives (drizzle-orm and dbready on two
#       databases record the same sequence); a subfolder without migration.sql is skipped;
#       out of order and pending follow that order too (not the names' lengths)
#   (d) --format auto tells drizzle 0.x from 1.x; both layouts in one folder are refused
#       (exit 6, "drizzle-kit up"; also with --format=drizzle or drizzle-1), as drizzle-orm
#       1.x refuses them; --format=drizzle-1 on a
#       0.x folder likewise; a name without 14 leading digits is refused, and so are two
#       names whose order depends on a non-ASCII character
#   (e) a table still in drizzle-orm 0.x's shape: status and --dry-run say it would be
#       upgraded and write nothing; dbready upgrades it as drizzle-orm 1.x does (its twin,
#       upgraded by drizzle-orm, has the same rows and pg_dump but for applied_at's times) and
#       applies the rest, after which migrate() applies nothing; a row matching no folder is
#       refused (exit 6, naming it, nothing written) as drizzle-orm refuses it; five runners
#       upgrading at once: one upgrades, all exit 0, no ERROR in the server log
#   (f) 0.x to 1.x for real: drizzle-kit 0.x (tests/drizzle) generates, dbready --format=drizzle
#       applies three, drizzle-kit up converts the folder, and dbready --format=drizzle-1 and
#       drizzle-orm 1.x each upgrade a twin and apply the fourth, ending alike
#   (g) 5,000 synthetic migrations, per migration and --tx=all; drizzle-orm then applies none
# The DDL and row come from drizzle-orm@1.0.0-rc.5's pg-core/async/session.js (migrate()),
# the folder reading from its migrator.js, the upgrade from up-migrations/pg.js. Without node
# or npm (or the npm registry) the test prints "# SKIP" and stops.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

DZ=$REPO_ROOT/tests/drizzle1
NODE_OUT=$T/node
CMP=$T/cmp
D=$T/dirs
mkdir -p "$NODE_OUT" "$CMP" "$D"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	harness_skip "drizzle-1: node and npm are not installed (drizzle-kit and drizzle-orm 1.x run on them)"
fi
NPM_START=$SECONDS
if ! (cd "$DZ" && npm ci --no-audit --no-fund) </dev/null >"$NODE_OUT/npm-ci.log" 2>&1; then
	harness_skip "drizzle-1: npm ci in tests/drizzle1 failed (the npm registry must be reachable); see $NODE_OUT/npm-ci.log"
fi
pass "drizzle-1: npm ci in tests/drizzle1 from package-lock.json ($((SECONDS - NPM_START)) s)"
for pkg in drizzle-kit drizzle-orm pg; do
	pinned=$(node -p "require('$DZ/package.json').dependencies['$pkg']")
	installed=$(node -p "JSON.parse(require('fs').readFileSync('$DZ/node_modules/$pkg/package.json')).version" 2>&1)
	check "drizzle-1: $pkg pinned exactly ($pinned) and installed as $installed" \
		test "$installed" = "$pinned"
done

# node_run LOG COMMAND...: run in tests/drizzle1, output appended to $NODE_OUT/LOG
node_run() {
	local log=$NODE_OUT/$1
	shift
	printf '$ %s\n' "$*" >>"$log"
	(cd "$DZ" && "$@") </dev/null >>"$log" 2>&1
	local rc=$?
	printf '# exit %s\n' "$rc" >>"$log"
	return "$rc"
}

# --- (a) generate with the real drizzle-kit 1.x ----------------------------------------------
MIG=$D/gen
export DRIZZLE_OUT=$MIG
gen_ok=1
for step in v1 v2 custom v3; do
	if [ "$step" = custom ]; then
		args=(generate --custom --name "hand custom")
		schema=v2
	else
		args=(generate)
		schema=$step
	fi
	if DRIZZLE_SCHEMA=./schemas/$schema.ts node_run generate.log ./node_modules/.bin/drizzle-kit "${args[@]}"; then
		pass "drizzle-1: drizzle-kit ${args[*]} (schema $schema)"
	else
		gen_ok=0
		fail "drizzle-1: drizzle-kit ${args[*]} (schema $schema)"
		diag_file generate.log "$NODE_OUT/generate.log"
	fi
	sleep 1 # drizzle-kit names folders by the second: keep them apart
done
mapfile -t NAMES < <(cd "$MIG" && ls -d -- */ | sed 's:/$::')
N=${#NAMES[@]}
check "drizzle-1: drizzle-kit wrote 4 folders: ${NAMES[*]}" test "$N" -eq 4
check "drizzle-1: each folder has migration.sql and snapshot.json, no meta/_journal.json" \
	bash -c 'for n in "${@:2}"; do test -f "$1/$n/migration.sql" -a -f "$1/$n/snapshot.json" || exit 1; done; test ! -e "$1/meta"' _ "$MIG" "${NAMES[@]}"
[ "$N" -eq 4 ] || gen_ok=0
[ "$gen_ok" = 1 ] || harness_finish
CUSTOM=${NAMES[2]}
check "drizzle-1: the custom folder keeps the name with its space ($CUSTOM)" test "${CUSTOM#*_}" = "hand custom"
{
	printf '%s\n' '-- Custom SQL migration file, put your code below! --'
	printf '%s\r\n' '-- naïve café ☕, 日本語, 🐘; CRLF on this line'
	printf '%s\n' "CREATE TABLE \"tags\" (\"name\" text PRIMARY KEY, \"label\" text NOT NULL DEFAULT 'étiquette ✓');--> statement-breakpoint"
	printf '%s' "INSERT INTO \"tags\" VALUES ('ñandú', \$q\$it's ☕\$q\$)"
} >"$MIG/$CUSTOM/migration.sql"

pg_start main || harness_finish
pg_create_app main || harness_finish
PORT=$(pg_port main)
url() { pg_url app "$CANARY" "$1"; }
qa() { # qa DB SQL: as app
	PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$PORT" -U app -d "$1" -c "$2" 2>&1
}
rows() { qa "$1" 'SELECT hash, created_at, name FROM drizzle.__drizzle_migrations ORDER BY id'; }
rows_all() { qa "$1" 'SELECT id, hash, created_at, name, applied_at FROM drizzle.__drizzle_migrations ORDER BY id'; }
seqstate() { qa "$1" 'SELECT last_value, is_called FROM drizzle.__drizzle_migrations_id_seq'; }
dump() {
	PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/pg_dump" --schema-only -h 127.0.0.1 \
		-p "$PORT" -U app -d "$1" "${@:2}" 2>&1 | grep -Ev '^\\(un)?restrict '
}
orm() { # orm DB FOLDER LOG: drizzle-orm 1.x's migrate()
	DATABASE_URL=$(url "$1") node_run "$3" node scripts/migrate.mjs "$2"
}
same() { check "$1" diff -u "$2" "$3"; }
for db in a b a_all; do new_db "$db" >/dev/null; done

run_dbready "drizzle-1: dbready applies the generated folders to A" 0 run --dir "$MIG" --url "$(url a)" --timeout 30s
assert_contains "$RUN_ERR" "applied $N migrations"
rows_all a >"$CMP/a.all"
seqstate a >"$CMP/a.seq"
dump a >"$CMP/a.dump"
if orm a "$MIG" orm-a.log; then pass "drizzle-1: migrate() on A after dbready exits 0"; else
	fail "drizzle-1: migrate() on A after dbready exits 0"
	diag_file orm-a.log "$NODE_OUT/orm-a.log"
fi
rows_all a >"$CMP/a.all.orm"
same "drizzle-1: migrate() after dbready applies nothing (rows with id and applied_at unchanged)" "$CMP/a.all" "$CMP/a.all.orm"
same "drizzle-1: migrate() after dbready inserts nothing (id sequence unchanged)" "$CMP/a.seq" <(seqstate a)
same "drizzle-1: migrate() after dbready changes nothing (pg_dump unchanged)" "$CMP/a.dump" <(dump a)

if orm b "$MIG" orm-b.log; then pass "drizzle-1: migrate() alone on B exits 0"; else
	fail "drizzle-1: migrate() alone on B exits 0"
	diag_file orm-b.log "$NODE_OUT/orm-b.log"
fi
rows b >"$CMP/b.rows"
dump b >"$CMP/b.dump"
check "drizzle-1: B has $N rows" test "$(grep -c . "$CMP/b.rows")" -eq "$N"
same "drizzle-1: rows (hash, created_at, name) of A (dbready) = B (drizzle-orm)" "$CMP/b.rows" <(rows a)
same "drizzle-1: pg_dump --schema-only of A = B" "$CMP/b.dump" "$CMP/a.dump"
same "drizzle-1: pg_dump -t drizzle.__drizzle_migrations of A = B" <(dump b -t drizzle.__drizzle_migrations) \
	<(dump a -t drizzle.__drizzle_migrations)
check "drizzle-1: the table has name and applied_at (drizzle-orm 1.x's shape)" \
	grep -q 'applied_at timestamp with time zone DEFAULT now()' "$CMP/b.dump"
# created_at = Date.UTC of the name's first 14 digits, computed by node itself
check "drizzle-1: created_at = Date.UTC(first 14 digits of the name)" test "$(rows a | cut -d'|' -f2 | tr '\n' ' ')" = \
	"$(node -e 'for (const n of process.argv.slice(1)) { const s = n.slice(0, 14); process.stdout.write(Date.UTC(+s.slice(0,4), +s.slice(4,6)-1, +s.slice(6,8), +s.slice(8,10), +s.slice(10,12), +s.slice(12,14)) + " ") }' "${NAMES[@]}")"
check "drizzle-1: the hash of the custom file = SHA-256 of its text as node reads it" test \
	"$(rows a | sed -n 3p | cut -d'|' -f1)" = \
	"$(node -e 'const c=require("crypto"),fs=require("fs");process.stdout.write(c.createHash("sha256").update(fs.readFileSync(process.argv[1]).toString()).digest("hex"))' "$MIG/$CUSTOM/migration.sql")"

run_dbready "drizzle-1: --tx=all applies them to A_ALL" 0 run --dir "$MIG" --url "$(url a_all)" --tx=all --timeout 30s
same "drizzle-1: --tx=all: rows = drizzle-orm's" "$CMP/b.rows" <(rows a_all)
same "drizzle-1: --tx=all: pg_dump = drizzle-orm's" "$CMP/b.dump" <(dump a_all)
run_dbready "drizzle-1: dbready again on B (drizzle-orm's) applies nothing" 0 run --dir "$MIG" --url "$(url b)" --timeout 30s
assert_contains "$RUN_ERR" "nothing to apply"

# --- (b) prefix and rest, both ways ------------------------------------------------------------
for k in 1 2 3; do
	P=$D/prefix$k
	mkdir -p "$P"
	for ((i = 0; i < k; i++)); do cp -r "$MIG/${NAMES[i]}" "$P/"; done
	new_db "ob$k" >/dev/null
	new_db "do$k" >/dev/null
	orm "ob$k" "$P" "orm-ob$k.log" || fail "drizzle-1: migrate() applies the first $k"
	run_dbready "drizzle-1: migrate() applied the first $k, dbready the rest" 0 run --dir "$MIG" --url "$(url "ob$k")" --timeout 30s
	assert_contains "$RUN_ERR" "applied $((N - k)) migration"
	same "drizzle-1: migrate() $k + dbready: rows = B's" "$CMP/b.rows" <(rows "ob$k")
	same "drizzle-1: migrate() $k + dbready: pg_dump = B's" "$CMP/b.dump" <(dump "ob$k")
	run_dbready "drizzle-1: dbready applies the first $k" 0 run --dir "$P" --url "$(url "do$k")" --timeout 30s
	if orm "do$k" "$MIG" "orm-do$k.log"; then pass "drizzle-1: dbready $k, then migrate() the rest exits 0"; else
		fail "drizzle-1: dbready $k, then migrate() the rest exits 0"
		diag_file "orm-do$k.log" "$NODE_OUT/orm-do$k.log"
	fi
	same "drizzle-1: dbready $k + migrate(): rows = B's" "$CMP/b.rows" <(rows "do$k")
	same "drizzle-1: dbready $k + migrate(): pg_dump = B's" "$CMP/b.dump" <(dump "do$k")
done

# --- (c) order as localeCompare ----------------------------------------------------------------
O=$D/order
for n in a a_b a1 A_a a-b a.b ab A ab_c 'a b' a_B B b0 a9 a_ ; do
	f="$O/20250101000000_$n"
	mkdir -p "$f"
	printf 'INSERT INTO ord (name) VALUES (%s);\n' "'$n'" >"$f/migration.sql"
	echo '{}' >"$f/snapshot.json"
done
mkdir -p "$O/00000000000000_init" "$O/20250101000001_nothing"
printf 'CREATE TABLE ord (n serial PRIMARY KEY, name text);\n' >"$O/00000000000000_init/migration.sql"
echo '{}' >"$O/00000000000000_init/snapshot.json"
echo '{}' >"$O/20250101000001_nothing/snapshot.json"
new_db ord_orm >/dev/null
new_db ord_dbr >/dev/null
orm ord_orm "$O" orm-ord.log || fail "drizzle-1: migrate() applies the order folder"
run_dbready "drizzle-1: order: dbready applies the same folder" 0 run --dir "$O" --url "$(url ord_dbr)" --timeout 30s
assert_contains "$RUN_ERR" "applied 16 migrations"
check "drizzle-1: order: drizzle-orm applied 16 (the folder without migration.sql skipped)" \
	test "$(qa ord_orm 'SELECT count(*) FROM drizzle.__drizzle_migrations')" = 16
same "drizzle-1: order: the inserts ran in drizzle-orm's order" <(qa ord_orm 'SELECT n, name FROM ord ORDER BY n') \
	<(qa ord_dbr 'SELECT n, name FROM ord ORDER BY n')
same "drizzle-1: order: same rows (created_at of year 0000 too)" <(rows ord_orm) <(rows ord_dbr)

# a new folder with a shorter name than the newest applied one is pending (by localeCompare,
# not by length); one that sorts before the newest applied is out of order (exit 6)
mkdir -p "$O/20250101000002_c" "$O/20250101000000_a0"
printf 'INSERT INTO ord (name) VALUES (%s);\n' "'c'" >"$O/20250101000002_c/migration.sql"
printf 'SELECT 1;\n' >"$O/20250101000000_a0/migration.sql"
echo '{}' | tee "$O/20250101000002_c/snapshot.json" >"$O/20250101000000_a0/snapshot.json"
run_dbready "drizzle-1: order: a folder sorting before the newest applied: out of order" 6 run --dir "$O" --url "$(url ord_dbr)" --timeout 30s
assert_contains "$RUN_ERR" "20250101000000_a0/migration.sql is not applied but is older"
assert_not_contains "$RUN_ERR" "20250101000002_c/migration.sql is not applied"
rm -r "$O/20250101000000_a0"
run_dbready "drizzle-1: order: a newer folder with a shorter name is pending" 0 run --dir "$O" --url "$(url ord_dbr)" --timeout 30s
assert_contains "$RUN_ERR" "applied 1 migration (20250101000002_c)"

# --- (d) which layout ---------------------------------------------------------------------------
OLD=$D/old
mkdir -p "$OLD/meta"
printf 'CREATE TABLE old_t (id int);\n' >"$OLD/0000_old.sql"
printf '{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"7","when":1700000000000,"tag":"0000_old","breakpoints":true}]}\n' >"$OLD/meta/_journal.json"
run_dbready "drizzle-1: detect: a 0.x folder" 0 check --dir "$OLD" --url "$(url a)" -v
assert_contains "$RUN_ERR" "drizzle format"
run_dbready "drizzle-1: detect: a 1.x folder" 0 check --dir "$MIG" --url "$(url a)" -v
assert_contains "$RUN_ERR" "drizzle-1 format"
BOTH=$D/both
cp -r "$MIG" "$BOTH"
cp -r "$OLD/meta" "$OLD/0000_old.sql" "$BOTH/"
new_db both >/dev/null
run_dbready "drizzle-1: both layouts: refused" 6 run --dir "$BOTH" --url "$(url both)" --timeout 30s
assert_contains "$RUN_ERR" "drizzle-kit up"
assert_contains "$RUN_ERR" "both drizzle layouts"
check "drizzle-1: both layouts: nothing created" test "$(exists both drizzle.__drizzle_migrations)" = f
if orm both "$BOTH" orm-both.log; then fail "drizzle-1: drizzle-orm refuses both layouts too"; else
	check "drizzle-1: drizzle-orm refuses both layouts too (drizzle-kit up)" grep -q 'drizzle-kit up' "$NODE_OUT/orm-both.log"
fi
for f in drizzle drizzle-1; do
	run_dbready "drizzle-1: both layouts with --format=$f: refused" 6 run --dir "$BOTH" --url "$(url both)" --format "$f" --timeout 30s
	assert_contains "$RUN_ERR" "drizzle-kit up"
done
run_dbready "drizzle-1: --format=drizzle-1 on a 0.x folder: refused" 6 run --dir "$OLD" --url "$(url both)" --format drizzle-1 --timeout 30s
assert_contains "$RUN_ERR" "drizzle-kit up"
BAD=$D/bad
mkdir -p "$BAD/2025010100000_short"
echo 'SELECT 1;' >"$BAD/2025010100000_short/migration.sql"
echo '{}' >"$BAD/2025010100000_short/snapshot.json"
run_dbready "drizzle-1: a name without 14 leading digits: refused" 6 run --dir "$BAD" --url "$(url both)" --format drizzle-1 --timeout 30s
assert_contains "$RUN_ERR" "2025010100000_short"

U8=$D/nonascii
for n in 'é' 'e'; do
	mkdir -p "$U8/20250101000000_$n"
	echo 'SELECT 1;' >"$U8/20250101000000_$n/migration.sql"
	echo '{}' >"$U8/20250101000000_$n/snapshot.json"
done
run_dbready "drizzle-1: names first differing outside ASCII: refused (order unknown)" 6 run --dir "$U8" --url "$(url both)" --timeout 30s
assert_contains "$RUN_ERR" "cannot order"

# --- (e) a table in drizzle-orm 0.x's shape: upgraded as drizzle-orm 1.x upgrades it ------------
# drizzle-orm 1.x applies the first migration to two twins, then both tables are taken back to
# drizzle-orm 0.x's shape and row (tests/drizzle, drizzle_compat.sh: id, hash, created_at;
# created_at = the 0.x journal's "when", here 123 ms past the folder's second, as drizzle-kit up
# names it); dbready upgrades one, drizzle-orm 1.x (up-migrations/pg.js) the other
# rows_up DB: the rows as the upgrade leaves them (applied_at only NULL or not: it is a time)
rows_up() { qa "$1" 'SELECT id, hash, created_at, name, applied_at IS NULL FROM drizzle.__drizzle_migrations ORDER BY id'; }
# data DB: the history table's schema and rows as pg_dump writes them, applied_at's times out
data() {
	dump "$1" -t drizzle.__drizzle_migrations
	PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/pg_dump" --data-only -h 127.0.0.1 \
		-p "$PORT" -U app -d "$1" -t drizzle.__drizzle_migrations 2>&1 |
		grep -Ev '^\\(un)?restrict ' | sed -E 's/\t[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.+-]+$/\t<time>/'
}
downgrade() { # the table as drizzle-orm 0.x left it
	qa "$1" "ALTER TABLE drizzle.__drizzle_migrations DROP COLUMN name, DROP COLUMN applied_at; UPDATE drizzle.__drizzle_migrations SET created_at = created_at + 123" >/dev/null
}
for db in up up_orm; do
	new_db "$db" >/dev/null
	orm "$db" "$D/prefix1" "orm-$db-1.log" || fail "drizzle-1: migrate() applies the first to $db"
	downgrade "$db"
done
dump up >"$CMP/up.before"
data up >"$CMP/up.data.before"
check "drizzle-1: the table is in 0.x's shape (no name, no applied_at)" \
	test "$(qa up "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'drizzle' AND column_name IN ('name', 'applied_at')")" = 0
run_dbready "drizzle-1: status on a 0.x-shaped table" 0 status --dir "$MIG" --url "$(url up)"
assert_contains "$RUN_OUT" "would upgrade \"drizzle\".\"__drizzle_migrations\" first"
assert_contains "$RUN_OUT" "row id 1: name = ${NAMES[0]}, applied_at = NULL (matched by created_at's second"
assert_contains "$RUN_OUT" "1 applied, 3 pending"
run_dbready "drizzle-1: status --json on a 0.x-shaped table" 0 status --json --dir "$MIG" --url "$(url up)"
check "drizzle-1: status --json: upgrade.rows names the row's id and change" test \
	"$(python3 -c 'import json,sys; u=json.load(open(sys.argv[1]))["upgrade"]; print(len(u["rows"]), u["rows"][0]["id"], u["from"].startswith("drizzle-orm 0.x"))' "$RUN_OUT" 2>&1)" = "1 1 True"
run_dbready "drizzle-1: --dry-run on a 0.x-shaped table" 0 run --dry-run --dir "$MIG" --url "$(url up)" --timeout 30s
assert_contains "$RUN_OUT" "would upgrade \"drizzle\".\"__drizzle_migrations\" first"
assert_contains "$RUN_OUT" "3 migrations to apply"
same "drizzle-1: status and --dry-run leave a 0.x-shaped table as it is (pg_dump)" "$CMP/up.before" <(dump up)
same "drizzle-1: status and --dry-run leave its rows as they are" "$CMP/up.data.before" <(data up)
run_dbready "drizzle-1: a 0.x-shaped table: dbready upgrades it and applies the rest" 0 run --dir "$MIG" --url "$(url up)" --timeout 30s
assert_contains "$RUN_ERR" "upgraded \"drizzle\".\"__drizzle_migrations\" row id 1: name = ${NAMES[0]}, applied_at = NULL"
assert_contains "$RUN_ERR" "applied 3 migrations (${NAMES[1]}..${NAMES[3]})"
if orm up_orm "$MIG" orm-up.log; then pass "drizzle-1: drizzle-orm 1.x upgrades its twin and applies the rest"; else
	fail "drizzle-1: drizzle-orm 1.x upgrades its twin and applies the rest"
	diag_file orm-up.log "$NODE_OUT/orm-up.log"
fi
same "drizzle-1: upgraded by dbready = by drizzle-orm (rows, applied_at NULL or not)" <(rows_up up_orm) <(rows_up up)
same "drizzle-1: upgraded by dbready = by drizzle-orm (pg_dump of the table, its rows)" <(data up_orm) <(data up)
same "drizzle-1: upgraded by dbready = by drizzle-orm (pg_dump --schema-only)" <(dump up_orm) <(dump up)
rows_all up >"$CMP/up.all"
if orm up "$MIG" orm-up-after.log; then pass "drizzle-1: migrate() after dbready's upgrade exits 0"; else
	fail "drizzle-1: migrate() after dbready's upgrade exits 0"
	diag_file orm-up-after.log "$NODE_OUT/orm-up-after.log"
fi
same "drizzle-1: migrate() after dbready's upgrade applies nothing (rows with applied_at unchanged)" "$CMP/up.all" <(rows_all up)
run_dbready "drizzle-1: after drizzle-orm's upgrade dbready applies nothing" 0 run --dir "$MIG" --url "$(url up_orm)" --timeout 30s
assert_contains "$RUN_ERR" "nothing to apply"

# a row that matches no folder: drizzle-orm 1.x refuses to upgrade (and so to migrate), and so
# does dbready, naming the row; nothing is written
for db in unm unm_orm; do
	new_db "$db" >/dev/null
	orm "$db" "$D/prefix1" "orm-$db-1.log" || fail "drizzle-1: migrate() applies the first to $db"
	downgrade "$db"
	qa "$db" "INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('0badc0ffee', 1000000000123)" >/dev/null
done
dump unm >"$CMP/unm.before"
data unm >"$CMP/unm.data.before"
run_dbready "drizzle-1: a 0.x row that matches no folder: refused" 6 run --dir "$MIG" --url "$(url unm)" --timeout 30s
assert_contains "$RUN_ERR" "cannot upgrade \"drizzle\".\"__drizzle_migrations\" from drizzle-orm 0.x's shape: 1 row matches no migration"
assert_contains "$RUN_ERR" "id 2 (created_at 1000000000123, hash 0badc0ffee)"
assert_contains "$RUN_ERR" "Nothing was changed"
assert_not_contains "$RUN_ERR" "upgraded \"drizzle\""
run_dbready "drizzle-1: status on it says so too" 6 status --dir "$MIG" --url "$(url unm)"
assert_contains "$RUN_ERR" "id 2 (created_at 1000000000123"
same "drizzle-1: the refused table is left as it is (pg_dump)" "$CMP/unm.before" <(dump unm)
same "drizzle-1: the refused table's rows are left as they are" "$CMP/unm.data.before" <(data unm)
if orm unm_orm "$MIG" orm-unm.log; then fail "drizzle-1: drizzle-orm 1.x refuses the unmatched row too"; else
	check "drizzle-1: drizzle-orm 1.x refuses the unmatched row too (ids: 2)" grep -q 'do not match any local migration' "$NODE_OUT/orm-unm.log"
	same "drizzle-1: drizzle-orm's refusal writes nothing either" "$CMP/unm.data.before" <(data unm_orm)
fi

# drizzle-orm's matching rules, edge by edge, against drizzle-orm itself: a hand-made 0.x table
# whose rows match by a negative second (created_at -1234: "-1" + "000"), by "-0" (-123), by
# second 0 (created_at 5), between two folders of one second by the hash, by the hash when
# created_at is NULL (the last of two folders with that hash, by millis then name) and when it
# is beyond every folder (19 digits); dbready and drizzle-orm upgrade twins alike. Then one
# row in a second of two folders, with the hash of neither: both refuse (no fallback to the
# hash of a third folder).
E=$D/edges
mk() { mkdir -p "$E/$1" && printf '%s' "$2" >"$E/$1/migration.sql" && echo '{}' >"$E/$1/snapshot.json"; }
mk 19691231235959_neg 'SELECT 1;'
mk 19700101000000_zero 'SELECT 2;'
mk 20250101000000_a 'SELECT 3;'
mk 20250101000000_b 'SELECT 4;'
mk 20250102000000_d 'SELECT 5;'
mk 20250103000000_c 'SELECT 5;'
mk 20250104000000_e 'SELECT 6;'
h() { node -e 'process.stdout.write(require("crypto").createHash("sha256").update(require("fs").readFileSync(process.argv[1]).toString()).digest("hex"))' "$E/$1/migration.sql"; }
OLD_TABLE='CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)'
for db in edge edge_orm; do
	new_db "$db" >/dev/null
	qa "$db" "$OLD_TABLE; INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES
		('$(h 19691231235959_neg)', -1234), ('x', -123), ('$(h 20250101000000_b)', 1735689600500),
		('$(h 20250103000000_c)', NULL), ('$(h 20250101000000_a)', 5),
		('$(h 20250101000000_a)', 9000000000000000000)" >/dev/null
done
# status --json says which folder each row would get (a run would then refuse the rows whose
# hash is not their folder's as changed, which drizzle-orm does not look at)
run_dbready "drizzle-1: matching edges: status --json" 0 status --json --dir "$E" --url "$(url edge)"
python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["upgrade"]["rows"]: print("%s|%s" % (r["id"], r["name"]))' "$RUN_OUT" >"$CMP/edge.dbready" 2>&1
if orm edge_orm "$E" orm-edge.log; then pass "drizzle-1: matching edges: drizzle-orm upgrades"; else
	fail "drizzle-1: matching edges: drizzle-orm upgrades"
	diag_file orm-edge.log "$NODE_OUT/orm-edge.log"
fi
same "drizzle-1: matching edges: the names dbready would give = drizzle-orm's" \
	<(qa edge_orm 'SELECT id, name FROM drizzle.__drizzle_migrations WHERE applied_at IS NULL ORDER BY id') "$CMP/edge.dbready"
check "drizzle-1: matching edges: the names are the expected ones" test \
	"$(cut -d'|' -f2 "$CMP/edge.dbready" | tr '\n' ' ')" = \
	"19691231235959_neg 19700101000000_zero 20250101000000_b 20250103000000_c 19700101000000_zero 20250101000000_a "
for db in tie tie_orm; do
	new_db "$db" >/dev/null
	qa "$db" "$OLD_TABLE; INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ('$(h 20250104000000_e)', 1735689600000)" >/dev/null
done
run_dbready "drizzle-1: two folders in the row's second, neither with its hash: refused" 6 run --dir "$E" --url "$(url tie)" --timeout 30s
assert_contains "$RUN_ERR" "id 1 (created_at 1735689600000"
if orm tie_orm "$E" orm-tie.log; then fail "drizzle-1: drizzle-orm refuses it too"; else
	check "drizzle-1: drizzle-orm refuses it too" grep -q 'do not match any local migration' "$NODE_OUT/orm-tie.log"
fi

# five runners upgrade one table at once: one upgrades, the others find it done; all exit 0,
# and the server logs no error
new_db race >/dev/null
orm race "$D/prefix1" orm-race-1.log || fail "drizzle-1: migrate() applies the first to race"
downgrade race
errors_before=$(server_errors main)
racers 5 "drizzle-1: upgrade race" run --url "$(url race)" --dir "$MIG" --timeout 30s --lock-timeout 60s
upgraders=0 applied=0
for i in 0 1 2 3 4; do
	racer_finish "$i" 0 60
	upgraders=$((upgraders + $(count_matches "$RUN_ERR" 'upgraded "drizzle"."__drizzle_migrations" from')))
	n=$(sed -nE 's/^ok: applied ([0-9]+) migrations? .*/\1/p' "$RUN_TERMLOG" 2>/dev/null)
	applied=$((applied + ${n:-0}))
done
check "drizzle-1: upgrade race: exactly one runner upgraded ($upgraders)" test "$upgraders" -eq 1
check "drizzle-1: upgrade race: the runners applied 3 in all ($applied)" test "$applied" -eq 3
same "drizzle-1: upgrade race: the rows are drizzle-orm's" <(rows_up up_orm) <(rows_up race)
errors=$(($(server_errors main) - errors_before))
check "drizzle-1: upgrade race: no ERROR in the server log ($errors new)" test "$errors" -eq 0

# --- (f) drizzle 0.x to 1.x for real: dbready --format=drizzle, drizzle-kit up, drizzle-1 ------
# drizzle-kit 0.x (tests/drizzle) generates a journal folder, dbready --format=drizzle applies
# its first three migrations; the real drizzle-kit up (1.x) converts the folder; then dbready
# --format=drizzle-1 on one database and drizzle-orm 1.x's migrate() on its twin each upgrade
# the table and apply the fourth, ending alike
DZ0=$REPO_ROOT/tests/drizzle
if ! (cd "$DZ0" && npm ci --no-audit --no-fund) </dev/null >"$NODE_OUT/npm-ci-0.log" 2>&1; then
	say "# SKIP drizzle-1: 0.x to 1.x: npm ci in tests/drizzle failed (see $NODE_OUT/npm-ci-0.log)"
else
	OLD0=$D/old0
	gen0_ok=1
	for step in v1 v2 custom v3; do
		if [ "$step" = custom ]; then
			args=(generate --config configs/v2.config.ts --custom --name hand_custom)
		else
			args=(generate --config "configs/$step.config.ts")
		fi
		(cd "$DZ0" && DRIZZLE_OUT=$OLD0 ./node_modules/.bin/drizzle-kit "${args[@]}") </dev/null >>"$NODE_OUT/generate0.log" 2>&1 || gen0_ok=0
		sleep 1 # drizzle-kit up names folders by the second
	done
	printf '%s\n' "CREATE TABLE \"notes\" (\"body\" text DEFAULT 'café ☕');--> statement-breakpoint" \
		"INSERT INTO \"notes\" VALUES ('ñandú');" >"$OLD0/0002_hand_custom.sql"
	check "drizzle-1: 0.x to 1.x: drizzle-kit 0.x generated 4 migrations" test "$gen0_ok" = 1 -a "$(ls "$OLD0"/*.sql | wc -l)" = 4
	P3=$D/old0_3
	cp -r "$OLD0" "$P3"
	(cd "$DZ0" && node scripts/journal-head.mjs "$P3/meta/_journal.json" 3) || fail "drizzle-1: 0.x to 1.x: journal-head"
	UP1=$D/up1
	cp -r "$OLD0" "$UP1"
	if DRIZZLE_OUT=$UP1 DRIZZLE_SCHEMA=./schemas/v3.ts node_run up.log ./node_modules/.bin/drizzle-kit up; then
		pass "drizzle-1: 0.x to 1.x: drizzle-kit up (1.x) converts the folder"
	else
		fail "drizzle-1: 0.x to 1.x: drizzle-kit up (1.x) converts the folder"
		diag_file up.log "$NODE_OUT/up.log"
	fi
	mapfile -t UPN < <(cd "$UP1" && ls -d -- */ | sed 's:/$::')
	check "drizzle-1: 0.x to 1.x: 4 folders, no journal: ${UPN[*]}" test "${#UPN[@]}" -eq 4 -a ! -e "$UP1/meta"
	for db in k_dbr k_orm; do
		new_db "$db" >/dev/null
		run_dbready "drizzle-1: 0.x to 1.x: dbready --format=drizzle applies 3 to $db" 0 run --format drizzle --dir "$P3" --url "$(url "$db")" --timeout 30s
		assert_contains "$RUN_ERR" "applied 3 migrations"
	done
	data k_dbr >"$CMP/k.data.before"
	run_dbready "drizzle-1: 0.x to 1.x: --dry-run" 0 run --dry-run --dir "$UP1" --url "$(url k_dbr)" --timeout 30s
	assert_contains "$RUN_OUT" "would upgrade \"drizzle\".\"__drizzle_migrations\" first"
	assert_contains "$RUN_OUT" "would apply ${UPN[3]}"
	assert_contains "$RUN_OUT" "1 migration to apply"
	same "drizzle-1: 0.x to 1.x: --dry-run writes nothing" "$CMP/k.data.before" <(data k_dbr)
	run_dbready "drizzle-1: 0.x to 1.x: dbready --format=drizzle-1 upgrades and applies the fourth" 0 run --dir "$UP1" --url "$(url k_dbr)" --timeout 30s
	for i in 0 1 2; do
		assert_contains "$RUN_ERR" "upgraded \"drizzle\".\"__drizzle_migrations\" row id $((i + 1)): name = ${UPN[i]}, applied_at = NULL (matched by created_at's second"
	done
	assert_contains "$RUN_ERR" "applied 1 migration (${UPN[3]})"
	if orm k_orm "$UP1" orm-k.log; then pass "drizzle-1: 0.x to 1.x: migrate() upgrades the twin and applies the fourth"; else
		fail "drizzle-1: 0.x to 1.x: migrate() upgrades the twin and applies the fourth"
		diag_file orm-k.log "$NODE_OUT/orm-k.log"
	fi
	same "drizzle-1: 0.x to 1.x: rows = drizzle-orm's (applied_at NULL for the upgraded rows)" <(rows_up k_orm) <(rows_up k_dbr)
	same "drizzle-1: 0.x to 1.x: pg_dump of the table and its rows = drizzle-orm's" <(data k_orm) <(data k_dbr)
	same "drizzle-1: 0.x to 1.x: pg_dump --schema-only = drizzle-orm's" <(dump k_orm) <(dump k_dbr)
	rows_all k_dbr >"$CMP/k.all"
	seqstate k_dbr >"$CMP/k.seq"
	orm k_dbr "$UP1" orm-k-after.log || fail "drizzle-1: 0.x to 1.x: migrate() after dbready exits 0"
	same "drizzle-1: 0.x to 1.x: migrate() after dbready applies nothing" "$CMP/k.all" <(rows_all k_dbr)
	same "drizzle-1: 0.x to 1.x: migrate() after dbready inserts nothing (id sequence)" "$CMP/k.seq" <(seqstate k_dbr)
	run_dbready "drizzle-1: 0.x to 1.x: dbready again applies nothing" 0 run --dir "$UP1" --url "$(url k_dbr)" --timeout 30s
	assert_contains "$RUN_ERR" "nothing to apply"
	assert_not_contains "$RUN_ERR" "upgraded"
fi

# --- (g) 5,000 migrations ------------------------------------------------------------------------
BIG=$D/big
python3 - "$BIG" <<'EOF'
import os, sys
d = sys.argv[1]
for i in range(5000):
    # one per second from 2025-01-01 00:00:00
    s = 1735689600 + i
    import time
    name = time.strftime("%Y%m%d%H%M%S", time.gmtime(s)) + f"_m{i}"
    os.makedirs(f"{d}/{name}")
    with open(f"{d}/{name}/migration.sql", "w") as f:
        f.write("CREATE TABLE big (n int PRIMARY KEY);" if i == 0 else f"INSERT INTO big VALUES ({i});--> statement-breakpoint\nSELECT 1;")
    with open(f"{d}/{name}/snapshot.json", "w") as f:
        f.write("{}")
EOF
check "drizzle-1: 5,000 folders generated" test "$(ls "$BIG" | wc -l)" = 5000
for mode in per-migration all; do
	db=big_${mode//-/_}
	new_db "$db" >/dev/null
	RUN_LIMIT=300 run_dbready "drizzle-1: 5,000 migrations, --tx=$mode" 0 run --url "$(url "$db")" --dir "$BIG" --tx="$mode" --timeout 60s
	assert_contains "$RUN_TERMLOG" "ok: applied 5000 migrations"
	say "#   5,000 migrations, --tx=$mode: $RUN_MS ms"
	orm "$db" "$BIG" "orm-$db.log" || fail "drizzle-1: migrate() after 5,000 ($mode) exits 0"
	check "drizzle-1: --tx=$mode: migrate() after dbready applies none (5,000 rows, 4,999 in big)" \
		test "$(qa "$db" 'SELECT count(*) FROM drizzle.__drizzle_migrations') $(qa "$db" 'SELECT count(*) FROM big')" = "5000 4999"
done

harness_finish
