#!/usr/bin/env bash
# apply-time.sh - how long applying a real drizzle folder takes, and how much memory, with
# dbready and with drizzle's own tooling: each tool applies the folder to a fresh database
# RUNS times (after one untimed warm-up each, runs interleaved round-robin so that drift hits
# every tool alike), on one throwaway PostgreSQL server this script starts and removes.
#
#   bash bench/apply-time.sh            # the dokploy corpus (186 drizzle migrations), 3 runs
#   CORPUS=/path/to/migrations RUNS=5 bash bench/apply-time.sh
#   BASELINE=/tmp/old/build/dbready bash bench/apply-time.sh   # and an older build beside it
#
# Tools: dbready run (per-migration transactions, the default), dbready run --tx=all (one
# transaction, as drizzle-orm does), drizzle-orm's migrate() from drizzle-orm/node-postgres
# (tests/drizzle/scripts/migrate.mjs: the code path `drizzle-kit migrate` runs),
# `drizzle-kit migrate` from node_modules/.bin, and `npx drizzle-kit migrate`.
# Wall time: measured around each process (ms); peak RSS: GNU time -v "Maximum resident set
# size", the largest single process of the tree (npx starts drizzle-kit as a child).
# A benchmark, not a test: it prints a table, and exits non-zero only when a run failed.
#
# Needs: build/dbready (make), PostgreSQL server binaries, node + npm (tests/drizzle is set up
# with `npm ci` when its node_modules is missing or stale), GNU time (/usr/bin/time, Debian
# package "time": installed with apt-get when missing and running as root).

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
CORPUS=${CORPUS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpora/dokploy/migrations}
RUNS=${RUNS:-3}
DZ=$REPO/tests/drizzle
TIME=/usr/bin/time

# the test harness: a private temp dir, throwaway servers (stopped and removed on exit)
. "$REPO/tests/lib/harness.sh"
# shellcheck source=lib.sh
. "$REPO/bench/lib.sh"

die() {
	say "apply-time: $*" >&2
	exit 1
}

CORPUS=$(cd "$CORPUS" 2>/dev/null && pwd) || die "no migrations folder at ${CORPUS}"
[ -f "$CORPUS/meta/_journal.json" ] || die "$CORPUS has no meta/_journal.json (not a drizzle folder)"
[ -x "$DBREADY" ] || die "no dbready at $DBREADY: run make"
need_runs

need_gnu_time

missing=
command -v node >/dev/null 2>&1 || missing="$missing node"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] || die "missing:$missing (apt-get install nodejs npm, or make deps)"
if ! (cd "$DZ" && npm ls --depth=0 >/dev/null 2>&1); then
	echo "# tests/drizzle/node_modules is missing or stale: npm ci --no-audit --no-fund" >&2
	(cd "$DZ" && npm ci --no-audit --no-fund) </dev/null >"$T/npm-ci.log" 2>&1 ||
		{ cat "$T/npm-ci.log" >&2; die "npm ci in tests/drizzle failed"; }
fi

NMIG=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["entries"]))' \
	"$CORPUS/meta/_journal.json")

pg_start bench || die "could not start PostgreSQL ($PG_BIN)"
pg_create_app bench app app_unused || die "could not create the app role"
PORT=$(pg_port bench)

q() {
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PORT" -U app -d "$1" -c "$2" 2>&1
}

# the tools: a label and the command; the database URL is in $DATABASE_URL, never in argv.
# BASELINE=/path/to/an/older/dbready adds that binary's run, to compare two builds.
TOOLS=(dbready dbready-all orm kit npx)
if [ -n "${BASELINE:-}" ]; then
	[ -x "$BASELINE" ] || die "BASELINE=$BASELINE is not an executable"
	TOOLS=(dbready base dbready-all base-all orm kit npx)
fi
label() {
	case $1 in
	base) echo "BASELINE run" ;;
	base-all) echo "BASELINE run --tx=all" ;;
	dbready) echo "dbready run" ;;
	dbready-all) echo "dbready run --tx=all" ;;
	orm) echo "drizzle-orm migrate() (node)" ;;
	kit) echo "drizzle-kit migrate (.bin)" ;;
	npx) echo "npx drizzle-kit migrate" ;;
	esac
}
# tool_cmd TOOL: sets CMD to the command (run in tests/drizzle)
tool_cmd() {
	case $1 in
	dbready) CMD=("$DBREADY" run --dir "$CORPUS" --termination-log /dev/null -q) ;;
	dbready-all) CMD=("$DBREADY" run --dir "$CORPUS" --tx=all --termination-log /dev/null -q) ;;
	base) CMD=("$BASELINE" run --dir "$CORPUS" --termination-log /dev/null -q) ;;
	base-all) CMD=("$BASELINE" run --dir "$CORPUS" --tx=all --termination-log /dev/null -q) ;;
	orm) CMD=(node scripts/migrate.mjs "$CORPUS") ;;
	kit) CMD=(./node_modules/.bin/drizzle-kit migrate --config configs/migrate.config.ts) ;;
	npx) CMD=(npx --no-install drizzle-kit migrate --config configs/migrate.config.ts) ;;
	esac
}

DBSEQ=0
FAILED=0
# one_run TOOL KIND: apply the corpus to a new database; appends "ms rss_kb" to $T/TOOL.KIND
one_run() {
	local tool=$1 kind=$2
	DBSEQ=$((DBSEQ + 1))
	local db=bench_${tool//-/_}_$DBSEQ
	echo "CREATE DATABASE \"$db\" OWNER app;" | pg_sql bench || die "CREATE DATABASE $db failed"
	local log=$T/$db.log tf=$T/$db.time
	local t0 t1 rc
	local CMD
	tool_cmd "$tool"
	t0=$(now_ms)
	(cd "$DZ" && DATABASE_URL=$(pg_url app "$CANARY" "$db" bench) DRIZZLE_OUT=$CORPUS \
		"$TIME" -v -o "$tf" "${CMD[@]}") </dev/null >"$log" 2>&1
	rc=$?
	t1=$(now_ms)
	local rows
	rows=$(q "$db" 'SELECT count(*) FROM drizzle.__drizzle_migrations')
	if [ "$rc" -ne 0 ] || [ "$rows" != "$NMIG" ]; then
		FAILED=$((FAILED + 1))
		say "# $(label "$tool") ($kind): exit $rc, $rows history rows (want $NMIG):"
		tail -n 20 "$log" | redact | sed -e 's/^/#   /'
		return 1
	fi
	local rss
	rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$tf")
	echo "$((t1 - t0)) $rss" >>"$T/$tool.$kind"
	echo "$db" >>"$T/$tool.dbs"
}

median() { # numbers on stdin -> the median (lower middle for an even count)
	sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

say "# corpus: $CORPUS ($NMIG migrations in the journal)"
say "# PostgreSQL: $("$PG_BIN/postgres" --version) (fsync off, on this machine, over 127.0.0.1)"
say "# dbready: $("$DBREADY" version 2>&1 | head -n 1)"
[ -n "${BASELINE:-}" ] && say "# BASELINE: $BASELINE ($("$BASELINE" version 2>&1 | head -n 1))"
say "# node $(node --version), drizzle-kit $(node -p "require('$DZ/node_modules/drizzle-kit/package.json').version"), drizzle-orm $(node -p "require('$DZ/node_modules/drizzle-orm/package.json').version"), pg $(node -p "require('$DZ/node_modules/pg/package.json').version")"
say "# $(nproc) CPUs; $RUNS timed runs per tool on fresh databases, after one warm-up each"

for tool in "${TOOLS[@]}"; do
	one_run "$tool" warmup
done
for i in $(seq 1 "$RUNS"); do
	for tool in "${TOOLS[@]}"; do
		one_run "$tool" timed
	done
done

# every tool ended in the same history rows and schema as dbready (same folder, fresh dbs)
ref_db=$(head -n 1 "$T/dbready.dbs" 2>/dev/null)
dump() {
	PGPASSWORD=$CANARY "$PG_BIN/pg_dump" --schema-only -h 127.0.0.1 -p "$PORT" -U app -d "$1" 2>&1 |
		grep -Ev '^\\(un)?restrict '
}
if [ -n "$ref_db" ]; then
	q "$ref_db" 'SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id' >"$T/ref.rows"
	dump "$ref_db" >"$T/ref.dump"
fi

echo
printf '%-30s %14s  %-20s %17s   %-8s %s\n' "tool ($NMIG migrations)" "wall ms median" "runs (ms)" \
	"peak RSS MiB med." "time vs" "end state (last run's db)"
printf '%-30s %14s  %-20s %17s   %-8s %s\n' "" "" "" "" "dbready" ""
base=
for tool in "${TOOLS[@]}"; do
	f=$T/$tool.timed
	if [ ! -s "$f" ]; then
		printf '%-30s %14s\n' "$(label "$tool")" "failed"
		continue
	fi
	ms=$(cut -d' ' -f1 "$f" | median)
	rss=$(cut -d' ' -f2 "$f" | median)
	runs=$(cut -d' ' -f1 "$f" | paste -sd' ' -)
	[ -n "$base" ] || base=$ms
	same=
	if [ -n "$ref_db" ]; then
		db=$(tail -n 1 "$T/$tool.dbs")
		if q "$db" 'SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id' |
			cmp -s - "$T/ref.rows" && dump "$db" | cmp -s - "$T/ref.dump"; then
			same="rows+schema = dbready's"
		else
			same="DIFFERS from dbready's"
		fi
	fi
	printf '%-30s %14s  %-20s %17s   %-8s %s\n' "$(label "$tool")" "$ms" "$runs" \
		"$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
		"$(awk -v a="$ms" -v b="$base" 'BEGIN { if (b > 0) printf "%.1fx", a / b }')" "$same"
done
echo

[ "$FAILED" -eq 0 ]
