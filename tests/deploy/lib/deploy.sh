# deploy.sh - what the deploy_*.sh integration files share: the pinned npm packages of
# tests/deploy, running its node checks (result lines "PASS<TAB>name" / "FAIL<TAB>name<TAB>why"
# become the harness's pass/fail), and skipping a file for a missing prerequisite (a failure
# under CI=true). Sourced after tests/lib/harness.sh.

DEPLOY_DIR=$REPO_ROOT/tests/deploy

# deploy_skip_or_fail REASON: skip the rest of the file, or fail it under CI=true
deploy_skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		fail "$TEST_FILE: prerequisites ($1)" "CI=true: this test must run in CI"
		say "# $TEST_FILE: $PASS passed, $FAIL failed"
		: >"$T/finished"
		exit 1
	fi
	say "# SKIP $TEST_FILE: $1"
	: >"$T/finished"
	exit 0
}

# deploy_npm: node and npm present, tests/deploy installed from its lock (`npm ci`, again
# only when package-lock.json changed since the last install), every package at its pin.
# Failure here is a failure, not a skip (as for tests/drizzle): make deps installs node.
deploy_npm() {
	local missing=
	command -v node >/dev/null 2>&1 || missing="$missing node"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	if [ -n "$missing" ]; then
		fail "$TEST_FILE: node and npm are installed" "missing:$missing: make deps (apt-get install nodejs npm)"
		harness_finish
	fi
	local stamp=$DEPLOY_DIR/node_modules/.installed-lock.sha256 want
	want=$(sha256sum "$DEPLOY_DIR/package-lock.json" | cut -d' ' -f1)
	if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
		local t0=$SECONDS
		if (cd "$DEPLOY_DIR" && npm ci --no-audit --no-fund) </dev/null >"$T/out/npm-ci.log" 2>&1; then
			echo "$want" >"$stamp"
			say "# $TEST_FILE: npm ci in tests/deploy took $((SECONDS - t0)) s"
		else
			fail "$TEST_FILE: npm ci in tests/deploy from package-lock.json" \
				"npm ci failed (the npm registry must be reachable, or the packages in npm's cache)"
			diag_file npm-ci.log "$T/out/npm-ci.log"
			harness_finish
		fi
	fi
	local out
	if out=$(cd "$DEPLOY_DIR" && node -e '
const fs = require("fs");
const deps = require("./package.json").dependencies;
const bad = [];
for (const [name, pin] of Object.entries(deps)) {
	if (!/^\d+\.\d+\.\d+$/.test(pin)) bad.push(`${name}: "${pin}" is not an exact version`);
	const v = JSON.parse(fs.readFileSync(`node_modules/${name}/package.json`, "utf8")).version;
	if (v !== pin) bad.push(`${name}: installed ${v}, pinned ${pin}`);
}
if (bad.length) { console.log(bad.join("\n")); process.exit(1); }' 2>&1); then
		pass "$TEST_FILE: tests/deploy's npm packages are installed at their exact pins"
	else
		fail "$TEST_FILE: tests/deploy's npm packages are installed at their exact pins" "$out"
		harness_finish
	fi
}

# node_checks LABEL SCRIPT ARGS...: run a tests/deploy script; each PASS/FAIL line it prints
# is one result. It must print at least one, and exit 0 exactly when none failed.
node_checks() {
	local label=$1 script=$2
	shift 2
	local log=$T/out/node-$(printf '%s' "$label" | tr -c 'A-Za-z0-9' '-').log
	(cd "$DEPLOY_DIR" && node "$script" "$@") </dev/null >"$log" 2>"$log.err"
	local rc=$? n=0 fails=0 kind name detail
	while IFS=$'\t' read -r kind name detail; do
		case $kind in
		PASS)
			pass "$name"
			n=$((n + 1))
			;;
		FAIL)
			fail "$name" "$detail"
			n=$((n + 1))
			fails=$((fails + 1))
			;;
		esac
	done <"$log"
	if [ "$n" -eq 0 ]; then
		fail "$label: $script reported results" "exit $rc and no PASS/FAIL line"
		diag_file stderr "$log.err"
	elif [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then
		fail "$label: $script exit status" "exit $rc although every check passed"
		diag_file stderr "$log.err"
	elif [ "$rc" -eq 0 ] && [ "$fails" -ne 0 ]; then
		fail "$label: $script exit status" "exit 0 although $fails checks failed"
	fi
}
