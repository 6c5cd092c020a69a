#!/usr/bin/env bash
# splitter.sh - the statement splitter (src/sqlsplit.c) against PostgreSQL's own lexer and
# parser (libpg_query, tests/oracle/): build/split-oracle over every .sql file of the
# real-world corpora and its table of tricky cases, the libFuzzer harness for a bounded time,
# and dbready itself classifying migrations whose statements only a correct split finds.
#
# Needs libpg-query-dev (the oracle) and clang with libclang-rt-14-dev (libFuzzer); a missing
# one is a failure that names the apt-get command, never a silent skip.
#
# Environment: DBREADY_CORPORA (default: ../shared/corpora beside the checkout, as the Makefile),
# SPLITTER_FUZZ_SECONDS (default 20).
. "$(dirname "$0")/../lib/harness.sh"

CORPORA=${DBREADY_CORPORA:-$REPO_ROOT/../shared/corpora}
# absolute and without a trailing slash: the oracle names files by the path it was given
[ -d "$CORPORA" ] && CORPORA=$(cd "$CORPORA" && pwd -P)
FUZZ_SECONDS=${SPLITTER_FUZZ_SECONDS:-20}
ORACLE=$REPO_ROOT/build/split-oracle
LOGS=$T/out/splitter
mkdir -p "$LOGS"

# --- the oracle: build/split-oracle -------------------------------------------------------------

have_pg_query() {
	[ -f /usr/include/pg_query.h ] || return 1
	local f
	for f in /usr/lib/*/libpg_query.* /usr/lib/libpg_query.* /usr/local/lib/libpg_query.*; do
		[ -e "$f" ] && return 0
	done
	return 1
}

oracle_built=0
if ! have_pg_query; then
	fail "libpg_query (PostgreSQL's lexer, the splitter's oracle) is installed" \
		"/usr/include/pg_query.h or libpg_query.a is missing: as root run" \
		"apt-get update && apt-get install -y --no-install-recommends libpg-query-dev"
elif make -C "$REPO_ROOT" --no-print-directory BUILD=build build/split-oracle >"$LOGS/build-oracle.log" 2>&1; then
	pass "build/split-oracle builds (gcc, -Werror, libpg_query)"
	oracle_built=1
else
	fail "build/split-oracle builds (gcc, -Werror, libpg_query)"
	diag_file "make build/split-oracle" "$LOGS/build-oracle.log"
fi

# Run the oracle and turn its lines into results of this file: one per table case; for files,
# one per failing file and one per corpus folder whose files all agree (with the count).
run_oracle() {
	local label=$1
	shift
	local log=$LOGS/oracle-$label.log
	"$ORACLE" "$@" >"$log" 2>&1
	local rc=$?
	local line corpus
	declare -A nok=() nbad=()
	while IFS= read -r line; do
		corpus=
		case $line in
		*" - $CORPORA/"*)
			corpus=${line#* - "$CORPORA"/}
			corpus=${corpus%%/*}
			;;
		esac
		case $line in
		"ok - "*)
			if [ -n "$corpus" ]; then
				nok[$corpus]=$((${nok[$corpus]:-0} + 1))
			else
				pass "splitter $label: ${line#ok - }"
			fi
			;;
		"not ok - "*)
			[ -n "$corpus" ] && nbad[$corpus]=$((${nbad[$corpus]:-0} + 1))
			fail "splitter $label: ${line#not ok - }"
			;;
		"#"*) say "$line" ;;
		esac
	done <"$log"
	for corpus in $(printf '%s\n' "${!nok[@]}" | sort); do
		if [ -z "${nbad[$corpus]:-}" ]; then
			pass "splitter $label: $corpus: all ${nok[$corpus]} checks agree with PostgreSQL"
		fi
	done
	local summary
	summary=$(grep -E '^oracle: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$summary" ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; }; then
		fail "splitter $label: split-oracle ran to the end" "exit $rc, summary: ${summary:-none}"
		diag_file "split-oracle output" "$log"
		return
	fi
	local f
	f=$(echo "$summary" | sed -E 's/^oracle: [0-9]+ passed, ([0-9]+) failed$/\1/')
	if { [ "$f" -eq 0 ] && [ "$rc" -ne 0 ]; } || { [ "$f" -ne 0 ] && [ "$rc" -ne 1 ]; }; then
		fail "splitter $label: split-oracle's exit status matches its summary" "exit $rc with \"$summary\""
	fi
	say "# splitter $label: $summary"
}

if [ "$oracle_built" = 1 ]; then
	# the table of tricky cases (no files)
	run_oracle table

	# every .sql file of every corpus
	if [ ! -d "$CORPORA" ]; then
		say "# SKIP corpora: $CORPORA does not exist (set DBREADY_CORPORA to the real-world corpora)"
	else
		run_oracle corpora --no-table "$CORPORA"
		want=$(find "$CORPORA" -name '*.sql' -type f | wc -l)
		got=$(awk -v p="$CORPORA/" '(index($0, "ok - " p) == 1 || index($0, "not ok - " p) == 1) &&
			!index($0, "[drizzle pieces]")' "$LOGS/oracle-corpora.log" | wc -l)
		if [ "$want" -gt 0 ] && [ "$got" -eq "$want" ]; then
			pass "splitter corpora: every .sql file was compared ($got files)"
		else
			fail "splitter corpora: every .sql file was compared" "$want .sql files below $CORPORA, $got compared"
		fi
	fi
fi

# --- the fuzzer: make fuzz ----------------------------------------------------------------------

have_libfuzzer() {
	command -v clang >/dev/null 2>&1 &&
		echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
		clang -x c -fsanitize=fuzzer -o "$T/libfuzzer-probe" - >/dev/null 2>&1
}

if ! have_pg_query; then
	fail "fuzz: libpg_query is installed" \
		"apt-get update && apt-get install -y --no-install-recommends libpg-query-dev"
elif ! have_libfuzzer; then
	fail "fuzz: clang with libFuzzer is installed" \
		"as root run: apt-get update && apt-get install -y --no-install-recommends clang libclang-rt-14-dev"
else
	log=$LOGS/fuzz.log
	# -max_total_time bounds the fuzzing; the guard bounds the build and the seed run too
	timeout -k 10 $((FUZZ_SECONDS + 300)) make -C "$REPO_ROOT" --no-print-directory fuzz \
		FUZZ_SECONDS="$FUZZ_SECONDS" DBREADY_CORPORA="$CORPORA" >"$log" 2>&1
	rc=$?
	runs=$(grep -aoE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 | awk '{print $2}')
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		pass "fuzz: ${FUZZ_SECONDS} s of libFuzzer (ASan, UBSan, differential), $runs runs, no crash or difference"
	else
		fail "fuzz: ${FUZZ_SECONDS} s of libFuzzer (ASan, UBSan, differential), no crash or difference" \
			"make fuzz exited $rc after ${runs:-no completed} runs"
		# the finding itself, and where libFuzzer kept the input
		grep -aE '^(fuzz_split: |input \(|==[0-9]+==ERROR|SUMMARY: |artifact_prefix|.*Test unit written)' "$log" |
			head -n 12 | cut -c1-1500 | redact | sed -e 's/^/#     /'
		say "#   reproduce: build/fuzz-split <the test unit above>  or  build/split-oracle <it>"
	fi
fi

# --- dbready itself: which migrations need to run outside a transaction ---------------------------
# `check --json` (offline: db.invalid never resolves) reports no_transaction per migration,
# which depends on finding each statement's first words: a wrong split shows here as a wrong
# flag, the way a user would meet it.
MIG=$T/splitter-migrations
mkdir -p "$MIG"
# name -> expected no_transaction
declare -A WANT
add_mig() { # add_mig FILE EXPECTED CONTENT(printf format, no arguments)
	# shellcheck disable=SC2059
	printf -- "$3" >"$MIG/$1.sql"
	WANT[$1]=$2
}
add_mig 1_concurrently_in_string false "SELECT 'x; CREATE INDEX CONCURRENTLY i ON t (a)';\n"
add_mig 2_concurrently_after_comments true "/* ; 'x */ -- ;\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
add_mig 3_concurrently_in_dollar_quote false 'DO $$ BEGIN EXECUTE $q$; CREATE INDEX CONCURRENTLY i ON t (a)$q$; END $$;\n'
add_mig 4_concurrently_in_e_string false "SELECT E'\\\\'; CREATE INDEX CONCURRENTLY i ON t (a);';\n"
add_mig 5_after_begin_atomic true "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
add_mig 6_concurrently_in_quoted_identifier false 'CREATE TABLE "x; CREATE INDEX CONCURRENTLY i ON t (a)" (a int);\n'
# PostgreSQL continues a string over white space with a newline, in the first part's escaping
# (E): all of this is one SELECT
add_mig 7_e_string_continued false "SELECT E'x'\n'\\\\'; CREATE INDEX CONCURRENTLY i ON t (a);';\n"
# a -- comment ends at a bare carriage return: the CREATE INDEX is a statement
add_mig 8_comment_ends_at_cr true "-- note\rCREATE INDEX CONCURRENTLY i ON t (a);\n"

run_dbready "splitter: check --json over migrations that need a correct split" 0 \
	check --json --url "postgres://app:$CANARY@db.invalid:5432/app?sslmode=require" --dir "$MIG"
for name in $(printf '%s\n' "${!WANT[@]}" | sort); do
	want=${WANT[$name]}
	got=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
m = [x for x in d["migrations"] if x["name"] == sys.argv[2]]
print(str(m[0]["no_transaction"]).lower() if m else "missing")' "$RUN_OUT" "$name" 2>&1)
	if [ "$got" = "$want" ]; then
		pass "splitter: $name: no_transaction is $want"
	else
		fail "splitter: $name: no_transaction is $want" "dbready says $got for:" \
			"  $(python3 -c 'import sys; print(repr(open(sys.argv[1], "rb").read())[2:-1])' "$MIG/$name.sql")"
	fi
done

harness_finish
