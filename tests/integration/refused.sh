#!/usr/bin/env bash
# refused.sh - permanent refusals fail at once with exit 5 (behaviour.md §2): a wrong
# password (28P01), a missing database (3D000), a missing role, a role that may not log in
# (28000), no CONNECT privilege (42501), sslmode=require against ssl=off, no password.
# Each after exactly one attempt, classified by SQLSTATE (checked in the JSON log).
. "$(dirname "$0")/../lib/harness.sh"

pg_start main || true
pg_create_app main || true
pg_sql main <<-EOF || true
	CREATE ROLE nologin NOLOGIN PASSWORD '$CANARY';
	CREATE ROLE noconnect LOGIN PASSWORD '$CANARY';
	CREATE DATABASE locked OWNER app;
	REVOKE CONNECT ON DATABASE locked FROM PUBLIC;
EOF
PORT=$(pg_port main)
WRONG=Wrong-$RANDOM$RANDOM-pass # a password too: it must not be echoed either

# refused NAME SQLSTATE URL [ARGS...]: exit 5 after one attempt, well before the deadline,
# with the SQLSTATE in the JSON log and "error (exit 5)" in the termination log.
refused() {
	local name=$1 state=$2 url=$3
	shift 3
	run_dbready "$name" 5 wait --url "$url" --timeout 20s --log-format json "$@"
	assert_json_log "$RUN_ERR"
	if [ -n "$state" ]; then
		check "$name: sqlstate $state in the JSON log" \
			test "$(json_count "$RUN_ERR" "sqlstate=$state" level=error event=refused)" -eq 1
	fi
	check "$name: exactly one attempt (no retry)" \
		test "$(json_count "$RUN_ERR" event=attempt_failed)" -eq 0
	assert_not_contains "$RUN_ERR" "attempt 2"
	assert_le "$name: at once (< 3 s of a 20 s deadline)" "$RUN_MS" 3000
	assert_contains "$RUN_TERMLOG" "error (exit 5): "
}

refused "refused: wrong password" 28P01 "$(pg_url app "$WRONG" app)"
assert_contains "$RUN_ERR" '"ts":'
assert_contains "$RUN_ERR" '"hint":'
assert_not_contains "$RUN_ERR" "$WRONG"
assert_not_contains "$RUN_TERMLOG" "$WRONG"

refused "refused: database missing" 3D000 "$(pg_url app "$CANARY" nosuchdb)"
assert_contains "$RUN_ERR" "nosuchdb"

# with scram, a missing role looks like a wrong password to the client (28P01), so that
# role names cannot be probed
refused "refused: role missing" 28P01 "$(pg_url ghost "$CANARY" app)"

refused "refused: role without LOGIN" 28000 "$(pg_url nologin "$CANARY" app)"

refused "refused: no CONNECT privilege" 42501 "$(pg_url noconnect "$CANARY" locked)"

# ssl=off on the server (initdb's default), TLS required by the URL: libpq never gets a
# session, so there is no SQLSTATE; the stage (TLS negotiation) makes it permanent
refused "refused: sslmode=require, server ssl=off" "" "$(pg_url app "$CANARY" app main sslmode=require)"
assert_contains "$RUN_ERR" "SSL"

# no password anywhere, the server asks for one (~/.pgpass kept out of it)
PGPASSFILE=/nonexistent refused "refused: no password given" "" \
	"postgres://app@127.0.0.1:$PORT/app"

# the same refusal in text format: the PostgreSQL-style message lines
run_dbready "refused: wrong password, text log" 5 wait --url "$(pg_url app "$WRONG" app)" --timeout 20s
assert_matches "$RUN_ERR" '^dbready: error: '
assert_contains "$RUN_ERR" "HINT: Check the password of user \"app\""
assert_contains "$RUN_ERR" "postgres://app:***@127.0.0.1:$PORT/app"
assert_not_contains "$RUN_ERR" "$WRONG"

harness_finish
