/* sqlsplit.h - split a migration file into statements, as PostgreSQL's lexer would.
 *
 * Handles '...' and E'...' strings, "quoted identifiers", $tag$dollar quotes$tag$, -- and
 * nested block comments, parentheses, and BEGIN ATOMIC ... END bodies (with psql's own
 * heuristic: inside CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN/CASE ... END nest).
 * Statements are returned as byte ranges of the input; empty and comment-only statements
 * are dropped. Nothing is copied; the input must outlive the result.
 */
#ifndef DBREADY_SQLSPLIT_H
#define DBREADY_SQLSPLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a statement is, as far as running it goes (sql_stmt.kind). */
enum sql_kind {
	SQL_KIND_OTHER = 0,
	SQL_KIND_TX_CONTROL,  /* BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT at top
	                       * level (not ROLLBACK TO, COMMIT/ROLLBACK PREPARED) */
	SQL_KIND_COPY_STDIN,  /* COPY ... FROM STDIN: psql streams the lines after it */
	SQL_KIND_COPY_STDOUT, /* COPY ... TO STDOUT */
};

/* One statement: a byte range and its classification, 24 bytes on 64-bit systems, so that a
 * file of many small statements costs offsets, not copies. */
struct sql_stmt {
	size_t start;  /* offset of the first token (comments and white space before it skipped) */
	size_t len;    /* up to, not including, the terminating ';' */
	uint8_t kind;  /* enum sql_kind */
	uint8_t no_tx; /* why it cannot run in a transaction block: an index into the reasons
	                * sql_needs_no_transaction() names, 0 = it can */
};

struct sql_split {
	struct sql_stmt *stmts;
	int n;
	bool unterminated; /* the input ends inside a string, identifier, comment or dollar quote
	                    */
	size_t unterminated_at;
};

/* Split sql[0..len). Returns false only when out of memory. */
bool sql_split(const char *sql, size_t len, struct sql_split *out);
void sql_split_free(struct sql_split *s);

/* Why a statement cannot run inside a transaction block, or NULL. server_version is
 * PQserverVersion() (ALTER TYPE ... ADD VALUE is allowed in a transaction from 12 on). */
const char *sql_needs_no_transaction(const struct sql_stmt *st, int server_version);

#endif
