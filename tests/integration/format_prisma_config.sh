#!/usr/bin/env bash
# format_prisma_config.sh - Prisma's own configuration works unchanged (formats.md, Prisma;
# docs/formats/prisma.md "Configuration"):
#   (a) DIRECT_URL (schema.prisma's directUrl: the non-pooled URL prisma migrate uses) wins
#       over DATABASE_URL and DATABASE_URL_FILE when the folder is Prisma's (found by its
#       shape: the folder decides before the URL is read); --url still wins; with a plain
#       folder DATABASE_URL does; the variable is named, its value (a canary password)
#       never shown
#   (b) Prisma's TLS parameters, as its engine reads them (prisma-engines quaint/src/
#       connector/postgres/url.rs and native/mod.rs): sslcert is the CA file (libpq's
#       sslrootcert), sslaccept=strict checks the certificate and the host name
#       (verify-full), without it the host name is not checked, an unreadable sslcert is
#       exit 3, sslidentity (PKCS#12) is exit 3 with the openssl commands; with a plain
#       folder sslcert is libpq's client certificate
#   (c) Prisma's ?schema= in the URL of a plain folder: ignored, and the warning says that
#       --format=prisma reads it
# The real Prisma in tests/prisma runs on node-postgres (a driver adapter), which reads the
# URL's TLS parameters its own way, so (b) follows Prisma's engine source, cited above.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

# shellcheck disable=SC2034 # RUN_LIMIT is read by run_dbready
RUN_LIMIT=30
FIX=$REPO_ROOT/tests/fixtures/prisma-basic
PLAIN=$T/dirs/plain
mkdir -p "$PLAIN"
printf 'CREATE TABLE t1 (id int);\n' >"$PLAIN/1_t1.sql"

pg_start main || harness_finish
pg_create_app main || harness_finish

prisma_rows() { # prisma_rows DB: the finished rows of public._prisma_migrations, -1: no table
	HISTORY_TABLE=public._prisma_migrations history_count "$1"
}

# --- (a) DIRECT_URL --------------------------------------------------------------------------
URL_P=$(new_db pooled)
URL_D=$(new_db direct)
DATABASE_URL=$URL_P DIRECT_URL=$URL_D run_dbready "prisma: DIRECT_URL wins over DATABASE_URL" 0 \
	run --dir "$FIX"
check "prisma: DIRECT_URL: applied to DIRECT_URL's database, not DATABASE_URL's" \
	test "$(prisma_rows direct) $(prisma_rows pooled)" = "4 -1"
assert_contains "$RUN_ERR" "connection string from DIRECT_URL, not DATABASE_URL: prisma prefers it"
assert_not_contains "$RUN_ERR" "$CANARY"

URL_F=$(new_db direct_file)
printf '%s\n' "$URL_P" >"$T/secrets/url"
DATABASE_URL_FILE=$T/secrets/url DIRECT_URL=$URL_F run_dbready \
	"prisma: DIRECT_URL wins over DATABASE_URL_FILE" 0 run --dir "$FIX"
check "prisma: DIRECT_URL over DATABASE_URL_FILE: applied to DIRECT_URL's database" \
	test "$(prisma_rows direct_file) $(prisma_rows pooled)" = "4 -1"
assert_contains "$RUN_ERR" "connection string from DIRECT_URL, not DATABASE_URL_FILE"

URL_X=$(new_db flag)
URL_D2=$(new_db direct2)
DATABASE_URL=$URL_P DIRECT_URL=$URL_D2 run_dbready "prisma: --url wins over DIRECT_URL" 0 \
	run --url "$URL_X" --dir "$FIX"
check "prisma: --url over DIRECT_URL: applied to --url's database only" \
	test "$(prisma_rows flag) $(prisma_rows direct2) $(prisma_rows pooled)" = "4 -1 -1"
assert_not_contains "$RUN_ERR" "connection string from DIRECT_URL"

DATABASE_URL=$URL_P DIRECT_URL=$URL_D2 run_dbready "plain folder: DATABASE_URL wins over DIRECT_URL" 0 \
	run --dir "$PLAIN"
check "plain folder: applied to DATABASE_URL's database" \
	test "$(history_count pooled) $(history_count direct2)" = "1 -1"

URL_O=$(new_db direct_only)
DIRECT_URL=$URL_O run_dbready "plain folder: DIRECT_URL when nothing else is set" 0 run --dir "$PLAIN"
check "plain folder: DIRECT_URL alone: applied to its database" test "$(history_count direct_only)" = 1

# --- (b) TLS ---------------------------------------------------------------------------------
tls_make_certs || true
CA=$T/tls/ca.crt
pg_start_tls good server || true
pg_create_app good || true
pg_start_tls wrong wrong || true
pg_create_app wrong || true
tls_url() { # tls_url SERVER QUERY: the app database on SERVER, named "localhost"
	printf 'postgres://app:%s@localhost:%s/app?%s' "$CANARY" "$(pg_port "$1")" "$2"
}

run_dbready "prisma tls: sslcert (the CA) and sslaccept=strict" 0 run -v --dir "$FIX" \
	--url "$(tls_url good "sslcert=$CA&sslaccept=strict")"
assert_contains "$RUN_ERR" "URL parameter sslcert: prisma's CA file, given to libpq as sslrootcert"
assert_contains "$RUN_ERR" "(sslmode=verify-full)"
assert_contains "$RUN_ERR" ", TLS)"
assert_contains "$RUN_TERMLOG" "ok: applied 4 migrations"

# a certificate for wrong.example that chains to the CA: strict checks the host name, as
# Prisma's strict (native-tls) does; without sslaccept only the chain is checked
run_dbready "prisma tls: sslaccept=strict, a certificate for another host" 5 run --dir "$FIX" \
	--url "$(tls_url wrong "sslcert=$CA&sslaccept=strict")" --timeout 20s
assert_contains "$RUN_ERR" "wrong.example"
run_dbready "prisma tls: sslcert without sslaccept: the chain, not the host name" 0 run -v --dir "$FIX" \
	--url "$(tls_url wrong "sslcert=$CA&sslmode=require")"
assert_contains "$RUN_ERR" ", TLS)"
assert_not_contains "$RUN_ERR" "verify-full"

# strict without sslcert: the image's CA bundle, which does not hold the test CA
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
	run_dbready "prisma tls: sslaccept=strict without sslcert: the CA bundle" 5 wait --dir "$FIX" \
		--url "$(tls_url good "sslaccept=strict")" --timeout 20s
	assert_contains "$RUN_ERR" "certificate verify failed"
fi

run_dbready "prisma tls: an unreadable sslcert is refused" 3 check --dir "$FIX" \
	--url "$(tls_url good "sslcert=$T/tls/nonexistent.pem")"
assert_contains "$RUN_ERR" "the CA file \"$T/tls/nonexistent.pem\" in --url cannot be read"
assert_contains "$RUN_ERR" "absolute path"

run_dbready "prisma tls: sslidentity (PKCS#12) is refused" 3 check --dir "$FIX" \
	--url "$(tls_url good "sslidentity=$T/tls/id.p12&sslpassword=$CANARY")"
assert_contains "$RUN_ERR" "names a client certificate dbready cannot read"
assert_contains "$RUN_ERR" "openssl pkcs12 -in id.p12 -clcerts -nokeys -out client.crt"
assert_not_contains "$RUN_ERR" "$CANARY"

# a plain folder: sslcert is libpq's client certificate (here the CA's certificate, which
# has no key beside it: libpq refuses to connect), proof that it is not read as Prisma's
run_dbready "plain tls: sslcert is libpq's client certificate" 5 wait --dir "$PLAIN" \
	--url "$(tls_url good "sslcert=$CA&sslmode=require")" --timeout 10s
assert_contains "$RUN_ERR" "certificate present, but not private key file"
run_dbready "plain tls: the same URL with sslrootcert works" 0 wait --dir "$PLAIN" \
	--url "$(tls_url good "sslrootcert=$CA&sslmode=verify-full")" --timeout 10s

# --- (c) ?schema= of a plain folder ------------------------------------------------------------
URL_S=$(new_db plain_schema)
# (not "app": the role app's search_path starts with "$user")
q main plain_schema "CREATE SCHEMA ops AUTHORIZATION app" >/dev/null
run_dbready "plain folder with ?schema=ops: ignored" 0 run --url "$URL_S?schema=ops" --dir "$PLAIN"
assert_contains "$RUN_ERR" "URL parameter schema is prisma's, and the migrations are read as plain's (the folder's shape): ignored; give --format=prisma"
check "plain folder with ?schema=ops: the migration's table is in public, not ops" \
	test "$(exists plain_schema t1) $(exists plain_schema ops.t1)" = "t f"

harness_finish
