/* depwait.h - wait for the services beside the database (--wait-for, behaviour.md §6):
 * tcp://HOST:PORT, http:// and https:// targets, all at once in one libcurl multi loop.
 *
 * Target syntax (README "Waiting for other services"): a list separated by whitespace or
 * commas; a comma ends a target only where the next one starts with "scheme://" (so a comma
 * inside a URL's query stays). Expectations follow '#' (never sent), joined by '&':
 * status=CODE (exactly this status; default any 2xx), body=TEXT (the body contains TEXT,
 * percent-decoded), timeout=D (per-attempt timeout; default --connect-timeout). A tcp://
 * target is ready when a TCP connection is accepted (libcurl with CONNECT_ONLY, so the
 * HTTP-only static libcurl serves it too), an HTTP target when a GET gets the expected
 * answer. Every failure is retried until the deadline.
 *
 * depwait_parse() does no network: it checks and splits the lists into a dep_list, which
 * owns its strings (depwait_free() releases them), and registers every password or token in
 * a target's userinfo as a secret with log_add_secret() before any message can name it.
 */
#ifndef DBREADY_DEPWAIT_H
#define DBREADY_DEPWAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "http.h"

#define DEPWAIT_MAX_TARGETS 32          /* more is a usage error */
#define DEPWAIT_MAX_BODY    (64 * 1024) /* bytes of a body searched for body=TEXT */
#define DEPWAIT_TARGET_MAX  2048        /* bytes of one target as written; more is a usage error */

enum dep_kind { DEP_TCP, DEP_HTTP };

struct dep_target {
	enum dep_kind kind;
	char *url; /* what libcurl gets: the URL without "#..."; tcp: http://HOST:PORT/ */
	/* redacted (http_redact_url), for every message; whole: a target is at most
	 * DEPWAIT_TARGET_MAX bytes (longer ones are refused) and redaction adds at most
	 * HTTP_REDACT_GROWTH */
	char shown[DEPWAIT_TARGET_MAX + HTTP_REDACT_GROWTH + 1];
	long want_status;   /* 0 = any 2xx */
	char *want_body;    /* NULL = any body */
	int64_t timeout_ms; /* per attempt; 0 = --connect-timeout */
	/* filled by depwait_run */
	bool ready;
	int attempts;
	char *reason; /* why the last attempt failed (malloc'd, whole; NULL = none yet) */
};

struct dep_list {
	struct dep_target *t;
	int n;
};

/* Parse every list (cfg->wait_for) into out. Returns EXIT_DONE, EXIT_USAGE with a message
 * in err ("message\nHINT: hint", naming the target redacted), or EXIT_INTERNAL (out of
 * memory). out is always safe to depwait_free(). */
int depwait_parse(const char *const *lists, int nlists, struct dep_list *out, char *err,
                  size_t errcap);
void depwait_free(struct dep_list *l);

/* Wait until every target is ready: attempts run concurrently, each target retries with its
 * own full-jitter backoff (cfg's base and cap) until deadline_ms (monotonic clock_ms(); -1 =
 * none); retry = false makes one attempt per target. Logs one line per failed attempt and
 * the outcome, and on failure writes the termination log. Returns EXIT_DONE, EXIT_HTTP
 * (some target not ready: each is named), 128+n on SIGTERM/SIGINT, or EXIT_INTERNAL. */
int depwait_run(struct dep_list *l, const struct config *cfg, bool retry, int64_t deadline_ms);

#endif
