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
#include "migration.h"

struct hrow {
	char *key;  /* drizzle: created_at as text ("" when NULL); plain: version */
	char *hash; /* drizzle: hash; plain: checksum */
	char *name; /* plain: name; drizzle: NULL */
};

struct history {
	enum mig_format format;
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
int history_init(struct history *h, enum mig_format fmt, const char *spec, struct err *e);

/* Load the rows (none when the table does not exist yet). EXIT_DONE, or an error. */
int history_read(PGconn *conn, struct history *h, struct err *e);
void history_free_rows(struct history *h);

/* SQL: CREATE SCHEMA/TABLE IF NOT EXISTS, as the tool itself does it ("a;b"). */
const char *history_create_sql(const struct history *h, char *buf, size_t cap);

/* SQL: a DO block that takes the transaction-scoped advisory lock without waiting (SQLSTATE
 * DBRLK when another runner holds it) and fails with DBRAP when any of the n migrations is
 * already recorded. */
const char *history_guard_sql(const struct history *h, struct migration *const *m, int n,
                              char *buf, size_t cap);

/* SQL and parameters of the INSERT that records m ($1.. in params, nparams set). duration_ms
 * NULL: the transaction's age when the row is written. */
const char *history_insert_sql(const struct history *h, const struct migration *m,
                               const char *applied_by, const char *duration_ms,
                               const char **params, int *nparams);

#define SQLSTATE_LOCK_BUSY       "DBRLK"
#define SQLSTATE_ALREADY_APPLIED "DBRAP"

#endif
