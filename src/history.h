/* history.h - the history table of the migration tool whose folder this is.
 *
 * drizzle: "drizzle"."__drizzle_migrations" (id serial, hash text, created_at bigint), created
 * exactly as drizzle-orm creates it; plain: "public"."dbready_migrations". history_read() loads
 * every row; the SQL builders return text that runs inside a migration's transaction.
 * struct history owns its rows; history_free() releases them.
 */
#ifndef DBREADY_HISTORY_H
#define DBREADY_HISTORY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "err.h"
#include "format.h"
#include "migration.h"

struct hrow {
	char *key;  /* drizzle: created_at as text ("" when NULL); plain: version */
	char *hash; /* drizzle: hash; plain: checksum */
	char *name; /* plain: name; drizzle: NULL */
};

struct history {
	const struct format *format;
	char schema[128];
	char table[128];
	char qname[300]; /* "schema"."table", quoted */
	bool exists;
	struct hrow *rows;
	int n;
	int64_t lock_key; /* advisory lock key shared by every runner of this table */
};

/* Name the table: spec is --history-table ("schema.table" or "table") or NULL for the
 * format's default. EXIT_DONE or EXIT_USAGE with e filled. */
int history_init(struct history *h, const struct format *fmt, const char *spec, struct err *e);

/* Load the rows (none when the table does not exist yet). EXIT_DONE, or an error. */
int history_read(PGconn *conn, struct history *h, struct err *e);
void history_free_rows(struct history *h);

/* Every SQL text below is the fixed text (under 300 bytes) plus qname (under 300): a buffer
 * of HISTORY_SQL_MAX holds it whole. */
#define HISTORY_SQL_MAX 1024

/* SQL: CREATE SCHEMA IF NOT EXISTS and CREATE TABLE IF NOT EXISTS, as the tool does it. */
const char *history_create_schema_sql(const struct history *h, char *buf, size_t cap);
const char *history_create_table_sql(const struct history *h, char *buf, size_t cap);

/* SQL: whether the history changed under the runner's feet, run after the lock is held and
 * as a statement of its own, so that (at READ COMMITTED) its snapshot is taken after the
 * lock: exists: whether any of the keys $1 (history_keys_array) is recorded now; !exists:
 * whether the table ($1 = qname) has appeared since it was read. Neither raises an error, so
 * a race leaves nothing in the server's log. */
const char *history_guard_sql(const struct history *h, bool exists, char *buf, size_t cap);

/* SQL: whether any of the keys $1 (history_keys_array) is recorded. */
const char *history_recorded_sql(const struct history *h, char *buf, size_t cap);

/* The migrations' keys as a PostgreSQL text[] literal, malloc'd (NULL: out of memory). */
char *history_keys_array(struct migration *const *m, int n);

/* SQL and parameters of the INSERT that records m ($1.. in params, nparams set). duration_ms
 * NULL: the transaction's age when the row is written. */
const char *history_insert_sql(const struct history *h, const struct migration *m,
                               const char *applied_by, const char *duration_ms,
                               const char **params, int *nparams);

#endif
