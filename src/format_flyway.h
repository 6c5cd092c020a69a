/* format_flyway.h - what the files of the Flyway format (format_flyway*.c) share, and the
 * pieces its unit tests check against values computed independently. Nothing outside
 * format_flyway*.c and tests/unit/test_flyway.c includes this header. */
#ifndef DBREADY_FORMAT_FLYWAY_H
#define DBREADY_FORMAT_FLYWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "migration.h"

struct source_dir;

/* ---------- format_flyway_checksum.c ---------- */

/* Flyway's checksum of a file's bytes (ChecksumCalculator): CRC-32 over the lines as
 * BufferedReader.readLine() returns them (without "\n", "\r" or "\r\n"), the byte-order mark
 * taken off the first one, each line's UTF-8 bytes; as Java's (int) cast, a signed value.
 * Bytes that are not valid UTF-8 count as U+FFFD, as Java's decoder reads them. Returns
 * false when out of memory. */
bool flyway_checksum(const char *text, size_t len, int32_t *out);

/* Java's String.hashCode() of a UTF-8 string (over its UTF-16 code units). */
int32_t flyway_java_hash(const char *s);

/* Flyway's advisory lock number for "schema"."table" (PostgreSQLAdvisoryLockTemplate:
 * 0x466C79776179 + hashCode of the quoted name). */
long long flyway_lock_number(const char *schema, const char *table);

/* ---------- format_flyway_names.c ---------- */

/* Compare two Flyway versions (MigrationVersion.compareTo): parts split at "." or "_", each
 * a number of any length, missing parts are 0 ("1.0" == "1"). Also the format's key_cmp. */
int flyway_version_cmp(const char *a, const char *b);

/* Whether v is a version MigrationVersion.fromVersion() accepts (digits, parts separated by
 * "." or "_" followed by a digit). */
bool flyway_version_valid(const char *v, size_t len);

enum flyway_kind {
	FLYWAY_NONE,       /* not a migration's name: ignored */
	FLYWAY_VERSIONED,  /* V<version>__<description>.sql */
	FLYWAY_REPEATABLE, /* R__<description>.sql */
	FLYWAY_UNDO,       /* U...: Flyway Teams only, ignored */
	FLYWAY_BAD,        /* looks like a migration, but its version is not one */
};

/* ResourceNameParser.parse() with the default prefixes (V, U, R), separator "__" and suffix
 * ".sql" (matched ignoring case, as stripSuffix does). ver and vlen: the version; desc: the
 * raw description (underscores kept). Pointers into f. */
enum flyway_kind flyway_parse_name(const char *f, const char **ver, size_t *vlen,
                                   const char **desc, size_t *dlen);

/* Whether name is a versioned or repeatable migration's, or a bad one (source_check_odd) */
bool flyway_is_migration(const char *name);

/* struct format.detect */
int flyway_detect(const struct source_dir *d, const char **why, struct err *e);

/* ---------- format_flyway_placeholders.c ---------- */

/* A set (non-empty) environment variable, or NULL. */
const char *flyway_env(const char *name);

/* What placeholders are replaced with while a folder is read (flyway_ph_init fills it,
 * flyway_ph_free releases it; file is set before each file). */
struct flyway_ph {
	const char *file;
	char timestamp[32];
	char *url_user, *url_db; /* from the connection string in the environment */
};
void flyway_ph_init(struct flyway_ph *c);
void flyway_ph_free(struct flyway_ph *c);

/* Replace "${name}" in text as PlaceholderReplacingReader does (a "${" without "}" reads to
 * the end: an undefined placeholder). *text (malloc'd, *len) is replaced. EXIT_DONE, or an
 * exit code with e filled (an undefined placeholder: exit 6, naming it). */
int flyway_replace_placeholders(struct flyway_ph *c, char **text, size_t *len, struct err *e);

/* ---------- format_flyway_config.c ---------- */

/* s as an SQL string literal ('...', quotes doubled) into out; false when it does not fit */
bool flyway_sql_literal(const char *s, char *out, size_t cap);

/* FLYWAY_SCHEMAS' names as SQL literals separated by ", " ("" when not set); false when
 * they do not fit cap or a name is longer than 63 bytes */
#define FLYWAY_SCHEMAS_SQL_MAX      640
#define FLYWAY_INSTALLED_BY_SQL_MAX 256
bool flyway_schemas_sql(char *out, size_t cap);

/* Refuse (exit 3) what create_sql could not write: FLYWAY_SCHEMAS too long,
 * FLYWAY_INSTALLED_BY over 100 characters. */
int flyway_check_config(struct err *e);

/* ---------- format_flyway_load.c ---------- */

/* struct format.load */
int flyway_load(const struct source_dir *d, struct migset *set, struct err *e);

#endif
