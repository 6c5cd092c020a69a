/* format_drizzle1.c - drizzle-kit 1.x's folder (one <YYYYMMDDHHMMSS>_<name>/ subfolder per
 * migration, with migration.sql and snapshot.json) and drizzle-orm 1.x's history table,
 * "drizzle"."__drizzle_migrations" with the name and applied_at columns, matched by name.
 *
 * Source of truth: drizzle-orm@1.0.0-rc.5 (npm): migrator.js (readMigrationFiles),
 * migrator.utils.js (formatToMillis, getMigrationsToRun), pg-core/async/session.js (migrate:
 * the table's DDL and the row), up-migrations/pg.js (the upgrade of a 0.x-shaped table:
 * upgrade_spec).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "source.h"

/* drizzle-kit cuts statements at this line; drizzle-orm 1.x splits on it before sending, as
 * 0.x does (migrator.js: query.split("--> statement-breakpoint")) */
#define BREAKPOINT "--> statement-breakpoint"

static const char up_hint[] = "Run \"drizzle-kit up\" (drizzle-kit 1.x) to convert the folder to "
                              "the 1.x layout, or use --format=drizzle for the 0.x layout.";

/* ---------- JavaScript's localeCompare, for the names drizzle sorts ---------- */

/* ICU's root collation (what node's String.prototype.localeCompare uses) orders printable
 * ASCII by these primary weights, case aside: space, then punctuation in this order, then
 * digits, then letters; at equal primary weights lowercase sorts before uppercase. Checked
 * against node in tests/integration/format_drizzle1.sh. */
static const char collation[] =
        " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz";

static int primary(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	const char *p = c ? strchr(collation, c) : NULL;
	return p ? (int)(p - collation) + 1 : -1; /* -1: outside printable ASCII */
}

/* <0, 0, >0 as a.localeCompare(b); *unknown set when the order depends on a character this
 * table does not know (non-ASCII or a control character at the first difference) */
static int locale_cmp(const char *a, const char *b, bool *unknown)
{
	size_t i = 0;
	for (; a[i] && b[i]; i++) {
		if (a[i] == b[i])
			continue;
		int pa = primary((unsigned char)a[i]), pb = primary((unsigned char)b[i]);
		if (pa < 0 || pb < 0) {
			if (unknown)
				*unknown = true;
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
		}
		if (pa != pb)
			return pa < pb ? -1 : 1;
	}
	if (a[i] || b[i])
		return a[i] ? 1 : -1; /* a prefix sorts first */
	/* equal but for case: the first difference decides, lowercase first */
	for (i = 0; a[i]; i++)
		if (a[i] != b[i])
			return (a[i] >= 'a' && a[i] <= 'z') ? -1 : 1;
	return 0;
}

static int key_cmp(const char *a, const char *b)
{
	return locale_cmp(a, b, NULL);
}

/* ---------- the folder ---------- */

/* drizzle-orm's formatToMillis: Date.UTC of the name's first 14 digits. Date.UTC takes years
 * 0..99 as 1900..1999 and carries a month, day, hour, minute or second past its range into
 * the next field, as done here. */
static long long days_from_civil(long long y, int m, int d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	long long yoe = y - era * 400;
	long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static long long format_to_millis(const char *name)
{
	int v[6];
	static const int at[6] = {0, 4, 6, 8, 10, 12}, width[6] = {4, 2, 2, 2, 2, 2};
	for (int k = 0; k < 6; k++) {
		v[k] = 0;
		for (int i = 0; i < width[k]; i++)
			v[k] = v[k] * 10 + (name[at[k] + i] - '0');
	}
	long long year = v[0] <= 99 ? 1900 + v[0] : v[0];
	long long month = v[1] - 1; /* -1..98 */
	year += month >= 0 ? month / 12 : -1;
	month = month >= 0 ? month % 12 : 11;
	long long days = days_from_civil(year, (int)month + 1, 1) + v[2] - 1;
	return (((days * 24 + v[3]) * 60 + v[4]) * 60 + v[5]) * 1000;
}

/* a subfolder drizzle-orm would read, or a loose entry that would be one */
static bool is_migration(const char *name)
{
	size_t i = 0;
	while (i < 14 && name[i] >= '0' && name[i] <= '9')
		i++;
	return i == 14;
}

/* Why drizzle-orm and dbready could disagree about name (NULL: they cannot) */
static const char *name_problem(const char *name)
{
	size_t len = strlen(name);
	if (!is_migration(name))
		return "drizzle-orm takes created_at from the name's first 14 characters, which "
		       "must "
		       "be digits (YYYYMMDDHHMMSS); otherwise it records no valid created_at.";
	if (len > sizeof((struct migration *)0)->key - 1)
		return "The name is the history row's key, at most 128 bytes in dbready.";
	if (name[utf8_invalid_at(name, len)] != '\0')
		return "The name is not valid UTF-8: node would read another name than the one on "
		       "disk.";
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "The name holds a control character.";
	return NULL;
}

static int order_problem(const struct source_dir *d, const char *a, const char *b, struct err *e)
{
	char ea[768], eb[768];
	utf8_escape(a, ea, sizeof ea);
	utf8_escape(b, eb, sizeof eb);
	return err_set(e, EXIT_MIGRATIONS, "migration_order_unknown",
	               "Rename one of them so that the names differ in ASCII letters, digits or "
	               "punctuation first (drizzle-kit's own names always do).",
	               "drizzle-orm orders the folders with JavaScript's localeCompare; the first "
	               "character where these two names differ is outside printable ASCII, "
	               "whose order dbready does not reproduce.",
	               "cannot order \"%s\" and \"%s\" in \"%s\" as drizzle-orm does", ea, eb,
	               d->path);
}

static int cmp_names(const void *pa, const void *pb)
{
	return locale_cmp(*(char *const *)pa, *(char *const *)pb, NULL);
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	char why[1536];
	int j = source_probe(d->path, "meta/_journal.json", why, sizeof why);
	if (j != 0)
		return err_set(
		        e, EXIT_MIGRATIONS, "folder_old_layout", up_hint,
		        "drizzle-orm 1.x refuses it too: \"We detected that you have old "
		        "drizzle-kit migration folders. You must upgrade drizzle-kit and run "
		        "\\\"drizzle-kit up\\\"\".",
		        "\"%s\" has meta/_journal.json, drizzle-kit 0.x's layout", d->path);
	int rc = source_check_odd(d, is_migration, e);
	if (rc != EXIT_DONE)
		return rc;
	char **names = calloc((size_t)(d->nsubdirs ? d->nsubdirs : 1), sizeof *names);
	if (!names)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	int n = 0;
	for (int i = 0; i < d->nsubdirs; i++) {
		const char *sub = d->subdirs[i];
		size_t flen = strlen(sub) + sizeof "/migration.sql";
		char *rel = malloc(flen);
		if (!rel) {
			free(names);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
		snprintf(rel, flen, "%s/migration.sql", sub);
		int p = source_probe(d->path, rel, why, sizeof why);
		free(rel);
		if (p == 0) {
			log_debug("\"%s\" has no migration.sql: skipped, as drizzle-orm skips it",
			          sub);
			continue;
		}
		char esc[768];
		utf8_escape(sub, esc, sizeof esc);
		if (p < 0) {
			free(names);
			return err_set(
			        e, EXIT_MIGRATIONS, "file_not_regular",
			        "Replace it with a regular file (or a symbolic link to one).", why,
			        "migration file \"%s/migration.sql\" in \"%s\" cannot be read",
			        esc, d->path);
		}
		const char *problem = name_problem(sub);
		if (problem) {
			free(names);
			return err_set(
			        e, EXIT_MIGRATIONS, "migration_name_invalid",
			        "Rename the folder to <YYYYMMDDHHMMSS>_<name> as drizzle-kit "
			        "generate names it.",
			        problem,
			        "the migration folder \"%s\" in \"%s\" has a name dbready "
			        "cannot record as drizzle-orm does",
			        esc, d->path);
		}
		names[n++] = (char *)sub;
	}
	qsort(names, (size_t)n, sizeof *names, cmp_names);
	for (int i = 0; i + 1 < n; i++) {
		bool unknown = false;
		locale_cmp(names[i], names[i + 1], &unknown);
		if (unknown) {
			rc = order_problem(d, names[i], names[i + 1], e);
			free(names);
			return rc;
		}
	}
	for (int i = 0; i < n; i++) {
		struct migration *m = migset_add(set);
		if (!m) {
			free(names);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
		size_t flen = strlen(names[i]) + sizeof "/migration.sql";
		m->name = strdup(names[i]);
		m->file = malloc(flen);
		m->when = format_to_millis(names[i]);
		char ms[32];
		snprintf(ms, sizeof ms, "%lld", m->when);
		/* the created_at parameter of the row (record_sql) */
		m->version = strdup(ms);
		if (!m->name || !m->file || !m->version) {
			free(names);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
		snprintf(m->file, flen, "%s/migration.sql", names[i]);
		snprintf(m->key, sizeof m->key, "%s", names[i]); /* fits: name_problem */
		rc = source_prepare(d->path, m, true, BREAKPOINT, e);
		if (rc != EXIT_DONE) {
			free(names);
			return rc;
		}
	}
	free(names);
	return EXIT_DONE;
}

/* ---------- the folder's shape ---------- */

/* A subfolder with migration.sql and snapshot.json is drizzle-kit 1.x's (Prisma's folders
 * have migration.sql but never snapshot.json). With meta/_journal.json beside it the folder
 * has both layouts: refused, as drizzle-orm 1.x refuses a journal. */
static int detect(const struct source_dir *d, const char **why, struct err *e)
{
	char odd[1536];
	bool sql = false, snapshot = false;
	for (int i = 0; i < d->nsubdirs && !snapshot; i++) {
		const char *sub = d->subdirs[i];
		size_t len = strlen(sub) + sizeof "/snapshot.json";
		char *rel = malloc(len);
		if (!rel) {
			err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
			return -1;
		}
		snprintf(rel, len, "%s/migration.sql", sub);
		bool has_sql = source_probe(d->path, rel, odd, sizeof odd) != 0;
		snprintf(rel, len, "%s/snapshot.json", sub);
		snapshot = has_sql && source_probe(d->path, rel, odd, sizeof odd) != 0;
		sql = sql || has_sql;
		free(rel);
	}
	int journal = source_probe(d->path, "meta/_journal.json", odd, sizeof odd);
	if (journal != 0 && sql) {
		err_set(e, EXIT_MIGRATIONS, "folder_both_layouts", up_hint,
		        "drizzle-kit 1.x's up converts meta/_journal.json and its .sql files into "
		        "<timestamp>_<name>/migration.sql folders; a folder with both is half "
		        "converted, and drizzle-orm 1.x refuses it.",
		        "the folder \"%s\" has both drizzle layouts: meta/_journal.json (0.x) and "
		        "<timestamp>_<name>/migration.sql folders (1.x)",
		        d->path);
		return -1;
	}
	if (snapshot) {
		*why = "<timestamp>_<name>/ folders with migration.sql and snapshot.json found";
		return 1;
	}
	*why = "no drizzle-kit 1.x folders (<timestamp>_<name>/migration.sql and snapshot.json)";
	return 0;
}

/* ---------- the history table ---------- */

/* drizzle-orm 1.x's pg-core migrate(), byte for byte but for the leading and trailing white
 * space of its template */
static void create_sql(const char *qname, struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 0),
	            "CREATE TABLE IF NOT EXISTS %s (\n"
	            "\t\t\t\tid SERIAL PRIMARY KEY,\n"
	            "\t\t\t\thash text NOT NULL,\n"
	            "\t\t\t\tcreated_at bigint,\n"
	            "\t\t\t\tname text,\n"
	            "\t\t\t\tapplied_at timestamp with time zone DEFAULT now()\n"
	            "\t\t\t)",
	            qname);
}

/* the row drizzle-orm 1.x writes: hash, the name's millis, the name (applied_at defaults to
 * now(), the transaction's start, as in drizzle-orm's one transaction) */
static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	(void)applied_by;
	(void)duration_ms;
	fsql_printf(fsql_add(out, 3, m->hash, m->version, m->key),
	            "insert into %s (\"hash\", \"created_at\", \"name\") values($1, $2, $3)",
	            qname);
}

static bool key_equal(const char *row_key, const char *file_key)
{
	return strcmp(row_key, file_key) == 0;
}

/* The rows with a name (drizzle-orm 1.x ignores those without: getMigrationsToRun), read
 * through to_jsonb so that a table still in drizzle-orm 0.x's shape (no name column) reads
 * without an error: dbready looks at the shape first (upgrade_spec.detect_sql) and upgrades
 * such a table before reading it so, but should one appear in between, it reads as one failed
 * row saying so, and the guard (which sees it too) makes the runner read it again. The
 * table's name appears twice (%1$s) and is under 300 bytes: the text fits FORMAT_SQL_MAX
 * (checked below). */
#define READ_SQL                                                                                  \
	"SELECT k, h, NULL, f FROM (SELECT 0 o, id, j->>'name' k, j->>'hash' h, NULL f FROM "     \
	"(SELECT id, to_jsonb(t) j FROM %1$s t) r WHERE j->>'name' IS NOT NULL UNION ALL "        \
	"SELECT 1, 0, '', '', 'the table has drizzle-orm 0.x''s columns (no \"name\"), which "    \
	"must be upgraded before migrating' FROM jsonb_populate_record(NULL::%1$s, '{}') x "      \
	"WHERE NOT (to_jsonb(x) ? 'name')) u ORDER BY o, id"
#define GUARD_SQL                                                                                 \
	"SELECT EXISTS (SELECT 1 FROM %1$s t WHERE to_jsonb(t)->>'name' = ANY ($1::text[])) OR "  \
	"NOT (to_jsonb(jsonb_populate_record(NULL::%1$s, '{}')) ? 'name')"
_Static_assert(sizeof READ_SQL + 2 * 300 <= FORMAT_SQL_MAX, "read_sql fits");
_Static_assert(sizeof GUARD_SQL + 2 * 300 <= FORMAT_SQL_MAX, "guard_sql fits");

/* ---------- the upgrade of a drizzle-orm 0.x table (up-migrations/pg.js) ---------- */

/* upgradeIfNeeded: the table is there and has no column "name" (GET_VERSION_FOR.pg) */
#define UPGRADE_DETECT_SQL                                                                        \
	"SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1) AND "   \
	"NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND "       \
	"a.attname = 'name' AND a.attnum > 0 AND NOT a.attisdropped))"
/* upToV1's read of the rows: id, hash, created_at (as text, as node-postgres reads a bigint) */
#define UPGRADE_ROWS_SQL "SELECT id, hash, created_at FROM %s ORDER BY id ASC"
_Static_assert(sizeof UPGRADE_ROWS_SQL + 300 <= FORMAT_SQL_MAX, "rows_sql fits");

/* The second upToV1 gives a row: Number(String(created_at) without its last 3 characters,
 * then "000"). False when no folder can have it: NULL (String(null) is "null": NaN) or more
 * than 15 digits before the cut (10^18 ms and beyond, where no folder's millis are; below
 * 2^53 Number is exact, so comparing integers is comparing what node compares). */
static bool row_second(const char *created_at, long long *out)
{
	if (!created_at)
		return false;
	size_t len = strlen(created_at);
	size_t keep = len > 3 ? len - 3 : 0; /* substring(0, negative) is "" */
	size_t i = keep && created_at[0] == '-';
	bool negative = i == 1;
	if (keep - i > 15)
		return false;
	long long v = 0;
	for (; i < keep; i++) {
		if (created_at[i] < '0' || created_at[i] > '9')
			return false;
		v = v * 10 + (created_at[i] - '0');
	}
	*out = (negative ? -v : v) * 1000; /* "-" + "000" is -0, which a Map finds as 0 */
	return true;
}

/* upToV1 sorts the local migrations by millis, then by name (localeCompare) */
static int cmp_millis_name(const void *pa, const void *pb)
{
	const struct migration *a = *(const struct migration *const *)pa;
	const struct migration *b = *(const struct migration *const *)pb;
	if (a->when != b->when)
		return a->when < b->when ? -1 : 1;
	return locale_cmp(a->name, b->name, NULL);
}

/* upToV1's match of one row: the one folder of the row's second; of several, the first whose
 * hash is the row's (none: unmatched); of none, the last folder with the row's hash
 * (byHash keeps the last). *how says which rule matched. */
static const struct migration *match_row(const struct migration *const *sorted, int n,
                                         const char *hash, const char *created_at,
                                         const char **how)
{
	long long sec;
	int lo = n, count = 0;
	if (row_second(created_at, &sec)) {
		int a = 0, b = n; /* the first folder at or after sec */
		while (a < b) {
			int mid = a + (b - a) / 2;
			if (sorted[mid]->when < sec)
				a = mid + 1;
			else
				b = mid;
		}
		lo = a;
		while (lo + count < n && sorted[lo + count]->when == sec)
			count++;
	}
	if (count == 1) {
		*how = "created_at's second";
		return sorted[lo];
	}
	if (count > 1) {
		*how = "created_at's second, then the hash";
		for (int i = lo; i < lo + count; i++)
			if (hash && strcmp(sorted[i]->hash, hash) == 0)
				return sorted[i];
		return NULL;
	}
	*how = "the hash";
	for (int i = n - 1; i >= 0; i--)
		if (hash && strcmp(sorted[i]->hash, hash) == 0)
			return sorted[i];
	return NULL;
}

/* drizzle-orm's refusal (throws before any statement): every row that matches nothing,
 * listed as fits in DETAIL, the rest counted */
static int unmatched_error(const char *qname, const struct fupgrade_rows *rows,
                           const struct migration *const *match, int nunmatched,
                           const struct migset *set, struct err *e)
{
	char detail[sizeof e->detail];
	const size_t room = sizeof detail - sizeof "; and 2147483647 more.";
	size_t o = (size_t)snprintf(detail, sizeof detail,
	                            "drizzle-orm 1.x's upgrade gives each row of a 0.x table the "
	                            "name of the folder of its created_at's second (the hash "
	                            "decides between several), else of the folder with its hash, "
	                            "and refuses a row that matches none, as dbready does: ");
	int listed = 0;
	for (int r = 0; r < rows->n; r++) {
		if (match[r])
			continue;
		const char *id = rows->v[r * 3], *hash = rows->v[r * 3 + 1];
		const char *ca = rows->v[r * 3 + 2];
		char one[256];
		snprintf(one, sizeof one, "%sid %s (created_at %s, hash %.12s)",
		         listed ? "; " : "", id ? id : "NULL", ca ? ca : "NULL",
		         hash ? hash : "NULL");
		if (o + strlen(one) >= room)
			break;
		memcpy(detail + o, one, strlen(one) + 1);
		o += strlen(one);
		listed++;
	}
	if (listed < nunmatched)
		snprintf(detail + o, sizeof detail - o, "; and %d more.", nunmatched - listed);
	else
		snprintf(detail + o, sizeof detail - o, ".");
	return err_set(e, EXIT_MIGRATIONS, "history_upgrade_unmatched",
	               "Those migrations were applied from folders this one does not have: "
	               "restore them (drizzle-kit up converts a 0.x folder that has them) or run "
	               "from the release that has them; delete the rows only if their changes "
	               "were undone. Nothing was changed.",
	               detail,
	               "cannot upgrade %s from drizzle-orm 0.x's shape: %d row%s match%s no "
	               "migration in \"%s\"",
	               qname, nunmatched, nunmatched == 1 ? "" : "s", nunmatched == 1 ? "es" : "",
	               set->dir ? set->dir : "");
}

static int upgrade_build(const char *qname, const struct fupgrade_rows *rows,
                         const struct migset *set, struct fupgrade *out, struct err *e)
{
	int rc = EXIT_DONE, nunmatched = 0;
	const struct migration **sorted = calloc((size_t)(set->n ? set->n : 1), sizeof *sorted);
	const struct migration **match = calloc((size_t)(rows->n ? rows->n : 1), sizeof *match);
	const char **how = calloc((size_t)(rows->n ? rows->n : 1), sizeof *how);
	const char **ids = calloc((size_t)(rows->n ? rows->n : 1), sizeof *ids);
	const char **names = calloc((size_t)(rows->n ? rows->n : 1), sizeof *names);
	if (rows->ncols != 3) {
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL,
		             "the upgrade read %d columns, not 3 (id, hash, created_at)",
		             rows->ncols);
		goto out;
	}
	if (!sorted || !match || !how || !ids || !names) {
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		goto out;
	}
	for (int i = 0; i < set->n; i++)
		sorted[i] = &set->m[i];
	qsort(sorted, (size_t)set->n, sizeof *sorted, cmp_millis_name);
	for (int r = 0; r < rows->n; r++) {
		match[r] =
		        match_row(sorted, set->n, rows->v[r * 3 + 1], rows->v[r * 3 + 2], &how[r]);
		nunmatched += !match[r];
	}
	if (nunmatched) {
		rc = unmatched_error(qname, rows, match, nunmatched, set, e);
		goto out;
	}
	/* the statements of upToV1, in its transaction: the two columns, then every row's name
	 * and a NULL applied_at (one UPDATE here, the rows' ids and names in two arrays) */
	fsql_printf(fsql_add(&out->sql, 0),
	            "ALTER TABLE %s ADD COLUMN IF NOT EXISTS \"name\" text", qname);
	fsql_printf(fsql_add(&out->sql, 0),
	            "ALTER TABLE %s ADD COLUMN IF NOT EXISTS \"applied_at\" timestamp with time "
	            "zone DEFAULT now()",
	            qname);
	out->changes = calloc((size_t)(rows->n ? rows->n : 1), sizeof *out->changes);
	if (!out->changes) {
		rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		goto out;
	}
	for (int r = 0; r < rows->n; r++) {
		struct fupgrade_change *c = &out->changes[out->nchanges++];
		ids[r] = rows->v[r * 3] ? rows->v[r * 3] : "";
		names[r] = match[r]->name;
		char *says = NULL;
		size_t size = 0;
		FILE *f = open_memstream(&says, &size);
		if (f) {
			fprintf(f, "name = %s, applied_at = NULL (matched by %s: created_at %s)",
			        match[r]->name, how[r],
			        rows->v[r * 3 + 2] ? rows->v[r * 3 + 2] : "NULL");
			if (fclose(f) != 0) {
				free(says);
				says = NULL;
			}
		}
		c->id = strdup(ids[r]);
		c->says = says;
		c->key = strdup(match[r]->name);
		c->hash = strdup(rows->v[r * 3 + 1] ? rows->v[r * 3 + 1] : "");
		if (!c->id || !c->says || !c->key || !c->hash) {
			rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
			goto out;
		}
	}
	if (rows->n) {
		out->owned[0] = fsql_array(ids, rows->n);
		out->owned[1] = fsql_array(names, rows->n);
		if (!out->owned[0] || !out->owned[1]) {
			rc = err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
			goto out;
		}
		fsql_printf(
		        fsql_add(&out->sql, 2, out->owned[0], out->owned[1]),
		        "UPDATE %s AS t SET \"name\" = u.name, \"applied_at\" = NULL FROM "
		        "unnest($1::bigint[], $2::text[]) AS u(id, name) WHERE t.\"id\" = u.id",
		        qname);
	}
out:
	free(sorted);
	free(match);
	free(how);
	free(ids);
	free(names);
	return rc;
}

static const struct fupgrade_spec upgrade_spec = {
        .detect_sql = UPGRADE_DETECT_SQL,
        .rows_sql = UPGRADE_ROWS_SQL,
        .shape = "drizzle-orm 0.x's shape (no \"name\" and \"applied_at\" columns), which "
                 "drizzle-orm 1.x upgrades before it migrates",
        .build = upgrade_build,
};

/* drizzle-orm 1.x has no command for an edited migration: its row (by name) takes the
 * file's hash */
static void accept_changed_sql(const char *qname, const char *row_key, const struct migration *m,
                               struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 2, m->hash, row_key),
	            "update %s set \"hash\" = $1 where \"name\" = $2", qname);
}

const struct format format_drizzle1 = {
        .name = "drizzle-1",
        .detect = detect,
        .load = load,
        .schema = "drizzle",
        .table = "__drizzle_migrations",
        .key_label = "name",
        .key_is_number = false,
        .records_checksum = true,
        .read_sql = READ_SQL,
        .guard_sql = GUARD_SQL,
        .failed_hint = "Run dbready again: it upgrades a table in drizzle-orm 0.x's shape "
                       "as drizzle-orm 1.x does (adds name and applied_at, fills in the "
                       "names) before it migrates.",
        .create_sql = create_sql,
        .record_sql = record_sql,
        .key_equal = key_equal,
        .key_cmp = key_cmp,
        .upgrade = &upgrade_spec,
        .accept_changed_sql = accept_changed_sql,
};
