/* format_drizzle.c - drizzle-kit's folder (meta/_journal.json and <tag>.sql files) and
 * drizzle-orm's history table, "drizzle"."__drizzle_migrations". */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "source.h"

/* drizzle-kit cuts statements at this line; drizzle-orm splits on it before sending */
#define BREAKPOINT "--> statement-breakpoint"

/* line:column of a byte offset, for a journal that does not parse */
static void position(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static const char journal_hint[] = "Regenerate the journal with drizzle-kit generate, or restore "
                                   "meta/_journal.json from version control.";

static int load_entries(const struct source_dir *d, cJSON *entries, struct migset *set,
                        struct err *e)
{
	int n = cJSON_GetArraySize(entries);
	for (int i = 0; i < n; i++) {
		cJSON *en = cJSON_GetArrayItem(entries, i);
		cJSON *tag = cJSON_GetObjectItemCaseSensitive(en, "tag");
		cJSON *when = cJSON_GetObjectItemCaseSensitive(en, "when");
		if (!cJSON_IsString(tag) || !*tag->valuestring || !cJSON_IsNumber(when) ||
		    when->valuedouble < 0 || when->valuedouble != floor(when->valuedouble))
			return err_set(
			        e, EXIT_MIGRATIONS, "journal_invalid", journal_hint,
			        "Every entry needs a \"tag\" (the file name without .sql) and a "
			        "\"when\" (milliseconds since 1970).",
			        "entry %d of meta/_journal.json in \"%s\" has no valid %s", i,
			        d->path,
			        !cJSON_IsString(tag) || !*tag->valuestring ? "\"tag\""
			                                                   : "\"when\"");
		/* created_at is a bigint, and converting a double at or beyond 2^63 to long long
		 * is undefined behaviour (1e308 parses as a number) */
		if (when->valuedouble >= 9223372036854775808.0) {
			char detail[384];
			snprintf(detail, sizeof detail,
			         when->valuedouble < 1e20 ? "It is %.0f; %s" : "It is %g; %s",
			         when->valuedouble,
			         "\"when\" is recorded as created_at, a bigint, so it must be at "
			         "most "
			         "9223372036854775807 (drizzle-kit writes milliseconds since "
			         "1970).");
			return err_set(e, EXIT_MIGRATIONS, "journal_invalid", journal_hint, detail,
			               "entry %d of meta/_journal.json in \"%s\" has a \"when\" "
			               "out of range",
			               i, d->path);
		}
		const char *t = tag->valuestring;
		size_t bad = utf8_invalid_at(t, strlen(t));
		if (t[bad] != '\0') {
			char esc[768];
			utf8_escape(t, esc, sizeof esc);
			return err_set(
			        e, EXIT_MIGRATIONS, "journal_invalid", journal_hint,
			        "drizzle-orm reads the journal as UTF-8 and would look for "
			        "another file name; bytes that are not UTF-8 are shown as "
			        "\\xHH.",
			        "entry %d of meta/_journal.json has the tag \"%s\", which is "
			        "not valid UTF-8",
			        i, esc);
		}
		if (strchr(t, '/') || strcmp(t, "..") == 0)
			return err_set(e, EXIT_MIGRATIONS, "journal_invalid", journal_hint, NULL,
			               "entry %d of meta/_journal.json has the tag \"%s\", which "
			               "is not a "
			               "file name",
			               i, t);
		long long w = (long long)when->valuedouble;
		for (int k = 0; k < set->n; k++) {
			if (strcmp(set->m[k].name, t) == 0 || set->m[k].when == w)
				return err_set(
				        e, EXIT_MIGRATIONS, "journal_duplicate", journal_hint,
				        NULL,
				        "entries %d and %d of meta/_journal.json have the same %s "
				        "(\"%s\")",
				        k, i, strcmp(set->m[k].name, t) == 0 ? "tag" : "\"when\"",
				        strcmp(set->m[k].name, t) == 0 ? t : set->m[k].name);
		}
		struct migration *m = migset_add(set);
		if (!m)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		m->name = strdup(t);
		size_t flen = strlen(t) + 5;
		m->file = malloc(flen);
		if (!m->name || !m->file)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		snprintf(m->file, flen, "%s.sql", t);
		m->when = w;
		snprintf(m->key, sizeof m->key, "%lld", w);
		const char *odd = source_odd_why(d, m->file);
		if (odd)
			return err_set(
			        e, EXIT_MIGRATIONS, "file_not_regular",
			        "Replace it with a regular file (or a symbolic link to one).", odd,
			        "migration file \"%s\" in \"%s\" cannot be read", m->file,
			        d->path);
		if (!source_has_file(d, m->file)) {
			char detail[512];
			snprintf(detail, sizeof detail,
			         "The journal names entry %d (\"%s\"), but \"%s\" is not in "
			         "\"%s\".",
			         i, t, m->file, d->path);
			return err_set(
			        e, EXIT_MIGRATIONS, "file_missing",
			        "Mount every file the journal names (a ConfigMap must include all "
			        "of them), or regenerate the migrations.",
			        detail, "migration file \"%s\" is missing", m->file);
		}
		int rc = source_prepare(d->path, m, true, BREAKPOINT, e);
		if (rc != EXIT_DONE)
			return rc;
	}
	return EXIT_DONE;
}

/* .sql files the journal does not name: drizzle-orm ignores them, and so do we, loudly */
static void warn_orphans(const struct source_dir *d, const struct migset *set)
{
	for (int i = 0; i < d->nfiles; i++) {
		const char *f = d->files[i];
		size_t len = strlen(f);
		if (len < 4 || strcmp(f + len - 4, ".sql") != 0)
			continue;
		bool named = false;
		for (int k = 0; k < set->n && !named; k++)
			named = strcmp(set->m[k].file, f) == 0;
		if (named)
			continue;
		struct log_fields lf = LOG_FIELDS_INIT;
		lf.event = "file_ignored";
		lf.detail = "drizzle applies only the files its journal names; applying this one "
		            "could "
		            "break a later migration.";
		lf.hint =
		        "Delete the file if it is abandoned, or add it with drizzle-kit generate.";
		log_emit(LOG_WARN, &lf, "\"%s\" is not in meta/_journal.json and is ignored", f);
	}
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	char *text = NULL;
	size_t len;
	int rc = source_read(d->path, "meta/_journal.json", &text, &len, e);
	if (rc != EXIT_DONE) {
		if (rc == EXIT_MIGRATIONS && strcmp(e->event, "file_unreadable") == 0)
			snprintf(e->hint, sizeof e->hint, "%s", journal_hint);
		return rc;
	}
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j) {
		const char *at = cJSON_GetErrorPtr();
		int line = 0, col = 0;
		if (at && at >= text && at <= text + len)
			position(text, (size_t)(at - text), &line, &col);
		free(text);
		return err_set(
		        e, EXIT_MIGRATIONS, "journal_invalid", journal_hint, NULL,
		        "meta/_journal.json in \"%s\" is not valid JSON (near line %d, column "
		        "%d)",
		        d->path, line, col);
	}
	free(text);
	cJSON *dialect = cJSON_GetObjectItemCaseSensitive(j, "dialect");
	cJSON *version = cJSON_GetObjectItemCaseSensitive(j, "version");
	cJSON *entries = cJSON_GetObjectItemCaseSensitive(j, "entries");
	if (cJSON_IsString(dialect) && strcmp(dialect->valuestring, "postgresql") != 0 &&
	    strcmp(dialect->valuestring, "pg") != 0) {
		err_set(e, EXIT_MIGRATIONS, "journal_dialect",
		        "Point dbready at the PostgreSQL migrations (drizzle.config's out folder "
		        "with "
		        "dialect \"postgresql\").",
		        NULL, "meta/_journal.json is for dialect \"%s\", not PostgreSQL",
		        dialect->valuestring);
		cJSON_Delete(j);
		return EXIT_MIGRATIONS;
	}
	if (!cJSON_IsArray(entries)) {
		cJSON_Delete(j);
		return err_set(e, EXIT_MIGRATIONS, "journal_invalid", journal_hint, NULL,
		               "meta/_journal.json in \"%s\" has no \"entries\" array", d->path);
	}
	if (cJSON_IsString(version) && strcmp(version->valuestring, "5") != 0 &&
	    strcmp(version->valuestring, "6") != 0 && strcmp(version->valuestring, "7") != 0)
		log_warn("meta/_journal.json has version \"%s\"; dbready knows versions 5 to 7",
		         version->valuestring);
	rc = load_entries(d, entries, set, e);
	cJSON_Delete(j);
	if (rc == EXIT_DONE)
		warn_orphans(d, set);
	return rc;
}

/* ---------- the folder's shape ---------- */

/* A folder with meta/_journal.json is drizzle-kit's. A journal that is a dangling link or a
 * loop must not make the folder look plain (its files would be applied under another
 * history table): that is an error, not "no journal". */
static int detect(const struct source_dir *d, const char **why, struct err *e)
{
	char odd[1536];
	switch (source_probe(d->path, "meta/_journal.json", odd, sizeof odd)) {
	case 1:
		/* drizzle-kit 1.x's <timestamp>_<name>/migration.sql folders beside the journal: a
		 * half-converted folder (format_drizzle1.c), refused with drizzle's advice */
		for (int i = 0; i < d->nsubdirs; i++) {
			char rel[4096]; /* a directory entry's name is under 256 bytes: it fits */
			snprintf(rel, sizeof rel, "%s/migration.sql", d->subdirs[i]);
			if (source_probe(d->path, rel, odd, sizeof odd) == 0)
				continue;
			err_set(e, EXIT_MIGRATIONS, "folder_both_layouts",
			        "Run \"drizzle-kit up\" (drizzle-kit 1.x) to finish converting "
			        "the "
			        "folder to the 1.x layout (--format=drizzle-1).",
			        "drizzle-kit 1.x's up converts the journal and its .sql files "
			        "into "
			        "<timestamp>_<name>/migration.sql folders; a folder with both is "
			        "half "
			        "converted, and drizzle-orm 1.x refuses it.",
			        "the folder \"%s\" has both drizzle layouts: meta/_journal.json "
			        "(0.x) and "
			        "<timestamp>_<name>/migration.sql folders (1.x)",
			        d->path);
			return -1;
		}
		*why = "meta/_journal.json found";
		return 1;
	case 0:
		*why = "no drizzle journal (meta/_journal.json)";
		return 0;
	default:
		err_set(e, EXIT_MIGRATIONS, "journal_unreadable",
		        "Mount the journal the link points to, or restore meta/_journal.json from "
		        "version control.",
		        odd, "\"%s/meta/_journal.json\" cannot be read", d->path);
		return -1;
	}
}

/* ---------- the history table ---------- */

/* drizzle-orm's pg-core migrator, statement for statement */
static void create_sql(const char *qname, struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 0),
	            "CREATE TABLE IF NOT EXISTS %s (\n"
	            "\t\t\tid SERIAL PRIMARY KEY,\n"
	            "\t\t\thash text NOT NULL,\n"
	            "\t\t\tcreated_at bigint\n"
	            "\t\t)",
	            qname);
}

/* the row drizzle-orm writes: the hash and the journal's "when" */
static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	(void)applied_by;
	(void)duration_ms;
	fsql_printf(fsql_add(out, 2, m->hash, m->key),
	            "INSERT INTO %s (\"hash\", \"created_at\") VALUES ($1, $2)", qname);
}

static bool key_equal(const char *row_key, const char *file_key)
{
	return strcmp(row_key, file_key) == 0;
}

/* drizzle-orm has no command for an edited migration: its row takes the file's hash */
static void accept_changed_sql(const char *qname, const char *row_key, const struct migration *m,
                               struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 2, m->hash, row_key),
	            "UPDATE %s SET \"hash\" = $1 WHERE \"created_at\" = $2::bigint", qname);
}

const struct format format_drizzle = {
        .name = "drizzle",
        .detect = detect,
        .load = load,
        .schema = "drizzle",
        .table = "__drizzle_migrations",
        .key_label = "created_at",
        .key_is_number = true,
        .records_checksum = true,
        .read_sql = "SELECT coalesce(created_at::text, ''), hash, NULL, NULL FROM %s ORDER BY id",
        .guard_sql = "SELECT EXISTS (SELECT 1 FROM %s WHERE created_at::text = ANY ($1::text[]))",
        .create_sql = create_sql,
        .record_sql = record_sql,
        .key_equal = key_equal,
        .accept_changed_sql = accept_changed_sql,
};
