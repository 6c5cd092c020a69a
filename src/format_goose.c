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
 *
 * This file is the format: the folder's shape, file names, loading and building migrations,
 * the history table. The parser (parser.go) is format_goose_sql.c, ENVSUB (interpolate)
 * format_goose_envsub.c, and the Go text helpers both use format_goose_text.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "format.h"
#include "format_goose_sql.h"
#include "format_goose_text.h"
#include "log.h"
#include "source.h"

/* lock/session_locker_options.go: DefaultLockID, crc32 (IEEE) of "goose" */
#define GOOSE_LOCK_ID 4097083626LL

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
	if (!goose_atoi(name, (size_t)(us - name), &n)) {
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
		goose_trim_space(&t, &tn);
		if (goose_starts_with(t, tn, "--") && goose_find(text + at, n, "+goose")) {
			size_t ln = n && text[at + n - 1] == '\r' ? n - 1 : n;
			if (goose_annotation(text + at, ln, &why) >= 0)
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
				goose_buf_put(&names, ", ", 2);
			goose_buf_put(&names, esc, strlen(esc));
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
			goose_buf_putc(t, '\n'), cur++;
		for (; cur < s->line; cur++)
			goose_buf_putc(t, '\n');
		if (cur == s->line)
			for (size_t k = 0; k < s->col; k++)
				goose_buf_putc(t, ' ');
		off[i] = t->n;
		goose_buf_put(t, s->text, s->len);
		for (size_t k = 0; k < s->len; k++)
			cur += s->text[k] == '\n';
	}
	goose_buf_putc(t, '\n');
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
	goose_buf_put(&t, "BEGIN;\nCOMMIT;\n", 15);
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
	if (!goose_parse(raw, len, name, true, true, &g)) {
		rc = refuse_parse(m, &g, e);
		gparse_free(&g);
		free(raw);
		return rc;
	}
	/* goose's library (goose.NewProvider) parses both directions before it runs anything;
	 * the goose command parses only the one it runs, as dbready does */
	struct gparse down;
	if (!goose_parse(raw, len, name, false, false, &down) && down.why &&
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

/* an entry goose would read: a .sql or a Go migration */
static bool goose_file(const char *name)
{
	return ends_with(name, ".sql") || go_migration(name);
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	/* entries that are neither file nor directory: a .sql one is a migration goose would
	 * try to read (fs.Glob lists it) */
	int rc = source_check_odd(d, goose_file, e);
	if (rc != EXIT_DONE)
		return rc;
	rc = refuse_go(d, e);
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
