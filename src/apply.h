/* apply.h - apply pending migrations exactly once (behaviour.md §3, §4).
 *
 * Each migration runs in its own transaction together with its history row (or all of them
 * in one with --tx=all). The transaction first takes a transaction-scoped advisory lock
 * without waiting and re-checks the history (history_guard_sql); only then is the body sent,
 * streamed, with the next migration's opening in the same round trip (n + 1 round trips for
 * n migrations). So any number of runners - also behind PgBouncer in transaction mode -
 * apply each migration once, and a runner that loses the race rolls back an empty
 * transaction instead of raising an error the server would log. Migrations that PostgreSQL
 * refuses inside a transaction, and files with their own BEGIN/COMMIT, run statement by
 * statement in one session under a session lock (refused behind a pooler). Every outcome is
 * what the server answered: a COMMIT that ran before a SIGTERM took effect is reported as
 * applied. A migration that runs long is looked at from a second connection (u), which names
 * the session blocking it.
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

/* Zeroed by the caller once per run; apply_pending adds to it. */
struct apply_summary {
	int applied;
	const char *first, *last;
	int64_t elapsed_ms;
	bool replan; /* the history changed under the lock: re-read it, re-plan, call again */
};

/* Apply every pending (and, with allow_out_of_order, out-of-order) migration of set, whose
 * states plan_build() has set. Returns EXIT_DONE, or an exit code with e filled (7 failed,
 * 8 lock timeout, 128+n signal, ...) whose message says what the server observed. EXIT_DONE
 * with sum->replan: another runner changed the history while this one waited; re-read the
 * history, re-plan and call again. */
int apply_pending(PGconn *conn, const struct config *cfg, const struct dburl *u,
                  struct migset *set, struct history *h, struct apply_summary *sum, struct err *e);

/* Upgrade a history table in an older shape of the tool's (h->needs_upgrade, format.h struct
 * fupgrade_spec) as the tool does, in a transaction of its own under dbready's migration lock
 * (and the tool's), after looking at the shape again under the lock: EXIT_DONE when this
 * runner upgraded it or found it upgraded (either way the caller reads the history again);
 * else an exit code with e filled (6: the tool refuses the rows, nothing written; 8: lock
 * timeout). Logs one line per row it changes. */
int apply_upgrade(PGconn *conn, const struct config *cfg, const struct dburl *u,
                  struct migset *set, struct history *h, struct err *e);

/* Why m must run outside a transaction, or NULL. */
const char *apply_no_tx_reason(const struct format *f, const struct migration *m,
                               int server_version);

/* A change of the history table of its own (resolve, repair): work is called in a transaction
 * that holds dbready's migration lock (and the tool's), taken as for a migration and waited
 * for up to --lock-timeout, at READ COMMITTED so that what work reads (history_read) is read
 * after the lock; it fills sql with the statements to run, or returns an exit code with e
 * filled (nothing written). The statements run and commit together; out says what each
 * did (the server's command tag and row count). EXIT_DONE with out->n == 0: work wanted
 * nothing written. */
typedef int (*apply_locked_fn)(PGconn *conn, void *arg, struct fsql_list *sql, struct err *e);
struct apply_locked_result {
	struct fsql_list sql; /* the statements that ran */
	int n;
	char tag[FORMAT_SQL_STEPS][32]; /* "UPDATE 1", "INSERT 0 1" */
	long long rows[FORMAT_SQL_STEPS];
};
int apply_locked(PGconn *conn, const struct config *cfg, const struct dburl *u, struct migset *set,
                 struct history *h, apply_locked_fn work, void *arg,
                 struct apply_locked_result *out, struct err *e);

/* Open a transaction holding dbready's migration lock on h (and the tool's beside it), waiting
 * for it as a migration does (backoff, --lock-timeout, signals): EXIT_DONE with the
 * transaction open, or an error with nothing open. what names the transaction for an error
 * ("start the baseline"). For a history write of a command's own (baseline). */
int apply_lock_tx(PGconn *conn, const struct config *cfg, struct history *h, const char *what,
                  struct err *e);

/* One query; false with e filled (the server's error, or no answer) when it failed. */
bool apply_query(PGconn *conn, const char *sql, const char *const *params, int np, PGresult **res,
                 const char *what, struct err *e);

/* Who applies, as the history rows record it: "<host name> dbready/<version>" into out (300
 * bytes hold any host name). */
void apply_applied_by(char *out, size_t cap);

#endif
