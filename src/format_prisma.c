/* format_prisma.c - Prisma Migrate's folder (migration_lock.toml and one subfolder per
 * migration holding migration.sql) and its history table, _prisma_migrations, as
 * `prisma migrate deploy` reads and writes them.
 *
 * Sources: github.com/prisma/prisma-engines at 042511990ea2dc539b711cfaa3f692c6997d4533,
 * schema-engine/connectors/sql-schema-connector/src/flavour/postgres.rs (the table's DDL, sent
 * unqualified into the URL's ?schema=, and the lock `SELECT pg_advisory_lock(72707369)` held
 * for the whole command), schema-engine/connectors/schema-connector/src/checksum.rs (the
 * checksum: SHA-256 of the script's bytes, lowercase hex, 64 digits) and
 * schema-engine/core/src/commands/apply_migrations.rs (P3009 on a row with neither finished_at
 * nor rolled_back_at; applied = finished_at set and rolled_back_at NULL, matched by
 * migration_name). tests/integration/format_prisma.sh checks each against the real prisma
 * 6.19.3 (tests/prisma). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checksum.h"
#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "source.h"

#define LOCK_FILE  "migration_lock.toml"
#define SCRIPT     "migration.sql"
#define PRISMA_KEY 72707369LL

/* ---------- migration_lock.toml ---------- */

/* The provider the lock file names: the value of its first `provider = "..."` line (white
 * space around "=" allowed, a TOML comment or nothing after it), malloc'd into *out; *out
 * NULL when no line names one. */
static int lock_provider(const char *text, size_t len, char **out)
{
	*out = NULL;
	for (size_t p = 0; p < len;) {
		const char *nl = memchr(text + p, '\n', len - p);
		size_t e = nl ? (size_t)(nl - text) : len, q = p;
		while (q < e && (text[q] == ' ' || text[q] == '\t'))
			q++;
		if (e - q > 8 && memcmp(text + q, "provider", 8) == 0) {
			q += 8;
			while (q < e && (text[q] == ' ' || text[q] == '\t'))
				q++;
			if (q < e && text[q] == '=') {
				q++;
				while (q < e && (text[q] == ' ' || text[q] == '\t'))
					q++;
				size_t v = q;
				if (q < e && (text[q] == '"' || text[q] == '\'')) {
					const char *close =
					        memchr(text + q + 1, text[q], e - q - 1);
					v = q + 1;
					q = close ? (size_t)(close - text) : e;
				} else {
					while (q < e && text[q] != ' ' && text[q] != '\t' &&
					       text[q] != '#' && text[q] != '\r')
						q++;
				}
				*out = strndup(text + v, q - v);
				return *out ? 0 : -1;
			}
		}
		if (!nl)
			break;
		p = e + 1;
	}
	return 0;
}

/* The lock file, when there is one, must name postgresql (Prisma's P3019 otherwise). */
static int check_lock_file(const struct source_dir *d, struct err *e)
{
	if (!source_has_file(d, LOCK_FILE)) {
		log_debug("\"%s\" has no %s: the provider is not checked (Prisma does not either)",
		          d->path, LOCK_FILE);
		return EXIT_DONE;
	}
	char *text = NULL, *provider = NULL;
	size_t len = 0;
	int rc = source_read(d->path, LOCK_FILE, &text, &len, e);
	if (rc != EXIT_DONE)
		return rc;
	if (lock_provider(text, len, &provider) != 0) {
		free(text);
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	}
	free(text);
	if (provider && strcmp(provider, "postgresql") != 0) {
		char shown[256];
		utf8_escape(provider, shown, sizeof shown);
		free(provider);
		return err_set(e, EXIT_MIGRATIONS, "provider_mismatch",
		               "These migrations were written for another database; generate "
		               "migrations for PostgreSQL (provider = \"postgresql\" in "
		               "schema.prisma) in their own folder.",
		               "Prisma refuses it too (P3019: the datasource provider does not "
		               "match the one in migration_lock.toml).",
		               "%s in \"%s\" says provider = \"%s\", not \"postgresql\"",
		               LOCK_FILE, d->path, shown);
	}
	free(provider);
	return EXIT_DONE;
}

/* ---------- the folder ---------- */

/* Whether the subfolder's name can be a key: at most 128 bytes (migration.h) and nothing the
 * history's text[] literal would have to quote. Returns NULL when it can, else why not. */
static const char *name_unusable(const char *name)
{
	if (strlen(name) >= sizeof((struct migration *)0)->key)
		return "It is longer than 128 bytes, the most dbready keeps of a migration's "
		       "name (Prisma's own are 14 digits, an underscore and a short name).";
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("{}\",\\'", *p))
			return "It has a space, a control character, a quote, a backslash, a "
			       "comma or a brace, which dbready cannot use in a migration's name "
			       "yet (prisma migrate dev writes letters, digits and underscores).";
	if (strcasecmp(name, "NULL") == 0)
		return "\"NULL\" cannot be a migration's name in dbready.";
	return NULL;
}

/* hex as prisma-engines wrote it before zero-padding (issue 1887): each byte as {byte:x} */
static void hex_unpadded(const char *hex, char out[65])
{
	size_t o = 0;
	for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
		unsigned b = 0;
		sscanf(hex + i, "%2x", &b);
		o += (size_t)snprintf(out + o, 65 - o, "%x", b);
	}
}

/* The other checksums Prisma takes as text's own (prisma/prisma-engines
 * schema-engine/connectors/schema-connector/src/checksum.rs, script_matches_checksum, at
 * 48784dc4afd777a4e5f95b2191e749dd32c40733): of the script with "\r\n" made "\n", and with
 * every "\n" made "\r\n" (git's line-ending conversion must not make a migration "changed"),
 * and each of the three written unpadded, as older engines recorded them. */
static int eol_checksums(struct migration *m, struct err *e)
{
	/* the script as read: the byte-order mark source_prepare_text() took off, then the text */
	const char *text = m->text;
	size_t len = m->text_len, nl = 0;
	for (size_t i = 0; i < len; i++)
		nl += text[i] == '\n';
	char *buf = malloc(m->bom + len + nl + 1);
	if (!buf)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	memcpy(buf, "\xEF\xBB\xBF", m->bom);
	size_t o = m->bom;
	for (size_t i = 0; i < len; i++)
		if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
			buf[o++] = text[i];
	bool ok = checksum_sha256(buf, o, m->alt_hash[0]);
	o = m->bom;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\n')
			buf[o++] = '\r';
		buf[o++] = text[i];
	}
	ok = ok && checksum_sha256(buf, o, m->alt_hash[1]);
	free(buf);
	if (!ok)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "SHA-256 failed");
	hex_unpadded(m->hash, m->alt_hash[2]);
	hex_unpadded(m->alt_hash[0], m->alt_hash[3]);
	hex_unpadded(m->alt_hash[1], m->alt_hash[4]);
	return EXIT_DONE;
}

static int load(const struct source_dir *d, struct migset *set, struct err *e)
{
	int rc = source_check_odd(d, NULL, e);
	if (rc != EXIT_DONE)
		return rc;
	rc = check_lock_file(d, e);
	if (rc != EXIT_DONE)
		return rc;
	/* d->subdirs is sorted by name (strcmp): Prisma's order (migrations_directory.rs sorts
	 * the folder names as strings) */
	for (int i = 0; i < d->nsubdirs; i++) {
		const char *sub = d->subdirs[i];
		char name[768];
		utf8_escape(sub, name, sizeof name);
		const char *why = name_unusable(sub);
		if (why)
			return err_set(e, EXIT_MIGRATIONS, "name_unusable",
			               "Rename the folder (and its migration_name in "
			               "_prisma_migrations, if it is applied).",
			               why,
			               "migration folder \"%s\" in \"%s\" has a name dbready "
			               "cannot use",
			               name, d->path);
		size_t rl = strlen(sub) + sizeof "/" SCRIPT;
		char *rel = malloc(rl);
		if (!rel)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		snprintf(rel, rl, "%s/" SCRIPT, sub);
		char pwhy[512];
		int there = source_probe(d->path, rel, pwhy, sizeof pwhy);
		if (there <= 0) {
			free(rel);
			return err_set(
			        e, EXIT_MIGRATIONS, "file_missing",
			        "Restore the migration file, or delete the folder if it is not "
			        "a migration.",
			        there < 0 ? pwhy
			                  : "Prisma stops there too (P3015: could not find the "
			                    "migration file).",
			        "migration folder \"%s\" in \"%s\" has no usable " SCRIPT, name,
			        d->path);
		}
		struct migration *m = migset_add(set);
		if (!m) {
			free(rel);
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		}
		m->file = rel;
		m->name = strdup(sub);
		if (!m->name)
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		memcpy(m->key, sub, strlen(sub) + 1);
		char *text = NULL;
		size_t len = 0;
		rc = source_read(d->path, rel, &text, &len, e);
		if (rc != EXIT_DONE)
			return rc;
		/* Prisma reads the script as a Rust String (read_to_string): invalid UTF-8 is an
		 * error there */
		size_t bad = utf8_invalid_at(text, len);
		if (bad < len) {
			free(text);
			char detail[256];
			snprintf(
			        detail, sizeof detail,
			        "Byte %zu is not valid UTF-8; Prisma cannot read the file either.",
			        bad);
			return err_set(e, EXIT_MIGRATIONS, "file_invalid",
			               "Save the file as UTF-8.", detail,
			               "migration file \"%s/" SCRIPT "\" in \"%s\" is not UTF-8",
			               name, d->path);
		}
		/* one script, hashed as its bytes; dbready splits it into statements (Prisma
		 * sends it whole as one simple query: the same inside a transaction) */
		rc = source_prepare_text(m, text, len, false, NULL, e);
		if (rc == EXIT_DONE)
			rc = eol_checksums(m, e);
		if (rc != EXIT_DONE)
			return rc;
	}
	return EXIT_DONE;
}

/* A folder with migration_lock.toml, or with subfolders holding migration.sql and no
 * snapshot.json (drizzle-kit 1.x's mark), is Prisma's. */
static int detect(const struct source_dir *d, const char **why, struct err *e)
{
	static char found[1024];
	(void)e;
	if (source_has_file(d, LOCK_FILE)) {
		*why = "it has " LOCK_FILE;
		return 1;
	}
	for (int i = 0; i < d->nsubdirs; i++) {
		char rel[1024], pwhy[256], name[768];
		if ((size_t)snprintf(rel, sizeof rel, "%s/" SCRIPT, d->subdirs[i]) >= sizeof rel)
			continue; /* a name that long is the loader's to refuse */
		if (source_probe(d->path, rel, pwhy, sizeof pwhy) != 1)
			continue;
		snprintf(rel, sizeof rel, "%s/snapshot.json", d->subdirs[i]);
		if (source_probe(d->path, rel, pwhy, sizeof pwhy) == 1)
			continue;
		utf8_escape(d->subdirs[i], name, sizeof name);
		snprintf(found, sizeof found, "\"%s/" SCRIPT "\" (no " LOCK_FILE ")", name);
		*why = found;
		return 1;
	}
	*why = "no " LOCK_FILE " and no <folder>/" SCRIPT;
	return 0;
}

/* ---------- the history table ---------- */

/* postgres.rs create_migrations_table(), as Prisma sends it */
static void create_sql(const char *qname, struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 0),
	            "CREATE TABLE %s (\n"
	            "    id                      VARCHAR(36) PRIMARY KEY NOT NULL,\n"
	            "    checksum                VARCHAR(64) NOT NULL,\n"
	            "    finished_at             TIMESTAMPTZ,\n"
	            "    migration_name          VARCHAR(255) NOT NULL,\n"
	            "    logs                    TEXT,\n"
	            "    rolled_back_at          TIMESTAMPTZ,\n"
	            "    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
	            "    applied_steps_count     INTEGER NOT NULL DEFAULT 0\n"
	            ")",
	            qname);
}

/* Prisma inserts the row (a new UUID v4, the checksum, the name, started_at = now()) before
 * the script, then sets finished_at = now() and applied_steps_count = 1. In the migration's
 * own transaction the row is inserted whole (started_at the transaction's start, finished_at
 * the end of the script); after a migration that ran outside one, the row started_sql wrote
 * is finished. */
static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	(void)applied_by;
	if (duration_ms) {
		fsql_printf(
		        fsql_add(out, 1, m->key),
		        "UPDATE %s SET finished_at = now(), applied_steps_count = 1 WHERE "
		        "migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL",
		        qname);
		return;
	}
	fsql_printf(fsql_add(out, 2, m->hash, m->key),
	            "INSERT INTO %s (id, checksum, finished_at, migration_name, logs, "
	            "rolled_back_at, started_at, applied_steps_count) VALUES "
	            "(gen_random_uuid()::text, $1, clock_timestamp(), $2, NULL, NULL, now(), 1)",
	            qname);
}

/* `prisma migrate resolve --applied` (and a baseline): MigrationPersistence::
 * mark_migration_applied_impl in prisma/prisma-engines,
 * schema-engine/connectors/sql-schema-connector/src/lib.rs: a new UUID v4, the checksum,
 * logs '' (an empty string, not NULL), started_at = finished_at (one timestamp), the name;
 * rolled_back_at NULL and applied_steps_count its default 0 */
static void resolved_sql(const char *qname, const struct migration *m, const char *applied_by,
                         struct fsql_list *out)
{
	(void)applied_by;
	fsql_printf(fsql_add(out, 2, m->hash, m->key),
	            "INSERT INTO %s (id, checksum, logs, started_at, finished_at, migration_name) "
	            "VALUES (gen_random_uuid()::text, $1, '', now(), now(), $2)",
	            qname);
}

/* committed before a migration that runs outside a transaction: what Prisma leaves when it
 * stops half-way (P3009 for the next deploy) */
static void started_sql(const char *qname, const struct migration *m, struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 2, m->hash, m->key),
	            "INSERT INTO %s (id, checksum, migration_name, started_at, "
	            "applied_steps_count) VALUES (gen_random_uuid()::text, $1, $2, now(), 0)",
	            qname);
}

static bool key_equal(const char *row_key, const char *file_key)
{
	return strcmp(row_key, file_key) == 0;
}

/* Prisma orders the folders by name, as strings */
static int key_cmp(const char *a, const char *b)
{
	return strcmp(a, b);
}

static bool tool_lock(const struct lock_names *names, long long *key)
{
	(void)names;
	*key = PRISMA_KEY; /* postgres.rs acquire_lock(): one constant for every database */
	return true;
}

static const struct fsetting env[] = {
        /* schema.prisma's directUrl = env("DIRECT_URL"): the non-pooled URL Migrate uses,
         * so it wins over DATABASE_URL (often a pooler's) */
        {"DIRECT_URL", FSET_URL_FIRST},
        {NULL, 0},
};

/* quaint's PostgresUrl parameters (quaint/src/connector/postgres/url.rs) that libpq does not
 * read the same way: the ones that tune only Prisma's client are dropped; sslcert is Prisma's
 * CA file (libpq's sslrootcert), sslaccept says whether the certificate is checked (default
 * accept_invalid_certs: not at all; strict, or any other value: chain and host name) and
 * sslidentity is a PKCS#12 file (native/mod.rs). sslpassword, the PKCS#12 password, only
 * goes with sslidentity, which is refused; connect_timeout, host, options, application_name
 * and channel_binding are libpq's own with the same meaning. Prisma reads sslmode as
 * disable, prefer or require; libpq reads it the same way. */
static const struct fsetting url_params[] = {
        {"schema", FSET_SCHEMA},
        {"connection_limit", FSET_CLIENT},
        {"pool_timeout", FSET_CLIENT},
        {"pgbouncer", FSET_CLIENT},
        {"statement_cache_size", FSET_CLIENT},
        {"socket_timeout", FSET_CLIENT},
        {"max_connection_lifetime", FSET_CLIENT},
        {"max_idle_connection_lifetime", FSET_CLIENT},
        {"sslcert", FSET_CA_FILE},
        {"sslaccept", FSET_TLS_ACCEPT},
        {"sslidentity", FSET_TLS_IDENTITY},
        {NULL, 0},
};

/* `prisma migrate resolve` (schema-engine/core/src/commands/mark_migration_applied.rs and
 * mark_migration_rolled_back.rs, prisma/prisma-engines; the rows as sql-schema-connector's
 * mark_migration_applied_impl and mark_migration_rolled_back_by_id write them): --applied marks
 * the failed rows of the name rolled back and inserts a new row with the file's checksum,
 * logs '', started_at = finished_at = now and applied_steps_count left at 0; --rolled-back
 * sets rolled_back_at on the failed rows, and the next deploy applies the migration again */
static void resolve_sql(const char *qname, const char *row_key, const struct migration *m,
                        const struct migration *prev, bool applied, struct fsql_list *out)
{
	(void)prev;
	fsql_printf(fsql_add(out, 1, row_key),
	            "UPDATE %s SET rolled_back_at = now() WHERE migration_name = $1 AND "
	            "finished_at IS NULL AND rolled_back_at IS NULL",
	            qname);
	if (applied)
		fsql_printf(
		        fsql_add(out, 2, m->hash, m->key),
		        "INSERT INTO %s (id, checksum, logs, started_at, finished_at, "
		        "migration_name) VALUES (gen_random_uuid()::text, $1, '', now(), now(), "
		        "$2)",
		        qname);
}

/* Prisma has no command for an edited migration (migrate dev offers a reset): the applied
 * row takes the file's checksum, which is what deploy and status compare */
static void accept_changed_sql(const char *qname, const char *row_key, const struct migration *m,
                               struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 2, m->hash, row_key),
	            "UPDATE %s SET checksum = $1 WHERE migration_name = $2 AND finished_at IS NOT "
	            "NULL AND rolled_back_at IS NULL",
	            qname);
}

/* a row nobody is finishing: neither finished nor rolled back while no session holds
 * Prisma's lock (a deploy in progress holds it; its row is left out until it ends) */
#define PRISMA_IDLE                                                                               \
	"NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND "     \
	"objid = 72707369 AND objsubid = 1 AND granted AND pid <> pg_backend_pid())"

const struct format format_prisma = {
        .name = "prisma",
        .detect = detect,
        .load = load,
        .no_tx_says = NULL,
        .env = env,
        .url_params = url_params,
        .url_schemes = NULL,
        .schema = "public", /* quaint: the URL's ?schema=, else public */
        .table = "_prisma_migrations",
        .key_label = "migration_name",
        .key_is_number = false,
        .records_checksum = true,
        .watermark = false,
        .read_sql = "SELECT migration_name, checksum, migration_name, CASE WHEN finished_at IS "
                    "NULL THEN 'finished_at and rolled_back_at are NULL' END FROM %s WHERE "
                    "rolled_back_at IS NULL AND (finished_at IS NOT NULL OR " PRISMA_IDLE
                    ") ORDER BY started_at, migration_name",
        .guard_sql = "SELECT EXISTS (SELECT 1 FROM %s WHERE rolled_back_at IS NULL AND "
                     "(migration_name = ANY ($1::text[]) OR finished_at IS NULL))",
        .failed_hint = "Prisma says P3009 (\"migrate found failed migrations in the target "
                       "database\"): the migration failed or stopped half-way and may be partly "
                       "applied. Check the schema against its migration.sql and finish or undo it "
                       "by hand; then run `dbready resolve --applied NAME` if it is now fully "
                       "applied, or `dbready resolve --rolled-back NAME` if it is fully undone "
                       "(dbready then applies it again): the rows `prisma migrate resolve "
                       "--applied NAME` and `prisma migrate resolve --rolled-back NAME` write. "
                       "Then run dbready again.",
        /* user-facing-errors/src/schema_engine.rs, DatabaseSchemaNotEmpty */
        .nonempty_hint = "Prisma says P3005 (\"The database schema is not empty. Read more about "
                         "how to baseline an existing production database: "
                         "https://pris.ly/d/migrate-baseline\"). If the schema already holds "
                         "what some migrations create, mark each of them applied with `prisma "
                         "migrate resolve --applied NAME` (that creates _prisma_migrations), then "
                         "run dbready again: it applies the rest. Otherwise point the URL at an "
                         "empty database or schema (?schema=).",
        .create_sql = create_sql,
        .record_sql = record_sql,
        .started_sql = started_sql,
        .key_equal = key_equal,
        .key_cmp = key_cmp,
        .tool_lock = tool_lock,
        .resolved_sql = resolved_sql,
        .resolve_sql = resolve_sql,
        .accept_changed_sql = accept_changed_sql,
};
