#!/usr/bin/env bash
# validate.sh - offline behaviour (spec/cli.md, behaviour.md §1): check, usage errors (2),
# configuration errors (3), version/help, DATABASE_URL_FILE.
# No server: every URL names a host that does not exist, so a network attempt would show.
. "$(dirname "$0")/../lib/harness.sh"

# a plain-format folder with one migration (formats.md); check lists it
MIG=$T/migrations
mkdir -p "$MIG"
echo 'SELECT 1;' >"$MIG/0001_init.sql"
GOOD="postgres://app:$CANARY@db.invalid:5432/app?sslmode=require"

# --- check on a valid URL -------------------------------------------------------------------
# offline: db.invalid never resolves, so exit 0 also shows that check did not try to connect
run_dbready "check: valid --url" 0 check --url "$GOOD" --dir "$MIG"
assert_contains "$RUN_OUT" "postgres://app:***@db.invalid:5432/app"
assert_contains "$RUN_TERMLOG" "ok: "
assert_contains "$RUN_OUT" "0001_init"

# an empty folder is a valid (if unusual) configuration: nothing to apply
mkdir -p "$T/empty"
run_dbready "check: empty migrations directory" 0 check --url "$GOOD" --dir "$T/empty"

DATABASE_URL=$GOOD run_dbready "check: DATABASE_URL" 0 check --dir "$MIG"
assert_contains "$RUN_OUT" "postgres://app:***@db.invalid:5432/app"

# flag beats environment (cli.md): a broken DATABASE_URL is not looked at when --url is given
DATABASE_URL="mysql://x" run_dbready "check: --url beats DATABASE_URL" 0 check --url "$GOOD" --dir "$MIG"

run_dbready "check: --json" 0 check --url "$GOOD" --dir "$MIG" --json
check "check --json: stdout is a JSON document with the redacted target" \
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["target"] == "postgres://app:***@db.invalid:5432/app?sslmode=require", d' "$RUN_OUT"

# --- DATABASE_URL_FILE (a Kubernetes/Docker secret ends with a newline) ----------------------
printf '%s\n' "$GOOD" >"$T/secrets/url-newline"
DATABASE_URL_FILE=$T/secrets/url-newline run_dbready "check: DATABASE_URL_FILE with a trailing newline" 0 \
	check --dir "$MIG"
assert_contains "$RUN_OUT" "postgres://app:***@db.invalid:5432/app"
run_dbready "check: --url-file with a trailing newline" 0 check --url-file "$T/secrets/url-newline" --dir "$MIG"
assert_contains "$RUN_OUT" "postgres://app:***@db.invalid:5432/app"
run_dbready "check: --url-file that does not exist" 3 check --url-file "$T/secrets/nope" --dir "$MIG"

# --- configuration errors: exit 3 ------------------------------------------------------------
run_dbready "check: mysql:// URL" 3 check --url "mysql://app:$CANARY@db.invalid/app" --dir "$MIG"
assert_contains "$RUN_ERR" "mysql://"
assert_contains "$RUN_TERMLOG" "error (exit 3): "
run_dbready "check: jdbc:postgresql:// URL" 3 check --url "jdbc:postgresql://db.invalid:5432/app?password=$CANARY" --dir "$MIG"
run_dbready "check: postgres+psycopg2:// URL" 3 check --url "postgres+psycopg2://app:$CANARY@db.invalid/app" --dir "$MIG"
run_dbready "check: URL in quotes" 3 check --url "\"$GOOD\"" --dir "$MIG"
run_dbready "check: URL with a trailing space" 3 check --url "$GOOD " --dir "$MIG"
run_dbready "check: empty DATABASE_URL" 3 check --url "" --dir "$MIG"
run_dbready "check: unexpanded \${VAR}" 3 check --url "postgres://app:\${DB_PASSWORD}@db.invalid/app" --dir "$MIG"
run_dbready "check: unknown query parameter" 3 check --url "$GOOD&frobnicate=1" --dir "$MIG"
assert_contains "$RUN_ERR" "frobnicate"
# an unencoded "@" in the password: the message must show the encoded form, password masked
run_dbready "check: unencoded @ in the password" 3 check --url "postgres://app:$CANARY@x@db.invalid/app" --dir "$MIG"
assert_contains "$RUN_ERR" "%40"
# libpq's own parse errors quote the URL, password included: they must come out masked
# (the canary check at the end); each is a configuration error
run_dbready "check: bad percent-escape in the password" 3 check --url "postgres://app:$CANARY%zz@db.invalid/app" --dir "$MIG"
run_dbready "check: %00 in the password" 3 check --url "postgres://app:$CANARY%00@db.invalid/app" --dir "$MIG"
run_dbready "check: unclosed IPv6 bracket" 3 check --url "postgres://app:$CANARY@[::1/app" --dir "$MIG"
run_dbready "check: unencoded / in the password" 3 check --url "postgres://app:$CANARY/x@db.invalid/app" --dir "$MIG"
run_dbready "check: malformed key=value string" 3 check --url "host=db.invalid user=app password=$CANARY x dbname=app" --dir "$MIG"
run_dbready "check: invalid sslmode value" 3 check --url "postgres://app:$CANARY@db.invalid/app?sslmode=bogus" --dir "$MIG"
assert_contains "$RUN_ERR" "sslmode"
: >"$T/secrets/url-empty"
DATABASE_URL_FILE=$T/secrets/url-empty run_dbready "check: empty DATABASE_URL_FILE" 3 check --dir "$MIG"
# no URL at all and no PGHOST: a container has no sensible default
unset DATABASE_URL DATABASE_URL_FILE PGHOST
PGPASSWORD=$CANARY run_dbready "check: no URL configured" 3 check --dir "$MIG"
assert_contains "$RUN_ERR" "DATABASE_URL"

# --- warnings: valid, so exit 0, but said (behaviour.md §1) ----------------------------------
KUBERNETES_SERVICE_HOST=10.0.0.1 run_dbready "check: localhost inside Kubernetes warns" 0 \
	check --url "postgres://app:$CANARY@localhost:5432/app" --dir "$MIG"
assert_matches "$RUN_ERR" '^dbready: warning: .*localhost.*Kubernetes'
# and outside Kubernetes the same URL is fine: the warning above is not unconditional
unset KUBERNETES_SERVICE_HOST
run_dbready "check: localhost outside Kubernetes" 0 check --url "postgres://app:$CANARY@localhost:5432/app" --dir "$MIG"
assert_not_contains "$RUN_ERR" "warning"
run_dbready "check: sslmode=disable to a remote host warns" 0 \
	check --url "postgres://app:$CANARY@db.invalid:5432/app?sslmode=disable" --dir "$MIG"
assert_matches "$RUN_ERR" '^dbready: warning: .*unencrypted'
run_dbready "check: no sslmode to a remote host warns" 0 \
	check --url "postgres://app:$CANARY@db.invalid:5432/app" --dir "$MIG"
assert_matches "$RUN_ERR" '^dbready: warning: .*unencrypted'
run_dbready "check: -pooler host warns" 0 \
	check --url "postgres://app:$CANARY@db-pooler.invalid:5432/app?sslmode=require" --dir "$MIG"
assert_matches "$RUN_ERR" '^dbready: warning: .*pooler'
run_dbready "check: port 6543 warns" 0 \
	check --url "postgres://app:$CANARY@db.invalid:6543/app?sslmode=require" --dir "$MIG"
assert_matches "$RUN_ERR" '^dbready: warning: .*pooler'
run_dbready "check: remote host with sslmode=require: no warning" 0 check --url "$GOOD" --dir "$MIG"
assert_not_contains "$RUN_ERR" "warning"

# the migrations directory must exist (behaviour.md §1)
run_dbready "check: missing --dir" 3 check --url "$GOOD" --dir /nonexistent
assert_contains "$RUN_ERR" "/nonexistent"
assert_contains "$RUN_TERMLOG" "error (exit 3): "

# --- usage errors: exit 2 ----------------------------------------------------------------------
run_dbready "usage: unknown flag" 2 check --url "$GOOD" --dir "$MIG" --bogus
assert_contains "$RUN_ERR" "--bogus"
run_dbready "usage: unknown command" 2 frobnicate --url "$GOOD"
assert_contains "$RUN_ERR" "frobnicate"
run_dbready "usage: bad duration" 2 wait --url "$GOOD" --timeout 5x
assert_contains "$RUN_ERR" "5x"
DBREADY_TIMEOUT=soon run_dbready "usage: bad duration in DBREADY_TIMEOUT" 2 wait --url "$GOOD"
run_dbready "usage: bad --log-format" 2 wait --url "$GOOD" --log-format xml
run_dbready "usage: flag without its value" 2 wait --url
run_dbready "usage: two commands" 2 check wait --url "$GOOD"

# --- version and help: exit 0 ------------------------------------------------------------------
run_dbready "version" 0 version
assert_matches "$RUN_OUT" '^dbready [^ ]+'
run_dbready "--version" 0 --version
assert_matches "$RUN_OUT" '^dbready [^ ]+'
run_dbready "help" 0 help
assert_contains "$RUN_OUT" "Exit codes:"
# every row of cli.md's exit-code table
for code in 0 1 2 3 4 5 6 7 8 9 10 "128+n"; do
	assert_matches "$RUN_OUT" "^ +${code//+/\\+} +[a-z]" "help: lists exit code $code"
done
assert_contains "$RUN_OUT" "143"
run_dbready "--help" 0 --help
assert_contains "$RUN_OUT" "DATABASE_URL_FILE"

harness_finish
