# prisma.sh - what the format_prisma*.sh files share: the fixture, the real Prisma CLI
# (prisma 6.19.3 on its bundled WASM schema engine through @prisma/adapter-pg, pinned in
# tests/prisma) and the history rows as Prisma compares them. Sourced after harness.sh and
# migrate.sh. prisma_setup installs the CLI and sets PRISMA (empty without node/npm or the
# npm registry: the parts that run Prisma are then skipped with a "# SKIP" line).

# shellcheck shell=bash disable=SC2034 # FIX and CMP are read by the files that source this
FIX=$REPO_ROOT/tests/fixtures/prisma-basic
PR_SRC=$REPO_ROOT/tests/prisma
PR_PKG=$T/prisma # this file's Prisma logs
# The install: one per run of the suite (run.sh gives each file a folder in the run's own
# tree), else one per file; never one another run may `npm ci` meanwhile.
if [ -n "${DBREADY_TEST_DIR:-}" ]; then
	PR_HOME=$(dirname "$T")/prisma-install
else
	PR_HOME=$T/prisma-install
fi
CMP=$T/cmp
D=$T/dirs
mkdir -p "$PR_PKG" "$PR_HOME" "$CMP" "$D"
PRISMA=

prisma_setup() {
	if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
		say "# SKIP prisma: node and npm are not installed (the parts that run Prisma are skipped)"
		return 0
	fi
	# the second file of a run finds the install done (flock: never two npm ci at once)
	(
		! command -v flock >/dev/null || flock 9
		[ -f "$PR_HOME/installed" ] && exit 0
		cp "$PR_SRC/package.json" "$PR_SRC/package-lock.json" "$PR_SRC/prisma.config.ts" \
			"$PR_SRC/schema.prisma" "$PR_HOME/" &&
			(cd "$PR_HOME" && npm ci --no-audit --no-fund) </dev/null >"$PR_HOME/npm-ci.log" 2>&1 &&
			touch "$PR_HOME/installed"
	) 9>"$PR_HOME.lock"
	if [ -f "$PR_HOME/installed" ]; then
		PRISMA=$PR_HOME/node_modules/prisma/build/index.js
		local got
		got=$(node -p "require('$PR_HOME/node_modules/prisma/package.json').version")
		check "prisma: npm ci in tests/prisma; the CLI is the pinned 6.19.3 ($got)" \
			test "$got" = 6.19.3
	else
		say "# SKIP prisma: npm ci in tests/prisma failed (the npm registry must be reachable); see $PR_HOME/npm-ci.log"
	fi
}

# prisma_run LOG URL DIR [SCHEMA] -- ARGS...: the real Prisma CLI against URL with the
# migrations folder DIR (and the adapter's schema); output appended to $PR_PKG/LOG
prisma_run() {
	local log=$PR_PKG/$1 url=$2 dir=$3 schema=
	shift 3
	if [ "$1" != -- ]; then
		schema=$1
		shift
	fi
	shift
	printf '$ prisma %s\n' "$*" >>"$log"
	(cd "$PR_HOME" && DATABASE_URL=$url PRISMA_MIGRATIONS=$dir PRISMA_SCHEMA=$schema \
		PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1 node "$PRISMA" "$@") \
		</dev/null >>"$log" 2>&1
}

# rows DB [TABLE]: the history rows as Prisma would compare them: all but id and the times
rows() {
	q main "$1" "SELECT migration_name, checksum, finished_at IS NOT NULL, logs, rolled_back_at,
		started_at <= finished_at, applied_steps_count, length(id), id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\$'
		FROM ${2:-public._prisma_migrations} ORDER BY migration_name"
}
log_rows() { q main "$1" "SELECT string_agg(name, ' ' ORDER BY name) || ' ' || count(*) FROM applied_log"; }
