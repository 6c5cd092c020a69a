# migrate.sh - helpers the migrate_*.sh integration files share: SQL as the superuser, fresh
# databases, a PgBouncer in transaction mode. Sourced after harness.sh.

# q SERVER DB SQL: run SQL as the superuser, print the rows unaligned
q() {
	printf '%s\n' "$3" | PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -qAt \
		-v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(pg_port "$1")" -U postgres -d "$2" -f - \
		2>>"$T/pg/$1/psql.log"
}

exists() { # exists DB TABLE: t when TABLE (public unless schema-qualified) exists, else f
	case $2 in
	*.*) q main "$1" "SELECT to_regclass('$2') IS NOT NULL" ;;
	*) q main "$1" "SELECT to_regclass('public.$2') IS NOT NULL" ;;
	esac
}

# history_count DB [TABLE]: the history table's rows, -1 when it does not exist (TABLE:
# default $HISTORY_TABLE, else public.dbready_migrations)
history_count() {
	local t=${2:-${HISTORY_TABLE:-public.dbready_migrations}}
	if [ "$(q main "$1" "SELECT to_regclass('$t') IS NULL")" = t ]; then
		echo -1
	else
		q main "$1" "SELECT count(*) FROM $t"
	fi
}

new_db() { # new_db DB: a fresh database owned by app; prints its URL
	pg_sql main <<<"CREATE DATABASE \"$1\" OWNER app;" || true
	pg_url app "$CANARY" "$1"
}

advisory_locks() {
	q main postgres "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
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

# --- runners released together ---------------------------------------------------------------
# gate_arm: the next start_dbready calls block in a FIFO gate (the harness's RUN_WRAP: the
# wrapper execs dbready, so RUN_PID stays dbready's pid) until gate_release opens and closes
# the FIFO, which lets all of them go within a millisecond or so.
gate_arm() {
	GATE=$T/gate.fifo
	if [ ! -x "$T/gate.sh" ]; then
		printf '#!/usr/bin/env bash\nread -r _ <"$1"\nshift\nexec "$@"\n' >"$T/gate.sh"
		chmod +x "$T/gate.sh"
	fi
	rm -f "$GATE"
	mkfifo "$GATE"
	RUN_WRAP=("$T/gate.sh" "$GATE")
}

# gate_release: disarm, give every runner time to block in the gate, release them; sets
# GATE_T0 (the release time, ms)
gate_release() {
	RUN_WRAP=()
	sleep 0.3
	GATE_T0=$(now_ms)
	exec 3<>"$GATE" # read-write: never blocks, even if no runner got to the gate
	exec 3>&-
}

# racers N NAME ARGS...: N `dbready ARGS` runs, named "NAME 1".."NAME N", held in the gate
# and released together; sets RACER_NAMES, RACER_DIRS, RACER_PIDS and GATE_T0
racers() {
	local n=$1 name=$2 i
	shift 2
	RACER_NAMES=() RACER_DIRS=() RACER_PIDS=()
	gate_arm
	for i in $(seq 1 "$n"); do
		start_dbready "$name $i" "$@"
		RACER_NAMES+=("$RUN_NAME") RACER_DIRS+=("$RUN_DIR") RACER_PIDS+=("$RUN_PID")
	done
	gate_release
}

# racer_finish I EXIT LIMIT_S: wait for racer I (from 0) as finish_dbready does; it becomes
# the current run (RUN_ERR, RUN_TERMLOG, ...) for the assertions that follow
racer_finish() {
	RUN_NAME=${RACER_NAMES[$1]} RUN_DIR=${RACER_DIRS[$1]} RUN_PID=${RACER_PIDS[$1]}
	RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
	RUN_START_MS=$GATE_T0
	finish_dbready "$2" "$3"
}

# server_errors SERVER: the number of ERROR lines in the server's log so far (a run of
# dbready, even a race, must add none: managed services alert on them)
server_errors() {
	grep -c 'ERROR:' "$T/pg/$1/server.log" 2>/dev/null || true
}

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

# pgdump DB [PG_DUMP_ARGS...]: DB's schema on stdout, without the version comments and the
# \restrict lines that differ from dump to dump
pgdump() {
	local db=$1
	shift
	PGPASSWORD=$CANARY "$PG_BIN/pg_dump" -h 127.0.0.1 -p "$(pg_port main)" -U postgres \
		--schema-only "$@" "$db" | grep -vE '^\\(un)?restrict |^-- Dumped (from|by)'
}

same_files() { # same_files NAME A B: pass when the files are equal, else the diff
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "they differ:"
		diff "$2" "$3" | head -n 30 | sed -e 's/^/#     /'
	fi
}
