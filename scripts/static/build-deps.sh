#!/bin/sh
# build-deps.sh - build the static dependencies of dbready-static from Debian source packages.
#
#   sh scripts/static/build-deps.sh PREFIX
#
# Fetches the source packages named in scripts/static/deps.lock (apt-get source
# --download-only NAME=VERSION, from deb-src entries), refuses to go on unless every file's
# SHA-256 matches the lock, unpacks them with dpkg-source (Debian's patches applied) and builds,
# in this order, into PREFIX:
#
#   PREFIX/musl/          musl libc (static only) and its musl-gcc wrapper
#   PREFIX/bin/dbready-cc the compiler used for everything else: musl-gcc -static, with
#                         PREFIX mapped away (-ffile-prefix-map), the libraries built so far
#                         visible, and linux/ asm/ headers after musl's (PREFIX/kheaders)
#   PREFIX/sysroot/opt/dbready-static/{include,lib}
#                         OpenSSL (libssl.a, libcrypto.a), cJSON (libcjson.a), libcurl.a, and
#                         libpq.a + libpgcommon_shlib.a + libpgport_shlib.a
#
# The libraries are configured with the virtual prefix /opt/dbready-static and installed with
# DESTDIR=PREFIX/sysroot, so no path of this machine ends up in the binary (OpenSSL's MODULESDIR
# or libpq's SYSCONFDIR would otherwise name the cache). Every stage prints one line; the full
# output of each stage goes to PREFIX/logs/STAGE.log and its tail is shown when it fails.
# PREFIX/.complete is written last: build.sh treats a PREFIX without it as garbage.
#
# Environment: DBREADY_STATIC_DL (download dir, default PREFIX/../dl), JOBS (default nproc).
set -eu

PREFIX=${1:?usage: build-deps.sh PREFIX}
HERE=$(cd "$(dirname "$0")" && pwd)
LOCK=$HERE/deps.lock
DL=${DBREADY_STATIC_DL:-$(dirname "$PREFIX")/dl}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
VPREFIX=/opt/dbready-static          # the prefix the libraries believe they live in
SYSROOT=$PREFIX/sysroot              # DESTDIR for their installation
DEP=$SYSROOT$VPREFIX                 # where they really are
WORK=$PREFIX/work                    # unpacked sources and build trees (removed at the end)
LOGS=$PREFIX/logs

say() { printf 'static-deps: %s\n' "$*"; }
die() { printf 'static-deps: error: %s\n' "$*" >&2; exit 1; }

# run STAGE CMD...: run CMD with its output in LOGS/STAGE.log; on failure show the log's tail
run() {
	_stage=$1
	shift
	if ! "$@" >>"$LOGS/$_stage.log" 2>&1; then
		tail -n 40 "$LOGS/$_stage.log" >&2
		die "stage $_stage failed: $* (full log: $LOGS/$_stage.log)"
	fi
}

# lock_pkg FIELD COMPONENT: a field of the lock's "pkg" line (3 = source package, 4 = version)
lock_pkg() { awk -v c="$2" -v f="$1" '$1 == "pkg" && $2 == c { print $f }' "$LOCK"; }
# lock_files SRCPKG: "name sha256" of every file of a source package
lock_files() { awk -v p="$1" '$1 == "file" && $2 == p { print $3, $4 }' "$LOCK"; }

# Debian pools tried, in order, for locked files apt-get source no longer offers
POOLS=${DBREADY_DEBIAN_POOLS:-http://deb.debian.org/debian http://deb.debian.org/debian-security}
# fetch_pool SRCPKG: download every locked file of SRCPKG into DL from the first pool that
# has it (pool/main/<initial>/<pkg>/; lib* packages use four letters); the caller verifies
fetch_pool() {
	case "$1" in lib?*) _ini=$(printf %.4s "$1") ;; *) _ini=$(printf %.1s "$1") ;; esac
	lock_files "$1" | while read -r _f _; do
		[ -f "$DL/$_f" ] && continue
		_enc=$(printf %s "$_f" | sed 's/%/%25/g; s/+/%2B/g; s/~/%7E/g; s/:/%3A/g')
		_got=0
		for _pool in $POOLS; do
			_url=$_pool/pool/main/$_ini/$1/$_enc
			[ "${_pool#*/debian-security}" = "$_pool" ] || _url=$_pool/pool/updates/main/$_ini/$1/$_enc
			if curl -fsSL --retry 3 --connect-timeout 20 -o "$DL/$_f.part" "$_url" >>"$LOGS/fetch.log" 2>&1; then
				mv "$DL/$_f.part" "$DL/$_f"
				printf 'fetched %s\n' "$_url" >>"$LOGS/fetch.log"
				_got=1
				break
			fi
			printf 'not at %s\n' "$_url" >>"$LOGS/fetch.log"
		done
		rm -f "$DL/$_f.part"
		[ "$_got" = 1 ] || exit 1
	done
}

mkdir -p "$PREFIX" "$DL" "$LOGS" "$PREFIX/bin"
rm -rf "$WORK"
mkdir -p "$WORK"

# --- 0. tools and deb-src entries -------------------------------------------------------
# The Debian 12 packages behind the tools (installed here when root; listed otherwise):
APT_PKGS="build-essential dpkg-dev perl python3 file patch xz-utils bzip2 pkg-config bison flex curl"
need_tools() {
	_m=
	for t in gcc make ar strip perl python3 dpkg-source dpkg-parsechangelog apt-get file patch \
		xz bzip2 pkg-config bison flex flock curl; do
		command -v "$t" >/dev/null 2>&1 || _m="$_m $t"
	done
	echo "$_m"
}
missing=$(need_tools)
if [ -n "$missing" ] && [ "$(id -u)" = 0 ]; then
	say "apt: installing $APT_PKGS (missing:$missing)"
	run apt sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $APT_PKGS ||
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $APT_PKGS; }"
	missing=$(need_tools)
fi
[ -z "$missing" ] || die "missing tools:$missing (as root: apt-get install $APT_PKGS)"

# apt-get source needs deb-src entries for trixie (where the locked versions are); the
# script adds them itself when it runs as root, and says what to do otherwise.
need_src=
for c in musl openssl libpq curl cjson; do
	p=$(lock_pkg 3 "$c")
	v=$(lock_pkg 4 "$c")
	apt-cache showsrc "$p" 2>/dev/null | grep -qx "Version: $v" || need_src="$need_src $p=$v"
done
if [ -n "$need_src" ]; then
	# no need when every file is already downloaded and verified
	all_here=1
	for c in musl openssl libpq curl cjson; do
		lock_files "$(lock_pkg 3 "$c")" | while read -r f _; do [ -f "$DL/$f" ] || exit 1; done || all_here=0
	done
	srclist=/etc/apt/sources.list.d/dbready-src.list
	if [ "$all_here" = 0 ] && ! grep -qs '^deb-src .* trixie main' "$srclist"; then
		if [ "$(id -u)" = 0 ]; then
			say "apt: adding deb-src entries ($srclist) for:$need_src"
			printf '%s\n' 'deb-src http://deb.debian.org/debian trixie main' \
				'deb-src http://deb.debian.org/debian bookworm main' >"$srclist"
			run apt apt-get update
		else
			say "note: apt-get cannot find$need_src; as root, add
  deb-src http://deb.debian.org/debian trixie main
to $srclist and run apt-get update (trying Debian's pool directly meanwhile)"
		fi
	fi
fi

# --- 1. fetch and verify ----------------------------------------------------------------
for c in musl openssl libpq curl cjson; do
	p=$(lock_pkg 3 "$c")
	v=$(lock_pkg 4 "$c")
	[ -n "$p" ] && [ -n "$v" ] || die "deps.lock has no pkg line for $c"
	if ! lock_files "$p" | (cd "$DL" && while read -r f _; do [ -f "$f" ] || exit 1; done); then
		if apt-cache showsrc "$p" 2>/dev/null | grep -qx "Version: $v" &&
			(cd "$DL" && apt-get source --download-only "$p=$v" >>"$LOGS/fetch.log" 2>&1); then
			say "fetch: $p=$v (apt-get source)"
		else
			# Debian's indices list only a suite's newest version: once a security update
			# supersedes the pinned one, apt-get source cannot name it, but the pool keeps
			# the files for a while (and snapshot.debian.org forever). The lock's SHA-256s
			# are what make any of these sources trustworthy.
			say "fetch: $p=$v is not in apt's index (superseded?); trying the pool: $POOLS"
			fetch_pool "$p" || die "cannot download $p=$v: apt-get source does not know it and no
  pool in DBREADY_DEBIAN_POOLS has its files (see $LOGS/fetch.log). Either point
  DBREADY_DEBIAN_POOLS at a mirror or snapshot that has them, e.g.
    DBREADY_DEBIAN_POOLS=https://snapshot.debian.org/archive/debian/<YYYYMMDDTHHMMSSZ>
  or move the lock to the versions Debian has now: make static-lock (then review and
  commit scripts/static/deps.lock)"
		fi
	fi
	# every file the lock names, with the locked SHA-256; sha256sum -c fails on any mismatch
	lock_files "$p" | awk '{ print $2 "  " $1 }' >"$WORK/$p.sha256"
	[ -s "$WORK/$p.sha256" ] || die "deps.lock lists no files for $p"
	(cd "$DL" && sha256sum --quiet -c "$WORK/$p.sha256") >"$LOGS/verify.log" 2>&1 ||
		{ cat "$LOGS/verify.log" >&2; die "SHA-256 mismatch for $p=$v (see above): refusing to build"; }
	say "verify: $p $v ($(wc -l <"$WORK/$p.sha256") files, SHA-256 ok)"
	dsc=$(lock_files "$p" | awk '$1 ~ /\.dsc$/ { print $1 }')
	# dpkg-source checks the tarballs against the .dsc's checksums as well; the .dsc's
	# signature it can only check with debian-keyring installed (a warning otherwise): the
	# lock's SHA-256 of the .dsc is what pins it
	run unpack dpkg-source -x "$DL/$dsc" "$WORK/$c"
done

# Reproducibility: every compiler call maps the build tree to a fixed name, archives are
# deterministic (Debian's ar defaults to D; said explicitly where we call ar ourselves), and
# SOURCE_DATE_EPOCH is each package's own debian/changelog date, so that the cache's
# contents do not depend on when or where it was built.
export LC_ALL=C TZ=UTC
umask 022
srcdate() { dpkg-parsechangelog -l "$WORK/$1/debian/changelog" -STimestamp; }

# --- 2. musl ------------------------------------------------------------------------------
say "build: musl $(lock_pkg 5 musl)"
(
	cd "$WORK/musl"
	export SOURCE_DATE_EPOCH="$(srcdate musl)"
	# static only: a shared musl would install /lib/ld-musl-x86_64.so.1 on this machine, and
	# every configure test below links statically anyway
	run musl ./configure --prefix="$PREFIX/musl" --disable-shared \
		CC=gcc CFLAGS="-O2 -ffile-prefix-map=$PREFIX=/usr/src/dbready-static -ffunction-sections -fdata-sections"
	run musl make -j"$JOBS"
	run musl make install
)

# linux/, asm/, asm-generic/ for the few sources that want kernel headers (musl-gcc hides
# /usr/include); searched only after musl's own headers
mkdir -p "$PREFIX/kheaders" "$DEP/include" "$DEP/lib"
for d in linux asm-generic mtd; do
	[ -d "/usr/include/$d" ] && ln -sfn "/usr/include/$d" "$PREFIX/kheaders/$d"
done
ln -sfn "/usr/include/$(gcc -print-multiarch)/asm" "$PREFIX/kheaders/asm"

# the one compiler for everything else, called by a name without a path: OpenSSL records its
# compiler command line in the library, and libpq's pg_config its configure arguments, so
# neither may name this cache. It links statically, maps PREFIX (sources, musl's and the
# libraries' headers) to a fixed name, and finds the libraries installed so far (headers
# after everything else, so a package's own headers always win).
cat >"$PREFIX/bin/dbready-cc" <<EOF
#!/bin/sh
# generated by scripts/static/build-deps.sh: musl-gcc, static, this cache mapped away
exec "$PREFIX/musl/bin/musl-gcc" -static -ffile-prefix-map=$PREFIX=/usr/src/dbready-static \\
	-idirafter "$DEP/include" -idirafter "$PREFIX/kheaders" -L"$DEP/lib" "\$@"
EOF
chmod 755 "$PREFIX/bin/dbready-cc"
PATH=$PREFIX/bin:$PREFIX/musl/bin:$PATH
export PATH
CC=dbready-cc
AR=ar
RANLIB=ranlib
export CC AR RANLIB
DEPCFLAGS="-O2 -ffunction-sections -fdata-sections"
printf 'int main(void){return 0;}\n' >"$WORK/t.c"
(cd "$WORK" && $CC -o t t.c && ./t) || die "dbready-cc cannot build and run a static program"

# --- 3. OpenSSL ---------------------------------------------------------------------------
# A TLS 1.2/1.3 client library for libpq and libcurl. Kept: TLS 1.2/1.3, RSA, DH, EC
# (x25519, P-256...), ML-KEM (3.5's default hybrid group), AES/ChaCha20, SHA-1/2/3, MD5
# (libpq's md5 auth), HMAC/PBKDF2 (SCRAM), DES (encrypted PEM keys), OCSP. Dropped: providers
# as modules, legacy ciphers, QUIC, DTLS, SSLv3, SRP, engines, compression, apps, docs.
say "build: openssl $(lock_pkg 5 openssl)"
(
	cd "$WORK/openssl"
	export SOURCE_DATE_EPOCH="$(srcdate openssl)"
	run openssl env CFLAGS="$DEPCFLAGS" ./Configure linux-x86_64 \
		--prefix="$VPREFIX" --openssldir=/etc/ssl --libdir=lib \
		no-shared no-module no-legacy no-dso no-engine no-afalgeng no-comp no-docs no-apps \
		no-tests no-quic no-ssl3 no-dtls no-srp no-srtp no-sctp no-nextprotoneg \
		no-idea no-mdc2 no-rc2 no-rc4 no-rc5 no-md4 no-whirlpool no-seed no-camellia no-aria \
		no-sm2 no-sm3 no-sm4 no-gost no-bf no-cast no-ec2m no-rfc3779 no-cms no-ts \
		no-ml-dsa no-slh-dsa no-siv no-ocb no-scrypt
	run openssl make -j"$JOBS" build_libs
	run openssl make install_dev DESTDIR="$SYSROOT"
)

# --- 4. cJSON -----------------------------------------------------------------------------
say "build: cjson $(lock_pkg 5 cjson)"
(
	cd "$WORK/cjson"
	run cjson $CC -std=c89 $DEPCFLAGS -c cJSON.c -o cJSON.o
	rm -f libcjson.a
	run cjson ar rcD libcjson.a cJSON.o
	mkdir -p "$DEP/include/cjson" "$DEP/lib"
	cp cJSON.h "$DEP/include/cjson/cJSON.h"
	cp libcjson.a "$DEP/lib/libcjson.a"
)

# pkg-config sees only our libraries, at their real place
PKG_CONFIG_LIBDIR=$DEP/lib/pkgconfig
PKG_CONFIG_SYSROOT_DIR=$SYSROOT
export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

# --- 5. libcurl (HTTP/HTTPS only) ---------------------------------------------------------
say "build: curl $(lock_pkg 5 curl)"
(
	cd "$WORK/curl"
	export SOURCE_DATE_EPOCH="$(srcdate curl)"
	run curl ./configure --host=x86_64-linux-musl --prefix="$VPREFIX" \
		--disable-shared --enable-static --disable-dependency-tracking \
		--with-openssl="$DEP" --with-ca-bundle=/etc/ssl/certs/ca-certificates.crt --without-ca-path \
		--disable-ldap --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
		--disable-tftp --disable-pop3 --disable-imap --disable-smtp --disable-gopher \
		--disable-mqtt --disable-ftp --disable-file --disable-smb --disable-ntlm \
		--disable-websockets --disable-ipfs --disable-manual --disable-docs --disable-ares \
		--without-libpsl --without-brotli --without-zstd --without-zlib --without-nghttp2 \
		--without-libidn2 --without-librtmp --without-libssh2 --without-libssh \
		--without-gssapi --without-libgsasl CFLAGS="$DEPCFLAGS"
	run curl make -j"$JOBS" -C lib
	run curl make -C lib install DESTDIR="$SYSROOT"
	run curl make -C include install DESTDIR="$SYSROOT"
	run curl make install-pkgconfigDATA DESTDIR="$SYSROOT"
)

# --- 6. libpq (postgresql-17) -------------------------------------------------------------
say "build: libpq $(lock_pkg 5 libpq)"
(
	cd "$WORK/libpq"
	export SOURCE_DATE_EPOCH="$(srcdate libpq)"
	# configure records its environment's precious variables in pg_config's data: no paths
	unset PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
	run libpq ./configure --host=x86_64-linux-musl --prefix="$VPREFIX" \
		--without-readline --without-icu --without-zlib --without-gssapi --with-ssl=openssl \
		CFLAGS="$DEPCFLAGS"
	run libpq make -C src/backend generated-headers
	run libpq make -j"$JOBS" -C src/common libpgcommon_shlib.a
	run libpq make -j"$JOBS" -C src/port libpgport_shlib.a
	run libpq make -j"$JOBS" -C src/interfaces/libpq all-static-lib
	cp src/interfaces/libpq/libpq.a src/common/libpgcommon_shlib.a \
		src/port/libpgport_shlib.a "$DEP/lib/"
	cp src/interfaces/libpq/libpq-fe.h src/interfaces/libpq/libpq-events.h \
		src/include/postgres_ext.h "$DEP/include/"
	[ ! -f src/include/pg_config_ext.h ] || cp src/include/pg_config_ext.h "$DEP/include/"
)

# --- 7. done ------------------------------------------------------------------------------
rm -rf "$WORK"
(cd "$DEP/lib" && sha256sum ./*.a) >"$PREFIX/libs.sha256"
touch "$PREFIX/.complete"
say "done: $(du -sh "$PREFIX" | cut -f1) in $PREFIX"
