#!/usr/bin/env bash
# format_dbmate.sh - dbready is a drop-in for `dbmate migrate` (formats.md, dbmate), proven with
# the real dbmate binary (@dbmate/linux-x64, the binary npm's dbmate package runs, pinned in tests/dbmate) on PostgreSQL:
#   (a) dbready applies tests/fixtures/dbmate-basic; dbmate then sees nothing pending and
#       applies nothing; schema_migrations (pg_dump -t) and its rows, and the whole schema,
#       equal what dbmate alone makes on a fresh database
#   (b) dbmate applies the first k files (a copy of the folder), dbready exactly the rest
#   (c) dbready and dbmate started together: nothing is applied twice (dbmate takes no lock:
#       a dbmate that collides fails, and so may a dbready racing a dbmate; see there)
#   (d) transaction:false CREATE INDEX CONCURRENTLY, the down section never run
#   (e) files dbmate refuses are refused before anything runs (exit 6 naming the file), and
#       the real dbmate refuses each of them too
#   (e2) dbmate's parser, differentially: 16 tricky files (markers without spaces, on two
#       lines, indented, upper case, inside a dollar quote; CRLF; options) are applied by
#       dbmate and by dbready alike (same rows and schema) or refused/failed by both
#   (f) search_path in the URL, DBMATE_MIGRATIONS_DIR, DBMATE_MIGRATIONS_TABLE
#   (g) 5,000 migrations in one run, per migration and with --tx=all
#   (h) auto-detection: dbmate folders are dbmate's, goose, golang-migrate and drizzle ones
#       are not; --format=plain still refuses a dbmate file (exit 6)
# The DDL and the rows are compared with dbmate's own (its source: github.com/amacneil/dbmate
# pkg/driver/postgres/postgres.go at f3e08f15e39d: "create table if not exists %s.%s (version
# varchar primary key)", "insert into %s (version) values ($1)"). Without node/npm or the npm
# registry the parts that need the dbmate binary are skipped with a "# SKIP" line; the rest
# runs.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/migrate.sh"

FIX=$REPO_ROOT/tests/fixtures/dbmate-basic
DM_PKG=$REPO_ROOT/tests/dbmate
DM_OUT=$T/dbmate # everything the dbmate binary and npm wrote
CMP=$T/cmp
D=$T/dirs
mkdir -p "$DM_OUT" "$CMP" "$D"

pg_start main || harness_finish
pg_create_app main || harness_finish

# --- the real dbmate --------------------------------------------------------------------------
DBMATE=
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	say "# SKIP dbmate binary: node and npm are not installed (the parts that run dbmate are skipped)"
elif (cd "$DM_PKG" && npm ci --no-audit --no-fund) </dev/null >"$DM_OUT/npm-ci.log" 2>&1; then
	# a private copy: another run of the suite may `npm ci` (and so empty node_modules) meanwhile
	cp "$DM_PKG/node_modules/@dbmate/linux-x64/bin/dbmate" "$DM_OUT/dbmate-bin" &&
		DBMATE=$DM_OUT/dbmate-bin
	pinned=$(node -p "require('$DM_PKG/package.json').dependencies['@dbmate/linux-x64']")
	got=$("$DBMATE" --version 2>&1)
	check "dbmate: npm ci in tests/dbmate; the binary is the pinned $pinned ($got)" \
		test "$got" = "dbmate version $pinned"
else
	say "# SKIP dbmate binary: npm ci in tests/dbmate failed (the npm registry must be reachable); see $DM_OUT/npm-ci.log"
fi

# dbmate_run LOG URL ARGS...: the real dbmate against URL (lib/pq wants sslmode spelled out),
# schema dump off; output appended to $DM_OUT/LOG
dbmate_run() {
	local log=$DM_OUT/$1 url=$2
	shift 2
	case $url in *\?*) url="$url&sslmode=disable" ;; *) url="$url?sslmode=disable" ;; esac
	printf '$ dbmate %s\n' "$*" >>"$log"
	DATABASE_URL=$url "$DBMATE" --no-dump-schema "$@" </dev/null >>"$log" 2>&1
}

# run_any NAME ARGS...: run dbready to completion whatever its exit code (the goose and
# golang-migrate formats are other files: their folders' outcome is theirs to test)
run_any() {
	start_dbready "$@"
	wait "$RUN_PID"
	RUN_RC=$?
	echo "$RUN_RC" >"$RUN_DIR/rc"
}

versions() { q main "$1" "SELECT version FROM ${2:-public.schema_migrations} ORDER BY version"; }
log_dupes() { q main "$1" "SELECT count(*) FROM (SELECT version FROM applied_log GROUP BY version HAVING count(*) > 1) d"; }

# --- (a) dbready applies, dbmate sees nothing pending; equal to dbmate's own -------------------
URL_A=$(new_db a)
run_dbready "dbmate: dbready applies the fixture" 0 run --url "$URL_A" --dir "$FIX" -v --timeout 20s
assert_contains "$RUN_ERR" 'dbmate format ("20240101000001_create_log.sql" has "-- migrate:up" on line 1)'
assert_contains "$RUN_TERMLOG" "ok: applied 5 migrations (20240101000001_create_log..20240101000005_crlf)"
assert_contains "$RUN_ERR" "applying 20240101000003_users_email_idx outside a transaction"
assert_contains "$RUN_ERR" "(the file says -- migrate:up transaction:false)"
assert_not_contains "$RUN_ERR" "applying 20240101000002_users outside"
check "dbmate: 5 versions recorded, as strings" \
	test "$(versions a | tr '\n' ' ')" = "20240101000001 20240101000002 20240101000003 20240101000004 20240101000005 "
check "dbmate: each migration ran once (applied_log: 4 rows, no duplicate)" \
	test "$(q main a 'SELECT count(*) FROM applied_log')" = 4 -a "$(log_dupes a)" = 0
# (d) the down sections never ran; CONCURRENTLY built a valid index outside a transaction
check "dbmate: the down sections never ran (keep_me, users, applied_log, crlf exist)" \
	test "$(q main a "SELECT count(*) FROM keep_me") $(exists a users) $(exists a crlf)" = "2 t t"
check "dbmate: transaction:false: users_note_idx is valid" \
	test "$(q main a "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'users_note_idx'")" = t
run_dbready "dbmate: dbready again applies nothing" 0 run --url "$URL_A" --dir "$FIX" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 5 migrations already applied"
run_dbready "dbmate: status" 0 status --url "$URL_A" --dir "$FIX" --timeout 20s
assert_contains "$RUN_OUT" '"public"."schema_migrations" (dbmate format)'
assert_contains "$RUN_OUT" "5 applied, 0 pending, 0 changed, 0 out of order, 0 unknown"

if [ -n "$DBMATE" ]; then
	dbmate_run status-a.log "$URL_A" -d "$FIX" status --exit-code
	check "dbmate: dbmate status --exit-code after dbready: nothing pending (exit 0)" test $? = 0
	assert_contains "$DM_OUT/status-a.log" "Pending: 0" "dbmate: dbmate status says Pending: 0"
	dbmate_run migrate-a.log "$URL_A" -d "$FIX" migrate
	check "dbmate: dbmate migrate after dbready: exit 0" test $? = 0
	assert_not_contains "$DM_OUT/migrate-a.log" "Applying:" "dbmate: dbmate migrate after dbready applies nothing"

	URL_B=$(new_db b)
	dbmate_run migrate-b.log "$URL_B" -d "$FIX" migrate
	check "dbmate: dbmate alone applies the fixture to B" test $? = 0
	pgdump a -t public.schema_migrations >"$CMP/a-table.sql"
	pgdump b -t public.schema_migrations >"$CMP/b-table.sql"
	check "dbmate: the dump of schema_migrations is not empty" \
		grep -q 'CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)' "$CMP/b-table.sql"
	same_files "dbmate: pg_dump -t schema_migrations: dbready's = dbmate's" "$CMP/a-table.sql" "$CMP/b-table.sql"
	versions a >"$CMP/a-rows"
	versions b >"$CMP/b-rows"
	same_files "dbmate: schema_migrations rows: dbready's = dbmate's" "$CMP/a-rows" "$CMP/b-rows"
	pgdump a >"$CMP/a-all.sql"
	pgdump b >"$CMP/b-all.sql"
	same_files "dbmate: the whole schema: dbready's = dbmate's" "$CMP/a-all.sql" "$CMP/b-all.sql"
	run_dbready "dbmate: dbready after dbmate applies nothing" 0 run --url "$URL_B" --dir "$FIX" --timeout 20s
	assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 5 migrations already applied"

	# dbmate rollback works on what dbready applied: the newest version's down section
	URL_RB=$(new_db rollback)
	run_dbready "dbmate: dbready applies, for dbmate rollback" 0 run --url "$URL_RB" --dir "$FIX" --timeout 20s
	dbmate_run rollback.log "$URL_RB" -d "$FIX" rollback
	rc=$?
	check "dbmate: dbmate rollback after dbready: exit 0, 20240101000005 gone, crlf dropped" \
		test "$rc $(versions rollback | tail -n 1) $(exists rollback crlf)" = "0 20240101000004 f"
	run_dbready "dbmate: dbready after dbmate rollback applies it again" 0 run --url "$URL_RB" --dir "$FIX" --timeout 20s
	assert_contains "$RUN_TERMLOG" "ok: applied 1 migration"

	# --- (b) dbmate applies the first k, dbready exactly the rest -----------------------------
	files=("$FIX"/2*.sql)
	for k in 1 2 3 4; do
		mkdir -p "$D/prefix$k"
		cp "${files[@]:0:k}" "$D/prefix$k/"
		U=$(new_db "prefix$k")
		dbmate_run "prefix$k.log" "$U" -d "$D/prefix$k" migrate
		check "dbmate: prefix $k: dbmate applies $k" test "$(versions "prefix$k" | wc -l)" = "$k"
		run_dbready "dbmate: prefix $k: dbready applies the other $((5 - k))" 0 run --url "$U" --dir "$FIX" --timeout 20s
		assert_contains "$RUN_TERMLOG" "ok: applied $((5 - k)) migration"
		first=${files[k]##*/}
		assert_contains "$RUN_TERMLOG" "(${first%.sql}" "dbmate: prefix $k: the first one dbready applies is ${first%.sql}"
		check "dbmate: prefix $k: rows equal dbmate's own, nothing ran twice" \
			test "$(versions "prefix$k")" = "$(versions b)" -a "$(log_dupes "prefix$k")" = 0
		dbmate_run "prefix$k-status.log" "$U" -d "$FIX" status --exit-code
		check "dbmate: prefix $k: dbmate status: nothing pending" test $? = 0
	done
else
	say "# SKIP dbmate: the comparisons with the real dbmate (no binary)"
fi

# --- (c) racing: several dbready and several dbmate at once -----------------------------------
# 20 migrations, each creates a table (no IF NOT EXISTS) and logs itself, in one transaction.
# What is guaranteed: dbready runs never apply a migration twice among themselves (the lock),
# and every migration's transaction is atomic, so whoever loses a collision rolls back: no
# migration's effects are ever applied twice, whatever exits how. dbmate takes no lock, so a
# dbmate that collides with another runner fails ("already exists" / duplicate key), and a
# dbready that collides with a dbmate may fail the same way (exit 7, rolled back). Afterwards
# one more dbready applies whatever is left, and dbmate sees nothing pending.
RACE=$D/race
mkdir -p "$RACE"
printf -- '-- migrate:up\nCREATE TABLE applied_log (version text NOT NULL);\n-- migrate:down\n' >"$RACE/1000_log.sql"
for i in $(seq 1001 1020); do
	printf -- '-- migrate:up\nCREATE TABLE t%s (id int);\nSELECT pg_sleep(0.02);\nINSERT INTO applied_log VALUES (%s);\n-- migrate:down\nDROP TABLE t%s;\n' \
		"$i" "'$i'" "$i" >"$RACE/${i}_t.sql"
done
race_check() { # race_check DB NAME
	check "$2: every migration's effects exist exactly once" \
		test "$(q main "$1" "SELECT count(DISTINCT version) || '/' || count(*) FROM applied_log")" = "20/20"
	check "$2: 21 versions recorded, none twice" \
		test "$(q main "$1" "SELECT count(DISTINCT version) || '/' || count(*) FROM schema_migrations")" = "21/21"
}
# dbready only: all succeed
URL_R=$(new_db race1)
racers 4 "dbmate race: dbready" run --url "$URL_R" --dir "$RACE" --timeout 30s
for i in 0 1 2 3; do racer_finish "$i" 0 60; done
race_check race1 "dbmate race (4 dbready)"
if [ -n "$DBMATE" ]; then
	for round in 1 2 3; do
		URL_R=$(new_db "race2_$round")
		# all six held in one gate and released together (racers() would release the
		# dbready runs before the dbmate ones could start)
		gate_arm
		RACER_NAMES=() RACER_DIRS=() RACER_PIDS=()
		for i in 1 2 3; do
			start_dbready "dbmate race $round: dbready $i" run --url "$URL_R" --dir "$RACE" --timeout 30s
			RACER_NAMES+=("$RUN_NAME") RACER_DIRS+=("$RUN_DIR") RACER_PIDS+=("$RUN_PID")
		done
		dm_pids=()
		for j in 1 2 3; do
			DATABASE_URL="$URL_R?sslmode=disable" "$T/gate.sh" "$GATE" "$DBMATE" --no-dump-schema \
				-d "$RACE" migrate </dev/null >"$DM_OUT/race$round-$j.log" 2>&1 &
			dm_pids+=($!)
		done
		gate_release
		for i in 0 1 2; do
			wait "${RACER_PIDS[$i]}"
			rc=$?
			RUN_NAME=${RACER_NAMES[$i]} RUN_DIR=${RACER_DIRS[$i]} RUN_ERR=${RACER_DIRS[$i]}/stderr
			echo "$rc" >"$RUN_DIR/rc"
			if [ "$rc" = 0 ]; then
				pass "$RUN_NAME: exit 0"
			elif [ "$rc" = 7 ] && grep -qE 'already exists|duplicate key' "$RUN_ERR"; then
				pass "$RUN_NAME: exit 7, collided with a dbmate (it takes no lock), rolled back"
			else
				fail "$RUN_NAME: exit 0, or 7 after colliding with a dbmate" "exit $rc"
				diag_file stderr "$RUN_ERR"
			fi
		done
		for j in 1 2 3; do
			wait "${dm_pids[$((j - 1))]}"
			rc=$?
			log=$DM_OUT/race$round-$j.log
			if [ "$rc" = 0 ] || grep -qE 'already exists|duplicate key' "$log"; then
				pass "dbmate race $round: dbmate $j: exit 0, or failed on a collision (exit $rc)"
			else
				fail "dbmate race $round: dbmate $j: exit 0, or failed on a collision" "exit $rc"
				diag_file "race$round-$j.log" "$log"
			fi
		done
		say "#   race $round: dbmate runs failed $(grep -lE 'already exists|duplicate key' "$DM_OUT"/race$round-*.log | wc -l) times on a collision; dbready exits: $(cat "${RACER_DIRS[@]/%//rc}" 2>/dev/null | tr '\n' ' ')"
		race_check_partial=$(q main "race2_$round" 'SELECT count(*) - count(DISTINCT version) FROM applied_log')
		check "dbmate race $round: nothing applied twice while racing" test "$race_check_partial" = 0
		run_dbready "dbmate race $round: one more dbready applies the rest" 0 run --url "$URL_R" --dir "$RACE" --timeout 30s
		race_check "race2_$round" "dbmate race $round"
		dbmate_run "race$round-status.log" "$URL_R" -d "$RACE" status --exit-code
		check "dbmate race $round: dbmate status: nothing pending" test $? = 0
	done
else
	say "# SKIP dbmate race: dbready against the real dbmate (no binary)"
fi

# --- (e) files dbmate refuses: exit 6 naming the file, nothing applied -------------------------
bad() { # bad NAME FILE CONTENT(printf) TEXT: a folder of one good and one bad file
	local name=$1 file=$2 content=$3 text=$4
	local dir=$D/bad-$name
	mkdir -p "$dir"
	printf -- '-- migrate:up\nCREATE TABLE good (id int);\n-- migrate:down\n' >"$dir/001_good.sql"
	printf -- "$content" >"$dir/$file"
	local u
	u=$(new_db "bad_$name")
	run_dbready "dbmate: refuses $name" 6 run --url "$u" --dir "$dir" --format dbmate --timeout 20s
	assert_contains "$RUN_ERR" "\"$file\""
	assert_contains "$RUN_ERR" "$text"
	check "dbmate: $name: nothing applied (not even the good file)" \
		test "$(exists "bad_$name" good)" = f
	if [ -n "$DBMATE" ]; then
		dbmate_run "bad-$name.log" "$u" -d "$dir" migrate
		check "dbmate: the real dbmate refuses $name too (exit non-zero)" test $? != 0
	fi
}
bad no-up 002_x.sql 'CREATE TABLE x (id int);\n-- migrate:down\nDROP TABLE x;\n' \
	"It has no \"-- migrate:up\" line"
bad no-up-word 002_x.sql '-- migrate:upx\nCREATE TABLE x (id int);\n-- migrate:down\n' \
	"dbmate requires each migration to define an up block"
bad no-down 002_x.sql '-- migrate:up\nCREATE TABLE x (id int);\n' \
	"dbmate requires each migration to define a down block"
bad stmt-before 002_x.sql 'CREATE TABLE x (id int);\n-- migrate:up\nSELECT 1;\n-- migrate:down\n' \
	"Line 1: Something other than a comment"
bad block-comment 002_x.sql '/* c */\n-- migrate:up\nSELECT 1;\n-- migrate:down\n' \
	"dbmate does not support statements preceding"
bad bom 002_x.sql '\357\273\277-- migrate:up\nSELECT 1;\n-- migrate:down\n' \
	"starts with a UTF-8 byte-order mark"
bad two-downs 002_x.sql '-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n-- migrate:down\n' \
	"Line 5: A second \"-- migrate:down\""
bad two-ups 002_x.sql '-- migrate:up\nCREATE TABLE x (id int);\n-- migrate:down\n-- migrate:up\nCREATE TABLE y (id int);\n-- migrate:down\n' \
	"has more than one up section"
bad dup-version 001_again.sql '-- migrate:up\nCREATE TABLE x (id int);\n-- migrate:down\n' \
	"have the same version 001"
run_dbready "dbmate: a file without migrate:up is exit 6 (auto-detected folder)" 6 run \
	--url "$(new_db bad_auto)" --dir "$D/bad-no-up" --timeout 20s
assert_contains "$RUN_ERR" 'migration file "002_x.sql"'
# a version longer than the 128 bytes dbready keeps
LONG=$D/long
mkdir -p "$LONG"
v=$(printf '1%.0s' $(seq 1 129))
printf -- '-- migrate:up\nSELECT 1;\n-- migrate:down\n' >"$LONG/${v}_x.sql"
run_dbready "dbmate: a 129-digit version is refused" 6 check --url "$URL_A" --dir "$LONG" --format dbmate
assert_contains "$RUN_ERR" "has a version of 129 digits"

# what dbmate accepts and dbready must too: versions as strings ("007" and "0007" are two),
# files that are not <digits>*.sql ignored, an empty up section, options dbmate ignores
ODD=$D/odd
mkdir -p "$ODD/sub.sql"
printf -- '-- migrate:up\nCREATE TABLE v0007 (id int);\n-- migrate:down\n' >"$ODD/0007_a.sql"
printf -- '-- migrate:up   foo:bar transaction:true x:y:z\nCREATE TABLE v007 (id int);\n-- migrate:down\n' >"$ODD/007_b.sql"
printf -- '-- migrate:up\n-- migrate:down\nDROP TABLE v007;\n' >"$ODD/008_empty.sql"
printf 'not a migration\n' >"$ODD/notes.sql"
printf 'DROP TABLE v007;\n' >"$ODD/009_x.SQL"
printf 'DROP TABLE v007;\n' >"$ODD/010_x.sql.bak"
URL_O=$(new_db odd)
run_dbready "dbmate: string versions, ignored files, an empty section" 0 run --url "$URL_O" --dir "$ODD" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: applied 3 migrations (0007_a..008_empty)"
check "dbmate: 0007 and 007 are two rows" test "$(versions odd | tr '\n' ' ')" = "0007 007 008 "
check "dbmate: the empty section's down did not run" test "$(exists odd v007)" = t
if [ -n "$DBMATE" ]; then
	dbmate_run odd-status.log "$URL_O" -d "$ODD" status --exit-code
	check "dbmate: dbmate status after dbready on the odd folder: nothing pending" test $? = 0
	U=$(new_db odd_dbmate)
	dbmate_run odd-migrate.log "$U" -d "$ODD" migrate
	check "dbmate: dbmate's rows on the odd folder = dbready's" test "$(versions odd_dbmate)" = "$(versions odd)"
fi

# --- dbmate's parser, differentially: each file alone, applied by dbmate and by dbready -------
# Both must succeed (and end in equal rows and schema) or both must fail.
if [ -n "$DBMATE" ]; then
	DIFF=$D/diff
	n=0
	diff_case() { # diff_case NAME CONTENT(printf)
		n=$((n + 1))
		local dir=$DIFF/$n
		mkdir -p "$dir"
		printf -- "$2" >"$dir/1_case.sql"
		local u1 u2 rc1 rc2
		u1=$(new_db "diff_dm_$n")
		u2=$(new_db "diff_dr_$n")
		dbmate_run "diff-$n.log" "$u1" -d "$dir" migrate
		rc1=$?
		run_any "dbmate: parser case $1" run --url "$u2" --dir "$dir" --format dbmate --timeout 20s
		rc2=$RUN_RC
		if [ "$rc1" = 0 ] && [ "$rc2" = 0 ]; then
			if [ "$(versions "diff_dm_$n")" = "$(versions "diff_dr_$n")" ] &&
				cmp -s <(pgdump "diff_dm_$n") <(pgdump "diff_dr_$n"); then
				pass "dbmate: parser case $1: both apply it, same rows and schema"
			else
				fail "dbmate: parser case $1: both apply it, same rows and schema" "they differ"
			fi
		elif [ "$rc1" != 0 ] && [ "$rc2" != 0 ]; then
			pass "dbmate: parser case $1: both refuse or fail it (dbmate $rc1, dbready $rc2)"
		else
			fail "dbmate: parser case $1: dbmate and dbready agree" "dbmate exit $rc1, dbready exit $rc2"
			diag_file "diff-$n.log" "$DM_OUT/diff-$n.log"
			diag_run
		fi
	}
	diff_case "no space, tab before down" '--migrate:up\nCREATE TABLE a (id int);\n--\tmigrate:down\nDROP TABLE a;\n'
	diff_case "spaces after the markers" '--   migrate:up   \nCREATE TABLE a (id int);\n-- migrate:down   \n'
	diff_case "marker at the end of the file" '-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down'
	diff_case "indented marker is not one" '  -- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n'
	diff_case "migrate:upx is not one" '-- migrate:upx\nCREATE TABLE a (id int);\n-- migrate:down\n'
	diff_case "a down line before up is a comment" '-- migrate:down\n-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n'
	diff_case "dashes and marker on two lines" '--\nmigrate:up\nCREATE TABLE a (id int);\n-- migrate:down\n'
	diff_case "down marker inside a dollar quote cuts it" '-- migrate:up\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n-- migrate:down\nSELECT 1 $$;\n'
	diff_case "the empty file" ''
	diff_case "only an up marker" '-- migrate:up\n'
	diff_case "options dbmate ignores" '-- migrate:up foo:bar transaction:yes a:b:c\nCREATE TABLE a (id int);\n-- migrate:down\n'
	diff_case "transaction:false" '-- migrate:up transaction:false\nCREATE TABLE a (id int);\n-- migrate:down\n'
	diff_case "a later transaction option wins" '-- migrate:up transaction:false transaction:true\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n-- migrate:down\n'
	diff_case "upper-case marker is not one" '-- MIGRATE:UP\nCREATE TABLE a (id int);\n-- migrate:down\n'
	diff_case "CRLF and a comment block before" '-- one\r\n--two\r\n\r\n   \r\n-- migrate:up\r\nCREATE TABLE a (id int);\r\n-- migrate:down\r\n'
	diff_case "a failing statement rolls back" '-- migrate:up\nCREATE TABLE a (id int);\nSELECT 1/0;\n-- migrate:down\n'
	# where they differ on purpose (docs/formats/dbmate.md): dbmate sends the section as one
	# query string, which PostgreSQL runs as one implicit transaction, so CONCURRENTLY beside
	# another statement fails under dbmate even with transaction:false; dbready runs it
	mkdir -p "$DIFF/conc"
	printf -- '-- migrate:up transaction:false\nCREATE TABLE c (id int);\nCREATE INDEX CONCURRENTLY c_idx ON c (id);\n-- migrate:down\n' >"$DIFF/conc/1_c.sql"
	dbmate_run diff-conc.log "$(new_db diff_conc_dm)" -d "$DIFF/conc" migrate
	check "dbmate: CONCURRENTLY beside another statement: dbmate fails (one implicit transaction)" \
		grep -q 'cannot run inside a transaction block' "$DM_OUT/diff-conc.log"
	run_dbready "dbmate: CONCURRENTLY beside another statement: dbready applies it" 0 run \
		--url "$(new_db diff_conc_dr)" --dir "$DIFF/conc" --timeout 20s
	check "dbmate: CONCURRENTLY beside another statement: c_idx is valid" \
		test "$(q main diff_conc_dr "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'c_idx'")" = t
else
	say "# SKIP dbmate parser cases: they compare with the real dbmate (no binary)"
fi

# --- (f) the dbmate configuration: search_path, DBMATE_MIGRATIONS_DIR, DBMATE_MIGRATIONS_TABLE -
URL_S=$(new_db sp)
pg_sql main sp <<<'CREATE SCHEMA app_s AUTHORIZATION app;'
run_dbready "dbmate: search_path in the URL" 0 run --url "$URL_S?search_path=app_s,public" --dir "$FIX" --timeout 20s
check "dbmate: search_path: the table is app_s.schema_migrations (and nothing in public)" \
	test "$(q main sp "SELECT to_regclass('app_s.schema_migrations') IS NOT NULL, to_regclass('public.schema_migrations') IS NULL, to_regclass('app_s.users') IS NOT NULL")" = "t|t|t"
check "dbmate: search_path: 5 rows" test "$(versions sp app_s.schema_migrations | wc -l)" = 5
if [ -n "$DBMATE" ]; then
	dbmate_run sp-status.log "$URL_S?search_path=app_s,public" -d "$FIX" status --exit-code
	check "dbmate: search_path: dbmate status: nothing pending" test $? = 0
	U=$(new_db sp_dbmate)
	pg_sql main sp_dbmate <<<'CREATE SCHEMA app_s AUTHORIZATION app;'
	dbmate_run sp-migrate.log "$U?search_path=app_s,public" -d "$FIX" migrate
	pgdump sp -t app_s.schema_migrations >"$CMP/sp-a.sql"
	pgdump sp_dbmate -t app_s.schema_migrations >"$CMP/sp-b.sql"
	check "dbmate: search_path: dbmate's table is in app_s" grep -q 'CREATE TABLE app_s.schema_migrations' "$CMP/sp-b.sql"
	same_files "dbmate: search_path: pg_dump of app_s.schema_migrations: dbready's = dbmate's" "$CMP/sp-a.sql" "$CMP/sp-b.sql"
fi

# a search_path schema that does not exist yet is created, as dbmate creates it
# (postgres.go CreateMigrationsTable: "create schema if not exists" on 3F000)
URL_S2=$(new_db sp_new)
run_dbready "dbmate: search_path names a schema that does not exist" 0 run --url "$URL_S2?search_path=fresh_s" --dir "$FIX" --timeout 20s
check "dbmate: search_path: fresh_s created, the table and the migrations' tables in it" \
	test "$(q main sp_new "SELECT to_regclass('fresh_s.schema_migrations') IS NOT NULL, to_regclass('fresh_s.users') IS NOT NULL")" = "t|t"

# out of order: dbmate (without --strict) applies a pending file older than an applied one;
# dbready refuses (exit 6) unless --allow-out-of-order, and then applies it
URL_OOO=$(new_db ooo)
pg_sql main ooo <<<"CREATE TABLE schema_migrations (version varchar PRIMARY KEY); ALTER TABLE schema_migrations OWNER TO app; INSERT INTO schema_migrations VALUES ('20240101000003');"
run_dbready "dbmate: files older than the newest applied are refused" 6 run --url "$URL_OOO" --dir "$FIX" --timeout 20s
assert_contains "$RUN_ERR" "older than the newest applied"
check "dbmate: out of order: nothing applied" test "$(exists ooo applied_log)" = f
run_dbready "dbmate: --allow-out-of-order applies them, as dbmate does" 0 run --url "$URL_OOO" --dir "$FIX" --allow-out-of-order --timeout 20s
check "dbmate: --allow-out-of-order: 4 applied, 20240101000003 skipped (recorded)" \
	test "$(versions ooo | wc -l) $(exists ooo applied_log)" = "5 t"

URL_E=$(new_db envdir)
DBMATE_MIGRATIONS_DIR=$FIX run_dbready "dbmate: DBMATE_MIGRATIONS_DIR when --dir is absent" 0 run --url "$URL_E" --timeout 20s
check "dbmate: DBMATE_MIGRATIONS_DIR: 5 rows" test "$(versions envdir | wc -l)" = 5
DBMATE_MIGRATIONS_DIR=$D/nonexistent run_dbready "dbmate: --dir beats DBMATE_MIGRATIONS_DIR" 0 run --url "$URL_E" --dir "$FIX" --timeout 20s
assert_contains "$RUN_TERMLOG" "ok: nothing to apply, 5 migrations already applied"

URL_T=$(new_db envtable)
pg_sql main envtable <<<'CREATE SCHEMA hist AUTHORIZATION app;'
DBMATE_MIGRATIONS_TABLE=hist.dbmate_versions run_dbready "dbmate: DBMATE_MIGRATIONS_TABLE=hist.dbmate_versions" 0 \
	run --url "$URL_T" --dir "$FIX" --timeout 20s
check "dbmate: DBMATE_MIGRATIONS_TABLE: 5 rows in hist.dbmate_versions, no public.schema_migrations" \
	test "$(history_count envtable hist.dbmate_versions) $(exists envtable schema_migrations)" = "5 f"
if [ -n "$DBMATE" ]; then
	DBMATE_MIGRATIONS_TABLE=hist.dbmate_versions dbmate_run envtable-status.log "$URL_T" -d "$FIX" status --exit-code
	check "dbmate: DBMATE_MIGRATIONS_TABLE: dbmate (same variable) sees nothing pending" test $? = 0
fi

# --- (g) 5,000 migrations in one run ---------------------------------------------------------
BIG=$D/big
mkdir -p "$BIG"
printf -- '-- migrate:up\nCREATE TABLE big (n int PRIMARY KEY);\n-- migrate:down\nDROP TABLE big;\n' >"$BIG/100000_big.sql"
python3 - "$BIG" <<'EOF'
import sys
d = sys.argv[1]
for i in range(1, 5000):
    with open(f"{d}/{100000 + i}_m{i}.sql", "w") as f:
        f.write(f"-- migrate:up\nINSERT INTO big VALUES ({i});\n-- migrate:down\nDELETE FROM big WHERE n = {i};\n")
EOF
check "dbmate: 5,000 files generated" test "$(ls "$BIG" | wc -l)" = 5000
for mode in per-migration all; do
	U=$(new_db "big_${mode//-/_}")
	RUN_LIMIT=300 run_dbready "dbmate: 5,000 migrations, --tx=$mode" 0 run --url "$U" --dir "$BIG" --tx="$mode" --timeout 60s
	assert_contains "$RUN_TERMLOG" "ok: applied 5000 migrations"
	check "dbmate: --tx=$mode: 5,000 rows in schema_migrations, 4,999 in big" \
		test "$(history_count "big_${mode//-/_}" public.schema_migrations) $(q main "big_${mode//-/_}" 'SELECT count(*) FROM big')" = "5000 4999"
	say "#   5,000 migrations, --tx=$mode: $RUN_MS ms"
done
if [ -n "$DBMATE" ]; then
	dbmate_run big-status.log "$(pg_url app "$CANARY" big_all)" -d "$BIG" status --exit-code
	check "dbmate: after 5,000 with --tx=all, dbmate status: nothing pending" test $? = 0
fi

# --- (h) which format a folder is -------------------------------------------------------------
fmt_of() { # fmt_of NAME DIR: `check -v` on DIR (auto), which says the format it picked
	run_dbready "dbmate: detect: $1" "${3:-0}" check --url "$URL_A" --dir "$2" -v
}
fmt_of "the fixture is dbmate's" "$FIX"
assert_contains "$RUN_ERR" "dbmate format"
G=$D/goose
mkdir -p "$G"
printf -- '-- +goose Up\nCREATE TABLE g (id int);\n-- +goose Down\nDROP TABLE g;\n' >"$G/20240101000001_g.sql"
run_dbready "dbmate: detect: a goose folder" 6 check --url "$URL_A" --dir "$G" --format dbmate
assert_contains "$RUN_ERR" "no \"-- migrate:up\" line"
run_any "dbmate: detect: a goose folder (auto)" check --url "$URL_A" --dir "$G" -v
assert_not_contains "$RUN_ERR" "dbmate format" "dbmate: detect: a goose folder is not claimed by dbmate"
GM=$D/golang-migrate
mkdir -p "$GM"
printf 'CREATE TABLE gm (id int);\n' >"$GM/1_gm.up.sql"
printf 'DROP TABLE gm;\n' >"$GM/1_gm.down.sql"
run_any "dbmate: detect: a golang-migrate folder (auto)" check --url "$URL_A" --dir "$GM" -v
assert_not_contains "$RUN_ERR" "dbmate format" "dbmate: detect: a golang-migrate folder is not claimed by dbmate"
fmt_of "a drizzle folder is drizzle's" "$REPO_ROOT/tests/fixtures/migrate-drizzle4"
assert_contains "$RUN_ERR" "drizzle format"
assert_not_contains "$RUN_ERR" "dbmate format"

# plain: a dbmate file under --format=plain is refused; auto reads it as dbmate's (the down
# section, which would drop the table, is not run)
P=$D/plain-regress
mkdir -p "$P"
printf -- '-- migrate:up\nCREATE TABLE p (id int);\n-- migrate:down\nDROP TABLE p;\n' >"$P/00001_a.sql"
run_dbready "dbmate: --format=plain refuses a dbmate file" 6 run --url "$(new_db plain_a)" --dir "$P" --format plain --timeout 20s
assert_contains "$RUN_ERR" "carries dbmate's markers"
check "dbmate: --format=plain: nothing ran" test "$(exists plain_a p)" = f
run_dbready "dbmate: auto picks dbmate for 00001_a.sql" 0 run --url "$(new_db plain_b)" --dir "$P" -v --timeout 20s
assert_contains "$RUN_ERR" "dbmate format"
check "dbmate: auto: the table exists (the down section did not run), one row 00001" \
	test "$(exists plain_b p) $(versions plain_b)" = "t 00001"

harness_finish
