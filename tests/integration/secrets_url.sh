#!/usr/bin/env bash
# secrets_url.sh - a password never leaks, wherever the URL carries it (cli.md "Output",
# issue 10 point 9): the canary in the userinfo, in ?password=, in a key=value password=,
# with bad escapes (%zz, %00, a lone %), with ? = & @ # / inside, longer than 1,023 bytes,
# and repeated in application_name/options; each in `check` (text and JSON), and where the
# URL is valid also in `wait` towards a refused port (text and JSON), for the exit codes of
# cli.md. libpq quotes pieces of a URL it cannot parse; each of these printed the canary (or
# its tail) before. Every capture is scanned for the canary at the end as well.
. "$(dirname "$0")/../lib/harness.sh"

MIG=$T/mig
mkdir -p "$MIG"
printf 'CREATE TABLE t (x int);\n' >"$MIG/0001_init.sql"
REFUSED=$(free_port)
# 1,100 bytes before the canary: a fixed 1,024-byte copy of the password kept only its head
LONG=$(head -c 1100 /dev/zero | tr '\0' 'x')

# no_leak: none of the last run's captures holds the canary (nor, for the long cases, the
# tail of the password)
no_leak() {
	local f
	for f in "$RUN_OUT" "$RUN_ERR" "$RUN_TERMLOG"; do
		[ -e "$f" ] || continue
		if grep -qF -- "$CANARY" "$f"; then
			fail "$RUN_NAME: $(basename "$f") does not contain the canary"
			diag_run
			return
		fi
	done
	pass "$RUN_NAME: no capture contains the canary"
}

# url_case NAME CHECK_EXIT WAIT_EXIT URL: URL with @HOST@ for the host (and port) part.
# check runs against db.invalid (offline); wait (skipped when WAIT_EXIT is -) against a port
# nothing listens on, so every attempt logs the redacted target and libpq's reason.
url_case() {
	local name=$1 check_rc=$2 wait_rc=$3 url=$4
	local offline=${url//@HOST@/db.invalid:5432} refused=${url//@HOST@/127.0.0.1:$REFUSED}
	run_dbready "$name: check, text" "$check_rc" check --url "$offline" --dir "$MIG" --format plain
	no_leak
	run_dbready "$name: check, JSON" "$check_rc" check --url "$offline" --dir "$MIG" \
		--format plain --log-format json --json
	no_leak
	[ "$check_rc" = 0 ] || assert_json_log "$RUN_ERR"
	if [ "$wait_rc" != - ]; then
		run_dbready "$name: wait, text" "$wait_rc" wait --url "$refused" --timeout 300ms \
			--backoff-cap 100ms
		no_leak
		run_dbready "$name: wait, JSON" "$wait_rc" wait --url "$refused" --timeout 300ms \
			--backoff-cap 100ms --log-format json
		no_leak
		assert_json_log "$RUN_ERR"
	fi
}

P=$CANARY
# --- the userinfo ------------------------------------------------------------------------------
url_case "userinfo %zz" 3 - "postgres://app:$P%zz@@HOST@/app"
url_case "userinfo %00" 3 - "postgres://app:$P%00@@HOST@/app"
url_case "userinfo lone %" 3 - "postgres://app:$P%@@HOST@/app"
# '?' and '=' inside: not taken for a query string, with a bad escape after them
url_case "userinfo ?a=b%zz" 3 - "postgres://app:$P?a=b%zz@@HOST@"
url_case "userinfo ?a=b%00" 3 - "postgres://app:$P?a=b%00@@HOST@"
url_case "userinfo ?x=1&y=2" 0 4 "postgres://app:$P?x=1&y=2@@HOST@/app"
url_case "userinfo #" 0 4 "postgres://app:$P#x@@HOST@/app"
url_case "userinfo @" 3 - "postgres://app:$P@x@@HOST@/app"
url_case "userinfo /" 3 - "postgres://app:$P/x@@HOST@/app"
url_case "userinfo > 1023 bytes" 0 4 "postgres://app:$LONG$P@@HOST@/app"
url_case "userinfo > 1023 bytes %zz" 3 - "postgres://app:$LONG$P%zz@@HOST@/app"
url_case "userinfo > 1023 bytes ?a=b%zz" 3 - "postgres://app:$P$LONG?a=b%zz@@HOST@"
url_case "userinfo in application_name" 0 4 "postgres://app:$P@@HOST@/app?application_name=$P"
url_case "userinfo in options" 0 4 \
	"postgres://app:$P@@HOST@/app?options=-c%20search_path%3D$P"

# --- ?password= ----------------------------------------------------------------------------------
url_case "?password= %zz" 3 - "postgres://app@@HOST@/app?password=$P%zz"
url_case "?password= %00" 3 - "postgres://app@@HOST@/app?password=$P%00"
url_case "?password= lone %" 3 - "postgres://app@@HOST@/app?password=$P%"
# an unencoded "@" after the path reads as the end of a userinfo: refused (exit 3)
url_case "?password= with ?@#/" 3 - "postgres://app@@HOST@/app?password=$P?@x#y/z"
url_case "?password= with = inside" 3 - "postgres://app@@HOST@/app?password=$P=x"
# an unencoded '&': libpq quotes the piece after it as a parameter name
url_case "?password= with & inside" 3 - "postgres://app@@HOST@/app?password=a&zz$P"
url_case "?password= > 1023 bytes %zz" 3 - "postgres://app@@HOST@/app?password=$LONG$P%zz"
url_case "?password= > 1023 bytes, canary first" 3 - "postgres://app@@HOST@/app?password=$P$LONG%zz"
url_case "?password= in application_name" 0 4 \
	"postgres://app@@HOST@/app?application_name=$P&password=$P"
url_case "?password= in options" 0 4 \
	"postgres://app@@HOST@/app?password=$P&options=-c%20search_path%3D$P"
url_case "?PASSWORD= misspelt %zz" 3 - "postgres://app@@HOST@/app?PASSWORD=$P%zz"

# --- key=value conninfo ---------------------------------------------------------------------------
kv_case() {
	local name=$1 check_rc=$2 wait_rc=$3 rest=$4
	url_case "$name" "$check_rc" "$wait_rc" "host=@HOST@ user=app dbname=app $rest"
}
# a key=value host takes no port: @HOST@ becomes "h:p", so give host and port apart
url_case() {
	local name=$1 check_rc=$2 wait_rc=$3 url=$4
	local offline=${url//@HOST@/db.invalid} refused=${url//@HOST@/127.0.0.1 port=$REFUSED}
	run_dbready "$name: check, text" "$check_rc" check --url "$offline" --dir "$MIG" --format plain
	no_leak
	run_dbready "$name: check, JSON" "$check_rc" check --url "$offline" --dir "$MIG" \
		--format plain --log-format json --json
	no_leak
	[ "$check_rc" = 0 ] || assert_json_log "$RUN_ERR"
	if [ "$wait_rc" != - ]; then
		run_dbready "$name: wait, JSON" "$wait_rc" wait --url "$refused" --timeout 300ms \
			--backoff-cap 100ms --log-format json
		no_leak
		assert_json_log "$RUN_ERR"
	fi
}
kv_case "key=value %zz" 0 4 "password=$P%zz"
kv_case "key=value quoted, spaces" 0 4 "password='$P x y'"
kv_case "key=value quoted, bad sslmode" 3 - "password='$P x' sslmode=bogus"
kv_case "key=value unquoted space" 3 - "password=$P x"
kv_case "key=value in application_name" 0 4 "password=$P application_name=$P"
kv_case "key=value in options" 0 4 "password=$P options='-c search_path=$P'"
kv_case "key=value > 1023 bytes" 0 4 "password=$LONG$P"

# --- from a file ------------------------------------------------------------------------------------
printf 'postgres://app@db.invalid/app?password=%s%%zz\n' "$P" >"$T/secrets/url-bad"
run_dbready "--url-file ?password= %zz" 3 check --url-file "$T/secrets/url-bad" --dir "$MIG"
no_leak
DATABASE_URL_FILE=$T/secrets/url-bad run_dbready "DATABASE_URL_FILE ?password= %zz, JSON" 3 \
	check --dir "$MIG" --log-format json
no_leak
assert_json_log "$RUN_ERR"

# the masks still leave the target readable
run_dbready "target: password in application_name masked" 0 check --dir "$MIG" --format plain \
	--url "postgres://app:$P@db.invalid:5432/app?application_name=$P&sslmode=require"
assert_contains "$RUN_OUT" "target:     postgres://app:***@db.invalid:5432/app?application_name=***&sslmode=require"

harness_finish
