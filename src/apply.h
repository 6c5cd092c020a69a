/* apply.h - apply pending migrations exactly once (behaviour.md §3, §4).
 *
 * Each migration runs in its own transaction together with its history row (or all of them
 * in one with --tx=all), sent as one pipeline: one round trip per migration. The
 * transaction first takes a transaction-scoped advisory lock without waiting and re-checks
 * the history (history_guard_sql), so any number of runners - also behind PgBouncer in
 * transaction mode - apply each migration once. Migrations that PostgreSQL refuses inside a
 * transaction run statement by statement under a session lock. A migration that runs long is
 * looked at from a second connection (u), which names the session blocking it.
 */
#ifndef DBREADY_APPLY_H
#define DBREADY_APPLY_H

#include <libpq-fe.h>

#include "cli.h"
#include "dburl.h"
#include "err.h"
#include "history.h"
#include "migration.h"
#include "sqlsplit.h"

struct apply_summary {
	int applied;
	int skipped; /* applied meanwhile by another runner */
	const char *first, *last;
	int64_t elapsed_ms;
};

/* Apply every pending (and, with allow_out_of_order, out-of-order) migration of set, whose
 * states plan_build() has set. Returns EXIT_DONE, or an exit code with e filled (7 failed
 * and rolled back, 8 lock timeout, 128+n signal, ...). */
int apply_pending(PGconn *conn, const struct config *cfg, const struct dburl *u,
                  struct migset *set, struct history *h, struct apply_summary *sum, struct err *e);

/* The statements of a migration as they are sent: drizzle files are cut at
 * "--> statement-breakpoint" first, as drizzle-orm does, then split. */
bool apply_statements(const struct migration *m, enum mig_format fmt, struct sql_split *out);

/* Why m must run outside a transaction, or NULL. */
const char *apply_no_tx_reason(const struct migration *m, const struct sql_split *stmts,
                               int server_version);

#endif
