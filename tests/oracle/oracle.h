/* oracle.h - PostgreSQL's own lexer and parser (libpg_query) as the oracle for src/sqlsplit.c.
 *
 * Shared by split_oracle.c (corpora and a table of tricky cases) and fuzz_split.c (libFuzzer).
 *
 * Three views of one input, all from libpg_query 15 (PostgreSQL 15's scan.l and gram.y):
 *
 *  lexer    PostgreSQL's real token stream (pg_query_scan), grouped into statements with
 *           psql's rules (src/fe_utils/psqlscan.l): a ';' ends a statement unless it is inside
 *           parentheses or inside the BEGIN ... END of CREATE [OR REPLACE] FUNCTION|PROCEDURE;
 *           statements without a token are dropped. This is exactly what sqlsplit.h promises
 *           ("as PostgreSQL's lexer would", plus psql's heuristic), so it is always compared.
 *  scanner  libpg_query's own pg_query_split_with_scanner. It knows parentheses but not BEGIN
 *           ATOMIC, drops statements that hold no keyword ("1;", "foo;"), never splits again
 *           after a ')' without its '(' (an unsigned counter underflows) and drops the last
 *           statement when the input ends inside parentheses. Compared where none of that
 *           applies: it is an independent check of the grouping above.
 *  parser   pg_query_split_with_parser: the grammar's own statement boundaries, i.e. what the
 *           server executes. Only for inputs the parser accepts (PostgreSQL 15 syntax, valid
 *           SQL). It knows BEGIN ATOMIC bodies for certain, not by heuristic.
 *
 * Statements are compared as normalized byte ranges: from the first to the end of the last
 * token that is not a comment, so each tool's convention for where a statement starts (after
 * the previous ';', or after leading comments) and ends (before or after trailing comments)
 * does not matter, while the set of statements and their text must match exactly.
 */
#ifndef DBREADY_ORACLE_H
#define DBREADY_ORACLE_H

#include <stdbool.h>
#include <stddef.h>

#include "sqlsplit.h"

/* token numbers of libpg_query 15 (pg_query.proto, enum Token) */
#define PGT_LPAREN      '('
#define PGT_RPAREN      ')'
#define PGT_SEMI        ';'
#define PGT_IDENT       258
#define PGT_UIDENT      259
#define PGT_SQL_COMMENT 275
#define PGT_C_COMMENT   276

struct pgtok {
	size_t start;
	size_t end; /* computed: next token's start minus white space (the scanner's own is
	               unreliable for some token kinds) */
	int tok;
	int kw; /* 0: not a keyword */
};

struct orange {
	size_t start, end; /* [start, end) */
};

struct olist {
	struct orange *v;
	int n, cap;
};

struct oracle {
	const char *sql; /* the input; no NUL byte inside */
	size_t len;

	/* pg_query_scan */
	bool scanned;      /* the scanner accepted the whole input */
	bool unterminated; /* ... and if not, because something was left open */
	size_t error_at;   /* byte offset of the error (SIZE_MAX: unknown) */
	char error[240];
	struct pgtok *tok;
	int ntok;
	/* An E'' string followed, over white space and -- comments holding a newline, by another
	 * string: PostgreSQL continues the first (scan.l's quotecontinue allows comments in the
	 * gap), libpg_query does not (its patch 04_lexer_comments_as_tokens takes comments out of
	 * that white space). The lexer view is then not PostgreSQL's: nothing is compared. */
	bool comment_continuation;

	/* the lexer view (see above) */
	struct olist lexer;
	bool held_by_begin;     /* some ';' was held back by the BEGIN ATOMIC heuristic */
	bool held_by_paren;     /* some ';' was inside parentheses */
	bool keywordless;       /* some statement holds no keyword token */
	bool stray_rparen;      /* some ')' had no '(' */
	bool open_paren_at_end; /* the input ends inside parentheses */

	/* pg_query_split_with_scanner */
	bool scanner_ok;
	struct olist scanner;

	/* pg_query_split_with_parser (only when asked for) */
	bool parser_tried, parser_ok;
	struct olist parser;
	char parser_error[240];
};

/* Run the views over sql[0..len) (which must not contain a NUL). with_parser: also run the
 * parser. Returns false only when out of memory. */
bool oracle_run(struct oracle *o, const char *sql, size_t len, bool with_parser);
void oracle_free(struct oracle *o);

/* The normalized range of sql[start..end): its first to its last non-comment token. An empty
 * range (start == end) when there is none. Needs o->scanned. */
struct orange oracle_normalize(const struct oracle *o, size_t start, size_t end);

/* dbready's statements, normalized. Also checks sqlsplit.h's promise that a statement starts
 * at its first token: a violation is appended to why (if not NULL). */
bool oracle_dbready(const struct oracle *o, const struct sql_split *sp, struct olist *out,
                    char *why, size_t whycap);

bool olist_push(struct olist *l, size_t start, size_t end);
void olist_free(struct olist *l);
bool olist_equal(const struct olist *a, const struct olist *b);

/* Append a one-line description of how got differs from want (texts quoted from sql) to out.
 * Returns the index of the first statement that differs. */
int olist_diff(const char *sql, const char *want_name, const struct olist *want,
               const char *got_name, const struct olist *got, char *out, size_t cap);

/* sql[start..end) for a message: escaped, at most max bytes of it. */
void oracle_quote(const char *sql, size_t start, size_t end, size_t max, char *out, size_t cap);

/* The checks that every split must pass, whatever the input: statements inside the input, in
 * order, not overlapping, not empty, not starting with white space, and so on. Returns false
 * and describes the first violation in why. */
bool split_invariants(const char *sql, size_t len, const struct sql_split *sp, char *why,
                      size_t whycap);

/* The differential check: dbready's split against the lexer view (and the scanner view when
 * it applies). Returns false and describes the difference in why. The parser view is left to
 * the caller. Nothing is compared (true) when o->comment_continuation. */
bool oracle_check_lexer(const struct oracle *o, const struct sql_split *sp, char *why,
                        size_t whycap);

#endif
