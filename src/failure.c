/* failure.c - say what failed in a migration, where in its file, and what of it remains. */
#define _POSIX_C_SOURCE 200809L
#include "failure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "log.h"

/* Excerpt lines longer than this many characters are cut, visibly ("…"). */
#define EXCERPT_LINE_CHARS 160

struct position failure_position(const struct migration *m, size_t off)
{
	struct position p = {1, 1};
	size_t line_start = 0;
	for (size_t i = 0; i < off && i < m->text_len; i++)
		if (m->text[i] == '\n') {
			p.line++;
			line_start = i + 1;
		}
	p.col = (int)utf8_chars(m->text + line_start, off - line_start) + 1;
	return p;
}

/* Bytes of the first `chars` characters of s[0..n) (UTF-8 lead bytes counted, so a cut never
 * falls inside a character). */
static size_t char_prefix(const char *s, size_t n, size_t chars)
{
	size_t i = 0, c = 0;
	while (i < n) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (c == chars)
				break;
			c++;
		}
		i++;
	}
	return i;
}

/* Up to two lines before and after the error line, numbered, with a caret under it. The
 * excerpt is at most 5 lines of EXCERPT_LINE_CHARS characters (4 bytes each at most) and a
 * caret line: 5 * (12 + 4 * 160 + 3) + 12 + 170 bytes, well within EXCERPT_MAX. */
#define EXCERPT_MAX 4096
_Static_assert(5 * (12 + 4 * EXCERPT_LINE_CHARS + 3) + 12 + 170 < EXCERPT_MAX, "excerpt fits");

static void excerpt(const struct migration *m, struct position at, char *out)
{
	out[0] = '\0';
	size_t len = 0;
	int line = 1;
	const char *p = m->text, *end = m->text + m->text_len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (line >= at.line - 2 && line <= at.line + 2) {
			size_t shown = char_prefix(p, n, EXCERPT_LINE_CHARS);
			len += (size_t)snprintf(out + len, EXCERPT_MAX - len, "%s%c %4d | %.*s%s",
			                        len ? "\n" : "", line == at.line ? '>' : ' ', line,
			                        (int)shown, p, shown < n ? "…" : "");
			if (line == at.line) {
				len += (size_t)snprintf(out + len, EXCERPT_MAX - len,
				                        "\n       | ");
				for (int c = 1; c < at.col && c <= EXCERPT_LINE_CHARS; c++)
					out[len++] = ' ';
				len += (size_t)snprintf(out + len, EXCERPT_MAX - len, "^");
			}
		}
		if (line > at.line + 2 || !nl)
			break;
		p = nl + 1;
		line++;
	}
}

static bool sqlstate_is(const char *st, const char *want)
{
	return st && strcmp(st, want) == 0;
}

int failure_report(const struct migration *m, const struct sql_stmt *st, PGresult *res,
                   PGconn *conn, const char *aftermath, struct err *e)
{
	const char *sqlstate = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *sdetail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *shint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *spos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	if (!primary && res)
		primary = PQresultErrorMessage(res);
	if (!primary || !*primary)
		primary = conn ? PQerrorMessage(conn) : "";
	if (!primary || !*primary)
		primary = "the server gave no message";
	size_t off = st ? st->start : 0;
	if (st && spos && atoi(spos) > 0)
		off = st->start +
		      utf8_offset(m->text + st->start, st->len, (size_t)atoi(spos) - 1);
	struct position at = failure_position(m, off);
	char *ex = malloc(EXCERPT_MAX);
	if (ex && st)
		excerpt(m, at, ex);
	else if (ex)
		ex[0] = '\0';
	/* the parts are long: err_set() scrubs and cuts the whole visibly */
	size_t dcap = (sdetail ? strlen(sdetail) : 0) + (ctx ? strlen(ctx) : 0) +
	              (ex ? strlen(ex) : 0) + (aftermath ? strlen(aftermath) : 0) + 32;
	char *detail = malloc(dcap);
	if (detail)
		snprintf(detail, dcap, "%s%s%s%s%s%s%s%s", sdetail ? sdetail : "",
		         sdetail ? "\n" : "", ctx ? "CONTEXT: " : "", ctx ? ctx : "",
		         ctx ? "\n" : "", ex ? ex : "", ex && *ex && aftermath ? "\n" : "",
		         aftermath ? aftermath : "");
	char hint[1024];
	if (shint)
		snprintf(hint, sizeof hint, "%s", shint);
	else if (sqlstate_is(sqlstate, "57014"))
		snprintf(hint, sizeof hint,
		         "The statement ran into the statement timeout or was cancelled; if it "
		         "waited for a lock held by another session, look at pg_stat_activity and "
		         "pg_locks, or raise --statement-timeout.");
	else if (sqlstate_is(sqlstate, "42P07") || sqlstate_is(sqlstate, "42710") ||
	         sqlstate_is(sqlstate, "42701") || sqlstate_is(sqlstate, "42P06"))
		/* what was observed, not a guess: the history lacks it, the object exists */
		snprintf(hint, sizeof hint,
		         "The history does not record this migration, yet the object exists: the "
		         "schema was changed outside the migrations (drizzle-kit push, a manual "
		         "fix, a restored dump), or an earlier run of a migration that cannot run "
		         "in one transaction stopped part-way. Check the schema, then make it "
		         "match the migrations or make the statement idempotent (IF NOT EXISTS).");
	else if (sqlstate && strncmp(sqlstate, "23", 2) == 0 && !st)
		snprintf(hint, sizeof hint,
		         "A deferred constraint or trigger was checked at COMMIT. Fix the "
		         "migration (or the data it meets), then run again.");
	else
		snprintf(hint, sizeof hint, "Fix the migration, then run again.");
	if (st)
		err_set(e, EXIT_APPLY, "migration_failed", hint, detail ? detail : aftermath,
		        "migration \"%s\" failed at %s:%d:%d: %s", m->name, m->file, at.line,
		        at.col, primary);
	else
		err_set(e, EXIT_APPLY, "migration_failed", hint, detail ? detail : aftermath,
		        "migration \"%s\" failed at COMMIT: %s", m->name, primary);
	snprintf(e->sqlstate, sizeof e->sqlstate, "%s", sqlstate ? sqlstate : "");
	log_cut_copy(e->migration, sizeof e->migration, m->name); /* names are not secrets */
	free(detail);
	free(ex);
	return EXIT_APPLY;
}
