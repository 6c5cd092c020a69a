#!/usr/bin/env bash
# static.sh - build/dbready-static (`make static`: musl, libpq, libcurl, cJSON, OpenSSL built
# from Debian source packages, scripts/static/) as a scratch container runs it: alone in an
# empty chroot, as uid 65532 with no /etc/passwd, no HOME and an empty environment, against
# the harness's PostgreSQL on 127.0.0.1; plus verify-full with the CA-bundle default.
#
# The binary is (re)built with `make static` when it is missing or older than its sources;
# the first build of the dependencies takes about 5 minutes (then they are cached). A machine
# that cannot build it (no deb-src access) skips this file, except under CI=true, where that
# is a failure. The chroot needs root: without it the file is skipped (CI=true: failure).
. "$(dirname "$0")/../lib/harness.sh"

STATIC=$REPO_ROOT/build/dbready-static
LOCK=$REPO_ROOT/scripts/static/deps.lock
HOST_DBREADY=$DBREADY

# skip_or_fail REASON: skip the whole file (a fact of this machine), or fail it under CI
skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		fail "static: prerequisites ($1)" "CI=true: the static binary must be built and tested in CI"
		say "# static: $PASS passed, $FAIL failed"
		: >"$T/finished"
		exit 1
	fi
	say "# SKIP static: $1"
	: >"$T/finished"
	exit 0
}

if [ "$(id -u)" != 0 ]; then
	skip_or_fail "needs root (chroot)"
fi

# --- build when missing or stale -------------------------------------------------------------
stale=0
if [ ! -x "$STATIC" ]; then
	stale=1
elif [ -n "$(find "$REPO_ROOT/src" "$REPO_ROOT/scripts/static" "$REPO_ROOT/Makefile" \
	-newer "$STATIC" -type f 2>/dev/null | head -n 1)" ]; then
	stale=1
fi
if [ "$stale" = 1 ]; then
	say "# static: make static (the first build of the dependencies takes ~5 minutes)"
	t0=$(now_ms)
	if ! make -s -C "$REPO_ROOT" BUILD=build static </dev/null >"$T/build.log" 2>&1; then
		tail -n 30 "$T/build.log" | redact | sed -e 's/^/#     /'
		skip_or_fail "make static failed (log above)"
	fi
	say "# static: make static took $(($(now_ms) - t0)) ms"
fi
if [ ! -x "$STATIC" ]; then
	skip_or_fail "$STATIC is missing after make static"
fi
pass "static: build/dbready-static exists"

# --- the file itself -------------------------------------------------------------------------
DESC=$T/file.txt
file -b "$STATIC" >"$DESC"
assert_contains "$DESC" "statically linked" "static: file(1) says statically linked"
assert_not_contains "$DESC" "interpreter" "static: no program interpreter"
assert_not_contains "$DESC" "dynamically linked" "static: not dynamically linked"
assert_contains "$DESC" "x86-64" "static: x86-64"
check "static: the SBOM is valid JSON" python3 -m json.tool "$STATIC.cdx.json"
for c in musl openssl libpq curl cjson; do
	v=$(awk -v c="$c" '$1 == "pkg" && $2 == c { print $5 }' "$LOCK")
	check "static: the SBOM names $c $v" python3 -c '
import json, sys
bom = json.load(open(sys.argv[1]))
sys.exit(0 if any(x["name"] == sys.argv[2] and x["version"] == sys.argv[3] and x.get("purl")
                  and x.get("licenses") for x in bom["components"]) else 1)' "$STATIC.cdx.json" "$c" "$v"
done

# --- an empty root: only the binary ------------------------------------------------------------
ROOT=$T/root
rm -rf "$ROOT"
mkdir -p "$ROOT"
install -m 0755 "$STATIC" "$ROOT/dbready"
chmod 755 "$ROOT"
CHROOT=$(command -v chroot)
ENV=$(command -v env)

# in_root ENV...: the next start_dbready runs /dbready in the root as uid/gid 65532, with only
# ENV in its environment (env -i before chroot: no HOME, no PATH; chroot --userspec drops
# privileges after entering the root, which holds no /etc/passwd). Every run turns the
# termination log off: the harness's path does not exist inside the root.
# shellcheck disable=SC2034 # RUN_WRAP is read by start_dbready
in_root() {
	RUN_WRAP=("$ENV" -i "$@" "$CHROOT" --userspec=65532:65532 "$ROOT")
	DBREADY=/dbready
}
# shellcheck disable=SC2034
out_of_root() {
	RUN_WRAP=()
	DBREADY=$HOST_DBREADY
}
NOTERM=(--termination-log "")

# version: the bundled libraries, as deps.lock pins them
in_root
run_dbready "static: version in an empty root" 0 version
out_of_root
lockv() { awk -v c="$1" '$1 == "pkg" && $2 == c { print $5 }' "$LOCK"; }
pqv=$(lockv libpq)
assert_contains "$RUN_OUT" "libpq $((${pqv%%.*} * 10000 + ${pqv#*.}))"
assert_contains "$RUN_OUT" "OpenSSL $(lockv openssl)"
assert_contains "$RUN_OUT" "libcurl $(lockv curl)"
assert_contains "$RUN_OUT" "cJSON $(lockv cjson)"
# libcurl as configured by build-deps.sh: HTTP and HTTPS, nothing else (the development build
# against Debian's libcurl lists dozens)
check "static: libcurl speaks http and https only" grep -qx 'libcurl protocols: http https' "$RUN_OUT"
check "static: nothing but the binary in the root" test "$(find "$ROOT" -mindepth 1 | wc -l)" = 1

pg_start main || true
pg_create_app main || true
URL=$(pg_url app "$CANARY" app main)

in_root "DATABASE_URL=$URL"
run_dbready "static: wait, uid 65532, no passwd, no HOME, empty env" 0 wait --timeout 20s "${NOTERM[@]}"
out_of_root
assert_contains "$RUN_ERR" "database ready"

# check and run need the migrations: copied into the root at the default /migrations
cp -R "$REPO_ROOT/examples/migrations" "$ROOT/migrations"
chmod -R a+rX "$ROOT/migrations"
in_root "DATABASE_URL=$URL"
run_dbready "static: check in the root" 0 check "${NOTERM[@]}"
out_of_root
in_root "DATABASE_URL=$URL"
run_dbready "static: run in the root" 0 run --timeout 20s "${NOTERM[@]}"
out_of_root
in_root "DATABASE_URL=$URL"
run_dbready "static: run again: nothing pending" 0 run --timeout 20s "${NOTERM[@]}"
out_of_root
in_root "DATABASE_URL=$URL"
run_dbready "static: status in the root" 0 status --json "${NOTERM[@]}"
out_of_root
NMIG=$(find "$ROOT/migrations" -maxdepth 1 -name '*.sql' | wc -l)
check "static: status --json: the $NMIG example migrations applied, none pending" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["counts"]
sys.exit(0 if c.get("applied") == int(sys.argv[2]) and c.get("pending") == 0 else 1)' "$RUN_OUT" "$NMIG"

# a wrong password: refused for good
in_root "DATABASE_URL=$(pg_url app "wrong-$CANARY" app main)"
run_dbready "static: wrong password in the root" 5 wait --timeout 20s "${NOTERM[@]}"
out_of_root
assert_not_contains "$RUN_ERR" "attempt 2"

# --- TLS: verify-full with the CA-bundle default -------------------------------------------
# The test CA is the root's whole /etc/ssl/certs/ca-certificates.crt; the URL names
# localhost (the certificate's SAN), which the root's /etc/hosts resolves; no sslrootcert.
if pg_start_tls tls server && pg_create_app tls; then
	mkdir -p "$ROOT/etc/ssl/certs"
	cp "$T/tls/ca.crt" "$ROOT/etc/ssl/certs/ca-certificates.crt"
	printf '127.0.0.1\tlocalhost\n' >"$ROOT/etc/hosts"
	chmod -R a+rX "$ROOT/etc"
	TLS_URL="postgres://app:$CANARY@localhost:$(pg_port tls)/app?sslmode=verify-full"
	in_root "DATABASE_URL=$TLS_URL"
	run_dbready "static: verify-full, CA from the bundle, in the root" 0 wait --timeout 20s \
		"${NOTERM[@]}" -v
	out_of_root
	assert_contains "$RUN_ERR" ", TLS)"
	assert_contains "$RUN_ERR" "/etc/ssl/certs/ca-certificates.crt"

	# the same server, the bundle without the test CA: the certificate does not verify
	: >"$ROOT/etc/ssl/certs/ca-certificates.crt"
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$T/tls/other.key" -out "$ROOT/etc/ssl/certs/ca-certificates.crt" -days 1 \
		-subj "/CN=another CA" >/dev/null 2>&1
	in_root "DATABASE_URL=$TLS_URL"
	run_dbready "static: verify-full, CA not in the bundle, in the root" 5 wait --timeout 20s \
		"${NOTERM[@]}"
	out_of_root
	assert_contains "$RUN_ERR" "certificate verify failed"
	cp "$T/tls/ca.crt" "$ROOT/etc/ssl/certs/ca-certificates.crt"

	# TLS 1.2 (the trimmed OpenSSL keeps both 1.2 and 1.3)
	if pg_start_tls tls12 server ssl_max_protocol_version=TLSv1.2 && pg_create_app tls12; then
		in_root "DATABASE_URL=postgres://app:$CANARY@localhost:$(pg_port tls12)/app?sslmode=verify-full"
		run_dbready "static: verify-full over TLS 1.2, in the root" 0 wait --timeout 20s "${NOTERM[@]}"
		out_of_root
		assert_contains "$RUN_ERR" ", TLS)"
	fi

	# a wrong password over verify-full TLS
	cp "$T/tls/ca.crt" "$ROOT/etc/ssl/certs/ca-certificates.crt"
	in_root "DATABASE_URL=postgres://app:wrong-$CANARY@localhost:$(pg_port tls)/app?sslmode=verify-full"
	run_dbready "static: verify-full, wrong password, in the root" 5 wait --timeout 20s "${NOTERM[@]}"
	out_of_root
fi

# --- make static-lock: moving a pin after Debian supersedes it --------------------------------
# A copy of the lock whose cJSON pin names a version Debian never had, without its file lines:
# lock.sh must move it to a version apt-get source can download, with a SHA-256 for every
# file of that version, and leave every other line alone.
sed -e 's/^\(pkg cjson  *cjson  *\)[^ ]*/\11.7.18-0dbreadytest/' -e '/^file cjson /d' "$LOCK" >"$T/lock"
if sh "$REPO_ROOT/scripts/static/lock.sh" "$T/lock" >"$T/lock.out" 2>&1; then
	pass "static-lock: exits 0"
else
	fail "static-lock: exits 0" "$(tail -n 5 "$T/lock.out")"
fi
assert_contains "$T/lock.out" "cjson 1.7.18-0dbreadytest -> " "static-lock: says what it moved"
check "static-lock: cjson's pin is a real version now" \
	sh -c "awk '\$1 == \"pkg\" && \$2 == \"cjson\" { print \$4 }' '$T/lock' | grep -Eq '^1\.7\.[0-9]+-[0-9]'"
check "static-lock: the new pin has a .dsc, tarballs and SHA-256s" \
	sh -c "grep -Ec '^file cjson cjson_[^ ]+\.(dsc|tar\.(gz|xz|bz2)) [0-9a-f]{64}\$' '$T/lock' | grep -qx '[3-9]'"
check "static-lock: every other line unchanged" \
	bash -c "diff <(grep -v ' cjson' '$LOCK') <(grep -v ' cjson' '$T/lock')"

harness_finish
