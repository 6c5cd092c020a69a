/* failure.h - a failed migration statement as the user reads it: the server's SQLSTATE,
 * message, detail and hint, the line and column in the file, the lines around it, and what
 * of the migration remains (the caller observed that; failure.c never guesses it). */
#ifndef DBREADY_FAILURE_H
#define DBREADY_FAILURE_H

#include <libpq-fe.h>

#include "err.h"
#include "migration.h"

struct position {
	int line, col;
};

/* Line and column (in characters) of byte offset off in m's text. */
struct position failure_position(const struct migration *m, size_t off);

/* Fill e (exit 7) from res, the error result of statement st of m (st NULL: the failure came
 * at COMMIT). aftermath: a sentence on what remains ("It was rolled back: ...") appended to
 * DETAIL. conn supplies the message when res has none. Returns EXIT_APPLY. */
int failure_report(const struct migration *m, const struct sql_stmt *st, PGresult *res,
                   PGconn *conn, const char *aftermath, struct err *e);

#endif
