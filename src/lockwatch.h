/* lockwatch.h - name the session that blocks a long-running migration.
 *
 * A migration that runs long is usually waiting for a lock some other session holds (an
 * idle-in-transaction app connection, a long report). After LOCKWATCH_FIRST_MS, and then
 * every LOCKWATCH_EVERY_MS, lockwatch looks from a second connection (opened on first use,
 * closed by lockwatch_end) and logs who blocks it - never that session's query text. It is
 * driven as a pipe_ticker by the pipeline's wait loop, and never blocks beyond a signal.
 */
#ifndef DBREADY_LOCKWATCH_H
#define DBREADY_LOCKWATCH_H

#include <libpq-fe.h>

#include "dburl.h"
#include "pipeline.h"

#define LOCKWATCH_FIRST_MS 5000
#define LOCKWATCH_EVERY_MS 15000

struct lockwatch {
	const struct dburl *u; /* NULL: no second look */
	PGconn *side;
	int backend_pid;
	const char *name; /* the migration running */
	int64_t started;
	struct pipe_ticker ticker;
};

/* Start watching conn, which is about to run migration name; returns the ticker to hand to
 * pipeline_run. */
struct pipe_ticker *lockwatch_start(struct lockwatch *w, PGconn *conn, const char *name);
void lockwatch_end(struct lockwatch *w);

#endif
