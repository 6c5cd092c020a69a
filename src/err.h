/* err.h - the error a stage hands back to its caller (the caller owns it and reports it).
 *
 * Callees fill a struct err and return a status; main logs it once, in PostgreSQL's style
 * (message, DETAIL, HINT), and writes the termination log from it.
 */
#ifndef DBREADY_ERR_H
#define DBREADY_ERR_H

#include "log.h"

/* The fields are fixed arrays that callees fill with snprintf; err_set() scrubs each text
 * whole and cuts it visibly at a character boundary ("... (cut, N more bytes)"), so that
 * nothing is truncated silently and no secret is cut in half before it is recognised. */
struct err {
	int code; /* exit code (exitcode.h), 0 = no error */
	char msg[1024];
	char detail[4096];
	char hint[1024];
	char sqlstate[6];
	char migration[256];
	char event[32];
};

/* Set e (code, event, hint and detail may be NULL) and return code. Every text is scrubbed
 * of registered secrets before it is cut to its field. */
int err_set(struct err *e, int code, const char *event, const char *hint, const char *detail,
            const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Log e at LOG_ERROR with its fields. */
void err_log(const struct err *e);

#endif
