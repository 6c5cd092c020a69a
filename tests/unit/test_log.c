/* test_log.c - scrubbing before cutting, visible cuts at UTF-8 boundaries, UTF-8 repair and
 * escaping (issue 10: messages are scrubbed before they are cut and cut visibly; JSON and
 * text output are always well-formed). */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "unit.h"

#define SECRET "Sekret-0123456789-abcdef"

/* Is s well-formed UTF-8 all through? */
static bool valid_utf8(const char *s)
{
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		size_t n = log_utf8_len(s + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* A text of n copies of unit followed by tail (malloc'd). */
static char *repeat(const char *unit, size_t n, const char *tail)
{
	size_t ul = strlen(unit), tl = strlen(tail);
	char *s = malloc(ul * n + tl + 1);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	memcpy(s + ul * n, tail, tl + 1);
	return s;
}

/* A secret straddling the cut of each err field: before, the field kept its first half,
 * which the log's scrubbing no longer recognised. */
static void straddle(void)
{
	static struct err e; /* large */
	const size_t caps[] = {sizeof e.detail, sizeof e.hint, sizeof e.msg};
	for (int f = 0; f < 3; f++) {
		if (!unit_begin("log/err_set scrubs before the cut (field %d)", f))
			continue;
		log_add_secret(SECRET);
		/* the secret starts 6 bytes before the field's end */
		char *text = repeat("A", caps[f] - 7, SECRET);
		err_set(&e, 7, "x", f == 1 ? text : NULL, f == 0 ? text : NULL, "%s",
		        f == 2 ? text : "m");
		const char *got = f == 0 ? e.detail : f == 1 ? e.hint : e.msg;
		EXPECT(!strstr(got, "Sekret"), "field %d keeps part of the secret", f);
		EXPECT(strstr(got, "***") != NULL, "field %d: the secret is masked", f);
		free(text);
		unit_end();
	}
}

static void visible_cut(void)
{
	static struct err e;
	if (unit_begin("log/err_set cuts visibly at a character boundary")) {
		char *text = repeat("\xE2\x82\xAC", 3000, ""); /* 9000 bytes of euro signs */
		err_set(&e, 7, NULL, text, text, "%s", text);
		EXPECT(valid_utf8(e.msg), "msg is not UTF-8");
		EXPECT(valid_utf8(e.detail), "detail is not UTF-8");
		EXPECT(valid_utf8(e.hint), "hint is not UTF-8");
		EXPECT_CONTAINS(e.msg, " more bytes)");
		EXPECT_CONTAINS(e.detail, "\xE2\x80\xA6 (cut, ");
		EXPECT(strlen(e.detail) < sizeof e.detail, "detail overflows");
		free(text);
		unit_end();
	}
	if (unit_begin("log/err_set keeps what fits whole")) {
		err_set(&e, 3, "ev", "a hint", "a detail", "a %s", "message");
		EXPECT_STR(e.msg, "a message");
		EXPECT_STR(e.detail, "a detail");
		EXPECT_STR(e.hint, "a hint");
		unit_end();
	}
	if (unit_begin("log/log_cut_copy")) {
		char out[128];
		log_cut_copy(out, sizeof out, "short");
		EXPECT_STR(out, "short");
		char *text = repeat("\xC3\xA9", 200, ""); /* 400 bytes */
		log_cut_copy(out, sizeof out, text);
		EXPECT(valid_utf8(out), "not UTF-8: %s", out);
		EXPECT_CONTAINS(out, "(cut, ");
		/* too small for a mark: still a character boundary */
		char tiny[8];
		log_cut_copy(tiny, sizeof tiny, text);
		EXPECT(valid_utf8(tiny) && strlen(tiny) == 6, "tiny = \"%s\"", tiny);
		free(text);
		unit_end();
	}
}

struct utf8_case {
	const char *in, *want;
};

static void utf8(void)
{
	static const struct utf8_case cases[] = {
	        {"plain", "plain"},
	        {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
	         "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"},
	        {"a\xFF"
	         "b",
	         "a\xEF\xBF\xBD"
	         "b"},
	        {"cut \xE2\x82", "cut \xEF\xBF\xBD\xEF\xBF\xBD"},
	        {"overlong \xC0\xAF", "overlong \xEF\xBF\xBD\xEF\xBF\xBD"},
	        {"surrogate \xED\xA0\x80", "surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
	        {"past max \xF4\x90\x80\x80",
	         "past max \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!unit_begin("log/utf8_dup %zu", i))
			continue;
		char *got = log_utf8_dup(cases[i].in);
		EXPECT_STR(got, cases[i].want);
		free(got);
		unit_end();
	}
	if (unit_begin("log/json_dup escapes line separators and C1")) {
		char *got = log_json_dup("{\"m\":\"a\xC2\x85"
		                         "b\xE2\x80\xA8"
		                         "c\x7F\xFF\"}");
		EXPECT_STR(got, "{\"m\":\"a\\u0085b\\u2028c\\u007f\xEF\xBF\xBD\"}");
		free(got);
		unit_end();
	}
	if (unit_begin("log/escape_dup")) {
		char *got = log_escape_dup("a\nb\r\x01\x1b[31m\tc\xC2\x9B\xFF");
		EXPECT_STR(got, "a\\nb\\r\\x01\\x1b[31m\tc\\u009b\xEF\xBF\xBD");
		free(got);
		unit_end();
	}
}

void suite_log(void)
{
	straddle();
	visible_cut();
	utf8();
}
