#!/usr/bin/env bash
# image.sh - the container image (Dockerfile) as a user runs it: built with `make image`
# (podman, on the cached local debootstrap base), then run with the hardening flags of a
# Kubernetes securityContext (--read-only --cap-drop ALL --security-opt no-new-privileges),
# the migrations mounted read-only at /migrations and the URL as a secret file, against a
# PostgreSQL server of the harness on 127.0.0.1 (--network host).
#
# Needs root and podman, runc, debootstrap (apt-get install podman runc debootstrap; this file
# installs them itself when it runs as root). Without them it is skipped, except under
# CI=true, where a missing podman is a failure. IMAGE_TEST_SKIP_BUILD=1 tests the image
# build/image.id names without building (for a quick rerun).
#
# The build must fit in the file's time budget (tests/run.sh: DBREADY_FILE_TIMEOUT, 300 s):
# a cold build takes about 8 minutes, so CI runs `make image` before `make check`; here the
# build is then a cache hit (seconds).
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"

# shellcheck source=../lib/podman.sh
. "$(dirname "$0")/../lib/podman.sh"
# the image's size bound here is a tripwire for a builder stage leaking into the image; the
# targets (bench/size.sh) are tighter
IMAGE_MAX_BYTES=$((16 * 1024 * 1024))

# skip_or_fail REASON: skip the whole file (a fact of this machine), or fail it under CI
skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		fail "image: prerequisites ($1)" "CI=true: the image test must run in CI"
		finish_early
	fi
	say "# SKIP image: $1"
	: >"$T/finished"
	exit 0
}

# finish_early: end the file after a failure that leaves nothing to run (no canary check: no
# run carried the canary, and harness_finish would call that a failure of its own)
finish_early() {
	say "# $TEST_FILE: $PASS passed, $FAIL failed"
	: >"$T/finished"
	exit 1
}

# --- prerequisites ---------------------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	skip_or_fail "needs root (podman with runc and cgroupfs, debootstrap)"
fi
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1 ||
	! command -v debootstrap >/dev/null 2>&1; then
	say "# image: installing podman runc debootstrap"
	{
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			podman runc debootstrap ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends podman runc debootstrap; }
	} >"$T/apt.log" 2>&1
fi
for tool in podman runc debootstrap; do
	command -v "$tool" >/dev/null 2>&1 || skip_or_fail "$tool is missing (apt-get install podman runc debootstrap)"
done
pass "image: podman, runc and debootstrap are installed"

# --- build -------------------------------------------------------------------------------------
BUILD_LOG=$T/build.log
if [ "${IMAGE_TEST_SKIP_BUILD:-0}" = 1 ] && [ -s "$REPO_ROOT/build/image.id" ]; then
	say "# image: IMAGE_TEST_SKIP_BUILD=1: not building"
	pass "image: make image (skipped on request)"
else
	# tests/run.sh gives a file DBREADY_FILE_TIMEOUT s (300): keep 60 of them for the runs, so
	# that a cold build (about 8 minutes: the static dependencies) fails with a reason, not a
	# bare timeout. With the layer cache warm (`make image` once) it takes seconds.
	budget=$((${DBREADY_FILE_TIMEOUT:-300} - 60))
	t0=$(now_ms)
	timeout -k 10 "$budget" make -s -C "$REPO_ROOT" image </dev/null >"$BUILD_LOG" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		pass "image: make image"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		fail "image: make image within ${budget} s" \
			"the build was stopped after ${budget} s: a cold build (no podman layer cache, or a" \
			"changed scripts/static/deps.lock or build-deps.sh) takes about 8 minutes on 2 cores." \
			"Run \`make image\` once before \`make check\` (or raise DBREADY_FILE_TIMEOUT)." \
			"The end of the build log:"
		tail -n 20 "$BUILD_LOG" | redact | sed -e 's/^/#     /'
		finish_early
	else
		fail "image: make image" "exit status $rc; the end of the build log:"
		tail -n 40 "$BUILD_LOG" | redact | sed -e 's/^/#     /'
		finish_early
	fi
	say "# image: make image took $(($(now_ms) - t0)) ms"
fi
IMAGE=$(cat "$REPO_ROOT/build/image.id" 2>/dev/null)
if [ -z "$IMAGE" ] || ! "${PODMAN[@]}" image exists "$IMAGE"; then
	fail "image: build/image.id names an image" "build/image.id: ${IMAGE:-(missing)}"
	finish_early
fi
say "# image: $IMAGE"

# --- configuration: user, entrypoint, labels ---------------------------------------------------
inspect() {
	"${PODMAN[@]}" image inspect --format "$1" "$IMAGE" 2>&1
}
check_eq() { # check_eq NAME GOT WANT
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got:  $2" "want: $3"
	fi
}
check_eq "image: USER 65532:65532" "$(inspect '{{.Config.User}}')" "65532:65532"
check_eq "image: ENTRYPOINT [/dbready]" "$(inspect '{{json .Config.Entrypoint}}')" '["/dbready"]'
check_eq "image: CMD [run]" "$(inspect '{{json .Config.Cmd}}')" '["run"]'
check_eq "image: WORKDIR /" "$(inspect '{{.Config.WorkingDir}}')" "/"
label() {
	inspect "{{index .Config.Labels \"$1\"}}"
}
VERSION=$(sed -n 's/^VERSION *?= *//p' "$REPO_ROOT/Makefile" | head -n 1)
check_eq "image: label licenses" "$(label org.opencontainers.image.licenses)" "Apache-2.0"
check_eq "image: label title" "$(label org.opencontainers.image.title)" "dbready"
check_eq "image: label version" "$(label org.opencontainers.image.version)" "${VERSION:-0.1.0}"
HEAD=$(git -C "$REPO_ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
got=$(label org.opencontainers.image.revision)
check_eq "image: label revision is the checkout's commit" "${got%-dirty}" "$HEAD"
for l in org.opencontainers.image.source org.opencontainers.image.description \
	org.opencontainers.image.created; do
	check "image: label $l is set" test -n "$(label $l)"
done
check_eq "image: label io.dbready.sbom.path" "$(label io.dbready.sbom.path)" \
	"/usr/share/doc/dbready/sbom.cdx.json"
check_eq "image: annotation io.dbready.sbom.path" \
	"$(inspect '{{index .Annotations "io.dbready.sbom.path"}}')" "/usr/share/doc/dbready/sbom.cdx.json"

SIZE=$(inspect '{{.Size}}')
say "# image: size $SIZE bytes"
assert_le "image: size ${SIZE} bytes <= $IMAGE_MAX_BYTES" "${SIZE:-999999999}" "$IMAGE_MAX_BYTES"

# --- contents: exactly the files the Dockerfile names ------------------------------------------
cid=$("${PODMAN[@]}" create "$IMAGE" 2>"$T/create.err")
if [ -n "$cid" ]; then
	podman_track "$cid"
	mkdir -p "$T/rootfs"
	"${PODMAN[@]}" export "$cid" | tar -C "$T/rootfs" -x 2>"$T/tar.err"
	"${PODMAN[@]}" rm -f "$cid" >/dev/null 2>&1
fi
# podman itself adds the mount points of /dev, /proc, /sys, /run, /etc/hosts... to a
# container: list the image's own files only
files=$(cd "$T/rootfs" 2>/dev/null && find . \( -type f -o -type l \) ! -empty | sort | tr '\n' ' ')
check_eq "image: files" "$files" "./dbready ./etc/group ./etc/passwd ./etc/ssl/cert.pem ./etc/ssl/certs/ca-certificates.crt ./usr/share/doc/dbready/LICENSE ./usr/share/doc/dbready/sbom.cdx.json "
check "image: no /bin/sh, no /bin at all" test ! -e "$T/rootfs/bin/sh" -a ! -e "$T/rootfs/bin"
check_eq "image: /etc/passwd" "$(cat "$T/rootfs/etc/passwd" 2>&1)" \
	"nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin"
check_eq "image: /etc/group" "$(cat "$T/rootfs/etc/group" 2>&1)" "nonroot:x:65532:"
check_eq "image: modes of /dbready, /etc/passwd, /etc/group, the CA bundle, the SBOM" \
	"$(cd "$T/rootfs" && stat -c '%a %u:%g %n' dbready etc/passwd etc/group \
		etc/ssl/certs/ca-certificates.crt usr/share/doc/dbready/sbom.cdx.json 2>&1 | tr '\n' ' ')" \
	"755 0:0 dbready 644 0:0 etc/passwd 644 0:0 etc/group 644 0:0 etc/ssl/certs/ca-certificates.crt 644 0:0 usr/share/doc/dbready/sbom.cdx.json "
check "image: /etc/ssl/cert.pem is the CA bundle" \
	cmp "$T/rootfs/etc/ssl/cert.pem" "$T/rootfs/etc/ssl/certs/ca-certificates.crt"
check "image: the CA bundle holds certificates" \
	test "$(grep -c 'BEGIN CERTIFICATE' "$T/rootfs/etc/ssl/certs/ca-certificates.crt" 2>/dev/null)" -ge 50
check "image: the SBOM is CycloneDX JSON" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d.get("bomFormat") == "CycloneDX", d.get("bomFormat")' "$T/rootfs/usr/share/doc/dbready/sbom.cdx.json"
rm -rf "$T/rootfs"

# --- runs --------------------------------------------------------------------------------------
# the flags of a hardened pod: read-only root, no capabilities, no privilege gain; podman.sh
# adds --network host (the harness's servers listen on 127.0.0.1) and the ulimits
HARDEN=(--read-only --cap-drop ALL --security-opt no-new-privileges)

# image_start NAME PODMAN-RUN-FLAGS... -- DBREADY-ARGS...: start the container in the
# background with stdout/stderr captured under out/ (scanned for the canary), like
# start_dbready. Sets RUN_NAME, RUN_DIR, RUN_OUT, RUN_ERR, RUN_PID (podman's), CNAME.
# shellcheck disable=SC2034 # RUN_* are read by the harness (finish_dbready, diag_run)
image_start() {
	new_run "$1"
	shift
	local flags=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		flags+=("$1")
		shift
	done
	shift
	CNAME=dbready-test-$$-$RUN_SEQ
	podman_track "$CNAME"
	local cmd=("${PODMAN[@]}" run --rm --name "$CNAME" "${HARDEN[@]}" "${flags[@]}" "$IMAGE" "$@")
	printf '%q ' "${cmd[@]}" | redact >"$RUN_DIR/cmd"
	case "${cmd[*]}" in *"$T"/secrets/*) CANARY_RUNS=$((CANARY_RUNS + 1)) ;; esac
	spawn_run "${cmd[@]}"
}
image_run() { # image_run NAME EXPECTED-EXIT PODMAN-RUN-FLAGS... -- DBREADY-ARGS...
	local name=$1 expect=$2
	shift 2
	image_start "$name" "$@"
	finish_dbready "$expect" 90
}

MIG=$T/migrations
cp -r "$REPO_ROOT/examples/migrations" "$MIG"
chmod -R a+rX "$MIG"
# secrets are readable by the container's user only, as a Kubernetes Secret with fsGroup
secret() { # secret NAME URL: a URL file under secrets/ owned by uid 65532, mode 0400
	printf '%s\n' "$2" >"$T/secrets/$1"
	chown 65532:65532 "$T/secrets/$1"
	chmod 0400 "$T/secrets/$1"
	echo "$T/secrets/$1"
}

image_run "image: version, hardened" 0 -- version
assert_matches "$RUN_OUT" "^dbready ${VERSION:-0.1.0}"

pg_start main || true
pg_create_app main || true
URL_FILE=$(secret database_url "$(pg_url app "$CANARY" app)")
SECRET=(-v "$URL_FILE:/run/secrets/database_url:ro" -e DATABASE_URL_FILE=/run/secrets/database_url)

history_rows() {
	PGPASSWORD=$CANARY PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$(pg_port main)" \
		-U postgres -d app -c 'SELECT count(*) FROM drizzle.__drizzle_migrations' 2>&1 | redact
}

image_run "image: run (default command), URL from a secret file" 0 \
	"${SECRET[@]}" -v "$MIG:/migrations:ro" --
assert_contains "$RUN_ERR" "database ready"
check_eq "image: run: 2 history rows in drizzle.__drizzle_migrations" "$(history_rows)" 2

image_run "image: run again: nothing to apply" 0 "${SECRET[@]}" -v "$MIG:/migrations:ro" --
check_eq "image: run again: still 2 history rows" "$(history_rows)" 2

image_run "image: status --json" 0 "${SECRET[@]}" -v "$MIG:/migrations:ro" -- status --json
check "image: status --json: counts.applied is 2" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["counts"]["applied"] == 2' "$RUN_OUT"

BAD_FILE=$(secret bad_url "$(pg_url app "wrong-$CANARY" app)")
image_run "image: wrong password" 5 -v "$BAD_FILE:/run/secrets/database_url:ro" \
	-e DATABASE_URL_FILE=/run/secrets/database_url -v "$MIG:/migrations:ro" --
assert_contains "$RUN_ERR" "password authentication failed"

# --- SIGTERM through `podman stop` while waiting; the process's uid ---------------------------
REFUSED=$(free_port)
DOWN_FILE=$(secret down_url "postgres://app:$CANARY@127.0.0.1:$REFUSED/app")
image_start "image: podman stop during wait" \
	-v "$DOWN_FILE:/run/secrets/database_url:ro" -e DATABASE_URL_FILE=/run/secrets/database_url \
	-- wait --timeout 60s
STOP_NAME=$CNAME
for _ in $(seq 1 100); do
	grep -q 'attempt 1:' "$RUN_ERR" 2>/dev/null && break
	sleep 0.1
done
assert_contains "$RUN_ERR" "attempt 1:" "image: podman stop during wait: it was waiting"
pid=$("${PODMAN[@]}" inspect --format '{{.State.Pid}}' "$STOP_NAME" 2>/dev/null)
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/${pid:-0}/status" 2>/dev/null)
gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/${pid:-0}/status" 2>/dev/null)
check_eq "image: the process runs as uid 65532" "$uids" "65532 65532 65532 65532"
check_eq "image: the process runs as gid 65532" "$gids" "65532 65532 65532 65532"
check_eq "image: the process has no capabilities" \
	"$(awk '/^CapEff:|^CapPrm:/ {print $2}' "/proc/${pid:-0}/status" 2>/dev/null | tr '\n' ' ')" \
	"0000000000000000 0000000000000000 "
STOP_MS=$(now_ms)
"${PODMAN[@]}" stop -t 10 "$STOP_NAME" >"$T/stop.log" 2>&1
finish_dbready 143 30
assert_le "image: podman stop: exit within 3 s of the stop" "$(($(now_ms) - STOP_MS))" 3000

# --- no shell -----------------------------------------------------------------------------------
image_run "image: no shell (--entrypoint /bin/sh fails)" 127 --entrypoint /bin/sh -- -c true

harness_finish
