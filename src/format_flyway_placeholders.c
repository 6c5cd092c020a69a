/* format_flyway_placeholders.c - Flyway's placeholders: ${name} in a migration's text,
 * replaced before it runs, with Flyway's defaults (${flyway:defaultSchema}, ...) and the
 * user's (FLYWAY_PLACEHOLDERS_<NAME>).
 *
 * From Flyway's source (github.com/flyway/flyway, commit
 * c5e20fc77341d4117e7a291214e23f89c1371516): flyway-core .../internal/parser/
 * PlaceholderReplacingReader.java and ParsingContext.java. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "checksum.h"
#include "exitcode.h"
#include "format_flyway.h"
#include "source.h"

extern char **environ;

/* A URL's percent-decoded part [s, e) (malloc'd) */
static char *decode_part(const char *s, const char *e)
{
	char *o = malloc((size_t)(e - s) + 1), *w = o;
	if (!o)
		return NULL;
	while (s < e) {
		if (*s == '%' && e - s >= 3 && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			char hex[3] = {s[1], s[2], 0};
			*w++ = (char)strtol(hex, NULL, 16);
			s += 3;
		} else
			*w++ = *s++;
	}
	*w = '\0';
	return o;
}

/* The user and database a postgres URL (or a JDBC one, jdbc:postgresql:...) names */
static void url_names(const char *url, char **user, char **db)
{
	*user = *db = NULL;
	if (!url)
		return;
	if (strncmp(url, "jdbc:", 5) == 0)
		url += 5;
	const char *p = strstr(url, "://");
	if (!p)
		return;
	p += 3;
	const char *auth_end = p + strcspn(p, "/?#");
	const char *at = NULL;
	for (const char *c = p; c < auth_end; c++)
		if (*c == '@')
			at = c;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		*user = decode_part(p, colon ? colon : at);
	}
	if (*auth_end == '/') {
		const char *s = auth_end + 1, *e = s + strcspn(s, "?#");
		if (e > s)
			*db = decode_part(s, e);
	}
	const char *q = strchr(auth_end, '?');
	while (q && !*user) { /* ?user=... (JDBC and libpq alike) */
		q++;
		if (strncmp(q, "user=", 5) == 0) {
			const char *e = q + 5 + strcspn(q + 5, "&#");
			*user = decode_part(q + 5, e);
		}
		q = strchr(q, '&');
	}
}

/* FLYWAY_PLACEHOLDERS_<NAME> (the name matched ignoring case, as Flyway's map does) */
static const char *user_placeholder(const char *name, size_t n)
{
	static const char pre[] = "FLYWAY_PLACEHOLDERS_";
	for (char **e = environ; e && *e; e++) {
		if (strncmp(*e, pre, sizeof pre - 1) != 0)
			continue;
		const char *k = *e + sizeof pre - 1, *eq = strchr(k, '=');
		if (eq && (size_t)(eq - k) == n && strncasecmp(k, name, n) == 0)
			return eq + 1;
	}
	return NULL;
}

const char *flyway_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The value of placeholder name[0..n), or NULL with e filled */
static const char *placeholder_value(struct flyway_ph *c, const char *name, size_t n, char *buf,
                                     size_t cap, struct err *e)
{
	const char *v = user_placeholder(name, n);
	if (v)
		return v;
	char shown[512], file[768];
	snprintf(shown, sizeof shown, "${%.*s}", (int)(n > 400 ? 400 : n), name);
	utf8_escape(c->file, file, sizeof file);
#define IS(lit) (n == strlen(lit) && strncasecmp(name, lit, n) == 0)
	if (IS("flyway:filename"))
		return c->file;
	if (IS("flyway:timestamp"))
		return c->timestamp;
	if (IS("flyway:table"))
		return flyway_env("FLYWAY_TABLE") ? flyway_env("FLYWAY_TABLE")
		                                  : "flyway_schema_history";
	if (IS("flyway:environment"))
		return flyway_env("FLYWAY_ENVIRONMENT") ? flyway_env("FLYWAY_ENVIRONMENT")
		                                        : "default";
	if (IS("flyway:workingDirectory"))
		return getcwd(buf, cap) ? buf : ".";
	if (IS("flyway:defaultSchema")) {
		if (flyway_env("FLYWAY_DEFAULT_SCHEMA"))
			return flyway_env("FLYWAY_DEFAULT_SCHEMA");
		const char *s = flyway_env("FLYWAY_SCHEMAS");
		if (s) {
			size_t l = strcspn(s, ",");
			snprintf(buf, cap, "%.*s", (int)(l < cap ? l : cap - 1), s);
			return buf;
		}
		err_set(e, EXIT_CONFIG, "placeholder_unresolved",
		        "Set FLYWAY_DEFAULT_SCHEMA (or FLYWAY_SCHEMAS) to the schema Flyway would "
		        "use.",
		        "Flyway takes the connection's current schema here; dbready reads the "
		        "folder "
		        "before it connects.",
		        "migration file \"%s\" uses %s, which neither FLYWAY_DEFAULT_SCHEMA nor "
		        "FLYWAY_SCHEMAS gives",
		        file, shown);
		return NULL;
	}
	if (IS("flyway:user")) {
		if (flyway_env("FLYWAY_USER"))
			return flyway_env("FLYWAY_USER");
		if (c->url_user)
			return c->url_user;
		err_set(e, EXIT_CONFIG, "placeholder_unresolved",
		        "Set FLYWAY_USER, or name the user in DATABASE_URL/FLYWAY_URL.",
		        "Flyway takes the connection's current_user; dbready reads the folder "
		        "before it connects.",
		        "migration file \"%s\" uses %s, and no user is configured", file, shown);
		return NULL;
	}
	if (IS("flyway:database")) {
		if (c->url_db)
			return c->url_db;
		err_set(e, EXIT_CONFIG, "placeholder_unresolved",
		        "Name the database in DATABASE_URL/FLYWAY_URL.",
		        "Flyway takes the connection's database; dbready reads the folder before "
		        "it connects.",
		        "migration file \"%s\" uses %s, and no database is named", file, shown);
		return NULL;
	}
#undef IS
	bool builtin = n >= 7 && strncasecmp(name, "flyway:", 7) == 0;
	err_set(e, EXIT_MIGRATIONS, "placeholder_undefined",
	        builtin ? "Flyway has no such default placeholder; correct its name."
	                : "Define it: FLYWAY_PLACEHOLDERS_<NAME>=value (the name ignoring case), "
	                  "as for Flyway.",
	        builtin ? "Flyway refuses it too: \"Failed to populate value for default "
	                  "placeholder\"."
	                : "Flyway refuses it too: \"No value provided for placeholder\".",
	        "migration file \"%s\" uses the placeholder %s, which is not defined", file,
	        shown);
	return NULL;
}

/* Replace "${name}" in text as PlaceholderReplacingReader does (a "${" without "}" reads to
 * the end: an undefined placeholder). *text (malloc'd, *len) is replaced. */
int flyway_replace_placeholders(struct flyway_ph *c, char **text, size_t *len, struct err *e)
{
	const char *t = *text;
	bool any = false;
	for (size_t i = 0; i + 1 < *len && !any; i++)
		any = t[i] == '$' && t[i + 1] == '{';
	if (!any)
		return EXIT_DONE;
	size_t cap = *len + 64, n = 0;
	char *out = malloc(cap);
	if (!out)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	char buf[4096];
	for (size_t i = 0; i < *len;) {
		const char *v;
		size_t vl, adv;
		const char *open = i + 1 < *len && t[i] == '$' && t[i + 1] == '{' ? t + i : NULL;
		if (open) {
			const char *close = memchr(open + 2, '}', *len - i - 2);
			size_t nl = close ? (size_t)(close - open - 2) : *len - i - 2;
			v = placeholder_value(c, open + 2, nl, buf, sizeof buf, e);
			if (!v) {
				free(out);
				return e->code;
			}
			vl = strlen(v);
			adv = nl + 2 + (close ? 1 : 0);
		} else {
			v = t + i;
			vl = 1;
			adv = 1;
		}
		if (n + vl + 1 > cap) {
			cap = (n + vl + 1) * 2;
			char *g = realloc(out, cap);
			if (!g) {
				free(out);
				return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL,
				               "out of memory");
			}
			out = g;
		}
		memcpy(out + n, v, vl);
		n += vl;
		i += adv;
	}
	out[n] = '\0';
	free(*text);
	*text = out;
	*len = n;
	return EXIT_DONE;
}

void flyway_ph_init(struct flyway_ph *c)
{
	memset(c, 0, sizeof *c);
	time_t now = time(NULL);
	struct tm tm;
	strftime(c->timestamp, sizeof c->timestamp, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
	const char *url =
	        flyway_env("DATABASE_URL") ? flyway_env("DATABASE_URL") : flyway_env("FLYWAY_URL");
	url_names(url, &c->url_user, &c->url_db); /* out of memory: not named */
}

void flyway_ph_free(struct flyway_ph *c)
{
	free(c->url_user);
	free(c->url_db);
	memset(c, 0, sizeof *c);
}
