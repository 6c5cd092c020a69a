/* dburl.c - load DATABASE_URL, parse it with libpq, check it offline and redact it. */
#define _POSIX_C_SOURCE 200809L
#include "dburl.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "secretfile.h"
#include "exitcode.h"

#define URL_FILE_MAX (64 * 1024)

static void add_finding(struct dburl *u, enum log_level level, const char *code, const char *hint,
                        const char *detail, const char *fmt, ...)
        __attribute__((format(printf, 6, 7)));

static void add_finding(struct dburl *u, enum log_level level, const char *code, const char *hint,
                        const char *detail, const char *fmt, ...)
{
	if (level == LOG_ERROR)
		u->nerrors++;
	if (u->nfindings == DBURL_MAX_FINDINGS)
		return;
	struct finding *f = &u->findings[u->nfindings++];
	f->level = level;
	snprintf(f->code, sizeof f->code, "%s", code);
	/* a finding may quote libpq, which quotes the input: never keep a secret in it, and
	 * scrub each text whole before it is cut to its field's size */
	va_list ap;
	va_start(ap, fmt);
	log_vformat_scrubbed(f->msg, sizeof f->msg, fmt, ap);
	va_end(ap);
	char *d = log_scrubbed_dup(detail ? detail : ""), *h = log_scrubbed_dup(hint ? hint : "");
	log_cut_copy(f->detail, sizeof f->detail, d ? d : "***");
	log_cut_copy(f->hint, sizeof f->hint, h ? h : "***");
	log_wipe_free(d);
	log_wipe_free(h);
}

const struct finding *dburl_find(const struct dburl *u, const char *code)
{
	for (int i = 0; i < u->nfindings; i++)
		if (strcmp(u->findings[i].code, code) == 0)
			return &u->findings[i];
	return NULL;
}

void dburl_log_findings(const struct dburl *u)
{
	for (int i = 0; i < u->nfindings; i++) {
		const struct finding *f = &u->findings[i];
		struct log_fields lf = LOG_FIELDS_INIT;
		lf.event = f->code;
		lf.detail = f->detail;
		lf.hint = f->hint;
		if (f->level == LOG_ERROR)
			lf.exit_code = EXIT_CONFIG;
		log_emit(f->level, &lf, "%s", f->msg);
	}
}

void dburl_free(struct dburl *u)
{
	if (u->conninfo)
		PQconninfoFree(u->conninfo);
	for (int i = 0; i < u->nhosts; i++) {
		free(u->hosts[i].name);
		free(u->hosts[i].port);
	}
	if (u->text) {
		memset(u->text, 0, strlen(u->text));
		free(u->text);
	}
	if (u->rewritten) {
		memset(u->rewritten, 0, strlen(u->rewritten));
		free(u->rewritten);
	}
	free(u->options);
	dialect_free(&u->dialect);
	memset(u, 0, sizeof *u);
}

/* ---------- small string helpers ---------- */

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode [s, s+n) into out (capacity cap); invalid escapes are copied as they are. */
static void pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		if (s[i] == '%' && i + 2 < n + 0 && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* Register [s, s+n) as a secret, as it is and percent-decoded (libpq quotes either). */
static void add_secret_forms(const char *s, size_t n)
{
	char *raw = malloc(n + 1), *dec = malloc(n + 1);
	if (raw && dec) {
		memcpy(raw, s, n);
		raw[n] = '\0';
		pct_decode(s, n, dec, n + 1);
		log_add_secret(raw);
		log_add_secret(dec);
	} else {
		log_fail_closed(); /* nothing could be stored: every scrubbed text becomes "***" */
	}
	log_wipe_free(raw);
	log_wipe_free(dec);
}

/* A key=value conninfo value in single quotes, as libpq reads it: \x is x. */
static void add_quoted_secret(const char *v)
{
	size_t n = 0;
	while (v[n] && v[n] != '\'') {
		if (v[n] == '\\' && v[n + 1])
			n++;
		n++;
	}
	add_secret_forms(v, n); /* as written */
	char *plain = malloc(n + 1);
	if (!plain) {
		log_fail_closed();
		return;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\\' && i + 1 < n)
			i++;
		plain[o++] = v[i];
	}
	plain[o] = '\0';
	log_add_secret(plain);
	log_wipe_free(plain);
}

static bool is_conninfo_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Register, before libpq sees the string, every text that may be a password in it, in each
 * form libpq or dbready may quote back: the userinfo password as libpq delimits it (first ':'
 * to the first '@') and as dbready does (to the last '@'), and the value of every
 * "password=" (and "sslpassword=") parameter, to the next '&', to the next space and to the
 * end, raw and percent-decoded, and quoted values unescaped. A hand scan that cannot fail:
 * it accepts anything, and registering too much only masks more. */
static void register_password_candidates(const char *url)
{
	const char *sep = strstr(url, "://");
	if (sep) {
		const char *rest = sep + 3;
		const char *colon = strchr(rest, ':');
		const char *last_at = strrchr(rest, '@');
		int ends = 0;
		if (colon && last_at && last_at > colon) {
			/* each '@' after the colon may end the password: the first few, and the
			 * last */
			for (const char *at = strchr(colon, '@'); at && ends < 16;
			     at = strchr(at + 1, '@'), ends++)
				add_secret_forms(colon + 1, (size_t)(at - colon - 1));
			add_secret_forms(colon + 1, (size_t)(last_at - colon - 1));
		}
	}
	/* parameters: case-insensitively, so that a misspelt key is masked too */
	for (const char *p = url; *p; p++) {
		if (strncasecmp(p, "password", 8) != 0)
			continue;
		const char *v = p + 8;
		while (is_conninfo_space(*v))
			v++;
		if (*v != '=')
			continue;
		v++;
		while (is_conninfo_space(*v))
			v++;
		if (*v == '\'') {
			add_quoted_secret(v + 1);
			continue;
		}
		size_t amp = strcspn(v, "&"), space = strcspn(v, " \t\n\r\f\v");
		add_secret_forms(v, sep ? amp : space);
		if ((sep ? amp : space) > 0)
			add_secret_forms(v, strlen(v));
		if (!sep)
			continue;
		/* an unencoded '&' in the value: libpq quotes the pieces after it as parameter
		 * names ("missing key/value separator"); register each up to the next
		 * key=value piece that reads as a parameter of its own */
		for (const char *q = v + amp; *q == '&';) {
			q++;
			size_t len = strcspn(q, "&"), key = strcspn(q, "=&");
			bool param = key < len && key > 0;
			for (size_t i = 0; param && i < key; i++)
				if (!((q[i] >= 'a' && q[i] <= 'z') || q[i] == '_'))
					param = false;
			if (param)
				break;
			add_secret_forms(q, len);
			q += len;
		}
	}
}

/* Does the string have a "password" (or "sslpassword") key, in any case? */
static bool has_password_param(const char *url)
{
	for (const char *p = url; *p; p++)
		if (strncasecmp(p, "password", 8) == 0)
			return true;
	return false;
}

/* Append to a bounded buffer. */
static void cat(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

/* Append s percent-encoded (everything but RFC 3986 unreserved characters and the '*' of
 * the "***" that masks a secret). */
static void cat_encoded(char *buf, size_t cap, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '*')
			cat(buf, cap, "%c", c);
		else
			cat(buf, cap, "%%%02X", c);
	}
}

static bool is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "::1") == 0 || strcmp(host, "[::1]") == 0;
}

/* ---------- raw checks before libpq sees the string ---------- */

struct scheme_hint {
	const char *prefix;
	const char *hint;
};

static const struct scheme_hint wrong_schemes[] = {
        {"jdbc:", "Drop the \"jdbc:\" prefix: write postgres://user:password@host:5432/db "
                  "(JDBC's ?user=&password= parameters become the user:password@ part)."},
        {"postgres+", "That is an SQLAlchemy driver URL: write postgres:// without the "
                      "\"+driver\" part."},
        {"postgresql+", "That is an SQLAlchemy driver URL: write postgresql:// without the "
                        "\"+driver\" part."},
        {"prisma", "That is a Prisma Accelerate URL: give dbready the direct database URL "
                   "(Prisma's directUrl)."},
        {"postgis:", "Write postgres:// instead of postgis:// (a Django dj-database-url "
                     "scheme)."},
        {"pgsql:", "Write postgres:// instead of pgsql://."},
        {"pg:", "Write postgres:// instead of pg://."},
        {"mysql", "dbready works with PostgreSQL only; this URL names a MySQL server."},
        {"mariadb", "dbready works with PostgreSQL only; this URL names a MariaDB server."},
        {"http", "That is an HTTP endpoint (a REST or serverless driver URL); give dbready the "
                 "postgres:// connection string."},
        {"ws", "That is a WebSocket endpoint (a serverless driver URL); give dbready the "
               "postgres:// connection string."},
};

/* Where the password is in a URI's userinfo, found without libpq, so that it can be masked
 * even when libpq misreads it. */
struct raw_userinfo {
	const char *user; /* start of userinfo, NULL if none */
	size_t user_len;
	const char *pass; /* NULL if no ':' in userinfo */
	size_t pass_len;
	const char *after; /* first character after the '@' */
};

static void scan_userinfo(const char *url, const char *rest, struct raw_userinfo *ri)
{
	(void)url;
	memset(ri, 0, sizeof *ri);
	/* The userinfo ends at the last '@' before the query string, however many '@', '/' or
	 * '?' the password holds unencoded. A query string is the text after the last '?' when
	 * it reads as key=value pairs (has '=' and no '/'), so "?application_name=a@b" is not
	 * taken for a password. */
	size_t limit = strlen(rest);
	const char *q = strrchr(rest, '?');
	if (q && strchr(q, '=') && !strchr(q, '/'))
		limit = (size_t)(q - rest);
	const char *at = NULL;
	for (size_t i = 0; i < limit; i++)
		if (rest[i] == '@')
			at = rest + i;
	if (!at)
		return;
	ri->user = rest;
	ri->after = at + 1;
	const char *colon = memchr(rest, ':', (size_t)(at - rest));
	if (colon) {
		ri->user_len = (size_t)(colon - rest);
		ri->pass = colon + 1;
		ri->pass_len = (size_t)(at - colon - 1);
	} else {
		ri->user_len = (size_t)(at - rest);
	}
}

/* The password with every character but the reserved ones replaced by runs of "***", and
 * the reserved ones percent-encoded: shows how to fix it without showing it. */
static void masked_encoded(const char *p, size_t n, char *out, size_t cap)
{
	out[0] = '\0';
	bool in_run = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bool reserved = strchr("@/#?%:", c) != NULL &&
		                !(c == '%' && i + 2 < n + 0 && hexval(p[i + 1]) >= 0 &&
		                  hexval(p[i + 2]) >= 0);
		if (reserved) {
			cat(out, cap, "%%%02X", c);
			in_run = false;
		} else if (!in_run) {
			cat(out, cap, "***");
			in_run = true;
		}
	}
}

/* Returns true when an error was found (the caller stops before libpq). */
static bool check_raw_password(struct dburl *u, const char *scheme_end,
                               const struct raw_userinfo *ri)
{
	if (ri->user && memchr(ri->user, '@', ri->user_len)) {
		add_finding(u, LOG_ERROR, "user_unencoded_at",
		            "Write \"@\" in the user name as %40 (Azure's user@server form: "
		            "postgres://user%40server:PASSWORD@host/db).",
		            "An unencoded \"@\" ends the user name early, so the rest is read as "
		            "the host.",
		            "the user name in %s contains an unencoded \"@\"", u->origin);
		return true;
	}
	if (!ri->pass)
		return false;
	const char *p = ri->pass;
	size_t n = ri->pass_len;
	bool at = memchr(p, '@', n) != NULL, slash = memchr(p, '/', n) != NULL;
	bool hash = memchr(p, '#', n) != NULL, qmark = memchr(p, '?', n) != NULL;
	bool bad_pct = false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '%' &&
		    !(i + 2 < n + 0 && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0))
			bad_pct = true;
	if (!(at || slash || hash || qmark || bad_pct))
		return false;

	/* chars: at most five fixed items of < 20 bytes each; enc: each password byte becomes
	 * at most three ("%40") */
	char chars[128] = "";
	char *enc = malloc(3 * n + 1);
	if (!enc) {
		add_finding(u, LOG_ERROR, "out_of_memory", NULL, NULL, "out of memory");
		return true;
	}
	masked_encoded(p, n, enc, 3 * n + 1);
	if (at)
		cat(chars, sizeof chars, "%s\"@\" as %%40", *chars ? ", " : "");
	if (slash)
		cat(chars, sizeof chars, "%s\"/\" as %%2F", *chars ? ", " : "");
	if (hash)
		cat(chars, sizeof chars, "%s\"#\" as %%23", *chars ? ", " : "");
	if (qmark)
		cat(chars, sizeof chars, "%s\"?\" as %%3F", *chars ? ", " : "");
	if (bad_pct)
		cat(chars, sizeof chars, "%s\"%%\" as %%25", *chars ? ", " : "");
	char *hint =
	        log_dupf("Percent-encode the password: write %s, e.g. %.*s%.*s:%s@%s (password "
	                 "masked). In a shell: python3 -c 'import urllib.parse,sys; "
	                 "print(urllib.parse.quote(sys.argv[1], safe=\"\"))' \"$PASSWORD\"",
	                 chars, (int)(scheme_end - u->text_start), u->text_start,
	                 (int)ri->user_len, ri->user, enc, ri->after);
	free(enc);
	if (at || slash || bad_pct) {
		const char *what = at ? "\"@\"" : slash ? "\"/\"" : "\"%\"";
		char detail[512];
		snprintf(
		        detail, sizeof detail,
		        at ? "An unencoded \"@\" ends the password early, so the rest of it is "
		             "read "
		             "as the host name."
		        : slash ? "An unencoded \"/\" ends the host part early, so the password "
		                  "is "
		                  "read as a host and port and the real host as the database name."
		                : "A \"%%\" in a URL must start a two-digit hexadecimal escape "
		                  "such as "
		                  "%%40.");
		add_finding(u, LOG_ERROR,
		            at      ? "password_unencoded_at"
		            : slash ? "password_unencoded_slash"
		                    : "password_bad_percent",
		            hint, detail, "the password in %s contains an unencoded %s", u->origin,
		            what);
		free(hint);
		return true;
	}
	add_finding(u, LOG_WARN, hash ? "password_unencoded_hash" : "password_unencoded_qmark",
	            hint,
	            "libpq reads it, but URL parsers in other clients (node-postgres, drizzle, "
	            "Prisma, Python) stop at it, so an application given the same URL fails.",
	            "the password in %s contains an unencoded %s", u->origin,
	            hash ? "\"#\"" : "\"?\"");
	free(hint);
	return false;
}

/* Checks that look at the text itself; true = an error was found. */
static bool check_text(struct dburl *u, const char *url)
{
	const char *o = u->origin;
	size_t len = strlen(url);
	if (len == 0 || is_blank(url)) {
		add_finding(
		        u, LOG_ERROR, "url_empty",
		        "Set it to a URL such as postgres://app:PASSWORD@db:5432/app, or check "
		        "that the Secret key it comes from is not empty.",
		        NULL, "%s is empty", o);
		return true;
	}
	if ((url[0] == '"' || url[0] == '\'') && len > 1) {
		add_finding(
		        u, LOG_ERROR, "url_quoted",
		        "Remove the quotes: docker-compose env_file, Kubernetes and systemd keep "
		        "them as part of the value, unlike a shell.",
		        "The value starts with a quote character.", "%s is wrapped in quotes", o);
		return true;
	}
	if (isspace((unsigned char)url[len - 1]) || isspace((unsigned char)url[0])) {
		bool nl = url[len - 1] == '\n' || url[len - 1] == '\r';
		add_finding(
		        u, LOG_ERROR, nl ? "url_trailing_newline" : "url_whitespace",
		        nl ? "Strip the newline: create the Secret with printf '%s' (not echo), "
		             "or use --url-file/DATABASE_URL_FILE, which ignores a trailing "
		             "newline."
		           : "Remove the spaces around the value.",
		        NULL,
		        nl ? "%s ends with a newline" : "%s has leading or trailing white space",
		        o);
		return true;
	}
	const char *var = strstr(url, "${");
	char close = '}';
	if (!var || !strchr(var, '}')) {
		/* Kubernetes leaves $(VAR) as it is when VAR is not defined before it */
		var = strstr(url, "$(");
		close = ')';
	}
	if (var && strchr(var, close)) {
		size_t vlen = (size_t)(strchr(var, close) - var) + 1;
		/* the variable's name is shown unless it sits inside the password */
		bool in_pass = false;
		const char *sep = strstr(url, "://");
		if (sep) {
			struct raw_userinfo ri;
			scan_userinfo(url, sep + 3, &ri);
			in_pass = ri.pass && var >= ri.pass && var < ri.pass + ri.pass_len;
		}
		char msg[256];
		if (in_pass || vlen > 64)
			snprintf(msg, sizeof msg, "an unexpanded variable reference (\"%s...%c\")",
			         close == '}' ? "${" : "$(", close);
		else
			snprintf(msg, sizeof msg, "the unexpanded variable \"%.*s\"", (int)vlen,
			         var);
		add_finding(
		        u, LOG_ERROR, "url_unexpanded_variable",
		        "Nothing expands variables inside another variable's value here: build "
		        "the URL where it is defined (Kubernetes: $(VAR) references to variables "
		        "defined earlier in env; compose: an .env file), or mount the full URL "
		        "from a Secret.",
		        in_pass ? "The reference is inside the password." : NULL, "%s contains %s",
		        o, msg);
		return true;
	}
	return false;
}

/* Scheme check; returns true on error. Sets *is_uri. */
static bool check_scheme(struct dburl *u, const char *url, bool *is_uri)
{
	const char *sep = strstr(url, "://");
	*is_uri = false;
	/* conninfo strings have '=' before any "://" (e.g. host=... options=...) */
	const char *eq = strchr(url, '=');
	if (!sep || (eq && eq < sep)) {
		if (!eq) {
			add_finding(u, LOG_ERROR, "url_not_a_url",
			            "Write a URL such as postgres://app:PASSWORD@db:5432/app, or "
			            "key=value pairs such as \"host=db user=app dbname=app\".",
			            NULL, "%s is neither a postgres:// URL nor key=value pairs",
			            u->origin);
			return true;
		}
		return false;
	}
	size_t slen = (size_t)(sep - url);
	if ((slen == 8 && strncmp(url, "postgres", 8) == 0) ||
	    (slen == 10 && strncmp(url, "postgresql", 10) == 0)) {
		*is_uri = true;
		return false;
	}
	char scheme[64];
	snprintf(scheme, sizeof scheme, "%.*s", (int)(slen < 40 ? slen : 40), url);
	const char *hint = "Write postgres:// or postgresql://.";
	char lower[64];
	for (size_t i = 0; i <= strlen(scheme); i++)
		lower[i] = (char)tolower((unsigned char)scheme[i]);
	for (size_t i = 0; i < sizeof wrong_schemes / sizeof wrong_schemes[0]; i++)
		if (strncmp(lower, wrong_schemes[i].prefix, strlen(wrong_schemes[i].prefix)) ==
		    0) {
			hint = wrong_schemes[i].hint;
			break;
		}
	if (strcmp(lower, "postgres") == 0 || strcmp(lower, "postgresql") == 0)
		hint = "libpq accepts the scheme in lower case only: write postgres://.";
	add_finding(u, LOG_ERROR, "url_scheme", hint,
	            "libpq accepts postgres:// and postgresql:// URLs and key=value strings.",
	            "%s has the scheme \"%s://\", which is not a PostgreSQL connection URL",
	            u->origin, scheme);
	return true;
}

/* ---------- checks on what libpq parsed ---------- */

static const char *opt_val(PQconninfoOption *opts, const char *kw)
{
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, kw) == 0)
			return o->val && *o->val ? o->val : NULL;
	return NULL;
}

/* libpq's value, else the PG* variable libpq would fall back on. */
static const char *effective(PQconninfoOption *opts, const char *kw, const char *env)
{
	const char *v = opt_val(opts, kw);
	if (!v && env) {
		v = getenv(env);
		if (v && !*v)
			v = NULL;
	}
	return v;
}

static bool one_of(const char *v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(v, *allowed) == 0)
			return true;
	return false;
}

static void check_enum(struct dburl *u, PQconninfoOption *opts, const char *kw, const char *env,
                       const char *const *allowed, const char *list)
{
	const char *v = effective(opts, kw, env);
	if (v && !one_of(v, allowed)) {
		char hint[256];
		snprintf(hint, sizeof hint, "Use one of: %s.", list);
		add_finding(u, LOG_ERROR, "param_invalid", hint, NULL,
		            "invalid value \"%s\" for connection parameter \"%s\" in %s", v, kw,
		            opt_val(opts, kw) ? u->origin : env);
	}
}

static void check_integer(struct dburl *u, PQconninfoOption *opts, const char *kw)
{
	const char *v = opt_val(opts, kw);
	if (!v)
		return;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (*end || errno || n < 0)
		add_finding(u, LOG_ERROR, "param_invalid",
		            "Give a whole number of seconds (e.g. connect_timeout=5).", NULL,
		            "invalid value \"%s\" for connection parameter \"%s\" in %s", v, kw,
		            u->origin);
}

#define HOST_ITEM_MAX 256
/* Split a comma-separated list into out (each item < HOST_ITEM_MAX bytes; *too_long is set
 * when one is longer: the caller fails loudly instead of cutting a host name). */
static int split_list(const char *s, char out[][HOST_ITEM_MAX], int max, bool *too_long)
{
	int n = 0;
	if (!s)
		return 0;
	const char *p = s;
	for (;;) {
		size_t len = strcspn(p, ",");
		if (len >= HOST_ITEM_MAX)
			*too_long = true;
		if (n < max)
			snprintf(out[n], HOST_ITEM_MAX, "%.*s", (int)len, p);
		n++;
		if (!p[len])
			break;
		p += len + 1;
	}
	return n;
}

/* A postgres:// URL hands the migration tools' parameters (Prisma's schema, pgbouncer, ...,
 * search_path) to the dialect before libpq sees it (dialect.h), so libpq names them only in a
 * key=value string: their hints say so. */
static const char *const unknown_param_hints[][2] = {
        {"ssl", "Use sslmode=require (or verify-full) instead of ssl=true."},
        {"schema", "\"schema\" is Prisma's URL parameter: dbready reads it in a postgres:// URL "
                   "(with the prisma format, which --format=prisma or the folder's "
                   "migration_lock.toml picks); in key=value form write options='-c "
                   "search_path=myschema'."},
        {"pgbouncer", "\"pgbouncer=true\" is Prisma's (dropped in a postgres:// URL); remove it, "
                      "and give dbready the direct (non-pooled) endpoint, Prisma's directUrl."},
        {"connection_limit", "That is Prisma's pool setting (dropped in a postgres:// URL); "
                             "remove it."},
        {"pool_timeout", "That is Prisma's pool setting (dropped in a postgres:// URL); "
                         "remove it."},
        {"sslaccept", "That is Prisma's (read in a postgres:// URL); in key=value form use "
                      "sslmode=verify-full, or sslmode=require."},
        {"sslfactory", "That is JDBC's; use sslmode and sslrootcert."},
        {"sslcert_password", "Use sslpassword."},
        {"search_path", "Use options='-c search_path=myschema' (search_path is read in a "
                        "postgres:// URL only)."},
        {"timezone", "Use options=-ctimezone%3DUTC."},
        {"statement_timeout", "Use --statement-timeout (DBREADY_STATEMENT_TIMEOUT)."},
        {"max", "That is a pool setting of node-postgres; remove it."},
};

static void relay_parse_error(struct dburl *u, const char *libpq_msg)
{
	/* scrubbed whole first: libpq quotes the whole URI, which a cut could split mid-secret;
	 * add_finding() cuts it visibly */
	char *said = log_scrubbed_dup(libpq_msg);
	char *detail = log_dupf("libpq says: %s", said ? said : "***");
	log_wipe_free(said);
	if (!detail) {
		add_finding(u, LOG_ERROR, "out_of_memory", NULL, NULL, "out of memory");
		return;
	}
	size_t dl = strlen(detail);
	while (dl && (detail[dl - 1] == '\n'))
		detail[--dl] = '\0';
	/* libpq names an unknown parameter as: invalid URI query parameter: "x" or
	 * invalid connection option "x"; both quote the name */
	/* libpq quotes the parameter's name last: invalid URI query parameter: "x" */
	const char *q2 = strrchr(libpq_msg, '"');
	const char *q1 = q2;
	while (q1 && q1 > libpq_msg && q1[-1] != '"')
		q1--;
	q1 = q1 && q1 > libpq_msg ? q1 - 1 : NULL;
	bool unknown_param = strstr(libpq_msg, "invalid URI query parameter") != NULL ||
	                     strstr(libpq_msg, "invalid connection option") != NULL;
	if (unknown_param && q1 && q2 && q2 - q1 < 64) {
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)(q2 - q1 - 1), q1 + 1);
		const char *hint = "Remove it, or check its spelling against libpq's connection "
		                   "parameters (sslmode, connect_timeout, application_name, "
		                   "options, target_session_attrs, ...).";
		for (size_t i = 0; i < sizeof unknown_param_hints / sizeof unknown_param_hints[0];
		     i++)
			if (strcmp(name, unknown_param_hints[i][0]) == 0)
				hint = unknown_param_hints[i][1];
		add_finding(u, LOG_ERROR, "param_unknown", hint, detail,
		            "unknown connection parameter \"%s\" in %s", name, u->origin);
		free(detail);
		return;
	}
	const char *hint =
	        "Check the URL's shape: postgres://user:password@host:port/database?param=value.";
	if (strstr(libpq_msg, "extra key/value separator"))
		hint = "Percent-encode \"=\" inside a parameter's value as %3D, e.g. "
		       "options=-csearch_path%3Dapp.";
	else if (strstr(libpq_msg, "missing key/value separator"))
		hint = "Give every query parameter a value: ?sslmode=require.";
	add_finding(u, LOG_ERROR, "url_malformed", hint, detail, "%s is malformed", u->origin);
	free(detail);
}

/* Fill hosts[] from host/hostaddr/port; returns false (with a finding) when they do not
 * match up. */
static bool collect_hosts(struct dburl *u, PQconninfoOption *opts)
{
	static char hv[DBURL_MAX_HOSTS][HOST_ITEM_MAX], av[DBURL_MAX_HOSTS][HOST_ITEM_MAX],
	        pv[DBURL_MAX_HOSTS][HOST_ITEM_MAX];
	const char *host = effective(opts, "host", u->from_pg_env ? "PGHOST" : "PGHOST");
	const char *hostaddr = effective(opts, "hostaddr", "PGHOSTADDR");
	const char *port = effective(opts, "port", "PGPORT");
	bool too_long = false;
	int nh = split_list(host, hv, DBURL_MAX_HOSTS, &too_long);
	int na = split_list(hostaddr, av, DBURL_MAX_HOSTS, &too_long);
	int np = split_list(port, pv, DBURL_MAX_HOSTS, &too_long);
	if (too_long) {
		/* a DNS name has at most 253 bytes and a socket path 107: no real one is cut */
		add_finding(u, LOG_ERROR, "host_too_long",
		            "Check the host, hostaddr and port parts of the URL.", NULL,
		            "a host, host address or port in %s is longer than %d bytes",
		            u->origin, HOST_ITEM_MAX - 1);
		return false;
	}
	int n = nh ? nh : na;
	if (nh && na && na != nh) {
		add_finding(u, LOG_ERROR, "hosts_mismatch",
		            "Give one hostaddr per host, in the same order.", NULL,
		            "%s names %d hosts but %d host addresses", u->origin, nh, na);
		return false;
	}
	if (np > 1 && np != (n ? n : 1)) {
		add_finding(u, LOG_ERROR, "hosts_mismatch",
		            "Give one port for all hosts, or one port per host "
		            "(postgres://u@h1:5432,h2:5433/db).",
		            NULL, "%s names %d ports for %d hosts", u->origin, np, n ? n : 1);
		return false;
	}
	if (n > DBURL_MAX_HOSTS) {
		add_finding(u, LOG_ERROR, "hosts_too_many", "Name fewer hosts.", NULL,
		            "%s names %d hosts; dbready handles at most %d", u->origin, n,
		            DBURL_MAX_HOSTS);
		return false;
	}
	for (int i = 0; i < np && i < DBURL_MAX_HOSTS; i++) {
		if (!pv[i][0])
			continue;
		char *end;
		long p = strtol(pv[i], &end, 10);
		if (*end || p < 1 || p > 65535) {
			add_finding(u, LOG_ERROR, "port_invalid",
			            "A port is a number from 1 to 65535, e.g. 5432.", NULL,
			            "invalid port \"%s\" in %s", pv[i], u->origin);
			return false;
		}
	}
	if (n == 0) {
		n = 1;
		hv[0][0] = '\0';
		av[0][0] = '\0';
	}
	for (int i = 0; i < n; i++) {
		struct dbhost *h = &u->hosts[u->nhosts++];
		const char *name = nh ? hv[i] : na ? av[i] : "";
		const char *p = np == 0 ? "5432" : np == 1 ? pv[0] : pv[i];
		if (!*p)
			p = "5432";
		if (!*name)
			name = "/var/run/postgresql"; /* libpq's default socket directory */
		h->name = strdup(name);
		h->port = strdup(p);
		h->is_socket = name[0] == '/' || name[0] == '@';
		h->has_hostaddr = na > 0 && av[i][0];
		if (!h->name || !h->port)
			return false;
	}
	return true;
}

/* Append v percent-encoded with every registered secret masked first: a password repeated
 * in application_name or options must not show in the target. */
static void cat_value(char *buf, size_t cap, const char *v)
{
	char *clean = log_scrubbed_dup(v);
	cat_encoded(buf, cap, clean ? clean : "***");
	log_wipe_free(clean);
}

/* The redacted target is built whole on the heap (its size bounded below: every value byte
 * becomes at most three), then cut visibly into u->redacted. */
static void build_redacted(struct dburl *u, PQconninfoOption *opts)
{
	size_t cap = 64;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		const char *v = u->from_pg_env ? (o->envvar ? getenv(o->envvar) : NULL) : o->val;
		cap += strlen(o->keyword) + 2 + 3 * (v ? strlen(v) : 0) + 3;
	}
	for (int i = 0; i < u->nhosts; i++)
		cap += 3 * strlen(u->hosts[i].name) + strlen(u->hosts[i].port) + 4;
	const char *user = effective(opts, "user", "PGUSER");
	const char *db = effective(opts, "dbname", "PGDATABASE");
	cap += 3 * (user ? strlen(user) : 0) + 3 * (db ? strlen(db) : 0) + 8;
	char *r = malloc(cap);
	if (!r) {
		log_cut_copy(u->redacted, sizeof u->redacted, "postgres://***");
		return;
	}
	r[0] = '\0';
	cat(r, cap, "postgres://");
	if (user) {
		cat_value(r, cap, user);
		if (effective(opts, "password", "PGPASSWORD"))
			cat(r, cap, ":***");
		cat(r, cap, "@");
	}
	for (int i = 0; i < u->nhosts; i++) {
		const struct dbhost *h = &u->hosts[i];
		if (i)
			cat(r, cap, ",");
		if (h->is_socket || strchr(h->name, '@') || strchr(h->name, '/'))
			cat_value(r, cap, h->name);
		else if (strchr(h->name, ':'))
			cat(r, cap, "[%s]", h->name);
		else
			cat_value(r, cap, h->name);
		cat(r, cap, ":%s", h->port);
	}
	cat(r, cap, "/");
	if (!db)
		db = user;
	if (db)
		cat_value(r, cap, db);
	char sep = '?';
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		static const char *const shown_above[] = {"user", "password", "host",
		                                          "port", "dbname",   NULL};
		/* in PG* mode the values come from the environment */
		const char *v = u->from_pg_env ? (o->envvar ? getenv(o->envvar) : NULL) : o->val;
		if (!v || !*v || one_of(o->keyword, shown_above))
			continue;
		cat(r, cap, "%c%s=", sep, o->keyword);
		sep = '&';
		if (strcmp(o->keyword, "sslpassword") == 0 || strcmp(o->keyword, "passfile") == 0)
			cat(r, cap, "***");
		else
			cat_value(r, cap, v);
	}
	char *clean = log_scrubbed_dup(r);
	log_cut_copy(u->redacted, sizeof u->redacted, clean ? clean : "postgres://***");
	log_wipe_free(clean);
	log_wipe_free(r);
}

static void check_parsed(struct dburl *u, PQconninfoOption *opts)
{
	const char *o = u->origin;
	const char *pw = opt_val(opts, "password");
	log_add_secret(pw);
	log_add_secret(opt_val(opts, "sslpassword"));
	log_add_secret(getenv("PGPASSWORD"));
	if (pw && u->tool_password && strcmp(pw, u->tool_password) == 0)
		u->password_origin = u->tool_password_origin;
	else if (pw)
		u->password_origin = u->origin;
	else if (getenv("PGPASSWORD") && *getenv("PGPASSWORD"))
		u->password_origin = "PGPASSWORD";

	if (!collect_hosts(u, opts))
		return;

	const char *user = effective(opts, "user", "PGUSER");
	if (!user)
		add_finding(
		        u, LOG_ERROR, "user_missing",
		        "Put the user name in the URL: postgres://USER:PASSWORD@host:5432/db "
		        "(or set PGUSER).",
		        "Without one, libpq takes the name of the operating-system user, and a "
		        "scratch image has no /etc/passwd to look it up in.",
		        "%s has no user name", o);
	else if (strlen(user) >= sizeof u->user)
		/* PostgreSQL cuts names at 63 bytes (NAMEDATALEN): such a role cannot exist */
		add_finding(u, LOG_ERROR, "user_too_long", "Check the user name.", NULL,
		            "the user name in %s is longer than %zu bytes", o, sizeof u->user - 1);
	else
		snprintf(u->user, sizeof u->user, "%s", user);
	const char *db = effective(opts, "dbname", "PGDATABASE");
	if (db && strlen(db) >= sizeof u->dbname)
		add_finding(u, LOG_ERROR, "dbname_too_long", "Check the database name.", NULL,
		            "the database name in %s is longer than %zu bytes", o,
		            sizeof u->dbname - 1);
	else
		snprintf(u->dbname, sizeof u->dbname, "%s", db ? db : user ? user : "");

	static const char *const sslmodes[] = {"disable",   "allow",       "prefer", "require",
	                                       "verify-ca", "verify-full", NULL};
	static const char *const tsa[] = {"any",     "read-write",     "read-only", "primary",
	                                  "standby", "prefer-standby", NULL};
	static const char *const gss[] = {"disable", "prefer", "require", NULL};
	check_enum(u, opts, "sslmode", "PGSSLMODE", sslmodes,
	           "disable, allow, prefer, require, verify-ca, verify-full");
	check_enum(u, opts, "target_session_attrs", "PGTARGETSESSIONATTRS", tsa,
	           "any, read-write, read-only, primary, standby, prefer-standby");
	check_enum(u, opts, "gssencmode", "PGGSSENCMODE", gss, "disable, prefer, require");
	check_enum(u, opts, "channel_binding", "PGCHANNELBINDING", gss,
	           "disable, prefer, require");
	check_integer(u, opts, "connect_timeout");
	check_integer(u, opts, "keepalives_idle");
	check_integer(u, opts, "keepalives_interval");
	check_integer(u, opts, "keepalives_count");
	const char *ct = effective(opts, "connect_timeout", "PGCONNECT_TIMEOUT");
	if (ct && atol(ct) > 0)
		/* libpq: "values below 2 are treated as 2" */
		u->connect_timeout_ms = (atol(ct) < 2 ? 2 : atol(ct)) * (int64_t)1000;

	const char *sslmode = effective(opts, "sslmode", "PGSSLMODE");
	/* a value longer than the longest mode ("verify-full") is already an error finding
	 * (check_enum above), so a cut here changes no decision */
	snprintf(u->sslmode, sizeof u->sslmode, "%s", sslmode ? sslmode : "prefer");

	bool explicit_host =
	        effective(opts, "host", "PGHOST") || effective(opts, "hostaddr", "PGHOSTADDR");
	if (!explicit_host)
		add_finding(u, LOG_WARN, "host_missing",
		            "Name the database host: postgres://user:password@HOST:5432/db.",
		            "libpq will use the local socket directory /var/run/postgresql, which "
		            "exists in a container only if a volume provides it.",
		            "%s names no host", o);

	bool in_k8s = getenv("KUBERNETES_SERVICE_HOST") != NULL;
	bool remote_tcp = false;
	for (int i = 0; i < u->nhosts; i++) {
		const struct dbhost *h = &u->hosts[i];
		if (h->is_socket)
			continue;
		if (is_loopback(h->name)) {
			if (in_k8s)
				add_finding(
				        u, LOG_WARN, "localhost_in_kubernetes",
				        "Use the database Service's name "
				        "(e.g. postgres.NAMESPACE.svc.cluster.local), unless the "
				        "database really runs as a sidecar in this pod.",
				        "KUBERNETES_SERVICE_HOST is set: inside a pod, localhost "
				        "is "
				        "the pod itself, not the database.",
				        "%s points at \"%s\" inside Kubernetes", o, h->name);
		} else {
			remote_tcp = true;
		}
		const char *portstr = h->port;
		if (strstr(h->name, "-pooler") || strcmp(portstr, "6543") == 0)
			add_finding(
			        u, LOG_WARN, "pooler_endpoint",
			        "Give dbready the direct (session) endpoint, e.g. port 5432 or "
			        "the "
			        "host name without \"-pooler\"; keep the pooled one for the app.",
			        "Session features (advisory locks, SET, prepared statements) do "
			        "not survive transaction pooling.",
			        "%s looks like a transaction-pooler endpoint (\"%s\" port %s)", o,
			        h->name, portstr);
	}
	if (remote_tcp &&
	    one_of(u->sslmode, (const char *const[]){"disable", "allow", "prefer", NULL}))
		add_finding(u, LOG_WARN, "tls_not_required",
		            "Add ?sslmode=verify-full (or at least sslmode=require) when the "
		            "network between here and the database is not private.",
		            sslmode ? NULL
		                    : "Without sslmode, libpq uses \"prefer\", which silently "
		                      "falls back "
		                      "to an unencrypted connection.",
		            "the connection to the database may be unencrypted (sslmode=%s)",
		            u->sslmode);
}

/* verify-ca/verify-full need a CA; a scratch image has no ~/.postgresql/root.crt. */
static const char *default_rootcert(struct dburl *u, PQconninfoOption *opts)
{
	if (strcmp(u->sslmode, "verify-ca") != 0 && strcmp(u->sslmode, "verify-full") != 0)
		return NULL;
	if (effective(opts, "sslrootcert", "PGSSLROOTCERT"))
		return NULL;
	if (access(DBURL_CA_BUNDLE, R_OK) == 0)
		return DBURL_CA_BUNDLE;
	const char *home = getenv("HOME");
	char path[1024];
	if (home &&
	    snprintf(path, sizeof path, "%s/.postgresql/root.crt", home) < (int)sizeof path &&
	    access(path, R_OK) == 0)
		return NULL;
	add_finding(u, LOG_ERROR, "tls_no_ca",
	            "Add sslrootcert=/path/to/ca.pem to the URL (mount the CA from a Secret or "
	            "ConfigMap), or use an image that carries " DBURL_CA_BUNDLE ".",
	            "Neither sslrootcert, PGSSLROOTCERT, " DBURL_CA_BUNDLE
	            " nor ~/.postgresql/root.crt is there to verify the server's certificate.",
	            "sslmode=%s needs a CA certificate and none was found", u->sslmode);
	return NULL;
}

static void build_params(struct dburl *u, PQconninfoOption *opts, const char *rootcert)
{
	int n = 0;
	bool has_appname = false;
	if (!u->from_pg_env) {
		for (PQconninfoOption *o = opts; o->keyword && n < DBURL_MAX_PARAMS - 3; o++) {
			if (!o->val)
				continue;
			if (strcmp(o->keyword, "application_name") == 0)
				has_appname = true;
			u->keywords[n] = o->keyword;
			u->values[n++] = o->val;
		}
	}
	if (!has_appname) {
		u->keywords[n] = "fallback_application_name";
		u->values[n++] = "dbready";
	}
	if (rootcert) {
		u->keywords[n] = "sslrootcert";
		u->values[n++] = rootcert;
	}
	if (u->dialect.search_path) {
		/* the Go drivers send search_path as a run-time parameter: libpq's options */
		int at = -1;
		for (int i = 0; i < n; i++)
			if (strcmp(u->keywords[i], "options") == 0)
				at = i;
		u->options =
		        dialect_options(at >= 0 ? u->values[at] : NULL, u->dialect.search_path);
		if (u->options && at >= 0) {
			u->values[at] = u->options;
		} else if (u->options) {
			u->keywords[n] = "options";
			u->values[n++] = u->options;
		}
	}
	u->keywords[n] = NULL;
	u->values[n] = NULL;
	u->nparams = n;
}

/* Everything after the text checks: libpq parse, parsed checks, params, redaction. */
/* opts' keyword kw set to v when the URL gave none (libpq frees it with the array) */
static bool fill_option(PQconninfoOption *opts, const char *kw, const char *v)
{
	for (PQconninfoOption *o = opts; v && o->keyword; o++)
		if (strcmp(o->keyword, kw) == 0 && !o->val)
			return (o->val = strdup(v)) != NULL;
	return false;
}

/* opts' keyword kw set to v, replacing what the URL gave */
static bool set_option(PQconninfoOption *opts, const char *kw, const char *v)
{
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, kw) == 0) {
			char *copy = strdup(v);
			if (!copy)
				return false;
			free(o->val);
			o->val = copy;
			return true;
		}
	return false;
}

/* The format's TLS parameters as libpq's (dialect_tls: Prisma's sslcert is the CA file,
 * sslaccept=strict checks the host name too, sslidentity is refused). false: a finding. */
static bool apply_tls(struct dburl *u, PQconninfoOption *opts)
{
	struct dialect_tls t;
	char why[512], hint[1024];
	if (dialect_tls(u->format, &u->dialect, &t, why, sizeof why, hint, sizeof hint) != 0) {
		add_finding(u, LOG_ERROR, "tls_identity", hint, why,
		            "%s names a client certificate dbready cannot read", u->origin);
		return false;
	}
	if (t.ca_skipped)
		log_debug("URL parameter %s: not used, %s=accept_invalid_certs asks for no "
		          "certificate check (%s makes none either)",
		          t.ca_name, t.accept_name, u->format->name);
	if (t.ca_file && opt_val(opts, "sslrootcert")) {
		log_debug("URL parameter %s: sslrootcert is given too, and libpq's own wins",
		          t.ca_name);
	} else if (t.ca_file) {
		if (access(t.ca_file, R_OK) != 0) {
			char detail[512];
			snprintf(detail, sizeof detail, "%s: %s.", t.ca_name, strerror(errno));
			add_finding(
			        u, LOG_ERROR, "tls_ca_unreadable",
			        "Mount the CA file there, or give its absolute path: Prisma "
			        "reads a relative sslcert from schema.prisma's folder, dbready "
			        "from its working directory.",
			        detail, "the CA file \"%s\" in %s cannot be read", t.ca_file,
			        u->origin);
			return false;
		}
		if (!set_option(opts, "sslrootcert", t.ca_file))
			return false;
		log_debug("URL parameter %s: %s's CA file, given to libpq as sslrootcert (the "
		          "server's certificate must chain to it)",
		          t.ca_name, u->format->name);
	}
	const char *mode = effective(opts, "sslmode", "PGSSLMODE");
	if (t.verify_full && mode && strcmp(mode, "disable") == 0) {
		log_debug("URL parameter %s: sslmode=disable, no TLS to check", t.accept_name);
	} else if (t.verify_full && (!mode || strcmp(mode, "verify-full") != 0)) {
		if (!set_option(opts, "sslmode", "verify-full"))
			return false;
		log_debug("URL parameter %s: the server's certificate and host name are checked "
		          "(sslmode=verify-full)",
		          t.accept_name);
	}
	return true;
}

static int finish(struct dburl *u, PQconninfoOption *opts)
{
	u->conninfo = opts;
	if (!u->from_pg_env) {
		fill_option(opts, "user", u->tool_user);
		if (fill_option(opts, "password", u->tool_password))
			log_debug("password from %s", u->tool_password_origin);
		if (u->format && !apply_tls(u, opts)) {
			if (!u->nerrors)
				add_finding(u, LOG_ERROR, "out_of_memory", NULL, NULL,
				            "out of memory");
			return EXIT_CONFIG;
		}
	}
	check_parsed(u, opts);
	const char *rootcert = default_rootcert(u, opts);
	if (u->nerrors)
		return EXIT_CONFIG;
	build_params(u, opts, rootcert);
	build_redacted(u, opts);
	if (rootcert)
		log_debug("sslmode=%s without sslrootcert: using the CA bundle %s", u->sslmode,
		          rootcert);
	return EXIT_DONE;
}

int dburl_check_string(const char *url, const char *origin, struct dburl *u)
{
	u->origin = origin;
	u->text_start = url;
	/* first of all, before any message can quote the string: every form a password in it
	 * may take (see register_password_candidates) */
	register_password_candidates(url);
	/* check_text() quotes no part of the value but an unexpanded variable's name (and not
	 * when it stands in the password), so the whole value is registered after it */
	if (check_text(u, url))
		return EXIT_CONFIG;
	/* ... when it holds a secret (a password in the userinfo, a password or sslpassword
	 * parameter). One without (--auth=azure|gcp, PGPASSWORD) is no secret, and registering
	 * it would mask the redacted target, which is then the value itself, in every line. */
	const char *sep = strstr(url, "://");
	struct raw_userinfo ri0 = {0};
	if (sep)
		scan_userinfo(url, sep + 3, &ri0);
	bool has_password_key = has_password_param(url);
	if (ri0.pass || has_password_key)
		log_add_secret(url);
	/* the migration tools' own parameters (x-migrations-table, search_path, ...) and
	 * schemes (pgx5://) are read by dbready, never passed to libpq (dialect.h) */
	char why[256];
	if (dialect_take(url, u->format, &u->rewritten, &u->dialect, why, sizeof why) != 0) {
		add_finding(u, LOG_ERROR, "url_tool_param", "Give each parameter once.", why,
		            "%s has migration tool parameters dbready cannot read", origin);
		return EXIT_CONFIG;
	}
	if (u->rewritten) {
		if (ri0.pass || has_password_key)
			log_add_secret(u->rewritten);
		url = u->rewritten;
		u->text_start = url;
	}
	bool is_uri;
	if (check_scheme(u, url, &is_uri))
		return EXIT_CONFIG;
	if (is_uri) {
		const char *rest = strstr(url, "://") + 3;
		struct raw_userinfo ri;
		scan_userinfo(url, rest, &ri);
		if (ri.pass)
			add_secret_forms(ri.pass, ri.pass_len);
		if (check_raw_password(u, rest, &ri))
			return EXIT_CONFIG;
	}
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &err);
	if (!opts) {
		/* "invalid connection option" quotes a key; other messages quote values */
		if (!is_uri && has_password_key && err &&
		    !strstr(err, "invalid connection option")) {
			add_finding(u, LOG_ERROR, "url_malformed",
			            "Quote values that contain spaces or quotes: password='my "
			            "pass' (and "
			            "write ' and \\ inside them as \\' and \\\\), or use a "
			            "postgres:// URL.",
			            "libpq's own message is not shown: it quotes a piece of the "
			            "string, "
			            "which may be the password.",
			            "the key=value string in %s is malformed", origin);
		} else {
			relay_parse_error(u, err ? err : "out of memory");
		}
		PQfreemem(err);
		return EXIT_CONFIG;
	}
	return finish(u, opts);
}

static int read_url_file(struct dburl *u, const char *path, const char *origin)
{
	char detail[512];
	if (secretfile_read(path, URL_FILE_MAX, &u->text, detail, sizeof detail) != 0) {
		add_finding(u, LOG_ERROR, "url_file_unreadable", secretfile_hint(detail), detail,
		            "could not read %s \"%s\"", origin, path);
		return EXIT_CONFIG;
	}
	return EXIT_DONE;
}

int dburl_load(const struct config *cfg, struct dburl *u)
{
	memset(u, 0, sizeof *u);
	u->format = cfg->tool_format;
	log_add_secret(getenv("PGPASSWORD"));
	log_add_secret(cfg->url_password);
	u->tool_user = cfg->url_user;
	u->tool_password = cfg->url_password;
	u->tool_password_origin = cfg->url_password_origin;
	bool url_flag = cfg->url && strcmp(cfg->url_origin, "--url") == 0;
	bool file_flag = cfg->url_file && strcmp(cfg->url_file_origin, "--url-file") == 0;
	if (url_flag && file_flag) {
		add_finding(u, LOG_ERROR, "url_twice", "Give one of them.", NULL,
		            "both --url and --url-file are given");
		return EXIT_CONFIG;
	}
	if (!url_flag && !file_flag && cfg->url && cfg->url_file) {
		add_finding(u, LOG_ERROR, "url_twice", "Unset one of them.", NULL,
		            "both DATABASE_URL and DATABASE_URL_FILE are set");
		return EXIT_CONFIG;
	}
	if (file_flag || (!url_flag && cfg->url_file)) {
		int rc = read_url_file(u, cfg->url_file, cfg->url_file_origin);
		if (rc != EXIT_DONE)
			return rc;
		/* the file was opened, so its path is shorter than PATH_MAX; longer is cut visibly
		 */
		static char origin[4096 + 32];
		log_cut_copy(origin, sizeof origin, "the URL in ");
		log_cut_copy(origin + strlen(origin), sizeof origin - strlen(origin),
		             cfg->url_file);
		return dburl_check_string(u->text, origin, u);
	}
	if (cfg->url)
		return dburl_check_string(cfg->url, cfg->url_origin, u);

	if (!getenv("PGHOST") || !*getenv("PGHOST")) {
		u->origin = "the configuration";
		add_finding(
		        u, LOG_ERROR, "url_missing",
		        "Set DATABASE_URL (e.g. from a Secret: "
		        "postgres://app:PASSWORD@db:5432/app), "
		        "DATABASE_URL_FILE, --url, or libpq's "
		        "PGHOST/PGUSER/PGPASSWORD/PGDATABASE.",
		        "None of --url, --url-file, DATABASE_URL, DATABASE_URL_FILE or PGHOST is "
		        "set, and a container has no sensible local default.",
		        "no database configured");
		return EXIT_CONFIG;
	}
	u->origin = "the PG* environment";
	u->from_pg_env = true;
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse("", &err);
	if (!opts) {
		PQfreemem(err);
		return EXIT_INTERNAL;
	}
	return finish(u, opts);
}
