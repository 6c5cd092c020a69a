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
#   (e) a table still in drizzle-orm 0.x's shape is refused (exit 6) and left as it is;
#       drizzle-orm 1.x upgrades it, after which dbready applies nothing
#   (f) 5,000 synthetic migrations, per migration and --tx=all; drizzle-orm then applies none
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

# --- (e) a table in drizzle-orm 0.x's shape ------------------------------------------------------
new_db up >/dev/null
# drizzle-orm 1.x applies the first migration, then the table is taken back to drizzle-orm
# 0.x's shape and row (tests/drizzle, drizzle_compat.sh: id, hash, created_at; created_at = the
# 0.x journal's "when", here 123 ms past the folder's second, as drizzle-kit up names it)
orm up "$D/prefix1" orm-up1.log || fail "drizzle-1: migrate() applies the first to UP"
qa up "ALTER TABLE drizzle.__drizzle_migrations DROP COLUMN name, DROP COLUMN applied_at; UPDATE drizzle.__drizzle_migrations SET created_at = created_at + 123" >/dev/null
dump up >"$CMP/up.before"
run_dbready "drizzle-1: a 0.x-shaped table: refused" 6 run --dir "$MIG" --url "$(url up)" --timeout 30s
assert_contains "$RUN_ERR" "0.x's columns"
assert_contains "$RUN_ERR" "drizzle-kit migrate"
same "drizzle-1: a 0.x-shaped table is left as it is" "$CMP/up.before" <(dump up)
if orm up "$MIG" orm-up.log; then pass "drizzle-1: drizzle-orm 1.x upgrades the 0.x table and applies the rest"; else
	fail "drizzle-1: drizzle-orm 1.x upgrades the 0.x table and applies the rest"
	diag_file orm-up.log "$NODE_OUT/orm-up.log"
fi
run_dbready "drizzle-1: after drizzle-orm's upgrade dbready applies nothing" 0 run --dir "$MIG" --url "$(url up)" --timeout 30s
assert_contains "$RUN_ERR" "nothing to apply"

# --- (f) 5,000 migrations ------------------------------------------------------------------------
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
