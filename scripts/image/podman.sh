#!/bin/sh
# podman.sh - podman with the global flags this machine (and CI runners like it) needs:
# no systemd, no cgroup v2 delegation, so runc and the cgroupfs manager. Build and run
# subcommands also get host networking and fixed ulimits (the defaults podman derives from
# the root shell's limits are refused inside the build container here).
#
#   scripts/image/podman.sh build|run|create|images|inspect|rmi|image|stop|rm ... ARGS
#
# PODMAN overrides the binary; PODMAN_GLOBAL_FLAGS overrides the global flags.
set -eu
PODMAN=${PODMAN:-podman}
: "${PODMAN_GLOBAL_FLAGS:=--runtime runc --cgroup-manager=cgroupfs}"
sub=${1:?usage: podman.sh SUBCOMMAND ARGS...}
shift
case $sub in
build | run | create)
	# shellcheck disable=SC2086 # the global flags are words on purpose
	exec "$PODMAN" $PODMAN_GLOBAL_FLAGS "$sub" --network host \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@"
	;;
*)
	# shellcheck disable=SC2086
	exec "$PODMAN" $PODMAN_GLOBAL_FLAGS "$sub" "$@"
	;;
esac
