#!/bin/sh
# build.sh - `make image`: build the Dockerfile with podman on a machine that cannot pull
# from a registry. Makes (once) the local debootstrap base image (base.sh) and passes it as
# the builder's BASE; fills the OCI labels from git; adds the SBOM as OCI annotations.
#
#   sh scripts/image/build.sh
#
# Environment (the Makefile passes them): IMAGE (tag, default localhost/dbready:VERSION),
# IMAGE_BASE (default localhost/dbready-builder-base:bookworm), IMAGE_SUITE (bookworm),
# VERSION (0.1.0), TARGETARCH (default: dpkg's architecture), REVISION (git HEAD, with
# "-dirty" when the tree has changes), SOURCE (the repository URL for
# org.opencontainers.image.source), PODMAN_BUILD_FLAGS (extra flags, e.g. --no-cache).
# Writes build/image.id and build/image-sbom.cdx.json (the SBOM as it is inside the image).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
PODMAN="sh $HERE/podman.sh"

VERSION=${VERSION:-0.1.0}
IMAGE=${IMAGE:-localhost/dbready:$VERSION}
IMAGE_SUITE=${IMAGE_SUITE:-bookworm}
IMAGE_BASE=${IMAGE_BASE:-localhost/dbready-builder-base:$IMAGE_SUITE}
SOURCE=${SOURCE:-https://github.com/OWNER/dbready}
if [ -z "${REVISION:-}" ]; then
	REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
	if [ "$REVISION" != unknown ] && [ -n "$(git status --porcelain 2>/dev/null)" ]; then
		REVISION=$REVISION-dirty
	fi
fi
# reproducible: the commit's time, not now
CREATED=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
SBOM_PATH=/usr/share/doc/dbready/sbom.cdx.json
# docker buildx sets TARGETARCH itself; podman 4.3 does not: the architecture we build on
# (a --platform in PODMAN_BUILD_FLAGS needs TARGETARCH in the environment to match)
TARGETARCH=${TARGETARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}

for tool in podman runc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "image: $tool is missing: apt-get install podman runc debootstrap" >&2
		exit 1
	fi
done
sh "$HERE/base.sh" "$IMAGE_BASE" "$IMAGE_SUITE"

mkdir -p build
start=$(date +%s)
echo "image: building $IMAGE (base $IMAGE_BASE, version $VERSION, revision $REVISION)"
# shellcheck disable=SC2086 # PODMAN_BUILD_FLAGS are words on purpose
$PODMAN build --layers --format oci \
	--build-arg "BASE=$IMAGE_BASE" \
	--build-arg "VERSION=$VERSION" \
	--build-arg "REVISION=$REVISION" \
	--build-arg "SOURCE=$SOURCE" \
	--build-arg "CREATED=$CREATED" \
	--build-arg "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH" \
	--build-arg "TARGETARCH=$TARGETARCH" \
	--annotation "org.opencontainers.image.version=$VERSION" \
	--annotation "org.opencontainers.image.revision=$REVISION" \
	--annotation "org.opencontainers.image.source=$SOURCE" \
	--annotation "org.opencontainers.image.licenses=Apache-2.0" \
	--annotation "io.dbready.sbom.path=$SBOM_PATH" \
	--annotation "io.dbready.sbom.format=CycloneDX" \
	--iidfile build/image.id \
	${PODMAN_BUILD_FLAGS:-} \
	-t "$IMAGE" -f Dockerfile .
echo "image: built $IMAGE in $(($(date +%s) - start)) s"

# the SBOM as shipped, for attaching to a registry push (cosign attach sbom / oras attach)
cid=$($PODMAN create "$IMAGE")
trap '$PODMAN rm -f "$cid" >/dev/null 2>&1 || true' EXIT
$PODMAN cp "$cid:$SBOM_PATH" build/image-sbom.cdx.json
size=$($PODMAN image inspect --format '{{.Size}}' "$IMAGE")
echo "image: $IMAGE $(cat build/image.id), $size bytes; SBOM in build/image-sbom.cdx.json"
