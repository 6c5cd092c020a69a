#!/usr/bin/env bash
# migrate_corpora.sh - real-world migration folders (../shared/corpora, formats.md,
# behaviour.md §3) applied with `dbready run`: the resulting schema must equal the corpus'
# expected-schema.sql (a plain psql application of the same SQL), and a second run applies
# nothing. The drizzle folders are applied here; the other corpora in their own formats' tests.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

# the real-world corpora beside the checkout (as the Makefile), or DBREADY_CORPORA
CORPORA=${DBREADY_CORPORA:-$REPO_ROOT/../shared/corpora}
[ -d "$CORPORA" ] ||
	harness_skip "corpora: $CORPORA does not exist (set DBREADY_CORPORA to the real-world corpora)"

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

# harbor (golang-migrate), openfga (goose), kestra (flyway) and umami (prisma) are applied in
# their own formats by format_golang_migrate.sh, format_goose.sh, format_flyway.sh and
# format_prisma_scale.sh

harness_finish
