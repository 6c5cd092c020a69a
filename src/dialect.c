/* dialect.c - the migration tools' own configuration (dialect.h). */
#define _POSIX_C_SOURCE 200809L
#include "dialect.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

/* What the table says of a URL parameter: the first format that reads it (*owner), or NULL.
 * A CA file parameter is libpq's own name with another meaning (Prisma's sslcert): it is the
 * tool's only when f, the format the URL is read for, is that tool's. */
static const struct fsetting *url_param(const char *name, size_t len, const struct format *f,
                                        const struct format **owner)
{
	for (size_t i = 0; format_at(i); i++) {
		const struct fsetting *s = format_at(i)->url_params;
		for (; s && s->name; s++)
			if (strlen(s->name) == len && strncmp(s->name, name, len) == 0 &&
			    (s->kind != FSET_CA_FILE || format_at(i) == f)) {
				*owner = format_at(i);
				return s;
			}
	}
	return NULL;
}

const struct format *dialect_owner(const char *name)
{
	const struct format *owner = NULL;
	for (size_t i = 0; !owner && format_at(i); i++)
		url_param(name, strlen(name), format_at(i), &owner);
	return owner;
}

static bool tool_scheme(const char *scheme, size_t len)
{
	for (size_t i = 0; format_at(i); i++) {
		const char *const *s = format_at(i)->url_schemes;
		for (; s && *s; s++)
			if (strlen(*s) == len && strncmp(*s, scheme, len) == 0)
				return true;
	}
	return false;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* s[0..n) percent-decoded ('+' stays '+', as libpq reads it), malloc'd */
static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

void dialect_free(struct dialect *d)
{
	for (int i = 0; i < d->n; i++) {
		free(d->p[i].name);
		free(d->p[i].value);
	}
	free(d->search_path);
	memset(d, 0, sizeof *d);
}

static int keep(struct dialect *d, const char *k, size_t klen, const char *v, size_t vlen,
                char *why, size_t cap)
{
	if (!vlen && klen) { /* "?schema=" or "?schema": nothing to read */
		snprintf(why, cap, "The URL parameter %.*s has no value.",
		         (int)(klen < 64 ? klen : 64), k);
		return -1;
	}
	for (int i = 0; i < d->n; i++)
		if (strlen(d->p[i].name) == klen && strncmp(d->p[i].name, k, klen) == 0) {
			snprintf(why, cap, "The URL parameter %s is given twice.", d->p[i].name);
			return -1;
		}
	if (d->n == DIALECT_MAX) {
		snprintf(why, cap, "The URL has more than %d migration tools' parameters.",
		         DIALECT_MAX);
		return -1;
	}
	struct dialect_param *p = &d->p[d->n];
	p->name = strndup(k, klen);
	p->value = decode(v, vlen);
	if (!p->name || !p->value) {
		free(p->name);
		free(p->value);
		snprintf(why, cap, "Out of memory.");
		return -1;
	}
	d->n++;
	if (strcmp(p->name, "search_path") == 0) {
		free(d->search_path); /* an explicit search_path beats a tool's schema */
		if (!(d->search_path = strdup(p->value))) {
			snprintf(why, cap, "Out of memory.");
			return -1;
		}
	}
	return 0;
}

/* A tool's schema parameter (Prisma's ?schema=) as the session's search_path: the name
 * quoted, as Prisma sets it, unless the URL gives search_path itself. */
static int schema_path(struct dialect *d, const char *name, char *why, size_t cap)
{
	if (d->search_path)
		return 0;
	char *q = malloc(2 * strlen(name) + 3);
	if (!q) {
		snprintf(why, cap, "Out of memory.");
		return -1;
	}
	size_t o = 0;
	q[o++] = '"';
	for (const char *c = name; *c; c++) {
		if (*c == '"')
			q[o++] = '"';
		q[o++] = *c;
	}
	q[o++] = '"';
	q[o] = '\0';
	d->search_path = q;
	return 0;
}

int dialect_take(const char *url, const struct format *f, char **out, struct dialect *d, char *why,
                 size_t cap)
{
	*out = NULL;
	const char *sep = strstr(url, "://");
	const char *eq = strchr(url, '=');
	if (!sep || (eq && eq < sep))
		return 0; /* key=value pairs: libpq's own keys only */
	/* a JDBC URL (Flyway's FLYWAY_URL): jdbc:postgresql://host/db?user=... */
	bool jdbc = strncmp(url, "jdbc:postgresql://", 18) == 0;
	if (jdbc)
		url += 5;
	bool alias = !jdbc && tool_scheme(url, (size_t)(sep - url));
	/* the query starts at the first '?' after the userinfo (a password is percent-encoded;
	 * an unencoded one is dburl's to explain, and no parameter is taken then) */
	const char *at = strrchr(sep + 3, '@');
	const char *q = strchr(at ? at : sep + 3, '?');
	size_t len = strlen(url);
	char *buf = malloc(len + sizeof "postgres");
	if (!buf) {
		snprintf(why, cap, "Out of memory.");
		return -1;
	}
	size_t o = 0;
	const char *rest = alias ? sep : url;
	if (alias) {
		memcpy(buf, "postgres", 8);
		o = 8;
	}
	size_t head = (size_t)((q ? q : url + len) - rest);
	memcpy(buf + o, rest, head);
	o += head;
	bool changed = alias || jdbc, first = true;
	const char *schema = NULL, *list = NULL;
	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);
		const char *e = memchr(p, '=', n);
		size_t klen = e ? (size_t)(e - p) : n;
		const struct format *owner = NULL;
		const struct fsetting *s = url_param(p, klen, f, &owner);
		if (s || (klen == 11 && strncmp(p, "search_path", 11) == 0)) {
			if (keep(d, p, klen, e ? e + 1 : p + n, e ? n - klen - 1 : 0, why, cap) !=
			    0) {
				free(buf);
				return -1;
			}
			/* another tool's schema is ignored (run.c says so), not sent */
			if (s && s->kind == FSET_SCHEMA && (!f || f == owner))
				schema = d->p[d->n - 1].value;
			/* a tool's own name for the search_path (pgjdbc's currentSchema) */
			if (s && s->kind == FSET_SCHEMA_LIST &&
			    strcmp(s->name, "search_path") != 0)
				list = d->p[d->n - 1].value;
			changed = true;
		} else if (n) {
			buf[o++] = first ? '?' : '&';
			memcpy(buf + o, p, n);
			o += n;
			first = false;
		}
		p = amp ? amp + 1 : NULL;
	}
	buf[o] = '\0';
	if (list && !d->search_path && !(d->search_path = strdup(list))) {
		snprintf(why, cap, "Out of memory.");
		free(buf);
		return -1;
	}
	if (schema && schema_path(d, schema, why, cap) != 0) {
		free(buf);
		return -1;
	}
	if (!changed) {
		free(buf);
		return 0;
	}
	*out = buf;
	return 0;
}

const char *dialect_env(enum fsetting_kind kind, const char **name, const struct format **f)
{
	for (size_t i = 0; format_at(i); i++) {
		const char *v = dialect_env_of(format_at(i), kind, name);
		if (v) {
			if (f)
				*f = format_at(i);
			return v;
		}
	}
	return NULL;
}

/* f's URL parameter of this kind (its value), or NULL; name says which */
static const char *f_url(const struct format *f, const struct dialect *d, enum fsetting_kind kind,
                         const char **name)
{
	for (const struct fsetting *s = f->url_params; s && s->name; s++)
		for (int i = 0; s->kind == kind && i < d->n; i++)
			if (strcmp(d->p[i].name, s->name) == 0) {
				*name = s->name;
				return d->p[i].value;
			}
	return NULL;
}

const char *dialect_env_of(const struct format *f, enum fsetting_kind kind, const char **name)
{
	for (const struct fsetting *s = f->env; s && s->name; s++) {
		const char *v = s->kind == kind ? getenv(s->name) : NULL;
		if (v && *v) {
			*name = s->name;
			return v;
		}
	}
	return NULL;
}

/* name quoted as one identifier into out: "a""b" */
static void quote_whole(const char *name, char *out, size_t cap)
{
	size_t o = 0;
	if (cap < 3)
		return;
	out[o++] = '"';
	for (; *name && o + 3 < cap; name++) {
		if (*name == '"')
			out[o++] = '"';
		out[o++] = *name;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* the first entry of a search_path, unquoted ("$user" is skipped, as PostgreSQL skips a
 * schema that does not exist: dbmate takes the first entry as written) */
static bool first_schema(const char *sp, char *out, size_t cap)
{
	while (*sp == ' ' || *sp == '\t')
		sp++;
	size_t n = strcspn(sp, ",");
	while (n && (sp[n - 1] == ' ' || sp[n - 1] == '\t'))
		n--;
	if (n >= 2 && sp[0] == '"' && sp[n - 1] == '"') {
		sp++;
		n -= 2;
	}
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, sp, n);
	out[n] = '\0';
	return true;
}

bool dialect_history_table(const struct format *f, const struct dialect *d, char *spec, size_t cap,
                           char *why, size_t wcap)
{
	const char *name = NULL, *qname = NULL;
	const char *v = f_url(f, d, FSET_TABLE, &name);
	const char *whole = v ? NULL : f_url(f, d, FSET_TABLE_NAME, &name);
	if (!v && !whole)
		v = dialect_env_of(f, FSET_TABLE, &name);
	if (!v && !whole)
		whole = dialect_env_of(f, FSET_TABLE_NAME, &name);
	const char *quoted = f_url(f, d, FSET_TABLE_QUOTED, &qname);
	if (whole && quoted && (strcmp(quoted, "1") == 0 || strcasecmp(quoted, "true") == 0)) {
		v = whole; /* "schema"."table", quotes and all */
		whole = NULL;
	}
	/* a name longer than PostgreSQL's 63 bytes is passed on as written, for
	 * history_init() to refuse with its message, never cut */
	char table[300] = "";
	if ((v && strlen(v) >= sizeof table) || (whole && 2 * strlen(whole) + 3 > sizeof table)) {
		snprintf(spec, cap, "%s", v ? v : whole);
		snprintf(why, wcap, "%s", name);
		return true;
	}
	if (v)
		snprintf(table, sizeof table, "%s", v);
	else if (whole)
		quote_whole(whole, table, sizeof table);
	/* the tool's variables first, a schema, then a list whose first entry is the history
	 * table's schema (FLYWAY_DEFAULT_SCHEMA, then FLYWAY_SCHEMAS, as Flyway reads them);
	 * then the URL's: a search_path the tool reads as the history table's schema (dbmate's
	 * search_path, pgjdbc's currentSchema), or a schema parameter (Prisma's ?schema=) */
	const char *sname = NULL, *sp = NULL;
	const char *one = dialect_env_of(f, FSET_SCHEMA, &sname);
	if (!one)
		sp = dialect_env_of(f, FSET_SCHEMA_LIST, &sname);
	if (!one && !sp)
		sp = f_url(f, d, FSET_SCHEMA_LIST, &sname);
	char schema[128];
	bool has_schema = sp && first_schema(sp, schema, sizeof schema);
	if (!one && !has_schema)
		one = f_url(f, d, FSET_SCHEMA, &sname);
	if (one && strlen(one) >= sizeof schema) {
		/* longer than PostgreSQL's 63 bytes: history_init() refuses it, naming it */
		snprintf(spec, cap, "%s", one);
		snprintf(why, wcap, "%s", sname);
		return true;
	}
	if (one) {
		snprintf(schema, sizeof schema, "%s", one);
		has_schema = true;
	}
	if (!*table && !has_schema)
		return false;
	if (!*table)
		quote_whole(f->table, table, sizeof table);
	bool qualified = v && (strchr(table, '.') != NULL);
	if (has_schema && !qualified) {
		char qs[300];
		quote_whole(schema, qs, sizeof qs);
		snprintf(spec, cap, "%s.%s", qs, table);
		snprintf(why, wcap, "%s%s%s", name ? name : "", name ? " and " : "", sname);
	} else {
		snprintf(spec, cap, "%s", table);
		snprintf(why, wcap, "%s", name);
	}
	return true;
}

int dialect_tls(const struct format *f, const struct dialect *d, struct dialect_tls *t, char *why,
                size_t wcap, char *hint, size_t hcap)
{
	memset(t, 0, sizeof t[0]);
	const char *name = NULL;
	if (f_url(f, d, FSET_TLS_IDENTITY, &name)) {
		snprintf(why, wcap,
		         "%s names a PKCS#12 file (the client certificate and key in one), which "
		         "libpq cannot read.",
		         name);
		snprintf(
		        hint, hcap,
		        "Convert it to PEM files (openssl pkcs12 -in id.p12 -clcerts -nokeys -out "
		        "client.crt; openssl pkcs12 -in id.p12 -nocerts -nodes -out client.key; "
		        "chmod "
		        "600 client.key), give them to libpq as PGSSLCERT and PGSSLKEY (in a %s "
		        "URL "
		        "sslcert names the CA file), and remove %s and its password from the URL.",
		        f->name, name);
		return -1;
	}
	const char *accept = f_url(f, d, FSET_TLS_ACCEPT, &t->accept_name);
	t->ca_file = f_url(f, d, FSET_CA_FILE, &t->ca_name);
	/* quaint (postgres/url.rs) reads any value but accept_invalid_certs as strict */
	t->verify_full = accept && strcmp(accept, "accept_invalid_certs") != 0;
	/* an explicit accept_invalid_certs asks for no check: the CA file is not given to libpq,
	 * which would check the chain against it */
	if (accept && !t->verify_full && t->ca_file) {
		t->ca_skipped = true;
		t->ca_file = NULL;
	}
	return 0;
}

long long dialect_timeout_ms(const struct format *f, const struct dialect *d)
{
	const char *name;
	const char *v = f_url(f, d, FSET_TIMEOUT_MS, &name);
	if (!v || !*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 10)
		return -1;
	long long ms = strtoll(v, NULL, 10);
	return ms > 2147483647LL ? -1 : ms;
}

char *dialect_options(const char *base, const char *search_path)
{
	/* libpq splits options at white space; a backslash keeps the next character */
	size_t n =
	        (base ? strlen(base) + 1 : 0) + sizeof "-c search_path=" + 2 * strlen(search_path);
	char *out = malloc(n);
	if (!out)
		return NULL;
	size_t o = 0;
	if (base && *base) {
		o = strlen(base);
		memcpy(out, base, o);
		out[o++] = ' ';
	}
	memcpy(out + o, "-c search_path=", 15);
	o += 15;
	for (const char *p = search_path; *p; p++) {
		if (*p == ' ' || *p == '\\' || *p == '\t')
			out[o++] = '\\';
		out[o++] = *p;
	}
	out[o] = '\0';
	return out;
}

int dialect_dir(const char **dir, const char **name, char *why, size_t cap)
{
	static char folder[4096]; /* a location's path, without its prefix */
	*dir = NULL;
	for (size_t i = 0; format_at(i); i++)
		for (const struct fsetting *s = format_at(i)->env; s && s->name; s++) {
			const char *prefix = format_at(i)->location_prefix;
			const char *v = s->kind == FSET_DIR || s->kind == FSET_LOCATIONS
			                        ? getenv(s->name)
			                        : NULL;
			if (!v || !*v)
				continue;
			*name = s->name;
			if (s->kind == FSET_DIR || !prefix) {
				*dir = v;
				return 1;
			}
			/* "filesystem:db/a, filesystem:db/b": each entry trimmed, its prefix
			 * matched ignoring case (Flyway's LocationParser) */
			while (*v == ' ' || *v == '\t')
				v++;
			size_t n = strcspn(v, ","), pl = strlen(prefix);
			const char *rest = v + n;
			while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
				n--;
			int shown = (int)(n < 200 ? n : 200);
			if (*rest == ',') {
				snprintf(
				        why, cap,
				        "%s names more than one location\nHINT: dbready reads one "
				        "folder: give %s one location (%s<path>), or put the "
				        "migrations of every location into one folder.",
				        s->name, s->name, prefix);
				return -1;
			}
			if (n <= pl || strncasecmp(v, prefix, pl) != 0) {
				size_t c = strcspn(v, ":");
				snprintf(
				        why, cap,
				        "%s location \"%.*s\" is not a %s location\nHINT: dbready "
				        "reads a folder: write %s<path>. A %s%.*s location names "
				        "no "
				        "folder (a location without a prefix is a classpath: "
				        "one).",
				        s->name, shown, v, prefix, prefix,
				        c < n ? "" : "classpath:", (int)(c < n ? c + 1 : 0), v);
				return -1;
			}
			if (memchr(v + pl, '*', n - pl) || memchr(v + pl, '?', n - pl)) {
				snprintf(why, cap,
				         "%s location \"%.*s\" has a wildcard\nHINT: Name the "
				         "folder "
				         "itself: dbready reads one folder.",
				         s->name, shown, v);
				return -1;
			}
			if (n - pl >= sizeof folder) {
				snprintf(why, cap, "%s names a folder longer than %zu bytes",
				         s->name, sizeof folder - 1);
				return -1;
			}
			memcpy(folder, v + pl, n - pl);
			folder[n - pl] = '\0';
			*dir = folder;
			return 1;
		}
	return 0;
}
