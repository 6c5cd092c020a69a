/* invalid_index.h - invalid indexes left by a failed CREATE INDEX / REINDEX CONCURRENTLY
 * (behaviour.md §7, docs/invalid-indexes.md).
 *
 * A CONCURRENTLY build that fails or is cancelled leaves its index behind, marked invalid
 * (pg_index.indisvalid = false, or indisready = false when it stopped early), and a re-run of
 * CREATE INDEX CONCURRENTLY IF NOT EXISTS then skips it and succeeds over a broken index.
 * Before a no-transaction migration runs, dbready looks for invalid indexes its statements
 * name; it refuses (exit 6, naming the DROP INDEX CONCURRENTLY to run) or, with
 * --drop-invalid-indexes, drops them first. After the migration ran it looks again and fails
 * (exit 7) instead of recording success over one.
 */
#ifndef DBREADY_INVALID_INDEX_H
#define DBREADY_INVALID_INDEX_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "migration.h"

/* PostgreSQL's NAMEDATALEN - 1: identifiers longer than this are cut by the server itself
 * (with a NOTICE), so the same cut is what names the catalog row. */
#define II_NAME_MAX 63

enum ii_kind {
	II_NONE = 0,
	II_CREATE_INDEX,   /* CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] [name] ON t */
	II_REINDEX_INDEX,  /* REINDEX ... INDEX CONCURRENTLY [s.]name: leaves name_ccnew/_ccold */
	II_REINDEX_TABLE,  /* REINDEX ... TABLE CONCURRENTLY [s.]t: skips invalid indexes on t */
	II_REINDEX_SCHEMA, /* REINDEX ... SCHEMA CONCURRENTLY s */
	II_REINDEX_DATABASE,
};

/* What one statement names, as the server will resolve it: identifiers unquoted ("" and a
 * doubled quote undone) or folded to lower case, and cut to II_NAME_MAX bytes as the server
 * cuts them. Empty strings: not given (an unnamed index; an unqualified table). */
struct ii_target {
	enum ii_kind kind;
	char name[II_NAME_MAX + 1];   /* the index (CREATE, REINDEX INDEX) or schema (SCHEMA) */
	char schema[II_NAME_MAX + 1]; /* the table's (CREATE) or the object's (REINDEX) schema */
	char table[II_NAME_MAX + 1];  /* CREATE: the table after ON [ONLY] */
};

/* Read the statement sql[0..len) (one statement of the splitter, no ';'). Returns true and
 * fills t when it is a CONCURRENTLY index build that can leave an invalid index; false for
 * anything else, and for names it cannot read for sure (U&"..." identifiers). */
bool ii_parse(const char *sql, size_t len, struct ii_target *t);

/* "s"."n" with every " doubled, into out (false when it does not fit). */
bool ii_quote_qualified(const char *schema, const char *name, char *out, size_t cap);

/* Before the no-transaction migration m runs in conn's session (under the migration lock):
 * look for invalid indexes its statements name. None: EXIT_DONE. Some: with drop, drop each
 * with DROP INDEX CONCURRENTLY IF EXISTS, logging it, and return EXIT_DONE; without, return
 * 6 with e naming each index and the statement that drops it. Another code (7, 128+n) with
 * e filled when a query failed. */
int invalid_index_before(PGconn *conn, const struct migration *m, bool drop, struct err *e);

/* After m ran without error: 7 with e filled when an index it names is invalid (it must not
 * be recorded as applied), EXIT_DONE otherwise. */
int invalid_index_after(PGconn *conn, const struct migration *m, struct err *e);

/* --dry-run: for every migration of set that would run (pending; out of order too with
 * allow_ooo), log a warning naming the invalid indexes it names and what run would do (refuse,
 * or with drop, drop them: the DROP statements). Changes nothing; returns how many were found
 * (a failed look-up is logged and counts none). */
int invalid_index_dry_run(PGconn *conn, const struct migset *set, bool allow_ooo, bool drop);

/* After m failed (e already filled by the failure report, the connection still usable):
 * when it left invalid indexes behind, add them and their DROP statements to e's hint. */
void invalid_index_note_failure(PGconn *conn, const struct migration *m, struct err *e);

#endif
