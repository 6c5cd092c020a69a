/* format_goose_sql.c - goose's SQL migration parser: the "-- +goose" annotations and where a
 * statement ends.
 *
 * A port, line for line, of internal/sqlparser/parser.go (ParseSQLMigration,
 * extractAnnotation, endsWithSemicolon, cleanupStatement) of goose v3.27.3
 * (github.com/pressly/goose, commit 520411a16119bd3b332613d1ff8312c4cc249673); ENVSUB lines go
 * through format_goose_envsub.c. Where dbready must differ (it refuses up front what goose
 * would fail on half-way) the comment says so.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "format_goose_envsub.h"
#include "format_goose_sql.h"
#include "format_goose_text.h"
#include "log.h"

/* goose reads a file with a bufio.Scanner whose buffer is 4 MiB (parser.go scanBufSize): a
 * longer line (with its newline) is "bufio.Scanner: token too long" */
#define GOOSE_LINE_MAX (4 * 1024 * 1024)

/* parser.go endsWithSemicolon: the last white-space separated word before a word starting
 * with "--" ends with ';' */
static bool ends_with_semicolon(const char *s, size_t n)
{
	const char *prev = NULL;
	size_t prev_n = 0, i = 0, sz;
	while (i < n) {
		while (i < n && goose_space(goose_rune_at(s + i, n - i, &sz)))
			i += sz;
		if (i >= n)
			break;
		size_t w = i;
		while (i < n && !goose_space(goose_rune_at(s + i, n - i, &sz)))
			i += sz;
		if (goose_starts_with(s + w, i - w, "--"))
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
		int32_t r = goose_rune_at(s + i, n - i, &sz);
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
int goose_annotation(const char *line, size_t n, const char **why)
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
		goose_buf_putc(&cmd, line[i++]);
	}
	goose_buf_putc(&cmd, '\0');
	if (cmd.oom) {
		free(cmd.p);
		*why = "out of memory";
		return -1;
	}
	size_t len = cmd.n - 1;
	const char *g = goose_find(cmd.p, len, "+goose");
	if (g) {
		size_t at = (size_t)(g - cmd.p);
		memmove(cmd.p + at, cmd.p + at + 6, len - at - 6 + 1);
		len -= 6;
	}
	int found = -1;
	if (goose_find(cmd.p, len, "+goose")) {
		*why = "the line holds \"+goose\" twice (goose: \"contains multiple '+goose' "
		       "annotations\")";
	} else {
		const char *c = cmd.p;
		goose_trim_space(&c, &len);
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

/* ---------- the parser: internal/sqlparser/parser.go ParseSQLMigration ---------- */

enum gstate { S_START, S_UP, S_BEGIN_UP, S_END_UP, S_DOWN, S_BEGIN_DOWN, S_END_DOWN };

void gparse_free(struct gparse *g)
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
	goose_trim_space(&t, &tn);
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
bool goose_parse(const char *text, size_t len, const char *file, bool up, bool warn,
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
		goose_trim_space(&tr, &tn);
		if (state == S_START && tn == 0)
			continue;
		if (goose_starts_with(tr, tn, "--") && goose_find(line, n, "+goose")) {
			const char *why = NULL;
			int a = goose_annotation(line, n, &why);
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
				goose_trim_space(&b, &bn);
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
		if (buf.n == 0 && (goose_starts_with(tr, tn, "--") || n == 0))
			continue;
		if (state == S_END_UP || state == S_END_DOWN) {
			/* the StatementEnd line is not part of the statement; goose reaches this
			 * with any other line only after an empty StatementBegin/End block, and
			 * then sends an empty statement instead of that line */
			if (warn &&
			    (!goose_starts_with(tr, tn, "--") || !goose_find(line, n, "+goose")))
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
				if (!goose_envsub(line, n, file, lineno, warn && runs, &sub,
				                  &error)) {
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
				goose_buf_putc(&sub, '\0');
				line = sub.p;
				n = sub.n - 1;
			}
			if (buf.n == 0)
				buf_line = lineno;
			goose_buf_put(&buf, line, n);
			goose_buf_putc(&buf, '\n');
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
		goose_trim_space(&b, &bn);
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

/* ---------- for tests/unit/test_goose.c (declared in format_goose_sql.h) ---------- */

bool goose_parse_sql(const char *text, size_t len, bool up, char ***stmts, int *n, bool *use_tx,
                     char **why)
{
	struct gparse g;
	*stmts = NULL;
	*n = 0;
	*why = NULL;
	if (!goose_parse(text, len, "test.sql", up, false, &g)) {
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
