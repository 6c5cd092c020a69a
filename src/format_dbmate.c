/* format_dbmate.c - dbmate's folder (<digits>*.sql files with "-- migrate:up" and
 * "-- migrate:down" sections) and its history table, schema_migrations(version).
 *
 * Every rule follows dbmate's own source (github.com/amacneil/dbmate, commit f3e08f15e39d,
 * version 2.35; the npm release 2.36.0 that tests/dbmate pins behaves the same):
 * pkg/dbmate/db.go (the file name pattern, the order, one transaction per section, the row),
 * pkg/dbmate/migration.go (the section markers and options), pkg/driver/postgres/postgres.go
 * (the table, its schema and the statements). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "source.h"

/* ---------- dbmate's patterns, as Go's regexp reads them ---------- */

/* Go's \s (RE2's Perl class): [\t\n\f\r ], no \v */
static bool go_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* db.go's migrationFileRegexp `^(\d+).*\.sql$`: ASCII digits first, ".sql" last, and no
 * newline (Go's "." does not match one). Returns the number of leading digits, 0 when the
 * name does not match (dbmate ignores such files). */
static size_t file_version_len(const char *f)
{
	size_t digits = strspn(f, "0123456789"), len = strlen(f);
	if (digits == 0 || len < digits + 4 || strcmp(f + len - 4, ".sql") != 0 || strchr(f, '\n'))
		return 0;
	return digits;
}

/* Whether text[p..] is a match of migration.go's upRegExp `(?m)^--\s*migrate:up(\s*$|\s+\S+)`
 * (word "up") or downRegExp (word "down"), p being a line start. After the word comes the end
 * of the text or a white-space character: both alternatives match then, neither otherwise. */
static bool marker_at(const char *text, size_t len, size_t p, const char *word)
{
	if (len - p < 2 || text[p] != '-' || text[p + 1] != '-')
		return false;
	p += 2;
	while (p < len && go_space(text[p]))
		p++;
	static const char prefix[] = "migrate:";
	size_t wl = strlen(word);
	if (len - p < sizeof prefix - 1 + wl || memcmp(text + p, prefix, sizeof prefix - 1) != 0 ||
	    memcmp(text + p + sizeof prefix - 1, word, wl) != 0)
		return false;
	p += sizeof prefix - 1 + wl;
	return p == len || go_space(text[p]);
}

/* The line number (from 1) of byte offset off */
static int line_of(const char *text, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}

/* Where the markers are: the first up marker, the number of up markers, and the down markers
 * after the first up one and before the second (the first section, as dbmate cuts it). */
struct markers {
	size_t up, up2, down, down2; /* offsets; (size_t)-1 when absent */
	int nup;
};
#define NONE ((size_t)-1)

static void find_markers(const char *text, size_t len, struct markers *mk)
{
	mk->up = mk->up2 = mk->down = mk->down2 = NONE;
	mk->nup = 0;
	for (size_t p = 0; p < len;) {
		if (marker_at(text, len, p, "up")) {
			if (mk->nup == 0)
				mk->up = p;
			else if (mk->nup == 1)
				mk->up2 = p;
			mk->nup++;
		} else if (mk->nup == 1 && marker_at(text, len, p, "down")) {
			if (mk->down == NONE)
				mk->down = p;
			else if (mk->down2 == NONE)
				mk->down2 = p;
		}
		const char *nl = memchr(text + p, '\n', len - p);
		if (!nl)
			break;
		p = (size_t)(nl - text) + 1;
	}
}

/* The first line before the first up marker that is neither empty (`^\s*$`) nor a comment
 * (`^\s*--`): statementsPrecedeMigrateBlocks() splits at "\n" and tests each line. Returns its
 * offset, or NONE. */
static size_t statement_before(const char *text, size_t end)
{
	for (size_t p = 0; p < end;) {
		const char *nl = memchr(text + p, '\n', end - p);
		size_t e = nl ? (size_t)(nl - text) : end;
		size_t q = p;
		while (q < e && go_space(text[q]))
			q++;
		if (q < e && !(e - q >= 2 && text[q] == '-' && text[q + 1] == '-'))
			return p;
		if (!nl)
			break;
		p = e + 1;
	}
	return NONE;
}

/* Go's unicode.IsSpace beyond ASCII (strings.TrimSpace trims these too), UTF-8 encoded */
static const char *const wide_space[] = {
        "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
        "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
        "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8",
        "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"};

/* Length of the white-space character (unicode.IsSpace) that s[0..n) starts with (at_end
 * false) or ends with (at_end true), or 0 */
static size_t space_len(const char *s, size_t n, bool at_end)
{
	if (n && (go_space(s[at_end ? n - 1 : 0]) || s[at_end ? n - 1 : 0] == '\v'))
		return 1;
	for (size_t i = 0; i < sizeof wide_space / sizeof *wide_space; i++) {
		size_t w = strlen(wide_space[i]);
		if (n >= w && memcmp(at_end ? s + n - w : s, wide_space[i], w) == 0)
			return w;
	}
	return 0;
}

/* parseMigrationOptions() of the up block: its first line, the directive stripped
 * (`^--\s*migrate:(up|down)`), trimmed, split at `\s+` into key:value pairs (a pair with more
 * or fewer than one ":" is ignored; a later key wins). Whether "transaction" is "false". */
static bool no_transaction(const char *block, size_t len)
{
	const char *nl = memchr(block, '\n', len);
	size_t n = nl ? (size_t)(nl - block) : len;
	size_t p = 0;
	if (marker_at(block, n, 0, "up")) { /* the directive lies within the first line */
		p = 2;
		while (p < n && go_space(block[p]))
			p++;
		p += strlen("migrate:up");
	}
	size_t w;
	while (p < n && (w = space_len(block + p, n - p, false)) > 0)
		p += w;
	while (n > p && (w = space_len(block + p, n - p, true)) > 0)
		n -= w;
	bool notx = false;
	while (p < n) {
		size_t s = p;
		while (p < n && !go_space(block[p]))
			p++;
		const char *pair = block + s, *colon = memchr(pair, ':', p - s);
		if (colon && !memchr(colon + 1, ':', (size_t)(block + p - colon - 1)) &&
		    (size_t)(colon - pair) == strlen("transaction") &&
		    memcmp(pair, "transaction", strlen("transaction")) == 0) {
			size_t vl = (size_t)(block + p - colon - 1);
			notx = vl == 5 && memcmp(colon + 1, "false", 5) == 0;
		}
		while (p < n && go_space(block[p]))
			p++;
	}
	return notx;
}

/* ---------- the folder ---------- */

static const char parse_hint[] =
        "Give each file one \"-- migrate:up\" section followed by one \"-- migrate:down\" "
        "section (dbmate's layout, as `dbmate new` writes it); only comments may come before "
        "\"-- migrate:up\".";

/* A file dbmate would refuse, with dbmate's own words in the detail */
static int refuse(struct err *e, const char *file, const char *dir, const char *dbmate_says,
                  const char *why, int line)
{
	char name[768], detail[1024];
	utf8_escape(file, name, sizeof name);
	if (line > 0)
		snprintf(detail, sizeof detail, "Line %d: %s dbmate refuses it too: \"%s\".", line,
		         why, dbmate_says);
	else
		snprintf(detail, sizeof detail, "%s dbmate refuses it too: \"%s\".", why,
		         dbmate_says);
	return err_set(e, EXIT_MIGRATIONS, "file_invalid", parse_hint, detail,
	               "migration file \"%s\" in \"%s\" is not a valid dbmate migration", name,
	               dir);
}

/* Whether text (the whole file) is a migration dbmate runs: the markers in mk, or an err
 * with dbmate's reason. */
static int check_sections(const struct source_dir *d, const struct migration *m, const char *text,
                          size_t len, struct markers *mk_out, struct err *e)
{
	struct markers mk;
	find_markers(text, len, &mk);
	*mk_out = mk;
	bool bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0;
	if (mk.nup == 0)
		return refuse(
		        e, m->file, d->path,
		        "dbmate requires each migration to define an up block with '-- "
		        "migrate:up'",
		        bom && marker_at(text, len, 3, "up")
		                ? "The file starts with a UTF-8 byte-order mark, and dbmate "
		                  "does not see the \"-- migrate:up\" behind it; save the "
		                  "file without one."
		                : "It has no \"-- migrate:up\" line (at the start of a line, "
		                  "nothing but white space between the dashes and "
		                  "migrate:up, then the end of the line or white space).",
		        0);
	size_t st = statement_before(text, mk.up);
	if (st != NONE) {
		bom = bom && st == 0;
		return refuse(e, m->file, d->path,
		              "dbmate does not support statements preceding the '-- migrate:up' "
		              "block",
		              bom ? "The file starts with a UTF-8 byte-order mark, which dbmate "
		                    "reads as a statement before \"-- migrate:up\"; save it "
		                    "without one."
		                  : "Something other than a comment or an empty line comes before "
		                    "\"-- migrate:up\".",
		              line_of(text, st));
	}
	if (mk.nup > 1) {
		/* dbmate >= 2.29 runs each section in its own transaction and records the
		 * version after each: the second INSERT violates schema_migrations_pkey, so on
		 * PostgreSQL dbmate itself stops after the first section */
		char name[768], detail[1024];
		utf8_escape(m->file, name, sizeof name);
		snprintf(detail, sizeof detail,
		         "Line %d starts a second \"-- migrate:up\" section. dbmate runs each "
		         "section in turn and records the version after each one; on PostgreSQL "
		         "the second record violates schema_migrations_pkey, so dbmate itself "
		         "fails after applying the first section.",
		         line_of(text, mk.up2));
		return err_set(e, EXIT_MIGRATIONS, "file_invalid",
		               "Merge the up sections into one (and the down sections into one), "
		               "or split the file into one migration per section.",
		               detail,
		               "migration file \"%s\" in \"%s\" has more than one up section",
		               name, d->path);
	}
	if (mk.down == NONE)
		return refuse(e, m->file, d->path,
		              "dbmate requires each migration to define a down block with '-- "
		              "migrate:down'",
		              "It has no \"-- migrate:down\" line after \"-- migrate:up\" (it may "
		              "be empty).",
		              0);
	if (mk.down2 != NONE)
		return refuse(e, m->file, d->path,
		              "dbmate requires every '-- migrate:down' to be preceded by a '-- "
		              "migrate:up'",
		              "A second \"-- migrate:down\" line follows the first.",
		              line_of(text, mk.down2));
	return EXIT_DONE;
}

/* Cut m's text (the whole file, malloc'd; m's from here on, or freed) to the up section
 * dbmate runs, and read its options. Never runs the down section: the text from
 * "-- migrate:down" on is dropped. */
static int parse_file(const struct source_dir *d, struct migration *m, char *text, size_t len,
                      bool *notx, struct err *e)
{
	struct markers mk;
	int rc = check_sections(d, m, text, len, &mk, e);
	if (rc != EXIT_DONE) {
		free(text);
		return rc;
	}
	/* the up block: from the up marker (its line included, a comment) to the down marker */
	size_t n = mk.down - mk.up;
	memmove(text, text + mk.up, n);
	text[n] = '\0';
	*notx = no_transaction(text, n);
	return source_prepare_text(m, text, n, false, NULL, e);
}

/* an entry dbmate would read as a migration (its version pattern) */
static bool is_migration(const char *name)
{
	return file_version_len(name) > 0;
}

static int by_version(const void *a, const void *b)
{
	const struct migration *x = *(const struct migration *const *)a,
	                       *y = *(const struct migration *const *)b;
	return strcmp(x->version, y->version);
}

/* Two files of one version (as a string: "007" and "0007" are two): dbmate records the
 * version alone, so the second file's row would violate schema_migrations_pkey and dbmate
 * fails there, after applying the first file. */
static int check_duplicates(const struct migset *set, struct err *e)
{
	if (set->n < 2)
		return EXIT_DONE;
	const struct migration **v = malloc((size_t)set->n * sizeof *v);
	if (!v)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	for (int i = 0; i < set->n; i++)
		v[i] = &set->m[i];
	qsort(v, (size_t)set->n, sizeof *v, by_version);
	int rc = EXIT_DONE;
	for (int i = 1; i < set->n && rc == EXIT_DONE; i++)
		if (strcmp(v[i - 1]->version, v[i]->version) == 0) {
			char a[768], b[768];
			utf8_escape(v[i - 1]->file, a, sizeof a);
			utf8_escape(v[i]->file, b, sizeof b);
			rc = err_set(e, EXIT_MIGRATIONS, "version_duplicate",
			             "Give each migration its own version (dbmate new uses the "
			             "time, YYYYMMDDHHMMSS).",
			             "dbmate records the version alone, so the second file's row "
			             "would violate schema_migrations_pkey (dbmate fails there, "
			             "after applying the first file).",
			             "\"%s\" and \"%s\" have the same version %s", a, b,
			             v[i]->version);
		}
	free(v);
	return rc;
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	int rc = source_check_odd(d, is_migration, e);
	if (rc != EXIT_DONE)
		return rc;
	/* d->files is sorted by name (strcmp): dbmate's order, sort.Slice by FileName */
	for (int i = 0; i < d->nfiles; i++) {
		const char *f = d->files[i];
		size_t digits = file_version_len(f);
		if (!digits) {
			char name[768];
			utf8_escape(f, name, sizeof name);
			log_debug("\"%s\" in \"%s\" is not a dbmate migration (<digits>*.sql): "
			          "ignored, as dbmate ignores it",
			          name, d->path);
			continue;
		}
		char name[768];
		utf8_escape(f, name, sizeof name);
		if (digits >= sizeof set->m->key)
			return err_set(
			        e, EXIT_MIGRATIONS, "version_too_long",
			        "Rename the file with a version of at most 128 digits (dbmate "
			        "writes 14: YYYYMMDDHHMMSS).",
			        "dbready keeps a migration's version in at most 128 bytes.",
			        "migration file \"%s\" in \"%s\" has a version of %zu digits",
			        name, d->path, digits);
		struct migration *m = migset_add(set);
		if (!m)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		m->file = strdup(f);
		m->version = strndup(f, digits);
		m->name = strndup(f, strlen(f) - 4);
		if (!m->file || !m->version || !m->name)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		memcpy(m->key, f, digits);
		m->key[digits] = '\0';
		char *text = NULL;
		size_t len = 0;
		rc = source_read(d->path, f, &text, &len, e);
		if (rc != EXIT_DONE)
			return rc;
		bool notx = false;
		rc = parse_file(d, m, text, len, &notx, e);
		if (rc != EXIT_DONE)
			return rc;
		if (notx) {
			m->directive_no_tx = true;
			log_debug("%s: \"transaction:false\": runs outside a transaction", name);
		}
	}
	return check_duplicates(set, e);
}

/* A folder whose dbmate-named files (<digits>*.sql) carry "-- migrate:up" is dbmate's. Each
 * such file is read until one carries the marker: a folder of another format has none. */
static int detect(const struct source_dir *d, const char **why, struct err *e)
{
	static char found[1024];
	(void)e;
	for (int i = 0; i < d->nfiles; i++) {
		if (!file_version_len(d->files[i]))
			continue;
		char *text = NULL;
		size_t len = 0;
		struct err ignored;
		/* a file that cannot be read is the loader's to report */
		if (source_read(d->path, d->files[i], &text, &len, &ignored) != EXIT_DONE)
			continue;
		struct markers mk;
		find_markers(text, len, &mk);
		if (mk.nup) {
			char name[768];
			utf8_escape(d->files[i], name, sizeof name);
			snprintf(found, sizeof found, "\"%s\" has \"-- migrate:up\" on line %d",
			         name, line_of(text, mk.up));
			free(text);
			*why = found;
			return 1;
		}
		free(text);
	}
	*why = "no <digits>*.sql file with a \"-- migrate:up\" line";
	return 0;
}

/* ---------- the history table ---------- */

/* postgres.go CreateMigrationsTable(), as dbmate sends it (pg_dump: "version character
 * varying NOT NULL" and the primary key schema_migrations_pkey) */
static void create_sql(const char *qname, struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 0),
	            "create table if not exists %s (version varchar primary key)", qname);
}

/* postgres.go InsertMigration() */
static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	(void)applied_by;
	(void)duration_ms;
	fsql_printf(fsql_add(out, 1, m->key), "insert into %s (version) values ($1)", qname);
}

/* dbmate looks a version up as a string: "007" and "0007" are two versions */
static bool key_equal(const char *row_key, const char *file_key)
{
	return strcmp(row_key, file_key) == 0;
}

static const struct fsetting env[] = {
        {"DBMATE_MIGRATIONS_DIR", FSET_DIR},
        {"DBMATE_MIGRATIONS_TABLE", FSET_TABLE},
        {NULL, 0},
};

static const struct fsetting url_params[] = {
        /* lib/pq sends it as a run-time parameter; dbmate's table lives in its first
         * schema (postgres.go migrationsTableNameParts) */
        {"search_path", FSET_SCHEMA_LIST},
        /* lib/pq's own switch */
        {"binary_parameters", FSET_CLIENT},
        {NULL, 0},
};

const struct format format_dbmate = {
        .name = "dbmate",
        .detect = detect,
        .load = load,
        .no_tx_says = "the file says -- migrate:up transaction:false",
        .env = env,
        .url_params = url_params,
        .url_schemes = NULL,
        /* postgres.go: the URL's search_path, else current_schema() */
        .schema = NULL,
        .table = "schema_migrations",
        .key_label = "version",
        .key_is_number = false,
        .records_checksum = false,
        .watermark = false,
        .read_sql = "SELECT version, '', NULL, NULL FROM %s ORDER BY version",
        .guard_sql = "SELECT EXISTS (SELECT 1 FROM %s WHERE version = ANY ($1::text[]))",
        .failed_hint = NULL,
        .create_sql = create_sql,
        .record_sql = record_sql,
        .started_sql = NULL,
        .key_equal = key_equal,
        .tool_lock = NULL, /* dbmate takes no lock */
};
