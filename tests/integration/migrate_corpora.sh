#!/usr/bin/env bash
# migrate_corpora.sh - real-world migration folders (../shared/corpora, formats.md,
# behaviour.md §3) applied with `dbready run`: the resulting schema must equal the corpus'
# expected-schema.sql (a plain psql application of the same SQL), and a second run applies
# nothing. drizzle folders are used as they are; the prisma corpus (a format still to come) is
# turned into a plain folder (<n>_<name>.sql, n NOT zero-padded, so that numeric order is
# what makes 10 come after 9).
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

# the real-world corpora beside the checkout (as the Makefile), or DBREADY_CORPORA
CORPORA=${DBREADY_CORPORA:-$REPO_ROOT/../shared/corpora}
[ -d "$CORPORA" ] ||
	harness_skip "corpora: $CORPORA does not exist (set DBREADY_CORPORA to the real-world corpora)"

# schema_matches NAME DB EXPECTED [PG_DUMP_ARGS...]: pg_dump --schema-only of DB equals
# EXPECTED, ignoring the "Dumped from/by" version comments and \restrict/\unrestrict lines
normalize_dump() {
	grep -vE '^-- Dumped (from|by) ' "$1" | grep -vE '^\\(un)?restrict( |$)'
}
schema_matches() {
	local name=$1 db=$2 expected=$3
	shift 3
	mkdir -p "$T/dumps"
	local dump=$T/dumps/$db.sql
	if ! PGPASSWORD=$CANARY "$PG_BIN/pg_dump" --schema-only --no-owner --no-privileges \
		-h 127.0.0.1 -p "$(pg_port main)" -U postgres "$@" -d "$db" -f "$dump" \
		2>"$T/dumps/$db.err"; then
		fail "$name" "pg_dump failed"
		diag_file pg_dump.err "$T/dumps/$db.err"
		return
	fi
	if [ ! -s "$expected" ]; then
		fail "$name" "no expected schema at $expected"
		return
	fi
	if diff -u <(normalize_dump "$expected") <(normalize_dump "$dump") >"$T/dumps/$db.diff"; then
		pass "$name"
	else
		fail "$name" "pg_dump differs from $expected ($(grep -c '^[-+][^-+]' "$T/dumps/$db.diff") lines):"
		head -n 40 "$T/dumps/$db.diff" | redact | sed -e 's/^/#     /'
	fi
}

pg_start main || true
pg_create_app main || true

# --- drizzle folders, as they are ------------------------------------------------------------

# dokploy: 186 journal entries plus 0130_abandoned_dagger.sql, which the journal does not
# name: it must be ignored with a warning (applying it breaks 0158 later)
new_db dokploy >/dev/null || true
DOKPLOY_URL=$(pg_url app "$CANARY" dokploy)
run_dbready "corpora: dokploy (drizzle, 186 migrations)" 0 run --url "$DOKPLOY_URL" \
	--dir "$CORPORA/dokploy/migrations" --timeout 30s
assert_matches "$RUN_ERR" 'warn.*0130_abandoned_dagger\.sql'
assert_contains "$RUN_ERR" "not in meta/_journal.json"
assert_contains "$RUN_TERMLOG" "ok: applied 186 migrations (0000_reflective_puck..0185_"
say "# dokploy: applied in $RUN_MS ms"
check "corpora: dokploy: 186 history rows, 186 distinct created_at" \
	test "$(q main dokploy 'SELECT count(*), count(DISTINCT created_at) FROM drizzle.__drizzle_migrations')" = "186|186"
check "corpora: dokploy: the orphan file was not applied (0158 added customEntrypoint once)" \
	test "$(q main dokploy "SELECT count(*) FROM information_schema.columns WHERE table_name = 'domain' AND column_name = 'customEntrypoint'")" = 1
# the hash is drizzle-orm's: SHA-256 of the file's bytes (all of dokploy's files are UTF-8)
first_hash=$(sha256sum "$CORPORA/dokploy/migrations/0000_reflective_puck.sql" | cut -d' ' -f1)
check "corpora: dokploy: 0000's row carries the file's SHA-256 and the journal's when" \
	test "$(q main dokploy 'SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id LIMIT 1')" = "$first_hash|1713262741218"
schema_matches "corpora: dokploy: schema equals expected-schema.sql" dokploy \
	"$CORPORA/dokploy/expected-schema.sql" --exclude-schema=drizzle

run_dbready "corpora: dokploy, second run" 0 run --url "$DOKPLOY_URL" \
	--dir "$CORPORA/dokploy/migrations" --timeout 30s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"
assert_not_contains "$RUN_ERR" "info: applying "
check "corpora: dokploy, second run: still 186 rows" \
	test "$(q main dokploy 'SELECT count(*) FROM drizzle.__drizzle_migrations')" = 186

new_db fixture >/dev/null || true
FIXTURE_URL=$(pg_url app "$CANARY" fixture)
run_dbready "corpora: drizzle-orm-fixture (drizzle, 2 migrations)" 0 run --url "$FIXTURE_URL" \
	--dir "$CORPORA/drizzle-orm-fixture/migrations" --timeout 30s
assert_contains "$RUN_TERMLOG" "ok: applied 2 migrations"
schema_matches "corpora: drizzle-orm-fixture: schema equals expected-schema.sql" fixture \
	"$CORPORA/drizzle-orm-fixture/expected-schema.sql" --exclude-schema=drizzle
run_dbready "corpora: drizzle-orm-fixture, second run" 0 run --url "$FIXTURE_URL" \
	--dir "$CORPORA/drizzle-orm-fixture/migrations" --timeout 30s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply"

# --- other tools' folders as plain folders, built here ---------------------------------------
# build_plain CORPUS OUT: <n>_<name>.sql files (n without leading zeros) holding each
# migration's up SQL, in the corpus tool's order
build_plain() {
	python3 - "$CORPORA/$1/migrations" "$2" "$1" <<'PY'
import os, re, sys
src, out, corpus = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
def copy(n, name, text):
    with open(os.path.join(out, "%d_%s.sql" % (n, name)), "w", encoding="utf-8") as f:
        f.write(text)
def read(p):
    with open(p, encoding="utf-8") as f:
        return f.read()
if corpus == "umami":  # prisma: <NN_name>/migration.sql
    for d in sorted(os.listdir(src)):
        p = os.path.join(src, d, "migration.sql")
        if os.path.isfile(p):
            m = re.match(r"(\d+)_(.*)", d)
            copy(int(m.group(1)), m.group(2), read(p))
else:
    sys.exit("unknown corpus " + corpus)
PY
}

# plain_corpus CORPUS COUNT FIRST LAST [SETUP_SQL]: build, apply, compare, run again
plain_corpus() {
	local corpus=$1 count=$2 first=$3 last=$4 setup=${5:-}
	local dir=$T/plain/$corpus
	if ! build_plain "$corpus" "$dir" 2>"$T/plain-$corpus.err"; then
		fail "corpora: build the plain folder for $corpus"
		diag_file build.err "$T/plain-$corpus.err"
		return
	fi
	check "corpora: $corpus: $count plain files built" test "$(ls "$dir" | wc -l)" -eq "$count"
	new_db "$corpus" >/dev/null || true
	[ -n "$setup" ] && q main "$corpus" "$setup" >/dev/null
	local url
	url=$(pg_url app "$CANARY" "$corpus")
	run_dbready "corpora: $corpus (plain, $count migrations)" 0 run --format=plain --url "$url" \
		--dir "$dir" --timeout 30s
	assert_contains "$RUN_TERMLOG" "ok: applied $count migrations ($first..$last)"
	CORPUS_ERR=$RUN_ERR
	check "corpora: $corpus: $count history rows in public.dbready_migrations" \
		test "$(q main "$corpus" 'SELECT count(*) FROM public.dbready_migrations')" = "$count"
	local excl=(--exclude-table=public.dbready_migrations)
	schema_matches "corpora: $corpus: schema equals expected-schema.sql" "$corpus" \
		"$CORPORA/$corpus/expected-schema.sql" "${excl[@]}"
	run_dbready "corpora: $corpus, second run" 0 run --format=plain --url "$url" --dir "$dir" \
		--timeout 30s
	assert_contains "$RUN_TERMLOG" "ok: nothing to apply, $count migrations already applied"
}

# prisma: 01_init .. 19_add_session_replay (pgcrypto is a trusted extension: the owner may)
plain_corpus umami 19 1_init 19_add_session_replay
# harbor (golang-migrate), openfga (goose) and kestra (flyway) are applied in their own
# formats by format_golang_migrate.sh, format_goose.sh and format_flyway.sh

harness_finish
