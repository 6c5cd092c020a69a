/* format_flyway.h - the pieces of format_flyway.c that its unit tests check against values
 * computed independently (nothing else includes this header). */
#ifndef DBREADY_FORMAT_FLYWAY_H
#define DBREADY_FORMAT_FLYWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Compare two Flyway versions (MigrationVersion.compareTo): parts split at "." or "_", each
 * a number of any length, missing parts are 0 ("1.0" == "1"). */
int flyway_version_cmp(const char *a, const char *b);

/* Whether v is a version MigrationVersion.fromVersion() accepts (digits, parts separated by
 * "." or "_" followed by a digit). */
bool flyway_version_valid(const char *v, size_t len);

#endif
