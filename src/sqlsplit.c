/* sqlsplit.c - a PostgreSQL-lexer-compatible statement splitter (see sqlsplit.h). */
#define _POSIX_C_SOURCE 200809L
#include "sqlsplit.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* identifier characters as the PostgreSQL lexer sees them (high-bit bytes included) */
static bool ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool ident_char(unsigned char c)
{
	return ident_start(c) || isdigit(c) || c == '$';
}

/* The state of one statement while it is scanned: psql's BEGIN ATOMIC heuristic, and what
 * classifies it (its first words, lower case and cut to 23 bytes: every keyword the
 * classification compares with is shorter, so a cut word can only fail to match). */
#define STMT_WORDS 6
struct stmt_state {
	char ident_kind[4]; /* first letters of the first identifiers if create/or/replace/... */
	int ident_count;
	int begin_depth;
	int paren_depth;
	char words[STMT_WORDS][24];
	int nwords;
	bool has_concurrently; /* the word CONCURRENTLY outside strings and comments */
	bool has_add_value;    /* ... ADD VALUE ... (ALTER TYPE, enum) */
	bool has_stdin, has_stdout;
};

static void note_word(struct stmt_state *ss, const char *w, size_t n)
{
	if (ss->nwords < STMT_WORDS) {
		size_t k = n < sizeof ss->words[0] - 1 ? n : sizeof ss->words[0] - 1;
		for (size_t i = 0; i < k; i++)
			ss->words[ss->nwords][i] = (char)tolower((unsigned char)w[i]);
		ss->words[ss->nwords][k] = '\0';
		ss->nwords++;
	}
	if (n == 12 && strncasecmp(w, "concurrently", 12) == 0)
		ss->has_concurrently = true;
	if (n == 5 && strncasecmp(w, "stdin", 5) == 0)
		ss->has_stdin = true;
	if (n == 6 && strncasecmp(w, "stdout", 6) == 0)
		ss->has_stdout = true;

	/* psql (psqlscan.l): track CREATE [OR REPLACE] FUNCTION|PROCEDURE at the start */
	static const char *const tracked[] = {"create", "function", "procedure", "or", "replace"};
	if (ss->ident_count < 4) {
		for (size_t i = 0; i < 5; i++)
			if (strlen(tracked[i]) == n && strncasecmp(w, tracked[i], n) == 0)
				ss->ident_kind[ss->ident_count] =
				        (char)tolower((unsigned char)w[0]);
	}
	ss->ident_count++;
	const char *k = ss->ident_kind;
	bool in_routine =
	        k[0] == 'c' && (k[1] == 'f' || k[1] == 'p' ||
	                        (k[1] == 'o' && k[2] == 'r' && (k[3] == 'f' || k[3] == 'p')));
	if (in_routine && ss->paren_depth == 0) {
		if (n == 5 && strncasecmp(w, "begin", 5) == 0)
			ss->begin_depth++;
		else if (n == 4 && strncasecmp(w, "case", 4) == 0) {
			if (ss->begin_depth >= 1)
				ss->begin_depth++;
		} else if (n == 3 && strncasecmp(w, "end", 3) == 0) {
			if (ss->begin_depth > 0)
				ss->begin_depth--;
		}
	}
}

static bool is(const struct stmt_state *ss, int i, const char *w)
{
	return i < ss->nwords && strcmp(ss->words[i], w) == 0;
}

/* the reasons sql_needs_no_transaction() gives, by sql_stmt.no_tx */
enum {
	NOTX_NONE,
	NOTX_CREATE_INDEX,
	NOTX_DROP_INDEX,
	NOTX_REINDEX,
	NOTX_VACUUM,
	NOTX_ALTER_SYSTEM,
	NOTX_CREATE_DATABASE,
	NOTX_DROP_DATABASE,
	NOTX_CREATE_TABLESPACE,
	NOTX_DROP_TABLESPACE,
	NOTX_CREATE_SUBSCRIPTION,
	NOTX_DROP_SUBSCRIPTION,
	NOTX_COMMIT_PREPARED,
	NOTX_ROLLBACK_PREPARED,
	NOTX_ADD_VALUE, /* before PostgreSQL 12 only */
};

static const char *const notx_reason[] = {
        [NOTX_CREATE_INDEX] = "CREATE INDEX CONCURRENTLY",
        [NOTX_DROP_INDEX] = "DROP INDEX CONCURRENTLY",
        [NOTX_REINDEX] = "REINDEX CONCURRENTLY",
        [NOTX_VACUUM] = "VACUUM",
        [NOTX_ALTER_SYSTEM] = "ALTER SYSTEM",
        [NOTX_CREATE_DATABASE] = "CREATE DATABASE",
        [NOTX_DROP_DATABASE] = "DROP DATABASE",
        [NOTX_CREATE_TABLESPACE] = "CREATE TABLESPACE",
        [NOTX_DROP_TABLESPACE] = "DROP TABLESPACE",
        [NOTX_CREATE_SUBSCRIPTION] = "CREATE SUBSCRIPTION",
        [NOTX_DROP_SUBSCRIPTION] = "DROP SUBSCRIPTION",
        [NOTX_COMMIT_PREPARED] = "COMMIT PREPARED",
        [NOTX_ROLLBACK_PREPARED] = "ROLLBACK PREPARED",
        [NOTX_ADD_VALUE] = "ALTER TYPE ... ADD VALUE (before PostgreSQL 12)",
};

static uint8_t classify_no_tx(const struct stmt_state *ss)
{
	bool create = is(ss, 0, "create"), drop = is(ss, 0, "drop");
	if (create && ss->has_concurrently &&
	    (is(ss, 1, "index") || (is(ss, 1, "unique") && is(ss, 2, "index"))))
		return NOTX_CREATE_INDEX;
	if (drop && is(ss, 1, "index") && ss->has_concurrently)
		return NOTX_DROP_INDEX;
	if (is(ss, 0, "reindex") && ss->has_concurrently)
		return NOTX_REINDEX;
	if (is(ss, 0, "vacuum"))
		return NOTX_VACUUM;
	if (is(ss, 0, "alter") && is(ss, 1, "system"))
		return NOTX_ALTER_SYSTEM;
	if ((create || drop) && is(ss, 1, "database"))
		return create ? NOTX_CREATE_DATABASE : NOTX_DROP_DATABASE;
	if ((create || drop) && is(ss, 1, "tablespace"))
		return create ? NOTX_CREATE_TABLESPACE : NOTX_DROP_TABLESPACE;
	if ((create || drop) && is(ss, 1, "subscription"))
		return create ? NOTX_CREATE_SUBSCRIPTION : NOTX_DROP_SUBSCRIPTION;
	if (is(ss, 0, "commit") && is(ss, 1, "prepared"))
		return NOTX_COMMIT_PREPARED;
	if (is(ss, 0, "rollback") && is(ss, 1, "prepared"))
		return NOTX_ROLLBACK_PREPARED;
	if (is(ss, 0, "alter") && is(ss, 1, "type") && ss->has_add_value)
		return NOTX_ADD_VALUE;
	return NOTX_NONE;
}

/* Transaction control as the server's grammar has it (gram.y TransactionStmt): BEGIN [WORK |
 * TRANSACTION], START TRANSACTION, COMMIT/END/ROLLBACK/ABORT [WORK | TRANSACTION] [AND [NO]
 * CHAIN]; SAVEPOINT, RELEASE and ROLLBACK TO live inside a transaction and are not. */
static uint8_t classify_kind(const struct stmt_state *ss)
{
	if (is(ss, 0, "begin") || (is(ss, 0, "start") && is(ss, 1, "transaction")))
		return SQL_KIND_TX_CONTROL;
	if (is(ss, 0, "commit") || is(ss, 0, "end") || is(ss, 0, "abort") ||
	    is(ss, 0, "rollback")) {
		if (is(ss, 1, "prepared"))
			return SQL_KIND_OTHER;
		if (is(ss, 1, "to") || is(ss, 2, "to"))
			return SQL_KIND_OTHER; /* ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] x */
		return SQL_KIND_TX_CONTROL;
	}
	/* COPY t [(cols)] FROM STDIN / TO STDOUT, and COPY (query) TO STDOUT */
	if (is(ss, 0, "copy") && ss->has_stdin)
		return SQL_KIND_COPY_STDIN;
	if (is(ss, 0, "copy") && ss->has_stdout)
		return SQL_KIND_COPY_STDOUT;
	return SQL_KIND_OTHER;
}

static bool push(struct sql_split *out, int *cap, struct sql_stmt *st, const struct stmt_state *ss)
{
	st->kind = classify_kind(ss);
	st->no_tx = classify_no_tx(ss);
	if (out->n == *cap) {
		int ncap = *cap ? *cap * 2 : 32;
		struct sql_stmt *n = realloc(out->stmts, (size_t)ncap * sizeof *n);
		if (!n)
			return false;
		out->stmts = n;
		*cap = ncap;
	}
	out->stmts[out->n++] = *st;
	return true;
}

/* PostgreSQL's {quotecontinue} (scan.l): from just after a closing quote, spaces and --
 * comments, a newline, then any white space or -- comments, then a quote.
 * Returns the offset of that quote, or 0. */
static size_t continuation(const char *sql, size_t len, size_t j)
{
	/* {horiz_whitespace}*: spaces and -- comments (a comment runs up to the newline) */
	for (;;) {
		if (j < len &&
		    (sql[j] == ' ' || sql[j] == '\t' || sql[j] == '\f' || sql[j] == '\v'))
			j++;
		else if (j + 1 < len && sql[j] == '-' && sql[j + 1] == '-')
			while (j < len && sql[j] != '\n' && sql[j] != '\r')
				j++;
		else
			break;
	}
	if (j >= len || (sql[j] != '\n' && sql[j] != '\r'))
		return 0;
	for (;;) {
		if (j < len && strchr(" \t\n\r\f\v", sql[j]) && sql[j]) {
			j++;
		} else if (j + 1 < len && sql[j] == '-' && sql[j + 1] == '-') {
			while (j < len && sql[j] != '\n' && sql[j] != '\r')
				j++;
			if (j >= len)
				return 0;
		} else {
			break;
		}
	}
	return j < len && sql[j] == '\'' ? j : 0;
}

/* Skip a '...' string or "..." identifier starting at *i (a doubled quote stands for itself;
 * esc: backslash escapes too). Returns false when the input ends inside it. */
static bool skip_quoted(const char *sql, size_t len, size_t *i, char quote, bool esc)
{
	size_t k = *i + 1;
	for (;;) {
		if (k >= len) {
			*i = len;
			return false;
		}
		if (esc && sql[k] == '\\' && k + 1 < len) {
			k += 2;
		} else if (sql[k] == quote) {
			if (k + 1 < len && sql[k + 1] == quote) {
				k += 2;
				continue;
			}
			/* an E'' string goes on in a quote after white space holding a newline
			 * (and -- comments): 'a'\n'b' is 'ab', backslashes still escaping */
			size_t j = esc ? continuation(sql, len, k + 1) : 0;
			if (j) {
				k = j + 1;
				continue;
			}
			*i = k + 1;
			return true;
		} else {
			k++;
		}
	}
}

/* Length of a dollar-quote opening tag at s ("$$" or "$tag$"), or 0. */
static size_t dollar_tag(const char *s, size_t left)
{
	if (left < 2 || s[0] != '$')
		return 0;
	size_t i = 1;
	if (s[i] == '$')
		return 2;
	if (!ident_start((unsigned char)s[i]))
		return 0;
	while (i < left && (ident_start((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
		i++;
	return i < left && s[i] == '$' ? i + 1 : 0;
}

bool sql_split(const char *sql, size_t len, struct sql_split *out)
{
	memset(out, 0, sizeof *out);
	int cap = 0;
	struct sql_stmt st;
	struct stmt_state ss;
	bool in_stmt = false;
	char prev_word[8] = "";
	memset(&st, 0, sizeof st);
	memset(&ss, 0, sizeof ss);

	size_t i = 0;
	size_t e_prefix_at = (size_t)-1;
	while (i < len) {
		unsigned char c = (unsigned char)sql[i];
		/* white space */
		if (isspace(c)) {
			i++;
			continue;
		}
		/* -- comment */
		if (c == '-' && i + 1 < len && sql[i + 1] == '-') {
			while (i < len && sql[i] != '\n' && sql[i] != '\r')
				i++;
			continue;
		}
		/* block comment, nested as PostgreSQL nests them */
		if (c == '/' && i + 1 < len && sql[i + 1] == '*') {
			size_t at = i;
			int depth = 1;
			i += 2;
			while (i < len && depth > 0) {
				if (sql[i] == '/' && i + 1 < len && sql[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (sql[i] == '*' && i + 1 < len && sql[i + 1] == '/') {
					depth--;
					i += 2;
				} else {
					i++;
				}
			}
			if (depth > 0) {
				out->unterminated = true;
				out->unterminated_at = at;
			}
			continue;
		}
		if (c == ';') {
			if (in_stmt && ss.paren_depth == 0 && ss.begin_depth == 0) {
				st.len = i - st.start;
				if (!push(out, &cap, &st, &ss))
					return false;
				in_stmt = false;
				memset(&st, 0, sizeof st);
				memset(&ss, 0, sizeof ss);
				prev_word[0] = '\0';
			}
			i++;
			continue;
		}
		if (!in_stmt) {
			in_stmt = true;
			st.start = i;
		}
		size_t tok = i;
		if (c == '\'' || c == '"') {
			/* E'..' strings take backslash escapes; the E was read as a word before */
			bool esc = c == '\'' && e_prefix_at == tok;
			if (!skip_quoted(sql, len, &i, (char)c, esc)) {
				out->unterminated = true;
				out->unterminated_at = tok;
			}
			continue;
		}
		if (c == '$') {
			size_t tl = dollar_tag(sql + i, len - i);
			if (tl) {
				const char *tag = sql + i;
				i += tl;
				bool closed = false;
				while (i + tl <= len) {
					if (sql[i] == '$' && memcmp(sql + i, tag, tl) == 0) {
						i += tl;
						closed = true;
						break;
					}
					i++;
				}
				if (!closed) {
					i = len;
					out->unterminated = true;
					out->unterminated_at = tok;
				}
				continue;
			}
			/* $1 parameter or a lone $ */
			i++;
			while (i < len && isdigit((unsigned char)sql[i]))
				i++;
			continue;
		}
		if (ident_start(c)) {
			while (i < len && ident_char((unsigned char)sql[i]))
				i++;
			size_t n = i - tok;
			/* E'..' takes backslash escapes; E, B, X, N and U& are string prefixes,
			 * which psql's BEGIN ATOMIC heuristic does not count as words */
			if (n == 1 && (c == 'E' || c == 'e') && i < len && sql[i] == '\'')
				e_prefix_at = i;
			if (n == 1 && i < len &&
			    ((strchr("EeBbXxNn", c) && sql[i] == '\'') ||
			     ((c == 'U' || c == 'u') && sql[i] == '&')))
				continue;
			note_word(&ss, sql + tok, n);
			if (n == 5 && strncasecmp(sql + tok, "value", 5) == 0 &&
			    strcmp(prev_word, "add") == 0)
				ss.has_add_value = true;
			snprintf(prev_word, sizeof prev_word, "%.*s", (int)(n < 7 ? n : 7),
			         sql + tok);
			for (char *p = prev_word; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			continue;
		}
		if (isdigit(c)) {
			while (i < len && isdigit((unsigned char)sql[i]))
				i++;
			/* a number is digits, a fraction and an exponent, as in PostgreSQL's lexer
			 */
			if (i < len && sql[i] == '.' && !(i + 1 < len && sql[i + 1] == '.')) {
				i++;
				while (i < len && isdigit((unsigned char)sql[i]))
					i++;
			}
			/* exponent: 1e5, 1E-5 (anything else after a number is a new token) */
			bool sign = i + 2 < len && (sql[i + 1] == '+' || sql[i + 1] == '-');
			if (i + 1 < len && (sql[i] == 'e' || sql[i] == 'E') &&
			    isdigit((unsigned char)sql[i + (sign ? 2 : 1)])) {
				i += 2;
				while (i < len && isdigit((unsigned char)sql[i]))
					i++;
			}
			continue;
		}
		if (c == '(')
			ss.paren_depth++;
		else if (c == ')' && ss.paren_depth > 0)
			ss.paren_depth--;
		i++;
	}
	if (in_stmt) {
		st.len = len - st.start;
		/* trim trailing white space and comments are kept: they are harmless */
		while (st.len > 0 && isspace((unsigned char)sql[st.start + st.len - 1]))
			st.len--;
		if (!push(out, &cap, &st, &ss))
			return false;
	}
	return true;
}

void sql_split_free(struct sql_split *s)
{
	free(s->stmts);
	memset(s, 0, sizeof *s);
}

const char *sql_needs_no_transaction(const struct sql_stmt *st, int server_version)
{
	if (st->no_tx == NOTX_NONE || st->no_tx >= sizeof notx_reason / sizeof *notx_reason)
		return NULL;
	/* ALTER TYPE ... ADD VALUE runs in a transaction block from PostgreSQL 12 on */
	if (st->no_tx == NOTX_ADD_VALUE && (server_version <= 0 || server_version >= 120000))
		return NULL;
	return notx_reason[st->no_tx];
}
