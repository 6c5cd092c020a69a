/* format_plain.c - numbered SQL files (<version>_<name>.sql, numeric order) and dbready's
 * own history table, "public"."dbready_migrations". */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checksum.h"
#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "source.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* A name the plain format would load: <digits>_<name>.sql, not a *.down.sql. */
static bool looks_like_migration(const char *f)
{
	size_t digits = strspn(f, "0123456789");
	return digits > 0 && f[digits] == '_' && ends_with(f, ".sql") &&
	       !ends_with(f, ".down.sql");
}

/* The history table records the name as text: a name that is not UTF-8 would pass `check`
 * and fail `run` when its row is written, after the migration ran. */
static int check_name(const struct source_dir *d, const char *f, struct err *e)
{
	size_t bad = utf8_invalid_at(f, strlen(f));
	if (f[bad] == '\0')
		return EXIT_DONE;
	char name[768], detail[1024];
	utf8_escape(f, name, sizeof name);
	snprintf(detail, sizeof detail,
	         "Byte %zu (0x%02X) is not valid UTF-8; the name is recorded in the history "
	         "table as text, which must be UTF-8. Bytes that are not are shown as \\xHH.",
	         bad + 1, (unsigned char)f[bad]);
	return err_set(e, EXIT_MIGRATIONS, "file_name_encoding",
	               "Rename the file with a UTF-8 name (ASCII letters, digits and _ are "
	               "safest); a name written in Latin-1 or another legacy encoding shows "
	               "this.",
	               detail, "migration file name \"%s\" in \"%s\" is not valid UTF-8", name,
	               d->path);
}

/* Another tool's markers (formats.md, "Safety first"): a file with sections that tool runs
 * one at a time must never be run whole. goose: "-- +goose <annotation>" (goose's own
 * annotations, case-insensitive); dbmate: "-- migrate:up" / "-- migrate:down" (any spaces
 * after the dashes, as dbmate's regular expression allows). */
static const char *foreign_marker(const char *line, size_t n, const char **tool)
{
	static const char *const goose[] = {"up",           "down",           "statementbegin",
	                                    "statementend", "no transaction", "envsub"};
	if (n < 2 || line[0] != '-' || line[1] != '-')
		return NULL;
	size_t i = 2;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n - i >= 6 && strncasecmp(line + i, "+goose", 6) == 0) {
		size_t w = i + 6;
		while (w < n && (line[w] == ' ' || line[w] == '\t'))
			w++;
		for (size_t k = 0; k < sizeof goose / sizeof *goose; k++) {
			size_t len = strlen(goose[k]);
			if (n - w >= len && strncasecmp(line + w, goose[k], len) == 0) {
				*tool = "goose";
				return line;
			}
		}
	}
	if (n - i >= 10 && (strncmp(line + i, "migrate:up", 10) == 0 ||
	                    (n - i >= 12 && strncmp(line + i, "migrate:down", 12) == 0))) {
		*tool = "dbmate";
		return line;
	}
	return NULL;
}

static int check_markers(const struct migration *m, struct err *e)
{
	const char *p = m->text, *end = m->text + m->text_len;
	for (int line = 1; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		const char *tool = NULL;
		if (foreign_marker(p, n, &tool)) {
			/* the marker line, at most 100 bytes of it (escaped: at most 4 bytes each)
			 */
			char name[768], raw[104], marker[420], detail[1024];
			utf8_escape(m->file, name, sizeof name);
			snprintf(raw, sizeof raw, "%.*s", (int)(n < 100 ? n : 100), p);
			utf8_escape(raw, marker, sizeof marker);
			snprintf(detail, sizeof detail,
			         "Line %d says \"%s\"%s: %s runs the sections of such a file one "
			         "at "
			         "a time and never runs its down section; run whole as plain SQL, "
			         "the "
			         "file would undo itself (or delete data).",
			         line, marker, n > 100 ? " (cut)" : "", tool);
			char hint[256];
			snprintf(hint, sizeof hint,
			         "This is a %s folder: run with --format=%s (or --format=auto), "
			         "which runs only its up sections, or remove the markers and the "
			         "down sections if the files are meant as plain SQL.",
			         tool, tool);
			return err_set(
			        e, EXIT_MIGRATIONS, "foreign_markers", hint, detail,
			        "migration file \"%s\" carries %s's markers and cannot run as "
			        "plain SQL",
			        name, tool);
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return EXIT_DONE;
}

static int by_version(const void *x, const void *y)
{
	const struct migration *a = x, *b = y;
	return source_version_cmp(a->version, b->version);
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	int rc = source_check_odd(d, looks_like_migration, e);
	if (rc != EXIT_DONE)
		return rc;
	for (int i = 0; i < d->nfiles; i++) {
		const char *f = d->files[i];
		if (strncasecmp(f, "README", 6) == 0 || ends_with(f, ".down.sql"))
			continue;
		char name[768];
		utf8_escape(f, name, sizeof name);
		size_t digits = strspn(f, "0123456789");
		if (digits == 0 || digits > 30 || f[digits] != '_' || !ends_with(f, ".sql") ||
		    strlen(f) <= digits + 1 + 4)
			return err_set(
			        e, EXIT_MIGRATIONS, "file_unexpected",
			        "Name migrations <version>_<name>.sql (e.g. "
			        "0001_create_users.sql), "
			        "or remove the file; *.down.sql, README* and files starting with "
			        "\".\" are ignored.",
			        NULL, "unexpected file \"%s\" in the migrations folder \"%s\"",
			        name, d->path);
		rc = check_name(d, f, e);
		if (rc != EXIT_DONE)
			return rc;
		struct migration *m = migset_add(set);
		if (!m)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		m->file = strdup(f);
		m->version = strndup(f, digits);
		/* at most 30 digits (refused above): they fit the key by construction */
		_Static_assert(sizeof m->key > 30, "a plain version fits the key");
		memcpy(m->key, f, digits);
		m->key[digits] = '\0';
		/* golang-migrate's "1_init.up.sql" is named "1_init" */
		size_t stem = strlen(f) - 4 - (ends_with(f, ".up.sql") ? 3 : 0);
		m->name = strndup(f, stem);
		if (!m->file || !m->version || !m->name)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	for (int i = 0; i < d->nsubdirs; i++) {
		char name[768];
		utf8_escape(d->subdirs[i], name, sizeof name);
		log_warn("directory \"%s\" in the migrations folder \"%s\" is ignored", name,
		         d->path);
	}
	if (set->n > 1)
		qsort(set->m, (size_t)set->n, sizeof *set->m, by_version);
	for (int i = 1; i < set->n; i++)
		if (source_version_cmp(set->m[i - 1].version, set->m[i].version) == 0)
			return err_set(e, EXIT_MIGRATIONS, "version_duplicate",
			               "Give each migration its own version number.", NULL,
			               "\"%s\" and \"%s\" have the same version %s",
			               set->m[i - 1].file, set->m[i].file, set->m[i].version);
	for (int i = 0; i < set->n; i++) {
		rc = source_prepare(d->path, &set->m[i], false, NULL, e);
		if (rc == EXIT_DONE)
			rc = check_markers(&set->m[i], e);
		if (rc != EXIT_DONE)
			return rc;
	}
	return EXIT_DONE;
}

/* ---------- the history table ---------- */

static void create_sql(const char *qname, struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 0),
	            "CREATE TABLE IF NOT EXISTS %s (\n"
	            "\tversion text PRIMARY KEY,\n"
	            "\tname text NOT NULL,\n"
	            "\tchecksum text NOT NULL,\n"
	            "\tapplied_at timestamptz NOT NULL DEFAULT now(),\n"
	            "\tduration_ms integer NOT NULL,\n"
	            "\tapplied_by text NOT NULL\n"
	            ")",
	            qname);
}

static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	/* duration: the transaction's age when its last statement runs */
	fsql_printf(fsql_add(out, duration_ms ? 5 : 4, m->version, m->name, m->hash, applied_by,
	                     duration_ms),
	            "INSERT INTO %s (version, name, checksum, duration_ms, applied_by) VALUES "
	            "($1, $2, $3, %s, $4)",
	            qname,
	            duration_ms
	                    ? "$5::integer"
	                    : "(extract(epoch FROM clock_timestamp() - now()) * 1000)::integer");
}

/* "0010" and "10" are one version */
static bool key_equal(const char *row_key, const char *file_key)
{
	return source_version_cmp(row_key, file_key) == 0;
}

/* dbready's own table: the row takes the file's checksum */
static void accept_changed_sql(const char *qname, const char *row_key, const struct migration *m,
                               struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 2, m->hash, row_key),
	            "UPDATE %s SET checksum = $1 WHERE version = $2", qname);
}

const struct format format_plain = {
        .name = "plain",
        .detect = NULL, /* the fallback: any folder of numbered .sql files */
        .load = load,
        .schema = "public",
        .table = "dbready_migrations",
        .key_label = "version",
        .key_is_number = false,
        .records_checksum = true,
        .read_sql = "SELECT version, checksum, name, NULL FROM %s ORDER BY version",
        .guard_sql = "SELECT EXISTS (SELECT 1 FROM %s WHERE version = ANY ($1::text[]))",
        .create_sql = create_sql,
        .record_sql = record_sql,
        .key_equal = key_equal,
        .accept_changed_sql = accept_changed_sql,
};
