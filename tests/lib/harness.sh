# harness.sh - shared helpers for tests/integration/*.sh: a temp dir per run, throwaway
# PostgreSQL servers, dbready runs with captured output, assertions and the canary check.
#
# Sourced, not executed. A file looks like:
#   . "$(dirname "$0")/../lib/harness.sh"
#   pg_start main
#   run_dbready "wait: ready" 0 wait --url "$(pg_url app "$CANARY" app)"
#   assert_contains "$RUN_ERR" "database ready"
#   harness_finish
#
# Results are TAP-like lines on stdout ("ok - name" / "not ok - name", diagnostics prefixed
# "# "), which tests/run.sh counts. Every password the tests create is $CANARY; nothing that
# dbready writes (stdout, stderr, JSON log, termination log) may ever contain it.
#
# Environment: DBREADY (the binary; default build/dbready), DBREADY_TEST_DIR (set by run.sh:
# where this file keeps its captures; otherwise a private mktemp dir), CANARY (set by run.sh
# so one value covers the whole run), PG_BIN (server binaries; default: newest
# /usr/lib/postgresql/*/bin), KEEP_TMP=1 (keep the temp dir for debugging).

set -u

HARNESS_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HARNESS_LIB/../.." && pwd)
TEST_FILE=$(basename "$0" .sh)
: "${DBREADY:=$REPO_ROOT/build/dbready}"
# the captured outputs of one run must never contain this; [A-Za-z0-9-] only, so it needs no
# percent-encoding in a URL and no escaping in sed or SQL
: "${CANARY:=Canary-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')-pW}"
export DBREADY CANARY

PASS=0
FAIL=0
RUN_SEQ=0
CANARY_RUNS=0    # runs whose arguments/environment carried the canary: the check is not vacuous
USED_PORTS=" "

# --- temp dir ----------------------------------------------------------------------------

if [ -n "${DBREADY_TEST_DIR:-}" ]; then
	T=$DBREADY_TEST_DIR
	OWN_T=0
	mkdir -p "$T"
else
	T=$(mktemp -d "${TMPDIR:-/tmp}/dbready-it.XXXXXX")
	OWN_T=1
fi
# the postgres user must traverse it to reach its data dirs (mktemp makes 0700)
chmod 755 "$T"
# out/: everything dbready wrote (scanned for the canary); pg/: servers; secrets/: files that
# hold the canary on purpose (URL files); tls/: certificates
mkdir -p "$T/out" "$T/pg" "$T/secrets" "$T/tls"
chmod 700 "$T/secrets"

# --- output ------------------------------------------------------------------------------

# Never print the canary, even in diagnostics: run.sh's log is part of the scanned tree.
redact() {
	sed -e "s/$CANARY/<canary>/g"
}

say() {
	printf '%s\n' "$*" | redact
}

# diag_file LABEL FILE: show a captured file (bounded) under a "# " prefix.
diag_file() {
	local label=$1 file=$2
	if [ ! -e "$file" ]; then
		say "#   $label: (missing)"
	elif [ ! -s "$file" ]; then
		say "#   $label: (empty)"
	else
		say "#   $label:"
		head -c 6000 "$file" | head -n 60 | redact | sed -e 's/^/#     /'
	fi
}

pass() {
	PASS=$((PASS + 1))
	say "ok - $1"
}

# fail NAME [DIAG...]: one "not ok" line, then the diagnostics.
fail() {
	local name=$1
	shift
	FAIL=$((FAIL + 1))
	say "not ok - $name"
	local d
	for d in "$@"; do
		printf '%s\n' "$d" | redact | sed -e 's/^/#   /'
	done
}

# Diagnostics for the last dbready run: the command and everything it wrote.
diag_run() {
	[ -n "${RUN_DIR:-}" ] || return 0
	say "#   command: $(cat "$RUN_DIR/wrap" 2>/dev/null)$(cat "$RUN_DIR/cmd" 2>/dev/null)"
	say "#   exit $(cat "$RUN_DIR/rc" 2>/dev/null) after $(cat "$RUN_DIR/ms" 2>/dev/null) ms"
	diag_file stdout "$RUN_DIR/stdout"
	diag_file stderr "$RUN_DIR/stderr"
	diag_file termination-log "$RUN_DIR/termination-log"
}

# check NAME COMMAND...: pass when COMMAND succeeds. For facts that no assert_* states.
check() {
	local name=$1
	shift
	local out
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "failed: $*"
		[ -n "$out" ] && printf '%s\n' "$out" | redact | sed -e 's/^/#     /'
		diag_run
	fi
}

# --- time and ports ----------------------------------------------------------------------

now_ms() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		local t=${EPOCHREALTIME//[!0-9]/} # "1700000000.123456" (or "," in some locales)
		echo $((10#$t / 1000))
	else
		date +%s%3N
	fi
}

# A loopback TCP port nothing listens on. The kernel picks it (python3); without python3,
# probe random ports with bash's /dev/tcp until a connect is refused.
free_port() {
	local p i
	for i in $(seq 1 50); do
		if command -v python3 >/dev/null 2>&1; then
			p=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
		else
			p=$((20000 + RANDOM % 40000))
			if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
				continue
			fi
		fi
		# never hand out a port twice in one file: a server may not have bound it yet
		case $USED_PORTS in *" $p "*) continue ;; esac
		USED_PORTS="$USED_PORTS$p "
		echo "$p"
		return 0
	done
	echo "free_port: no free port found" >&2
	return 1
}

# --- dbready runs ------------------------------------------------------------------------

# start_dbready NAME ARGS...: start "$DBREADY" ARGS (plus --termination-log FILE) in the background,
# stdin from /dev/null, stdout/stderr captured. Sets RUN_NAME, RUN_DIR, RUN_OUT, RUN_ERR,
# RUN_TERMLOG, RUN_PID, RUN_START_MS. Environment assignments in front of the call
# (DATABASE_URL=... start_dbready ...) reach dbready. A non-empty array RUN_WRAP is put in
# front of the command (e.g. setpriv/env -i for the container's world); it must exec dbready,
# so that RUN_PID stays dbready's pid.
RUN_WRAP=()

# new_run NAME: a fresh capture dir out/NNN-NAME for the next run; sets RUN_NAME, RUN_SEQ,
# RUN_DIR, RUN_OUT, RUN_ERR, RUN_TERMLOG and clears RUN_RC, RUN_MS. Every way of running
# dbready (here, in the image, as a pod or a compose service) starts with it.
new_run() {
	RUN_NAME=$1
	RUN_SEQ=$((RUN_SEQ + 1))
	local slug
	slug=$(printf '%s' "$RUN_NAME" | tr -c 'A-Za-z0-9' '-' | cut -c1-48)
	RUN_DIR=$T/out/$(printf '%03d' "$RUN_SEQ")-$slug
	mkdir -p "$RUN_DIR"
	RUN_OUT=$RUN_DIR/stdout
	RUN_ERR=$RUN_DIR/stderr
	RUN_TERMLOG=$RUN_DIR/termination-log
	RUN_RC=
	RUN_MS=
}

# spawn_run CMD...: start CMD in the background, stdin from /dev/null, stdout and stderr into
# the current run's captures; sets RUN_START_MS and RUN_PID (for finish_dbready)
spawn_run() {
	RUN_START_MS=$(now_ms)
	"$@" </dev/null >"$RUN_OUT" 2>"$RUN_ERR" &
	RUN_PID=$!
}

start_dbready() {
	new_run "$1"
	shift
	# --termination-log right after the command word (cli.md: dbready [COMMAND] [OPTIONS]),
	# so that the test's own arguments stay last: a flag without its value must stay so
	local args
	case ${1:-} in
	'' | -*) args=(--termination-log "$RUN_TERMLOG" "$@") ;;
	*) args=("$1" --termination-log "$RUN_TERMLOG" "${@:2}") ;;
	esac
	# the command as run, for diagnostics; redacted, since out/ is scanned for the canary
	{
		# the exported variables dbready or libpq read (not the harness's own PG_*/DBREADY_TEST_*)
		local v
		for v in $(compgen -e); do
			case $v in
			DBREADY_TEST_* | DBREADY_FILE_TIMEOUT | DBREADY) ;;
			DATABASE_URL | DATABASE_URL_FILE | DBREADY_* | PG[A-Z]*) printf '%s=%q ' "$v" "${!v}" ;;
			esac
		done
		printf '%q ' "$DBREADY" "${args[@]}"
	} | redact >"$RUN_DIR/cmd"
	local all="$* ${DATABASE_URL:-} ${PGPASSWORD:-} ${DATABASE_URL_FILE:+$(cat "$DATABASE_URL_FILE" 2>/dev/null)}"
	local a
	for a in "$@"; do
		case $a in "$T"/secrets/*) all="$all $(cat "$a" 2>/dev/null)" ;; esac
	done
	case $all in *"$CANARY"*) CANARY_RUNS=$((CANARY_RUNS + 1)) ;; esac
	if [ ${#RUN_WRAP[@]} -gt 0 ]; then
		# another uid must be able to create the termination log
		chmod 1777 "$RUN_DIR"
		printf '%q ' "${RUN_WRAP[@]}" | redact >"$RUN_DIR/wrap"
		case "${RUN_WRAP[*]}" in *"$CANARY"*) CANARY_RUNS=$((CANARY_RUNS + 1)) ;; esac
	fi
	spawn_run "${RUN_WRAP[@]}" "$DBREADY" "${args[@]}"
}

# finish_dbready EXPECTED_EXIT [LIMIT_S]: wait for the run started last (killing it after
# LIMIT_S seconds, default 60), record exit code and elapsed ms, and assert the exit code.
# Returns 0 when it matched.
finish_dbready() {
	local expect=$1 limit=${2:-60}
	# a watchdog instead of timeout(1): RUN_PID must be dbready itself, so that tests can
	# signal it, and `wait` must return the moment it exits, for the timings
	rm -f "$RUN_DIR/killed"
	(
		trap - EXIT INT TERM HUP
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
	# KILL: a subshell that has not yet reset the inherited traps would run them on TERM
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

# run_dbready NAME EXPECTED_EXIT ARGS...: run dbready to completion (limit RUN_LIMIT seconds,
# default 60) and assert its exit code. Captures land in $RUN_OUT, $RUN_ERR, $RUN_TERMLOG.
run_dbready() {
	local name=$1 expect=$2
	shift 2
	start_dbready "$name" "$@"
	finish_dbready "$expect" "${RUN_LIMIT:-60}"
}

# --- assertions --------------------------------------------------------------------------
# Each records one result named after the last run unless a NAME is given.

_short() {
	local f=$1
	case $f in "${RUN_DIR:-/nonexistent}"/*) f=${f#"$RUN_DIR"/} ;; esac
	printf '%s' "$f"
}

# assert_contains FILE TEXT [NAME]: FILE contains TEXT (fixed string).
assert_contains() {
	local file=$1 text=$2
	local name=${3:-"${RUN_NAME:-?}: $(_short "$file") contains \"$text\""}
	if [ -f "$file" ] && grep -qF -- "$text" "$file"; then
		pass "$name"
	else
		fail "$name"
		diag_run
		case $file in "${RUN_DIR:-/nonexistent}"/*) ;; *) diag_file "$file" "$file" ;; esac
	fi
}

# assert_not_contains FILE TEXT [NAME]: FILE exists and does not contain TEXT.
assert_not_contains() {
	local file=$1 text=$2
	local name=${3:-"${RUN_NAME:-?}: $(_short "$file") does not contain \"$text\""}
	if [ -f "$file" ] && ! grep -qF -- "$text" "$file"; then
		pass "$name"
	else
		fail "$name"
		diag_run
		case $file in "${RUN_DIR:-/nonexistent}"/*) ;; *) diag_file "$file" "$file" ;; esac
	fi
}

# assert_matches FILE ERE [NAME]: some line of FILE matches the extended regexp.
assert_matches() {
	local file=$1 re=$2
	local name=${3:-"${RUN_NAME:-?}: $(_short "$file") matches /$re/"}
	if [ -f "$file" ] && grep -qE -- "$re" "$file"; then
		pass "$name"
	else
		fail "$name"
		diag_run
	fi
}

# assert_le NAME A B: A <= B (integers; for timings and counts).
assert_le() {
	if [ "$2" -le "$3" ] 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "expected $2 <= $3"
		diag_run
	fi
}

# count_matches FILE ERE: how many lines match.
count_matches() {
	local n
	n=$(grep -cE -- "$2" "$1" 2>/dev/null)
	echo "${n:-0}"
}

# --- JSON logs ---------------------------------------------------------------------------

# assert_json_log FILE [NAME]: every line is one JSON object with ts (RFC 3339 UTC), level,
# msg, and attempt lines carry attempt (tests/lib/jsonlog.py validate).
assert_json_log() {
	local file=$1
	local name=${2:-"${RUN_NAME:-?}: every $(_short "$file") line is a JSON object with ts, level, msg"}
	local out
	if out=$(python3 "$HARNESS_LIB/jsonlog.py" validate "$file" 2>&1); then
		pass "$name"
	else
		fail "$name" "$out"
		diag_run
	fi
}

# json_count FILE FILTER...: number of JSON lines matching every filter (see jsonlog.py).
json_count() {
	python3 "$HARNESS_LIB/jsonlog.py" count "$@" 2>/dev/null || echo -1
}

# --- PostgreSQL servers ------------------------------------------------------------------

if [ -z "${PG_BIN:-}" ]; then
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$PG_BIN" ] || PG_BIN=$(pg_config --bindir 2>/dev/null)
fi

# as_pg CMD...: run a server binary. initdb and postgres refuse to run as root, so as root
# they run as the `postgres` system user (setpriv needs no PAM session; runuser as fallback).
as_pg() {
	if [ "$(id -u)" != 0 ]; then
		"$@"
	elif command -v setpriv >/dev/null 2>&1; then
		(cd / && setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
	else
		(cd / && runuser -u postgres -- "$@")
	fi
}

_pg_var() { # _pg_var KIND NAME -> the variable name, e.g. PG_PORT_MAIN
	printf 'PG_%s_%s' "$1" "$(printf '%s' "$2" | tr 'a-z-' 'A-Z_')"
}

pg_port() {
	local v
	v=$(_pg_var PORT "$1")
	echo "${!v:-}"
}

# pg_init NAME [KEY=VALUE...]: initdb a new cluster without starting it: scram-sha-256 for
# every connection, superuser postgres with the CANARY password, no fsync, listening on
# 127.0.0.1 on a free port, socket in the temp dir. Extra KEY=VALUE (as for postgres -c; a
# leading "-c" is ignored) go to postgresql.conf. Exports PG_PORT_<NAME>, PG_DATA_<NAME>,
# PG_SOCK_<NAME>.
pg_init() {
	local name=$1
	shift
	local dir=$T/pg/$name
	mkdir -p "$dir/data" "$dir/sock"
	# a unix socket path is limited to 107 bytes
	local sock=$dir/sock
	if [ ${#sock} -gt 80 ]; then
		sock=$(mktemp -d /tmp/dbready-sock.XXXXXX)
		chmod 755 "$sock"
		echo "$sock" >"$dir/sock-elsewhere"
	fi
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres: "$dir" "$sock"
	fi
	# a TMPDIR below a 0700 home would hide the data dir from the postgres user
	if ! as_pg test -w "$dir/data"; then
		fail "initdb $name" "the server's user cannot write $dir/data: set TMPDIR to a" \
			"directory every user can traverse (e.g. /tmp)"
		return 1
	fi
	# the password reaches initdb through a file (never argv); it is gone once initdb ran
	(umask 077 && printf '%s\n' "$CANARY" >"$dir/pwfile")
	[ "$(id -u)" = 0 ] && chown postgres: "$dir/pwfile"
	if ! as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=scram-sha-256 \
		--pwfile="$dir/pwfile" -N -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
		rm -f "$dir/pwfile"
		fail "initdb $name ($PG_BIN)"
		diag_file initdb.log "$dir/initdb.log"
		return 1
	fi
	rm -f "$dir/pwfile"
	local port
	port=$(free_port) || return 1
	local major
	major=$("$PG_BIN/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
	{
		echo "# dbready test harness"
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$sock'"
		# throwaway clusters: durability costs time and buys nothing
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "shared_buffers = 16MB"
		# max_wal_senders must stay below max_connections, and some tests use 3 slots
		echo "max_wal_senders = 0"
		# the slot-filling test counts logins in the server log
		echo "log_connections = on"
		local kv
		for kv in "$@"; do
			[ "$kv" = "-c" ] && continue
			local k=${kv%%=*} v=${kv#*=}
			# PostgreSQL 16 reserves slots for pg_use_reserved_connections too
			if [ "$k" = "reserved_connections" ] && [ "$major" -lt 16 ]; then
				continue
			fi
			echo "$k = '${v//\'/\'\'}'"
		done
	} >>"$dir/data/postgresql.conf"
	export "$(_pg_var PORT "$name")=$port"
	export "$(_pg_var DATA "$name")=$dir/data"
	export "$(_pg_var SOCK "$name")=$sock"
	echo "$port" >"$dir/port"
	: "${PG_DEFAULT:=$name}"
}

# pg_start NAME [KEY=VALUE...]: initdb (unless pg_init ran) and start with pg_ctl -w, which
# returns once the server accepts connections. Records "not ok" and returns 1 on failure.
pg_start() {
	local name=$1
	shift
	local dir=$T/pg/$name
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		pg_init "$name" "$@" || return 1
	fi
	if ! as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
		>"$dir/pg_ctl.log" 2>&1; then
		fail "start server $name"
		diag_file pg_ctl.log "$dir/pg_ctl.log"
		diag_file server.log "$dir/server.log"
		return 1
	fi
	return 0
}

# pg_stop NAME: fast shutdown, waiting for it.
pg_stop() {
	local dir=$T/pg/$1
	as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >>"$dir/pg_ctl.log" 2>&1
}

# pg_url USER PASSWORD DB [SERVER] [QUERY]: a URL to SERVER (default: the first one set up)
# over TCP on 127.0.0.1.
pg_url() {
	local user=$1 pw=$2 db=$3 server=${4:-${PG_DEFAULT:-main}} query=${5:-}
	local port
	port=$(pg_port "$server")
	printf 'postgres://%s:%s@127.0.0.1:%s/%s%s' "$user" "$pw" "$port" "$db" "${query:+?$query}"
}

# pg_sql SERVER [DB] < SQL: run SQL from stdin as the superuser (the password goes through
# the environment, the SQL through stdin: neither is in argv). Output in pg/SERVER/psql.log.
pg_sql() {
	local server=$1 db=${2:-postgres}
	local dir=$T/pg/$server
	if ! PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$(pg_port "$server")" -U postgres -d "$db" -f - \
		>>"$dir/psql.log" 2>&1; then
		fail "SQL on server $server"
		diag_file psql.log "$dir/psql.log"
		return 1
	fi
}

# pg_create_app SERVER [ROLE] [DB]: a non-superuser login role with the CANARY password
# and a database it owns.
pg_create_app() {
	local server=$1 role=${2:-app} db=${3:-app}
	pg_sql "$server" <<-EOF
		CREATE ROLE "$role" LOGIN PASSWORD '$CANARY';
		CREATE DATABASE "$db" OWNER "$role";
	EOF
}

# --- TLS ---------------------------------------------------------------------------------

# tls_make_certs: in $T/tls a CA (ca.crt), a server certificate for localhost/127.0.0.1
# signed by it (server.crt/.key) and one whose SAN names wrong.example (wrong.crt/.key).
# Made at test time so nothing expires in the repository. EC P-256: fast to generate.
tls_make_certs() {
	local d=$T/tls
	[ -f "$d/ca.crt" ] && return 0
	local log=$d/openssl.log
	{
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$d/ca.key" -out "$d/ca.crt" -days 2 -subj "/CN=dbready test CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" &&
			_tls_leaf server "/CN=localhost" "DNS:localhost,IP:127.0.0.1" &&
			_tls_leaf wrong "/CN=wrong.example" "DNS:wrong.example"
	} >"$log" 2>&1 || {
		fail "generate TLS certificates with openssl"
		diag_file openssl.log "$log"
		return 1
	}
}

_tls_leaf() {
	local d=$T/tls name=$1 subj=$2 san=$3
	printf '%s\n' "subjectAltName=$san" "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" >"$d/$name.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.csr" -subj "$subj" &&
		openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/$name.ext" -out "$d/$name.crt"
}

# pg_start_tls NAME CERT [KEY=VALUE...]: a server with ssl=on presenting tls/CERT.crt. The
# key is copied next to the data dir: PostgreSQL wants it owned by the server's user, 0600.
pg_start_tls() {
	local name=$1 cert=$2
	shift 2
	tls_make_certs || return 1
	local dir=$T/pg/$name
	mkdir -p "$dir"
	cp "$T/tls/$cert.crt" "$dir/server.crt"
	cp "$T/tls/$cert.key" "$dir/server.key"
	chmod 600 "$dir/server.key"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir/server.crt" "$dir/server.key"
	pg_start "$name" ssl=on "ssl_cert_file=$dir/server.crt" "ssl_key_file=$dir/server.key" "$@"
}

# --- background helpers ------------------------------------------------------------------

# blackhole_start: a TCP listener on 127.0.0.1 that completes the handshake (the kernel does
# that from the backlog) but never answers, as a firewall that drops replies or a hung
# server would look. Sets BLACKHOLE_PORT and BLACKHOLE_PID; blackhole_stop ends it.
blackhole_start() {
	local f=$T/blackhole.$RANDOM
	python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
time.sleep(600)' >"$f" 2>&1 </dev/null &
	BLACKHOLE_PID=$!
	local i
	for i in $(seq 1 100); do
		[ -s "$f" ] && break
		sleep 0.05
	done
	BLACKHOLE_PORT=$(head -n 1 "$f")
	case $BLACKHOLE_PORT in
	'' | *[!0-9]*)
		fail "start a blackhole listener" "$(cat "$f")"
		return 1
		;;
	esac
}

blackhole_stop() {
	[ -n "${BLACKHOLE_PID:-}" ] || return 0
	kill "$BLACKHOLE_PID" 2>/dev/null
	wait "$BLACKHOLE_PID" 2>/dev/null
	BLACKHOLE_PID=
}

# --- the end of a file -------------------------------------------------------------------

# canary_scan DIR: print the files under DIR that contain the canary (none: prints nothing).
canary_scan() {
	grep -rlF --exclude-dir=pg --exclude-dir=secrets -- "$CANARY" "$1" 2>/dev/null
}

# canary_check DIR NAME: the required test that nothing dbready wrote contains the canary.
# It first proves that the scan finds a planted copy, so that it can fail at all.
canary_check() {
	local dir=$1 name=$2
	local plant
	plant=$(mktemp -d "$T/canary-selftest.XXXXXX")
	printf 'x%sx\n' "$CANARY" >"$plant/planted"
	if [ -z "$(canary_scan "$plant")" ]; then
		rm -rf "$plant"
		fail "$name" "the scan does not even find a planted canary"
		return
	fi
	rm -rf "$plant"
	local hits
	hits=$(canary_scan "$dir")
	if [ -n "$hits" ]; then
		fail "$name" "the canary password appears in:"
		local f
		while IFS= read -r f; do
			say "#     $f"
			grep -nF -- "$CANARY" "$f" | head -n 5 | redact | sed -e 's/^/#       /'
		done <<<"$hits"
	else
		pass "$name"
	fi
}

# harness_finish: the canary check over this file's captures, a summary comment, then exit
# (status 1 when anything failed). Every integration file ends with it.
harness_finish() {
	if [ "$CANARY_RUNS" -eq 0 ]; then
		fail "canary never leaked ($TEST_FILE)" "no run carried the canary: the check is vacuous"
	else
		canary_check "$T/out" "canary never leaked ($TEST_FILE, $CANARY_RUNS runs carried it)"
	fi
	say "# $TEST_FILE: $PASS passed, $FAIL failed"
	: >"$T/finished"
	[ "$FAIL" -eq 0 ]
	exit
}

# harness_skip REASON: the whole file cannot run here (a missing input, not a failure): say
# "# SKIP REASON" once and end the file as finished, with what passed so far
harness_skip() {
	say "# SKIP $1"
	say "# $TEST_FILE: $PASS passed, $FAIL failed"
	: >"$T/finished"
	[ "$FAIL" -eq 0 ]
	exit
}

# Stop everything this file started: background children first, then the servers
# (immediate: nothing to keep), by pid and data dir only.
harness_cleanup() {
	local rc=$?
	# bash may run the EXIT trap in a subshell that ends (the watchdog, as_pg's): only the
	# file's own shell cleans up
	[ "$BASHPID" = "$$" ] || return "$rc"
	# ignore further signals while cleaning up, do not die of them: timeout(1) signals the
	# shell and then its whole process group, so a second SIGTERM follows the first at once
	trap - EXIT
	trap '' INT TERM HUP
	# this shell's own unreaped children only (jobs -p): a pid that was already waited for
	# may belong to someone else by now
	local p pids=()
	jobs -p >"$T/jobs" 2>/dev/null
	mapfile -t pids <"$T/jobs"
	rm -f "$T/jobs"
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	local d
	for d in "$T"/pg/*/data; do
		[ -f "$d/postmaster.pid" ] || continue
		as_pg "$PG_BIN/pg_ctl" -D "$d" -m immediate -w -t 20 stop >/dev/null 2>&1 || {
			# pg_ctl failed: kill the postmaster it recorded, nothing else
			local pid
			pid=$(head -n 1 "$d/postmaster.pid" 2>/dev/null)
			if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$d"; then
				kill -KILL "$pid" 2>/dev/null
			fi
		}
	done
	for d in "$T"/pg/*/sock-elsewhere; do
		[ -f "$d" ] && rm -rf "$(cat "$d")"
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		[ "$OWN_T" = 1 ] && echo "# kept $T" >&2
	elif [ "$OWN_T" = 1 ]; then
		rm -rf "$T"
	else
		# run.sh scans out/ over the whole run and removes the rest
		rm -rf "$T/pg" "$T/secrets"
	fi
	exit "$rc"
}
trap harness_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ ! -x "$DBREADY" ]; then
	fail "dbready binary at $DBREADY" "not found or not executable: run make"
fi
