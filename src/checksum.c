/* checksum.c - SHA-256 via OpenSSL's EVP interface, and WHATWG-compatible UTF-8 repair. */
#include "checksum.h"

#include <openssl/evp.h>
#include <stdint.h>
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

char *utf8_sanitize(const char *in, size_t len, size_t *out_len)
{
	/* worst case: every byte becomes U+FFFD (3 bytes) */
	char *out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, i = 0;
	static const char fffd[] = "\xEF\xBF\xBD";
	while (i < len) {
		unsigned char b = s[i];
		size_t need;
		unsigned char lower = 0x80, upper = 0xBF;
		if (b < 0x80) {
			out[o++] = (char)b;
			i++;
			continue;
		} else if (b >= 0xC2 && b <= 0xDF) {
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
			memcpy(out + o, fffd, 3);
			o += 3;
			i++;
			continue;
		}
		/* consume continuation bytes; the first out of range ends the maximal subpart and
		 * is then looked at again as the start of something new */
		size_t j = 1;
		while (j <= need && i + j < len) {
			unsigned char c = s[i + j];
			if (c < lower || c > upper)
				break;
			lower = 0x80;
			upper = 0xBF;
			j++;
		}
		if (j == need + 1) {
			memcpy(out + o, s + i, j);
			o += j;
		} else {
			memcpy(out + o, fffd, 3);
			o += 3;
		}
		i += j;
	}
	out[o] = '\0';
	*out_len = o;
	return out;
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
