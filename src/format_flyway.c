/* format_flyway.c - Flyway's folder (V<version>__<description>.sql files, their .sql.conf,
 * placeholders) and its history table, flyway_schema_history.
 *
 * Every rule follows Flyway's own source (github.com/flyway/flyway, commit
 * c5e20fc77341d4117e7a291214e23f89c1371516):
 * flyway-core .../internal/resource/ResourceNameParser.java (prefix, "__", description),
 * .../api/MigrationVersion.java (versions and their order), .../internal/resolver/
 * ChecksumCalculator.java and .../internal/util/BomFilter.java (the checksum),
 * .../internal/parser/PlaceholderReplacingReader.java and ParsingContext.java (placeholders),
 * .../internal/resolver/sql/SqlMigrationResolver.java (checksum of the raw file),
 * flyway-database-postgresql .../PostgreSQLDatabase.java getRawCreateScript() (the table),
 * .../PostgreSQLConnection.java lock() and PostgreSQLAdvisoryLockTemplate.java (the lock).
 *
 * Repeatable (R__) migrations carry migration.repeatable: the plan applies them after the
 * versioned ones and again whenever their checksum changes, as Flyway does. */
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
#include "format.h"
#include "format_flyway.h"
#include "log.h"
#include "source.h"

extern char **environ;

/* ---------- checksum, lock number, versions ---------- */

bool flyway_checksum(const char *text, size_t len, int32_t *out)
{
	/* CRC-32 is fed line after line, so it is the CRC-32 of the lines' bytes end to end:
	 * the file's UTF-8 text without its "\r" and "\n" bytes (which never occur inside a
	 * multi-byte character), less a byte-order mark at the start */
	char *copy = malloc(len + 1);
	if (!copy)
		return false;
	size_t n = 0, start = 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		start = 3;
	for (size_t i = start; i < len; i++)
		if (text[i] != '\r' && text[i] != '\n')
			copy[n++] = text[i];
	copy[n] = '\0';
	if (utf8_invalid_at(copy, n) != n && !utf8_sanitize(&copy, &n)) {
		free(copy);
		return false;
	}
	uint32_t crc = checksum_crc32(copy, n);
	free(copy);
	*out = (int32_t)crc; /* Java's (int) of the long: two's complement */
	return true;
}

/* The code point at s (valid UTF-8, else U+FFFD for one byte); *len its bytes */
static uint32_t next_code_point(const unsigned char *s, size_t *len)
{
	size_t avail = strnlen((const char *)s, 4);
	if (utf8_invalid_at((const char *)s, 1) == 1 && s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
	if (n > avail || n == 1 || utf8_invalid_at((const char *)s, n) != n) {
		*len = 1;
		return 0xFFFD;
	}
	*len = n;
	uint32_t cp = s[0] & (0x7F >> n);
	for (size_t i = 1; i < n; i++)
		cp = (cp << 6) | (s[i] & 0x3F);
	return cp;
}

int32_t flyway_java_hash(const char *s)
{
	uint32_t h = 0; /* Java's int arithmetic wraps: unsigned here, cast at the end */
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n;
		uint32_t cp = next_code_point(p, &n);
		p += n;
		if (cp > 0xFFFF) { /* a surrogate pair: two UTF-16 code units */
			cp -= 0x10000;
			h = 31 * h + (0xD800 + (cp >> 10));
			h = 31 * h + (0xDC00 + (cp & 0x3FF));
		} else
			h = 31 * h + cp;
	}
	return (int32_t)h;
}

/* "name" as PostgreSQLDatabase.doQuote() writes it (quotes doubled), appended to out */
static bool quote_append(char **out, size_t *len, size_t *cap, const char *name)
{
	size_t need = *len + 2 * strlen(name) + 3;
	if (need > *cap) {
		char *g = realloc(*out, need);
		if (!g)
			return false;
		*out = g;
		*cap = need;
	}
	(*out)[(*len)++] = '"';
	for (const char *c = name; *c; c++) {
		if (*c == '"')
			(*out)[(*len)++] = '"';
		(*out)[(*len)++] = *c;
	}
	(*out)[(*len)++] = '"';
	(*out)[*len] = '\0';
	return true;
}

long long flyway_lock_number(const char *schema, const char *table)
{
	/* SchemaObject.toString(): database.quote(schema, name) = "schema"."table" */
	char *q = NULL;
	size_t len = 0, cap = 0;
	int32_t h = 0;
	if (quote_append(&q, &len, &cap, schema) && (q[len++] = '.', q[len] = '\0', true) &&
	    quote_append(&q, &len, &cap, table))
		h = flyway_java_hash(q);
	free(q);
	/* LOCK_MAGIC_NUM: "Flyway" in ASCII, 0x466C79776179 */
	return 0x466C79776179LL + (long long)h;
}

/* The next version part of v (from *p): its digits without leading zeros (*d, *dn), or
 * none left (false). Parts are split at "." or "_" (MigrationVersion replaces "_" by "."). */
static bool version_part(const char *v, size_t *p, const char **d, size_t *dn)
{
	size_t i = *p;
	if (!v[i])
		return false;
	if (v[i] == '.' || v[i] == '_')
		i++;
	size_t s = i;
	while (v[i] >= '0' && v[i] <= '9')
		i++;
	size_t e = i;
	while (s + 1 < e && v[s] == '0')
		s++;
	*d = v + s;
	*dn = e - s;
	*p = i;
	return true;
}

int flyway_version_cmp(const char *a, const char *b)
{
	size_t pa = 0, pb = 0;
	for (;;) {
		const char *da = "0", *db = "0";
		size_t na = 1, nb = 1;
		bool ha = version_part(a, &pa, &da, &na), hb = version_part(b, &pb, &db, &nb);
		if (!ha && !hb)
			return 0;
		if (na != nb)
			return na < nb ? -1 : 1;
		int c = memcmp(da, db, na);
		if (c)
			return c < 0 ? -1 : 1;
	}
}

bool flyway_version_valid(const char *v, size_t len)
{
	/* tokenize(): split at "\.(?=\d)", each part a BigInteger: digits, parted by one "."
	 * or "_" that a digit follows */
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (v[i] >= '0' && v[i] <= '9')
			continue;
		if ((v[i] == '.' || v[i] == '_') && i > 0 && i + 1 < len && v[i + 1] >= '0' &&
		    v[i + 1] <= '9' && v[i - 1] >= '0' && v[i - 1] <= '9')
			continue;
		return false;
	}
	return true;
}

/* ---------- file names ---------- */

enum fkind { F_NONE, F_VERSIONED, F_REPEATABLE, F_UNDO, F_BAD };

/* ResourceNameParser.parse() with the default prefixes (V, U, R), separator "__" and suffix
 * ".sql" (matched ignoring case, as stripSuffix does). ver and vlen: the version; desc: the
 * raw description (underscores kept). */
static enum fkind parse_name(const char *f, const char **ver, size_t *vlen, const char **desc,
                             size_t *dlen)
{
	size_t len = strlen(f);
	if (len < 4 || strcasecmp(f + len - 4, ".sql") != 0)
		return F_NONE;
	enum fkind k = f[0] == 'V'   ? F_VERSIONED
	               : f[0] == 'R' ? F_REPEATABLE
	               : f[0] == 'U' ? F_UNDO
	                             : F_NONE;
	if (k == F_NONE)
		return F_NONE;
	const char *rest = f + 1, *end = f + len - 4;
	const char *sep = strstr(rest, "__");
	if (!sep || sep + 2 > end)
		sep = NULL;
	*ver = rest;
	*vlen = sep ? (size_t)(sep - rest) : (size_t)(end - rest);
	*desc = sep ? sep + 2 : end;
	*dlen = (size_t)(end - *desc);
	if (k == F_REPEATABLE)
		return *vlen == 0 ? k : F_BAD;
	return flyway_version_valid(*ver, *vlen) ? k : F_BAD;
}

static bool is_migration(const char *name)
{
	const char *v, *d;
	size_t vl, dl;
	enum fkind k = parse_name(name, &v, &vl, &d, &dl);
	return k == F_VERSIONED || k == F_REPEATABLE || k == F_BAD;
}

/* ---------- placeholders ---------- */

struct ctx {
	const struct source_dir *d;
	const char *file;
	char timestamp[32];
	char *url_user, *url_db; /* from the connection string in the environment */
};

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

static const char *env_set(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The value of placeholder name[0..n), or NULL with e filled */
static const char *placeholder_value(struct ctx *c, const char *name, size_t n, char *buf,
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
		return env_set("FLYWAY_TABLE") ? env_set("FLYWAY_TABLE") : "flyway_schema_history";
	if (IS("flyway:environment"))
		return env_set("FLYWAY_ENVIRONMENT") ? env_set("FLYWAY_ENVIRONMENT") : "default";
	if (IS("flyway:workingDirectory"))
		return getcwd(buf, cap) ? buf : ".";
	if (IS("flyway:defaultSchema")) {
		if (env_set("FLYWAY_DEFAULT_SCHEMA"))
			return env_set("FLYWAY_DEFAULT_SCHEMA");
		const char *s = env_set("FLYWAY_SCHEMAS");
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
		if (env_set("FLYWAY_USER"))
			return env_set("FLYWAY_USER");
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
static int replace_placeholders(struct ctx *c, char **text, size_t *len, struct err *e)
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

/* ---------- <file>.sql.conf ---------- */

/* SqlScriptMetadata's properties: executeInTransaction, placeholderReplacement, encoding
 * (UTF-8 only here); any other key is refused, as a key dbready does not honour could stop
 * the file from running under Flyway (shouldExecute). */
static int read_conf(const struct source_dir *d, const char *file, bool *notx, bool *replace,
                     struct err *e)
{
	char conf[1024];
	if ((size_t)snprintf(conf, sizeof conf, "%s.conf", file) >= sizeof conf ||
	    !source_has_file(d, conf))
		return EXIT_DONE;
	char *text = NULL;
	size_t len = 0;
	int rc = source_read(d->path, conf, &text, &len, e);
	if (rc != EXIT_DONE)
		return rc;
	char name[768];
	utf8_escape(conf, name, sizeof name);
	for (char *line = text, *next; line && *line; line = next) {
		next = strpbrk(line, "\r\n");
		if (next)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t' || *line == '\f')
			line++;
		if (!*line || *line == '#' || *line == '!')
			continue;
		char *eq = line + strcspn(line, "=:");
		char *ke = eq;
		while (ke > line && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		char *v = *eq ? eq + 1 : eq;
		while (*v == ' ' || *v == '\t')
			v++;
		char *ve = v + strlen(v);
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			*--ve = '\0';
		*ke = '\0';
		bool tf = strcasecmp(v, "true") == 0, ff = strcasecmp(v, "false") == 0;
		if (strcmp(line, "executeInTransaction") == 0 && (tf || ff))
			*notx = ff;
		else if (strcmp(line, "placeholderReplacement") == 0 && (tf || ff))
			*replace = tf;
		else if (strcmp(line, "encoding") == 0 &&
		         (strcasecmp(v, "UTF-8") == 0 || strcasecmp(v, "UTF8") == 0))
			;
		else {
			char key[256];
			utf8_escape(line, key, sizeof key);
			free(text);
			return err_set(
			        e, EXIT_MIGRATIONS, "conf_unsupported",
			        "Keep only executeInTransaction=true|false, "
			        "placeholderReplacement=true|false and encoding=UTF-8 in it.",
			        "dbready honours these keys only; another one could change "
			        "whether or how Flyway runs the script.",
			        "\"%s\" in \"%s\" sets \"%s\", which dbready does not honour",
			        name, d->path, key);
		}
	}
	free(text);
	return EXIT_DONE;
}

/* ---------- the folder ---------- */

/* Flyway's order: the versioned migrations by version, then the repeatable ones by
 * description */
static int by_version(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;
	if (x->repeatable != y->repeatable)
		return x->repeatable ? 1 : -1;
	if (x->repeatable)
		return strcmp(x->name, y->name);
	return flyway_version_cmp(x->version, y->version);
}

static int load_one(struct ctx *c, const char *f, const char *ver, size_t vlen, const char *desc,
                    size_t dlen, bool repeatable, struct migset *set, struct err *e)
{
	const struct source_dir *d = c->d;
	char name[768];
	utf8_escape(f, name, sizeof name);
	if (vlen >= sizeof set->m->key)
		return err_set(e, EXIT_MIGRATIONS, "version_too_long",
		               "Rename the file with a shorter version.",
		               "dbready keeps a migration's version in at most 128 bytes "
		               "(Flyway's column holds 50).",
		               "migration file \"%s\" in \"%s\" has a version of %zu bytes", name,
		               d->path, vlen);
	struct migration *m = migset_add(set);
	if (!m)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	m->file = strdup(f);
	/* a repeatable migration has no version (NULL in its row) */
	m->version = repeatable ? NULL : strndup(ver, vlen);
	m->name = strndup(desc, dlen);
	m->repeatable = repeatable;
	if (!m->file || (!repeatable && !m->version) || !m->name)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	for (char *p = m->version; p && *p; p++) /* the display text: "_" as "." */
		if (*p == '_')
			*p = '.';
	for (char *p = m->name; *p; p++) /* the description: "_" as " " */
		if (*p == '_')
			*p = ' ';
	if (utf8_chars(m->name, strlen(m->name)) > 200)
		return err_set(e, EXIT_MIGRATIONS, "description_too_long",
		               "Shorten the file's description to at most 200 characters.",
		               "flyway_schema_history.description is VARCHAR(200).",
		               "migration file \"%s\" in \"%s\" has a description longer than 200 "
		               "characters",
		               name, d->path);
	if (repeatable) { /* the key dbready shows: the file's name without ".sql" */
		if (strlen(f) - 4 >= sizeof m->key)
			return err_set(
			        e, EXIT_MIGRATIONS, "name_too_long",
			        "Shorten the file's description.",
			        "dbready keeps a migration's key in at most 128 bytes.",
			        "migration file \"%s\" in \"%s\" has a name longer than 132 "
			        "bytes",
			        name, d->path);
		memcpy(m->key, f, strlen(f) - 4);
		m->key[strlen(f) - 4] = '\0';
	} else
		memcpy(m->key, m->version, strlen(m->version) + 1);
	bool notx = false, replace = true;
	const char *pr = env_set("FLYWAY_PLACEHOLDER_REPLACEMENT");
	if (pr && strcasecmp(pr, "false") == 0)
		replace = false;
	int rc = read_conf(d, f, &notx, &replace, e);
	if (rc != EXIT_DONE)
		return rc;
	char *text = NULL;
	size_t len = 0;
	rc = source_read(d->path, f, &text, &len, e);
	if (rc != EXIT_DONE)
		return rc;
	/* SqlMigrationResolver: a versioned migration's checksum is the file's as written, a
	 * repeatable one's that of the text after placeholder replacement */
	int32_t sum;
	if (!repeatable && !flyway_checksum(text, len, &sum)) {
		free(text);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	c->file = f;
	if (replace && (rc = replace_placeholders(c, &text, &len, e)) != EXIT_DONE) {
		free(text);
		return rc;
	}
	if (repeatable && !flyway_checksum(text, len, &sum)) {
		free(text);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	rc = source_prepare_text(m, text, len, true, NULL, e);
	if (rc != EXIT_DONE)
		return rc;
	snprintf(m->hash, sizeof m->hash, "%d", (int)sum);
	if (notx) {
		m->directive_no_tx = true;
		log_debug("%s: \"executeInTransaction=false\": runs outside a transaction", name);
	}
	return EXIT_DONE;
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	int rc = source_check_odd(d, is_migration, e);
	if (rc != EXIT_DONE)
		return rc;
	const char *b = env_set("FLYWAY_BASELINE_ON_MIGRATE");
	if (b && strcasecmp(b, "true") == 0)
		return err_set(
		        e, EXIT_CONFIG, "flyway_baseline_unsupported",
		        "Baseline the database with Flyway once (flyway baseline), then "
		        "unset FLYWAY_BASELINE_ON_MIGRATE for dbready.",
		        "dbready does not write Flyway's baseline row; it would apply every "
		        "migration to a schema Flyway would baseline instead.",
		        "FLYWAY_BASELINE_ON_MIGRATE=true is not supported");
	const char *schemas = env_set("FLYWAY_SCHEMAS");
	if (schemas && !env_set("FLYWAY_DEFAULT_SCHEMA") &&
	    !(strncmp(schemas, "public", 6) == 0 && (!schemas[6] || schemas[6] == ',')))
		return err_set(
		        e, EXIT_CONFIG, "flyway_schemas_unsupported",
		        "Set FLYWAY_DEFAULT_SCHEMA to the first schema of FLYWAY_SCHEMAS as "
		        "well (or --history-table schema.flyway_schema_history together "
		        "with FLYWAY_DEFAULT_SCHEMA).",
		        "Flyway keeps its history table in the first schema of FLYWAY_SCHEMAS; "
		        "dbready reads that schema from FLYWAY_DEFAULT_SCHEMA only, and would "
		        "otherwise write a second history table in the current schema.",
		        "FLYWAY_SCHEMAS is set without FLYWAY_DEFAULT_SCHEMA");
	const char *ooo = env_set("FLYWAY_OUT_OF_ORDER");
	if (ooo && strcasecmp(ooo, "true") == 0)
		log_warn("FLYWAY_OUT_OF_ORDER=true is not read: give dbready --allow-out-of-order "
		         "to apply migrations older than the newest applied one");
	const char *v = env_set("FLYWAY_VALIDATE_ON_MIGRATE");
	if (v && strcasecmp(v, "false") == 0)
		log_warn("FLYWAY_VALIDATE_ON_MIGRATE=false: dbready still refuses a migration "
		         "edited after it was applied");
	struct ctx c = {.d = d};
	time_t now = time(NULL);
	struct tm tm;
	strftime(c.timestamp, sizeof c.timestamp, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
	const char *url =
	        env_set("DATABASE_URL") ? env_set("DATABASE_URL") : env_set("FLYWAY_URL");
	url_names(url, &c.url_user, &c.url_db);
	for (int i = 0; i < d->nfiles && rc == EXIT_DONE; i++) {
		const char *f = d->files[i], *ver, *desc;
		size_t vl, dl;
		char name[768];
		utf8_escape(f, name, sizeof name);
		switch (parse_name(f, &ver, &vl, &desc, &dl)) {
		case F_NONE:
			log_debug("\"%s\" in \"%s\" is not a Flyway SQL migration: ignored, as "
			          "Flyway ignores it",
			          name, d->path);
			break;
		case F_UNDO:
			log_info("\"%s\": an undo migration (Flyway Teams): ignored, as Flyway "
			         "Community ignores it",
			         name);
			break;
		case F_BAD:
			rc = err_set(
			        e, EXIT_MIGRATIONS, "file_invalid",
			        "Name it V<version>__<description>.sql (version: numbers "
			        "separated by \".\" or \"_\") or R__<description>.sql.",
			        "Flyway skips such a file only while validateMigrationNaming is "
			        "false; dbready does not skip a file that looks like a "
			        "migration.",
			        "\"%s\" in \"%s\" is not a valid Flyway migration name", name,
			        d->path);
			break;
		case F_REPEATABLE:
			rc = load_one(&c, f, ver, vl, desc, dl, true, set, e);
			break;
		case F_VERSIONED:
			rc = load_one(&c, f, ver, vl, desc, dl, false, set, e);
			break;
		}
	}
	free(c.url_user);
	free(c.url_db);
	if (rc != EXIT_DONE)
		return rc;
	qsort(set->m, (size_t)set->n, sizeof *set->m, by_version);
	for (int i = 1; i < set->n; i++)
		if (set->m[i].repeatable && set->m[i - 1].repeatable &&
		    strcmp(set->m[i - 1].name, set->m[i].name) == 0) {
			char a[768], bb[768];
			utf8_escape(set->m[i - 1].file, a, sizeof a);
			utf8_escape(set->m[i].file, bb, sizeof bb);
			return err_set(e, EXIT_MIGRATIONS, "description_duplicate",
			               "Give each repeatable migration its own description.",
			               "Flyway refuses it too: \"Found more than one repeatable "
			               "migration with description\".",
			               "\"%s\" and \"%s\" have the same description", a, bb);
		} else if (!set->m[i].repeatable &&
		           flyway_version_cmp(set->m[i - 1].version, set->m[i].version) == 0) {
			char a[768], bb[768];
			utf8_escape(set->m[i - 1].file, a, sizeof a);
			utf8_escape(set->m[i].file, bb, sizeof bb);
			return err_set(
			        e, EXIT_MIGRATIONS, "version_duplicate",
			        "Give each migration its own version.",
			        "Flyway refuses it too: \"Found more than one migration with "
			        "version\".",
			        "\"%s\" and \"%s\" have the same version %s", a, bb,
			        set->m[i].version);
		}
	return EXIT_DONE;
}

static int detect(const struct source_dir *d, const char **why, struct err *e)
{
	static char found[1024];
	(void)e;
	for (int i = 0; i < d->nfiles; i++) {
		const char *v, *desc;
		size_t vl, dl;
		enum fkind k = parse_name(d->files[i], &v, &vl, &desc, &dl);
		if (k == F_VERSIONED || k == F_REPEATABLE) {
			char name[768];
			utf8_escape(d->files[i], name, sizeof name);
			snprintf(found, sizeof found, "\"%s\" is named as a Flyway migration",
			         name);
			*why = found;
			return 1;
		}
	}
	*why = "no V<version>__<description>.sql or R__<description>.sql file";
	return 0;
}

/* ---------- the history table ---------- */

/* The table's bare name: the last quoted identifier of qname, quotes undoubled */
static void bare_name(const char *qname, char *out, size_t cap)
{
	size_t l = strlen(qname), s = 0;
	if (l && qname[l - 1] == '"') {
		size_t i = l - 1;
		while (i > 0) {
			i--;
			if (qname[i] == '"') {
				if (i > 0 && qname[i - 1] == '"') {
					i--;
					continue;
				}
				break;
			}
		}
		s = i + 1;
		l--;
	}
	size_t n = 0;
	for (size_t i = s; i < l && n + 1 < cap; i++) {
		out[n++] = qname[i];
		if (qname[i] == '"' && i + 1 < l && qname[i + 1] == '"')
			i++;
	}
	out[n] = '\0';
}

/* getRawCreateScript(table, false) without a tablespace, statement by statement. The
 * constraint and index names are the table's name with "_pk" and "_s_idx", quoted (Flyway
 * does not double a quote inside; dbready does, or the name would not parse). */
static void create_sql(const char *qname, struct fsql_list *out)
{
	char name[300], q[640];
	bare_name(qname, name, sizeof name);
	size_t n = 0;
	for (const char *c = name; *c && n + 3 < sizeof q; c++) {
		if (*c == '"')
			q[n++] = '"';
		q[n++] = *c;
	}
	q[n] = '\0';
	fsql_printf(fsql_add(out, 0),
	            "CREATE TABLE %s (\n"
	            "    \"installed_rank\" INT NOT NULL,\n"
	            "    \"version\" VARCHAR(50),\n"
	            "    \"description\" VARCHAR(200) NOT NULL,\n"
	            "    \"type\" VARCHAR(20) NOT NULL,\n"
	            "    \"script\" VARCHAR(1000) NOT NULL,\n"
	            "    \"checksum\" INTEGER,\n"
	            "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
	            "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
	            "    \"execution_time\" INTEGER NOT NULL,\n"
	            "    \"success\" BOOLEAN NOT NULL\n"
	            ")",
	            qname);
	fsql_printf(fsql_add(out, 0),
	            "ALTER TABLE %s ADD CONSTRAINT \"%s_pk\" PRIMARY KEY (\"installed_rank\")",
	            qname, q);
	fsql_printf(fsql_add(out, 0), "CREATE INDEX \"%s_s_idx\" ON %s (\"success\")", q, qname);
}

/* SchemaHistory.addAppliedMigration(): installed_rank = the highest + 1, type SQL, the
 * installed_by that FLYWAY_INSTALLED_BY sets, else current_user */
static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	(void)applied_by;
	const char *by = env_set("FLYWAY_INSTALLED_BY");
	struct fsql *s = fsql_add(out, duration_ms ? 6 : 5, m->version, m->name, m->file, m->hash,
	                          by ? by : "", duration_ms);
	fsql_printf(s,
	            "INSERT INTO %s (\"installed_rank\", \"version\", \"description\", \"type\", "
	            "\"script\", \"checksum\", \"installed_by\", \"execution_time\", "
	            "\"success\") SELECT COALESCE(MAX(\"installed_rank\"), 0) + 1, $1, $2, "
	            "'SQL', $3, $4::integer, COALESCE(NULLIF($5, ''), current_user), %s, true "
	            "FROM %s",
	            qname,
	            duration_ms
	                    ? "$6::integer"
	                    : "(EXTRACT(EPOCH FROM clock_timestamp() - now()) * 1000)::integer",
	            qname);
}

/* MigrationVersion.equals(): "1.0" and "1" are one version */
static bool key_equal(const char *row_key, const char *file_key)
{
	return *row_key && flyway_version_cmp(row_key, file_key) == 0;
}

static bool tool_lock(const struct lock_names *names, long long *key)
{
	*key = flyway_lock_number(names->schema, names->table);
	return true;
}

static const struct fsetting env[] = {
        /* FLYWAY_URL may be a JDBC URL, jdbc:postgresql://host:port/db?user=... (dialect.c
         * reads the URL inside it) */
        {"FLYWAY_URL", FSET_URL},
        {"FLYWAY_USER", FSET_USER},
        {"FLYWAY_PASSWORD", FSET_PASSWORD},
        /* the history table's schema; FLYWAY_SCHEMAS' first entry is load()'s to check */
        {"FLYWAY_DEFAULT_SCHEMA", FSET_SCHEMA},
        {"FLYWAY_TABLE", FSET_TABLE_NAME},
        {NULL, 0},
};

static const struct fsetting url_params[] = {
        /* pgjdbc's own client switches */
        {"prepareThreshold", FSET_CLIENT},
        {"socketTimeout", FSET_CLIENT},
        {"loginTimeout", FSET_CLIENT},
        {"tcpKeepAlive", FSET_CLIENT},
        {"reWriteBatchedInserts", FSET_CLIENT},
        {"ApplicationName", FSET_CLIENT},
        {NULL, 0},
};

const struct format format_flyway = {
        .name = "flyway",
        .detect = detect,
        .load = load,
        .no_tx_says = "the file's .sql.conf says executeInTransaction=false",
        .env = env,
        .url_params = url_params,
        .url_schemes = NULL, /* jdbc:postgresql:// is read by dialect.c for every format */
        /* FLYWAY_DEFAULT_SCHEMA, else FLYWAY_SCHEMAS' first, else the current schema */
        .schema = NULL,
        .table = "flyway_schema_history",
        .key_label = "version",
        .key_is_number = false,
        .records_checksum = true,
        .watermark = false,
        .read_sql = "SELECT COALESCE(\"version\", ''), COALESCE(\"checksum\"::text, ''), "
                    "\"description\", CASE WHEN NOT \"success\" THEN 'success = false' END "
                    "FROM %s WHERE \"type\" NOT IN ('SCHEMA', 'DELETE') ORDER BY "
                    "\"installed_rank\"",
        .guard_sql = "SELECT EXISTS (SELECT 1 FROM %s WHERE \"version\" = ANY ($1::text[]) "
                     "OR NOT \"success\")",
        .failed_hint = "Flyway refuses this too (\"Detected failed migration\"): undo what the "
                       "failed migration did by hand, remove its row with `flyway repair` "
                       "(or DELETE FROM flyway_schema_history WHERE NOT success), then run "
                       "again.",
        .create_sql = create_sql,
        .record_sql = record_sql,
        .started_sql = NULL,
        .key_equal = key_equal,
        .tool_lock = tool_lock,
};
