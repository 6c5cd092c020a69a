#!/usr/bin/env bash
# dbmate.sh - dbready against dbmate's own binary on one generated dbmate folder: apply 100
# and 1,000 migrations to a fresh database, and a no-op run (all 1,000 applied), each RUNS
# times (runs interleaved round-robin so that drift hits every tool alike, one untimed
# warm-up each first), on one throwaway PostgreSQL server this script starts and removes.
#
#   bash bench/dbmate.sh              # RUNS=5, plot to bench/dbmate.svg
#   RUNS=3 SVG=/tmp/x.svg bash bench/dbmate.sh
#
# The folder: 1,000 files named as `dbmate new` names them (YYYYMMDDHHMMSS_name.sql), each
# "-- migrate:up" with a CREATE TABLE (identity key, a few columns), a CREATE INDEX and an
# INSERT, and a "-- migrate:down" that drops the table (never run). The 100-migration case is
# its first 100 files.
# Tools: dbready run (per-migration transactions, the default, as dbmate does), dbready run
# --tx=all (one transaction), and dbmate --no-dump-schema migrate (tests/dbmate's pinned
# @dbmate/linux-x64 binary, run directly; --no-dump-schema: without it dbmate also runs pg_dump
# into ./db/schema.sql after migrating, which dbready does not do).
# Wall time: measured around each process (ms); peak RSS: GNU time -v "Maximum resident set
# size". Every run is checked (exit 0, the expected number of schema_migrations rows), and
# the 1,000-migration databases of all tools must end in the same rows and schema.
# A benchmark, not a test: it prints a table, writes the plot, and exits non-zero only when a
# run failed.
#
# Needs: build/dbready (make; or DBREADY=...), PostgreSQL server binaries, node + npm
# (tests/dbmate is set up with `npm ci` when the binary is missing), GNU time, python3.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
RUNS=${RUNS:-5}
SVG=${SVG:-$BENCH_DIR/dbmate.svg}
DM_PKG=$REPO/tests/dbmate
DBMATE=$DM_PKG/node_modules/@dbmate/linux-x64/bin/dbmate
TIME=/usr/bin/time

. "$REPO/tests/lib/harness.sh"
# shellcheck source=lib.sh
. "$REPO/bench/lib.sh"

die() {
	say "dbmate-bench: $*" >&2
	exit 1
}

[ -x "$DBREADY" ] || die "no dbready at $DBREADY: run make"
need_runs
need_gnu_time
command -v python3 >/dev/null 2>&1 || die "python3 is missing (it writes the folder and the plot)"
if [ ! -x "$DBMATE" ]; then
	command -v npm >/dev/null 2>&1 || die "npm is missing, and tests/dbmate has no dbmate binary"
	echo "# tests/dbmate/node_modules is missing: npm ci --no-audit --no-fund" >&2
	(cd "$DM_PKG" && npm ci --no-audit --no-fund) </dev/null >"$T/npm-ci.log" 2>&1 ||
		{ cat "$T/npm-ci.log" >&2; die "npm ci in tests/dbmate failed"; }
fi

# --- the folders ----------------------------------------------------------------------------
F1000=$T/m1000
F100=$T/m100
mkdir -p "$F1000" "$F100"
python3 - "$F1000" <<'EOF'
import datetime, sys
d = sys.argv[1]
t = datetime.datetime(2024, 1, 1)
for i in range(1, 1001):
    v = (t + datetime.timedelta(minutes=i)).strftime("%Y%m%d%H%M%S")
    with open(f"{d}/{v}_create_t{i}.sql", "w") as f:
        f.write(f"""-- migrate:up
CREATE TABLE t{i} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL,
  note text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX t{i}_name_idx ON t{i} (name);
INSERT INTO t{i} (name, note) VALUES ('first', 'migration {i}');

-- migrate:down
DROP TABLE t{i};
""")
EOF
# shellcheck disable=SC2012
ls "$F1000" | head -n 100 | while read -r f; do cp "$F1000/$f" "$F100/"; done
[ "$(ls "$F1000" | wc -l)" = 1000 ] && [ "$(ls "$F100" | wc -l)" = 100 ] || die "folder generation failed"

pg_start bench || die "could not start PostgreSQL ($PG_BIN)"
pg_create_app bench app app_unused || die "could not create the app role"
PORT=$(pg_port bench)

q() {
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PORT" -U app -d "$1" -c "$2" 2>&1
}

TOOLS=(dbready dbready-all dbmate)
label() {
	case $1 in
	dbready) echo "dbready run" ;;
	dbready-all) echo "dbready run --tx=all" ;;
	dbmate) echo "dbmate migrate" ;;
	esac
}
# tool_cmd TOOL DIR: sets CMD (the URL is in $DATABASE_URL, never in argv)
tool_cmd() {
	case $1 in
	dbready) CMD=("$DBREADY" run --dir "$2" --termination-log /dev/null -q) ;;
	dbready-all) CMD=("$DBREADY" run --dir "$2" --tx=all --termination-log /dev/null -q) ;;
	dbmate) CMD=("$DBMATE" --no-dump-schema -d "$2" migrate) ;;
	esac
}

DBSEQ=0
FAILED=0
# one_run TOOL CASE KIND: CASE apply100 | apply1000 (a new database) | noop (the tool's last
# apply1000 database again); appends "ms rss_kb" to $T/TOOL.CASE.KIND
one_run() {
	local tool=$1 case=$2 kind=$3 db dir want
	case $case in
	apply100) dir=$F100 want=100 ;;
	*) dir=$F1000 want=1000 ;;
	esac
	if [ "$case" = noop ]; then
		db=$(tail -n 1 "$T/$tool.apply1000.dbs" 2>/dev/null)
		[ -n "$db" ] || return 1
	else
		DBSEQ=$((DBSEQ + 1))
		db=bench_${tool//-/_}_$DBSEQ
		echo "CREATE DATABASE \"$db\" OWNER app;" | pg_sql bench || die "CREATE DATABASE $db failed"
	fi
	local log=$T/$db.$case.log tf=$T/$db.$case.time t0 t1 rc CMD
	tool_cmd "$tool" "$dir"
	t0=$(now_ms)
	DATABASE_URL="$(pg_url app "$CANARY" "$db" bench)?sslmode=disable" \
		"$TIME" -v -o "$tf" "${CMD[@]}" </dev/null >"$log" 2>&1
	rc=$?
	t1=$(now_ms)
	local rows
	rows=$(q "$db" 'SELECT count(*) FROM public.schema_migrations')
	if [ "$rc" -ne 0 ] || [ "$rows" != "$want" ]; then
		FAILED=$((FAILED + 1))
		say "# $(label "$tool") ($case, $kind): exit $rc, $rows rows in schema_migrations (want $want):"
		tail -n 20 "$log" | redact | sed -e 's/^/#   /'
		return 1
	fi
	local rss
	rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$tf")
	echo "$((t1 - t0)) $rss" >>"$T/$tool.$case.$kind"
	[ "$case" = noop ] || echo "$db" >>"$T/$tool.$case.dbs"
}

CASES=(apply100 apply1000 noop)
case_label() {
	case $1 in
	apply100) echo "apply 100" ;;
	apply1000) echo "apply 1,000" ;;
	noop) echo "no-op (1,000 applied)" ;;
	esac
}

say "# PostgreSQL: $("$PG_BIN/postgres" --version) (fsync off, on this machine, over 127.0.0.1)"
say "# dbready: $("$DBREADY" version 2>&1 | head -n 1)"
say "# dbmate: $("$DBMATE" --version 2>&1) ($DBMATE)"
say "# $(nproc) CPUs; $RUNS timed runs per tool and case, after one warm-up each"

for tool in "${TOOLS[@]}"; do
	for c in "${CASES[@]}"; do one_run "$tool" "$c" warmup; done
done
for i in $(seq 1 "$RUNS"); do
	for c in "${CASES[@]}"; do
		for tool in "${TOOLS[@]}"; do one_run "$tool" "$c" timed; done
	done
done

# the tools' 1,000-migration databases end alike (rows and schema)
dump() {
	PGPASSWORD=$CANARY "$PG_BIN/pg_dump" --schema-only -h 127.0.0.1 -p "$PORT" -U app -d "$1" 2>&1 |
		grep -Ev '^\\(un)?restrict '
}
ref=$(tail -n 1 "$T/dbmate.apply1000.dbs" 2>/dev/null)
same() { # same TOOL: its last 1,000 database = dbmate's; status 1 when it differs
	local db
	db=$(tail -n 1 "$T/$1.apply1000.dbs" 2>/dev/null)
	[ -n "$ref" ] && [ -n "$db" ] || { echo "n/a"; return; }
	if q "$db" 'SELECT version FROM schema_migrations ORDER BY version' |
		cmp -s - <(q "$ref" 'SELECT version FROM schema_migrations ORDER BY version') &&
		dump "$db" | cmp -s - <(dump "$ref"); then
		echo "rows+schema = dbmate's"
	else
		echo "DIFFERS from dbmate's"
		return 1
	fi
}

echo
bench_table dbmate
echo
for tool in dbready dbready-all; do
	r=$(same "$tool") || FAILED=$((FAILED + 1))
	say "# end state after 1,000, $(label "$tool"): $r"
done

bench_plot "$T/plot.tsv" "$SVG" \
	"dbready vs dbmate: applying a dbmate folder (median of $RUNS runs)" \
	"wall time (bars, each case to its own scale) and peak RSS; $("$DBMATE" --version 2>&1), $("$PG_BIN/postgres" --version)" \
	"bench/dbmate.sh: fresh database per apply run, same server, runs interleaved; dbmate with --no-dump-schema"
[ -s "$SVG" ] && say "# plot: $SVG"

[ "$FAILED" -eq 0 ]
