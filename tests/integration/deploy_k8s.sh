#!/usr/bin/env bash
# deploy_k8s.sh - manifests/ (plain Kubernetes YAML for `kubectl apply -k`), checked here
# without a cluster:
#   - `kubectl kustomize manifests/` builds; manifests/migrations is examples/migrations
#   - every object, as written and as built, validates against the Kubernetes OpenAPI schema
#     (npm kubernetes-models, pinned in tests/deploy) with no unknown field; every pod passes
#     the Pod Security Standard "restricted" (tests/deploy/lib/pss.mjs), whose checker is
#     shown to reject a broken pod for each of its rules; the dbready containers are hardened
#     and each pattern is wired as it must be (check-manifests.mjs)
#   - the runtime contract, on the real binary against the harness's PostgreSQL: the
#     migrations and the URL laid out exactly as the kubelet fills the pods' volumes (the
#     atomic writer's ..data -> ..<timestamp> symlinks; projected ConfigMap with the journal
#     item; Secret item with mode 0440 and the pod's fsGroup) from the built manifests, and
#     each pattern's container run with its own args and env as uid/gid 65532: the Job
#     applies; without the fsGroup the URL file is unreadable (exit 3); app pods' `await`
#     waits for the Job; the native sidecar's `run --stay` with its startupProbe command, as
#     the kubelet would poll it (9 while pending, 0 once applied, 4 unreachable, 5 refused),
#     and SIGTERM ends it with 0; the image under podman with a read-only root runs the
#     Job's container and its probe from the same volumes.
#
# Needs kubectl (its built-in kustomize; it comes with this machine's image, not from
# Debian), node and npm (tests/deploy), root (uid 65532, chown), and for the image part
# podman and `make image` (build/image.id). A missing prerequisite skips the file, except
# under CI=true, where it is a failure.
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=../deploy/lib/deploy.sh
. "$REPO_ROOT/tests/deploy/lib/deploy.sh"

command -v kubectl >/dev/null 2>&1 || deploy_skip_or_fail "kubectl is not installed (kubectl kustomize)"
[ "$(id -u)" = 0 ] || deploy_skip_or_fail "needs root (files owned by the fsGroup, runs as uid 65532)"
deploy_npm

# --- the files --------------------------------------------------------------------------------
BUILT=$T/out/kustomize.yaml
if kubectl kustomize "$REPO_ROOT/manifests" >"$BUILT" 2>"$T/out/kustomize.err"; then
	pass "kubectl kustomize manifests/ builds"
else
	fail "kubectl kustomize manifests/ builds"
	diag_file stderr "$T/out/kustomize.err"
	harness_finish
fi
# the overlay the GitHub workflow applies in kind: only the images change
if kubectl kustomize "$REPO_ROOT/tests/deploy/kind-overlay" >"$T/out/kind-overlay.yaml" 2>&1; then
	pass "kubectl kustomize tests/deploy/kind-overlay builds"
else
	fail "kubectl kustomize tests/deploy/kind-overlay builds" "$(cat "$T/out/kind-overlay.yaml")"
fi
# shellcheck disable=SC2016 # $1 is the inner shell's
check "kind-overlay: every dbready container runs dbready:ci, every app pause, nothing ghcr.io/OWNER" \
	bash -c 'test "$(grep -c "image: dbready:ci$" "$1")" = 4 &&
		test "$(grep -c "image: registry.k8s.io/pause:3.10$" "$1")" = 3 && ! grep -q "ghcr.io/OWNER" "$1"' _ "$T/out/kind-overlay.yaml"
check "manifests/migrations is examples/migrations, file for file" \
	diff -r "$REPO_ROOT/examples/migrations" "$REPO_ROOT/manifests/migrations"
node_checks manifests check-manifests.mjs "$REPO_ROOT" "$BUILT"
node_checks pss check-pss-selftest.mjs "$REPO_ROOT"

# --- the runtime contract -------------------------------------------------------------------------
pg_start main || harness_finish
pg_create_app main || harness_finish
for db in job nofsgroup awaiting sidecar image; do
	pg_sql main <<<"CREATE DATABASE \"$db\" OWNER app;" || harness_finish
done

# the pods' volumes, laid out by the kubelet's rules from the built manifests
VOL=$T/vol
mkdir -p "$VOL"
lay_out() { # lay_out KIND/NAME VOLUME DEST ARGS...: kubelet-volume.mjs, its output in out/
	local log
	log=$T/out/layout-$(basename "$3").log
	if (cd "$DEPLOY_DIR" && node kubelet-volume.mjs "$BUILT" "$@") >"$log" 2>&1; then
		pass "volume $2 of $1 laid out as the kubelet does ($(tr '\n' ' ' <"$log"))"
	else
		fail "volume $2 of $1 laid out as the kubelet does"
		diag_file log "$log"
		harness_finish
	fi
}
lay_out Deployment/app migrations "$VOL/migrations"
# shellcheck disable=SC2016 # $1 is the inner shell's
check "the migrations volume has ..data -> ..<timestamp> and symlinked entries" \
	bash -c 'test -L "$1/..data" && case $(readlink "$1/..data") in ..20*) true ;; *) false ;; esac &&
		test -L "$1/meta" && test -L "$1/0000_create_users.sql" && test -f "$1/meta/_journal.json"' _ "$VOL/migrations"
chmod 755 "$VOL"

# the URL as the Secret's key url: secrets/ is not scanned for the canary (it holds it)
url_secret() { # url_secret DBNAME -> a file with the URL
	printf '%s\n' "$(pg_url app "$CANARY" "$1")" >"$T/secrets/url-$1"
	echo "$T/secrets/url-$1"
}
chmod 755 "$T/secrets"
lay_out Job/app-migrate database-url "$T/secrets/vol-job" --secret "app-db.url=$(url_secret job)"
lay_out Job/app-migrate database-url "$T/secrets/vol-nofsgroup" --secret "app-db.url=$(url_secret nofsgroup)" --no-fsgroup

# container TARGET: read the dbready container of TARGET (pod-container.mjs) into ARGS (its
# args), ENVS (NAME=VALUE, values below a mount translated to the host directory, secretKeyRef
# url from URL_FOR), MOUNTS, PROBE, RESTART. HOSTDIR_<volume> name the host directories.
container() {
	local target=$1 kind a b
	ARGS=() ENVS=() PROBE=() RESTART='' MOUNTS=() RUN_UID='' RUN_GID='' FS_GROUP=''
	local lines
	lines=$T/out/container-$(printf '%s' "$target" | tr '/' '-').tsv
	(cd "$DEPLOY_DIR" && node pod-container.mjs "$BUILT" "$target" dbready) >"$lines" 2>&1 || {
		fail "read the dbready container of $target"
		diag_file out "$lines"
		return 1
	}
	while IFS=$'\t' read -r kind a b; do
		case $kind in
		arg) ARGS+=("$a") ;;
		env) ENVS+=("$a=$b") ;;
		envsecret) ENVS+=("$a=${URL_FOR:?}") ;;
		mount) MOUNTS+=("$a=$b") ;;
		probe) PROBE+=("$a") ;;
		restart) RESTART=$a ;;
		user) RUN_UID=$a ;;
		group) RUN_GID=$a ;;
		fsgroup) FS_GROUP=$a ;;
		esac
	done <"$lines"
}
# host_path PATH: a path inside the container → the host directory of its volume
host_path() {
	local m vol mp
	for m in "${MOUNTS[@]}"; do
		vol=${m%%=*} mp=${m#*=}
		case $1 in "$mp" | "$mp"/*)
			local v=HOSTDIR_${vol//-/_}
			echo "${!v}${1#"$mp"}"
			return
			;;
		esac
	done
	echo "$1"
}
# as_pod: the next run is the container's: its runAsUser/runAsGroup, its env only
# (paths translated), /migrations from the laid-out volume via --dir when the manifest mounts it
as_pod() {
	local e envs=()
	for e in "${ENVS[@]}"; do
		local n=${e%%=*} v=${e#*=}
		case $v in /*) v=$(host_path "$v") ;; esac
		envs+=("$n=$v")
	done
	# shellcheck disable=SC2034 # read by start_dbready
	local groups=(--clear-groups)
	[ -n "$FS_GROUP" ] && groups=("--groups=$FS_GROUP")
	RUN_WRAP=(env -i "${envs[@]}" setpriv "--reuid=${RUN_UID:?no runAsUser}" "--regid=${RUN_GID:?no runAsGroup}" "${groups[@]}")
}
DIR_ARGS=() # --dir for the migrations mount
pod_dir() {
	DIR_ARGS=()
	local m
	for m in "${MOUNTS[@]}"; do
		if [ "${m#*=}" = /migrations ]; then
			DIR_ARGS=(--dir "$(host_path /migrations)")
		fi
	done
	return 0
}
rows() { # rows DB: history rows in drizzle's table
	PGPASSWORD=$CANARY "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$(pg_port main)" -U postgres -d "$1" \
		-c 'SELECT count(*) FROM drizzle.__drizzle_migrations' 2>/dev/null || echo none
}

# shellcheck disable=SC2034 # HOSTDIR_<volume> are read through ${!v}
HOSTDIR_migrations=$VOL/migrations

# the Job: its args, DATABASE_URL_FILE from the Secret volume with fsGroup, as uid 65532
HOSTDIR_database_url=$T/secrets/vol-job
container Job/app-migrate && pod_dir && as_pod
run_dbready "job: the Job's container (${ARGS[*]}) applies the ConfigMap-laid-out folder as uid 65532" 0 \
	"${ARGS[@]}" "${DIR_ARGS[@]}"
RUN_WRAP=()
assert_contains "$RUN_ERR" "0001_add_posts"
assert_not_contains "$RUN_ERR" "warning" "job: no warning about ..data, the timestamped dir or _journal.json at the top"
check "job: 2 history rows" test "$(rows job)" = 2

# the same without the fsGroup: root-owned 0440 is unreadable for uid 65532
HOSTDIR_database_url=$T/secrets/vol-nofsgroup
container Job/app-migrate && pod_dir && as_pod
run_dbready "job without fsGroup: the URL file is unreadable (exit 3)" 3 "${ARGS[@]}" "${DIR_ARGS[@]}"
RUN_WRAP=()
assert_contains "$RUN_ERR" "Permission denied"
check "job without fsGroup: nothing applied" test "$(rows nofsgroup)" = none

# app pods after a Job: await waits while migrations are pending, exits 0 once the Job ran
URL_FOR=$(pg_url app "$CANARY" awaiting)
container Deployment/app-await && pod_dir && as_pod
start_dbready "await: the app pod's initContainer (${ARGS[*]}) waits for the Job" "${ARGS[@]}" "${DIR_ARGS[@]}"
RUN_WRAP=()
AWAIT_PID=$RUN_PID AWAIT_DIR=$RUN_DIR AWAIT_NAME=$RUN_NAME AWAIT_START=$RUN_START_MS
sleep 2
check "await: still waiting after 2 s (migrations pending)" kill -0 "$AWAIT_PID"
HOSTDIR_database_url=$T/secrets/vol-await
lay_out Job/app-migrate database-url "$T/secrets/vol-await" --secret "app-db.url=$(url_secret awaiting)"
container Job/app-migrate && pod_dir && as_pod
run_dbready "await: the Job runs meanwhile" 0 "${ARGS[@]}" "${DIR_ARGS[@]}"
RUN_WRAP=()
JOB_DONE=$(now_ms)
# back to the waiting run
RUN_PID=$AWAIT_PID RUN_DIR=$AWAIT_DIR RUN_NAME=$AWAIT_NAME RUN_START_MS=$AWAIT_START
RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
finish_dbready 0 30
assert_le "await: done within 3 s of the Job" "$(($(now_ms) - JOB_DONE))" 3000

# the native sidecar: the kubelet runs the startupProbe's command until it exits 0, then the
# app starts; the sidecar keeps running; pod deletion sends SIGTERM
URL_FOR=$(pg_url app "$CANARY" sidecar)
container Deployment/app-sidecar && pod_dir
check "sidecar: restartPolicy Always, a startupProbe command" test "$RESTART" = Always -a "${#PROBE[@]}" -gt 0
check "sidecar: the startupProbe calls the binary itself (no shell in the image)" test "${PROBE[0]:-}" = /dbready
PARGS=("${PROBE[@]:1}" "${DIR_ARGS[@]}") # run_dbready supplies the binary
as_pod
run_dbready "sidecar: startupProbe (${PROBE[*]}) before the sidecar ran: pending" 9 "${PARGS[@]}"
start_dbready "sidecar: ${ARGS[*]}" "${ARGS[@]}" "${DIR_ARGS[@]}"
SIDE_PID=$RUN_PID SIDE_DIR=$RUN_DIR SIDE_NAME=$RUN_NAME SIDE_START=$RUN_START_MS
probe_rc=none
for _ in $(seq 1 100); do # the kubelet's periodSeconds, shortened
	sleep 0.2
	as_pod
	"${RUN_WRAP[@]}" "$DBREADY" "${PARGS[@]}" --termination-log "" </dev/null >/dev/null 2>"$T/out/probe.err"
	probe_rc=$?
	[ "$probe_rc" = 0 ] && break
	case $probe_rc in 4 | 9) ;; *) break ;; esac # only "not yet" answers may repeat
done
RUN_WRAP=()
check "sidecar: the startupProbe command succeeds once the sidecar applied (last exit $probe_rc)" test "$probe_rc" = 0
check "sidecar: 2 history rows" test "$(rows sidecar)" = 2
sleep 1
check "sidecar: still running after the probe succeeded (--stay)" kill -0 "$SIDE_PID"
RUN_PID=$SIDE_PID RUN_DIR=$SIDE_DIR RUN_NAME=$SIDE_NAME RUN_START_MS=$SIDE_START
RUN_OUT=$RUN_DIR/stdout RUN_ERR=$RUN_DIR/stderr RUN_TERMLOG=$RUN_DIR/termination-log
kill -TERM "$SIDE_PID"
TERM_MS=$(now_ms)
finish_dbready 0 10
assert_le "sidecar: SIGTERM ends it within 2 s" "$(($(now_ms) - TERM_MS))" 2000
assert_contains "$RUN_ERR" "staying up until SIGTERM"
as_pod
run_dbready "sidecar: startupProbe with everything applied" 0 "${PARGS[@]}"
URL_FOR="postgres://app:$CANARY@127.0.0.1:$(free_port)/sidecar"
container Deployment/app-sidecar && pod_dir && as_pod
run_dbready "sidecar: startupProbe, server unreachable" 4 "${PARGS[@]}"
URL_FOR=$(pg_url app "wrong-$CANARY" sidecar)
container Deployment/app-sidecar && pod_dir && as_pod
run_dbready "sidecar: startupProbe, wrong password" 5 "${PARGS[@]}"
RUN_WRAP=()

# --- the image: read-only root, uid 65532, the same volumes at the manifests' paths -------------
IMAGE=$(cat "$REPO_ROOT/build/image.id" 2>/dev/null)
# shellcheck source=../lib/podman.sh
. "$(dirname "$0")/../lib/podman.sh"
if ! command -v podman >/dev/null 2>&1 || [ -z "$IMAGE" ] || ! "${PODMAN[@]}" image exists "$IMAGE" 2>/dev/null; then
	if [ "${CI:-}" = true ]; then
		fail "image: build/image.id names a podman image" "CI=true: .ci/run builds it (make image) before the suite"
	else
		say "# SKIP image part: no podman or no image (make image)"
	fi
	harness_finish
fi
lay_out Job/app-migrate database-url "$T/secrets/vol-image" --secret "app-db.url=$(url_secret image)"
container Job/app-migrate
# podman_pod NAME EXPECTED-EXIT WORDS...: the container as the pod runs it (entrypoint and
# args WORDS), hardened as its securityContext says, its volumes at the manifest's paths, its
# environment passed by name (no value on podman's command line). Like start_dbready +
# finish_dbready, with the captures under out/.
# shellcheck disable=SC2034 # RUN_* are read by the harness (finish_dbready, diag_run)
podman_pod() {
	local name=$1 expect=$2
	shift 2
	local e flags=() envs=() m vol mp v
	for e in "${ENVS[@]}"; do
		envs+=("$e")
		flags+=(-e "${e%%=*}")
	done
	for m in "${MOUNTS[@]}"; do
		vol=${m%%=*} mp=${m#*=} v=HOSTDIR_${vol//-/_}
		flags+=(-v "${!v}:$mp:ro")
	done
	new_run "$name"
	local cname=dbready-deploy-$$-$RUN_SEQ
	podman_track "$cname"
	local cmd=("${PODMAN[@]}" run --rm --name "$cname" --read-only --cap-drop ALL
		--security-opt no-new-privileges --user "$RUN_UID:$RUN_GID" ${FS_GROUP:+--group-add "$FS_GROUP"} "${flags[@]}"
		--entrypoint "$1" "$IMAGE" "${@:2}")
	printf '%q ' "${cmd[@]}" | redact >"$RUN_DIR/cmd"
	case "${envs[*]}" in *"$CANARY"*) CANARY_RUNS=$((CANARY_RUNS + 1)) ;; esac
	case "${flags[*]}" in *"$T"/secrets/*) CANARY_RUNS=$((CANARY_RUNS + 1)) ;; esac
	spawn_run env "${envs[@]}" "${cmd[@]}"
	finish_dbready "$expect" 90
}
# shellcheck disable=SC2034 # read through ${!v}
HOSTDIR_database_url=$T/secrets/vol-image
podman_pod "image: the Job's container, read-only root, uid 65532" 0 /dbready "${ARGS[@]}"
assert_contains "$RUN_ERR" "0001_add_posts"
check "image: 2 history rows" test "$(rows image)" = 2
URL_FOR=$(pg_url app "$CANARY" image)
container Deployment/app-sidecar
podman_pod "image: the sidecar's startupProbe command against the applied database" 0 "${PROBE[@]}"

harness_finish
