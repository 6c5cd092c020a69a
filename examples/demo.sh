#!/usr/bin/env bash
# demo.sh - `make demo`: a throwaway PostgreSQL 15, and what dbready shows a user against it.
# Usage: bash examples/demo.sh /abs/path/to/dbready
set -u
DBREADY=${1:?usage: demo.sh PATH_TO_DBREADY}
HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ -x "$PGBIN/initdb" ] || { echo "demo: PostgreSQL 15 is missing: run 'make deps' as root" >&2; exit 1; }

tmp=$(mktemp -d /tmp/dbready-demo.XXXXXX)
chmod 755 "$tmp"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
	# initdb refuses to run as root: the server runs as the postgres system user
	chown postgres "$tmp"
	as_pg=(runuser -u postgres --)
fi
cleanup() {
	"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
password="demo-$RANDOM-secret"
printf '%s\n' "$password" >"$tmp/pw"
chmod 644 "$tmp/pw"
"${as_pg[@]}" "$PGBIN/initdb" -D "$tmp/data" -U postgres --auth=scram-sha-256 \
	--pwfile="$tmp/pw" -N >/dev/null || exit 1
rm -f "$tmp/pw"

url="postgres://postgres:$password@127.0.0.1:$port/postgres"
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "$2"; }

step "1. dbready waits for a database that is not up yet (the server starts 1.5 s later)" \
	"DATABASE_URL=postgres://postgres:***@127.0.0.1:$port/postgres dbready wait"
DATABASE_URL=$url "$DBREADY" wait --timeout 30s --termination-log "$tmp/termlog" &
waiter=$!
sleep 1.5
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
	-o "-p $port -c listen_addresses=127.0.0.1 -k $tmp -c fsync=off" start >/dev/null
wait $waiter
echo "(exit code $?; termination log: $(cat "$tmp/termlog"))"

step "2. dbready check: the configuration and the migrations folder, offline" \
	"dbready check --dir examples/migrations"
DATABASE_URL=$url "$DBREADY" check --dir "$HERE/migrations" --termination-log ""
echo "(exit code $?)"

step "3. dbready run: wait, then apply the drizzle folder exactly once" \
	"dbready run --dir examples/migrations"
DATABASE_URL=$url "$DBREADY" run --dir "$HERE/migrations" --termination-log "$tmp/termlog"
echo "(exit code $?; termination log: $(cat "$tmp/termlog"))"

step "4. dbready status: what the history table (drizzle's own) says" \
	"dbready status --dir examples/migrations"
DATABASE_URL=$url "$DBREADY" status --dir "$HERE/migrations" --termination-log "" 2>/dev/null
echo "(exit code $?)"

step "5. a password with an unencoded '@' is caught before any network traffic" \
	"DATABASE_URL='postgres://postgres:p@ss@127.0.0.1:$port/postgres' dbready check"
DATABASE_URL="postgres://postgres:p@ss@127.0.0.1:$port/postgres" "$DBREADY" check \
	--dir "$HERE/migrations" --termination-log ""
echo "(exit code $?)"

step "6. a wrong password fails at once (no pointless retries), with SQLSTATE and a hint" \
	"dbready wait --log-format json   # wrong password"
DATABASE_URL="postgres://postgres:wrong-password@127.0.0.1:$port/postgres" "$DBREADY" wait \
	--log-format json --termination-log ""
echo "(exit code $?)"

printf '\nThe server is stopped and %s removed. Next: make check\n' "$tmp"
