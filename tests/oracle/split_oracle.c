/* split_oracle.c - src/sqlsplit.c cross-checked against PostgreSQL's own lexer and parser.
 *
 *   split-oracle [--no-table] [--write-seeds DIR] [FILE|DIR ...]
 *
 * Runs a built-in table of tricky cases and then every FILE, and every *.sql file below each
 * DIR (sorted), through sql_split() and through libpg_query (see oracle.h for the three views
 * and why each is used where it is), and prints "ok - <case>" or "not ok - <case>: <diff>"
 * for each, then "oracle: N passed, N failed". Exit status 1 when anything failed.
 *
 * What must hold, for every input:
 *  - sql_split()'s ranges lie inside the input, in order, do not overlap, are separated by a
 *    ';' and start at the statement's first token (sqlsplit.h);
 *  - when PostgreSQL's scanner accepts the input, dbready's statements are exactly the lexer
 *    view's (same count, same normalized text) and dbready does not call it unterminated;
 *    when the scanner stops at an unterminated string/comment/identifier, dbready says so;
 *  - libpg_query's own scanner split agrees with the lexer view where its conventions allow
 *    (an oracle self-check);
 *  - when PostgreSQL's parser accepts the input, its statements are the same too: that is
 *    what the server will run. Why the parser only "where it accepts": it is the one view
 *    that knows BEGIN ATOMIC bodies for certain, but it rejects anything that is not valid
 *    PostgreSQL 15 SQL (newer syntax, psql meta-commands, deliberately broken cases), so the
 *    lexer view is the baseline and the parser a stronger check on top. A table case marked
 *    PSQL_ONLY is one where psql's own heuristic (which dbready follows on purpose) and the
 *    server disagree; there dbready must follow psql, and the difference is printed as a note.
 * The table's cases also state how many statements PostgreSQL sees, so that the oracle itself
 * is checked against a human reading of the lexer rules.
 *
 * Files go through what dbready does before splitting: source.c removes a UTF-8 byte-order
 * mark, and for files holding drizzle's "--> statement-breakpoint" apply.c cuts the text at
 * every marker first (as drizzle-orm does); each piece is then checked as well, as one more
 * line "<file> [drizzle pieces]".
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oracle.h"
#include "sqlsplit.h"

#define PARSE     1u /* the parser must accept the case (so the parser view is exercised) */
#define PSQL_ONLY 2u /* psql's heuristic and the server disagree here; dbready follows psql */

#define UNTERMINATED (-1) /* expected: the lexer stops at something left open */

struct tcase {
	const char *name;
	const char *sql;
	int n; /* statements PostgreSQL's lexer (with psql's rules) sees, or UNTERMINATED */
	unsigned flags;
};

/* clang-format off */
static const struct tcase cases[] = {
	{"two plain statements", "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\n", 2, PARSE},
	{"nested block comments", "/* outer /* inner ; */ still a comment ; 'x */ SELECT 1; SELECT 2;", 2, PARSE},
	{"deeply nested block comments", "/* 1 /* 2 /* 3 ; */ 2 ; */ 1 ; */ SELECT 1;/**/SELECT 2", 2, PARSE},
	{"block comment opened by /*/", "SELECT 1 /*/ ; */; SELECT 2;", 2, PARSE},
	{"comment starts inside an operator", "SELECT 2*/*c;*/3; SELECT 1+-- c;\n1;", 2, PARSE},
	{"'' escapes", "SELECT 'it''s; fine', ''''; SELECT 2;", 2, PARSE},
	{"E'\\'' escapes", "SELECT E'it\\'s; fine'; SELECT 2;", 2, PARSE},
	{"e'\\\\' ends at the second quote", "SELECT e'\\\\'; SELECT 2;", 2, PARSE},
	{"E'' with \\\\ then \\'", "SELECT E'a\\\\\\';b'; SELECT 2;", 2, PARSE},
	{"standard string keeps the backslash", "SELECT 'C:\\'; SELECT 2;", 2, PARSE},
	{"identifier ending in e before a string", "SELECT type'x\\'; SELECT 2;", 2, 0},
	{"E after a closing quote", "SELECT 'a'E'\\';'; SELECT 2;", 2, 0},
	{"E after a closing dollar quote", "SELECT $$a$$E'\\';'; SELECT 2;", 2, 0},
	{"string continued on the next line", "SELECT 'a'\n'b;c'; SELECT 2;", 2, PARSE},
	{"E string continued on the next line", "SELECT E'a'\n'\\';'; SELECT 2;", 2, PARSE},
	{"\"quoted;identifiers\"", "CREATE TABLE \"a;b\" (\"c;d\" int, \"e\"\";\" int); SELECT 2;", 2, PARSE},
	{"$$ body with ;", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2;", 2, PARSE},
	{"$fn$ body with $$ inside", "CREATE FUNCTION f() RETURNS text AS $fn$ SELECT $$;$$; $fn$ LANGUAGE sql;\nSELECT 2;", 2, PARSE},
	{"dollar tag with a longer tag inside", "SELECT $ab$ $a$ ; $abc$ ; $ab$; SELECT 2;", 2, PARSE},
	{"dollar tag with digits and non-ASCII", "SELECT $a1$;$a1$, $é$;$é$; SELECT 2;", 2, PARSE},
	{"plpgsql BEGIN/END inside $$", "CREATE FUNCTION t() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.a := 1; RETURN NEW; END$$;\nSELECT 2;", 2, PARSE},
	{"$1 parameters", "PREPARE p (int) AS SELECT $1; EXECUTE p(1);", 2, PARSE},
	{"$1 then a dollar quote", "SELECT $1$$;$$; SELECT 2;", 2, 0},
	{"identifiers with $", "SELECT a$b, c$$d, e$1$ FROM t; SELECT 2;", 2, PARSE},
	{"identifier swallows a would-be tag", "SELECT x$a$ ; SELECT 2;", 2, PARSE},
	{"lone $", "SELECT 1 $ 2; SELECT 3;", 2, 0},
	{"number, .. and an identifier with $", "SELECT 0..c$fn$r; SELECT 2;", 2, 0},
	{"decimal, . and an identifier with $", "SELECT t.a FROM t WHERE 1.0.x$a$; SELECT 2;", 2, 0},
	{"U&'' string", "SELECT U&'d\\0061t\\+000061;x'; SELECT 2;", 2, PARSE},
	{"U&'' backslash does not escape the quote", "SELECT U&'\\\\'; SELECT 2;", 2, PARSE},
	{"U&\"\" identifier", "SELECT 1 AS U&\"a;b\"; SELECT 2;", 2, PARSE},
	{"B'', X'' and N'' strings", "SELECT B'01', X'AF', N'a;b'; SELECT 2;", 2, PARSE},
	{"strings containing -- and /*", "SELECT '--;', '/*;', \"/*\"; SELECT 2;", 2, PARSE},
	{"strings containing $$", "SELECT '$$;'; SELECT 2;", 2, PARSE},
	{"dollar quote holding quotes and comments", "SELECT $$ ' \" /* -- ; $$; SELECT 2;", 2, PARSE},
	{"comments containing ; and quotes", "-- it's; a \"comment\n SELECT 1; /* it's ; \" $$ */ SELECT 2;", 2, PARSE},
	{"semicolons inside parentheses (psql keeps them)", "SELECT (1; 2); SELECT 3;", 2, 0},
	{"CREATE RULE with several actions", "CREATE RULE r AS ON INSERT TO t DO INSTEAD (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 3;", 2, PARSE},
	{"stray closing parenthesis", "SELECT 1); SELECT 2;", 2, 0},
	{"BEGIN ATOMIC body", "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END; SELECT 3;", 2, PARSE},
	{"BEGIN ATOMIC with CASE ... END inside", "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT CASE WHEN x > 0 THEN 1 ELSE CASE WHEN x < 0 THEN -1 END END;\nEND;\nSELECT 3;", 2, PARSE},
	{"CREATE OR REPLACE PROCEDURE ... BEGIN ATOMIC", "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); END;\nCALL p();", 2, PARSE},
	{"begin atomic, lower case, comments inside", "create or replace function f() returns int language sql begin atomic /* ; */ select 1; -- ;\n end; select 2;", 2, PARSE},
	{"empty BEGIN ATOMIC body", "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC END; SELECT 2;", 2, PARSE},
	{"RETURN with CASE (no BEGIN)", "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql RETURN CASE WHEN x > 0 THEN 1 END; SELECT 2;", 2, PARSE},
	{"transaction BEGIN/END are statements", "BEGIN; SELECT 1; END;", 3, PARSE},
	{"begin and end as column names", "CREATE TABLE t (begin int, \"end\" int); SELECT begin FROM t;", 2, PARSE},
	{"string literal before CREATE FUNCTION (psql counts no E word)", "E'x' CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;", 1, 0},
	{"function named begin (psql heuristic)", "CREATE FUNCTION begin() RETURNS int LANGUAGE sql RETURN 1; SELECT 2;", 1, PARSE | PSQL_ONLY},
	{"trailing statement without ;", "SELECT 1; SELECT 2", 2, PARSE},
	{"trailing statement and comment", "SELECT 1; SELECT 2 -- done", 2, PARSE},
	{"empty statements", ";;SELECT 1;;;SELECT 2;;", 2, PARSE},
	{"keyword-less statements", "1; foo; SELECT 1;", 3, 0},
	{"comment-only file", "-- nothing here\n/* nor ; here */\n-- ;\n", 0, PARSE},
	{"empty file", "", 0, PARSE},
	{"white space only", " \t\r\n\f\n", 0, PARSE},
	{"CRLF line endings", "SELECT 1;\r\n-- c;\r\nSELECT 2;\r\n", 2, PARSE},
	{"-- comment ends at a bare CR", "SELECT 1; -- note\rSELECT 2; SELECT 3;", 3, PARSE},
	{"vertical tab is white space", "SELECT 1;\v;\vSELECT 2;", 2, 0},
	{"form feed is white space", "SELECT 1;\f;\fSELECT 2;", 2, PARSE},
	{"UTF-8 BOM (the lexer reads it as identifier bytes)", "\xEF\xBB\xBFSELECT 1; SELECT 2;", 2, 0},
	{"UTF-8 BOM hides CREATE FUNCTION from psql's heuristic", "\xEF\xBB\xBF" "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;", 2, 0},
	{"non-ASCII identifiers", "CREATE TABLE tëst (naïve int, 名前 text); INSERT INTO tëst VALUES (1, 'é;');", 2, PARSE},
	{"drizzle statement-breakpoint lines", "CREATE TABLE \"a\" (\"id\" serial PRIMARY KEY NOT NULL);\n--> statement-breakpoint\nCREATE TABLE \"b\" (\"id\" int);\n--> statement-breakpoint\nALTER TABLE \"b\" ADD CONSTRAINT \"b_a\" FOREIGN KEY (\"id\") REFERENCES \"a\"(\"id\");", 3, PARSE},
	{"drizzle breakpoint without ;", "CREATE TABLE a (id int)\n--> statement-breakpoint\nCREATE TABLE b (id int)", 1, 0},
	{"CREATE INDEX CONCURRENTLY after comments", "-- dbready:no-transaction\n/* x */ CREATE INDEX CONCURRENTLY i ON t (a);\nCREATE INDEX CONCURRENTLY j ON t (b);", 2, PARSE},
	{"unterminated string", "SELECT 'abc; SELECT 2;", UNTERMINATED, 0},
	{"unterminated E'' string (escaped quote)", "SELECT E'abc\\'; SELECT 2;", UNTERMINATED, 0},
	{"unterminated nested comment", "SELECT 1; /* /* */ SELECT 2;", UNTERMINATED, 0},
	{"unterminated dollar quote", "SELECT $$abc; SELECT 2;", UNTERMINATED, 0},
	{"unterminated dollar quote (tag differs)", "SELECT $a$abc$b$; SELECT 2;", UNTERMINATED, 0},
	{"unterminated quoted identifier", "SELECT \"abc; SELECT 2;", UNTERMINATED, 0},
	{"unterminated bit string", "SELECT B'0101", UNTERMINATED, 0},
	{"backslash at the end of an E'' string", "SELECT E'\\", UNTERMINATED, 0},
};

/* Cases where libpg_query's lexer is not PostgreSQL's: the expected statements (from the
 * first token to the ';', as sql_split() returns them) were taken from a PostgreSQL 15 server
 * (simple-query protocol, one result per statement). */
struct scase {
	const char *name;
	const char *sql;
	const char *want[3];
};

static const struct scase server_cases[] = {
	/* scan.l lets -- comments stand between the parts of a continued string; libpg_query's
	 * patch 04_lexer_comments_as_tokens drops that (the server returns a';, then 2) */
	{"E string continued after a -- comment", "SELECT E'a' -- c\n'\\';'; SELECT 2;",
	 {"SELECT E'a' -- c\n'\\';'", "SELECT 2", NULL}},
	{"string continued after a -- comment", "SELECT 'a' -- c;\n'b;'; SELECT 2;",
	 {"SELECT 'a' -- c;\n'b;'", "SELECT 2", NULL}},
};
/* clang-format on */

#define NCASES  ((int)(sizeof cases / sizeof cases[0]))
#define NSERVER ((int)(sizeof server_cases / sizeof server_cases[0]))

static int passed, failed, skipped;

static void result(bool ok, const char *name, const char *detail)
{
	if (ok) {
		passed++;
		printf("ok - %s%s%s\n", name, detail[0] ? " " : "", detail);
	} else {
		failed++;
		printf("not ok - %s: %s\n", name, detail);
	}
}

/* One input through dbready and the oracle. expect: a table case's expectations, or NULL for a
 * file. Returns false when out of memory. */
static bool check_one(const char *name, const char *sql, size_t len, const struct tcase *expect)
{
	char why[6000] = "";
	char info[600] = "";
	bool ok = true;

	/* libpg_query takes C strings: a NUL byte would end the input early for it */
	const char *nul = memchr(sql, '\0', len);
	if (nul) {
		printf("# %s: NUL byte at %zu, compared up to it\n", name, (size_t)(nul - sql));
		len = (size_t)(nul - sql);
	}

	struct sql_split sp;
	if (!sql_split(sql, len, &sp))
		return false;
	if (!split_invariants(sql, len, &sp, why, sizeof why)) {
		result(false, name, why);
		sql_split_free(&sp);
		return true;
	}

	struct oracle o;
	if (!oracle_run(&o, sql, len, true)) {
		sql_split_free(&sp);
		return false;
	}

	/* the table's own expectation against the oracle */
	if (expect) {
		if (expect->n == UNTERMINATED) {
			if (o.scanned || !o.unterminated) {
				snprintf(why, sizeof why,
				         "table expects an unterminated input, PostgreSQL's lexer "
				         "says: %s",
				         o.scanned ? "fine" : o.error);
				ok = false;
			}
		} else if (!o.scanned) {
			snprintf(why, sizeof why,
			         "table expects %d statements, PostgreSQL's lexer fails: %s",
			         expect->n, o.error);
			ok = false;
		} else if (o.lexer.n != expect->n) {
			snprintf(why, sizeof why,
			         "table expects %d statements, the oracle (lexer + psql rules) "
			         "finds %d",
			         expect->n, o.lexer.n);
			ok = false;
		}
		if ((expect->flags & PARSE) && !o.parser_ok) {
			size_t n = strlen(why);
			snprintf(why + n, sizeof why - n,
			         "%sthe parser was expected to accept the case: %s", n ? "; " : "",
			         o.parser_error);
			ok = false;
		}
	}

	if (!o.scanned && !o.unterminated) {
		/* nothing to compare with (a file that is not PostgreSQL SQL) */
		if (ok) {
			skipped++;
			snprintf(info, sizeof info, "# SKIP PostgreSQL's lexer rejects it: %s",
			         o.error);
		}
	} else if (o.comment_continuation) {
		if (ok) {
			skipped++;
			snprintf(info, sizeof info,
			         "# SKIP an E'' string continued over a -- comment: libpg_query "
			         "cannot say how PostgreSQL splits it");
		}
		oracle_free(&o);
		sql_split_free(&sp);
		result(ok, name, ok ? info : why);
		return true;
	} else {
		char w[5000];
		if (!oracle_check_lexer(&o, &sp, w, sizeof w)) {
			size_t n = strlen(why);
			snprintf(why + n, sizeof why - n, "%s%s", n ? "; " : "", w);
			ok = false;
		}
	}

	if (o.scanned) {
		if (o.parser_ok && !olist_equal(&o.parser, &o.lexer)) {
			char d[1500] = "";
			olist_diff(sql, "server (parser)", &o.parser, "psql rules", &o.lexer, d,
			           sizeof d);
			if (expect && (expect->flags & PSQL_ONLY)) {
				printf("# %s: note: psql's heuristic, which dbready follows, "
				       "differs from the server here: %s\n",
				       name, d);
			} else {
				size_t n = strlen(why);
				snprintf(why + n, sizeof why - n, "%s%s", n ? "; " : "", d);
				ok = false;
			}
		} else if (expect && (expect->flags & PSQL_ONLY)) {
			size_t n = strlen(why);
			snprintf(why + n, sizeof why - n, "%smarked PSQL_ONLY, but the parser %s",
			         n ? "; " : "",
			         o.parser_ok ? "agrees with psql's rules" : "rejects the case");
			ok = false;
		}
		if (ok)
			snprintf(info, sizeof info, "(%d statement%s; %s)", o.lexer.n,
			         o.lexer.n == 1 ? "" : "s",
			         o.parser_ok ? "parser agrees" : "parser rejects it: lexer only");
	} else if (o.unterminated && ok) {
		snprintf(info, sizeof info, "(unterminated, as PostgreSQL says: %s)", o.error);
	}
	result(ok, name, ok ? info : why);
	oracle_free(&o);
	sql_split_free(&sp);
	return true;
}

/* A server_cases entry: dbready's raw statements (trailing white space dropped) against the
 * server's. */
static bool check_server_case(const char *name, const struct scase *c)
{
	char why[2000] = "";
	int n = 0;
	while (n < 3 && c->want[n])
		n++;
	struct sql_split sp;
	if (!sql_split(c->sql, strlen(c->sql), &sp))
		return false;
	if (!split_invariants(c->sql, strlen(c->sql), &sp, why, sizeof why)) {
		/* why says it */
	} else if (sp.unterminated) {
		snprintf(why, sizeof why, "dbready says unterminated at byte %zu",
		         sp.unterminated_at);
	} else if (sp.n != n) {
		snprintf(why, sizeof why, "the server runs %d statements, dbready has %d", n,
		         sp.n);
	}
	for (int k = 0; !why[0] && k < n; k++) {
		size_t s0 = sp.stmts[k].start, e = s0 + sp.stmts[k].len;
		while (e > s0 && strchr(" \t\r\n\f\v", c->sql[e - 1]))
			e--;
		if (e - s0 != strlen(c->want[k]) || memcmp(c->sql + s0, c->want[k], e - s0) != 0) {
			char a[300], b[300];
			oracle_quote(c->want[k], 0, strlen(c->want[k]), 110, a, sizeof a);
			oracle_quote(c->sql, s0, e, 110, b, sizeof b);
			snprintf(why, sizeof why, "statement %d: the server runs %s, dbready %s",
			         k + 1, a, b);
		}
	}
	result(!why[0], name,
	       why[0] ? why : "(as a PostgreSQL 15 server splits it; libpg_query cannot tell)");
	sql_split_free(&sp);
	return true;
}

/* apply.c's drizzle path: cut at every "--> statement-breakpoint", split each piece. */
#define BREAKPOINT "--> statement-breakpoint"

static bool check_drizzle_pieces(const char *name, const char *sql, size_t len)
{
	char why[6000] = "";
	int pieces = 0, stmts = 0;
	bool ok = true;
	size_t at = 0;
	for (;;) {
		const char *next = NULL;
		for (size_t k = at; k + strlen(BREAKPOINT) <= len; k++)
			if (memcmp(sql + k, BREAKPOINT, strlen(BREAKPOINT)) == 0) {
				next = sql + k;
				break;
			}
		size_t end = next ? (size_t)(next - sql) : len;
		struct sql_split sp;
		if (!sql_split(sql + at, end - at, &sp))
			return false;
		struct oracle o;
		if (!oracle_run(&o, sql + at, end - at, false)) {
			sql_split_free(&sp);
			return false;
		}
		char w[3000] = "";
		if (!split_invariants(sql + at, end - at, &sp, w, sizeof w) ||
		    !oracle_check_lexer(&o, &sp, w, sizeof w)) {
			size_t n = strlen(why);
			snprintf(why + n, sizeof why - n, "%spiece %d (bytes %zu..%zu): %s",
			         n ? "; " : "", pieces + 1, at, end, w);
			ok = false;
		}
		stmts += sp.n;
		pieces++;
		oracle_free(&o);
		sql_split_free(&sp);
		if (!next)
			break;
		at = end + strlen(BREAKPOINT);
	}
	char full[1200], info[100];
	snprintf(full, sizeof full, "%s [drizzle pieces]", name);
	snprintf(info, sizeof info, "(%d pieces, %d statements)", pieces, stmts);
	result(ok, full, ok ? info : why);
	return true;
}

static bool has_breakpoint(const char *sql, size_t len)
{
	for (size_t k = 0; k + strlen(BREAKPOINT) <= len; k++)
		if (memcmp(sql + k, BREAKPOINT, strlen(BREAKPOINT)) == 0)
			return true;
	return false;
}

/* ---------- files ---------- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	bool err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static bool check_file(const char *path)
{
	size_t len;
	char *text = read_file(path, &len);
	if (!text) {
		char why[600];
		snprintf(why, sizeof why, "cannot read: %s", strerror(errno));
		result(false, path, why);
		return true;
	}
	/* source.c: a UTF-8 byte-order mark is removed before anything else sees the text */
	size_t bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	bool ok = check_one(path, text + bom, len - bom, NULL);
	if (ok && has_breakpoint(text + bom, len - bom))
		ok = check_drizzle_pieces(path, text + bom, len - bom);
	free(text);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct paths {
	char **v;
	size_t n, cap;
};

static bool add_path(struct paths *p, const char *s)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 256;
		char **v = realloc(p->v, ncap * sizeof *v);
		if (!v)
			return false;
		p->v = v;
		p->cap = ncap;
	}
	p->v[p->n] = strdup(s);
	return p->v[p->n++] != NULL;
}

static bool walk(const char *dir, struct paths *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return add_path(out, dir); /* reported as unreadable later */
	struct dirent *e;
	bool ok = true;
	while (ok && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		size_t n = strlen(dir) + strlen(e->d_name) + 2;
		char *p = malloc(n);
		if (!p) {
			ok = false;
			break;
		}
		snprintf(p, n, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			ok = walk(p, out);
		} else {
			size_t pl = strlen(p);
			if (pl > 4 && strcmp(p + pl - 4, ".sql") == 0)
				ok = add_path(out, p);
		}
		free(p);
	}
	closedir(d);
	return ok;
}

static int write_seeds(const char *dir)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "split-oracle: mkdir %s: %s\n", dir, strerror(errno));
		return 2;
	}
	for (int i = 0; i < NSERVER; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/server-%02d.sql", dir, i + 1);
		FILE *f = fopen(path, "wb");
		size_t n = strlen(server_cases[i].sql);
		if (!f || fwrite(server_cases[i].sql, 1, n, f) != n || fclose(f) != 0) {
			fprintf(stderr, "split-oracle: write %s: %s\n", path, strerror(errno));
			return 2;
		}
	}
	for (int i = 0; i < NCASES; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/table-%02d.sql", dir, i + 1);
		FILE *f = fopen(path, "wb");
		if (!f ||
		    fwrite(cases[i].sql, 1, strlen(cases[i].sql), f) != strlen(cases[i].sql) ||
		    fclose(f) != 0) {
			fprintf(stderr, "split-oracle: write %s: %s\n", path, strerror(errno));
			return 2;
		}
	}
	printf("split-oracle: %d seeds written to %s\n", NCASES + NSERVER, dir);
	return 0;
}

int main(int argc, char **argv)
{
	bool table = true;
	struct paths files = {0};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--write-seeds") == 0 && i + 1 < argc)
			return write_seeds(argv[i + 1]);
		if (strcmp(argv[i], "--no-table") == 0) {
			table = false;
			continue;
		}
		if (argv[i][0] == '-') {
			fprintf(stderr, "usage: split-oracle [--no-table] [--write-seeds DIR] "
			                "[FILE|DIR ...]\n");
			return 2;
		}
		struct stat st;
		size_t before = files.n;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!walk(argv[i], &files))
				goto oom;
			qsort(files.v + before, files.n - before, sizeof *files.v, cmp_str);
			if (files.n == before)
				printf("# %s: no .sql file below it\n", argv[i]);
		} else if (!add_path(&files, argv[i])) {
			goto oom;
		}
	}

	if (table) {
		for (int i = 0; i < NCASES; i++) {
			char name[300];
			snprintf(name, sizeof name, "table %02d: %s", i + 1, cases[i].name);
			if (!check_one(name, cases[i].sql, strlen(cases[i].sql), &cases[i]))
				goto oom;
			if (has_breakpoint(cases[i].sql, strlen(cases[i].sql)) &&
			    !check_drizzle_pieces(name, cases[i].sql, strlen(cases[i].sql)))
				goto oom;
		}
	}
	if (table) {
		for (int i = 0; i < NSERVER; i++) {
			char name[300];
			snprintf(name, sizeof name, "server %02d: %s", i + 1,
			         server_cases[i].name);
			if (!check_server_case(name, &server_cases[i]))
				goto oom;
		}
	}
	for (size_t i = 0; i < files.n; i++) {
		if (!check_file(files.v[i]))
			goto oom;
		free(files.v[i]);
	}
	free(files.v);
	if (skipped)
		printf("# oracle: %d skipped (nothing to compare with: see their SKIP), counted "
		       "as passed\n",
		       skipped);
	printf("oracle: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
oom:
	fprintf(stderr, "split-oracle: out of memory\n");
	return 2;
}
