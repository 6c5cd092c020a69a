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

/* A statement the history table's hooks write, with its $1.. parameters (pointers into the
 * migration, the applied_by text and the duration, which outlive it). Every text is the fixed
 * SQL of a format file (under 700 bytes) plus the quoted table name (under 300), or names a
 * format's loader has checked to fit (Flyway's FLYWAY_SCHEMAS, at most 900 bytes as SQL
 * literals): it fits by construction. */
#define FORMAT_SQL_MAX   2048
#define FORMAT_SQL_STEPS 5
struct fsql {
	char text[FORMAT_SQL_MAX];
	const char *params[6];
	int nparams;
};
struct fsql_list {
	struct fsql s[FORMAT_SQL_STEPS];
	int n;
};

/* Append one statement to l (at most FORMAT_SQL_STEPS); the parameters follow the format. */
struct fsql *fsql_add(struct fsql_list *l, int nparams, ...);
void fsql_printf(struct fsql *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What one entry of a tool's configuration dialect means (formats.md: "The tool's own
 * configuration works unchanged"). */
enum fsetting_kind {
	FSET_URL,          /* env: the connection string, read when DATABASE_URL is not set */
	FSET_DIR,          /* env: the migrations folder, read when --dir/DBREADY_DIR is not set */
	FSET_TABLE,        /* the history table, "table" or "schema.table" (--history-table) */
	FSET_TABLE_NAME,   /* the history table's name taken whole (dots and all), in the
	                    * format's default schema (golang-migrate's x-migrations-table) */
	FSET_TABLE_QUOTED, /* "true" or "1": FSET_TABLE_NAME is written quoted,
	                    * "schema"."table" (x-migrations-table-quoted) */
	FSET_SCHEMA_LIST,  /* a search_path: its first entry is the history table's schema */
	FSET_TIMEOUT_MS,   /* the statement timeout in milliseconds */
	FSET_CLIENT,       /* tunes only the tool's own client: dropped with a debug line */
	FSET_SCHEMA,       /* a schema name: the history table's schema, and (in a URL) the
	                    * session's search_path (Prisma's ?schema=) */
	FSET_USER,         /* env: the user, when the URL from the tool's FSET_URL names none */
	FSET_PASSWORD,     /* env: the password, likewise (a secret, never shown) */
	FSET_URL_FIRST,    /* env: the connection string, preferred over DATABASE_URL and
	                    * DATABASE_URL_FILE once the format is known (--format or the folder):
	                    * Prisma's DIRECT_URL, the non-pooled URL Migrate uses; --url and
	                    * --url-file still win. Read like FSET_URL when nothing else is set */
	FSET_CA_FILE,      /* URL: the tool's CA file for the server's certificate (libpq's
	                    * sslrootcert). Its name may be libpq's own with another meaning
	                    * (Prisma's sslcert; libpq's is a client certificate), so the URL
	                    * hands it to the dialect only when the format is the tool's */
	FSET_TLS_ACCEPT,   /* URL: "accept_invalid_certs" (the tool's default) checks nothing;
	                    * any other value ("strict") checks the server's certificate and its
	                    * host name (libpq's sslmode=verify-full) */
	FSET_TLS_IDENTITY, /* URL: a PKCS#12 client certificate and key, which libpq cannot
	                    * read: refused, with the way to convert it */
	FSET_LOCATIONS,    /* env: the migrations folder as the tool's list of locations,
	                    * "<prefix><path>" separated by commas (struct format.location_prefix),
	                    * read when --dir/DBREADY_DIR is not set; one location only, any other
	                    * prefix refused (dialect_dir) */
	FSET_OUT_OF_ORDER, /* env: "true" or "false": --allow-out-of-order, when neither the flag
	                    * nor DBREADY_ALLOW_OUT_OF_ORDER is given */
	FSET_BASELINE_ON_MIGRATE, /* env: "true": when the history table is absent and its
	                           * schema is not empty, record a baseline (baseline_sql) and
	                           * apply only what is newer (Flyway's baselineOnMigrate) */
	FSET_BASELINE_KEY,        /* env: the key that baseline takes (else baseline_default) */
};
struct fsetting {
	const char *name; /* the variable or URL parameter, as the tool spells it */
	enum fsetting_kind kind;
};

/* ---------- a history table in an older shape of the tool's ----------
 *
 * Some tools change their history table's shape between major versions and upgrade an old
 * table in place before they migrate (a new major version adds columns and fills them in from
 * the folder). A format that does so describes the upgrade (struct fupgrade_spec); the
 * pipeline runs it under dbready's migration lock (and the tool's), in a transaction of its
 * own, after looking at the shape again under the lock; status and --dry-run only say that
 * the table would be upgraded, and plan against the rows it would hold. */

/* What rows_sql returned: v[row * ncols + col], NULL for SQL NULL. */
struct fupgrade_rows {
	int n, ncols;
	const char *const *v;
};

/* One row the upgrade rewrites. Every row of the table is one change, in the order read_sql
 * reads them once upgraded, and read_sql then reads it as (key, hash). */
struct fupgrade_change {
	char *id;   /* the row's id, as the log names it */
	char *says; /* what the row becomes ("name = ..."), for the log */
	char *key;  /* its key once upgraded */
	char *hash; /* its hash once upgraded */
};

/* The upgrade of one table, built by fupgrade_spec.build; fupgrade_free releases it. */
struct fupgrade {
	struct fsql_list sql; /* the statements, run in order in one transaction */
	/* the text parameters of sql point into these (e.g. arrays for unnest) */
	char *owned[FORMAT_SQL_STEPS * 2];
	struct fupgrade_change *changes;
	int nchanges;
};

struct fupgrade_spec {
	/* SQL, $1 = the quoted table name as text: one boolean, whether the table exists in
	 * the older shape; never raises */
	const char *detect_sql;
	/* SQL (printf, %s = the quoted table): the rows build reads, every column as text */
	const char *rows_sql;
	/* the older shape and who upgrades it, for messages ("<tool> 0.x's shape (...)") */
	const char *shape;
	/* From the rows and the folder's migrations, the upgrade into out (zeroed by the
	 * caller): EXIT_DONE, or an exit code with e filled when the tool refuses to upgrade
	 * (exit 6: the rows do not fit the folder, saying which and what to do) */
	int (*build)(const char *qname, const struct fupgrade_rows *rows, const struct migset *set,
	             struct fupgrade *out, struct err *e);
};

/* Release what build allocated in u (u may be zeroed); u is zeroed again. */
void fupgrade_free(struct fupgrade *u);

/* The strings v[0..n) as a PostgreSQL array literal ('{"a","b"}', every element quoted,
 * '"' and '\\' escaped): a parameter of any size, for unnest($1::text[]). malloc'd, NULL
 * when out of memory. */
char *fsql_array(const char *const *v, int n);

/* The history table as the key of a tool's own lock needs it. */
struct lock_names {
	const char *database; /* current_database() */
	const char *schema;   /* the history table's schema */
	const char *table;    /* the history table's name */
};

struct format {
	const char *name; /* --format, status --json "format" */

	/* --- the folder --- */
	/* Whether d is this format's folder: 1 (why says what was found, for -v), 0 (why says
	 * what was looked for), or -1 with e filled (the folder is this format's but broken).
	 * A format that takes any folder of .sql files (plain) has detect NULL: it is the
	 * fallback. */
	int (*detect)(const struct source_dir *d, const char **why, struct err *e);
	/* Every migration of d into set, in order, each read once (source_prepare or
	 * source_prepare_text), with the sections and directives the tool honours. */
	int (*load)(const struct source_dir *d, struct migset *set, struct err *e);

	/* --- the configuration dialect (NULL-terminated lists, or NULL) --- */
	/* what "the file says" when a loader sets m->directive_no_tx (NULL: dbready's own
	 * "-- dbready:no-transaction"), for the log line of a migration run outside a
	 * transaction */
	const char *no_tx_says;
	const struct fsetting *env;        /* environment variables */
	const struct fsetting *url_params; /* URL parameters libpq does not know */
	const char *const *url_schemes;    /* URL schemes read as postgres:// ("pgx5") */
	/* FSET_LOCATIONS: the one kind of location that names a folder ("filesystem:") */
	const char *location_prefix;

	/* --- the history table --- */
	const char *schema;    /* its default schema; NULL: the session's current_schema() */
	const char *table;     /* its default name */
	const char *key_label; /* what a migration's key is called ("created_at") */
	bool key_is_number;    /* JSON: the key as a number (else a string) */
	bool records_checksum; /* rows carry the file's hash: an edited file is "changed" */
	/* The table records only the newest version (golang-migrate): every migration at or
	 * below it is applied, and there is neither out-of-order nor an unknown older row. */
	bool watermark;
	/* SQL (printf, %s = the quoted table): the applied migrations as the tool computes them,
	 * rows of (key text, hash text, name text, failed text[, baseline text]): hash '' when
	 * the tool records none; failed non-NULL when the row records a migration that failed
	 * or is half done (the text says what the row holds, e.g. "dirty = true"); baseline
	 * (optional) non-NULL when the row records a baseline: the migrations at or below its
	 * key are "baselined", applied by no one */
	const char *read_sql;
	/* SQL (printf, %s = the quoted table, $1 = text[] of keys): one boolean, whether any of
	 * the keys is applied now or a failed row appeared; never raises. A repeatable
	 * migration's element is "<hash> <name>": applied now when the newest row of that name
	 * carries that hash (history_keys_array) */
	const char *guard_sql;
	/* What a failed row means in this tool, and the way out (HINT of exit 6). */
	const char *failed_hint;
	/* NULL: the tool migrates a schema that already holds objects. Else the tool refuses to
	 * when its history table is absent (Prisma's P3005, Flyway's "Found non-empty schema"),
	 * and so does dbready, before anything runs: this is what the tool says, and the way
	 * out (HINT of exit 6). */
	const char *nonempty_hint;
	/* NULL: the tool cannot baseline. Else the statements that record a baseline at key,
	 * run right after create_sql: the schema already holds what every migration at or below
	 * key made (upto: the newest of them on disk, or NULL). baseline_default: the key when
	 * none is configured (FSET_BASELINE_KEY). */
	void (*baseline_sql)(const char *qname, const char *key, const struct migration *upto,
	                     struct fsql_list *out);
	const char *baseline_default;
	/* the statements that create the table (and its first rows) as the tool does */
	void (*create_sql)(const char *qname, struct fsql_list *out);
	/* the statements that record m as applied (duration_ms NULL: the row is written in the
	 * migration's own transaction and the duration is the transaction's age) */
	void (*record_sql)(const char *qname, const struct migration *m, const char *applied_by,
	                   const char *duration_ms, struct fsql_list *out);
	/* NULL, or the statements that record m as started, committed before a migration that
	 * cannot run atomically (no transaction, or its own BEGIN/COMMIT) so a crash leaves the
	 * state the tool's users recognise (golang-migrate: dirty = true) */
	void (*started_sql)(const char *qname, const struct migration *m, struct fsql_list *out);
	/* Whether a row's key names the file's key */
	bool (*key_equal)(const char *row_key, const char *file_key);
	/* NULL: keys are numbers (source_version_cmp); else the tool's order of two keys
	 * (<0, 0, >0), by which plan finds the newest applied key and out-of-order files */
	int (*key_cmp)(const char *a, const char *b);
	/* The session's search_path starts with the history table's schema, before what it was
	 * ("schema", then the old value), unless it already does (Flyway's
	 * changeCurrentSchemaTo): unqualified names in the migrations mean that schema. */
	bool schema_leads_search_path;
	/* NULL when the tool takes no lock; else its advisory lock key for these names, which
	 * dbready takes with pg_try_advisory_xact_lock beside its own */
	bool (*tool_lock)(const struct lock_names *names, long long *key);
	/* NULL, or the older shape of the table that the tool upgrades before it migrates */
	const struct fupgrade_spec *upgrade;
	/* Baseline (behaviour.md section 7, baseline.c): NULL when the tool marks a migration
	 * applied without running it with the row it writes when it runs it (record_sql, with
	 * duration "0"); else the statements of the tool's own way to mark m applied (Prisma's
	 * `migrate resolve --applied`). A format with baseline_sql records one baseline row
	 * instead (Flyway); a watermark format records only the newest migration. */
	void (*resolved_sql)(const char *qname, const struct migration *m, const char *applied_by,
	                     struct fsql_list *out);

	/* --- recovering (behaviour.md §7: dbready resolve, dbready repair) --- */
	/* NULL: the table never records a failed migration (nothing to resolve). Else the
	 * statements that record the failed migration m, whose failed row has key row_key, as
	 * applied (applied) or as rolled back (!applied), as the tool's own way out records it;
	 * prev: the migration before m on disk, NULL when m is the first */
	void (*resolve_sql)(const char *qname, const char *row_key, const struct migration *m,
	                    const struct migration *prev, bool applied, struct fsql_list *out);
	/* NULL: the table records no checksum (records_checksum false). Else the statements that
	 * record m's checksum (m->hash) in its applied row, whose key is row_key */
	void (*accept_changed_sql)(const char *qname, const char *row_key,
	                           const struct migration *m, struct fsql_list *out);
};

/* The format called name ("drizzle", "plain", ...), or NULL. */
const struct format *format_find(const char *name);

/* The i-th format of the table (from 0), NULL past its end. */
const struct format *format_at(size_t i);

/* The names in the table, comma-separated ("drizzle, plain"), for help and errors. */
const char *format_names(void);

/* The format of dir's shape, as format_load picks it, or NULL when dir cannot be listed or
 * its shape is ambiguous or broken (format_load then says why); logs nothing. */
const struct format *format_guess(const char *dir);

/* List dir, pick its format (f NULL: from the folder's shape) and load every migration. */
int format_load(const char *dir, const struct format *f, struct migset *set, struct err *e);

#endif
