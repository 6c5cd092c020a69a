#!/usr/bin/env bash
# drizzle1.sh - dbready against drizzle 1.x's own migrators on one generated drizzle-kit 1.0
# folder: apply 100 migrations to a fresh database, and a no-op run (all 100 applied), each
# RUNS times (runs interleaved round-robin so that drift hits every tool alike, one untimed
# warm-up each first), on one throwaway PostgreSQL server this script starts and removes.
#
#   bash bench/drizzle1.sh            # RUNS=5, plot to bench/drizzle1.svg
#   RUNS=3 SVG=/tmp/x.svg bash bench/drizzle1.sh
#
# The folder: 100 folders named as drizzle-kit 1.0 names them (YYYYMMDDHHMMSS_name/
# migration.sql + snapshot.json), each in drizzle-kit's style: a CREATE TABLE (identity key, a
# few columns), a CREATE INDEX and an INSERT, separated by `--> statement-breakpoint` lines. The
# snapshot is a stub with drizzle-kit 1.0's header (type, version 9, dialect, id, prevIds: the
# chain) and no statements (the first an empty ddl, the others empty deltas): `drizzle-kit
# migrate` checks each snapshot's version and shape, and a subfolder with migration.sql and no
# snapshot.json is Prisma's layout to --format=auto.
# Tools: dbready run (per-migration transactions, the default), dbready run --tx=all (one
# transaction, as drizzle-orm does), drizzle-orm 1.0.0-rc.5's migrate() from
# drizzle-orm/node-postgres (tests/drizzle1/scripts/migrate.mjs, as
# tests/integration/format_drizzle1.sh runs it), and `drizzle-kit migrate` 1.0.0-rc.5 from
# node_modules/.bin (a config naming the folder and DATABASE_URL, written here). Both from the
# pinned tests/drizzle1 (package-lock.json), installed with `npm ci` in a private copy.
# Wall time: measured around each process (ms); peak RSS: GNU time -v "Maximum resident set
# size". Every run is checked (exit 0, the expected number of __drizzle_migrations rows), and
# the databases of all tools must end in the same rows and schema.
# A benchmark, not a test: it prints a table, writes the plot, and exits non-zero only when a
# run failed.
#
# Needs: build/dbready (make; or DBREADY=...), PostgreSQL server binaries, node + npm and the
# npm registry, GNU time, python3.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
RUNS=${RUNS:-5}
SVG=${SVG:-$BENCH_DIR/drizzle1.svg}
TIME=/usr/bin/time

. "$REPO/tests/lib/harness.sh"
# shellcheck source=lib.sh
. "$REPO/bench/lib.sh"

die() {
	say "drizzle1-bench: $*" >&2
	exit 1
}

[ -x "$DBREADY" ] || die "no dbready at $DBREADY: run make"
need_runs
need_gnu_time
command -v python3 >/dev/null 2>&1 || die "python3 is missing (it writes the folder and the plot)"
npm_private drizzle1 "$REPO/tests/drizzle1" package.json package-lock.json scripts
DZ=$T/drizzle1
# drizzle-kit migrate's config: the folder and the URL from the environment, never argv
cat >"$DZ/migrate.config.ts" <<'EOF'
import { relative } from "node:path";
import { defineConfig } from "drizzle-kit";

export default defineConfig({
	dialect: "postgresql",
	out: relative(process.cwd(), process.env.DRIZZLE_OUT!),
	dbCredentials: { url: process.env.DATABASE_URL! },
});
EOF
version() { node -p "require('$DZ/node_modules/$1/package.json').version"; }
KIT_V=$(version drizzle-kit)
ORM_V=$(version drizzle-orm)

# --- the folder -----------------------------------------------------------------------------
F100=$T/m100
mkdir -p "$F100"
python3 - "$F100" <<'EOF'
import datetime, json, os, sys
d = sys.argv[1]
t = datetime.datetime(2024, 1, 1)
for i in range(1, 101):
    v = (t + datetime.timedelta(minutes=i)).strftime("%Y%m%d%H%M%S")
    os.mkdir(f"{d}/{v}_create_t{i}")
    with open(f"{d}/{v}_create_t{i}/migration.sql", "w") as f:
        f.write(f"""CREATE TABLE "t{i}" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "t{i}_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "t{i}_name_idx" ON "t{i}" USING btree ("name");--> statement-breakpoint
INSERT INTO "t{i}" ("name", "note") VALUES ('first', 'migration {i}');
""")
    with open(f"{d}/{v}_create_t{i}/snapshot.json", "w") as f:
        snap = {"type": "base" if i == 1 else "diff", "version": "9", "dialect": "postgres",
                "id": "%08d-0000-4000-8000-000000000000" % i,
                "prevIds": ["%08d-0000-4000-8000-000000000000" % (i - 1) if i > 1 else "00000000-0000-0000-0000-000000000000"],
                "footprints": []}
        snap["ddl" if i == 1 else "deltas"] = []
        json.dump(snap, f, indent=2)
EOF
[ "$(find "$F100" -name migration.sql | wc -l)" = 100 ] || die "folder generation failed"

pg_start bench || die "could not start PostgreSQL ($PG_BIN)"
pg_create_app bench app app_unused || die "could not create the app role"
PORT=$(pg_port bench)

q() {
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PORT" -U app -d "$1" -c "$2" 2>&1
}

TOOLS=(dbready dbready-all orm kit)
label() {
	case $1 in
	dbready) echo "dbready run" ;;
	dbready-all) echo "dbready run --tx=all" ;;
	orm) echo "drizzle-orm migrate()" ;;
	kit) echo "drizzle-kit migrate" ;;
	esac
}
# tool_cmd TOOL: sets CMD and CWD (the URL is in $DATABASE_URL, never in argv)
tool_cmd() {
	CWD=$T
	case $1 in
	dbready) CMD=("$DBREADY" run --dir "$F100" --termination-log /dev/null -q) ;;
	dbready-all) CMD=("$DBREADY" run --dir "$F100" --tx=all --termination-log /dev/null -q) ;;
	orm) CMD=(node scripts/migrate.mjs "$F100") CWD=$DZ ;;
	kit) CMD=(./node_modules/.bin/drizzle-kit migrate --config migrate.config.ts) CWD=$DZ ;;
	esac
}

DBSEQ=0
FAILED=0
# one_run TOOL CASE KIND: CASE apply100 (a new database) | noop (the tool's last apply100
# database again); appends "ms rss_kb" to $T/TOOL.CASE.KIND
one_run() {
	local tool=$1 case=$2 kind=$3 db
	if [ "$case" = noop ]; then
		db=$(tail -n 1 "$T/$tool.apply100.dbs" 2>/dev/null)
		[ -n "$db" ] || return 1
	else
		DBSEQ=$((DBSEQ + 1))
		db=bench_${tool//-/_}_$DBSEQ
		echo "CREATE DATABASE \"$db\" OWNER app;" | pg_sql bench || die "CREATE DATABASE $db failed"
	fi
	local log=$T/$db.$case.log tf=$T/$db.$case.time t0 t1 rc CMD CWD
	tool_cmd "$tool"
	t0=$(now_ms)
	(cd "$CWD" && DATABASE_URL="$(pg_url app "$CANARY" "$db" bench)?sslmode=disable" DRIZZLE_OUT=$F100 \
		"$TIME" -v -o "$tf" "${CMD[@]}") </dev/null >"$log" 2>&1
	rc=$?
	t1=$(now_ms)
	local rows
	rows=$(q "$db" 'SELECT count(*) FROM drizzle.__drizzle_migrations')
	if [ "$rc" -ne 0 ] || [ "$rows" != 100 ]; then
		FAILED=$((FAILED + 1))
		say "# $(label "$tool") ($case, $kind): exit $rc, $rows rows in __drizzle_migrations (want 100):"
		tail -n 20 "$log" | redact | sed -e 's/^/#   /'
		return 1
	fi
	local rss
	rss=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$tf")
	echo "$((t1 - t0)) $rss" >>"$T/$tool.$case.$kind"
	[ "$case" = noop ] || echo "$db" >>"$T/$tool.$case.dbs"
}

CASES=(apply100 noop)
case_label() {
	case $1 in
	apply100) echo "apply 100" ;;
	noop) echo "no-op (100 applied)" ;;
	esac
}

PG_V=$("$PG_BIN/postgres" --version | awk '{ print $3 }')
say "# PostgreSQL: $("$PG_BIN/postgres" --version) (fsync off, on this machine, over 127.0.0.1)"
say "# dbready: $("$DBREADY" version 2>&1 | head -n 1)"
say "# drizzle-kit $KIT_V, drizzle-orm $ORM_V, pg $(version pg), node $(node --version)"
say "# $(nproc) CPUs; $RUNS timed runs per tool and case, after one warm-up each"

for tool in "${TOOLS[@]}"; do
	for c in "${CASES[@]}"; do one_run "$tool" "$c" warmup; done
done
for i in $(seq 1 "$RUNS"); do
	for c in "${CASES[@]}"; do
		for tool in "${TOOLS[@]}"; do one_run "$tool" "$c" timed; done
	done
done

# the tools' databases end alike: the history rows (all but id and applied_at) and the schema
dump() {
	PGPASSWORD=$CANARY "$PG_BIN/pg_dump" --schema-only -h 127.0.0.1 -p "$PORT" -U app -d "$1" 2>&1 |
		grep -Ev '^\\(un)?restrict '
}
hist() {
	q "$1" 'SELECT name, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id'
}
ref=$(tail -n 1 "$T/orm.apply100.dbs" 2>/dev/null)
same() { # same TOOL: its last database = drizzle-orm's; status 1 when it differs
	local db
	db=$(tail -n 1 "$T/$1.apply100.dbs" 2>/dev/null)
	[ -n "$ref" ] && [ -n "$db" ] || { echo "n/a"; return; }
	if hist "$db" | cmp -s - <(hist "$ref") && dump "$db" | cmp -s - <(dump "$ref"); then
		echo "rows+schema = drizzle-orm's"
	else
		echo "DIFFERS from drizzle-orm's"
		return 1
	fi
}

echo
bench_table orm
echo
for tool in dbready dbready-all kit; do
	r=$(same "$tool") || FAILED=$((FAILED + 1))
	say "# end state after 100, $(label "$tool"): $r"
done

bench_plot "$T/plot.tsv" "$SVG" \
	"dbready vs drizzle 1.x: applying a drizzle-kit 1.0 folder (median of $RUNS runs)" \
	"wall time (bars, each case to its own scale) and peak RSS; drizzle-kit/drizzle-orm $ORM_V, PostgreSQL $PG_V" \
	"bench/drizzle1.sh: fresh database per apply run, same server, runs interleaved"
[ -s "$SVG" ] && say "# plot: $SVG"

[ "$FAILED" -eq 0 ]
