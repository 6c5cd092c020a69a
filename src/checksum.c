/* checksum.c - SHA-256 via OpenSSL's EVP interface, and WHATWG-compatible UTF-8 repair. */
#include "checksum.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool checksum_sha256(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return false;
	static const char hex[] = "0123456789abcdef";
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return true;
}

/* The UTF-8 sequence starting at s[i]: its length in bytes (at least 1), and whether it is
 * valid. An invalid one is a maximal subpart (WHATWG): the first byte out of range ends it and
 * is looked at again as the start of something new. */
static size_t utf8_next(const unsigned char *s, size_t len, size_t i, bool *valid)
{
	unsigned char b = s[i];
	size_t need;
	unsigned char lower = 0x80, upper = 0xBF;
	*valid = true;
	if (b < 0x80)
		return 1;
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		if (b == 0xE0)
			lower = 0xA0;
		if (b == 0xED)
			upper = 0x9F;
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		if (b == 0xF0)
			lower = 0x90;
		if (b == 0xF4)
			upper = 0x8F;
	} else {
		*valid = false;
		return 1;
	}
	size_t j = 1;
	while (j <= need && i + j < len) {
		unsigned char c = s[i + j];
		if (c < lower || c > upper)
			break;
		lower = 0x80;
		upper = 0xBF;
		j++;
	}
	*valid = j == need + 1;
	return j;
}

size_t utf8_invalid_at(const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0;
	while (i < len) {
		bool valid;
		size_t n = utf8_next(s, len, i, &valid);
		if (!valid)
			return i;
		i += n;
	}
	return len;
}

bool utf8_sanitize(char **buf, size_t *len)
{
	const unsigned char *s = (const unsigned char *)*buf;
	size_t first = utf8_invalid_at(*buf, *len);
	if (first == *len)
		return true; /* valid: kept as it is, no copy */
	/* the exact size first, so that a 64 MiB file costs no 192 MiB worst-case buffer */
	size_t olen = first;
	for (size_t i = first; i < *len;) {
		bool valid;
		size_t n = utf8_next(s, *len, i, &valid);
		olen += valid ? n : 3;
		i += n;
	}
	char *out = malloc(olen + 1);
	if (!out)
		return false;
	memcpy(out, s, first);
	size_t o = first;
	for (size_t i = first; i < *len;) {
		bool valid;
		size_t n = utf8_next(s, *len, i, &valid);
		if (valid) {
			memcpy(out + o, s + i, n);
			o += n;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
		}
		i += n;
	}
	out[o] = '\0';
	free(*buf);
	*buf = out;
	*len = o;
	return true;
}

/* The longest mark utf8_escape() writes where it cuts. */
#define ESCAPE_MARK_MAX (sizeof "\xE2\x80\xA6 (cut, 18446744073709551615 more bytes)" - 1)

/* Bytes the escaped form of s[i..len) takes. */
static size_t escaped_len(const unsigned char *s, size_t len, size_t i)
{
	size_t total = 0;
	while (i < len) {
		bool valid;
		size_t n = utf8_next(s, len, i, &valid);
		bool plain = valid && (n > 1 || (s[i] >= 0x20 && s[i] != 0x7F));
		total += plain ? n : 4 * n;
		i += n;
	}
	return total;
}

/* What does not fit is cut at a whole character and the cut is marked, "... (cut, N more
 * bytes)" (N counting the bytes of s left out), as log_cut_copy() does; a buffer too small
 * for a mark (2 * ESCAPE_MARK_MAX bytes or less) is cut without one. */
size_t utf8_escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)in;
	size_t len = strlen(in), o = 0;
	if (size == 0)
		return 0;
	bool fits = escaped_len(s, len, 0) < size;
	size_t limit = fits || size <= 2 * ESCAPE_MARK_MAX ? size : size - ESCAPE_MARK_MAX;
	size_t i = 0;
	while (i < len) {
		bool valid;
		size_t n = utf8_next(s, len, i, &valid);
		bool plain = valid && (n > 1 || (s[i] >= 0x20 && s[i] != 0x7F));
		size_t need = plain ? n : 4 * n;
		if (o + need >= limit)
			break;
		for (size_t k = 0; k < n; k++) {
			if (plain) {
				out[o++] = (char)s[i + k];
			} else {
				out[o++] = '\\';
				out[o++] = 'x';
				out[o++] = hex[s[i + k] >> 4];
				out[o++] = hex[s[i + k] & 15];
			}
		}
		i += n;
	}
	out[o] = '\0';
	if (i < len && limit < size) {
		int m = snprintf(out + o, size - o, "\xE2\x80\xA6 (cut, %zu more bytes)", len - i);
		o += m > 0 ? (size_t)m : 0;
	}
	return o;
}

size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t utf8_offset(const char *s, size_t len, size_t n)
{
	size_t i = 0, seen = 0;
	for (; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (seen == n)
				return i;
			seen++;
		}
	}
	return len;
}
