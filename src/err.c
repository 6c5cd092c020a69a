/* err.c - filling and reporting struct err. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *event, const char *hint, const char *detail,
            const char *fmt, ...)
{
	memset(e, 0, sizeof *e);
	e->code = code;
	snprintf(e->event, sizeof e->event, "%s", event ? event : "");
	snprintf(e->hint, sizeof e->hint, "%s", hint ? hint : "");
	snprintf(e->detail, sizeof e->detail, "%s", detail ? detail : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

void err_log(const struct err *e)
{
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = e->event[0] ? e->event : NULL;
	lf.detail = e->detail;
	lf.hint = e->hint;
	lf.sqlstate = e->sqlstate;
	lf.migration = e->migration[0] ? e->migration : NULL;
	lf.exit_code = e->code;
	log_emit(LOG_ERROR, &lf, "%s", e->msg);
}
