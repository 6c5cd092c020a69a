#!/usr/bin/env bash
# migrate_concurrency.sh - exactly once, any number of runners (behaviour.md §3): 20 `dbready
# run` processes released at the same moment against one fresh database with the dokploy
# folder (186 migrations) all exit 0, every migration is recorded once, and no advisory lock
# is left; then the same through a real PgBouncer in pool_mode=transaction, where consecutive
# transactions of one client land on different server connections.
. "$(dirname "$0")/../lib/harness.sh"

CORPORA=${DBREADY_CORPORA:-/work/shared/corpora}
DOKPLOY=$CORPORA/dokploy/migrations
PGBOUNCER=${PGBOUNCER:-/usr/sbin/pgbouncer}
RUNNERS=20

# finish_run EXPECTED_EXIT [LIMIT_S]: harness.sh's finish_dbready, except that the watchdog
# subshell is stopped with SIGKILL. finish_dbready stops it with SIGTERM, and a subshell that
# gets SIGTERM before it has reset the traps it inherited runs this file's TERM and EXIT traps
# (harness_cleanup: every server stopped, pg/ removed, mid-file). That happens whenever the
# run exited before the watchdog got going: a run that fails offline in a millisecond, or the
# second and later of several runners released at once. run_dbready uses it too (below).
finish_run() {
	local expect=$1 limit=${2:-60}
	rm -f "$RUN_DIR/killed"
	(
		i=0
		while kill -0 "$RUN_PID" 2>/dev/null; do
			if [ "$i" -ge $((limit * 10)) ]; then
				: >"$RUN_DIR/killed"
				kill -KILL "$RUN_PID" 2>/dev/null
				exit 0
			fi
			sleep 0.1
			i=$((i + 1))
		done
	) &
	local wd=$!
	wait "$RUN_PID"
	RUN_RC=$?
	RUN_END_MS=$(now_ms)
	RUN_MS=$((RUN_END_MS - RUN_START_MS))
	kill -KILL "$wd" 2>/dev/null
	wait "$wd" 2>/dev/null
	echo "$RUN_RC" >"$RUN_DIR/rc"
	echo "$RUN_MS" >"$RUN_DIR/ms"
	if [ -e "$RUN_DIR/killed" ]; then
		fail "$RUN_NAME: exit $expect" "still running after ${limit}s: killed"
		diag_run
		return 1
	fi
	if [ "$RUN_RC" = "$expect" ]; then
		pass "$RUN_NAME: exit $expect"
		echo "$expect" >>"$T/exitcodes"
		return 0
	fi
	fail "$RUN_NAME: exit $expect" "got exit $RUN_RC"
	diag_run
	return 1
}
finish_dbready() { finish_run "$@"; }

# q SERVER DB SQL: run SQL as the superuser, print the rows unaligned
q() {
	printf '%s\n' "$3" | PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -qAt \
		-v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(pg_port "$1")" -U postgres -d "$2" -f - \
		2>>"$T/pg/$1/psql.log"
}

# --- PgBouncer -------------------------------------------------------------------------------
# pgb_start NAME SERVER: a PgBouncer in transaction mode in front of SERVER, SCRAM towards
# both sides, with the app role's password (the CANARY) in its auth_file. Its files live below
# pg/ (not scanned for the canary: the auth_file holds it on purpose). Sets PGB_PORT, PGB_PID.
pgb_start() {
	local name=$1 server=$2
	local dir=$T/pg/$name
	mkdir -p "$dir"
	PGB_PORT=$(free_port) || return 1
	(umask 077 && printf '"app" "%s"\n' "$CANARY" >"$dir/userlist.txt")
	cat >"$dir/pgbouncer.ini" <<-EOF
		[databases]
		* = host=127.0.0.1 port=$(pg_port "$server")
		[pgbouncer]
		listen_addr = 127.0.0.1
		listen_port = $PGB_PORT
		unix_socket_dir =
		auth_type = scram-sha-256
		auth_file = $dir/userlist.txt
		pool_mode = transaction
		default_pool_size = 5
		max_client_conn = 200
		server_round_robin = 1
		ignore_startup_parameters = extra_float_digits,options
		logfile = $dir/pgbouncer.log
		pidfile = $dir/pgbouncer.pid
	EOF
	[ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
	# in the foreground as a job of this shell: harness_cleanup stops it if the file dies
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=postgres --regid=postgres --init-groups -- \
			"$PGBOUNCER" "$dir/pgbouncer.ini" </dev/null >"$dir/stdout" 2>&1 &
	else
		"$PGBOUNCER" "$dir/pgbouncer.ini" </dev/null >"$dir/stdout" 2>&1 &
	fi
	PGB_PID=$!
	local i
	for i in $(seq 1 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$PGB_PORT") 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	fail "start pgbouncer $name"
	diag_file pgbouncer.log "$dir/pgbouncer.log"
	diag_file stdout "$dir/stdout"
	return 1
}

pgb_stop() {
	[ -n "${PGB_PID:-}" ] || return 0
	kill -INT "$PGB_PID" 2>/dev/null
	wait "$PGB_PID" 2>/dev/null
	PGB_PID=
}

# --- many runners at once --------------------------------------------------------------------
# A gate (the harness's RUN_WRAP): every runner first blocks opening a FIFO, then execs
# dbready (same pid, so the harness's RUN_PID is dbready itself); opening and closing the
# FIFO for writing releases all of them within a millisecond or so.
GATE=$T/gate.fifo
GATE_SH=$T/gate.sh
cat >"$GATE_SH" <<'EOF'
#!/usr/bin/env bash
gate=$1
shift
read -r _ <"$gate"
exec "$@"
EOF
chmod +x "$GATE_SH"

# stampede NAME URL DB: RUNNERS `run`s of the dokploy folder released together; asserts exit
# 0 for each, then the history, the logs and pg_locks.
stampede() {
	local name=$1 url=$2 db=$3
	rm -f "$GATE"
	mkfifo "$GATE"
	local names=() dirs=() pids=()
	local i
	for i in $(seq 1 "$RUNNERS"); do
		RUN_WRAP=("$GATE_SH" "$GATE")
		start_dbready "$name: runner $i" run --url "$url" --dir "$DOKPLOY" --timeout 30s \
			--lock-timeout 60s
		names+=("$RUN_NAME")
		dirs+=("$RUN_DIR")
		pids+=("$RUN_PID")
	done
	RUN_WRAP=()
	sleep 0.3 # every runner is blocked in the gate by now
	local t0
	t0=$(now_ms)
	exec 3<>"$GATE" # read-write: never blocks, even if no runner got to the gate
	exec 3>&-
	for i in $(seq 0 $((RUNNERS - 1))); do
		RUN_NAME=${names[$i]} RUN_DIR=${dirs[$i]} RUN_PID=${pids[$i]}
		RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
		RUN_START_MS=$t0
		finish_run 0 90
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
		test "$(grep -lE 'was applied meanwhile|waiting for the migration lock|nothing to apply' "${dirs[@]/%//stderr}" | wc -l)" -ge 1
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
