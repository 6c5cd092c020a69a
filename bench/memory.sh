#!/usr/bin/env bash
# memory.sh - how much memory applying one large migration file takes: the peak RSS of
# `dbready run` for files of small INSERTs (1, 16, 60 MiB and the largest file dbready takes,
# 64 MiB) and for a file of a few large statements, each applied to a fresh database on one
# throwaway PostgreSQL server this script starts and removes. The same files as drizzle
# folders (one journal entry each) go through dbready and, when tests/drizzle/node_modules
# has drizzle-kit, through `drizzle-kit migrate` too.
#
#   bash bench/memory.sh                        # build/dbready
#   DBREADY=$PWD/build-b/dbready SIZES="1 16" LARGE=0 bash bench/memory.sh
#   SIZES= LARGE=max LARGE_STMTS=1 DRIZZLE=0 bash bench/memory.sh   # the worst case: one
#                                              # 64 MiB statement (what the manifests' limit covers)
#
# SIZES: the small-INSERT files, in MiB ("max" = 64 MiB exactly, dbready's per-file cap);
# LARGE: MiB of the file of large statements (0 = none), cut into LARGE_STMTS statements;
# DRIZZLE=0 skips the drizzle folders (and drizzle-kit). Peak RSS: GNU time -v "Maximum
# resident set size" (the largest single process of the tree). A benchmark, not a test: it
# prints a table, and exits non-zero only when a run failed or did not insert every row.
#
# Needs: dbready (make), PostgreSQL server binaries, python3, GNU time (/usr/bin/time, Debian
# package "time": installed with apt-get when missing and running as root); node and an
# installed tests/drizzle (npm ci) for the drizzle-kit column, otherwise it says it skipped it.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
SIZES=${SIZES-1 16 60 max}
LARGE=${LARGE:-60}
LARGE_STMTS=${LARGE_STMTS:-4}
DRIZZLE=${DRIZZLE:-1}
DZ=$REPO/tests/drizzle
TIME=/usr/bin/time

# the test harness: a private temp dir, throwaway servers (stopped and removed on exit)
. "$REPO/tests/lib/harness.sh"
# shellcheck source=lib.sh
. "$REPO/bench/lib.sh"

die() {
	say "memory: $*" >&2
	exit 1
}

[ -x "$DBREADY" ] || die "no dbready at $DBREADY: run make"
command -v python3 >/dev/null 2>&1 || die "python3 is missing (it writes the files)"
need_gnu_time

KIT=
if [ "$DRIZZLE" = 1 ]; then
	if ! command -v node >/dev/null 2>&1; then
		KIT_SKIP="node is not installed"
	elif [ ! -x "$DZ/node_modules/.bin/drizzle-kit" ]; then
		KIT_SKIP="tests/drizzle/node_modules has no drizzle-kit (cd tests/drizzle && npm ci)"
	else
		KIT=$DZ/node_modules/.bin/drizzle-kit
	fi
fi

# gen FILE KIND MIB: KIND small = "INSERT INTO t VALUES (n, '...');" lines up to MIB MiB
# (max: exactly 64 MiB); large = LARGE_STMTS INSERTs of one long literal each. Prints the
# number of rows the file inserts.
gen() {
	python3 - "$@" "$LARGE_STMTS" <<-'PY'
		import sys
		path, kind, mib, nlarge = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
		size = 64 * 1024 * 1024 if mib == "max" else int(float(mib) * 1024 * 1024)
		head = b"CREATE TABLE t (id integer, v text);\n"
		with open(path, "wb") as f:
		    f.write(head)
		    n, written = 0, len(head)
		    if kind == "small":
		        while True:
		            line = b"INSERT INTO t VALUES (%d, 'a small row of migration data');\n" % (n + 1)
		            if written + len(line) > size:
		                break
		            f.write(line)
		            written += len(line)
		            n += 1
		        f.write(b"\n" * (size - written))
		    else:
		        each = (size - written) // nlarge
		        for i in range(nlarge):
		            pre = b"INSERT INTO t VALUES (%d, '" % (i + 1)
		            post = b"');\n"
		            f.write(pre + b"x" * (each - len(pre) - len(post)) + post)
		            n += 1
		print(n)
	PY
}

# drizzle_folder DIR FILE: DIR as drizzle-kit writes it, with FILE as its one migration
drizzle_folder() {
	mkdir -p "$1/meta"
	ln -s "$2" "$1/0000_bench.sql"
	cat >"$1/meta/_journal.json" <<-'EOF'
		{"version": "7", "dialect": "postgresql", "entries": [
		  {"idx": 0, "version": "7", "when": 1700000000000, "tag": "0000_bench", "breakpoints": true}
		]}
	EOF
}

pg_start bench || die "could not start PostgreSQL ($PG_BIN)"
pg_create_app bench app app_unused || die "could not create the app role"
PORT=$(pg_port bench)

q() {
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PORT" -U app -d "$1" -c "$2" 2>&1
}

FAILED=0
# one_run TOOL DIR ROWS: apply DIR to a new database with TOOL (dbready or kit); prints
# "rss_kib wall_ms", or "failed" after the log's tail on stderr (run in $(...): no globals)
one_run() {
	local tool=$1 dir=$2 rows=$3
	local db=mem_$RANDOM$RANDOM
	echo "CREATE DATABASE \"$db\" OWNER app;" | pg_sql bench || die "CREATE DATABASE $db failed"
	local log=$T/$db.log tf=$T/$db.time t0 t1 rc
	local cmd=("$DBREADY" run --dir "$dir" --termination-log /dev/null -q --timeout 30s)
	[ "$tool" = kit ] && cmd=("$KIT" migrate --config configs/migrate.config.ts)
	t0=$(now_ms)
	(cd "$DZ" && DATABASE_URL=$(pg_url app "$CANARY" "$db" bench) DRIZZLE_OUT=$dir \
		"$TIME" -v -o "$tf" "${cmd[@]}") </dev/null >"$log" 2>&1
	rc=$?
	t1=$(now_ms)
	local got
	got=$(q "$db" 'SELECT count(*) FROM t')
	echo "DROP DATABASE \"$db\";" | pg_sql bench >/dev/null 2>&1
	if [ "$rc" -ne 0 ] || [ "$got" != "$rows" ]; then
		say "# $tool on $dir: exit $rc, $got rows (want $rows):" >&2
		tail -n 8 "$log" | cut -c1-300 | redact | sed -e 's/^/#   /' >&2
		echo failed
		return 1
	fi
	echo "$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$tf") $((t1 - t0))"
}

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
cell() { # cell "rss_kib ms"|failed|-: "RSS MiB (wall s)"
	case $1 in
	failed | -) echo "$1" ;;
	*) printf '%s (%s s)' "$(mib "${1% *}")" "$(awk -v m="${1#* }" 'BEGIN { printf "%.1f", m / 1000 }')" ;;
	esac
}

say "# PostgreSQL: $("$PG_BIN/postgres" --version) (fsync off, over 127.0.0.1)"
say "# dbready: $DBREADY ($("$DBREADY" version 2>&1 | head -n 1))"
if [ -n "$KIT" ]; then
	say "# node $(node --version), drizzle-kit $(node -p "require('$DZ/node_modules/drizzle-kit/package.json').version"), drizzle-orm $(node -p "require('$DZ/node_modules/drizzle-orm/package.json').version")"
elif [ "$DRIZZLE" = 1 ]; then
	say "# drizzle-kit migrate: skipped: $KIT_SKIP"
fi
say "# $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM; one run per cell"

CASES=()
for s in $SIZES; do CASES+=("small:$s"); done
[ "$LARGE" != 0 ] && CASES+=("large:$LARGE")

ROWS_OUT=()
for c in "${CASES[@]}"; do
	kind=${c%%:*} size=${c#*:}
	dir=$T/plain-$kind-$size
	mkdir -p "$dir"
	file=$dir/0001_bench.sql
	rows=$(gen "$file" "$kind" "$size") || die "could not write $file"
	bytes=$(stat -c %s "$file")
	nstmt=$((rows + 1))
	desc="$(mib $((bytes / 1024))) MiB, $nstmt statements"
	[ "$kind" = large ] && desc="$desc (large)"
	plain=$(one_run dbready "$dir" "$rows")
	dz=- kit=-
	if [ "$DRIZZLE" = 1 ]; then
		ddir=$T/drizzle-$kind-$size
		drizzle_folder "$ddir" "$file"
		dz=$(one_run dbready "$ddir" "$rows")
		if [ -n "$KIT" ]; then
			kit=$(one_run kit "$ddir" "$rows")
		fi
	fi
	for v in "$plain" "$dz" "$kit"; do
		[ "$v" = failed ] && FAILED=$((FAILED + 1))
	done
	rm -f "$file" # the next case's file takes its place on disk
	ROWS_OUT+=("$(printf '%-34s %20s %24s %24s' "$desc" "$(cell "$plain")" "$(cell "$dz")" "$(cell "$kit")")")
	say "# done: $desc" >&2
done

echo
printf '%-34s %20s %24s %24s\n' "file" "dbready run (plain)" "dbready run (drizzle)" \
	"drizzle-kit migrate"
printf '%-34s %20s %24s %24s\n' "" "peak RSS MiB (wall)" "peak RSS MiB (wall)" "peak RSS MiB (wall)"
for r in "${ROWS_OUT[@]}"; do echo "$r"; done
[ -z "$KIT" ] && [ "$DRIZZLE" = 1 ] && echo "drizzle-kit migrate: skipped: $KIT_SKIP"
echo

[ "$FAILED" -eq 0 ]
