/* pipeline.h - send statements to the server in libpq's pipeline mode and read back what
 * happened to each, never blocking beyond a signal.
 *
 * pipeline_run() asks its source for item 0, 1, ... in order and sends them as they are
 * produced, keeping libpq's output buffer bounded (it waits for the server to read before it
 * sends more), so a file of a million statements costs offsets, not copies. Results are read
 * while items are still being sent; every libpq result state is handled (COPY states are
 * ended as failures), so the loop cannot spin. SIGTERM/SIGINT (signals.h) cancel the running
 * statement and stop sending; the results that arrive within CANCEL_GRACE_MS are still read,
 * so the caller learns what the server actually did (a COMMIT that ran is reported as run).
 *
 * Ownership: the source's strings are borrowed until the item is sent; a kept result
 * (item.keep) and pipe_outcome.failed_res belong to the caller (PQclear them).
 */
#ifndef DBREADY_PIPELINE_H
#define DBREADY_PIPELINE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* How long the results may take after a cancel before the connection is given up. */
#define CANCEL_GRACE_MS 1500

struct pipe_item {
	const char *sql; /* the statement: len bytes, need not be NUL-terminated */
	size_t len;
	/* when not NULL, sql + len == nul_at: that byte (a ';' or the text's own NUL) is
	 * briefly set to NUL while the item is sent, instead of copying a large statement */
	char *nul_at;
	const char *const *params; /* text parameters $1.. (borrowed), or NULL */
	int nparams;
	PGresult **keep; /* non-NULL: the item's successful result is stored here */
};

/* The items of one pipeline, produced in order (i = 0, 1, ... n-1). */
struct pipe_source {
	int n;
	void (*item)(void *ctx, int i, struct pipe_item *out);
	void *ctx;
};

/* Called from the wait loop when nothing arrives for a while (the lock watcher); returns the
 * next time (clock_ms) it wants to be called. */
struct pipe_ticker {
	int64_t next;
	void (*tick)(void *ctx);
	void *ctx;
	int64_t every;
};

struct pipe_outcome {
	int sent;              /* items sent (a Sync follows them) */
	int done;              /* items whose results were read */
	int failed;            /* the first item that failed, -1 = none */
	PGresult *failed_res;  /* its error result (the caller PQclear()s it) */
	const char *broken;    /* why the results are incomplete (connection lost, no answer
	                        * after a cancel), NULL = every sent item was answered */
	bool synced;           /* the Sync's result was read */
	bool signalled;        /* a signal arrived while the pipeline ran */
	char conn_error[1024]; /* PQerrorMessage() when broken by the connection (cut at a
	                        * character boundary; the log scrubs it) */
};

/* Run every item of src and a Sync. Returns true when every item succeeded (out->failed < 0,
 * nothing broken); out says what is known either way. A Sync never ends a transaction that a
 * BEGIN among the items started: the caller commits or rolls back. */
bool pipeline_run(PGconn *conn, const struct pipe_source *src, struct pipe_ticker *tick,
                  struct pipe_outcome *out);

/* One statement with parameters, the same way: *res is its result (success or error, NULL
 * when none arrived: then out->broken or out->signalled says why). */
bool pipeline_query(PGconn *conn, const char *sql, const char *const *params, int nparams,
                    PGresult **res, struct pipe_outcome *out);

/* e for a pipeline that got no answer (o->failed_res NULL): stopped by a signal (128+n), or
 * the connection lost (7, with libpq's words as DETAIL); doing says what was under way
 * ("applying \"x\"", "trying to read the history table"). Returns e->code. */
int pipeline_no_answer(PGconn *conn, const struct pipe_outcome *o, const char *doing,
                       struct err *e);

/* "ROLLBACK" when the connection is inside a transaction (open or failed), through the same
 * loop; nothing otherwise. */
void pipeline_rollback(PGconn *conn);

#endif
