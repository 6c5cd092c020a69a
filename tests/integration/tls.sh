#!/usr/bin/env bash
# tls.sh - TLS (behaviour.md §2, §5): verify-full against a server whose certificate chains
# to a CA given by sslrootcert works (exit 0, logged as TLS); a certificate that names
# another host, or one that does not chain to the CA bundle, is refused for good (exit 5).
. "$(dirname "$0")/../lib/harness.sh"

tls_make_certs || true
CA=$T/tls/ca.crt
pg_start_tls good server || true
pg_create_app good || true
pg_start_tls wrong wrong || true
pg_create_app wrong || true

# URLs name "localhost", which the good certificate's SAN carries
tls_url() { # tls_url SERVER QUERY
	printf 'postgres://app:%s@localhost:%s/app?%s' "$CANARY" "$(pg_port "$1")" "$2"
}

run_dbready "tls: verify-full, CA from sslrootcert" 0 wait --timeout 10s \
	--url "$(tls_url good "sslmode=verify-full&sslrootcert=$CA")"
assert_contains "$RUN_ERR" "database ready"
assert_contains "$RUN_ERR" ", TLS)"
assert_contains "$RUN_TERMLOG" "ok: "

# the same CA through libpq's PGSSLROOTCERT
PGSSLROOTCERT=$CA run_dbready "tls: verify-full, CA from PGSSLROOTCERT" 0 wait --timeout 10s \
	--url "$(tls_url good sslmode=verify-full)"
assert_contains "$RUN_ERR" ", TLS)"

run_dbready "tls: sslmode=require" 0 wait --timeout 10s --url "$(tls_url good sslmode=require)"
assert_contains "$RUN_ERR" ", TLS)"

# and a plain connection to the same server says nothing about TLS: the ", TLS" above is not
# printed unconditionally
run_dbready "tls: sslmode=disable is not TLS" 0 wait --timeout 10s --url "$(tls_url good sslmode=disable)"
assert_contains "$RUN_ERR" "database ready"
assert_not_contains "$RUN_ERR" ", TLS)"

# wrong SAN: the certificate chains to the CA (verify-ca accepts it), but names wrong.example
run_dbready "tls: verify-ca, certificate for another host" 0 wait --timeout 10s \
	--url "$(tls_url wrong "sslmode=verify-ca&sslrootcert=$CA")"
assert_contains "$RUN_ERR" ", TLS)"
run_dbready "tls: verify-full, certificate for another host" 5 wait --timeout 20s \
	--url "$(tls_url wrong "sslmode=verify-full&sslrootcert=$CA")"
assert_contains "$RUN_ERR" "wrong.example"
assert_not_contains "$RUN_ERR" "attempt 2"
assert_le "tls: verify-full, certificate for another host: at once (< 3 s)" "$RUN_MS" 3000
assert_contains "$RUN_TERMLOG" "error (exit 5): "

# no sslrootcert: dbready falls back to the image's CA bundle, which does not hold the test CA
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
	run_dbready "tls: verify-full, CA not in the system bundle" 5 wait --timeout 20s \
		--url "$(tls_url good sslmode=verify-full)"
	assert_contains "$RUN_ERR" "certificate verify failed"
	assert_not_contains "$RUN_ERR" "attempt 2"
else
	# no bundle and no ~/.postgresql/root.crt: refused offline as a configuration error
	HOME=$T run_dbready "tls: verify-full without any CA" 3 wait --timeout 20s \
		--url "$(tls_url good sslmode=verify-full)"
fi

harness_finish
