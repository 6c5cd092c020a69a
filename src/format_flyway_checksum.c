/* format_flyway_checksum.c - Flyway's numbers: the checksum of a file (CRC-32 line by line)
 * and the advisory lock key of a history table (Java's String.hashCode).
 *
 * From Flyway's source (github.com/flyway/flyway, commit
 * c5e20fc77341d4117e7a291214e23f89c1371516): flyway-core
 * .../internal/resolver/ChecksumCalculator.java and .../internal/util/BomFilter.java (the
 * checksum), flyway-database-postgresql
 * .../PostgreSQLConnection.java lock() and PostgreSQLAdvisoryLockTemplate.java (the lock). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "format_flyway.h"
#include "source.h"

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
