/* checksum.h - SHA-256 (OpenSSL), CRC-32 and the UTF-8 decoding drizzle-orm hashes through. */
#ifndef DBREADY_CHECKSUM_H
#define DBREADY_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Lowercase hex SHA-256 of data[0..len) into out (65 bytes). Returns false on failure. */
bool checksum_sha256(const void *data, size_t len, char out[65]);

/* CRC-32 of p[0..n), IEEE 802.3 (the reflected polynomial 0xEDB88320, initial value and final
 * XOR 0xFFFFFFFF): zlib's crc32(), Go's hash/crc32.ChecksumIEEE, Java's java.util.zip.CRC32.
 * checksum_crc32("123456789", 9) == 0xCBF43926. */
uint32_t checksum_crc32(const void *p, size_t n);

/* Decode *buf (malloc'd, *len bytes, NUL-terminated) as UTF-8 the way Node.js's
 * Buffer#toString() does (WHATWG: every maximal invalid subsequence becomes U+FFFD) and
 * re-encode it. Valid input is kept as it is, without a copy; otherwise the result replaces
 * *buf (allocated at its exact size, NUL-terminated) and the input is freed at once, so that
 * only one copy of a file is ever kept. Returns false when out of memory (*buf unchanged). */
bool utf8_sanitize(char **buf, size_t *len);

/* Offset of the first byte of s[0..len) that is not valid UTF-8, or len when it all is. */
size_t utf8_invalid_at(const char *s, size_t len);

/* A printable copy of the NUL-terminated s for messages: valid UTF-8 is kept, control
 * characters and bytes that are not valid UTF-8 are written as \xHH. What does not fit in
 * size bytes (with the NUL) is cut at a whole character and the cut is marked ("… (cut, N
 * more bytes)"); returns the length written. */
size_t utf8_escape(const char *s, char *out, size_t size);

/* Number of characters (code points) in a valid UTF-8 buffer. */
size_t utf8_chars(const char *s, size_t len);

/* Byte offset of the n-th (0-based) character of a valid UTF-8 buffer, clamped to len. */
size_t utf8_offset(const char *s, size_t len, size_t n);

#endif
