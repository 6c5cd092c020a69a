/* format_goose_sql.h - goose's SQL migration parser: a port of internal/sqlparser/parser.go
 * (ParseSQLMigration, extractAnnotation) of goose v3.27.3 (github.com/pressly/goose, commit
 * 520411a16119bd3b332613d1ff8312c4cc249673). format_goose.c loads migrations with it; the
 * unit tests (tests/unit/test_goose.c) hold it against goose's own test data.
 */
#ifndef DBREADY_FORMAT_GOOSE_SQL_H
#define DBREADY_FORMAT_GOOSE_SQL_H

#include <stdbool.h>
#include <stddef.h>

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

void gparse_free(struct gparse *g);

/* The annotation of a line goose takes as one (it starts with "--" after white space and
 * contains "+goose"), or -1 with *why saying what goose refuses. */
int goose_annotation(const char *line, size_t n, const char **why);

/* Parse text as goose parses it for direction up (or down). warn: say which unset ENVSUB
 * variables became empty in the section that runs. */
bool goose_parse(const char *text, size_t len, const char *file, bool up, bool warn,
                 struct gparse *g);

/* The statements goose's ParseSQLMigration returns for text in one direction (up or down),
 * each malloc'd in *stmts (malloc'd), and *use_tx; or false with *why (malloc'd) saying why
 * goose refuses the text. The unit tests hold it against goose's own test data. */
bool goose_parse_sql(const char *text, size_t len, bool up, char ***stmts, int *n, bool *use_tx,
                     char **why);

#endif
