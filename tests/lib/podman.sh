# podman.sh - containers in tests (sourced after harness.sh): podman with this machine's
# flags (scripts/image/podman.sh), and every container a test names removed when the file
# ends, whatever way it ends.
#
#   PODMAN=(...)          the command to run podman with
#   podman_track NAME     remember a container to remove at the end
# shellcheck shell=bash

PODMAN=(sh "$REPO_ROOT/scripts/image/podman.sh")
CONTAINERS=()

podman_track() {
	CONTAINERS+=("$1")
}

# shellcheck disable=SC2317 # the EXIT trap
podman_cleanup() {
	local rc=$? c
	for c in "${CONTAINERS[@]}"; do
		"${PODMAN[@]}" rm -f -t 0 "$c" >/dev/null 2>&1
	done
	(exit "$rc")
	harness_cleanup
}
trap podman_cleanup EXIT
