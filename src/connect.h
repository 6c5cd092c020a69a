/* connect.h - one connection attempt: login plus SELECT 1, classified.
 *
 * db_connect() makes one attempt, bounded by timeout_ms and interruptible by SIGTERM/SIGINT,
 * and decides whether a failure is worth retrying: by the SQLSTATE the server sent (libpq is
 * asked for verbose errors, which carry it), and where there is none by the stage of the
 * connection at which it failed and libpq's own flags - never by English message text.
 */
#ifndef DBREADY_CONNECT_H
#define DBREADY_CONNECT_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "dburl.h"

enum attempt_class { ATTEMPT_OK, ATTEMPT_TRANSIENT, ATTEMPT_PERMANENT, ATTEMPT_SIGNALED };

enum failure_kind {
	FAIL_NONE,
	FAIL_DNS,         /* host name not resolvable (yet) */
	FAIL_DNS_TIMEOUT, /* the resolver did not answer in time */
	FAIL_NETWORK,     /* TCP connect failed: refused, unreachable, reset */
	FAIL_TIMEOUT,     /* no answer within the attempt's timeout */
	FAIL_TLS,         /* TLS negotiation or certificate verification failed */
	FAIL_SERVER,      /* the server sent an error with a SQLSTATE */
	FAIL_CLOSED,      /* the server closed the connection without an error */
	FAIL_NO_PASSWORD, /* the server wants a password and there is none */
	FAIL_OTHER,       /* libpq failed before contacting a server, out of memory, ... */
	/* --auth=azure|gcp: the access token for the password (cloudauth.h) */
	FAIL_TOKEN,         /* the token endpoint did not answer, or said "later" (retried) */
	FAIL_TOKEN_TIMEOUT, /* ... and used up the attempt's time doing so (retried) */
	FAIL_TOKEN_REFUSED, /* the token endpoint refused the identity for good (exit 5) */
	FAIL_TOKEN_BAD,     /* what answered is no token endpoint (exit 10) */
};

struct attempt {
	enum attempt_class cls;
	enum failure_kind kind;
	char sqlstate[6];
	char reason[2048]; /* libpq's or the resolver's message, SQLSTATE and LOCATION removed */
	int64_t duration_ms;
	int server_version; /* on success */
	bool tls;           /* on success */
};

/* One attempt. On success returns the open connection (caller PQfinish()es it) with
 * a->cls == ATTEMPT_OK; otherwise returns NULL and fills a. With u->auth set, the attempt
 * first fetches a fresh access token (within timeout_ms) and logs in with it as the
 * password; the token is wiped once libpq has its copy. */
PGconn *db_connect(const struct dburl *u, int64_t timeout_ms, struct attempt *a);

/* true when a SQLSTATE means "try again later" (behaviour.md §2). */
bool sqlstate_is_transient(const char *sqlstate);

/* Find the SQLSTATE of the last server error in a verbose libpq message ("FATAL:  28P01: ...")
 * and copy the message to out without SQLSTATE and LOCATION lines. Returns true when a
 * SQLSTATE was found (copied to sqlstate). */
bool connect_parse_verbose(const char *msg, char sqlstate[6], char *out, size_t cap);

/* Classify a failure that carried no SQLSTATE, from the connection stage it failed in. */
enum failure_kind connect_classify_stage(ConnStatusType stage, bool needs_password);

#endif
