#!/usr/bin/env bash
# source_edges.sh - the migrations folder at its edges (issue 10): what cannot be read as a
# migration is refused when the folder is loaded (exit 6, so `check` catches it too), never
# skipped, never blocked on, never sent changed:
#   (1) a FIFO (a journal, a journal-named file, a plain migration) or a socket: exit 6 at
#       once naming what it is, instead of blocking in open() forever or being skipped
#   (2) plain files are sent as their bytes: a Latin-1 byte is judged by the server (exit 7,
#       nothing recorded), never applied as U+FFFD; drizzle keeps drizzle-orm's U+FFFD
#   (3) a file name that is not UTF-8 (exit 6, not 7 after the migration ran), a journal
#       "when" beyond a bigint (1e308, 2^63: undefined behaviour before), a dangling symlink
#       or a symlink loop named like a migration, a dangling drizzle journal (the folder was
#       taken for a plain one); a ConfigMap's dot entries stay ignored
#   (4) COPY ... FROM STDIN (a pg_dump seed) and COPY ... TO STDOUT: exit 6 at file:line:col,
#       nothing applied, at once (the server waited for COPY data that never came)
#   (5) a NUL byte (a UTF-16 file) would cut the statement libpq sends: exit 6; the 64 MiB cap
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

FIXTURES=$REPO_ROOT/tests/fixtures
# shellcheck disable=SC2034 # RUN_LIMIT is read by run_dbready
RUN_LIMIT=10 # nothing here may take long; a hang is the bug

# folder NAME: a fresh empty folder; prints its path
folder() {
	rm -rf "${T:?}/dirs/$1"
	mkdir -p "$T/dirs/$1"
	echo "$T/dirs/$1"
}

# drizzle NAME: a private copy of the four-migration drizzle fixture; prints its path
drizzle() {
	rm -rf "${T:?}/dirs/$1"
	mkdir -p "$T/dirs"
	cp -R "$FIXTURES/migrate-drizzle4" "$T/dirs/$1"
	echo "$T/dirs/$1"
}

# set_when DIR INDEX LITERAL: write LITERAL (JSON number text) as entry INDEX's "when"
set_when() {
	python3 - "$1/meta/_journal.json" "$2" "$3" <<-'PY'
		import json, re, sys
		p, idx, lit = sys.argv[1], int(sys.argv[2]), sys.argv[3]
		j = json.load(open(p))
		j["entries"][idx]["when"] = "@@WHEN@@"
		open(p, "w").write(json.dumps(j, indent=2).replace('"@@WHEN@@"', lit))
	PY
}

pg_start main || true
pg_create_app main || true
OFFLINE_URL=$(pg_url app "$CANARY" app)

# --- (1) FIFOs and sockets ---------------------------------------------------------------------
DIR=$(drizzle fifo-journal)
rm "$DIR/meta/_journal.json"
mkfifo "$DIR/meta/_journal.json"
run_dbready "fifo: meta/_journal.json is a FIFO (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" '_journal.json" is not a regular file'
assert_contains "$RUN_ERR" "FIFO"
assert_le "fifo: the journal FIFO is refused at once (< 3 s)" "${RUN_MS:-99999}" 3000

DIR=$(drizzle fifo-entry)
rm "$DIR/0002_users.sql"
mkfifo "$DIR/0002_users.sql"
URL=$(new_db fifo_entry)
run_dbready "fifo: a journal-named file is a FIFO (run)" 6 run --url "$URL" --dir "$DIR" \
	--timeout 10s
assert_contains "$RUN_ERR" "0002_users.sql"
assert_contains "$RUN_ERR" "FIFO"
check "fifo: a journal-named FIFO: nothing applied" \
	test "$(history_count fifo_entry drizzle.__drizzle_migrations)|$(exists fifo_entry accounts)" = "-1|f"

DIR=$(folder fifo-plain)
printf 'CREATE TABLE a (id int);\n' >"$DIR/0001_a.sql"
mkfifo "$DIR/0002_b.sql"
printf 'CREATE TABLE c (id int);\n' >"$DIR/0003_c.sql"
run_dbready "fifo: a plain migration is a FIFO (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" 'migration file "0002_b.sql"'
assert_contains "$RUN_ERR" "It is a FIFO (named pipe), not a regular file."
URL=$(new_db fifo_plain)
run_dbready "fifo: a plain migration is a FIFO (run)" 6 run --url "$URL" --dir "$DIR" --timeout 10s
check "fifo: plain: nothing applied (0003_c.sql is not applied over the gap)" \
	test "$(history_count fifo_plain)|$(exists fifo_plain a)|$(exists fifo_plain c)" = "-1|f|f"

DIR=$(folder socket-plain)
printf 'CREATE TABLE a (id int);\n' >"$DIR/0001_a.sql"
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$DIR/0002_s.sql"
run_dbready "socket: a plain migration is a socket (check)" 6 check --url "$OFFLINE_URL" \
	--dir "$DIR"
assert_contains "$RUN_ERR" '"0002_s.sql"'
assert_contains "$RUN_ERR" "a socket"

DIR=$(drizzle dir-journal)
rm "$DIR/meta/_journal.json"
mkdir "$DIR/meta/_journal.json"
run_dbready "journal: meta/_journal.json is a directory (check)" 6 check --url "$OFFLINE_URL" \
	--dir "$DIR"
assert_contains "$RUN_ERR" "a directory"

# --- (2) plain files are sent as their bytes ---------------------------------------------------
DIR=$(folder latin1)
printf 'CREATE TABLE cafe (v text);\n' >"$DIR/0001_cafe.sql"
printf "INSERT INTO cafe VALUES ('caf\\351');\n" >"$DIR/0002_latin1.sql"
check "latin1: the test file holds the byte 0xE9 (Latin-1)" \
	test "$(od -An -tx1 "$DIR/0002_latin1.sql" | tr -d ' \n' | grep -c 636166e9)" = 1
run_dbready "latin1: check --json" 0 check --json --url "$OFFLINE_URL" --dir "$DIR"
check "latin1: the plain hash is the SHA-256 of the file's bytes" python3 -c '
import hashlib, json, sys
d = json.load(open(sys.argv[1]))
m = [x for x in d["migrations"] if x["file"] == "0002_latin1.sql"][0]
want = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert m["hash"] == want, (m["hash"], want)
' "$RUN_OUT" "$DIR/0002_latin1.sql"
URL=$(new_db latin1)
run_dbready "latin1: run: the server judges the bytes (UTF8 client encoding: exit 7)" 7 run \
	--url "$URL" --dir "$DIR" --timeout 10s --log-format json
assert_contains "$RUN_ERR" "22021"
assert_contains "$RUN_ERR" "0002_latin1"
check "latin1: 0002_latin1 is not recorded, and no U+FFFD row was inserted" \
	test "$(q main latin1 "SELECT count(*) FROM public.dbready_migrations WHERE version = '0002'")|$(q main latin1 "SELECT count(*) FROM cafe")" = "0|0"

DIR=$(drizzle drizzle-fffd)
printf "%s\n" '' '--> statement-breakpoint' 'CREATE TABLE "cafe" ("v" text);' \
	'--> statement-breakpoint' "INSERT INTO \"cafe\" VALUES ('caf$(printf '\351')');" \
	>>"$DIR/0003_sessions.sql"
URL=$(new_db drizzle_fffd)
run_dbready "drizzle: invalid UTF-8 is sent as U+FFFD, as drizzle-orm sends it" 0 run \
	--url "$URL" --dir "$DIR" --timeout 10s
check "drizzle: the row holds U+FFFD" \
	test "$(q main drizzle_fffd "SELECT v = 'caf' || chr(65533) FROM cafe")" = t

# --- (3) wrong outcomes caught at load time -----------------------------------------------------
DIR=$(folder name-latin1)
printf 'CREATE TABLE a (id int);\n' >"$DIR/0001_a.sql"
printf 'CREATE TABLE b (id int);\n' >"$DIR/$(printf '0002_caf\351.sql')"
run_dbready "name: a file name that is not UTF-8 (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" 'migration file name "0002_caf\xE9.sql"'
assert_contains "$RUN_ERR" "not valid UTF-8"
assert_contains "$RUN_ERR" "HINT: Rename the file"
URL=$(new_db name_latin1)
run_dbready "name: a file name that is not UTF-8 (run, JSON log)" 6 run --url "$URL" \
	--dir "$DIR" --timeout 10s --log-format json
assert_json_log "$RUN_ERR"
check "name: nothing applied" test "$(history_count name_latin1)|$(exists name_latin1 b)" = "-1|f"

for when in 1e308 9223372036854775808 18446744073709551616 1700000001000.5; do
	DIR=$(drizzle "when-$when")
	set_when "$DIR" 1 "$when"
	run_dbready "journal: \"when\": $when (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
	assert_contains "$RUN_ERR" 'entry 1 of meta/_journal.json'
done
# the largest bigint is still a valid created_at (a double: 2^63 - 1024 is the largest below)
DIR=$(drizzle when-max)
set_when "$DIR" 3 9223372036854774784
run_dbready "journal: \"when\": 9223372036854774784 (check)" 0 check --json \
	--url "$OFFLINE_URL" --dir "$DIR"

DIR=$(folder dangling)
printf 'CREATE TABLE a (id int);\n' >"$DIR/0001_a.sql"
ln -s ../elsewhere/0002_gone.sql "$DIR/0002_gone.sql"
run_dbready "symlink: a dangling link named like a migration (check)" 6 check \
	--url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" '"0002_gone.sql"'
assert_contains "$RUN_ERR" 'symbolic link to "../elsewhere/0002_gone.sql", which does not exist'

DIR=$(folder loop)
printf 'CREATE TABLE a (id int);\n' >"$DIR/0001_a.sql"
ln -s 0002_loop.sql "$DIR/0002_loop.sql"
run_dbready "symlink: a link loop named like a migration (check)" 6 check --url "$OFFLINE_URL" \
	--dir "$DIR"
assert_contains "$RUN_ERR" '"0002_loop.sql"'
assert_contains "$RUN_ERR" "Too many levels of symbolic links"

# a ConfigMap volume: files are links through ..data; dot entries (even dangling) are not
# looked at, and a dangling link that is no migration is only a warning
DIR=$(folder configmap)
mkdir "$DIR/..2026_01_01_00_00_00.1"
printf 'CREATE TABLE a (id int);\n' >"$DIR/..2026_01_01_00_00_00.1/0001_a.sql"
ln -s ..2026_01_01_00_00_00.1 "$DIR/..data"
ln -s ..data/0001_a.sql "$DIR/0001_a.sql"
ln -s ..gone "$DIR/..dangling"
ln -s nowhere "$DIR/.hidden.sql"
ln -s nowhere "$DIR/notes.txt"
run_dbready "configmap: dot entries ignored, a dangling non-migration link warned" 0 check \
	--url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" '"notes.txt" in the migrations folder'
assert_not_contains "$RUN_ERR" "..dangling"
assert_not_contains "$RUN_ERR" ".hidden.sql"

DIR=$(drizzle dangling-journal)
rm "$DIR/meta/_journal.json"
ln -s ../../journal-elsewhere.json "$DIR/meta/_journal.json"
run_dbready "journal: a dangling journal link is no plain folder (check)" 6 check \
	--url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" "_journal.json"
assert_contains "$RUN_ERR" "does not exist"
assert_not_contains "$RUN_ERR" "dbready_migrations"

# --- (4) COPY FROM STDIN / TO STDOUT ------------------------------------------------------------
DIR=$(folder copy-stdin)
printf 'CREATE TABLE t (a int, b text);\n' >"$DIR/0001_t.sql"
printf '%s\n' '--' '-- PostgreSQL database dump' '--' '' \
	'COPY public.t (a, b) FROM stdin;' "1	one" "2	it's" '\.' '' \
	"SELECT pg_catalog.setval('x', 1, false);" >"$DIR/0002_seed.sql"
run_dbready "copy: FROM stdin (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" 'has COPY ... FROM STDIN at 0002_seed.sql:5:1'
assert_contains "$RUN_ERR" "DETAIL: COPY ... FROM STDIN takes its rows from the client"
assert_contains "$RUN_ERR" "INSERT statements"
URL=$(new_db copy_stdin)
run_dbready "copy: FROM stdin (run)" 6 run --url "$URL" --dir "$DIR" --timeout 10s
assert_le "copy: FROM stdin: refused at once (< 3 s)" "${RUN_MS:-99999}" 3000
check "copy: FROM stdin: nothing applied" \
	test "$(history_count copy_stdin)|$(exists copy_stdin t)" = "-1|f"

DIR=$(drizzle copy-drizzle)
printf '%s\n' '' '--> statement-breakpoint' 'COPY "accounts" ("id") FROM STDIN WITH (FORMAT csv);' \
	'1' '\.' >>"$DIR/0003_sessions.sql"
run_dbready "copy: FROM STDIN in a drizzle file (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" "0003_sessions.sql:"
assert_contains "$RUN_ERR" "FROM STDIN"

DIR=$(folder copy-stdout)
printf 'CREATE TABLE t (a int);\n\n  COPY (SELECT * FROM t) TO STDOUT;\n' >"$DIR/0001_t.sql"
run_dbready "copy: TO STDOUT (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" 'has COPY ... TO STDOUT at 0001_t.sql:3:3'

# the words in a string, a comment or another COPY are no COPY FROM STDIN
DIR=$(folder copy-not)
printf '%s\n' 'CREATE TABLE t (a text);' "-- COPY t FROM stdin;" \
	"INSERT INTO t VALUES ('COPY t FROM stdin;');" >"$DIR/0001_t.sql"
URL=$(new_db copy_not)
run_dbready "copy: the words in a comment and a string are no COPY" 0 run --url "$URL" \
	--dir "$DIR" --timeout 10s
check "copy: the string was inserted" test "$(q main copy_not "SELECT a FROM t")" = "COPY t FROM stdin;"

# --- (5) NUL bytes and the size cap -------------------------------------------------------------
DIR=$(folder nul)
printf 'CREATE TABLE n (v text);\n\000DROP TABLE n;\n' >"$DIR/0001_n.sql"
run_dbready "nul: a NUL byte (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" 'has a NUL byte at 0001_n.sql:2:1'

DIR=$(folder utf16)
printf '\377\376C\000R\000E\000A\000T\000E\000' >"$DIR/0001_u.sql"
run_dbready "nul: a UTF-16 file (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" "UTF-16"

DIR=$(folder too-large)
truncate -s $((64 * 1024 * 1024 + 1)) "$DIR/0001_big.sql"
run_dbready "size: a file over 64 MiB (check)" 6 check --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" "larger than 64 MiB"

# --- (6) another tool's markers: never run whole as plain SQL (formats.md, Safety first) ----
# a goose file with its Down section, and a dbmate file, named like plain migrations: run
# whole, each would create its table and drop it again, and record itself as applied
DIR=$(folder goose-as-plain)
printf '%s\n' '-- +goose Up' 'CREATE TABLE g (id int);' '' '-- +goose Down' 'DROP TABLE g;' \
	>"$DIR/00001_g.sql"
run_dbready "markers: a goose file (check)" 6 check --format=plain --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" 'migration file "00001_g.sql" carries goose'"'"'s markers and cannot run as plain SQL'
assert_contains "$RUN_ERR" 'Line 1 says "-- +goose Up"'
assert_contains "$RUN_ERR" "run with --format=goose"
URL=$(new_db goose_plain)
run_dbready "markers: a goose file (run)" 6 run --format=plain --url "$URL" --dir "$DIR" --timeout 10s
check "markers: nothing of the goose file ran, nothing recorded" \
	test "$(exists goose_plain g):$(history_count goose_plain)" = "f:-1"
DIR=$(folder dbmate-as-plain)
printf '%s\n' 'CREATE TABLE before_marker (id int);' '-- migrate:up' 'CREATE TABLE d (id int);' \
	'-- migrate:down' 'DROP TABLE d;' >"$DIR/20240101000000_d.sql"
run_dbready "markers: a dbmate file (check)" 6 check --format=plain --url "$OFFLINE_URL" --dir "$DIR"
assert_contains "$RUN_ERR" "run with --format=dbmate"
# auto reads it as dbmate's folder, and dbmate refuses a statement outside its sections
# (dbmate pkg/dbmate/migration.go, ErrParseUnexpectedStmt): nothing runs
run_dbready "markers: the dbmate file with auto" 6 run --url "$(new_db dbmate_auto)" --dir "$DIR" \
	--timeout 10s
check "markers: auto ran nothing of it" \
	test "$(exists dbmate_auto d):$(exists dbmate_auto before_marker)" = "f:f"
# the words inside a statement or a longer comment are no marker
DIR=$(folder markers-not)
printf '%s\n' "-- note: +goose annotations are not used here" \
	"CREATE TABLE mn (note text DEFAULT '-- +goose Down');" >"$DIR/0001_mn.sql"
run_dbready "markers: words in a string" 0 run --url "$(new_db markers_not)" --dir "$DIR" --timeout 10s

harness_finish
