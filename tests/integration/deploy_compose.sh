#!/usr/bin/env bash
# deploy_compose.sh - examples/compose/docker-compose.yml:
#   - check-compose.mjs: it validates against the Compose Specification schema; the order it
#     promises (postgres healthy -> dbready -> app after dbready completed successfully), its
#     secrets and the hardened dbready service
#   - the dbready service as defined there (command, environment, secrets, volumes, read_only,
#     cap_drop, security_opt: translated by the Compose rules into `podman run`) runs with the
#     project's image against a PostgreSQL 15 of the harness, with PostgreSQL still down for
#     its first attempts: exit 0 (what service_completed_successfully waits for), the history
#     rows written; a second `docker compose up` applies nothing and exits 0 again
#
# Why not `docker compose up` itself: no registry is reachable here (no postgres:15 image),
# podman networks only with --network host on this machine, and Debian's podman-compose 1.0.3
# adds its own network even then. So the harness's server stands in for the postgres
# service: the URL keeps the host name postgres (--add-host postgres:127.0.0.1) and the
# secret file is the test's own (the harness's port and password).
#
# Needs node and npm, root, podman and the image (make image); a missing prerequisite skips
# the rest of the file, except under CI=true.
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=../lib/podman.sh
. "$(dirname "$0")/../lib/podman.sh"
# shellcheck source=../deploy/lib/deploy.sh
. "$REPO_ROOT/tests/deploy/lib/deploy.sh"

deploy_npm
[ "$(id -u)" = 0 ] || deploy_skip_or_fail "needs root for podman"
command -v podman >/dev/null 2>&1 || deploy_skip_or_fail "podman is not installed"
IMAGE=$(cat "$REPO_ROOT/build/image.id" 2>/dev/null)
if [ -z "$IMAGE" ] || ! "${PODMAN[@]}" image exists "$IMAGE"; then
	deploy_skip_or_fail "no image: make image"
fi

# the role and database exist before PostgreSQL listens on TCP, as the postgres image creates
# them on its socket-only first start
pg_start main || harness_finish
pg_create_app main || harness_finish
pg_stop main
PORT=$(pg_port main)
# the secret the compose file names, for this server: readable by uid 65532 as compose mounts
# files as they are
URL_FILE=$T/secrets/database_url
printf 'postgres://app:%s@postgres:%s/app?sslmode=disable\n' "$CANARY" "$PORT" >"$URL_FILE"
chmod 755 "$T/secrets"
chmod 644 "$URL_FILE"
TR=$T/translated
mkdir -p "$TR"
node_checks compose check-compose.mjs "$REPO_ROOT" "$TR" --secret-file "database_url=$URL_FILE"
mapfile -d '' FLAGS <"$TR/dbready.args"
mapfile -d '' COMMAND <"$TR/dbready.command"
check "compose: the dbready service's image is the one this repository builds ($(cat "$TR/dbready.image"))" \
	test "$(cat "$TR/dbready.image")" = "ghcr.io/OWNER/dbready:$(sed -n 's/^VERSION *?= *//p' "$REPO_ROOT/Makefile")"

# service_start NAME: the dbready service as compose would start it (podman.sh adds the host
# network and this machine's ulimits), in the background with captures under out/
# shellcheck disable=SC2034 # RUN_* are read by the harness (finish_dbready, diag_run)
service_start() {
	new_run "$1"
	local name=dbready-compose-$$-$RUN_SEQ
	podman_track "$name"
	local cmd=("${PODMAN[@]}" run --rm --name "$name" --add-host postgres:127.0.0.1
		"${FLAGS[@]}" "$IMAGE" "${COMMAND[@]}")
	printf '%q ' "${cmd[@]}" | redact >"$RUN_DIR/cmd"
	CANARY_RUNS=$((CANARY_RUNS + 1)) # the secret file holds it
	spawn_run "${cmd[@]}"
}

# PostgreSQL comes up 2 s after dbready started (a healthcheck can pass early; dbready waits)
service_start "compose: the dbready service (${COMMAND[*]}), PostgreSQL up 2 s later"
sleep 2
pg_start main || harness_finish
finish_dbready 0 90
assert_contains "$RUN_ERR" "database ready"
assert_contains "$RUN_ERR" "0001_add_posts"
rows=$(PGPASSWORD=$CANARY "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$PORT" -U postgres -d app \
	-c 'SELECT count(*) FROM drizzle.__drizzle_migrations' 2>&1 | redact)
check "compose: 2 history rows" test "$rows" = 2
service_start "compose: docker compose up again: nothing to apply"
finish_dbready 0 90
assert_contains "$RUN_ERR" "nothing to apply" "compose: ... applies nothing"
assert_not_contains "$RUN_ERR" "applying" "compose: ... applies no migration"

harness_finish
