/* source_plain.c - numbered SQL files: <version>_<name>.sql, applied in numeric order. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checksum.h"
#include "exitcode.h"
#include "log.h"
#include "source.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Compare two digit strings as numbers of any length ("10" > "9", "0010" == "10"). */
int plain_version_cmp(const char *a, const char *b)
{
	while (*a == '0' && a[1])
		a++;
	while (*b == '0' && b[1])
		b++;
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

/* A name the plain format would load: <digits>_<name>.sql, not a *.down.sql. */
static bool looks_like_migration(const char *f)
{
	size_t digits = strspn(f, "0123456789");
	return digits > 0 && f[digits] == '_' && ends_with(f, ".sql") &&
	       !ends_with(f, ".down.sql");
}

/* Entries that are neither a file nor a directory: one named like a migration cannot be
 * skipped (later migrations may depend on it), anything else is ignored with a warning. */
static int check_odd(const struct source_dir *d, struct err *e)
{
	for (int i = 0; i < d->nodd; i++) {
		char name[768];
		utf8_escape(d->odd[i], name, sizeof name);
		if (looks_like_migration(d->odd[i]))
			return err_set(
			        e, EXIT_MIGRATIONS, "file_not_regular",
			        "Replace it with a regular file (or a symbolic link to one), "
			        "or remove it.",
			        d->odd_why[i], "migration file \"%s\" in \"%s\" cannot be read",
			        name, d->path);
		log_warn("\"%s\" in the migrations folder \"%s\" is ignored: %s", name, d->path,
		         d->odd_why[i]);
	}
	return EXIT_DONE;
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

static int by_version(const void *x, const void *y)
{
	const struct migration *a = x, *b = y;
	return plain_version_cmp(a->version, b->version);
}

int source_plain_load(const struct source_dir *d, struct migset *set, struct err *e)
{
	int rc = check_odd(d, e);
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
		snprintf(m->key, sizeof m->key, "%.*s", (int)(digits < 31 ? digits : 31), f);
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
		if (plain_version_cmp(set->m[i - 1].version, set->m[i].version) == 0)
			return err_set(e, EXIT_MIGRATIONS, "version_duplicate",
			               "Give each migration its own version number.", NULL,
			               "\"%s\" and \"%s\" have the same version %s",
			               set->m[i - 1].file, set->m[i].file, set->m[i].version);
	for (int i = 0; i < set->n; i++) {
		rc = source_prepare(d->path, &set->m[i], FORMAT_PLAIN, e);
		if (rc != EXIT_DONE)
			return rc;
	}
	return EXIT_DONE;
}
