/* format_flyway_load.c - a Flyway folder read as Flyway reads it: every V and R file in
 * Flyway's order, its <file>.sql.conf, its checksum, its placeholders replaced.
 *
 * From Flyway's source (github.com/flyway/flyway, commit
 * c5e20fc77341d4117e7a291214e23f89c1371516): flyway-core .../internal/resolver/sql/
 * SqlMigrationResolver.java (the checksum of the raw file; a repeatable one's after
 * placeholder replacement), .../internal/resolver/sql/SqlScriptMetadata.java (the .sql.conf).
 * Repeatable (R__) migrations carry migration.repeatable: the plan applies them after the
 * versioned ones and again whenever their checksum changes, as Flyway does. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "checksum.h"
#include "exitcode.h"
#include "format_flyway.h"
#include "log.h"
#include "source.h"

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

static int load_one(const struct source_dir *d, struct flyway_ph *c, const char *f,
                    const char *ver, size_t vlen, const char *desc, size_t dlen, bool repeatable,
                    struct migset *set, struct err *e)
{
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
	const char *pr = flyway_env("FLYWAY_PLACEHOLDER_REPLACEMENT");
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
	if (replace && (rc = flyway_replace_placeholders(c, &text, &len, e)) != EXIT_DONE) {
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

int flyway_load(const struct source_dir *d, struct migset *set, struct err *e)
{
	int rc = source_check_odd(d, flyway_is_migration, e);
	if (rc != EXIT_DONE)
		return rc;
	if ((rc = flyway_check_config(e)) != EXIT_DONE)
		return rc;
	const char *v = flyway_env("FLYWAY_VALIDATE_ON_MIGRATE");
	if (v && strcasecmp(v, "false") == 0)
		log_warn("FLYWAY_VALIDATE_ON_MIGRATE=false: dbready still refuses a migration "
		         "edited after it was applied");
	struct flyway_ph c;
	flyway_ph_init(&c);
	for (int i = 0; i < d->nfiles && rc == EXIT_DONE; i++) {
		const char *f = d->files[i], *ver, *desc;
		size_t vl, dl;
		char name[768];
		utf8_escape(f, name, sizeof name);
		switch (flyway_parse_name(f, &ver, &vl, &desc, &dl)) {
		case FLYWAY_NONE:
			log_debug("\"%s\" in \"%s\" is not a Flyway SQL migration: ignored, as "
			          "Flyway ignores it",
			          name, d->path);
			break;
		case FLYWAY_UNDO:
			log_info("\"%s\": an undo migration (Flyway Teams): ignored, as Flyway "
			         "Community ignores it",
			         name);
			break;
		case FLYWAY_BAD:
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
		case FLYWAY_REPEATABLE:
			rc = load_one(d, &c, f, ver, vl, desc, dl, true, set, e);
			break;
		case FLYWAY_VERSIONED:
			rc = load_one(d, &c, f, ver, vl, desc, dl, false, set, e);
			break;
		}
	}
	flyway_ph_free(&c);
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
