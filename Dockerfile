# Dockerfile - the dbready container image: a static binary in an otherwise empty image.
#
#   docker build -t dbready .
#   docker run --rm -e DATABASE_URL=postgres://app:secret@db:5432/app \
#       -v "$PWD/drizzle:/migrations:ro" dbready
#
# Stage "builder" (Debian) runs the same static build as `make static` (scripts/static/*:
# musl, OpenSSL, libpq, libcurl and cJSON from pinned Debian source packages, plus a
# CycloneDX SBOM) and the C unit tests of `make check` against the dynamic Debian libraries.
# Stage "rootfs" lays out the final file tree; the final stage is FROM scratch: /dbready,
# the CA bundle, /etc/passwd and /etc/group naming uid/gid 65532, the SBOM and the licence.
# No shell, no package manager, no libc: `RUN ["/dbready", "version"]` proves it runs there.
# /dbready is build/dbready-static as `make static` made it (already stripped), so the
# SHA-256 in build/dbready-static.sha256 and in the SBOM is the one of the file in the image.
#
# Build arguments:
#   BASE      the builder's base image (default: Debian stable slim from the registry;
#             `make image` passes a local debootstrap image, scripts/image/base.sh)
#   VERSION, REVISION, SOURCE, CREATED   OCI labels (`make image` fills them from git)
#   SOURCE_DATE_EPOCH  the commit's time, for the SBOM's timestamp (`make image` passes it)
#   TARGETARCH  set by buildx (podman 4.3 does not: `make image` passes dpkg's architecture).
#             The builder runs on the target architecture (emulated if need be), so the
#             static build is native there, and the builder checks that the binary it made
#             is for TARGETARCH. scripts/static/build.sh supports x86_64 only so far, so only
#             amd64 builds; only amd64 was tested.

ARG BASE=debian:trixie-slim

# --- builder: the static binary, its SBOM, and the unit tests ------------------------------
FROM ${BASE} AS builder
ARG TARGETARCH
ARG VERSION=0.1.0
ARG DEBIAN_FRONTEND=noninteractive

# what `make deps` installs for building and the unit tests (the dynamic build links
# Debian's libpq, libcurl, cJSON and OpenSSL), and what scripts/static/build-deps.sh needs to
# fetch and build Debian source packages (its APT_PKGS: dpkg-dev, perl, python3, file, patch,
# xz-utils, bzip2, bison, flex, curl for locked versions apt's index no longer lists; it
# installs them itself when missing, but here they belong to the cached package layer)
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends \
        build-essential pkg-config libpq-dev libcurl4-openssl-dev libcjson-dev libssl-dev \
        ca-certificates dpkg-dev perl python3 file patch xz-utils bzip2 bison flex curl \
 && rm -rf /var/cache/apt/archives/*.deb

WORKDIR /src
# 1. the static dependencies (musl, OpenSSL, libpq, libcurl, cJSON from the Debian source
# packages pinned in deps.lock; about 5 minutes on 2 cores) in a layer of their own, keyed
# by deps.lock and build-deps.sh only, so that a change to src/ reuses it. The directory is
# the one scripts/static/build.sh looks in (same key); were the key to differ, `make static`
# would just build the dependencies again, correctly but slowly.
ENV DBREADY_STATIC_CACHE=/var/cache/dbready-static
COPY scripts/static/deps.lock scripts/static/build-deps.sh scripts/static/
RUN key=$(cat scripts/static/deps.lock scripts/static/build-deps.sh | sha256sum | cut -c1-16) \
 && sh scripts/static/build-deps.sh "$DBREADY_STATIC_CACHE/$key"

# 2. dbready itself: the same command a developer runs (build/dbready-static, stripped, and
# its SBOM build/dbready-static.cdx.json), then the unit tests of `make check` (against the
# dynamic Debian libraries). SOURCE_DATE_EPOCH: the commit's time (no .git in the context).
ARG SOURCE_DATE_EPOCH=0
COPY Makefile LICENSE ./
COPY scripts/static/ scripts/static/
COPY src/ src/
COPY tests/unit/ tests/unit/
# goose's own parser test data, which the unit tests check the goose parser against
COPY tests/fixtures/goose-sqlparser/ tests/fixtures/goose-sqlparser/
# files with CRLF, a BOM, non-ASCII text: the unit tests check Flyway's checksum on them
COPY tests/fixtures/flyway-checksum/ tests/fixtures/flyway-checksum/
RUN SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH}" make static VERSION="${VERSION}" \
 && make build/unit-tests VERSION="${VERSION}" \
 && build/unit-tests

# the binary must be static, for the target architecture, and run with nothing around it
RUN set -e; \
    f=$(file -b build/dbready-static); echo "dbready-static: $f"; \
    case $f in *"dynamically linked"*|*"interpreter"*) echo "not static" >&2; exit 1;; esac; \
    case "${TARGETARCH:-$(dpkg --print-architecture)}" in \
      amd64) want=x86-64 ;; arm64) want=aarch64 ;; arm) want=ARM ;; \
      ppc64le) want=PowerPC ;; s390x) want=S/390 ;; riscv64) want=RISC-V ;; *) want= ;; \
    esac; \
    case $f in *"$want"*) ;; *) echo "not a ${TARGETARCH} binary" >&2; exit 1;; esac; \
    test -s build/dbready-static.cdx.json; \
    (cd build && sha256sum -c dbready-static.sha256); \
    env -i build/dbready-static version

# --- rootfs: the final image's files, with owners and modes ------------------------------
FROM builder AS rootfs
RUN set -e; \
    r=/rootfs; \
    install -d -m 0755 $r/etc/ssl/certs $r/usr/share/doc/dbready; \
    install -m 0755 build/dbready-static $r/dbready; \
    install -m 0644 /etc/ssl/certs/ca-certificates.crt $r/etc/ssl/certs/ca-certificates.crt; \
    ln -s certs/ca-certificates.crt $r/etc/ssl/cert.pem; \
    printf '%s\n' 'nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin' > $r/etc/passwd; \
    printf '%s\n' 'nonroot:x:65532:' > $r/etc/group; \
    chmod 0644 $r/etc/passwd $r/etc/group; \
    install -m 0644 build/dbready-static.cdx.json $r/usr/share/doc/dbready/sbom.cdx.json; \
    install -m 0644 LICENSE $r/usr/share/doc/dbready/LICENSE

# --- the image ---------------------------------------------------------------------------
FROM scratch
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/OWNER/dbready
ARG CREATED=
LABEL org.opencontainers.image.title="dbready" \
      org.opencontainers.image.description="Waits until PostgreSQL accepts a real login, then applies drizzle-kit or plain SQL migrations exactly once; one static binary, no shell." \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.url="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.dbready.sbom.path="/usr/share/doc/dbready/sbom.cdx.json" \
      io.dbready.sbom.format="CycloneDX"
COPY --from=rootfs /rootfs/ /
USER 65532:65532
WORKDIR /
# smoke test: the static binary runs in an empty image, as the unprivileged user
RUN ["/dbready", "version"]
ENTRYPOINT ["/dbready"]
CMD ["run"]
