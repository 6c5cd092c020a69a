/* format_goose_text.h - the small pieces format_goose.c, format_goose_sql.c and
 * format_goose_envsub.c share: a growing buffer, and Go's view of UTF-8, white space and
 * integers (utf8.DecodeRuneInString, unicode.IsSpace, strings.TrimSpace, strconv.Atoi) as
 * goose v3.27.3 (github.com/pressly/goose, commit 520411a16119bd3b332613d1ff8312c4cc249673)
 * and github.com/mfridman/interpolate v0.0.2 see text through them. Ported from Go's standard
 * library, rule for rule; format_goose_text.c has the comments.
 */
#ifndef DBREADY_FORMAT_GOOSE_TEXT_H
#define DBREADY_FORMAT_GOOSE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------- a growing buffer ---------- */

struct gbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

void goose_buf_put(struct gbuf *b, const char *s, size_t n);
void goose_buf_putc(struct gbuf *b, char c);

/* ---------- Go's view of UTF-8 and white space ---------- */

#define RUNE_ERROR 0xFFFD

int32_t goose_rune_at(const char *str, size_t n, size_t *size);
bool goose_space(int32_t r);
void goose_trim_space(const char **s, size_t *n);
bool goose_starts_with(const char *s, size_t n, const char *prefix);
const char *goose_find(const char *s, size_t n, const char *needle);
bool goose_atoi(const char *s, size_t n, long long *out);

#endif
