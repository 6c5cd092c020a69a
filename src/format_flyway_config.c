/* format_flyway_config.c - Flyway's configuration that is not a folder or a URL: the schemas
 * it manages (FLYWAY_SCHEMAS, created with the history table), FLYWAY_INSTALLED_BY, and the
 * checks load() makes before anything runs.
 *
 * From Flyway's source (github.com/flyway/flyway, commit
 * c5e20fc77341d4117e7a291214e23f89c1371516): flyway-core .../internal/command/DbSchemas.java
 * (createSchemas), .../internal/schemahistory/SchemaHistory.java addSchemasMarker(),
 * .../internal/configuration/ConfigUtils.java (FLYWAY_* variables; lists split at ","
 * and trimmed). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "format_flyway.h"

bool flyway_sql_literal(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	if (cap < 3)
		return false;
	out[o++] = '\'';
	for (; *s; s++) {
		if (o + (*s == '\'' ? 2 : 1) + 2 > cap)
			return false;
		if (*s == '\'')
			out[o++] = '\'';
		out[o++] = *s;
	}
	out[o++] = '\'';
	out[o] = '\0';
	return true;
}

/* The next entry of a comma list from *p, trimmed: [*s, *s + *n); false at the end */
static bool next_entry(const char **p, const char **s, size_t *n)
{
	const char *v = *p;
	if (!v)
		return false;
	size_t len = strcspn(v, ",");
	*p = v[len] == ',' ? v + len + 1 : NULL;
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	*s = v;
	*n = len;
	return true;
}

bool flyway_schemas_sql(char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	const char *p = flyway_env("FLYWAY_SCHEMAS"), *s;
	size_t n;
	char name[64], lit[2 * sizeof name + 3];
	while (next_entry(&p, &s, &n)) {
		if (n == 0)
			continue; /* tokenizeToStringArray drops empty entries */
		if (n >= sizeof name)
			return false;
		memcpy(name, s, n);
		name[n] = '\0';
		if (!flyway_sql_literal(name, lit, sizeof lit))
			return false;
		int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", lit);
		if (w < 0 || (size_t)w >= cap - o)
			return false;
		o += (size_t)w;
	}
	return true;
}

int flyway_check_config(struct err *e)
{
	/* the statement that creates the schemas embeds their names and the installed_by
	 * (format_flyway.c create_sql): both must fit */
	char names[FLYWAY_SCHEMAS_SQL_MAX], lit[FLYWAY_INSTALLED_BY_SQL_MAX];
	if (!flyway_schemas_sql(names, sizeof names))
		return err_set(e, EXIT_CONFIG, "flyway_schemas_too_long",
		               "Name fewer schemas in FLYWAY_SCHEMAS, each of at most 63 bytes.",
		               "PostgreSQL's names are at most 63 bytes, and dbready creates the "
		               "schemas in one statement of bounded size.",
		               "FLYWAY_SCHEMAS is longer than dbready takes (%zu bytes as SQL)",
		               sizeof names - 1);
	const char *by = flyway_env("FLYWAY_INSTALLED_BY");
	if (by && (utf8_chars(by, strlen(by)) > 100 || !flyway_sql_literal(by, lit, sizeof lit)))
		return err_set(e, EXIT_CONFIG, "flyway_installed_by_too_long",
		               "Shorten FLYWAY_INSTALLED_BY to at most 100 characters.",
		               "flyway_schema_history.installed_by is VARCHAR(100).",
		               "FLYWAY_INSTALLED_BY is longer than 100 characters");
	/* Flyway's baselineVersion is a MigrationVersion; the column holds 50 characters */
	const char *bv = flyway_env("FLYWAY_BASELINE_VERSION");
	if (bv && (strlen(bv) > 50 || !flyway_version_valid(bv, strlen(bv))))
		return err_set(
		        e, EXIT_CONFIG, "flyway_baseline_version_invalid",
		        "Set FLYWAY_BASELINE_VERSION to a version such as 1 or 2.1 (numbers "
		        "separated by \".\" or \"_\", at most 50 characters).",
		        NULL, "FLYWAY_BASELINE_VERSION is not a Flyway version");
	const char *bd = flyway_env("FLYWAY_BASELINE_DESCRIPTION");
	if (bd && utf8_chars(bd, strlen(bd)) > 200)
		return err_set(e, EXIT_CONFIG, "flyway_baseline_description_too_long",
		               "Shorten FLYWAY_BASELINE_DESCRIPTION to at most 200 characters.",
		               "flyway_schema_history.description is VARCHAR(200).",
		               "FLYWAY_BASELINE_DESCRIPTION is longer than 200 characters");
	return EXIT_DONE;
}
