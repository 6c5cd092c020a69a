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
	char *key;     /* drizzle: created_at as text ("" when NULL); the others: the version */
	char *hash;    /* the recorded checksum ("" when the format records none) */
	char *name;    /* the recorded name, or NULL */
	char *failed;  /* NULL, or what the row holds that marks a failed migration */
	bool baseline; /* the row records a baseline (format.h read_sql) */
};

struct history {
	const struct format *format;
	char schema[128];
	char table[128];
	char qname[300]; /* "schema"."table", quoted */
	bool bound;      /* schema, qname and the lock keys are known (history_read binds them) */
	bool exists;
	struct hrow *rows;
	int n;
	int nfailed; /* rows with failed set */
	/* the table is absent and the format's tool refuses a non-empty schema (format.h
	 * nonempty_hint): how many objects its schema holds, and the first few, named
	 * ("table \"users\", type \"role\"", malloc'd) */
	long long schema_objects;
	char *schema_sample;
	/* baseline on migrate (format.h FSET_BASELINE_ON_MIGRATE): the key a baseline takes
	 * when the table is created in a schema that is not empty (not owned; NULL: none), and
	 * the newest migration at or below it (set with the plan) */
	const char *baseline_key;
	const struct migration *baseline_upto;
	int64_t lock_key; /* advisory lock key shared by every runner of this table */
	bool has_tool_lock;
	int64_t tool_lock_key; /* the format's tool's own lock key (format.h tool_lock) */
	char database[128];    /* current_database(), for the tool's lock key */
	/* the table is in an older shape of the tool's (format.h struct fupgrade_spec): rows
	 * are those it would hold once upgraded, and upgrade the upgrade history_read built
	 * from them (for status and --dry-run; a run builds it again under the lock) */
	bool needs_upgrade;
	struct fupgrade upgrade;
};

/* Name the table: spec is --history-table ("schema.table" or "table") or NULL for the
 * format's default. EXIT_DONE or EXIT_USAGE with e filled. A format whose table lives in the
 * session's current schema is bound to it by the first history_read(). */
int history_init(struct history *h, const struct format *fmt, const char *spec, struct err *e);

/* Load the rows (none when the table does not exist yet). A table in an older shape that
 * the format upgrades sets needs_upgrade, and its rows are those the upgrade would leave
 * (built from set; nothing is written). EXIT_DONE, or an error (6: the tool would refuse
 * to upgrade the table). */
int history_read(PGconn *conn, struct history *h, const struct migset *set, struct err *e);

/* Read the rows the format's upgrade reads and build it into out (zeroed first). */
int history_upgrade_build(PGconn *conn, const struct history *h, const struct migset *set,
                          struct fupgrade *out, struct err *e);

/* Whether the table, when created, records a baseline first: it is absent, its schema is
 * not empty, and baseline_key is set. */
bool history_baselining(const struct history *h);
void history_free_rows(struct history *h);

#define HISTORY_SQL_MAX FORMAT_SQL_MAX

/* SQL: CREATE SCHEMA IF NOT EXISTS, then the statements that create the table as the tool
 * does (into out), and its baseline when history_baselining(). */
const char *history_create_schema_sql(const struct history *h, char *buf, size_t cap);
void history_create_table_sql(const struct history *h, struct fsql_list *out);

/* SQL: whether the history changed under the runner's feet, run after the lock is held and
 * as a statement of its own, so that (at READ COMMITTED) its snapshot is taken after the
 * lock: exists: whether any of the keys $1 (history_keys_array) is applied now (or a failed
 * row appeared); !exists: whether the table ($1 = qname) has appeared since it was read.
 * Neither raises an error, so a race leaves nothing in the server's log. */
const char *history_guard_sql(const struct history *h, bool exists, char *buf, size_t cap);

/* The migrations' keys as a PostgreSQL text[] literal, malloc'd (NULL: out of memory); a
 * repeatable migration's element is its hash, a space and its name (format.h guard_sql). */
char *history_keys_array(struct migration *const *m, int n);

/* The statements that record m (duration_ms NULL: the transaction's age when the row is
 * written), and those that mark it started before a run that is not atomic (none for most
 * formats). */
void history_record_sql(const struct history *h, const struct migration *m, const char *applied_by,
                        const char *duration_ms, struct fsql_list *out);
void history_started_sql(const struct history *h, const struct migration *m,
                         struct fsql_list *out);

#endif
