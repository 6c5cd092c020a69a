/* format_goose.c - pressly/goose's folders (<version>_<name>.sql with "-- +goose" annotations)
 * and its history table, goose_db_version in the current schema.
 *
 * The source of truth is goose v3.27.3 (github.com/pressly/goose, commit
 * 520411a16119bd3b332613d1ff8312c4cc249673): internal/sqlparser/parser.go (the annotations and
 * where a statement ends), migration.go (NumericComponent: the version in a file name),
 * migrate.go (collectMigrationsFS, collectGoMigrations, EnsureDBVersionContext),
 * internal/dialects/postgres.go (the table's DDL and rows), lock/session_locker_options.go
 * (DefaultLockID) and, for ENVSUB, github.com/mfridman/interpolate v0.0.2 (parser.go,
 * interpolate.go). Each rule below is ported line for line; where dbready must differ (it
 * refuses up front what goose would fail on half-way) the comment says so.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "source.h"

/* goose reads a file with a bufio.Scanner whose buffer is 4 MiB (parser.go scanBufSize): a
 * longer line (with its newline) is "bufio.Scanner: token too long" */
#define GOOSE_LINE_MAX (4 * 1024 * 1024)
/* lock/session_locker_options.go: DefaultLockID, crc32 (IEEE) of "goose" */
#define GOOSE_LOCK_ID 4097083626LL

/* ---------- a growing buffer ---------- */

struct gbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void gb_put(struct gbuf *b, const char *s, size_t n)
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

static void gb_putc(struct gbuf *b, char c)
{
	gb_put(b, &c, 1);
}

/* ---------- Go's view of UTF-8 and white space ---------- */

#define RUNE_ERROR 0xFFFD

/* One rune of s[0..n) as utf8.DecodeRuneInString reads it: invalid bytes are RUNE_ERROR of
 * size 1; -1 at the end. */
static int32_t rune_at(const char *str, size_t n, size_t *size)
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
	int32_t r = rune_at(s + start, n - start, &sz);
	if (start + sz != n)
		return RUNE_ERROR;
	*size = sz;
	return r;
}

/* unicode.IsSpace (and bufio's isSpace, the same set) */
static bool go_space(int32_t r)
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
static void trim_space(const char **s, size_t *n)
{
	size_t sz;
	while (*n) {
		int32_t r = rune_at(*s, *n, &sz);
		if (!go_space(r))
			break;
		*s += sz;
		*n -= sz;
	}
	while (*n) {
		int32_t r = last_rune(*s, *n, &sz);
		if (!go_space(r))
			break;
		*n -= sz;
	}
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

static const char *find(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

/* parser.go endsWithSemicolon: the last white-space separated word before a word starting
 * with "--" ends with ';' */
static bool ends_with_semicolon(const char *s, size_t n)
{
	const char *prev = NULL;
	size_t prev_n = 0, i = 0, sz;
	while (i < n) {
		while (i < n && go_space(rune_at(s + i, n - i, &sz)))
			i += sz;
		if (i >= n)
			break;
		size_t w = i;
		while (i < n && !go_space(rune_at(s + i, n - i, &sz)))
			i += sz;
		if (starts_with(s + w, i - w, "--"))
			break;
		prev = s + w;
		prev_n = i - w;
	}
	return prev && prev[prev_n - 1] == ';';
}

/* ---------- annotations (parser.go extractAnnotation) ---------- */

enum ann { ANN_UP, ANN_DOWN, ANN_BEGIN, ANN_END, ANN_NO_TX, ANN_ENVSUB_ON, ANN_ENVSUB_OFF };
static const char *const ann_name[] = {"Up",           "Down",           "StatementBegin",
                                       "StatementEnd", "NO TRANSACTION", "ENVSUB ON",
                                       "ENVSUB OFF"};

/* strings.EqualFold against an ASCII word: ASCII letters fold, and so do the two runes
 * whose simple folding reaches one (U+017F long s, U+212A Kelvin sign) */
static bool equal_fold(const char *s, size_t n, const char *word)
{
	size_t i = 0, sz;
	for (; *word; word++) {
		if (i >= n)
			return false;
		int32_t r = rune_at(s + i, n - i, &sz);
		i += sz;
		int w = *word >= 'A' && *word <= 'Z' ? *word + 32 : *word;
		int32_t f = r >= 'A' && r <= 'Z' ? r + 32 : r;
		if (r == 0x17F)
			f = 's';
		else if (r == 0x212A)
			f = 'k';
		if (f != w)
			return false;
	}
	return i == n;
}

/* The annotation of a line goose takes as one (it starts with "--" after white space and
 * contains "+goose"), or -1 with *why saying what goose refuses. */
static int extract_annotation(const char *line, size_t n, const char **why)
{
	if (n && (line[0] == ' ' || line[0] == '\t')) {
		*why = "the annotation line starts with white space (goose: \"contains leading "
		       "whitespace: invalid annotation\")";
		return -1;
	}
	/* strings.ReplaceAll(line, "--", ""), then the first "+goose" removed */
	struct gbuf cmd = {0};
	for (size_t i = 0; i < n;) {
		if (i + 1 < n && line[i] == '-' && line[i + 1] == '-') {
			i += 2;
			continue;
		}
		gb_putc(&cmd, line[i++]);
	}
	gb_putc(&cmd, '\0');
	if (cmd.oom) {
		free(cmd.p);
		*why = "out of memory";
		return -1;
	}
	size_t len = cmd.n - 1;
	const char *g = find(cmd.p, len, "+goose");
	if (g) {
		size_t at = (size_t)(g - cmd.p);
		memmove(cmd.p + at, cmd.p + at + 6, len - at - 6 + 1);
		len -= 6;
	}
	int found = -1;
	if (find(cmd.p, len, "+goose")) {
		*why = "the line holds \"+goose\" twice (goose: \"contains multiple '+goose' "
		       "annotations\")";
	} else {
		const char *c = cmd.p;
		trim_space(&c, &len);
		if (len == 0)
			*why = "the annotation is empty (goose: \"empty annotation\")";
		for (size_t k = 0; len && k < sizeof ann_name / sizeof *ann_name; k++)
			if (equal_fold(c, len, ann_name[k]))
				found = (int)k;
		if (len && found < 0)
			*why = "goose knows Up, Down, StatementBegin, StatementEnd, NO "
			       "TRANSACTION, "
			       "ENVSUB ON and ENVSUB OFF, each alone on its line (goose: \"not "
			       "supported: invalid annotation\")";
	}
	free(cmd.p);
	return found;
}

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
	return rune_at(p->s + p->pos, p->n - p->pos, &sz);
}

static int32_t ip_next(struct ip *p)
{
	size_t sz;
	int32_t r = rune_at(p->s + p->pos, p->n - p->pos, &sz);
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
		int32_t r = rune_at(p->s + p->pos, p->n - p->pos, &sz);
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

/* strconv.Atoi(strings.TrimSpace(s)) on a 64-bit system */
static bool go_atoi(const char *s, size_t n, long long *out)
{
	trim_space(&s, &n);
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
	if (!go_atoi(p->s + a, p->pos - a, &off))
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
		if (!go_atoi(p->s + b, p->pos - b, &length))
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
		gb_put(out, val + from, (size_t)(to - from));
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
				gb_put(out, v, strlen(v));
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
			gb_put(out, v, strlen(v));
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
			gb_put(out, v, strlen(v));
	} else if (op == ':') {
		rc = ip_substring(p, v, out);
	} else if (op == '-') { /* ${NAME-default}: unset */
		bool take = out && !v;
		rc = ip_expr(p, true, take ? out : NULL);
		if (rc == 0 && out && !take)
			gb_put(out, v, strlen(v));
	} else if (op == '?') { /* ${NAME?message}: an error when unset */
		struct gbuf msg = {0};
		rc = ip_expr(p, true, out && !v ? &msg : NULL);
		if (rc == 0 && out && v)
			gb_put(out, v, strlen(v));
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
		if (starts_with(at, left, "\\\\")) {
			p->pos += 2;
			if (out)
				gb_put(out, "\\\\", 2);
			continue;
		}
		if (starts_with(at, left, "\\$") || starts_with(at, left, "$$")) {
			p->pos += 2;
			if (out)
				gb_putc(out, '$');
			continue;
		}
		if (starts_with(at, left, "$(")) {
			p->pos += 2;
			if (out)
				gb_put(out, "$(", 2);
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
		int32_t r = rune_at(at, left, &sz);
		if (out) {
			if (r == RUNE_ERROR)
				gb_put(out, "\xEF\xBF\xBD", 3);
			else
				gb_put(out, at, sz);
		}
		p->pos += sz;
		size_t from = p->pos;
		while (p->pos < p->n) {
			int32_t t = rune_at(p->s + p->pos, p->n - p->pos, &sz);
			if (t == RUNE_ERROR || t == '$' || t == '\\' || (in_brace && t == '}'))
				break;
			p->pos += sz;
		}
		if (out)
			gb_put(out, p->s + from, p->pos - from);
	}
}

/* interpolate.Interpolate of one line into out, or NULL with *error (malloc'd) */
static bool envsub(const char *s, size_t n, const char *file, int line, bool warn,
                   struct gbuf *out, char **error)
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

/* ---------- the parser: internal/sqlparser/parser.go ParseSQLMigration ---------- */

enum gstate { S_START, S_UP, S_BEGIN_UP, S_END_UP, S_DOWN, S_BEGIN_DOWN, S_END_DOWN };

struct gstmt {
	char *text; /* as goose sends it (strings.TrimSpace of its lines) */
	size_t len;
	int line;   /* the file line of its first character */
	size_t col; /* bytes before it on that line */
};

struct gparse {
	struct gstmt *st;
	int n, cap;
	bool use_tx;
	/* on failure */
	int line;
	char *why; /* malloc'd */
	const char *hint;
};

static void gparse_free(struct gparse *g)
{
	for (int i = 0; i < g->n; i++)
		free(g->st[i].text);
	free(g->st);
	free(g->why);
	memset(g, 0, sizeof *g);
}

static bool fail_line(struct gparse *g, int line, const char *hint, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static bool fail_line(struct gparse *g, int line, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = log_vformat_scrubbed_dup(fmt, ap);
	va_end(ap);
	free(g->why);
	g->why = why;
	g->line = line;
	g->hint = hint;
	return false;
}

static const char hint_syntax[] =
        "Fix the file as goose's documentation describes "
        "(https://github.com/pressly/goose#sql-migrations): goose refuses it too.";

/* stmts = append(stmts, cleanupStatement(buf.String())) */
static bool store(struct gparse *g, struct gbuf *buf, int buf_line)
{
	const char *s = buf->p ? buf->p : "";
	size_t n = buf->n;
	const char *t = s;
	size_t tn = n;
	trim_space(&t, &tn);
	int line = buf_line;
	size_t col = 0;
	for (const char *q = s; q < t; q++) {
		col++;
		if (*q == '\n')
			line++, col = 0;
	}
	if (g->n == g->cap) {
		int cap = g->cap ? g->cap * 2 : 16;
		struct gstmt *st = realloc(g->st, (size_t)cap * sizeof *st);
		if (!st)
			return false;
		g->st = st;
		g->cap = cap;
	}
	char *text = malloc(tn + 1);
	if (!text)
		return false;
	memcpy(text, t, tn);
	text[tn] = '\0';
	g->st[g->n++] = (struct gstmt){text, tn, line, col};
	buf->n = 0;
	return true;
}

static bool oom(struct gparse *g)
{
	return fail_line(g, 0, NULL, "out of memory");
}

/* Parse text as goose parses it for direction up (or down). warn: say which unset ENVSUB
 * variables became empty in the section that runs. */
static bool parse(const char *text, size_t len, const char *file, bool up, bool warn,
                  struct gparse *g)
{
	memset(g, 0, sizeof *g);
	g->use_tx = true;
	enum gstate state = S_START;
	bool use_envsub = false;
	struct gbuf buf = {0}, sub = {0};
	int buf_line = 0, lineno = 0;
	bool ok = true;
	for (size_t at = 0; ok && at < len;) {
		const char *raw = text + at;
		const char *nl = memchr(raw, '\n', len - at);
		size_t n = nl ? (size_t)(nl - raw) : len - at;
		at += nl ? n + 1 : n;
		lineno++;
		/* the line and its newline fill the buffer; one without a newline at the end of
		 * the file must leave room too (the buffer is full before the reader says EOF) */
		if (n + 1 > GOOSE_LINE_MAX) {
			ok = fail_line(g, lineno,
			               "Split the line: goose reads lines of at most 4 MiB.",
			               "the line is %zu bytes long, more than goose reads (goose: "
			               "\"bufio.Scanner: token too long\")",
			               n);
			break;
		}
		if (n && raw[n - 1] == '\r') /* bufio.ScanLines drops a carriage return */
			n--;
		const char *line = raw;
		const char *tr = raw;
		size_t tn = n;
		trim_space(&tr, &tn);
		if (state == S_START && tn == 0)
			continue;
		if (starts_with(tr, tn, "--") && find(line, n, "+goose")) {
			const char *why = NULL;
			int a = extract_annotation(line, n, &why);
			if (a < 0) {
				ok = fail_line(g, lineno, hint_syntax, "%s", why);
				break;
			}
			bool cont = true;
			switch ((enum ann)a) {
			case ANN_UP:
				if (state != S_START)
					ok = fail_line(
					        g, lineno, hint_syntax,
					        "a second '-- +goose Up' annotation (goose: "
					        "\"duplicate '-- +goose Up' annotations\")");
				state = S_UP;
				break;
			case ANN_DOWN: {
				if (state != S_UP && state != S_END_UP) {
					ok = fail_line(
					        g, lineno, hint_syntax,
					        "'-- +goose Down' %s (goose: \"must start with "
					        "'-- +goose Up' annotation\")",
					        state == S_START ? "comes before '-- +goose Up'"
					        : state == S_BEGIN_UP
					                ? "inside a StatementBegin block"
					                : "comes twice");
					break;
				}
				const char *b = buf.p ? buf.p : "";
				size_t bn = buf.n;
				trim_space(&b, &bn);
				if (bn)
					ok = fail_line(
					        g, buf_line,
					        "End the statement with a semicolon at the end of "
					        "its last line.",
					        "the statement starting here does not end with "
					        "';' "
					        "before '-- +goose Down' (goose: \"unexpected "
					        "unfinished SQL query ... missing semicolon?\")");
				state = S_DOWN;
				break;
			}
			case ANN_BEGIN:
				if (state == S_UP || state == S_END_UP)
					state = S_BEGIN_UP;
				else if (state == S_DOWN || state == S_END_DOWN)
					state = S_BEGIN_DOWN;
				else
					ok = fail_line(
					        g, lineno, hint_syntax,
					        "'-- +goose StatementBegin' %s (goose: \"must be "
					        "defined after '-- +goose Up' or '-- +goose Down' "
					        "annotation\")",
					        state == S_START
					                ? "comes before '-- +goose Up'"
					                : "inside another StatementBegin");
				break;
			case ANN_END:
				if (state == S_BEGIN_UP)
					state = S_END_UP;
				else if (state == S_BEGIN_DOWN)
					state = S_END_DOWN;
				else
					ok = fail_line(
					        g, lineno, hint_syntax,
					        "'-- +goose StatementEnd' without a "
					        "StatementBegin before it (goose: \"must be "
					        "defined after '-- +goose StatementBegin'\")");
				cont = false;
				break;
			case ANN_NO_TX:
				g->use_tx = false;
				break;
			case ANN_ENVSUB_ON:
				use_envsub = true;
				break;
			case ANN_ENVSUB_OFF:
				use_envsub = false;
				break;
			}
			if (!ok)
				break;
			if (cont)
				continue;
		}
		/* leading comments and empty lines before a statement are not part of it */
		if (buf.n == 0 && (starts_with(tr, tn, "--") || n == 0))
			continue;
		if (state == S_END_UP || state == S_END_DOWN) {
			/* the StatementEnd line is not part of the statement; goose reaches this
			 * with any other line only after an empty StatementBegin/End block, and
			 * then sends an empty statement instead of that line */
			if (warn && (!starts_with(tr, tn, "--") || !find(line, n, "+goose")))
				log_warn("\"%s\" line %d is never run: it follows an empty "
				         "StatementBegin/StatementEnd block, and goose sends an "
				         "empty "
				         "statement in its place (so does dbready)",
				         file, lineno);
		} else {
			if (use_envsub) {
				sub.n = 0;
				char *error = NULL;
				bool runs = up ? state <= S_END_UP : state >= S_DOWN;
				if (!envsub(line, n, file, lineno, warn && runs, &sub, &error)) {
					ok = fail_line(
					        g, lineno,
					        "Set the variable, or write $$ for a literal $ "
					        "(goose's ENVSUB reads $NAME, ${NAME}, "
					        "${NAME:-default}, ${NAME-default}, "
					        "${NAME:offset:length} and ${NAME?message}).",
					        "ENVSUB: %s (goose: \"variable substitution "
					        "failed\")",
					        error ? error : "out of memory");
					free(error);
					break;
				}
				gb_putc(&sub, '\0');
				line = sub.p;
				n = sub.n - 1;
			}
			if (buf.n == 0)
				buf_line = lineno;
			gb_put(&buf, line, n);
			gb_putc(&buf, '\n');
		}
		if (buf.oom || sub.oom) {
			ok = oom(g);
			break;
		}
		bool runs;
		switch (state) {
		case S_UP:
		case S_BEGIN_UP:
		case S_END_UP:
			runs = up;
			break;
		case S_DOWN:
		case S_BEGIN_DOWN:
		case S_END_DOWN:
			runs = !up;
			break;
		default:
			ok = fail_line(g, lineno, hint_syntax,
			               "SQL before '-- +goose Up' (goose: \"failed to parse "
			               "migration: unexpected state 0\"); every goose file starts "
			               "with the annotation '-- +goose Up'");
			continue;
		}
		if (!runs) {
			buf.n = 0;
			continue;
		}
		if (state == S_UP || state == S_DOWN) {
			if (ends_with_semicolon(line, n) && !store(g, &buf, buf_line))
				ok = oom(g);
		} else if (state == S_END_UP || state == S_END_DOWN) {
			if (!store(g, &buf, buf_line))
				ok = oom(g);
			state = state == S_END_UP ? S_UP : S_DOWN;
		}
	}
	if (ok && state == S_START)
		ok = fail_line(g, lineno ? lineno : 1, hint_syntax,
		               "there is no '-- +goose Up' annotation (goose: \"failed to parse "
		               "migration: must start with '-- +goose Up' annotation\")");
	else if (ok && (state == S_BEGIN_UP || state == S_BEGIN_DOWN))
		ok = fail_line(g, lineno, hint_syntax,
		               "the file ends inside a StatementBegin block (goose: \"missing "
		               "'-- +goose StatementEnd' annotation\")");
	if (ok) {
		const char *b = buf.p ? buf.p : "";
		size_t bn = buf.n;
		trim_space(&b, &bn);
		if (bn)
			ok = fail_line(
			        g, buf_line,
			        "End the statement with a semicolon at the end of its last "
			        "line.",
			        "the statement starting here does not end with ';' at the end "
			        "of a line (goose: \"unexpected unfinished SQL query ... "
			        "missing semicolon?\")");
	}
	free(buf.p);
	free(sub.p);
	return ok;
}

/* ---------- file names: migration.go NumericComponent ---------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The version of "<version>_<name>.sql|.go" as goose parses it (strconv.ParseInt of what
 * precedes the first '_', at least 1), or NULL with *why. */
static bool numeric_component(const char *name, long long *v, const char **why)
{
	const char *us = strchr(name, '_');
	if (!us) {
		*why = "it has no '_' after the version (goose: \"no filename separator '_' "
		       "found\")";
		return false;
	}
	long long n;
	if (!go_atoi(name, (size_t)(us - name), &n)) {
		*why = "what precedes the first '_' is not a 64-bit integer (goose: \"failed to "
		       "parse version from migration file\")";
		return false;
	}
	/* strconv.ParseInt trims nothing: go_atoi's trimming must not have mattered */
	for (const char *p = name; p < us; p++)
		if (!(*p >= '0' && *p <= '9') && !(p == name && (*p == '+' || *p == '-'))) {
			*why = "what precedes the first '_' is not a 64-bit integer (goose: "
			       "\"failed to parse version from migration file\")";
			return false;
		}
	if (n < 1) {
		*why = "the version is not greater than zero (goose: \"migration version must be "
		       "greater than zero\")";
		return false;
	}
	*v = n;
	return true;
}

/* a Go migration: <version>_<name>.go, not a _test.go (collectGoMigrations) */
static bool go_migration(const char *f)
{
	long long v;
	const char *why;
	return ends_with(f, ".go") && !ends_with(f, "_test.go") && numeric_component(f, &v, &why);
}

/* ---------- the folder's shape ---------- */

/* A line goose takes as an annotation ("--" first after white space, "+goose" in it) that is
 * a valid one ("-- +goose Up"): a comment that merely mentions +goose does not make a folder
 * goose's. */
static bool has_annotation(const char *text, size_t len)
{
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		const char *t = text + at, *why;
		size_t tn = n;
		trim_space(&t, &tn);
		if (starts_with(t, tn, "--") && find(text + at, n, "+goose")) {
			size_t ln = n && text[at + n - 1] == '\r' ? n - 1 : n;
			if (extract_annotation(text + at, ln, &why) >= 0)
				return true;
		}
		at += n + 1;
	}
	return false;
}

static int detect(const struct source_dir *d, const char **why, struct err *e)
{
	(void)e;
	bool sql = false, go = false;
	for (int i = 0; i < d->nfiles; i++) {
		const char *f = d->files[i];
		long long v;
		const char *no;
		if (go_migration(f))
			go = true;
		if (!ends_with(f, ".sql") || !numeric_component(f, &v, &no))
			continue;
		sql = true;
		char *text = NULL;
		size_t len = 0;
		struct err ignored;
		if (source_read(d->path, f, &text, &len, &ignored) != EXIT_DONE)
			continue; /* load() says why */
		bool found = has_annotation(text, len);
		free(text);
		if (found) {
			*why = "numbered .sql files with \"-- +goose\" annotations";
			return 1;
		}
	}
	if (sql && go) {
		*why = "Go migrations (<version>_<name>.go) beside numbered .sql files";
		return 1;
	}
	*why = "no \"-- +goose Up\" annotations in numbered .sql files";
	return 0;
}

/* ---------- loading ---------- */

struct gfile {
	const char *file;
	long long version;
};

static int by_version(const void *x, const void *y)
{
	const struct gfile *a = x, *b = y;
	return (a->version > b->version) - (a->version < b->version);
}

static int refuse_go(const struct source_dir *d, struct err *e)
{
	struct gbuf names = {0};
	int n = 0;
	for (int i = 0; i < d->nfiles; i++)
		if (go_migration(d->files[i])) {
			char esc[768];
			utf8_escape(d->files[i], esc, sizeof esc);
			if (n++)
				gb_put(&names, ", ", 2);
			gb_put(&names, esc, strlen(esc));
		}
	if (n == 0)
		return EXIT_DONE;
	if (names.oom) {
		free(names.p);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	const char *detail =
	        "goose runs Go migrations only from a program built with goose that registers "
	        "them (goose.AddMigrationContext); dbready runs SQL files only, and skipping "
	        "them would break the SQL migrations that follow.";
	int rc =
	        err_set(e, EXIT_MIGRATIONS, "goose_go_migration",
	                "Apply this folder with your goose-built program, or rewrite the Go "
	                "migrations as .sql files.",
	                detail, "the goose folder \"%s\" has Go migrations: %s", d->path, names.p);
	free(names.p);
	return rc;
}

static int refuse_parse(const struct migration *m, const struct gparse *g, struct err *e)
{
	char name[768];
	utf8_escape(m->file, name, sizeof name);
	if (!g->why || strcmp(g->why, "out of memory") == 0)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	return err_set(e, EXIT_MIGRATIONS, "goose_invalid", g->hint, g->why,
	               "goose migration \"%s\" is invalid at line %d", name, g->line);
}

/* The text dbready sends: goose's statements, each starting on the line (and column) of the
 * file where it starts, so that an error's file:line:column points into the file. */
static bool assemble(const struct gparse *g, struct gbuf *t, size_t *off)
{
	int cur = 1;
	for (int i = 0; i < g->n; i++) {
		const struct gstmt *s = &g->st[i];
		if (s->len == 0) {
			off[i] = t->n;
			continue;
		}
		if (t->n && t->p[t->n - 1] != '\n')
			gb_putc(t, '\n'), cur++;
		for (; cur < s->line; cur++)
			gb_putc(t, '\n');
		if (cur == s->line)
			for (size_t k = 0; k < s->col; k++)
				gb_putc(t, ' ');
		off[i] = t->n;
		gb_put(t, s->text, s->len);
		for (size_t k = 0; k < s->len; k++)
			cur += s->text[k] == '\n';
	}
	gb_putc(t, '\n');
	return !t->oom;
}

static int line_of(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

/* m->text and m->stmts from goose's statements. Each goose statement is one Exec in goose
 * (one simple query: several SQL statements in it run as one implicit transaction); dbready
 * sends SQL statements one by one, so it splits each goose statement on its own (a goose
 * statement that ends inside a string or dollar quote fails in goose too: refused here, before
 * anything runs), and in a NO TRANSACTION file wraps a goose statement of several SQL
 * statements in BEGIN/COMMIT, which is what the implicit transaction was. */
static int build(struct migration *m, const struct gparse *g, struct err *e)
{
	char name[768];
	utf8_escape(m->file, name, sizeof name);
	size_t *off = calloc((size_t)(g->n ? g->n : 1), sizeof *off);
	struct gbuf t = {0};
	if (!off || !assemble(g, &t, &off[0])) {
		free(off);
		free(t.p);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	size_t body = t.n;
	/* BEGIN and COMMIT, after the statements, for the wrapped groups */
	gb_put(&t, "BEGIN;\nCOMMIT;\n", 15);
	struct sql_split wrap = {0};
	int rc = EXIT_DONE;
	struct sql_stmt *all = NULL;
	int n = 0, cap = 0;
	bool wrapped = false;
	if (t.oom || !sql_split(t.p + body, t.n - body, &wrap) || wrap.n != 2) {
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		goto out;
	}
	const char *nul = memchr(t.p, '\0', body);
	if (nul) {
		rc = err_set(
		        e, EXIT_MIGRATIONS, "file_nul_byte",
		        "Save the file as UTF-8 text (SQL files never hold NUL bytes).",
		        "A statement is sent as a C string, so it would end at the NUL byte and "
		        "the rest of it would not run.",
		        "goose migration \"%s\" has a NUL byte in line %d", name,
		        line_of(t.p, (size_t)(nul - t.p)));
		goto out;
	}
	for (int i = 0; i < g->n && rc == EXIT_DONE; i++) {
		struct sql_split part;
		if (!sql_split(t.p + off[i], g->st[i].len, &part)) {
			rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
			break;
		}
		if (part.unterminated) {
			int line = line_of(t.p, off[i] + part.unterminated_at);
			char *detail = log_dupf(
			        "goose ends a statement at the first line whose last word ends "
			        "with "
			        "';' (outside StatementBegin/StatementEnd), so the statement it "
			        "sends "
			        "from line %d ends inside a string, quoted name, comment or "
			        "dollar "
			        "quote, and PostgreSQL rejects it: goose fails on this file too.",
			        g->st[i].line);
			rc = err_set(
			        e, EXIT_MIGRATIONS, "goose_unterminated",
			        "Put the statement (a function body with semicolons, say) "
			        "between '-- +goose StatementBegin' and '-- +goose "
			        "StatementEnd'.",
			        detail,
			        "goose migration \"%s\": the statement goose sends from line %d "
			        "ends inside a quote or comment opened at line %d",
			        name, g->st[i].line, line);
			free(detail);
			sql_split_free(&part);
			break;
		}
		bool group = !g->use_tx && part.n > 1;
		for (int k = 0; group && k < part.n; k++)
			if (sql_needs_no_transaction(&part.stmts[k], 0) ||
			    part.stmts[k].kind == SQL_KIND_TX_CONTROL)
				group = false; /* they cannot share a transaction: one by one */
		if (n + part.n + 2 > cap) {
			cap = (n + part.n + 2) * 2;
			struct sql_stmt *a = realloc(all, (size_t)cap * sizeof *a);
			if (!a) {
				sql_split_free(&part);
				rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
				break;
			}
			all = a;
		}
		if (group) {
			wrapped = true;
			all[n] = wrap.stmts[0];
			all[n++].start += body;
		}
		for (int k = 0; k < part.n; k++) {
			struct sql_stmt st = part.stmts[k];
			st.start += off[i];
			if (st.kind == SQL_KIND_COPY_STDIN || st.kind == SQL_KIND_COPY_STDOUT) {
				rc = err_set(
				        e, EXIT_MIGRATIONS, "copy_unsupported",
				        "Write the rows as INSERT statements, or load the data "
				        "outside migrations.",
				        "dbready sends SQL statements only and reads or writes "
				        "no COPY data stream.",
				        "goose migration \"%s\" has COPY ... %s at line %d, which "
				        "dbready cannot run",
				        name,
				        st.kind == SQL_KIND_COPY_STDIN ? "FROM STDIN"
				                                       : "TO STDOUT",
				        line_of(t.p, st.start));
				break;
			}
			all[n++] = st;
		}
		if (group && rc == EXIT_DONE) {
			all[n] = wrap.stmts[1];
			all[n++].start += body;
		}
		sql_split_free(&part);
	}
	if (rc == EXIT_DONE && !wrapped) {
		t.n = body; /* no group was wrapped: the BEGIN/COMMIT text is not needed */
		t.p[body] = '\0';
	}
out:
	sql_split_free(&wrap);
	free(off);
	if (rc != EXIT_DONE) {
		free(all);
		free(t.p);
		return rc;
	}
	m->text = t.p;
	m->text_len = t.n;
	m->bom = 0;
	m->directive_no_tx = !g->use_tx;
	m->stmts = (struct sql_split){all, n, false, 0};
	return EXIT_DONE;
}

static int load_one(const char *dir, struct migration *m, struct err *e)
{
	char *raw = NULL;
	size_t len = 0;
	int rc = source_read(dir, m->file, &raw, &len, e);
	if (rc != EXIT_DONE)
		return rc;
	char name[768];
	utf8_escape(m->file, name, sizeof name);
	if (!checksum_sha256(raw, len, m->hash)) {
		free(raw);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "SHA-256 failed");
	}
	if (len >= 3 && memcmp(raw, "\xEF\xBB\xBF", 3) == 0) {
		free(raw);
		return err_set(e, EXIT_MIGRATIONS, "goose_invalid",
		               "Save the file as UTF-8 without a byte-order mark.",
		               "goose does not skip a byte-order mark: its first line then is not "
		               "an annotation, and goose refuses the file (\"failed to parse "
		               "migration: unexpected state 0\").",
		               "goose migration \"%s\" starts with a byte-order mark", name);
	}
	struct gparse g;
	if (!parse(raw, len, name, true, true, &g)) {
		rc = refuse_parse(m, &g, e);
		gparse_free(&g);
		free(raw);
		return rc;
	}
	/* goose's library (goose.NewProvider) parses both directions before it runs anything;
	 * the goose command parses only the one it runs, as dbready does */
	struct gparse down;
	if (!parse(raw, len, name, false, false, &down) && down.why &&
	    strcmp(down.why, "out of memory") != 0)
		log_warn("goose migration \"%s\": its down section is invalid at line %d: %s; the "
		         "goose command applies the file, goose's library (NewProvider) refuses "
		         "it",
		         name, down.line, down.why);
	gparse_free(&down);
	free(raw);
	rc = build(m, &g, e);
	gparse_free(&g);
	return rc;
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	/* entries that are neither file nor directory: a .sql one is a migration goose would
	 * try to read (fs.Glob lists it) */
	for (int i = 0; i < d->nodd; i++) {
		char name[768];
		utf8_escape(d->odd[i], name, sizeof name);
		if (ends_with(d->odd[i], ".sql") || go_migration(d->odd[i]))
			return err_set(
			        e, EXIT_MIGRATIONS, "file_not_regular",
			        "Replace it with a regular file (or a symbolic link to one), "
			        "or remove it.",
			        d->odd_why[i], "migration file \"%s\" in \"%s\" cannot be read",
			        name, d->path);
		log_warn("\"%s\" in the migrations folder \"%s\" is ignored: %s", name, d->path,
		         d->odd_why[i]);
	}
	int rc = refuse_go(d, e);
	if (rc != EXIT_DONE)
		return rc;
	struct gfile *files = calloc((size_t)(d->nfiles ? d->nfiles : 1), sizeof *files);
	if (!files)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	int n = 0;
	for (int i = 0; i < d->nfiles; i++) {
		const char *f = d->files[i];
		if (!ends_with(f, ".sql"))
			continue; /* goose globs *.sql and *.go only */
		const char *why;
		long long v;
		if (!numeric_component(f, &v, &why)) {
			char name[768];
			utf8_escape(f, name, sizeof name);
			free(files);
			return err_set(
			        e, EXIT_MIGRATIONS, "file_unexpected",
			        "Name goose migrations <version>_<name>.sql (a version of at "
			        "least 1), or move the file out of the folder: goose reads "
			        "every .sql file in it.",
			        why, "\"%s\" in the goose folder \"%s\" is not a migration name",
			        name, d->path);
		}
		size_t bad = utf8_invalid_at(f, strlen(f));
		if (f[bad]) {
			char name[768];
			utf8_escape(f, name, sizeof name);
			free(files);
			return err_set(e, EXIT_MIGRATIONS, "file_name_encoding",
			               "Rename the file with a UTF-8 name.",
			               "dbready names migrations in its logs and reports as text, "
			               "which must be UTF-8.",
			               "migration file name \"%s\" in \"%s\" is not valid UTF-8",
			               name, d->path);
		}
		files[n++] = (struct gfile){f, v};
	}
	if (n > 1)
		qsort(files, (size_t)n, sizeof *files, by_version);
	for (int i = 1; i < n; i++)
		if (files[i - 1].version == files[i].version) {
			rc = err_set(e, EXIT_MIGRATIONS, "version_duplicate",
			             "Give each migration its own version number.",
			             "goose refuses the folder too (\"goose: duplicate version "
			             "detected\").",
			             "\"%s\" and \"%s\" have the same version %lld",
			             files[i - 1].file, files[i].file, files[i].version);
			free(files);
			return rc;
		}
	for (int i = 0; i < n; i++) {
		struct migration *m = migset_add(set);
		if (!m) {
			free(files);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
		m->file = strdup(files[i].file);
		m->name = strndup(files[i].file, strlen(files[i].file) - 4);
		snprintf(m->key, sizeof m->key, "%lld", files[i].version);
		m->version = strdup(m->key);
		if (!m->file || !m->name || !m->version) {
			free(files);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
	}
	free(files);
	for (int i = 0; i < set->n; i++) {
		rc = load_one(d->path, &set->m[i], e);
		if (rc != EXIT_DONE)
			return rc;
	}
	return EXIT_DONE;
}

/* ---------- the history table: internal/dialects/postgres.go ---------- */

static void create_sql(const char *qname, struct fsql_list *out)
{
	/* CreateTable, then InsertVersion of version 0 in the same transaction
	 * (migrate.go createVersionTable, provider_run.go tryEnsureVersionTable) */
	fsql_printf(fsql_add(out, 0),
	            "CREATE TABLE %s (\n"
	            "\t\tid integer PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY,\n"
	            "\t\tversion_id bigint NOT NULL,\n"
	            "\t\tis_applied boolean NOT NULL,\n"
	            "\t\ttstamp timestamp NOT NULL DEFAULT now()\n"
	            "\t)",
	            qname);
	fsql_printf(fsql_add(out, 2, "0", "true"),
	            "INSERT INTO %s (version_id, is_applied) VALUES ($1, $2)", qname);
}

static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	(void)applied_by;
	(void)duration_ms;
	fsql_printf(fsql_add(out, 2, m->key, "true"),
	            "INSERT INTO %s (version_id, is_applied) VALUES ($1, $2)", qname);
}

/* versions are int64: "0010" and "10" are one */
static bool key_equal(const char *row_key, const char *file_key)
{
	return source_version_cmp(row_key, file_key) == 0;
}

static bool tool_lock(const struct lock_names *names, long long *key)
{
	(void)names; /* one key for every database and table */
	*key = GOOSE_LOCK_ID;
	return true;
}

static const struct fsetting goose_env[] = {
        {"GOOSE_DBSTRING", FSET_URL}, {"GOOSE_MIGRATION_DIR", FSET_DIR},
        {"GOOSE_TABLE", FSET_TABLE},  {"GOOSE_DRIVER", FSET_CLIENT},
        {NULL, FSET_CLIENT},
};

/* goose's postgres driver is pgx v5 (cmd/goose/driver_postgres.go): these URL parameters
 * tune pgx itself and never reach the server */
static const struct fsetting goose_url_params[] = {
        {"statement_cache_capacity", FSET_CLIENT},
        {"description_cache_capacity", FSET_CLIENT},
        {"default_query_exec_mode", FSET_CLIENT},
        {NULL, FSET_CLIENT},
};

const struct format format_goose = {
        .name = "goose",
        .detect = detect,
        .load = load,
        .no_tx_says = "the file says -- +goose NO TRANSACTION",
        .env = goose_env,
        .url_params = goose_url_params,
        .schema = NULL, /* the current schema, as goose's unqualified table name */
        .table = "goose_db_version",
        .key_label = "version_id",
        .key_is_number = true,
        .records_checksum = false,
        /* the newest row of each version (by id) says whether it is applied: goose's
         * EnsureDBVersionContext and status read the rows so (rows with is_applied false
         * were written by goose's down before it deleted rows instead) */
        .read_sql = "SELECT version_id::text, '', NULL, NULL FROM (SELECT DISTINCT ON "
                    "(version_id) version_id, is_applied FROM %s ORDER BY version_id, id DESC) "
                    "AS latest WHERE is_applied AND version_id > 0 ORDER BY version_id",
        .guard_sql = "SELECT EXISTS (SELECT 1 FROM (SELECT DISTINCT ON (version_id) "
                     "is_applied FROM %s WHERE version_id::text = ANY ($1::text[]) ORDER BY "
                     "version_id, id DESC) AS latest WHERE is_applied)",
        .create_sql = create_sql,
        .record_sql = record_sql,
        .key_equal = key_equal,
        .tool_lock = tool_lock,
};

/* ---------- for tests/unit/test_goose.c, which declares it ---------- */

/* The statements goose's ParseSQLMigration returns for text in one direction (up or down),
 * each malloc'd in *stmts (malloc'd), and *use_tx; or false with *why (malloc'd) saying why
 * goose refuses the text. The unit tests hold it against goose's own test data. */
bool goose_parse_sql(const char *text, size_t len, bool up, char ***stmts, int *n, bool *use_tx,
                     char **why);
bool goose_parse_sql(const char *text, size_t len, bool up, char ***stmts, int *n, bool *use_tx,
                     char **why)
{
	struct gparse g;
	*stmts = NULL;
	*n = 0;
	*why = NULL;
	if (!parse(text, len, "test.sql", up, false, &g)) {
		*why = g.why;
		g.why = NULL;
		gparse_free(&g);
		return false;
	}
	*use_tx = g.use_tx;
	*stmts = calloc((size_t)(g.n ? g.n : 1), sizeof **stmts);
	if (!*stmts) {
		gparse_free(&g);
		return false;
	}
	for (int i = 0; i < g.n; i++) {
		(*stmts)[i] = g.st[i].text;
		g.st[i].text = NULL;
	}
	*n = g.n;
	gparse_free(&g);
	return true;
}
