#!/usr/bin/env bash
# adopt_baseline.sh - adopting a database whose schema was made without its migrations
# (behaviour.md section 7, docs/adopting.md): per format, the first k files are applied with
# psql and no history (drizzle-kit push, a restored dump), then
#   (a) `run` fails at the first "already exists" with a HINT naming --baseline=<k-th> (or
#       refuses first, as Prisma's P3005 and Flyway's non-empty schema check do)
#   (b) `run --baseline=<k-th>` records 1..k as applied without running them, in the format's
#       own rows, and applies exactly k+1..n; the same command again is a no-op ("does
#       nothing") and so the manifest can stay deployed
#   (c) the real tool sees nothing pending afterwards (drizzle-orm 0.x and 1.x migrate(),
#       dbmate, Prisma 6.19.3); after `baseline --to <k-th>` alone, the real tool applies
#       exactly the rest (the rows are the tool's own; Prisma's equal what `prisma migrate
#       resolve --applied` writes); golang-migrate's, goose's and Flyway's rows are
#       asserted literally from their sources:
#         golang-migrate database/postgres/postgres.go SetVersion (TRUNCATE, then one
#           (version, dirty=false) row) - github.com/golang-migrate/migrate v4.18.1
#         goose internal/dialect/dialectquery/postgres.go: the version-0 row at creation,
#           then (version_id, is_applied=true) per migration - github.com/pressly/goose v3
#         Flyway Database.getBaselineStatement: installed_rank 1, type BASELINE,
#           "<< Flyway Baseline >>", checksum NULL (format_flyway.c)
#   (d) `baseline --to` refuses a history with rows (exit 6) unless --force, which records
#       only the missing ones; --dry-run writes nothing; --json's shape; an unknown NAME is
#       refused (exit 2) naming close ones; a new, empty database is not baselined by run
# Without node/npm (or the npm registry) the real-tool parts are skipped with "# SKIP".
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

pg_start main || harness_finish
pg_create_app main || harness_finish
D=$T/dirs
mkdir -p "$D"
NODE_OUT=$T/node
mkdir -p "$NODE_OUT"

# psql_app DB FILE...: apply FILEs as the app role (the owner), no history: a `push`
psql_app() {
	local db=$1
	shift
	local f
	for f in "$@"; do
		PGPASSWORD=$CANARY "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
			-p "$(pg_port main)" -U app -d "$db" -f "$f" >>"$T/pg/main/psql-app.log" 2>&1 ||
			return 1
	done
}

# --- three small folders whose rows are asserted literally -----------------------------------
SQL1='CREATE TABLE users (id int PRIMARY KEY);'
SQL2='CREATE TABLE posts (id int PRIMARY KEY, user_id int);'
SQL3='CREATE INDEX posts_user ON posts (user_id);'
mkdir -p "$D/gm" "$D/goose" "$D/flyway" "$D/plain"
printf '%s\n' "$SQL1" >"$D/gm/1_users.up.sql"
printf '%s\n' "$SQL2" >"$D/gm/2_posts.up.sql"
printf '%s\n' "$SQL3" >"$D/gm/3_posts_user.up.sql"
for i in 1 2 3; do
	v=SQL$i
	printf -- '-- +goose Up\n%s\n' "${!v}" >"$D/goose/0000$i""_m$i.sql"
	printf '%s\n' "${!v}" >"$D/flyway/V$i""__m$i.sql"
	printf '%s\n' "${!v}" >"$D/plain/000$i""_m$i.sql"
done
# the "push": the first two migrations' objects, made without the tool
push2() { psql_app "$1" <(printf '%s\n%s\n' "$SQL1" "$SQL2"); }

# adopt FORMAT DIR TABLE NAME2 SELECT WANT EXIT1 NAME1: (a), (b) and the literal rows. SELECT
# prints the history rows, WANT is what it prints after the baseline run; EXIT1 is the first
# run's exit, whose HINT names --baseline and (NAME1 non-empty) the migration it observed
adopt() {
	local fmt=$1 dir=$2 table=$3 name2=$4 sel=$5 want_after=$6 exit1=$7 name1=$8 db=adopt_$1
	local url
	url=$(new_db "$db")
	push2 "$db"
	run_dbready "$fmt: run on a pushed schema with no history" "$exit1" run --url "$url" \
		--dir "$dir" --timeout 5s
	assert_contains "$RUN_ERR" "--baseline=" "$fmt: the failure names --baseline"
	[ -z "$name1" ] || assert_contains "$RUN_ERR" "created by \"$name1\"" \
		"$fmt: the hint says what was observed (created by \"$name1\")"
	[ -z "$name1" ] || assert_contains "$RUN_ERR" "Check the schema matches" \
		"$fmt: the hint says to check the schema first"
	check "$fmt: nothing recorded by the failed run" test "$(history_count "$db" "$table")" -le 1
	run_dbready "$fmt: run --baseline=$name2" 0 run --url "$url" --dir "$dir" \
		--baseline "$name2" --timeout 5s
	assert_contains "$RUN_ERR" "applied 1 migration"
	check "$fmt: the third migration ran (index posts_user)" \
		test "$(q main "$db" "SELECT to_regclass('public.posts_user') IS NOT NULL")" = t
	local got
	got=$(q main "$db" "$sel")
	check "$fmt: history rows are the tool's own: $(echo "$want_after" | tr '\n' ' ')" \
		test "$got" = "$want_after"
	run_dbready "$fmt: the same run --baseline again is a no-op" 0 run --url "$url" \
		--dir "$dir" --baseline "$name2" --timeout 5s
	assert_contains "$RUN_ERR" "does nothing"
	assert_contains "$RUN_ERR" "nothing to apply"
	check "$fmt: rows unchanged by the second run" test "$(q main "$db" "$sel")" = "$want_after"
}

# golang-migrate: one row, the newest version, dirty false (NAME as a bare version)
adopt golang-migrate "$D/gm" public.schema_migrations 2 \
	"SELECT version || ',' || dirty FROM schema_migrations" "3,false" 7 1_users
# goose: the version-0 row, then one (version, true) row each (NAME as the file's name)
adopt goose "$D/goose" public.goose_db_version 00002_m2 \
	"SELECT version_id || ',' || is_applied FROM goose_db_version ORDER BY id" \
	"$(printf '0,true\n1,true\n2,true\n3,true')" 7 00001_m1
# Flyway: refuses a non-empty schema first; one BASELINE row at 2 (NAME as the file)
adopt flyway "$D/flyway" public.flyway_schema_history V2__m2.sql \
	"SELECT installed_rank || ',' || version || ',' || type || ',' || script || ',' || (checksum IS NULL) || ',' || success FROM flyway_schema_history ORDER BY installed_rank" \
	"$(printf '1,2,BASELINE,<< Flyway Baseline >>,true,true\n2,3,SQL,V3__m3.sql,false,true')" 6 ""
# plain: dbready's own rows
adopt plain "$D/plain" public.dbready_migrations 0002_m2 \
	"SELECT version || ',' || name FROM dbready_migrations ORDER BY version" \
	"$(printf '0001,0001_m1\n0002,0002_m2\n0003,0003_m3')" 7 0001_m1

# --- under the lock: four runs with --baseline at once write the rows once ----------------------
U=$(new_db conc_goose)
push2 conc_goose
pids=()
for i in 1 2 3 4; do
	DATABASE_URL=$U "$DBREADY" run --dir "$D/goose" --baseline 00002_m2 --timeout 10s \
		--termination-log "$T/out/conc-$i.termlog" </dev/null >"$T/out/conc-$i.out" 2>"$T/out/conc-$i.err" &
	pids+=($!)
done
CANARY_RUNS=$((CANARY_RUNS + 1))
rcs=
for p in "${pids[@]}"; do
	wait "$p"
	rcs="$rcs$?"
done
check "four concurrent run --baseline: all exit 0 ($rcs)" test "$rcs" = 0000
check "four concurrent run --baseline: the rows once (0,1,2 recorded, 3 applied)" \
	test "$(q main conc_goose "SELECT string_agg(version_id || ',' || is_applied, ' ' ORDER BY id) FROM goose_db_version")" = "0,true 1,true 2,true 3,true"
check "four concurrent run --baseline: one wrote the baseline, the others did nothing" \
	test "$(cat "$T"/out/conc-*.err | grep -c 'recorded "00002_m2"'),$(cat "$T"/out/conc-*.err | grep -c 'does nothing')" = "1,3"

# --- (d) baseline --to: dry run, JSON, refusal without --force, --force, unknown names ----------
U=$(new_db cmd_plain)
push2 cmd_plain
run_dbready "baseline --to --dry-run --json" 0 baseline --url "$U" --dir "$D/plain" \
	--to 0002_m2 --dry-run --json
check "baseline --dry-run wrote nothing (no history table)" test "$(history_count cmd_plain)" = -1
assert_contains "$RUN_ERR" 'would record "0002_m2"'
check "baseline --dry-run --json: dry_run true, 2 would be recorded" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["dry_run"] is True and [m["name"] for m in j["recorded"]] == ["0001_m1", "0002_m2"], j' "$RUN_OUT"
run_dbready "baseline --to 0002_m2 --json" 0 baseline --url "$U" --dir "$D/plain" \
	--to 0002_m2 --json
check "baseline --json: the documented shape" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert set(j) == {"command", "format", "history_table", "to", "dry_run", "force",
                  "history_rows_before", "recorded", "skipped"}, sorted(j)
assert j["command"] == "baseline" and j["format"] == "plain" and j["to"] == "0002_m2", j
assert j["history_table"] == "\"public\".\"dbready_migrations\"", j
assert j["dry_run"] is False and j["force"] is False and j["history_rows_before"] == 0, j
assert j["recorded"] == [{"name": "0001_m1", "key": "0001", "row": "applied"},
                         {"name": "0002_m2", "key": "0002", "row": "applied"}], j
assert j["skipped"] is None, j' "$RUN_OUT"
assert_contains "$RUN_ERR" 'recorded "0001_m1" (version 0001) as applied without running it'
check "baseline: two rows" test "$(history_count cmd_plain)" = 2
check "baseline: no table was created by it (posts_user absent)" \
	test "$(q main cmd_plain "SELECT to_regclass('public.posts_user') IS NULL")" = t
run_dbready "baseline --to again refuses a history with rows" 6 baseline --url "$U" \
	--dir "$D/plain" --to 0002_m2
assert_contains "$RUN_ERR" "already has 2 rows"
assert_contains "$RUN_ERR" "--force"
run_dbready "run after baseline applies the rest" 0 run --url "$U" --dir "$D/plain" --timeout 5s
assert_contains "$RUN_ERR" "applied 1 migration (0003_m3)"

U=$(new_db force_plain)
push2 force_plain
run_dbready "baseline --to 1 (a key)" 0 baseline --url "$U" --dir "$D/plain" --to 1
check "baseline --to 1: one row" test "$(history_count force_plain)" = 1
run_dbready "baseline --to 0002_m2.sql without --force: refused" 6 baseline --url "$U" \
	--dir "$D/plain" --to 0002_m2.sql
check "the refusal wrote nothing" test "$(history_count force_plain)" = 1
run_dbready "baseline --to 0002_m2.sql --force --json" 0 baseline --url "$U" \
	--dir "$D/plain" --to 0002_m2.sql --force --json
check "--force records only the missing one" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["force"] is True and j["history_rows_before"] == 1, j
assert [m["name"] for m in j["recorded"]] == ["0002_m2"], j' "$RUN_OUT"
check "--force: two rows" test "$(history_count force_plain)" = 2

run_dbready "baseline --to an unknown name: exit 2" 2 baseline --url "$U" --dir "$D/plain" \
	--to 0002_m9
assert_contains "$RUN_ERR" 'names no migration'
assert_contains "$RUN_ERR" '"0002_m2"'
run_dbready "run --baseline=an unknown name: exit 2" 2 run --url "$U" --dir "$D/plain" \
	--baseline nope --timeout 5s
assert_contains "$RUN_ERR" 'Closest:'
run_dbready "baseline without --to: exit 2" 2 baseline --url "$U" --dir "$D/plain"
run_dbready "run --to: exit 2" 2 run --url "$U" --dir "$D/plain" --to 0001_m1
run_dbready "run --force: exit 2" 2 run --url "$U" --dir "$D/plain" --force

U=$(new_db dry_plain)
push2 dry_plain
DBREADY_BASELINE=0002_m2 run_dbready "run --dry-run with DBREADY_BASELINE" 0 run --url "$U" \
	--dir "$D/plain" --dry-run --timeout 5s
check "run --dry-run --baseline wrote nothing" test "$(history_count dry_plain)" = -1
assert_contains "$RUN_ERR" 'would record "0002_m2"'
assert_contains "$RUN_TERMLOG" "1 migration to apply"

U=$(new_db empty_plain)
run_dbready "run --baseline on a new, empty database applies everything" 0 run --url "$U" \
	--dir "$D/plain" --baseline 0002_m2 --timeout 5s
assert_contains "$RUN_ERR" "the schema holds no tables"
assert_contains "$RUN_ERR" "applied 3 migrations"

# --- (c) the real tools: drizzle-orm 0.x and 1.x, dbmate, Prisma --------------------------------
NPM_OK=1
command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1 || NPM_OK=0

# drizzle: tests/fixtures/migrate-drizzle4 (4 migrations), the first two pushed
DZ=$REPO_ROOT/tests/drizzle
DFIX=$REPO_ROOT/tests/fixtures/migrate-drizzle4
DZ_OK=0
if [ "$NPM_OK" = 1 ] && (cd "$DZ" && npm ci --no-audit --no-fund) </dev/null >"$NODE_OUT/npm-ci-drizzle.log" 2>&1; then
	DZ_OK=1
else
	say "# SKIP drizzle-orm: node/npm missing or npm ci in tests/drizzle failed (see $NODE_OUT/npm-ci-drizzle.log)"
fi
orm_migrate() { (cd "$DZ" && DATABASE_URL=$1 node scripts/migrate.mjs "$DFIX") </dev/null >>"$NODE_OUT/drizzle.log" 2>&1; }
dz_rows() { q main "$1" "SELECT count(*) FROM drizzle.__drizzle_migrations"; }
U=$(new_db dz_a)
psql_app dz_a "$DFIX/0000_accounts.sql" "$DFIX/0001_projects.sql"
run_dbready "drizzle: run on a pushed schema" 7 run --url "$U" --dir "$DFIX" --timeout 5s
assert_contains "$RUN_ERR" 'relation "accounts" already exists, created by "0000_accounts"'
assert_contains "$RUN_ERR" "--baseline=0000_accounts"
run_dbready "drizzle: baseline --to 0001_projects" 0 baseline --url "$U" --dir "$DFIX" \
	--to 0001_projects
check "drizzle: two rows (hash, created_at)" test "$(q main dz_a "SELECT string_agg(created_at::text, ',' ORDER BY id) FROM drizzle.__drizzle_migrations")" = "1700000000000,1700000001000"
if [ "$DZ_OK" = 1 ]; then
	check "drizzle: drizzle-orm migrate() after the baseline exits 0" orm_migrate "$U"
	check "drizzle: it applied exactly the other two (4 rows, sessions exists)" \
		test "$(dz_rows dz_a),$(q main dz_a "SELECT to_regclass('public.sessions') IS NOT NULL")" = "4,t"
fi
U=$(new_db dz_b)
psql_app dz_b "$DFIX/0000_accounts.sql" "$DFIX/0001_projects.sql"
run_dbready "drizzle: run --baseline=1700000001000 (created_at)" 0 run --url "$U" --dir "$DFIX" \
	--baseline 1700000001000 --timeout 5s
assert_contains "$RUN_ERR" "applied 2 migrations"
if [ "$DZ_OK" = 1 ]; then
	check "drizzle: drizzle-orm migrate() afterwards exits 0" orm_migrate "$U"
	check "drizzle: and applies nothing (4 rows)" test "$(dz_rows dz_b)" = 4
fi

# drizzle 1.x: <timestamp>_<name>/ folders; drizzle-orm 1.x's migrate() matches rows by name
D1=$D/drizzle1
for i in 1 2 3; do
	v=SQL$i
	mkdir -p "$D1/2024010100000${i}_m$i"
	printf '%s\n' "${!v}" >"$D1/2024010100000${i}_m$i/migration.sql"
	printf '{}\n' >"$D1/2024010100000${i}_m$i/snapshot.json"
done
DZ1=$REPO_ROOT/tests/drizzle1
DZ1_OK=0
if [ "$NPM_OK" = 1 ] && (cd "$DZ1" && npm ci --no-audit --no-fund) </dev/null >"$NODE_OUT/npm-ci-drizzle1.log" 2>&1; then
	DZ1_OK=1
else
	say "# SKIP drizzle-orm 1.x: node/npm missing or npm ci in tests/drizzle1 failed"
fi
orm1_migrate() { (cd "$DZ1" && DATABASE_URL=$1 node scripts/migrate.mjs "$D1") </dev/null >>"$NODE_OUT/drizzle1.log" 2>&1; }
U=$(new_db dz1_a)
push2 dz1_a
run_dbready "drizzle-1: baseline --to 20240101000002_m2" 0 baseline --url "$U" --dir "$D1" \
	--to 20240101000002_m2
check "drizzle-1: two (hash, created_at, name) rows" test "$(q main dz1_a "SELECT string_agg(name || ',' || (length(hash) = 64), ' ' ORDER BY id) FROM drizzle.__drizzle_migrations")" = "20240101000001_m1,true 20240101000002_m2,true"
if [ "$DZ1_OK" = 1 ]; then
	check "drizzle-1: drizzle-orm 1.x migrate() after the baseline exits 0" orm1_migrate "$U"
	check "drizzle-1: it applied exactly the third (3 rows, posts_user exists)" \
		test "$(q main dz1_a "SELECT count(*) FROM drizzle.__drizzle_migrations"),$(q main dz1_a "SELECT to_regclass('public.posts_user') IS NOT NULL")" = "3,t"
fi
U=$(new_db dz1_b)
push2 dz1_b
run_dbready "drizzle-1: run --baseline=20240101000002_m2" 0 run --url "$U" --dir "$D1" \
	--baseline 20240101000002_m2 --timeout 5s
assert_contains "$RUN_ERR" "applied 1 migration"
if [ "$DZ1_OK" = 1 ]; then
	check "drizzle-1: drizzle-orm 1.x migrate() afterwards exits 0" orm1_migrate "$U"
	check "drizzle-1: and applies nothing (3 rows)" \
		test "$(q main dz1_b "SELECT count(*) FROM drizzle.__drizzle_migrations")" = 3
fi

# dbmate: tests/fixtures/dbmate-basic (5 migrations), the first two pushed (up sections)
MFIX=$REPO_ROOT/tests/fixtures/dbmate-basic
DBMATE=
if [ "$NPM_OK" = 1 ] && (cd "$REPO_ROOT/tests/dbmate" && npm ci --no-audit --no-fund) </dev/null >"$NODE_OUT/npm-ci-dbmate.log" 2>&1; then
	cp "$REPO_ROOT/tests/dbmate/node_modules/@dbmate/linux-x64/bin/dbmate" "$NODE_OUT/dbmate-bin" &&
		DBMATE=$NODE_OUT/dbmate-bin
else
	say "# SKIP dbmate: node/npm missing or npm ci in tests/dbmate failed"
fi
dbmate_run() { DATABASE_URL="$1?sslmode=disable" "$DBMATE" --no-dump-schema -d "$MFIX" "${@:2}" </dev/null >>"$NODE_OUT/dbmate.log" 2>&1; }
up_of() { sed -e '/migrate:down/,$d' "$1" >"$2"; }
up_of "$MFIX/20240101000001_create_log.sql" "$T/m1.sql"
up_of "$MFIX/20240101000002_users.sql" "$T/m2.sql"
U=$(new_db dm_a)
psql_app dm_a "$T/m1.sql" "$T/m2.sql"
run_dbready "dbmate: run on a pushed schema" 7 run --url "$U" --dir "$MFIX" --timeout 5s
assert_contains "$RUN_ERR" 'created by "20240101000001_create_log"'
run_dbready "dbmate: baseline --to 20240101000002" 0 baseline --url "$U" --dir "$MFIX" \
	--to 20240101000002
check "dbmate: two version rows" test "$(q main dm_a "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations")" = "20240101000001,20240101000002"
if [ -n "$DBMATE" ]; then
	check "dbmate: dbmate migrate after the baseline exits 0" dbmate_run "$U" migrate
	check "dbmate: it applied exactly the other three (5 rows, each migration's log row once)" \
		test "$(q main dm_a "SELECT count(*) FROM schema_migrations"),$(q main dm_a "SELECT count(*) FROM applied_log")" = "5,4"
fi
U=$(new_db dm_b)
psql_app dm_b "$T/m1.sql" "$T/m2.sql"
run_dbready "dbmate: run --baseline=20240101000002_users" 0 run --url "$U" --dir "$MFIX" \
	--baseline 20240101000002_users --timeout 5s
assert_contains "$RUN_ERR" "applied 3 migrations"
if [ -n "$DBMATE" ]; then
	check "dbmate: dbmate status --exit-code: nothing pending" dbmate_run "$U" status --exit-code
fi

# Prisma: tests/fixtures/prisma-basic (4 migrations), the first two pushed
. "$REPO_ROOT/tests/lib/prisma.sh"
prisma_setup
PFIX=$REPO_ROOT/tests/fixtures/prisma-basic
P1=20240101000000_init
P2=20240102000000_users
U=$(new_db pr_a)
psql_app pr_a "$PFIX/$P1/migration.sql" "$PFIX/$P2/migration.sql"
run_dbready "prisma: run on a pushed schema: P3005" 6 run --url "$U" --dir "$PFIX" --timeout 5s
assert_contains "$RUN_ERR" "P3005"
assert_contains "$RUN_ERR" "--baseline=NAME"
run_dbready "prisma: baseline --to $P2" 0 baseline --url "$U" --dir "$PFIX" --to "$P2"
if [ -n "$PRISMA" ]; then
	# the rows `prisma migrate resolve --applied` writes, on a second pushed database
	UR=$(new_db pr_r)
	psql_app pr_r "$PFIX/$P1/migration.sql" "$PFIX/$P2/migration.sql"
	prisma_run resolve.log "$UR" "$PFIX" -- migrate resolve --applied "$P1"
	prisma_run resolve.log "$UR" "$PFIX" -- migrate resolve --applied "$P2"
	rows pr_r >"$T/rows-resolve"
	rows pr_a >"$T/rows-dbready"
	check "prisma: the rows equal what prisma migrate resolve --applied writes ($(tr '\n' ' ' <"$T/rows-resolve"))" \
		cmp "$T/rows-resolve" "$T/rows-dbready"
	nulls="SELECT string_agg((logs IS NULL)::text, ',' ORDER BY migration_name) FROM _prisma_migrations"
	check "prisma: logs NULL or '' as Prisma writes it ($(q main pr_r "$nulls"))" \
		test "$(q main pr_r "$nulls")" = "$(q main pr_a "$nulls")"
	check "prisma: started_at = finished_at, as Prisma's" test \
		"$(q main pr_a "SELECT bool_and(started_at = finished_at) FROM _prisma_migrations")" = t
	check "prisma: prisma migrate deploy after the baseline exits 0" \
		prisma_run deploy.log "$U" "$PFIX" -- migrate deploy
	check "prisma: it applied exactly the other two (log rows)" \
		test "$(log_rows pr_a)" = "crlf init posts_index users 4"
fi
U=$(new_db pr_b)
psql_app pr_b "$PFIX/$P1/migration.sql" "$PFIX/$P2/migration.sql"
run_dbready "prisma: run --baseline=$P2" 0 run --url "$U" --dir "$PFIX" --baseline "$P2" \
	--timeout 5s
assert_contains "$RUN_ERR" "applied 2 migrations"
if [ -n "$PRISMA" ]; then
	check "prisma: prisma migrate status: up to date" \
		prisma_run status.log "$U" "$PFIX" -- migrate status
fi

# no ERROR in the server log but the expected ones: the "already exists" of the runs that
# fail on purpose, and Prisma's own look at a table it has not created yet (resolve, pr_r)
# shellcheck disable=SC2016 # the inner shell's $1
check "server log: no ERROR but the expected ones" bash -c '! grep "ERROR:" "$1" |
	grep -v -e "already exists" -e "relation \"_prisma_migrations\" does not exist"' _ "$T/pg/main/server.log"

harness_finish
