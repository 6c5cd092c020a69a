/* wait.h - wait until the database accepts a real login (behaviour.md §2).
 *
 * Retries transient failures with full-jitter backoff until the deadline, fails at once on
 * a permanent refusal, logs one line per failed attempt, and stops at once on SIGTERM/SIGINT.
 */
#ifndef DBREADY_WAIT_H
#define DBREADY_WAIT_H

#include <libpq-fe.h>
#include <stdint.h>

#include "cli.h"
#include "connect.h"
#include "dburl.h"

struct wait_result {
	int exit_code; /* EXIT_DONE, EXIT_UNREACHABLE, EXIT_REFUSED, 128+signal, or
	                * EXIT_HTTP (--auth: the token endpoint failed) */
	int attempts;
	int64_t elapsed_ms;
	struct attempt last; /* the last attempt (the successful one on success) */
};

/* Wait per cfg. retry = false makes exactly one attempt (migrate, probe). On EXIT_DONE the
 * open connection is returned in *conn_out (caller PQfinish()es it), else *conn_out = NULL.
 * Logs the outcome; the caller writes the termination log from r. */
void wait_for_database(const struct config *cfg, const struct dburl *u, bool retry,
                       PGconn **conn_out, struct wait_result *r);

/* What stopped a failed wait, in a few words for the termination log ("database not
 * reachable", "access token refused", ...). */
const char *wait_failure(const struct wait_result *r);

/* The HINT for a failed attempt: what to check, by kind and SQLSTATE (NULL: none). Host, user
 * and database names are quoted whole; valid until the next call. */
const char *wait_hint(const struct attempt *a, const struct dburl *u);

#endif
