/* baseline.h - adopt a database whose schema was made without its migrations (behaviour.md
 * section 7): record the migrations up to one as applied without running them, with the rows
 * the format's own tool writes for that (Flyway's baseline row, Prisma's resolved rows,
 * golang-migrate's version row, ...), under dbready's migration lock and the tool's.
 */
#ifndef DBREADY_BASELINE_H
#define DBREADY_BASELINE_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "cli.h"
#include "err.h"
#include "history.h"
#include "migration.h"

/* The migration that name names in set: its name ("0002_add_posts"), its file
 * ("0002_add_posts.sql", "20240101_init/migration.sql") or its key as the format compares
 * keys ("2" and "0002" for a numbered format; drizzle's created_at). EXIT_DONE with *idx, or
 * EXIT_USAGE with e naming the closest migrations. what names the option ("--baseline"). */
int baseline_find(const struct migset *set, const char *name, const char *what, int *idx,
                  struct err *e);

/* What baseline_record did. names: the migrations recorded (or that would be, dry_run),
 * pointers into set; n of them. skipped: why nothing was written (NULL: something was, or
 * nothing was left to write). */
struct baseline_result {
	const struct migration **m;
	int n;
	const char *skipped;
	int history_rows; /* rows the history held before */
};

/* Record set->m[0..upto] as applied without running them, where they are not recorded yet.
 * Takes dbready's lock and the tool's (waiting up to --lock-timeout), reads the history again
 * under it (h is re-read; the caller plans again), creates the table when absent, writes the
 * rows in one transaction, and logs one line per row. When the history already has rows:
 * force records the missing ones up to upto; refuse (the baseline command) fails with exit
 * 6; else (run --baseline) nothing is written and r->skipped says why. With only_nonempty
 * (run --baseline) a schema holding no objects is not baselined (a new database gets every
 * migration). dry_run: nothing is locked or written; the plan's states (h as read) decide
 * and the lines say "would". EXIT_DONE, or an exit code with e filled. r->m is malloc'd:
 * free it. */
int baseline_record(PGconn *conn, const struct config *cfg, struct migset *set, struct history *h,
                    int upto, bool force, bool refuse, bool only_nonempty,
                    struct baseline_result *r, struct err *e);

/* After a failed run whose history was absent or empty before it: when e (exit 7) is an
 * "already exists" error (42P07, 42701, 42710, 42723) of migration e->migration, its HINT
 * says what was observed (the object exists, and which migration creates it) and names the
 * --baseline that adopts the schema, after checking it. applied: migrations this run
 * applied before the failure (then the history has rows: `baseline --to NAME --force`). */
void baseline_hint(struct err *e, const struct migset *set, int applied);

/* baseline --json: one object on stdout. */
void baseline_print_json(const struct config *cfg, const struct migset *set,
                         const struct history *h, const char *to, const struct baseline_result *r);

#endif
