/* format.c - the format table, and picking the format of a folder. */
#define _POSIX_C_SOURCE 200809L
#include "format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exitcode.h"
#include "log.h"
#include "source.h"

/* the formats (one file each); a new one is one line here */
extern const struct format format_drizzle, format_drizzle1, format_plain, format_golang_migrate,
        format_goose, format_dbmate, format_flyway, format_prisma;
static const struct format *const table[] = {
        &format_drizzle, &format_drizzle1, &format_golang_migrate, &format_goose,
        &format_dbmate,  &format_flyway,   &format_prisma,         &format_plain,
};
#define NFORMATS (sizeof table / sizeof *table)

struct fsql *fsql_add(struct fsql_list *l, int nparams, ...)
{
	/* the format files add at most FORMAT_SQL_STEPS statements and 6 parameters: fixed by
	 * their code, checked here so a new format cannot overrun */
	if (l->n >= FORMAT_SQL_STEPS || nparams > 6)
		abort();
	struct fsql *s = &l->s[l->n++];
	memset(s, 0, sizeof *s);
	va_list ap;
	va_start(ap, nparams);
	for (int i = 0; i < nparams; i++)
		s->params[i] = va_arg(ap, const char *);
	va_end(ap);
	s->nparams = nparams;
	return s;
}

void fsql_printf(struct fsql *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->text, sizeof s->text, fmt, ap);
	va_end(ap);
	/* a format's fixed SQL and a quoted name (under 300 bytes) fit by construction */
	if (n < 0 || (size_t)n >= sizeof s->text)
		abort();
}

char *fsql_array(const char *const *v, int n)
{
	size_t len = 3;
	for (int i = 0; i < n; i++)
		len += 2 * strlen(v[i]) + 3;
	char *out = malloc(len);
	if (!out)
		return NULL;
	size_t o = 0;
	out[o++] = '{';
	for (int i = 0; i < n; i++) {
		if (i)
			out[o++] = ',';
		out[o++] = '"';
		for (const char *p = v[i]; *p; p++) {
			if (*p == '"' || *p == '\\')
				out[o++] = '\\';
			out[o++] = *p;
		}
		out[o++] = '"';
	}
	out[o++] = '}';
	out[o] = '\0';
	return out;
}

void fupgrade_free(struct fupgrade *u)
{
	for (size_t i = 0; i < sizeof u->owned / sizeof *u->owned; i++)
		free(u->owned[i]);
	for (int i = 0; i < u->nchanges; i++) {
		free(u->changes[i].id);
		free(u->changes[i].says);
		free(u->changes[i].key);
		free(u->changes[i].hash);
	}
	free(u->changes);
	memset(u, 0, sizeof *u);
}

const struct format *format_find(const char *name)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

const struct format *format_at(size_t i)
{
	return i < NFORMATS ? table[i] : NULL;
}

const char *format_names(void)
{
	static char names[256];
	if (!names[0])
		for (size_t i = 0; i < NFORMATS; i++) {
			size_t n = strlen(names);
			/* the names are the table's own constants: they fit by construction */
			snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
			         table[i]->name);
		}
	return names;
}

/* The format of d from its shape: the one whose detect() matches, else the fallback. */
static const struct format *pick(const struct source_dir *d, bool quiet, struct err *e)
{
	const struct format *found = NULL, *fallback = NULL;
	const char *found_why = NULL;
	for (size_t i = 0; i < NFORMATS; i++) {
		const char *why = NULL;
		if (!table[i]->detect) {
			fallback = table[i];
			continue;
		}
		int r = table[i]->detect(d, &why, e);
		if (r < 0)
			return NULL;
		if (r > 0 && found) {
			err_set(e, EXIT_CONFIG, "format_ambiguous", "Say which one with --format.",
			        NULL,
			        "the folder \"%s\" matches more than one migration format (%s: "
			        "%s; "
			        "%s: %s)",
			        d->path, found->name, found_why, table[i]->name, why);
			return NULL;
		}
		if (r > 0) {
			found = table[i];
			found_why = why;
		}
	}
	if (quiet)
		;
	else if (found)
		log_debug("migrations in %s: %s format (%s)", d->path, found->name, found_why);
	else
		log_debug("migrations in %s: %s format (no other format's marks)", d->path,
		          fallback->name);
	return found ? found : fallback;
}

int format_load(const char *dir, const struct format *f, struct migset *set, struct err *e)
{
	memset(set, 0, sizeof *set);
	struct source_dir d;
	int rc = source_list(dir, &d, e);
	if (rc == EXIT_DONE && !f) {
		f = pick(&d, false, e);
		if (!f)
			rc = e->code;
	} else if (rc == EXIT_DONE && f->detect) {
		/* an explicit format still refuses a broken folder of its own (a dangling
		 * journal) instead of reading around it */
		const char *why;
		if (f->detect(&d, &why, e) < 0)
			rc = e->code;
	}
	if (rc == EXIT_DONE) {
		set->format = f;
		set->dir = strdup(dir);
		rc = set->dir ? f->load(&d, set, e)
		              : err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	source_free(&d);
	return rc;
}

const struct format *format_guess(const char *dir)
{
	struct source_dir d;
	struct err e;
	const struct format *f = NULL;
	if (source_list(dir, &d, &e) == EXIT_DONE)
		f = pick(&d, true, &e);
	source_free(&d);
	return f;
}
