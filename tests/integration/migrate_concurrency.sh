#!/usr/bin/env bash
# migrate_concurrency.sh - exactly once, any number of runners (behaviour.md §3): 20 `dbready
# run` processes released at the same moment against one fresh database with the dokploy
# folder (186 migrations) all exit 0, every migration is recorded once, and no advisory lock
# is left; then the same through a real PgBouncer in pool_mode=transaction, where consecutive
# transactions of one client land on different server connections.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

# the real-world corpora beside the checkout (as the Makefile), or DBREADY_CORPORA
CORPORA=${DBREADY_CORPORA:-$REPO_ROOT/../shared/corpora}
[ -d "$CORPORA" ] ||
	harness_skip "corpora: $CORPORA does not exist (set DBREADY_CORPORA to the real-world corpora)"
DOKPLOY=$CORPORA/dokploy/migrations
PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}
RUNNERS=20

# --- many runners at once --------------------------------------------------------------------
# stampede NAME URL DB: RUNNERS `run`s of the dokploy folder released together; asserts exit
# 0 for each, then the history, the logs and pg_locks.
stampede() {
	local name=$1 url=$2 db=$3
	local i errors_before
	errors_before=$(server_errors main)
	racers "$RUNNERS" "$name: runner" run --url "$url" --dir "$DOKPLOY" --timeout 30s \
		--lock-timeout 60s
	local t0=$GATE_T0 dirs=("${RACER_DIRS[@]}")
	for i in $(seq 0 $((RUNNERS - 1))); do
		racer_finish "$i" 0 90
	done
	say "# $name: all $RUNNERS runners done $(($(now_ms) - t0)) ms after the release"

	check "$name: 186 history rows, 186 distinct created_at" \
		test "$(q main "$db" 'SELECT count(*), count(DISTINCT created_at) FROM drizzle.__drizzle_migrations')" = "186|186"
	check "$name: the rows are the journal's, in journal order" \
		test "$(q main "$db" 'SELECT bool_and(created_at > lag_at) FROM (SELECT created_at, lag(created_at, 1, 0::bigint) OVER (ORDER BY id) AS lag_at FROM drizzle.__drizzle_migrations) s')" = t
	local advisory
	advisory=$(q main "$db" "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
	check "$name: no advisory lock left ($advisory)" test "$advisory" = 0
	# every migration was applied by exactly one runner: the runners' "applied X in N ms"
	# lines add up to 186, and the runners' summaries to 186 too
	local applied_lines=0 summed=0 d n
	for d in "${dirs[@]}"; do
		n=$(count_matches "$d/stderr" 'info: applied [0-9]{4}_[^ ]+ in [0-9]+ ms')
		applied_lines=$((applied_lines + n))
		n=$(sed -nE 's/^ok: applied ([0-9]+) migrations? .*/\1/p' "$d/termination-log" 2>/dev/null)
		summed=$((summed + ${n:-0}))
	done
	check "$name: the runners applied 186 migrations in all ($applied_lines applied lines)" \
		test "$applied_lines" -eq 186
	check "$name: the runners' termination logs add up to 186 ($summed)" test "$summed" -eq 186
	check "$name: the runners met (some waited for the lock or found the work done)" \
		test "$(grep -lE 'the history changed|waiting for the migration lock|nothing to apply' "${dirs[@]/%//stderr}" | wc -l)" -ge 1
	local errors
	errors=$(($(server_errors main) - errors_before))
	check "$name: no ERROR in the server log ($errors new)" test "$errors" -eq 0
}

pg_start main max_connections=100 || true
pg_create_app main || true

# --- direct ----------------------------------------------------------------------------------
pg_sql main <<<'CREATE DATABASE direct OWNER app;' || true
stampede "exactly once: $RUNNERS runners, direct" "$(pg_url app "$CANARY" direct)" direct
run_dbready "exactly once, direct: a later run applies nothing" 0 run \
	--url "$(pg_url app "$CANARY" direct)" --dir "$DOKPLOY" --timeout 10s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 186 migrations already applied"

# --- through PgBouncer, pool_mode=transaction ------------------------------------------------
pg_sql main <<<'CREATE DATABASE pooled OWNER app;' || true
if [ -x "$PGBOUNCER" ] && pgb_start pgb main; then
	POOLED_URL="postgres://app:$CANARY@127.0.0.1:$PGB_PORT/pooled?sslmode=disable"
	stampede "exactly once: $RUNNERS runners, PgBouncer transaction mode" "$POOLED_URL" pooled
	run_dbready "exactly once, PgBouncer: a later run applies nothing" 0 run --url "$POOLED_URL" \
		--dir "$DOKPLOY" --timeout 10s
	assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 186 migrations already applied"
	# at most default_pool_size server connections were used for the 20 clients
	used=$(q main postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = 'pooled' AND usename = 'app'")
	assert_le "exactly once, PgBouncer: at most 5 server connections ($used)" "$used" 5
	pgb_stop
else
	fail "exactly once through PgBouncer" "pgbouncer not available at $PGBOUNCER"
fi

harness_finish
