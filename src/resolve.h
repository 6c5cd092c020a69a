/* resolve.h - host name lookup before a connection attempt, bounded in time.
 *
 * libpq resolves names inside a blocking call and reports a failure only as text. Looking
 * the names up first, on a helper thread that the caller can abandon, lets dbready tell a
 * DNS failure (the Service is not there yet) from a refused connection, bound the lookup by
 * the attempt's timeout, and still answer SIGTERM at once.
 */
#ifndef DBREADY_RESOLVE_H
#define DBREADY_RESOLVE_H

#include <stddef.h>
#include <stdint.h>

#include "dburl.h"

enum resolve_result {
	RESOLVE_OK,       /* at least one host resolved, or none needs resolving */
	RESOLVE_FAILED,   /* no host resolved; msg names the host and the resolver's answer */
	RESOLVE_TIMEOUT,  /* the resolver did not answer within timeout_ms */
	RESOLVE_SIGNALED, /* SIGTERM/SIGINT arrived */
};

enum resolve_result resolve_hosts(const struct dburl *u, int64_t timeout_ms, char *msg,
                                  size_t cap);

#endif
