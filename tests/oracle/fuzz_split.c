/* fuzz_split.c - libFuzzer harness for src/sqlsplit.c (`make fuzz`).
 *
 * Every input, whatever its bytes:
 *  - sql_split() must not crash, leak or read outside the input (ASan/UBSan; the input is the
 *    fuzzer's own buffer, not NUL-terminated, so a read past its end is caught);
 *  - its ranges must lie inside the input, in order, without overlap, separated by ';' and
 *    starting at a token (split_invariants, oracle.c).
 * Inputs without a NUL byte that PostgreSQL's scanner (libpg_query) accepts are also checked
 * differentially: dbready's statements must be exactly those of PostgreSQL's token stream
 * grouped by psql's rules, and agree with pg_query_split_with_scanner where that applies
 * (oracle.h); an input the scanner calls unterminated must be unterminated for dbready too.
 * The parser is left out: on random bytes it only costs time.
 *
 * A failure prints the difference and aborts, so libFuzzer saves the input as a crash file;
 * `build/split-oracle CRASHFILE` shows the same comparison again.
 *
 * FUZZ_SPLIT_ORACLE=0 in the environment leaves the differential part out (memory safety and
 * the invariants only), to look for crashes past a known difference.
 */
#define _POSIX_C_SOURCE 200809L
#include <pg_query.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "sqlsplit.h"

static int use_oracle = 1;

static void fail(const char *what, const char *why, const uint8_t *data, size_t size)
{
	char q[600];
	oracle_quote((const char *)data, 0, size, 400, q, sizeof q);
	fprintf(stderr, "\nfuzz_split: %s: %s\ninput (%zu bytes): %s\n", what, why, size, q);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *e = getenv("FUZZ_SPLIT_ORACLE");
	use_oracle = !(e && strcmp(e, "0") == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sql = (const char *)data;
	struct sql_split sp;
	if (!sql_split(sql, size, &sp))
		return 0; /* out of memory: sql_split's only failure */
	char why[8000];
	if (!split_invariants(sql, size, &sp, why, sizeof why))
		fail("invariant", why, data, size);

	if (use_oracle && size > 0 && !memchr(data, 0, size)) {
		/* libpg_query keeps a top memory context per thread: release it at exit, before
		 * the leak check (only once it exists: pg_query_exit() crashes without it) */
		static bool registered;
		if (!registered) {
			registered = true;
			atexit(pg_query_exit);
		}
		struct oracle o;
		if (oracle_run(&o, sql, size, false)) {
			if (!oracle_check_lexer(&o, &sp, why, sizeof why))
				fail("differs from PostgreSQL's lexer", why, data, size);
			oracle_free(&o);
		}
	}
	sql_split_free(&sp);
	return 0;
}
