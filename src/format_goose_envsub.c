/* format_goose_envsub.c - goose's ENVSUB: $NAME, ${NAME}, ${NAME:-default}, ${NAME-default},
 * ${NAME:offset:length} and ${NAME?message} in the lines after "-- +goose ENVSUB ON".
 *
 * A port, line for line, of github.com/mfridman/interpolate v0.0.2 (parser.go,
 * interpolate.go), as goose v3.27.3 (github.com/pressly/goose, commit
 * 520411a16119bd3b332613d1ff8312c4cc249673, internal/sqlparser/parser.go) calls it; where
 * dbready must differ the comment says so.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format_goose_envsub.h"
#include "format_goose_text.h"
#include "log.h"

/* ---------- ENVSUB: github.com/mfridman/interpolate v0.0.2, parser.go ---------- */

struct ip {
	const char *s;
	size_t n, pos;
	const char *file;
	int line;
	bool warn;   /* say which unset variables became empty */
	char *error; /* malloc'd, on failure */
};

static int ip_fail(struct ip *p, const char *fmt, const char *arg)
{
	if (!p->error)
		p->error = log_dupf(fmt, arg);
	return -1;
}

static int32_t ip_peek(struct ip *p)
{
	size_t sz;
	return goose_rune_at(p->s + p->pos, p->n - p->pos, &sz);
}

static int32_t ip_next(struct ip *p)
{
	size_t sz;
	int32_t r = goose_rune_at(p->s + p->pos, p->n - p->pos, &sz);
	p->pos += sz;
	return r;
}

/* unicode.IsLetter / unicode.IsNumber: exact for Latin-1; beyond it Go's tables decide,
 * which dbready does not carry: 1 yes, 0 no, -1 unknown */
static int latin1_letter(int32_t r)
{
	if ((r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
		return 1;
	if (r < 0x80 || r == RUNE_ERROR || r < 0)
		return 0;
	if (r <= 0xFF)
		return r == 0xAA || r == 0xB5 || r == 0xBA ||
		       (r >= 0xC0 && r <= 0xFF && r != 0xD7 && r != 0xF7);
	return -1;
}

static int latin1_number(int32_t r)
{
	if (r >= '0' && r <= '9')
		return 1;
	if (r < 0x80 || r == RUNE_ERROR || r < 0)
		return 0;
	if (r <= 0xFF)
		return r == 0xB2 || r == 0xB3 || r == 0xB9 || (r >= 0xBC && r <= 0xBE);
	return -1;
}

static int ip_unknown_rune(struct ip *p, int32_t r)
{
	char u[16];
	snprintf(u, sizeof u, "U+%04X", (unsigned)r);
	return ip_fail(p,
	               "%s follows a $ in a variable name: whether goose (Go's unicode tables) "
	               "takes it as a letter is not known to dbready",
	               u);
}

/* scanIdentifier: a letter, then letters, digits and _ */
static int ip_ident(struct ip *p, size_t *start, size_t *len)
{
	int32_t c = ip_peek(p);
	int l = latin1_letter(c);
	if (l < 0)
		return ip_unknown_rune(p, c);
	if (!l)
		return ip_fail(p, "%s",
		               "a $ is followed by something other than a variable name "
		               "(goose: \"Expected identifier to start with a letter\"); "
		               "write $$ for a literal $");
	*start = p->pos;
	for (;;) {
		size_t sz;
		int32_t r = goose_rune_at(p->s + p->pos, p->n - p->pos, &sz);
		if (r < 0 || r == RUNE_ERROR)
			break;
		int a = latin1_letter(r), b = latin1_number(r);
		if (a < 0 || b < 0)
			return ip_unknown_rune(p, r);
		if (!a && !b && r != '_')
			break;
		p->pos += sz;
	}
	*len = p->pos - *start;
	return 0;
}

/* os.LookupEnv of s[start..start+len) */
static const char *ip_env(struct ip *p, size_t start, size_t len)
{
	char *name = strndup(p->s + start, len);
	if (!name)
		return NULL;
	const char *v = getenv(name);
	free(name);
	return v;
}

static int ip_expr(struct ip *p, bool in_brace, struct gbuf *out);

/* ${NAME:offset[:length]}, byte-wise as Go slices strings */
static int ip_substring(struct ip *p, const char *val, struct gbuf *out)
{
	size_t a = p->pos;
	while (p->pos < p->n) {
		int32_t r = ip_peek(p);
		if (r == RUNE_ERROR || r == ':' || r == '}')
			break;
		p->pos += (size_t)(r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4);
	}
	long long off, length = 0;
	if (!goose_atoi(p->s + a, p->pos - a, &off))
		return ip_fail(p, "%s",
		               "a substring offset is not a number (goose: \"Unable to "
		               "parse offset\")");
	bool has_len = ip_peek(p) != '}';
	if (has_len) {
		ip_next(p);
		size_t b = p->pos;
		while (p->pos < p->n) {
			int32_t r = ip_peek(p);
			if (r == RUNE_ERROR || r == '}')
				break;
			p->pos += (size_t)(r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4);
		}
		if (!goose_atoi(p->s + b, p->pos - b, &length))
			return ip_fail(p, "%s",
			               "a substring length is not a number (goose: \"Unable "
			               "to parse length\")");
	}
	if (!out)
		return 0;
	long long len = val ? (long long)strlen(val) : 0, from = off;
	if (from < 0)
		from += len;
	if (from < 0)
		from = 0;
	if (from > len)
		from = len;
	long long to = len;
	if (has_len) {
		if (length >= 0)
			to = length > len - from ? len : from + length;
		else {
			to = length + len;
			if (to < from)
				to = from;
		}
		if (to > len)
			to = len;
	}
	if (to > from)
		goose_buf_put(out, val + from, (size_t)(to - from));
	return 0;
}

/* parseExpansion and Expand, together: out NULL parses only (a branch Expand does not take,
 * or the first pass over a line, which finds the parse errors before anything expands) */
static int ip_expansion(struct ip *p, struct gbuf *out)
{
	ip_next(p); /* the $ */
	size_t id, idlen;
	if (ip_peek(p) != '{') {
		if (ip_ident(p, &id, &idlen) < 0)
			return -1;
		if (out) {
			const char *v = ip_env(p, id, idlen);
			if (v)
				goose_buf_put(out, v, strlen(v));
			else if (p->warn)
				log_warn("goose ENVSUB in \"%s\" line %d: $%.*s is not set; goose "
				         "substitutes an empty string, and so does dbready",
				         p->file, p->line, (int)idlen, p->s + id);
		}
		return 0;
	}
	ip_next(p); /* { */
	if (ip_ident(p, &id, &idlen) < 0)
		return -1;
	const char *v = out ? ip_env(p, id, idlen) : NULL;
	if (ip_peek(p) == '}') {
		ip_next(p);
		if (out && v)
			goose_buf_put(out, v, strlen(v));
		else if (out && p->warn)
			log_warn("goose ENVSUB in \"%s\" line %d: ${%.*s} is not set; goose "
			         "substitutes an empty string, and so does dbready",
			         p->file, p->line, (int)idlen, p->s + id);
		return 0;
	}
	int32_t op = ip_next(p);
	int rc;
	if (op == ':' && ip_peek(p) == '-') {
		ip_next(p); /* ${NAME:-default}: unset or empty */
		bool take = out && (!v || !*v);
		rc = ip_expr(p, true, take ? out : NULL);
		if (rc == 0 && out && !take)
			goose_buf_put(out, v, strlen(v));
	} else if (op == ':') {
		rc = ip_substring(p, v, out);
	} else if (op == '-') { /* ${NAME-default}: unset */
		bool take = out && !v;
		rc = ip_expr(p, true, take ? out : NULL);
		if (rc == 0 && out && !take)
			goose_buf_put(out, v, strlen(v));
	} else if (op == '?') { /* ${NAME?message}: an error when unset */
		struct gbuf msg = {0};
		rc = ip_expr(p, true, out && !v ? &msg : NULL);
		if (rc == 0 && out && v)
			goose_buf_put(out, v, strlen(v));
		else if (rc == 0 && out) {
			char *name = strndup(p->s + id, idlen);
			char *m =
			        log_dupf("$%s: %s", name ? name : "?", msg.n ? msg.p : "not set");
			if (!p->error)
				p->error = m;
			else
				free(m);
			free(name);
			rc = -1;
		}
		free(msg.p);
	} else {
		return ip_fail(p, "%s",
		               "${NAME followed by something other than }, :-, -, :, or ? "
		               "(goose: \"Expected an operator\")");
	}
	if (rc < 0)
		return -1;
	if (ip_next(p) != '}')
		return ip_fail(p, "%s",
		               "a ${...} is not closed (goose: \"Expected brace expansion "
		               "to end with }\")");
	return 0;
}

/* parseExpression: text and expansions, up to the end (or a '}' inside a brace) */
static int ip_expr(struct ip *p, bool in_brace, struct gbuf *out)
{
	for (;;) {
		int32_t c = ip_peek(p);
		if (c < 0 || (in_brace && c == '}'))
			return 0;
		const char *at = p->s + p->pos;
		size_t left = p->n - p->pos;
		if (goose_starts_with(at, left, "\\\\")) {
			p->pos += 2;
			if (out)
				goose_buf_put(out, "\\\\", 2);
			continue;
		}
		if (goose_starts_with(at, left, "\\$") || goose_starts_with(at, left, "$$")) {
			p->pos += 2;
			if (out)
				goose_buf_putc(out, '$');
			continue;
		}
		if (goose_starts_with(at, left, "$(")) {
			p->pos += 2;
			if (out)
				goose_buf_put(out, "$(", 2);
			continue;
		}
		if (c == '$' && p->pos < p->n - 1) {
			if (ip_expansion(p, out) < 0)
				return -1;
			continue;
		}
		/* one rune (an invalid byte becomes U+FFFD, as string(rune) writes it), then
		 * text up to a $, a \, the brace's end or another invalid byte */
		size_t sz;
		int32_t r = goose_rune_at(at, left, &sz);
		if (out) {
			if (r == RUNE_ERROR)
				goose_buf_put(out, "\xEF\xBF\xBD", 3);
			else
				goose_buf_put(out, at, sz);
		}
		p->pos += sz;
		size_t from = p->pos;
		while (p->pos < p->n) {
			int32_t t = goose_rune_at(p->s + p->pos, p->n - p->pos, &sz);
			if (t == RUNE_ERROR || t == '$' || t == '\\' || (in_brace && t == '}'))
				break;
			p->pos += sz;
		}
		if (out)
			goose_buf_put(out, p->s + from, p->pos - from);
	}
}

/* interpolate.Interpolate of one line into out, or NULL with *error (malloc'd) */
bool goose_envsub(const char *s, size_t n, const char *file, int line, bool warn, struct gbuf *out,
                  char **error)
{
	struct ip p = {s, n, 0, file, line, false, NULL};
	if (ip_expr(&p, false, NULL) == 0) { /* Parse: every error of the line's syntax */
		p.pos = 0;
		p.warn = warn;
		ip_expr(&p, false, out); /* Expand */
	}
	*error = p.error;
	return !p.error;
}
