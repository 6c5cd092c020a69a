#!/bin/sh
# base.sh - make (once) the local Debian base image the Dockerfile's builder stage starts
# from, for machines that cannot pull from a registry: `debootstrap --variant=minbase` of
# SUITE from Debian's archive, imported into podman as IMAGE. Does nothing when IMAGE
# exists already (FORCE=1 rebuilds it).
#
#   sh scripts/image/base.sh [IMAGE] [SUITE]
#   default: localhost/dbready-builder-base:bookworm bookworm
#
# Needs root, debootstrap and podman (apt-get install podman runc debootstrap).
# MIRROR overrides the archive (default http://deb.debian.org/debian).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
IMAGE=${1:-localhost/dbready-builder-base:bookworm}
SUITE=${2:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PODMAN="sh $HERE/podman.sh"

if [ "${FORCE:-0}" != 1 ] && $PODMAN image exists "$IMAGE"; then
	echo "base: $IMAGE exists (FORCE=1 rebuilds it)"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "base: debootstrap needs root" >&2
	exit 1
fi
for tool in debootstrap podman; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "base: $tool is missing: apt-get install podman runc debootstrap" >&2
		exit 1
	fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/dbready-base.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
arch=$(dpkg --print-architecture)
echo "base: debootstrap --variant=minbase $SUITE ($arch) from $MIRROR"
start=$(date +%s)
if ! debootstrap --variant=minbase --arch="$arch" "$SUITE" "$dir/root" "$MIRROR" \
	>"$dir/debootstrap.log" 2>&1; then
	tail -n 30 "$dir/debootstrap.log" >&2
	echo "base: debootstrap failed" >&2
	exit 1
fi
# what a registry's debian:*-slim image also does: no apt caches, no docs kept by dpkg
rm -rf "$dir/root/var/cache/apt/archives/"*.deb "$dir/root/var/lib/apt/lists/"*
# the import must see a root tree, not the temp dir
tar --numeric-owner -C "$dir/root" -c . |
	$PODMAN import --change 'CMD ["/bin/bash"]' \
		--message "debootstrap --variant=minbase $SUITE $MIRROR" - "$IMAGE" >/dev/null
echo "base: $IMAGE made in $(($(date +%s) - start)) s"
