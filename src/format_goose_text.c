/* format_goose_text.c - a growing buffer, and Go's view of UTF-8, white space and integers
 * (utf8.DecodeRuneInString, utf8.DecodeLastRuneInString, unicode.IsSpace, strings.TrimSpace,
 * strconv.Atoi), which goose v3.27.3 (github.com/pressly/goose, commit
 * 520411a16119bd3b332613d1ff8312c4cc249673) and github.com/mfridman/interpolate v0.0.2 read
 * text with: shared by format_goose.c, format_goose_sql.c and format_goose_envsub.c. Each rule
 * is ported from Go's standard library line for line.
 */
#include <stdlib.h>
#include <string.h>

#include "format_goose_text.h"

/* ---------- a growing buffer ---------- */

void goose_buf_put(struct gbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void goose_buf_putc(struct gbuf *b, char c)
{
	goose_buf_put(b, &c, 1);
}

/* ---------- Go's view of UTF-8 and white space ---------- */

/* One rune of s[0..n) as utf8.DecodeRuneInString reads it: invalid bytes are RUNE_ERROR of
 * size 1; -1 at the end. */
int32_t goose_rune_at(const char *str, size_t n, size_t *size)
{
	const unsigned char *s = (const unsigned char *)str;
	*size = 1;
	if (n == 0) {
		*size = 0;
		return -1;
	}
	unsigned c = s[0];
	if (c < 0x80)
		return (int32_t)c;
	size_t need;
	uint32_t r, min;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 1, r = c & 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2, r = c & 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3, r = c & 0x07, min = 0x10000;
	} else {
		return RUNE_ERROR;
	}
	if (n < need + 1)
		return RUNE_ERROR;
	for (size_t i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return RUNE_ERROR;
		r = (r << 6) | (s[i] & 0x3F);
	}
	if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		return RUNE_ERROR;
	*size = need + 1;
	return (int32_t)r;
}

/* The last rune of s[0..n), as utf8.DecodeLastRuneInString reads it. */
static int32_t last_rune(const char *s, size_t n, size_t *size)
{
	*size = 1;
	if (n == 0)
		return -1;
	if ((unsigned char)s[n - 1] < 0x80)
		return (unsigned char)s[n - 1];
	size_t lim = n >= 4 ? n - 4 : 0, start = n - 1;
	while (start > lim && ((unsigned char)s[start] & 0xC0) == 0x80)
		start--;
	size_t sz;
	int32_t r = goose_rune_at(s + start, n - start, &sz);
	if (start + sz != n)
		return RUNE_ERROR;
	*size = sz;
	return r;
}

/* unicode.IsSpace (and bufio's isSpace, the same set) */
bool goose_space(int32_t r)
{
	switch (r) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xA0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202F:
	case 0x205F:
	case 0x3000:
		return true;
	default:
		return r >= 0x2000 && r <= 0x200A;
	}
}

/* strings.TrimSpace: *s and *n narrowed to the text without leading and trailing space */
void goose_trim_space(const char **s, size_t *n)
{
	size_t sz;
	while (*n) {
		int32_t r = goose_rune_at(*s, *n, &sz);
		if (!goose_space(r))
			break;
		*s += sz;
		*n -= sz;
	}
	while (*n) {
		int32_t r = last_rune(*s, *n, &sz);
		if (!goose_space(r))
			break;
		*n -= sz;
	}
}

bool goose_starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

const char *goose_find(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

/* strconv.Atoi(strings.TrimSpace(s)) on a 64-bit system */
bool goose_atoi(const char *s, size_t n, long long *out)
{
	goose_trim_space(&s, &n);
	bool neg = false;
	if (n && (*s == '+' || *s == '-')) {
		neg = *s == '-';
		s++, n--;
	}
	if (n == 0)
		return false;
	unsigned long long v = 0, lim = neg ? 9223372036854775808ULL : 9223372036854775807ULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return true;
}
