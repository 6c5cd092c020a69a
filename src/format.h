/* format.h - the format table: everything a migration tool's folder and history table mean.
 *
 * One file per format (format_drizzle.c, format_plain.c, ...) defines one const struct
 * format; format.c holds the table and picks the format of a folder. The pipeline (run ->
 * plan -> apply -> history -> report) asks the struct, never which format it holds, so a new
 * format is one new file and one line in the table. Format files include only what lies
 * below them (source.h, the folder reader; checksum.h; sqlsplit.h; migration.h); nothing but
 * format.c includes a format's declaration.
 */
#ifndef DBREADY_FORMAT_H
#define DBREADY_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "migration.h"

struct source_dir;

struct format {
	const char *name; /* --format, status --json "format" */

	/* --- the folder --- */
	/* Whether d is this format's folder: 1 (why says what was found, for -v), 0 (why says
	 * what was looked for), or -1 with e filled (the folder is this format's but broken).
	 * A format that takes any folder of .sql files (plain) has detect NULL: it is the
	 * fallback. */
	int (*detect)(const struct source_dir *d, const char **why, struct err *e);
	/* Every migration of d into set, in order, each read once (source_prepare). */
	int (*load)(const struct source_dir *d, struct migset *set, struct err *e);
	bool decode_utf8;       /* the tool sends (and hashes) the text decoded as UTF-8 */
	const char *breakpoint; /* a line that cuts statements before they are split, or NULL */

	/* --- the history table --- */
	const char *schema, *table; /* its default name */
	const char *key_label;      /* what a migration's key is called ("created_at") */
	bool key_is_number;         /* JSON: the key as a number (else a string) */
	const char *key_sql;        /* SQL: the key as text, to compare with text[] params */
	/* SQL (printf, %s = the quoted table): the rows as (key text, hash text, name text) */
	const char *read_sql;
	/* SQL: CREATE TABLE IF NOT EXISTS for qname, as the tool writes it, into buf */
	void (*create_sql)(const char *qname, char *buf, size_t cap);
	/* SQL and $1.. parameters of the row that records m (duration_ms NULL: the row is written
	 * in the migration's own transaction), into buf */
	void (*insert_sql)(const char *qname, const struct migration *m, const char *applied_by,
	                   const char *duration_ms, char *buf, size_t cap, const char **params,
	                   int *nparams);
	/* Whether a row's key names the file's key */
	bool (*key_equal)(const char *row_key, const char *file_key);
};

/* The format called name ("drizzle", "plain", ...), or NULL. */
const struct format *format_find(const char *name);

/* The names in the table, comma-separated ("drizzle, plain"), for help and errors. */
const char *format_names(void);

/* List dir, pick its format (f NULL: from the folder's shape) and load every migration. */
int format_load(const char *dir, const struct format *f, struct migset *set, struct err *e);

#endif
