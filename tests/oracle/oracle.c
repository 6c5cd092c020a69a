/* oracle.c - libpg_query as the oracle for src/sqlsplit.c (see oracle.h). */
#define _POSIX_C_SOURCE 200809L
#include "oracle.h"

#include <ctype.h>
#include <pg_query.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------- small helpers ---------- */

static void appendf(char *out, size_t cap, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void appendf(char *out, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(out);
	if (n + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + n, cap - n, fmt, ap);
	va_end(ap);
}

/* White space between tokens. PostgreSQL 15's scan.l has space = [ \t\n\r\f]; later releases
 * (REL_17_STABLE's scan.l: [ \t\n\r\f\v]) and dbready also count \v. So that the oracle
 * describes current servers rather than one old release's quirk, libpg_query lexes a copy of
 * the input with every \v replaced by a space (same offsets; inside strings and comments it
 * changes nothing that matters), which is how a newer lexer reads it, string continuation
 * included. */
static bool pg_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool pg_ident_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
}

bool olist_push(struct olist *l, size_t start, size_t end)
{
	if (l->n == l->cap) {
		int ncap = l->cap ? l->cap * 2 : 16;
		struct orange *v = realloc(l->v, (size_t)ncap * sizeof *v);
		if (!v)
			return false;
		l->v = v;
		l->cap = ncap;
	}
	l->v[l->n].start = start;
	l->v[l->n].end = end;
	l->n++;
	return true;
}

void olist_free(struct olist *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

bool olist_equal(const struct olist *a, const struct olist *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->v[i].start != b->v[i].start || a->v[i].end != b->v[i].end)
			return false;
	return true;
}

void oracle_quote(const char *sql, size_t start, size_t end, size_t max, char *out, size_t cap)
{
	size_t o = 0;
	if (cap == 0)
		return;
#define PUT(ch)                                                                                   \
	do {                                                                                      \
		if (o + 1 < cap)                                                                  \
			out[o++] = (char)(ch);                                                    \
	} while (0)
	size_t n = end > start ? end - start : 0;
	size_t head = n > max ? max * 2 / 3 : n;
	size_t tail_from = n > max ? end - (max - head) : end;
	PUT('"');
	for (size_t i = start; i < end; i++) {
		if (i == start + head && i < tail_from) {
			const char *dots = "\" ... \"";
			for (const char *d = dots; *d; d++)
				PUT(*d);
			i = tail_from - 1;
			continue;
		}
		unsigned char c = (unsigned char)sql[i];
		const char *esc = c == '\n'   ? "\\n"
		                  : c == '\r' ? "\\r"
		                  : c == '\t' ? "\\t"
		                  : c == '\\' ? "\\\\"
		                  : c == '"'  ? "\\\""
		                              : NULL;
		if (esc) {
			PUT(esc[0]);
			PUT(esc[1]);
		} else if (c < 0x20 || c == 0x7f) {
			char hex[8];
			snprintf(hex, sizeof hex, "\\x%02x", c);
			for (const char *h = hex; *h; h++)
				PUT(*h);
		} else {
			PUT(c);
		}
	}
	PUT('"');
#undef PUT
	out[o] = '\0';
}

/* ---------- the scanner's tokens: pg_query_scan's protobuf, decoded by hand ----------
 * ScanResult { int32 version = 1; repeated ScanToken tokens = 2; }
 * ScanToken  { int32 start = 1; int32 end = 2; Token token = 4; KeywordKind keyword_kind = 5; }
 * (libpg_query's protobuf-c headers are not packaged, and five fields do not need them.) */

static bool pb_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64 && *p < end; shift += 7) {
		unsigned char b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

static bool pb_skip(const unsigned char **p, const unsigned char *end, unsigned wt)
{
	uint64_t v;
	switch (wt) {
	case 0:
		return pb_varint(p, end, &v);
	case 1:
		if (end - *p < 8)
			return false;
		*p += 8;
		return true;
	case 2:
		if (!pb_varint(p, end, &v) || v > (uint64_t)(end - *p))
			return false;
		*p += v;
		return true;
	case 5:
		if (end - *p < 4)
			return false;
		*p += 4;
		return true;
	default:
		return false;
	}
}

static bool decode_token(const unsigned char *p, const unsigned char *end, struct pgtok *t)
{
	memset(t, 0, sizeof *t);
	while (p < end) {
		uint64_t key, v;
		if (!pb_varint(&p, end, &key))
			return false;
		unsigned field = (unsigned)(key >> 3), wt = (unsigned)(key & 7);
		if (wt == 0 && (field == 1 || field == 2 || field == 4 || field == 5)) {
			if (!pb_varint(&p, end, &v))
				return false;
			if (field == 1)
				t->start = (size_t)v;
			else if (field == 4)
				t->tok = (int)v;
			else if (field == 5)
				t->kw = (int)v;
			/* field 2 (end) is ignored: see struct pgtok */
		} else if (!pb_skip(&p, end, wt)) {
			return false;
		}
	}
	return true;
}

static bool decode_scan(struct oracle *o, const char *buf, size_t n)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + n;
	int cap = 0;
	while (p < end) {
		uint64_t key, v;
		if (!pb_varint(&p, end, &key))
			return false;
		unsigned field = (unsigned)(key >> 3), wt = (unsigned)(key & 7);
		if (field == 2 && wt == 2) {
			if (!pb_varint(&p, end, &v) || v > (uint64_t)(end - p))
				return false;
			if (o->ntok == cap) {
				cap = cap ? cap * 2 : 64;
				struct pgtok *t = realloc(o->tok, (size_t)cap * sizeof *t);
				if (!t)
					return false;
				o->tok = t;
			}
			if (!decode_token(p, p + v, &o->tok[o->ntok]))
				return false;
			o->ntok++;
			p += v;
		} else if (!pb_skip(&p, end, wt)) {
			return false;
		}
	}
	return true;
}

static bool is_comment(const struct pgtok *t)
{
	return t->tok == PGT_SQL_COMMENT || t->tok == PGT_C_COMMENT;
}

/* A token's end: the next token's start (or the end of input) less the white space before
 * it. Only white space lies between tokens (comments are tokens too); the scanner's own end
 * is wrong for some kinds (U&'' strings, for one), so it is not used. Also checks that the
 * tokens are in order and that nothing but white space precedes the first. */
static bool token_ends(struct oracle *o)
{
	for (size_t k = 0; k < (o->ntok ? o->tok[0].start : o->len); k++)
		if (!pg_space((unsigned char)o->sql[k]))
			return false;
	for (int i = 0; i < o->ntok; i++) {
		size_t next = i + 1 < o->ntok ? o->tok[i + 1].start : o->len;
		if (next <= o->tok[i].start || next > o->len)
			return false;
		size_t e = next;
		while (e > o->tok[i].start + 1 && pg_space((unsigned char)o->sql[e - 1]))
			e--;
		o->tok[i].end = e;
	}
	return true;
}

/* An E'' (or e'') string and a -- comment anywhere in the text. */
static bool raw_e_string_and_comment(const char *sql, size_t len)
{
	bool e = false, comment = false;
	for (size_t i = 0; i + 1 < len; i++) {
		if ((sql[i] == 'E' || sql[i] == 'e') && sql[i + 1] == '\'')
			e = true;
		if (sql[i] == '-' && sql[i + 1] == '-')
			comment = true;
	}
	return e && comment;
}

/* See oracle.h, comment_continuation. */
static bool comment_continuation(const struct oracle *o)
{
	for (int i = 0; i < o->ntok; i++) {
		const struct pgtok *t = &o->tok[i];
		if (t->end - t->start < 2 ||
		    (o->sql[t->start] != 'E' && o->sql[t->start] != 'e') ||
		    o->sql[t->start + 1] != '\'')
			continue; /* not an E'' string (SCONST spelled E'...) */
		int j = i + 1;
		bool comment = false;
		while (j < o->ntok && o->tok[j].tok == PGT_SQL_COMMENT) {
			comment = true;
			j++;
		}
		if (!comment || j >= o->ntok || o->sql[o->tok[j].start] != '\'')
			continue;
		if (memchr(o->sql + t->end, '\n', o->tok[j].start - t->end) ||
		    memchr(o->sql + t->end, '\r', o->tok[j].start - t->end))
			return true;
	}
	return false;
}

/* ---------- psql's grouping of tokens into statements ---------- */

static bool word_is(const struct oracle *o, const struct pgtok *t, const char *w)
{
	size_t n = strlen(w);
	return t->end - t->start == n && strncasecmp(o->sql + t->start, w, n) == 0;
}

/* Would psqlscan.l's {identifier} rule have matched this token? Unquoted identifiers and
 * keywords, but not the N of N'..' (psql: xnstart) or the U of U&x (psql: xufailed), which
 * PostgreSQL's scanner returns as the keyword NCHAR and the identifier "u". */
static bool psql_identifier(const struct oracle *o, const struct pgtok *t)
{
	if (t->tok != PGT_IDENT && t->kw == 0)
		return false;
	unsigned char c = (unsigned char)o->sql[t->start];
	if (!pg_ident_start(c))
		return false;
	if (t->end - t->start == 1 && t->end < o->len) {
		char next = o->sql[t->end];
		if ((c == 'n' || c == 'N') && next == '\'')
			return false;
		if ((c == 'u' || c == 'U') && next == '&')
			return false;
	}
	return true;
}

static bool group_psql(struct oracle *o)
{
	int paren = 0, begin = 0, ident_count = 0;
	char idents[4] = {0};
	int first = -1, last = -1;
	bool has_kw = false;
	for (int i = 0; i < o->ntok; i++) {
		const struct pgtok *t = &o->tok[i];
		if (is_comment(t))
			continue;
		if (t->tok == PGT_SEMI) {
			if (paren == 0 && begin == 0) {
				if (first >= 0) {
					if (!olist_push(&o->lexer, o->tok[first].start,
					                o->tok[last].end))
						return false;
					if (!has_kw)
						o->keywordless = true;
				}
				first = last = -1;
				has_kw = false;
				ident_count = 0;
				continue;
			}
			if (paren > 0)
				o->held_by_paren = true;
			else
				o->held_by_begin = true;
		}
		if (first < 0)
			first = i;
		last = i;
		if (t->kw)
			has_kw = true;
		if (t->tok == PGT_LPAREN) {
			paren++;
		} else if (t->tok == PGT_RPAREN) {
			if (paren > 0)
				paren--;
			else
				o->stray_rparen = true;
		} else if (psql_identifier(o, t)) {
			/* psqlscan.l: track CREATE [OR REPLACE] FUNCTION|PROCEDURE, then BEGIN,
			 * CASE (inside a BEGIN) and END outside parentheses */
			if (ident_count == 0)
				memset(idents, 0, sizeof idents);
			if (word_is(o, t, "create") || word_is(o, t, "function") ||
			    word_is(o, t, "procedure") || word_is(o, t, "or") ||
			    word_is(o, t, "replace")) {
				if (ident_count < (int)sizeof idents)
					idents[ident_count] =
					        (char)tolower((unsigned char)o->sql[t->start]);
			}
			ident_count++;
			bool routine =
			        idents[0] == 'c' && (idents[1] == 'f' || idents[1] == 'p' ||
			                             (idents[1] == 'o' && idents[2] == 'r' &&
			                              (idents[3] == 'f' || idents[3] == 'p')));
			if (routine && paren == 0) {
				if (word_is(o, t, "begin"))
					begin++;
				else if (word_is(o, t, "case")) {
					if (begin >= 1)
						begin++;
				} else if (word_is(o, t, "end")) {
					if (begin > 0)
						begin--;
				}
			}
		}
	}
	if (first >= 0) {
		if (!olist_push(&o->lexer, o->tok[first].start, o->tok[last].end))
			return false;
		if (!has_kw)
			o->keywordless = true;
	}
	o->open_paren_at_end = paren > 0;
	return true;
}

/* ---------- normalization ---------- */

struct orange oracle_normalize(const struct oracle *o, size_t start, size_t end)
{
	struct orange r = {start, start};
	/* the first token starting at or after start (binary search) */
	int lo = 0, hi = o->ntok;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (o->tok[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* tokens wholly inside [start, end): a range that cuts a token loses it, and shows */
	int first = -1, last = -1;
	for (int i = lo; i < o->ntok && o->tok[i].start < end; i++) {
		if (o->tok[i].end > end)
			break;
		if (is_comment(&o->tok[i]))
			continue;
		if (first < 0)
			first = i;
		last = i;
	}
	if (first >= 0) {
		r.start = o->tok[first].start;
		r.end = o->tok[last].end;
	}
	return r;
}

static bool normalize_split(const struct oracle *o, const PgQuerySplitResult *r, struct olist *out)
{
	for (int i = 0; i < r->n_stmts; i++) {
		int loc = r->stmts[i]->stmt_location, len = r->stmts[i]->stmt_len;
		if (loc < 0 || len < 0 || (size_t)loc > o->len ||
		    (size_t)len > o->len - (size_t)loc)
			return false;
		struct orange n = oracle_normalize(o, (size_t)loc, (size_t)loc + (size_t)len);
		if (n.start == n.end)
			continue; /* nothing but comments: no statement */
		if (!olist_push(out, n.start, n.end))
			return false;
	}
	return true;
}

/* The byte offset of PostgreSQL's 1-based character position (pg_mbstrlen_with_len on UTF-8:
 * the lead byte says the length, nothing is validated). */
static size_t char_to_byte(const char *s, size_t len, int pos)
{
	size_t b = 0;
	for (int c = 1; c < pos && b < len; c++) {
		unsigned char u = (unsigned char)s[b];
		b += (u & 0x80) == 0      ? 1
		     : (u & 0xe0) == 0xc0 ? 2
		     : (u & 0xf0) == 0xe0 ? 3
		     : (u & 0xf8) == 0xf0 ? 4
		                          : 1;
	}
	return b < len ? b : len;
}

/* ---------- running it ---------- */

bool oracle_run(struct oracle *o, const char *sql, size_t len, bool with_parser)
{
	memset(o, 0, sizeof *o);
	o->sql = sql;
	o->len = len;
	o->error_at = SIZE_MAX;
	char *buf = malloc(len + 1);
	if (!buf)
		return false;
	for (size_t k = 0; k < len; k++)
		buf[k] = sql[k] == '\v' ? ' ' : sql[k];
	buf[len] = '\0';

	PgQueryScanResult scan = pg_query_scan(buf);
	if (scan.error) {
		snprintf(o->error, sizeof o->error, "%s",
		         scan.error->message ? scan.error->message : "?");
		o->unterminated = strstr(o->error, "unterminated") != NULL;
		if (scan.error->cursorpos > 0)
			o->error_at = char_to_byte(sql, len, scan.error->cursorpos);
		pg_query_free_scan_result(scan);
		free(buf);
		return true;
	}
	bool decoded = decode_scan(o, scan.pbuf.data, scan.pbuf.len);
	pg_query_free_scan_result(scan);
	if (!decoded || !token_ends(o)) {
		snprintf(o->error, sizeof o->error,
		         "oracle: cannot make sense of pg_query_scan's tokens");
		free(buf);
		return true;
	}
	o->scanned = true;
	o->comment_continuation = comment_continuation(o);
	if (!group_psql(o)) {
		free(buf);
		return false;
	}

	/* Note: on error, libpg_query may leave n_stmts set and stmts NULL: never look then. */
	PgQuerySplitResult sr = pg_query_split_with_scanner(buf);
	if (!sr.error) {
		o->scanner_ok = normalize_split(o, &sr, &o->scanner);
	}
	pg_query_free_split_result(sr);

	if (with_parser) {
		o->parser_tried = true;
		PgQuerySplitResult pr = pg_query_split_with_parser(buf);
		if (pr.error) {
			snprintf(o->parser_error, sizeof o->parser_error, "%s",
			         pr.error->message ? pr.error->message : "?");
		} else {
			o->parser_ok = normalize_split(o, &pr, &o->parser);
			if (!o->parser_ok)
				snprintf(o->parser_error, sizeof o->parser_error,
				         "statement out of range");
		}
		pg_query_free_split_result(pr);
	}
	free(buf);
	return true;
}

void oracle_free(struct oracle *o)
{
	free(o->tok);
	olist_free(&o->lexer);
	olist_free(&o->scanner);
	olist_free(&o->parser);
	memset(o, 0, sizeof *o);
}

/* ---------- dbready's side ---------- */

bool oracle_dbready(const struct oracle *o, const struct sql_split *sp, struct olist *out,
                    char *why, size_t whycap)
{
	for (int i = 0; i < sp->n; i++) {
		const struct sql_stmt *st = &sp->stmts[i];
		struct orange n = oracle_normalize(o, st->start, st->start + st->len);
		if (why && n.start != n.end && n.start != st->start) {
			char q[160];
			oracle_quote(o->sql, st->start, n.start, 60, q, sizeof q);
			appendf(why, whycap,
			        "%sstatement %d starts at byte %zu, before its first token at %zu "
			        "(%s skipped by PostgreSQL)",
			        why[0] ? "; " : "", i + 1, st->start, n.start, q);
		}
		if (!olist_push(out, n.start, n.end))
			return false;
	}
	return true;
}

int olist_diff(const char *sql, const char *want_name, const struct olist *want,
               const char *got_name, const struct olist *got, char *out, size_t cap)
{
	int k = 0;
	while (k < want->n && k < got->n && want->v[k].start == got->v[k].start &&
	       want->v[k].end == got->v[k].end)
		k++;
	char a[400], b[400];
	if (k < want->n)
		oracle_quote(sql, want->v[k].start, want->v[k].end, 110, a, sizeof a);
	else
		snprintf(a, sizeof a, "(none)");
	if (k < got->n)
		oracle_quote(sql, got->v[k].start, got->v[k].end, 110, b, sizeof b);
	else
		snprintf(b, sizeof b, "(none)");
	appendf(out, cap,
	        "%s%s has %d statement%s, %s %d; first difference at statement %d: %s %s, %s %s",
	        out[0] ? "; " : "", want_name, want->n, want->n == 1 ? "" : "s", got_name, got->n,
	        k + 1, want_name, a, got_name, b);
	return k;
}

/* ---------- the checks ---------- */

bool split_invariants(const char *sql, size_t len, const struct sql_split *sp, char *why,
                      size_t whycap)
{
	if (sp->n < 0 || (sp->n > 0 && !sp->stmts)) {
		snprintf(why, whycap, "n = %d, stmts = %p", sp->n, (void *)sp->stmts);
		return false;
	}
	size_t prev_end = 0;
	for (int i = 0; i < sp->n; i++) {
		const struct sql_stmt *st = &sp->stmts[i];
		if (st->start >= len || st->len == 0 || st->len > len - st->start) {
			snprintf(why, whycap,
			         "statement %d: range [%zu, +%zu) outside the input (%zu bytes) "
			         "or empty",
			         i + 1, st->start, st->len, len);
			return false;
		}
		if (st->start < prev_end) {
			snprintf(why, whycap,
			         "statement %d starts at %zu, inside or before statement %d (ends "
			         "at %zu)",
			         i + 1, st->start, i, prev_end);
			return false;
		}
		if (i > 0 && !memchr(sql + prev_end, ';', st->start - prev_end)) {
			snprintf(why, whycap,
			         "no ';' between statement %d (ends at %zu) and statement %d "
			         "(starts at %zu)",
			         i, prev_end, i + 1, st->start);
			return false;
		}
		unsigned char c = (unsigned char)sql[st->start];
		bool comment = st->start + 1 < len && ((c == '-' && sql[st->start + 1] == '-') ||
		                                       (c == '/' && sql[st->start + 1] == '*'));
		if (pg_space(c) || c == ';' || comment) {
			snprintf(why, whycap,
			         "statement %d starts at %zu with white space, ';' or a comment",
			         i + 1, st->start);
			return false;
		}
		if (st->kind > SQL_KIND_COPY_STDOUT) {
			snprintf(why, whycap, "statement %d: kind = %d", i + 1, st->kind);
			return false;
		}
		prev_end = st->start + st->len;
	}
	if (sp->unterminated && sp->unterminated_at >= len) {
		snprintf(why, whycap, "unterminated_at %zu outside the input (%zu bytes)",
		         sp->unterminated_at, len);
		return false;
	}
	return true;
}

bool oracle_check_lexer(const struct oracle *o, const struct sql_split *sp, char *why,
                        size_t whycap)
{
	why[0] = '\0';
	if (!o->scanned) {
		/* libpg_query's scanner, unlike the server, ends an E'' string continued across a
		 * -- comment (see comment_continuation) and may then call the rest unterminated:
		 * with no tokens to look at, any E'' string next to a comment is not judged */
		if (o->unterminated && raw_e_string_and_comment(o->sql, o->len))
			return true;
		if (o->unterminated && !sp->unterminated) {
			snprintf(why, whycap,
			         "PostgreSQL: %s (at byte %zu); dbready does not see anything "
			         "unterminated",
			         o->error, o->error_at);
			return false;
		}
		return true; /* nothing to compare with */
	}
	if (o->comment_continuation)
		return true;
	bool ok = true;
	if (sp->unterminated) {
		char q[200];
		oracle_quote(o->sql, sp->unterminated_at, o->len, 60, q, sizeof q);
		appendf(why, whycap,
		        "dbready says unterminated at byte %zu (%s), PostgreSQL's lexer accepts "
		        "the input",
		        sp->unterminated_at, q);
		ok = false;
	}
	struct olist db = {0};
	char starts[600] = "";
	if (!oracle_dbready(o, sp, &db, starts, sizeof starts)) {
		appendf(why, whycap, "%sout of memory", why[0] ? "; " : "");
		return false;
	}
	if (!olist_equal(&o->lexer, &db)) {
		int k = olist_diff(o->sql, "PostgreSQL", &o->lexer, "dbready", &db, why, whycap);
		if (k < sp->n) {
			/* the normalized text drops tokens a range cuts in half: show the range
			 * too */
			char q[400];
			const struct sql_stmt *st = &sp->stmts[k];
			oracle_quote(o->sql, st->start, st->start + st->len, 110, q, sizeof q);
			appendf(why, whycap, " (dbready's range [%zu, %zu): %s)", st->start,
			        st->start + st->len, q);
		}
		ok = false;
	} else if (starts[0]) {
		appendf(why, whycap, "%s%s", why[0] ? "; " : "", starts);
		ok = false;
	}
	olist_free(&db);
	/* libpg_query's own scanner split, where its conventions do not differ (oracle.h): an
	 * independent check of the grouping above */
	if (o->scanner_ok && !o->held_by_begin && !o->keywordless && !o->stray_rparen &&
	    !o->open_paren_at_end && !olist_equal(&o->lexer, &o->scanner)) {
		char d[1200] = "";
		olist_diff(o->sql, "lexer+psql rules", &o->lexer, "pg_query_split_with_scanner",
		           &o->scanner, d, sizeof d);
		appendf(why, whycap, "%soracle self-check: %s", why[0] ? "; " : "", d);
		ok = false;
	}
	return ok;
}
