#!/usr/bin/env bash
# format_prisma_scale.sh - the prisma format at scale (formats.md, Prisma; split from
# format_prisma.sh so that no file nears run.sh's 600 s limit):
#   (a) 5,000 migrations, per migration and with --tx=all; the real Prisma (tests/prisma,
#       as in format_prisma.sh) then says the database is up to date
#   (b) the umami corpus in its native Prisma layout: the schema equals expected-schema.sql
# Without node/npm or the npm registry the part that needs Prisma is skipped with a "# SKIP"
# line; without the corpora (DBREADY_CORPORA, default ../shared/corpora) the corpus is.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"
. "$(dirname "$0")/../lib/prisma.sh"

pg_start main || harness_finish
pg_create_app main || harness_finish

prisma_setup

# --- (a) 5,000 migrations ---------------------------------------------------------------------
BIG=$D/big
mkdir -p "$BIG"
cp "$FIX/migration_lock.toml" "$BIG/"
python3 - "$BIG" <<'PY'
import os, sys
for i in range(1, 5001):
    d = os.path.join(sys.argv[1], "2024%010d_m%d" % (i, i))
    os.mkdir(d)
    with open(os.path.join(d, "migration.sql"), "w") as f:
        f.write("-- CreateTable\nCREATE TABLE \"t%d\" (\"id\" INTEGER NOT NULL);\n" % i)
PY
for mode in per-migration all; do
	U=$(new_db "big_$mode")
	RUN_LIMIT=300 run_dbready "prisma: 5,000 migrations (--tx=$mode)" 0 run --url "$U" --dir "$BIG" --tx="$mode" --timeout 280s
	assert_contains "$RUN_TERMLOG" "ok: applied 5000 migrations"
	check "prisma: 5,000 (--tx=$mode): 5,000 finished rows, 5,000 tables" \
		test "$(q main "big_$mode" "SELECT count(*) FROM _prisma_migrations WHERE finished_at IS NOT NULL") $(q main "big_$mode" "SELECT count(*) FROM pg_tables WHERE tablename ~ '^t[0-9]+\$'")" = "5000 5000"
done
if [ -n "$PRISMA" ]; then
	prisma_run big.log "$(pg_url app "$CANARY" big_all)" "$BIG" -- migrate status
	check "prisma: 5,000: prisma migrate status after dbready --tx=all: up to date" test $? = 0
fi

# --- (b) the umami corpus, as Prisma keeps it --------------------------------------------------
CORPORA=${DBREADY_CORPORA:-$REPO_ROOT/../shared/corpora}
if [ -d "$CORPORA/umami" ]; then
	URL_U=$(new_db umami)
	run_dbready "prisma: corpus umami (native Prisma layout, 19 migrations)" 0 run --url "$URL_U" \
		--dir "$CORPORA/umami/migrations" -v --timeout 60s
	assert_contains "$RUN_ERR" "prisma format"
	assert_contains "$RUN_TERMLOG" "ok: applied 19 migrations (01_init..19_add_session_replay)"
	schema_matches "prisma: umami: schema equals expected-schema.sql" umami \
		"$CORPORA/umami/expected-schema.sql" --exclude-table=public._prisma_migrations
	run_dbready "prisma: umami, second run" 0 run --url "$URL_U" --dir "$CORPORA/umami/migrations" --timeout 30s
	assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 19 migrations already applied"
else
	say "# SKIP corpora: set DBREADY_CORPORA"
fi

harness_finish
