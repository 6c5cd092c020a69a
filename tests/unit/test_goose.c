/* test_goose.c - the goose format's parser (format_goose_sql.c) against goose's own test data.
 *
 * tests/fixtures/goose-sqlparser/ holds, unchanged, github.com/pressly/goose v3.27.3 (commit
 * 520411a16119bd3b332613d1ff8312c4cc249673, MIT licence in LICENSE there):
 * internal/sqlparser/testdata/ (testdata/) and the SQL texts of internal/sqlparser/
 * parser_test.go's variables (inline/<variable>.sql). The expectations below are those of
 * parser_test.go: TestSplitStatements (statement counts up and down), TestValidUp and TestEnvsub
 * (statement counts, each statement byte for byte equal to its golden file), TestInvalidUp and
 * TestParsingErrors (refused), TestUseTransactions, TestSemicolons and Test_extractAnnotation
 * (through one-line files), and TestEnvsubError.
 */
#define _POSIX_C_SOURCE 200809L
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "format_goose_sql.h"
#include "unit.h"

static char fixtures[4096];

/* tests/fixtures/goose-sqlparser, from the working directory (the repository's root, as make
 * runs it) or beside the build directory holding this binary */
static bool find_fixtures(void)
{
	static const char rel[] = "tests/fixtures/goose-sqlparser";
	if (access(rel, R_OK) == 0) {
		snprintf(fixtures, sizeof fixtures, "%s", rel);
		return true;
	}
	char exe[2048];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0 || (size_t)n >= sizeof exe - 1)
		return false;
	exe[n] = '\0';
	snprintf(fixtures, sizeof fixtures, "%s/../%s", dirname(exe), rel);
	return access(fixtures, R_OK) == 0;
}

static char *slurp(const char *rel, size_t *len)
{
	char path[8192];
	snprintf(path, sizeof path, "%s/%s", fixtures, rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
			}
			buf = b;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static void free_stmts(char **s, int n)
{
	for (int i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

/* parse the fixture file rel in one direction: the count (-1 when refused) */
static int count(const char *text, size_t len, bool up, bool *use_tx, char **why)
{
	char **s;
	int n;
	bool tx = true;
	if (!goose_parse_sql(text, len, up, &s, &n, &tx, why))
		return -1;
	free_stmts(s, n);
	if (use_tx)
		*use_tx = tx;
	return n;
}

struct split_case {
	const char *file;
	int up, down; /* -1: refused */
};

/* clang-format off */
static const struct split_case split_cases[] = {
	/* TestSplitStatements */
	{"inline/multilineSQL.sql", 4, 1},
	{"inline/emptySQL.sql", 0, 0},
	{"inline/emptySQL2.sql", 0, 0},
	{"inline/functxt.sql", 2, 2},
	{"inline/mysqlChangeDelimiter.sql", 4, 0},
	{"inline/copyFromStdin.sql", 1, 0},
	{"inline/plpgsqlSyntax.sql", 2, 2},
	{"inline/plpgsqlSyntaxMixedStatements.sql", 2, 2},
	/* TestParsingErrors (up) */
	{"inline/statementBeginNoStatementEnd.sql", -1, -1},
	{"inline/unfinishedSQL.sql", -1, 0}, /* the down parse resets the up lines */
	{"inline/noUpDownAnnotations.sql", -1, -1},
	{"inline/multiUpDown.sql", -1, -1},
	{"inline/downFirst.sql", -1, -1},
	/* TestInvalidUp */
	{"testdata/invalid/up/a.sql", -1, -2},
	{"testdata/invalid/up/b.sql", -1, -2},
	{"testdata/invalid/up/c.sql", -1, -2},
	{"testdata/invalid/up/d.sql", -1, -2},
};
/* clang-format on */

static void split_tests(void)
{
	for (size_t i = 0; i < sizeof split_cases / sizeof *split_cases; i++) {
		const struct split_case *c = &split_cases[i];
		if (!unit_begin("goose/split %s", c->file))
			continue;
		size_t len;
		char *text = slurp(c->file, &len);
		EXPECT(text, "cannot read %s/%s", fixtures, c->file);
		if (text) {
			char *why = NULL;
			int up = count(text, len, true, NULL, &why);
			EXPECT(up == c->up, "up: %d statements, want %d (%s)", up, c->up,
			       why ? why : "parsed");
			free(why);
			why = NULL;
			if (c->down != -2) { /* -2: goose's test says nothing of down */
				int down = count(text, len, false, NULL, &why);
				EXPECT(down == c->down, "down: %d statements, want %d (%s)", down,
				       c->down, why ? why : "parsed");
				free(why);
			}
		}
		free(text);
		unit_end();
	}
}

struct golden_case {
	const char *dir;
	bool up;
	int count;
};

/* clang-format off */
static const struct golden_case golden_cases[] = {
	/* TestValidUp */
	{"testdata/valid-up/test01", true, 3}, {"testdata/valid-up/test02", true, 1},
	{"testdata/valid-up/test03", true, 1}, {"testdata/valid-up/test04", true, 3},
	{"testdata/valid-up/test05", true, 2}, {"testdata/valid-up/test06", true, 5},
	{"testdata/valid-up/test07", true, 1}, {"testdata/valid-up/test08", true, 6},
	{"testdata/valid-up/test09", true, 1},
	/* TestEnvsub (its variables set below) */
	{"testdata/envsub/test01", true, 4}, {"testdata/envsub/test01", false, 1},
	{"testdata/envsub/test02", true, 3}, {"testdata/envsub/test02", false, 0},
	{"testdata/envsub/test03", true, 1}, {"testdata/envsub/test03", false, 0},
};
/* clang-format on */

static void golden_tests(void)
{
	for (size_t i = 0; i < sizeof golden_cases / sizeof *golden_cases; i++) {
		const struct golden_case *c = &golden_cases[i];
		if (!unit_begin("goose/golden %s %s", c->dir, c->up ? "up" : "down"))
			continue;
		/* TestEnvsub: t.Setenv (names of the test, not read by dbready) */
		setenv("GOOSE_ENV_REGION", "us_east_", 1);
		setenv("GOOSE_ENV_SET_BUT_EMPTY_VALUE", "", 1);
		setenv("GOOSE_ENV_NAME", "foo", 1);
		char rel[512];
		snprintf(rel, sizeof rel, "%s/input.sql", c->dir);
		size_t len;
		char *text = slurp(rel, &len);
		EXPECT(text, "cannot read %s/%s", fixtures, rel);
		char **s = NULL, *why = NULL;
		int n = 0;
		bool tx;
		if (text && !goose_parse_sql(text, len, c->up, &s, &n, &tx, &why)) {
			EXPECT(false, "refused: %s", why ? why : "?");
		} else if (text) {
			EXPECT(n == c->count, "%d statements, want %d", n, c->count);
			for (int k = 0; k < n && k < c->count; k++) {
				snprintf(rel, sizeof rel, "%s/%02d.%s.golden.sql", c->dir, k + 1,
				         c->up ? "up" : "down");
				size_t glen;
				char *want = slurp(rel, &glen);
				EXPECT(want, "cannot read %s", rel);
				EXPECT(!want || (strlen(s[k]) == glen &&
				                 memcmp(s[k], want, glen) == 0),
				       "statement %d = \"%s\", want %s (\"%s\")", k + 1, s[k], rel,
				       want ? want : "");
				free(want);
			}
		}
		free_stmts(s, n);
		free(why);
		free(text);
		unsetenv("GOOSE_ENV_REGION");
		unsetenv("GOOSE_ENV_SET_BUT_EMPTY_VALUE");
		unsetenv("GOOSE_ENV_NAME");
		unit_end();
	}
}

static void txn_tests(void)
{
	static const struct {
		const char *file;
		bool use_tx;
	} cases[] = {
	        {"testdata/valid-txn/00001_create_users_table.sql", true},
	        {"testdata/valid-txn/00002_rename_root.sql", true},
	        {"testdata/valid-txn/00003_no_transaction.sql", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		if (!unit_begin("goose/transaction %s", cases[i].file))
			continue;
		size_t len;
		char *text = slurp(cases[i].file, &len);
		EXPECT(text, "cannot read %s", cases[i].file);
		bool tx = !cases[i].use_tx;
		char *why = NULL;
		if (text)
			EXPECT(count(text, len, true, &tx, &why) >= 0, "refused: %s",
			       why ? why : "?");
		EXPECT(tx == cases[i].use_tx, "use_tx = %d, want %d", tx, cases[i].use_tx);
		free(why);
		free(text);
		unit_end();
	}
}

/* One-line and small texts: TestSemicolons (a line ends a statement or not),
 * Test_extractAnnotation (an annotation line accepted or refused), TestEnvsubError. */
struct text_case {
	const char *name;
	const char *text;
	int up;          /* statements, -1 refused */
	const char *why; /* part of the refusal */
};

/* clang-format off */
static const struct text_case text_cases[] = {
	{"semicolon: END;", "-- +goose Up\nEND;\n", 1, NULL},
	{"semicolon: END; -- comment", "-- +goose Up\nEND; -- comment\n", 1, NULL},
	{"semicolon: END   ; -- comment", "-- +goose Up\nEND   ; -- comment\n", 1, NULL},
	{"semicolon: END -- comment", "-- +goose Up\nEND -- comment\n", -1, "missing semicolon?"},
	{"semicolon: END -- comment ;", "-- +goose Up\nEND -- comment ;\n", -1, "missing semicolon?"},
	{"semicolon: END \" ; \" -- comment", "-- +goose Up\nEND \" ; \" -- comment\n", -1,
	 "missing semicolon?"},
	{"annotation: -- +goose   UP \\t", "-- +goose   UP \t\nSELECT 1;\n", 1, NULL},
	{"annotation: lowercase no transaction", "-- +goose no transaction\n-- +goose Up\nSELECT 1;\n", 1,
	 NULL},
	{"annotation: -- +goose unsupported", "-- +goose Up\n-- +goose unsupported\n", -1,
	 "not supported"},
	{"annotation: -- +goose", "-- +goose Up\n-- +goose\n", -1, "empty annotation"},
	{"annotation: leading space", " -- +goose   UP \t\nSELECT 1;\n", -1, "leading whitespace"},
	{"annotation: leading tab", "\t-- +goose   UP \t\nSELECT 1;\n", -1, "leading whitespace"},
	{"annotation: +goose twice", "-- +goose +goose Up\nSELECT 1;\n", -1, "multiple '+goose'"},
	{"annotation: +GOOSE is not one", "-- +GOOSE Up\n-- +goose Up\nSELECT 1;\n", 1, NULL},
	{"envsub error: ${VAR?message}",
	 "\n-- +goose ENVSUB ON\n-- +goose Up\nCREATE TABLE post (\n\tid int NOT NULL,\n\ttitle text,\n"
	 "\t${SOME_UNSET_VAR?required env var not set} text,\n\tPRIMARY KEY(id)\n);\n", -1,
	 "$SOME_UNSET_VAR: required env var not set"},
	{"envsub: $1 is not a variable", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT $1;\n", -1,
	 "Expected identifier to start with a letter"},
	{"envsub: errors in the down section count", "-- +goose ENVSUB ON\n-- +goose Up\nSELECT 1;\n"
	 "-- +goose Down\nSELECT ${NOPE?x};\n", -1, "$NOPE: x"},
	{"crlf lines", "-- +goose Up\r\nSELECT 1;\r\n-- +goose Down\r\nSELECT 2;\r\n", 1, NULL},
	{"no newline at the end", "-- +goose Up\nSELECT 1;", 1, NULL},
	{"empty file", "", -1, "must start with '-- +goose Up'"},
	{"a line of 4 MiB is too long", NULL, -1, "token too long"},
	{"a line of 4 MiB - 1 is not", NULL, 1, NULL},
};
/* clang-format on */

static void text_tests(void)
{
	for (size_t i = 0; i < sizeof text_cases / sizeof *text_cases; i++) {
		const struct text_case *c = &text_cases[i];
		if (!unit_begin("goose/text %s", c->name))
			continue;
		char *big = NULL;
		const char *text = c->text;
		size_t len = text ? strlen(text) : 0;
		if (!text) { /* "-- +goose Up\n" and a line of 4 MiB (with its newline one byte too
			      * many for goose's buffer), or of 4 MiB - 1 ending in ';' */
			bool fits = c->up == 1;
			len = 13 + 4 * 1024 * 1024 + (fits ? 0 : 1);
			big = malloc(len);
			if (big) {
				memcpy(big, "-- +goose Up\n", 13);
				memset(big + 13, 'x', len - 13);
				big[len - 2] = fits ? ';' : 'x';
				big[len - 1] = '\n';
			}
			text = big;
		}
		char *why = NULL;
		int n = text ? count(text, len, true, NULL, &why) : -2;
		EXPECT(n == c->up, "up: %d statements, want %d (%s)", n, c->up,
		       why ? why : "parsed");
		if (c->why)
			EXPECT(why && strstr(why, c->why),
			       "why = \"%s\", want it to contain \"%s\"", why ? why : "(none)",
			       c->why);
		free(why);
		free(big);
		unit_end();
	}
	/* the statement text: TrimSpace'd lines with "\n", comments inside kept, \r dropped */
	if (unit_begin("goose/text statement text as goose sends it")) {
		static const char t[] =
		        "-- +goose Up\r\n\r\n-- lead\r\n  SELECT 1,\t\r\n  -- in\r\n"
		        "2; -- tail  \r\n";
		char **s;
		int n;
		bool tx;
		char *why = NULL;
		EXPECT(goose_parse_sql(t, sizeof t - 1, true, &s, &n, &tx, &why), "refused: %s",
		       why ? why : "?");
		if (!why) {
			EXPECT(n == 1, "%d statements", n);
			if (n == 1)
				EXPECT(strcmp(s[0], "SELECT 1,\t\n  -- in\n2; -- tail") == 0,
				       "statement = \"%s\"", s[0]);
			free_stmts(s, n);
		}
		free(why);
		unit_end();
	}
}

static void key_tests(void)
{
	if (!unit_begin("goose/lock key and table"))
		return;
	const struct format *f = format_find("goose");
	EXPECT(f && f->tool_lock, "no goose format with a tool_lock");
	if (f && f->tool_lock) {
		/* lock/session_locker_options.go DefaultLockID; python3: zlib.crc32(b"goose") */
		struct lock_names names = {"db", "public", "goose_db_version"};
		long long key = 0;
		EXPECT(f->tool_lock(&names, &key) && key == 4097083626LL, "key = %lld", key);
		EXPECT(f->schema == NULL && strcmp(f->table, "goose_db_version") == 0, "table %s",
		       f->table);
		EXPECT(!f->records_checksum, "goose records no checksum");
	}
	unit_end();
}

void suite_goose(void)
{
	if (!find_fixtures()) {
		if (unit_begin("goose/fixtures")) {
			EXPECT(false, "tests/fixtures/goose-sqlparser not found from the working "
			              "directory or beside the binary");
			unit_end();
		}
		return;
	}
	split_tests();
	golden_tests();
	txn_tests();
	text_tests();
	key_tests();
}
