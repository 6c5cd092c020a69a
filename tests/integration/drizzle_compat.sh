#!/usr/bin/env bash
# drizzle_compat.sh - dbready is a drop-in for `drizzle-kit migrate` (formats.md, drizzle): the
# real drizzle-kit (pinned in tests/drizzle/package-lock.json) generates a folder at test time
# from tests/drizzle/schemas/v1..v3.ts plus one hand-filled custom migration, then:
#   (a) dbready applies it to A, after which drizzle-orm's migrator (drizzle-orm/node-postgres
#       migrate(), what `drizzle-kit migrate` runs) and the drizzle-kit CLI apply nothing;
#       drizzle-orm alone on B ends in the same history rows, id sequence and pg_dump; status
#       --json says applied; dbready after drizzle-orm applies nothing; --tx=all ends the same
#   (b) drizzle-orm applies the first k (1..3), dbready exactly the rest, ending as B
#   (c) hashes = drizzle-orm's for non-ASCII text, CRLF and no final newline, and for invalid
#       UTF-8 (U+FFFD per maximal subpart) and a byte-order mark, checked with node's own
#       crypto over fs.readFileSync().toString(); invalid UTF-8 applies as drizzle-orm does
#   (d) a folder generated with breakpoints off (one multi-statement query for drizzle-orm,
#       dollar-quoted bodies with semicolons) ends the same with both
#
# Needs node and npm (tests/drizzle is installed with `npm ci` from the npm registry): their
# absence is a failure, not a skip.
. "$(dirname "$0")/../lib/harness.sh"

DZ=$REPO_ROOT/tests/drizzle
NODE_OUT=$T/node # everything node/npm wrote (run.sh scans it for the canary too)
CMP=$T/cmp       # query results and dumps compared below
mkdir -p "$NODE_OUT" "$CMP"

# --- node, npm and the pinned packages ---------------------------------------------------------
missing=
command -v node >/dev/null 2>&1 || missing="$missing node"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	fail "drizzle: node and npm are installed" "missing:$missing (PATH=$PATH)" \
		"drizzle-kit and drizzle-orm run on Node.js >= 18 with npm: as root run" \
		"\"apt-get install -y nodejs npm\" (or make deps), or put node and npm on PATH"
	harness_finish
fi

NPM_START=$SECONDS
if (cd "$DZ" && npm ci --no-audit --no-fund) </dev/null >"$NODE_OUT/npm-ci.log" 2>&1; then
	pass "drizzle: npm ci in tests/drizzle from package-lock.json ($((SECONDS - NPM_START)) s)"
else
	fail "drizzle: npm ci in tests/drizzle from package-lock.json" \
		"npm ci failed (the npm registry must be reachable, or its packages in npm's cache)"
	diag_file npm-ci.log "$NODE_OUT/npm-ci.log"
	harness_finish
fi

# the installed versions are the pinned ones, and the pins are exact
for pkg in drizzle-kit drizzle-orm pg; do
	pinned=$(node -p "require('$DZ/package.json').dependencies['$pkg']")
	installed=$(node -p "JSON.parse(require('fs').readFileSync('$DZ/node_modules/$pkg/package.json')).version" 2>&1)
	check "drizzle: $pkg pinned exactly ($pinned) and installed as $installed" \
		test "$installed" = "$pinned" -a -n "$(printf '%s' "$pinned" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$')"
done

# node_run LOG COMMAND...: run in tests/drizzle (drizzle-kit resolves configs and schemas
# from there), output appended to $NODE_OUT/LOG with a header line.
node_run() {
	local log=$NODE_OUT/$1
	shift
	printf '$ %s\n' "$*" >>"$log"
	(cd "$DZ" && "$@") </dev/null >>"$log" 2>&1
	local rc=$?
	printf '# exit %s\n' "$rc" >>"$log"
	return "$rc"
}

# --- generate the folder with the real drizzle-kit -------------------------------------------
MIG=$T/gen/migrations
mkdir -p "$T/gen"
export DRIZZLE_OUT=$MIG
gen_ok=1
for step in "v1" "v2" "custom" "v3"; do
	if [ "$step" = custom ]; then
		args=(generate --config configs/v2.config.ts --custom --name nonascii_custom)
	else
		args=(generate --config "configs/$step.config.ts")
	fi
	if node_run generate.log ./node_modules/.bin/drizzle-kit "${args[@]}"; then
		pass "drizzle: drizzle-kit ${args[*]}"
	else
		gen_ok=0
		fail "drizzle: drizzle-kit ${args[*]}"
		diag_file generate.log "$NODE_OUT/generate.log"
	fi
done

# the journal's tags, in journal order, and their "when"
python3 - "$MIG/meta/_journal.json" >"$CMP/journal.tsv" 2>&1 <<'PY' || gen_ok=0
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
for e in j["entries"]:
    print("%s\t%d" % (e["tag"], e["when"]))
PY
mapfile -t TAGS < <(cut -f1 "$CMP/journal.tsv")
N=${#TAGS[@]}
check "drizzle: the generated journal has 4 entries (3 generated, 1 custom): ${TAGS[*]}" test "$N" -eq 4
check "drizzle: every journal entry has its .sql file" \
	bash -c 'for t in "${@:2}"; do test -f "$1/$t.sql" || { echo "missing $t.sql"; exit 1; }; done' _ "$MIG" "${TAGS[@]}"
check "drizzle: journal \"when\" values strictly increase" \
	bash -c 'sort -k2,2n -c "$1" && test "$(cut -f2 "$1" | sort -u | wc -l)" -eq "$(wc -l <"$1")"' _ "$CMP/journal.tsv"
[ "$N" -eq 4 ] || gen_ok=0
if [ "$gen_ok" != 1 ]; then
	harness_finish
fi
FIRST=${TAGS[0]}
LAST=${TAGS[N - 1]}
CUSTOM=${TAGS[2]}
CUSTOM_SQL=$MIG/$CUSTOM.sql
# what the schemas were written to exercise is really in the generated SQL
has_sql() { cat "$MIG"/*.sql | grep -qF -- "$1"; }
for needle in 'CREATE TYPE "public"."role" AS ENUM' 'FOREIGN KEY ("author_id") REFERENCES' \
	'CREATE INDEX "posts_author_idx"' "DEFAULT 'café ☕'" "ADD VALUE 'guest'" \
	'PRIMARY KEY("post_id","user_id")'; do
	check "drizzle: the generated SQL has: $needle" has_sql "$needle"
done
check "drizzle: drizzle-kit generate --custom wrote its placeholder to $CUSTOM.sql" \
	grep -q '^-- Custom SQL migration file, put your code below! --' "$CUSTOM_SQL"

# Fill the custom migration by hand: non-ASCII in comments, COMMENT ON, defaults and data, one
# CRLF line, a dollar-quoted string, breakpoints, and no newline at the end of the file.
{
	printf '%s\n' '-- Custom SQL migration file, put your code below! --'
	printf '%s\n' '-- Hand-written: non-ASCII everywhere (naïve café ☕, Grüße, 日本語, 🐘), CRLF on the next line,'
	printf '%s\r\n' '-- and no newline at the end of the file.'
	printf '%s\n' "COMMENT ON TABLE \"posts\" IS 'Beiträge – café ☕ 🐘';--> statement-breakpoint"
	printf '%s\n' "COMMENT ON COLUMN \"posts\".\"title\" IS 'Überschrift (日本語: 題名)';--> statement-breakpoint"
	printf '%s\n' "CREATE TABLE \"tags\" (\"name\" text PRIMARY KEY, \"label\" text NOT NULL DEFAULT 'étiquette ✓');--> statement-breakpoint"
	printf '%s' "INSERT INTO \"tags\" (\"name\", \"label\") VALUES ('ñandú', 'Ñandú 🐦'), ('straße', \$q\$it's \"quoted\" ☕\$q\$)"
} >"$CUSTOM_SQL"
check "drizzle: $CUSTOM.sql ends without a newline" test "$(tail -c 1 "$CUSTOM_SQL" | od -An -tx1 | tr -d ' ')" = 29
check "drizzle: $CUSTOM.sql has non-ASCII bytes and a CRLF" \
	bash -c 'LC_ALL=C grep -qP "[\x80-\xff]" "$1" && LC_ALL=C grep -qP "\r$" "$1"' _ "$CUSTOM_SQL"
cp -r "$MIG" "$T/gen/as-generated" # for a look with KEEP_TMP=1

# --- servers and databases ---------------------------------------------------------------------
pg_start main || true
pg_create_app main app a || true
DBS="b a_all c1 c2 c3 inv_orm inv_dbr bom nobp_orm nobp_dbr"
for db in $DBS; do
	echo "CREATE DATABASE \"$db\" OWNER app;"
done | pg_sql main || true
PORT=$(pg_port main)
url() { pg_url app "$CANARY" "$1" main; }

# q DB SQL: one query as app, unaligned, to stdout
q() {
	PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$PORT" -U app -d "$1" -c "$2" 2>&1
}
# history DB: the rows as drizzle-orm wrote them (the text compared between databases)
history() {
	q "$1" 'SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id'
}
# seqstate DB: the id sequence, so that the next id drizzle-orm hands out matches too
seqstate() {
	q "$1" 'SELECT last_value, is_called FROM drizzle.__drizzle_migrations_id_seq'
}
# dump DB: pg_dump --schema-only of the whole database (the drizzle schema and table too),
# without pg_dump's random per-run \restrict/\unrestrict key lines
dump() {
	PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/pg_dump" --schema-only \
		-h 127.0.0.1 -p "$PORT" -U app -d "$1" 2>&1 | grep -Ev '^\\(un)?restrict '
}
# orm_migrate DB FOLDER LOG: drizzle-orm's migrator
orm_migrate() {
	DATABASE_URL=$(url "$1") node_run "$3" node scripts/migrate.mjs "$2"
}
# hash_of FILE: drizzle-orm's hash of a file, computed by node (scripts/hash.mjs)
hash_of() {
	(cd "$DZ" && node scripts/hash.mjs "$1") | cut -d' ' -f1
}
# same NAME A B: the two files are identical (the diff is the diagnostic)
same() {
	check "$1" diff -u "$2" "$3"
}

# --- (a) dbready first, then drizzle-orm sees nothing pending; drizzle-orm alone on B ---------
run_dbready "drizzle: dbready run applies the generated folder to A" 0 run --dir "$MIG" \
	--url "$(url a)" --timeout 30s
assert_contains "$RUN_ERR" "applied $N migrations ($FIRST..$LAST)"
history a >"$CMP/a.history"
seqstate a >"$CMP/a.seq"
dump a >"$CMP/a.dump"
check "drizzle: A has $N history rows after dbready" test "$(grep -c . "$CMP/a.history")" -eq "$N"
check "drizzle: pg_dump of A has drizzle.__drizzle_migrations" grep -q 'CREATE TABLE drizzle.__drizzle_migrations' "$CMP/a.dump"

if orm_migrate a "$MIG" orm-a.log; then
	pass "drizzle: drizzle-orm migrate() on A after dbready exits 0"
else
	fail "drizzle: drizzle-orm migrate() on A after dbready exits 0"
	diag_file orm-a.log "$NODE_OUT/orm-a.log"
fi
history a >"$CMP/a.history.orm"
dump a >"$CMP/a.dump.orm"
seqstate a >"$CMP/a.seq.orm"
same "drizzle: drizzle-orm migrate() after dbready applies nothing (history rows unchanged)" \
	"$CMP/a.history" "$CMP/a.history.orm"
same "drizzle: drizzle-orm migrate() after dbready applies nothing (pg_dump unchanged)" \
	"$CMP/a.dump" "$CMP/a.dump.orm"
same "drizzle: drizzle-orm migrate() after dbready inserts nothing (id sequence unchanged)" \
	"$CMP/a.seq" "$CMP/a.seq.orm"

# the drizzle-kit CLI itself (config: configs/migrate.config.ts)
if DATABASE_URL=$(url a) node_run kit-migrate-a.log ./node_modules/.bin/drizzle-kit migrate \
	--config configs/migrate.config.ts; then
	pass "drizzle: drizzle-kit migrate on A after dbready exits 0"
else
	fail "drizzle: drizzle-kit migrate on A after dbready exits 0"
	diag_file kit-migrate-a.log "$NODE_OUT/kit-migrate-a.log"
fi
history a >"$CMP/a.history.kit"
dump a >"$CMP/a.dump.kit"
same "drizzle: drizzle-kit migrate after dbready applies nothing (history rows unchanged)" \
	"$CMP/a.history" "$CMP/a.history.kit"
same "drizzle: drizzle-kit migrate after dbready applies nothing (pg_dump unchanged)" \
	"$CMP/a.dump" "$CMP/a.dump.kit"

# B: drizzle-orm alone
if orm_migrate b "$MIG" orm-b.log; then
	pass "drizzle: drizzle-orm migrate() applies the folder to a fresh B"
else
	fail "drizzle: drizzle-orm migrate() applies the folder to a fresh B"
	diag_file orm-b.log "$NODE_OUT/orm-b.log"
fi
history b >"$CMP/b.history"
seqstate b >"$CMP/b.seq"
dump b >"$CMP/b.dump"
check "drizzle: B has $N history rows after drizzle-orm" test "$(grep -c . "$CMP/b.history")" -eq "$N"
same "drizzle: history rows (id, hash, created_at) of A (dbready) and B (drizzle-orm) are identical" \
	"$CMP/b.history" "$CMP/a.history"
same "drizzle: pg_dump --schema-only of A (dbready) and B (drizzle-orm) are identical" \
	"$CMP/b.dump" "$CMP/a.dump"
same "drizzle: the history id sequence of A and B is in the same state" "$CMP/b.seq" "$CMP/a.seq"
q a 'SELECT name, label FROM tags ORDER BY name' >"$CMP/a.tags"
q b 'SELECT name, label FROM tags ORDER BY name' >"$CMP/b.tags"
same "drizzle: the custom migration's non-ASCII rows are identical in A and B" "$CMP/b.tags" "$CMP/a.tags"
check "drizzle: the non-ASCII rows arrived intact" grep -qx "straße|it's \"quoted\" ☕" "$CMP/a.tags"

# --tx=all (every pending migration in one transaction, as drizzle-orm does) ends the same
run_dbready "drizzle: dbready run --tx=all applies the folder to a fresh database" 0 run --tx=all \
	--dir "$MIG" --url "$(url a_all)"
history a_all >"$CMP/a_all.history"
dump a_all >"$CMP/a_all.dump"
seqstate a_all >"$CMP/a_all.seq"
same "drizzle: --tx=all: history rows = drizzle-orm's (B)" "$CMP/b.history" "$CMP/a_all.history"
same "drizzle: --tx=all: pg_dump = drizzle-orm's (B)" "$CMP/b.dump" "$CMP/a_all.dump"
same "drizzle: --tx=all: id sequence state = drizzle-orm's (B)" "$CMP/b.seq" "$CMP/a_all.seq"

# status --json after dbready: every migration applied (and the same for drizzle-orm's B)
# status_all_applied JSON: every entry of the journal is in migrations[] with state applied
status_all_applied() {
	python3 - "$1" "$CMP/journal.tsv" <<-'PY'
		import json, sys
		s = json.load(open(sys.argv[1], encoding="utf-8"))
		tags = [l.split("\t")[0] for l in open(sys.argv[2], encoding="utf-8").read().splitlines()]
		names = [m["name"] for m in s["migrations"]]
		assert names == tags, "migrations %r != journal %r" % (names, tags)
		bad = [(m["name"], m["state"]) for m in s["migrations"] if m["state"] != "applied"]
		assert not bad, "not applied: %r" % bad
		c = s["counts"]
		want = {"applied": len(tags), "pending": 0, "changed": 0, "out_of_order": 0, "unknown": 0}
		assert all(c.get(k) == v for k, v in want.items()), "counts %r, want %r" % (c, want)
		assert s["format"] == "drizzle", s["format"]
		assert s["history_table"] == '"drizzle"."__drizzle_migrations"', s["history_table"]
	PY
}
for db in a b; do
	run_dbready "drizzle: status --json on $db" 0 status --json --dir "$MIG" --url "$(url "$db")"
	check "drizzle: status --json on $db: every migration is \"applied\"" status_all_applied "$RUN_OUT"
done

# dbready after drizzle-orm (B) applies nothing either
run_dbready "drizzle: dbready run on B after drizzle-orm" 0 run --dir "$MIG" --url "$(url b)"
assert_not_contains "$RUN_ERR" "applying "
history b >"$CMP/b.history.dbready"
same "drizzle: dbready run after drizzle-orm applies nothing (history rows unchanged)" \
	"$CMP/b.history" "$CMP/b.history.dbready"

# --- (b) drizzle-orm applies the first k, dbready exactly the rest -------------------------------
for k in 1 2 3; do
	db=c$k
	part=$T/gen/first-$k
	rm -rf "$part"
	cp -r "$MIG" "$part"
	node_run journal-head.log node scripts/journal-head.mjs "$part/meta/_journal.json" "$k" ||
		fail "drizzle: cut the journal to $k entries"
	if orm_migrate "$db" "$part" "orm-$db.log"; then
		pass "drizzle: drizzle-orm migrate() applies the first $k of $N to $db"
	else
		fail "drizzle: drizzle-orm migrate() applies the first $k of $N to $db"
		diag_file "orm-$db.log" "$NODE_OUT/orm-$db.log"
	fi
	check "drizzle: $db has $k history rows after drizzle-orm" test "$(history "$db" | grep -c .)" -eq "$k"

	run_dbready "drizzle: dbready run on the full folder after drizzle-orm applied $k" 0 run \
		--dir "$MIG" --url "$(url "$db")"
	printf '%s\n' "${TAGS[@]:k}" >"$CMP/$db.expected-applied"
	sed -n 's/^dbready: info: applying \(.*\)$/\1/p' "$RUN_ERR" >"$CMP/$db.applied"
	same "drizzle: after $k by drizzle-orm, dbready applied exactly ${TAGS[*]:k}" \
		"$CMP/$db.expected-applied" "$CMP/$db.applied"
	assert_contains "$RUN_ERR" "applied $((N - k)) migration"
	history "$db" >"$CMP/$db.history"
	dump "$db" >"$CMP/$db.dump"
	seqstate "$db" >"$CMP/$db.seq"
	same "drizzle: $db (drizzle-orm $k, then dbready) has B's history rows" "$CMP/b.history" "$CMP/$db.history"
	same "drizzle: $db (drizzle-orm $k, then dbready) has B's pg_dump" "$CMP/b.dump" "$CMP/$db.dump"
	same "drizzle: $db (drizzle-orm $k, then dbready) has B's id sequence state" "$CMP/b.seq" "$CMP/$db.seq"
done

# --- (c) hashes: non-ASCII, CRLF, no final newline; invalid UTF-8 and a byte-order mark ---------
CUSTOM_WHEN=$(sed -n "3p" "$CMP/journal.tsv" | cut -f2)
NODE_HASH=$(hash_of "$CUSTOM_SQL")
check "drizzle: node hashed $CUSTOM.sql" test "${#NODE_HASH}" -eq 64
A_HASH=$(q a "SELECT hash FROM drizzle.__drizzle_migrations WHERE created_at = $CUSTOM_WHEN")
B_HASH=$(q b "SELECT hash FROM drizzle.__drizzle_migrations WHERE created_at = $CUSTOM_WHEN")
check "drizzle: $CUSTOM.sql (non-ASCII, CRLF, no final newline): dbready's row hash ($A_HASH) = drizzle-orm's ($B_HASH)" \
	test "$A_HASH" = "$B_HASH" -a -n "$A_HASH"
check "drizzle: $CUSTOM.sql: dbready's row hash = node's sha256 of the decoded file ($NODE_HASH)" \
	test "$A_HASH" = "$NODE_HASH"

# A folder written the way drizzle-kit writes one (journal version 7), with files that are not
# valid UTF-8: drizzle-orm hashes (and sends) them decoded, each invalid sequence as U+FFFD.
BAD=$T/gen/bad-utf8
mkdir -p "$BAD/meta"
cat >"$BAD/meta/_journal.json" <<'EOF'
{
  "version": "7",
  "dialect": "postgresql",
  "entries": [
    {
      "idx": 0,
      "version": "7",
      "when": 1700000000000,
      "tag": "0000_bom_invalid",
      "breakpoints": true
    },
    {
      "idx": 1,
      "version": "7",
      "when": 1700000000001,
      "tag": "0001_invalid_edges",
      "breakpoints": true
    }
  ]
}
EOF
# a UTF-8 BOM, then bytes that are never valid (FF FE), a broken 2-byte sequence, a lone
# continuation byte, Latin-1 é
printf '\xef\xbb\xbf-- a BOM, then invalid UTF-8: \xff \xfe \xc3( \x80 caf\xe9\nCREATE TABLE "bom" ("id" integer);' \
	>"$BAD/0000_bom_invalid.sql"
# U+FFFD per maximal subpart (WHATWG, as node decodes): truncated 3- and 4-byte sequences (one
# each), an overlong encoding, a surrogate, a code point above U+10FFFF, a 5-byte form (one per
# byte), continuation bytes, and a sequence cut off by the end of the file
printf -- '-- truncated \xe2\x82 x \xf0\x9f\x98 x; overlong \xc0\xaf; surrogate \xed\xa0\x80; big \xf4\x90\x80\x80; five \xf8\x88\x80\x80\x80; cont \xbf\xbf; fine \xe2\x98\x95\nCREATE TABLE "edges" ("note" text DEFAULT '"'"'x\xe9y'"'"');\n-- cut off: \xf0\x9f' \
	>"$BAD/0001_invalid_edges.sql"
run_dbready "drizzle: status --json on a folder with a BOM and invalid UTF-8" 0 status --json \
	--dir "$BAD" --url "$(url bom)"
for tag in 0000_bom_invalid 0001_invalid_edges; do
	f=$BAD/$tag.sql
	want=$(hash_of "$f")
	raw=$(sha256sum "$f" | cut -d' ' -f1)
	got=$(python3 -c 'import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))
print(" ".join(m["hash"] for m in s["migrations"] if m["name"] == sys.argv[2]))' "$RUN_OUT" "$tag" 2>&1)
	check "drizzle: $tag.sql is a real test: node's hash of the decoded text differs from the raw bytes' sha256" \
		test "$want" != "$raw" -a "${#want}" -eq 64
	check "drizzle: $tag.sql: status --json migrations[].hash ($got) = node's createHash(readFileSync().toString()) ($want)" \
		test "$got" = "$want"
done

# dbready applies the BOM file (the BOM is not sent, formats.md) and records node's hashes
run_dbready "drizzle: dbready run on the BOM / invalid UTF-8 folder" 0 run --dir "$BAD" --url "$(url bom)"
(cd "$DZ" && node scripts/hash.mjs "$BAD/0000_bom_invalid.sql" "$BAD/0001_invalid_edges.sql") |
	awk 'BEGIN { t[0] = "1700000000000"; t[1] = "1700000000001" } { print NR "|" $1 "|" t[NR - 1] }' \
		>"$CMP/bom.expected"
history bom >"$CMP/bom.history"
same "drizzle: BOM / invalid UTF-8 folder: the rows carry node's hashes" "$CMP/bom.expected" "$CMP/bom.history"

# invalid UTF-8 without a BOM: drizzle-orm sends the decoded text (U+FFFD) and succeeds, and so
# must dbready, ending in the same rows and schema
INV=$T/gen/invalid-only
mkdir -p "$INV/meta"
printf '%s' '{"version":"7","dialect":"postgresql","entries":[{"idx":0,"version":"7","when":1700000000000,"tag":"0000_invalid","breakpoints":true}]}' \
	>"$INV/meta/_journal.json"
cp "$BAD/0001_invalid_edges.sql" "$INV/0000_invalid.sql"
if orm_migrate inv_orm "$INV" orm-inv.log; then
	pass "drizzle: drizzle-orm migrate() applies a file with invalid UTF-8 (as U+FFFD)"
else
	fail "drizzle: drizzle-orm migrate() applies a file with invalid UTF-8 (as U+FFFD)"
	diag_file orm-inv.log "$NODE_OUT/orm-inv.log"
fi
run_dbready "drizzle: dbready run applies the same invalid UTF-8 file" 0 run --dir "$INV" --url "$(url inv_dbr)"
history inv_orm >"$CMP/inv_orm.history"
history inv_dbr >"$CMP/inv_dbr.history"
dump inv_orm >"$CMP/inv_orm.dump"
dump inv_dbr >"$CMP/inv_dbr.dump"
same "drizzle: invalid UTF-8 file: dbready's history rows = drizzle-orm's" "$CMP/inv_orm.history" "$CMP/inv_dbr.history"
same "drizzle: invalid UTF-8 file: dbready's pg_dump = drizzle-orm's (U+FFFD in the default)" \
	"$CMP/inv_orm.dump" "$CMP/inv_dbr.dump"

# --- (d) breakpoints off: drizzle-orm sends the file as one query, dbready splits it itself ------
NOBP=$T/gen/no-breakpoints
if DRIZZLE_OUT=$NOBP node_run generate.log ./node_modules/.bin/drizzle-kit generate \
	--config configs/v3-nobreakpoints.config.ts; then
	pass "drizzle: drizzle-kit generate with breakpoints: false"
else
	fail "drizzle: drizzle-kit generate with breakpoints: false"
	diag_file generate.log "$NODE_OUT/generate.log"
fi
NOBP_SQL=$(ls "$NOBP"/*.sql 2>/dev/null | head -n 1)
# plus bodies a naive splitter would cut at their semicolons (appended by hand, no breakpoints)
printf '\n%s\n%s' \
	'CREATE FUNCTION "greet"(n text) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN '"'"'¡hola, '"'"' || n || '"'"';'"'"'; END $$;' \
	'DO $do$ BEGIN IF (SELECT count(*) FROM "users") > 0 THEN RAISE EXCEPTION '"'"'¿users?; %'"'"', 1; END IF; END $do$;' \
	>>"${NOBP_SQL:-/dev/null}"
check "drizzle: breakpoints off: one file, no statement-breakpoint, several statements" \
	bash -c 'test -f "$1" && ! grep -q "statement-breakpoint" "$1" && test "$(grep -c ";$" "$1")" -ge 5' _ "$NOBP_SQL"
if orm_migrate nobp_orm "$NOBP" orm-nobp.log; then
	pass "drizzle: breakpoints off: drizzle-orm migrate() applies it"
else
	fail "drizzle: breakpoints off: drizzle-orm migrate() applies it"
	diag_file orm-nobp.log "$NODE_OUT/orm-nobp.log"
fi
run_dbready "drizzle: breakpoints off: dbready run applies it" 0 run --dir "$NOBP" --url "$(url nobp_dbr)"
history nobp_orm >"$CMP/nobp_orm.history"
history nobp_dbr >"$CMP/nobp_dbr.history"
dump nobp_orm >"$CMP/nobp_orm.dump"
dump nobp_dbr >"$CMP/nobp_dbr.dump"
same "drizzle: breakpoints off: dbready's history rows = drizzle-orm's" "$CMP/nobp_orm.history" "$CMP/nobp_dbr.history"
same "drizzle: breakpoints off: dbready's pg_dump = drizzle-orm's" "$CMP/nobp_orm.dump" "$CMP/nobp_dbr.dump"

harness_finish
