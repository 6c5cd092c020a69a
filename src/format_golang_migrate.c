/* format_golang_migrate.c - golang-migrate's folders and history table (formats.md).
 *
 * Source of truth: github.com/golang-migrate/migrate, commit
 * 18966c755f83de2b250dd8e766bad8b769cd0e25 (2026-07-05): source/parse.go (the file names),
 * source/iofs/iofs.go and source/migration.go (which files are read, duplicates),
 * migrate.go (readUp, newMigration, runMigrations: the order and the dirty flag),
 * database/postgres/postgres.go and database/pgx/v5/pgx.go (the table, its one row, the URL
 * parameters, the lock), database/util.go (GenerateAdvisoryLockId).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "source.h"

/* ---------- the file names ---------- */

/* One name as source/parse.go's Regex reads it:
 *     ^([0-9]+)_(.*)\.(down|up)\.(.*)$
 * The digits are the whole leading run (a shorter run is followed by a digit, not "_"); the
 * identifier is greedy, so the direction is the LAST ".up." or ".down." of the name; the
 * extension is anything, even empty ("1_x.up.txt" and "1_x.up.sql.bak" are up files to
 * golang-migrate). Go's "." does not match a newline: a name with one matches nothing. */
struct gm_name {
	size_t digits;   /* length of the version's digits */
	size_t stem;     /* length of "<version>_<identifier>" */
	bool up;         /* else down */
	const char *ext; /* the extension (after ".up." / ".down.") */
};

static bool parse_name(const char *f, struct gm_name *out)
{
	size_t digits = strspn(f, "0123456789");
	if (digits == 0 || f[digits] != '_' || strchr(f, '\n'))
		return false;
	const char *rest = f + digits + 1;
	for (size_t p = strlen(rest); p-- > 0;) {
		if (rest[p] != '.')
			continue;
		bool up = strncmp(rest + p, ".up.", 4) == 0;
		if (up || strncmp(rest + p, ".down.", 6) == 0) {
			out->digits = digits;
			out->stem = digits + 1 + p;
			out->up = up;
			out->ext = rest + p + (up ? 4 : 6);
			return true;
		}
	}
	return false;
}

/* The version without leading zeros into key (at most 19 digits); false when it is larger
 * than bigint's 9223372036854775807 (golang-migrate parses a uint64 and writes it as a Go
 * int into bigint: larger versions cannot be recorded). */
static bool version_key(const char *f, size_t digits, char key[21])
{
	size_t z = 0;
	while (z + 1 < digits && f[z] == '0')
		z++;
	size_t n = digits - z;
	if (n > 19 || (n == 19 && strncmp(f + z, "9223372036854775807", 19) > 0))
		return false;
	memcpy(key, f + z, n);
	key[n] = '\0';
	return true;
}

/* ---------- the folder's shape ---------- */

/* A folder with <digits>_<title>.up.sql files, and no other .sql file that golang-migrate
 * would ignore (a goose, dbmate or plain folder's <version>_<name>.sql, or a drizzle tag): a
 * mixed folder is not claimed, since reading it as golang-migrate's would skip those. */
static int detect(const struct source_dir *d, const char **why, struct err *e)
{
	(void)e;
	static char because[1024];
	int ups = 0;
	const char *other = NULL;
	for (int i = 0; i < d->nfiles; i++) {
		const char *f = d->files[i];
		size_t len = strlen(f);
		if (len < 4 || strcmp(f + len - 4, ".sql") != 0)
			continue;
		struct gm_name g;
		if (!parse_name(f, &g))
			other = other ? other : f;
		else if (g.up && strcmp(g.ext, "sql") == 0)
			ups++;
	}
	if (ups == 0) {
		*why = "no golang-migrate files (<version>_<title>.up.sql)";
		return 0;
	}
	if (other) {
		char name[512];
		utf8_escape(other, name, sizeof name);
		snprintf(
		        because, sizeof because,
		        "%d <version>_<title>.up.sql files, but also \"%s\", which golang-migrate "
		        "would ignore",
		        ups, name);
		*why = because;
		return 0;
	}
	snprintf(because, sizeof because, "%d file%s named <version>_<title>.up.sql", ups,
	         ups == 1 ? "" : "s");
	*why = because;
	return 1;
}

/* ---------- loading ---------- */

struct gm_file {
	const char *file;
	struct gm_name g;
	char key[21];
};

static int by_key(const void *x, const void *y)
{
	const struct gm_file *a = x, *b = y;
	int c = source_version_cmp(a->key, b->key);
	if (c)
		return c;
	if (a->g.up != b->g.up)
		return a->g.up ? -1 : 1;
	return strcmp(a->file, b->file);
}

/* an entry golang-migrate would read as an up file */
static bool is_up_file(const char *name)
{
	struct gm_name g;
	return parse_name(name, &g) && g.up;
}

static int refuse_duplicate(const struct source_dir *d, const struct gm_file *a,
                            const struct gm_file *b, struct err *e)
{
	char na[768], nb[768];
	utf8_escape(a->file, na, sizeof na);
	utf8_escape(b->file, nb, sizeof nb);
	return err_set(e, EXIT_MIGRATIONS, "version_duplicate",
	               "Give each migration its own version number (golang-migrate refuses the "
	               "folder too: \"duplicate migration file\"). Any extension counts: "
	               "1_x.up.sql.bak is an up file of version 1.",
	               NULL, "\"%s\" and \"%s\" in \"%s\" are both %s files of version %s", na, nb,
	               d->path, a->g.up ? "up" : "down", a->key);
}

/* One migration per version, in numeric order, as migrate.go's readUp walks them. */
static int add_migration(const struct source_dir *d, const struct gm_file *up,
                         const struct gm_file *down, struct migset *set, struct err *e)
{
	const struct gm_file *f = up ? up : down;
	struct migration *m = migset_add(set);
	if (!m)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	m->file = strdup(f->file);
	m->version = strdup(f->key);
	m->name = strndup(f->file, f->g.stem);
	snprintf(m->key, sizeof m->key, "%s", f->key);
	if (!m->file || !m->version || !m->name)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	if (up)
		return source_prepare(d->path, m, false, NULL, e);
	/* a version with only a down file: golang-migrate's newMigration makes it an "empty"
	 * migration, and runMigrations records its version all the same; the down file is never
	 * read, let alone run */
	log_debug("version %s has no up file (only \"%s\"): nothing to run, its version is "
	          "recorded as golang-migrate records it",
	          f->key, f->file);
	char *empty = strdup("");
	if (!empty)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	return source_prepare_text(m, empty, 0, false, NULL, e);
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	int rc = source_check_odd(d, is_up_file, e);
	if (rc != EXIT_DONE)
		return rc;
	struct gm_file *fs = calloc((size_t)(d->nfiles ? d->nfiles : 1), sizeof *fs);
	if (!fs)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	int n = 0;
	for (int i = 0; i < d->nfiles; i++) {
		const char *f = d->files[i];
		char name[768];
		utf8_escape(f, name, sizeof name);
		struct gm_file *g = &fs[n];
		if (!parse_name(f, &g->g)) {
			/* golang-migrate ignores what its regular expression does not match */
			size_t len = strlen(f);
			if (len >= 4 && strcmp(f + len - 4, ".sql") == 0)
				log_warn(
				        "\"%s\" in the migrations folder \"%s\" is ignored: "
				        "golang-migrate reads only <version>_<title>.up.<ext> and "
				        ".down.<ext> files",
				        name, d->path);
			else
				log_debug("\"%s\" in \"%s\" is not a golang-migrate file: ignored",
				          name, d->path);
			continue;
		}
		if (!version_key(f, g->g.digits, g->key)) {
			free(fs);
			return err_set(e, EXIT_MIGRATIONS, "version_range",
			               "Number migrations from 1 (or with timestamps): "
			               "golang-migrate records the version in a bigint column.",
			               NULL,
			               "the version of \"%s\" in \"%s\" is larger than "
			               "9223372036854775807",
			               name, d->path);
		}
		g->file = f;
		n++;
	}
	for (int i = 0; i < d->nsubdirs; i++)
		log_debug("directory \"%s\" in the migrations folder \"%s\" is ignored",
		          d->subdirs[i], d->path);
	if (n > 1)
		qsort(fs, (size_t)n, sizeof *fs, by_key);
	for (int i = 1; i < n; i++)
		if (source_version_cmp(fs[i - 1].key, fs[i].key) == 0 &&
		    fs[i - 1].g.up == fs[i].g.up) {
			rc = refuse_duplicate(d, &fs[i - 1], &fs[i], e);
			free(fs);
			return rc;
		}
	for (int i = 0; i < n && rc == EXIT_DONE;) {
		/* sorted: a version's up file, then its down file */
		const struct gm_file *up = fs[i].g.up ? &fs[i] : NULL;
		int j = i + 1;
		while (j < n && strcmp(fs[j].key, fs[i].key) == 0)
			j++;
		rc = add_migration(d, up, up ? NULL : &fs[i], set, e);
		i = j;
	}
	free(fs);
	return rc;
}

/* ---------- the history table ---------- */

/* database/postgres/postgres.go, ensureVersionTable: the DDL text as golang-migrate sends
 * it (pq.QuoteIdentifier(schema) + "." + pq.QuoteIdentifier(table)) */
static void create_sql(const char *qname, struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 0),
	            "CREATE TABLE IF NOT EXISTS %s (version bigint not null primary key, dirty "
	            "boolean not null)",
	            qname);
}

/* SetVersion(V, dirty): TRUNCATE and INSERT in one transaction (the pipeline runs a list of
 * statements in one) */
static void set_version(const char *qname, const struct migration *m, bool dirty,
                        struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 0), "TRUNCATE %s", qname);
	fsql_printf(fsql_add(out, 1, m->key), "INSERT INTO %s (version, dirty) VALUES ($1, %s)",
	            qname, dirty ? "true" : "false");
}

static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	(void)applied_by;
	(void)duration_ms;
	set_version(qname, m, false, out);
}

/* runMigrations: SetVersion(V, true) before the file runs */
static void started_sql(const char *qname, const struct migration *m, struct fsql_list *out)
{
	set_version(qname, m, true, out);
}

static bool key_equal(const char *row_key, const char *file_key)
{
	return source_version_cmp(row_key, file_key) == 0;
}

/* `migrate force V` (migrate.go Force: SetVersion(V, false)) for --applied; for --rolled-back
 * the force of the version before V, or of -1 when V is the first (database/postgres/
 * postgres.go SetVersion: TRUNCATE, and no INSERT for NilVersion when not dirty) */
static void resolve_sql(const char *qname, const char *row_key, const struct migration *m,
                        const struct migration *prev, bool applied, struct fsql_list *out)
{
	(void)row_key;
	if (applied)
		set_version(qname, m, false, out);
	else if (prev)
		set_version(qname, prev, false, out);
	else
		fsql_printf(fsql_add(out, 0), "TRUNCATE %s", qname);
}

/* database/util.go, GenerateAdvisoryLockId(DatabaseName, migrationsSchemaName,
 * migrationsTableName):
 *     crc32.ChecksumIEEE(schema + "\x00" + table + "\x00" + database) * 1486364155
 * in uint32 arithmetic, printed in decimal and passed to pg_advisory_lock($1) (a bigint from
 * 0 to 4294967295). The names are the bare ones, never quoted: the schema is
 * current_schema() (or the first "..." of a quoted x-migrations-table), the table the name
 * as configured (schema_migrations). The database is the CLI's: Open() sets DatabaseName to
 * the URL's path, "/" included (postgres://host/app gives "/app"), so the key is computed
 * with "/" + current_database(). */
static bool tool_lock(const struct lock_names *names, long long *key)
{
	size_t ls = strlen(names->schema), lt = strlen(names->table), ld = strlen(names->database);
	size_t n = ls + 1 + lt + 1 + 1 + ld;
	char *s = malloc(n);
	if (!s)
		return false;
	memcpy(s, names->schema, ls);
	s[ls] = '\0';
	memcpy(s + ls + 1, names->table, lt);
	s[ls + 1 + lt] = '\0';
	s[ls + 2 + lt] = '/';
	memcpy(s + ls + 3 + lt, names->database, ld);
	uint32_t sum = checksum_crc32(s, n) * 1486364155u;
	free(s);
	*key = (long long)sum;
	return true;
}

/* database/postgres/postgres.go Open() and database/pgx (v4: also x-lock-strategy,
 * x-lock-table); search_path is read by the generic URL handling and sent to the server, so
 * the table lands in the current_schema() it selects, as with golang-migrate */
static const struct fsetting url_params[] = {
        {"x-migrations-table", FSET_TABLE_NAME},
        {"x-migrations-table-quoted", FSET_TABLE_QUOTED},
        {"x-statement-timeout", FSET_TIMEOUT_MS},
        {"x-multi-statement", FSET_CLIENT},
        {"x-multi-statement-max-size", FSET_CLIENT},
        {"x-lock-strategy", FSET_CLIENT},
        {"x-lock-table", FSET_CLIENT},
        {NULL, 0},
};

/* database.Register: "postgres", "postgresql" (libpq's own), "pgx" and "pgx4"
 * (database/pgx), "pgx5" (database/pgx/v5) */
static const char *const url_schemes[] = {"pgx", "pgx4", "pgx5", NULL};

const struct format format_golang_migrate = {
        .name = "golang-migrate",
        .detect = detect,
        .load = load,
        .env = NULL, /* the migrate CLI reads flags (-database, -path), no variables */
        .url_params = url_params,
        .url_schemes = url_schemes,
        .schema = NULL, /* current_schema(), as golang-migrate's SELECT CURRENT_SCHEMA() */
        .table = "schema_migrations",
        .key_label = "version",
        /* a string in JSON: `migrate create -format unixNano` makes 19-digit versions, which
         * a JSON number (a double) would round */
        .key_is_number = false,
        .records_checksum = false,
        .watermark = true,
        .read_sql = "SELECT version::text, '', NULL, CASE WHEN dirty THEN 'dirty = true' END "
                    "FROM %s",
        /* the keys are the pending ones, all above the version read: one of them is applied
         * now when the recorded version reached the smallest; a dirty row is a failure */
        .guard_sql = "SELECT EXISTS (SELECT 1 FROM %s WHERE dirty OR version >= (SELECT "
                     "min(k::bigint) FROM unnest($1::text[]) k))",
        .failed_hint = "golang-migrate says \"Dirty database version V. Fix and force version.\": "
                       "migration V failed or stopped half-way, and may be partly applied. Check "
                       "the schema against V's up file and finish or undo it by hand; then, if V "
                       "is now fully applied, run `dbready resolve --applied V` (as `migrate "
                       "force V`); if it is fully undone, `dbready resolve --rolled-back V` (as "
                       "`migrate force` of the version before V). Then run dbready again.",
        .create_sql = create_sql,
        .record_sql = record_sql,
        .started_sql = started_sql,
        .key_equal = key_equal,
        .tool_lock = tool_lock,
        .resolve_sql = resolve_sql,
};
