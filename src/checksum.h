/* checksum.h - SHA-256 (OpenSSL) and the UTF-8 decoding drizzle-orm hashes through. */
#ifndef DBREADY_CHECKSUM_H
#define DBREADY_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>

/* Lowercase hex SHA-256 of data[0..len) into out (65 bytes). Returns false on failure. */
bool checksum_sha256(const void *data, size_t len, char out[65]);

/* Decode bytes as UTF-8 the way Node.js's Buffer#toString() does (WHATWG: every maximal
 * invalid subsequence becomes U+FFFD) and return the re-encoded result, NUL-terminated, in a
 * new buffer (*out_len bytes). Valid input comes back unchanged. NULL when out of memory. */
char *utf8_sanitize(const char *in, size_t len, size_t *out_len);

/* Number of characters (code points) in a valid UTF-8 buffer. */
size_t utf8_chars(const char *s, size_t len);

/* Byte offset of the n-th (0-based) character of a valid UTF-8 buffer, clamped to len. */
size_t utf8_offset(const char *s, size_t len, size_t n);

#endif
