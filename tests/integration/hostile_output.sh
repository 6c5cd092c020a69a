#!/usr/bin/env bash
# hostile_output.sh - output stays well-formed whatever it relays (issue 10, points 8 and 11):
# a server message with newlines, control characters and forged "dbready:"/"HINT:" lines, a
# migration file name with a newline, a long multi-byte message cut by dbready's buffers, an
# unknown history row with a newline; in text mode no line can be forged and no control
# character reaches the terminal, in JSON mode (log, termination log, status --json) every
# document parses with a strict UTF-8 decoder. And a FIFO in place of a URL file or the
# termination log never hangs a run.
. "$(dirname "$0")/../lib/harness.sh"

pg_start main || true
pg_create_app main || true
URL=$(pg_url app "$CANARY" app)

# strict_json FILE: every line is a JSON object, decoded as strict UTF-8
strict_json() {
	local name="$RUN_NAME: every $(basename "$1") line is strict UTF-8 JSON"
	local out
	if out=$(python3 - "$1" 2>&1 <<-'EOF'
		import json, sys
		data = open(sys.argv[1], "rb").read()
		assert data, "empty"
		for n, line in enumerate(data.split(b"\n")[:-1], 1):
		    try:
		        o = json.loads(line.decode("utf-8"))
		    except (ValueError, UnicodeDecodeError) as e:
		        sys.exit(f"line {n}: {e}")
		    assert isinstance(o, dict), f"line {n}: not an object"
		assert data.endswith(b"\n"), "no final newline"
	EOF
	); then
		pass "$name"
	else
		fail "$name" "$out"
		diag_run
	fi
}

# strict_doc FILE: the whole file is one JSON document, strict UTF-8 (status --json)
strict_doc() {
	check "$RUN_NAME: $(basename "$1") is one strict UTF-8 JSON document" python3 -c '
import json, sys
json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))' "$1"
}

# clean_text FILE: strict UTF-8, no control character but tab and newline
clean_text() {
	check "$RUN_NAME: $(basename "$1") is UTF-8 without control characters" python3 -c '
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8")
bad = re.findall(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]", t)
assert not bad, bad[:5]' "$1"
}

# text_lines_ok: every stderr line is "dbready: LEVEL: ", "DETAIL: ", "HINT: " or a
# tab-indented continuation, and none of the forged lines starts a line
text_lines_ok() {
	if grep -vqE '^(dbready: (error|warning|info|debug): |DETAIL: |HINT: |'$'\t'')' "$RUN_ERR"; then
		fail "$RUN_NAME: every stderr line is dbready: LEVEL:, DETAIL:, HINT: or a continuation"
		diag_run
	else
		pass "$RUN_NAME: every stderr line is dbready: LEVEL:, DETAIL:, HINT: or a continuation"
	fi
	check "$RUN_NAME: no forged log line" \
		bash -c '! grep -qE "^(dbready: error: forged|HINT: forged|DETAIL: forged)" "$1"' _ "$RUN_ERR"
	clean_text "$RUN_ERR"
}

# termlog_ok: one line, strict UTF-8, no control character, <= 4096 bytes
termlog_ok() {
	check "$RUN_NAME: termination log is one line" test "$(wc -l <"$RUN_TERMLOG")" -eq 1
	check "$RUN_NAME: termination log <= 4096 bytes" test "$(wc -c <"$RUN_TERMLOG")" -le 4096
	clean_text "$RUN_TERMLOG"
}

# --- a server message that tries to forge lines -------------------------------------------------
DIR=$T/hostile
mkdir -p "$DIR"
printf 'CREATE TABLE t1 (x int);\n' >"$DIR/0001_ok.sql"
# a valid-UTF-8 file name with a newline and a forged line in it
printf 'CREATE TABLE t2 (x int);\n' >"$DIR/0002_evil"$'\n'"dbready: error: forged name.sql"
cat >"$DIR/0003_raise.sql" <<-'EOF'
	DO $$ BEGIN
	RAISE EXCEPTION USING
	  MESSAGE = E'bad\ndbready: error: forged primary\x01\x1b[31m red \u0085 nel',
	  DETAIL = E'first line\nHINT: forged hint\rDETAIL: forged detail\x07',
	  HINT = E'h\x7f int';
	END $$;
EOF

run_dbready "hostile text" 7 run --format plain --url "$URL" --dir "$DIR" --timeout 10s -v
text_lines_ok
termlog_ok
assert_contains "$RUN_ERR" 'bad\ndbready: error: forged primary\x01'

run_dbready "hostile JSON" 7 run --format plain --url "$URL" --dir "$DIR" --timeout 10s \
	--log-format json -v
strict_json "$RUN_ERR"
assert_json_log "$RUN_ERR"
termlog_ok

run_dbready "hostile check, text" 0 check --format plain --url "$URL" --dir "$DIR"
check "$RUN_NAME: no stdout line forged by a file name" \
	bash -c '! grep -q "^dbready: error: forged" "$1"' _ "$RUN_OUT"
clean_text "$RUN_OUT"
run_dbready "hostile check --json" 0 check --format plain --url "$URL" --dir "$DIR" --json
strict_doc "$RUN_OUT"

# an unknown history row whose version holds a newline and a forged line
pg_sql main app <<-'EOF' || true
	INSERT INTO public.dbready_migrations (version, name, checksum, duration_ms, applied_by)
	VALUES (E'9\ndbready: error: forged row\x01', E'n\x01', 'x', 0, 'app');
EOF
run_dbready "hostile status, text" 0 status --format plain --url "$URL" --dir "$DIR"
check "$RUN_NAME: no stdout line forged by a history row" \
	bash -c '! grep -q "^dbready: error: forged" "$1"' _ "$RUN_OUT"
clean_text "$RUN_OUT"
text_lines_ok
run_dbready "hostile status --json" 0 status --format plain --url "$URL" --dir "$DIR" --json \
	--log-format json
strict_doc "$RUN_OUT"
strict_json "$RUN_ERR"

# --- long multi-byte messages: every cut lands on a character boundary ------------------------
pg_sql main <<<"CREATE DATABASE long OWNER app;" || true
LONG_URL=$(pg_url app "$CANARY" long)
LDIR=$T/long
mkdir -p "$LDIR"
# 3- and 4-byte characters after an odd-length prefix, far past every buffer (msg, detail,
# termination log): a byte cut lands inside a character unless it is made at a boundary
cat >"$LDIR/0001_long.sql" <<-'EOF'
	DO $$ BEGIN
	RAISE EXCEPTION 'x%', repeat('€😀', 1500) USING DETAIL = 'y' || repeat('😀€', 2000),
	  HINT = repeat('é€', 1500);
	END $$;
EOF
run_dbready "long text" 7 run --format plain --url "$LONG_URL" --dir "$LDIR" --timeout 10s
text_lines_ok
termlog_ok
assert_contains "$RUN_ERR" "(cut, "
run_dbready "long JSON" 7 run --format plain --url "$LONG_URL" --dir "$LDIR" --timeout 10s \
	--log-format json
strict_json "$RUN_ERR"
termlog_ok

# --- FIFOs never hang: each run must end with its documented code --------------------------------
mkfifo "$T/fifo"
MIG=$T/mig
mkdir -p "$MIG"
printf 'SELECT 1;\n' >"$MIG/0001_x.sql"
OLD_LIMIT=${RUN_LIMIT:-}
RUN_LIMIT=10
run_dbready "FIFO as --url-file" 3 check --url-file "$T/fifo" --dir "$MIG"
assert_contains "$RUN_ERR" 'It is a FIFO (named pipe), not a regular file.'
assert_contains "$RUN_ERR" 'HINT: Point it at a regular file'
# through env(1): the harness reads a DATABASE_URL_FILE of its own shell to look for the canary
RUN_WRAP=(env "DATABASE_URL_FILE=$T/fifo")
run_dbready "FIFO as DATABASE_URL_FILE" 3 check --dir "$MIG" --log-format json
RUN_WRAP=()
assert_contains "$RUN_ERR" 'FIFO'
assert_json_log "$RUN_ERR"
run_dbready "FIFO as --notify-url-file" 3 run --url "$URL" --dir "$MIG" \
	--notify-url-file "$T/fifo"
assert_contains "$RUN_ERR" 'It is a FIFO (named pipe), not a regular file.'
run_dbready "/dev/null as --url-file" 3 check --url-file /dev/null --dir "$MIG"
assert_contains "$RUN_ERR" 'It is a character device, not a regular file.'
# the termination log: a FIFO or a directory is refused with a warning, the run goes on
run_dbready "FIFO as --termination-log" 0 check --url "$URL" --dir "$MIG" --format plain \
	--termination-log "$T/fifo"
assert_contains "$RUN_ERR" 'could not write termination log'
assert_contains "$RUN_ERR" 'It is a FIFO (named pipe), not a regular file.'
run_dbready "directory as --termination-log" 0 check --url "$URL" --dir "$MIG" --format plain \
	--termination-log "$T"
assert_contains "$RUN_ERR" 'It is a directory, not a regular file.'
# a character device is fine (/dev/null; /dev/stderr on a terminal)
run_dbready "/dev/null as --termination-log" 0 check --url "$URL" --dir "$MIG" --format plain \
	--termination-log /dev/null
assert_not_contains "$RUN_ERR" 'termination log'
RUN_LIMIT=$OLD_LIMIT

harness_finish
