/* err.c - filling and reporting struct err. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scrub text whole, then cut it visibly into a field (a secret straddling the cut would
 * otherwise leak its first half, which no longer matches the secret). */
static void set_field(char *out, size_t cap, const char *text)
{
	char *full = log_scrubbed_dup(text ? text : "");
	log_cut_copy(out, cap, full ? full : "***");
	log_wipe_free(full);
}

int err_set(struct err *e, int code, const char *event, const char *hint, const char *detail,
            const char *fmt, ...)
{
	memset(e, 0, sizeof *e);
	e->code = code;
	set_field(e->event, sizeof e->event, event);
	set_field(e->hint, sizeof e->hint, hint);
	set_field(e->detail, sizeof e->detail, detail);
	va_list ap;
	va_start(ap, fmt);
	log_vformat_scrubbed(e->msg, sizeof e->msg, fmt, ap);
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
