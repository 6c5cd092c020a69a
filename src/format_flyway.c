/* format_flyway.c - Flyway's entry in the format table and its history table,
 * flyway_schema_history: the DDL, the rows, the lock. The folder is read by
 * format_flyway_load.c (names: format_flyway_names.c, placeholders:
 * format_flyway_placeholders.c, checksum and lock key: format_flyway_checksum.c).
 *
 * From Flyway's source (github.com/flyway/flyway, commit
 * c5e20fc77341d4117e7a291214e23f89c1371516): flyway-database-postgresql
 * .../PostgreSQLDatabase.java getRawCreateScript() (the table), flyway-core
 * .../internal/schemahistory/SchemaHistory.java and JdbcTableSchemaHistory.java (the rows). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "format_flyway.h"

/* The table's bare name: the last quoted identifier of qname, quotes undoubled */
static void bare_name(const char *qname, char *out, size_t cap)
{
	size_t l = strlen(qname), s = 0;
	if (l && qname[l - 1] == '"') {
		size_t i = l - 1;
		while (i > 0) {
			i--;
			if (qname[i] == '"') {
				if (i > 0 && qname[i - 1] == '"') {
					i--;
					continue;
				}
				break;
			}
		}
		s = i + 1;
		l--;
	}
	size_t n = 0;
	for (size_t i = s; i < l && n + 1 < cap; i++) {
		out[n++] = qname[i];
		if (qname[i] == '"' && i + 1 < l && qname[i + 1] == '"')
			i++;
	}
	out[n] = '\0';
}

/* getRawCreateScript(table, false) without a tablespace, statement by statement. The
 * constraint and index names are the table's name with "_pk" and "_s_idx", quoted (Flyway
 * does not double a quote inside; dbready does, or the name would not parse). */
static void create_sql(const char *qname, struct fsql_list *out)
{
	char name[300], q[640];
	bare_name(qname, name, sizeof name);
	size_t n = 0;
	for (const char *c = name; *c && n + 3 < sizeof q; c++) {
		if (*c == '"')
			q[n++] = '"';
		q[n++] = *c;
	}
	q[n] = '\0';
	fsql_printf(fsql_add(out, 0),
	            "CREATE TABLE %s (\n"
	            "    \"installed_rank\" INT NOT NULL,\n"
	            "    \"version\" VARCHAR(50),\n"
	            "    \"description\" VARCHAR(200) NOT NULL,\n"
	            "    \"type\" VARCHAR(20) NOT NULL,\n"
	            "    \"script\" VARCHAR(1000) NOT NULL,\n"
	            "    \"checksum\" INTEGER,\n"
	            "    \"installed_by\" VARCHAR(100) NOT NULL,\n"
	            "    \"installed_on\" TIMESTAMP NOT NULL DEFAULT now(),\n"
	            "    \"execution_time\" INTEGER NOT NULL,\n"
	            "    \"success\" BOOLEAN NOT NULL\n"
	            ")",
	            qname);
	fsql_printf(fsql_add(out, 0),
	            "ALTER TABLE %s ADD CONSTRAINT \"%s_pk\" PRIMARY KEY (\"installed_rank\")",
	            qname, q);
	fsql_printf(fsql_add(out, 0), "CREATE INDEX \"%s_s_idx\" ON %s (\"success\")", q, qname);
	/* createSchemas (Flyway's default): DbSchemas.create() makes every schema of
	 * FLYWAY_SCHEMAS that does not exist (CREATE SCHEMA "name"), and SchemaHistory
	 * .addSchemasMarker() records those it made in one row: installed_rank 0, version NULL,
	 * "<< Flyway Schema Creation >>", type SCHEMA, script "a","b", checksum NULL,
	 * execution_time 0. The history table's own schema was made just before, by this
	 * transaction (age(xmin) = 0): it counts as made too. */
	char names[FLYWAY_SCHEMAS_SQL_MAX];
	if (!flyway_schemas_sql(names, sizeof names) || !*names)
		return;
	const char *by = flyway_env("FLYWAY_INSTALLED_BY");
	char lit[FLYWAY_INSTALLED_BY_SQL_MAX]; /* load() checked that it fits */
	if (!by || !flyway_sql_literal(by, lit, sizeof lit))
		snprintf(lit, sizeof lit, "current_user");
	fsql_printf(
	        fsql_add(out, 0),
	        "DO $flyway$ DECLARE s text; made text[] := '{}'; BEGIN "
	        "FOREACH s IN ARRAY ARRAY[%s]::text[] LOOP "
	        "IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = s) THEN "
	        "EXECUTE format('CREATE SCHEMA %%I', s); made := made || s; "
	        "ELSIF EXISTS (SELECT FROM pg_namespace WHERE nspname = s AND age(xmin) = 0) "
	        "THEN made := made || s; END IF; END LOOP; "
	        "IF cardinality(made) > 0 THEN INSERT INTO %s (\"installed_rank\", "
	        "\"version\", \"description\", \"type\", \"script\", \"checksum\", "
	        "\"installed_by\", \"execution_time\", \"success\") SELECT 0, NULL, "
	        "'<< Flyway Schema Creation >>', 'SCHEMA', string_agg('\"' || replace(m, '\"', "
	        "'\"\"') || '\"', ',' ORDER BY o), NULL, %s, 0, true FROM unnest(made) WITH "
	        "ORDINALITY AS u(m, o); END IF; END $flyway$",
	        names, qname, lit);
}

/* Database.getBaselineStatement(), in the create script (getRawCreateScript(table, true)):
 * installed_rank 1, the baseline version ("_" read as ".", as MigrationVersion shows it),
 * description and script "<< Flyway Baseline >>" (FLYWAY_BASELINE_DESCRIPTION), type
 * BASELINE, checksum NULL, execution_time 0, success true */
static void baseline_sql(const char *qname, const char *key, const struct migration *upto,
                         struct fsql_list *out)
{
	(void)upto; /* Flyway's baseline names a version, not a file */
	const char *by = flyway_env("FLYWAY_INSTALLED_BY");
	const char *desc = flyway_env("FLYWAY_BASELINE_DESCRIPTION");
	fsql_printf(fsql_add(out, 3, key, desc ? desc : "<< Flyway Baseline >>", by ? by : ""),
	            "INSERT INTO %s (\"installed_rank\", \"version\", \"description\", "
	            "\"type\", \"script\", \"checksum\", \"installed_by\", \"execution_time\", "
	            "\"success\") VALUES (1, replace($1, '_', '.'), $2, 'BASELINE', $2, NULL, "
	            "COALESCE(NULLIF($3, ''), current_user), 0, true)",
	            qname);
}

/* SchemaHistory.addAppliedMigration(): installed_rank = the highest + 1, type SQL, the
 * installed_by that FLYWAY_INSTALLED_BY sets, else current_user */
static void record_sql(const char *qname, const struct migration *m, const char *applied_by,
                       const char *duration_ms, struct fsql_list *out)
{
	(void)applied_by;
	const char *by = flyway_env("FLYWAY_INSTALLED_BY");
	struct fsql *s = fsql_add(out, duration_ms ? 6 : 5, m->version, m->name, m->file, m->hash,
	                          by ? by : "", duration_ms);
	fsql_printf(s,
	            "INSERT INTO %s (\"installed_rank\", \"version\", \"description\", \"type\", "
	            "\"script\", \"checksum\", \"installed_by\", \"execution_time\", "
	            "\"success\") SELECT COALESCE(MAX(\"installed_rank\"), 0) + 1, $1, $2, "
	            "'SQL', $3, $4::integer, COALESCE(NULLIF($5, ''), current_user), %s, true "
	            "FROM %s",
	            qname,
	            duration_ms
	                    ? "$6::integer"
	                    : "(EXTRACT(EPOCH FROM clock_timestamp() - now()) * 1000)::integer",
	            qname);
}

/* MigrationVersion.equals(): "1.0" and "1" are one version */
static bool key_equal(const char *row_key, const char *file_key)
{
	return *row_key && flyway_version_cmp(row_key, file_key) == 0;
}

static bool tool_lock(const struct lock_names *names, long long *key)
{
	*key = flyway_lock_number(names->schema, names->table);
	return true;
}

/* Flyway's failed row (success = false): --rolled-back is `flyway repair`'s
 * removeFailedMigrations, DELETE FROM <table> WHERE success = false AND version = '<v>'
 * (flyway-core/.../schemahistory/JdbcTableSchemaHistory.java, flyway/flyway@c1a8808); Flyway
 * has no command that takes a failed migration as applied, so --applied sets success = true,
 * the row addAppliedMigration() writes for a migration that succeeded */
static void resolve_sql(const char *qname, const char *row_key, const struct migration *m,
                        const struct migration *prev, bool applied, struct fsql_list *out)
{
	(void)m;
	(void)prev;
	if (applied)
		fsql_printf(fsql_add(out, 1, row_key),
		            "UPDATE %s SET \"success\" = true WHERE NOT \"success\" AND "
		            "\"version\" = $1",
		            qname);
	else
		fsql_printf(fsql_add(out, 1, row_key),
		            "DELETE FROM %s WHERE \"success\" = false AND \"version\" = $1",
		            qname);
}

/* `flyway repair` realigns an applied row with its file (JdbcTableSchemaHistory.update():
 * description, type and checksum, by installed_rank) */
static void accept_changed_sql(const char *qname, const char *row_key, const struct migration *m,
                               struct fsql_list *out)
{
	fsql_printf(fsql_add(out, 3, m->name, m->hash, row_key),
	            "UPDATE %s SET \"description\" = $1, \"type\" = 'SQL', \"checksum\" = "
	            "$2::integer WHERE \"version\" = $3 AND \"success\" AND \"type\" NOT IN "
	            "('SCHEMA', 'DELETE', 'BASELINE')",
	            qname);
}

static const struct fsetting env[] = {
        /* FLYWAY_URL may be a JDBC URL, jdbc:postgresql://host:port/db?user=... (dialect.c
         * reads the URL inside it) */
        {"FLYWAY_URL", FSET_URL},
        {"FLYWAY_USER", FSET_USER},
        {"FLYWAY_PASSWORD", FSET_PASSWORD},
        /* the history table's schema: FLYWAY_DEFAULT_SCHEMA, else FLYWAY_SCHEMAS' first
         * (Flyway's defaultSchema, else schemas[0]); the schemas are created with the
         * history table (createSchemas) */
        {"FLYWAY_DEFAULT_SCHEMA", FSET_SCHEMA},
        {"FLYWAY_SCHEMAS", FSET_SCHEMA_LIST},
        {"FLYWAY_TABLE", FSET_TABLE_NAME},
        /* filesystem:<path>, one location (dialect_dir) */
        {"FLYWAY_LOCATIONS", FSET_LOCATIONS},
        {"FLYWAY_OUT_OF_ORDER", FSET_OUT_OF_ORDER},
        {"FLYWAY_BASELINE_ON_MIGRATE", FSET_BASELINE_ON_MIGRATE},
        {"FLYWAY_BASELINE_VERSION", FSET_BASELINE_KEY},
        {NULL, 0},
};

static const struct fsetting url_params[] = {
        /* pgjdbc sends it as the session's search_path; its first schema is the connection's
         * current schema, Flyway's default schema when none is configured */
        {"currentSchema", FSET_SCHEMA_LIST},
        /* pgjdbc's own client switches */
        {"prepareThreshold", FSET_CLIENT},
        {"socketTimeout", FSET_CLIENT},
        {"loginTimeout", FSET_CLIENT},
        {"tcpKeepAlive", FSET_CLIENT},
        {"reWriteBatchedInserts", FSET_CLIENT},
        {"ApplicationName", FSET_CLIENT},
        {NULL, 0},
};

const struct format format_flyway = {
        .name = "flyway",
        .detect = flyway_detect,
        .load = flyway_load,
        .no_tx_says = "the file's .sql.conf says executeInTransaction=false",
        .env = env,
        .url_params = url_params,
        .url_schemes = NULL, /* jdbc:postgresql:// is read by dialect.c for every format */
        /* Location.java: a location without a prefix is on the classpath, which dbready has
         * not */
        .location_prefix = "filesystem:",
        /* FLYWAY_DEFAULT_SCHEMA, else FLYWAY_SCHEMAS' first, else currentSchema's first,
         * else the current schema */
        .schema = NULL,
        /* PostgreSQLConnection.changeCurrentSchemaTo(): search_path = "schema",<as it was> */
        .schema_leads_search_path = true,
        .table = "flyway_schema_history",
        .key_label = "version",
        .key_is_number = false,
        .records_checksum = true,
        .watermark = false,
        .read_sql = "SELECT COALESCE(\"version\", ''), COALESCE(\"checksum\"::text, ''), "
                    "\"description\", CASE WHEN NOT \"success\" THEN 'success = false' END, "
                    "CASE WHEN \"type\" = 'BASELINE' THEN 'baseline' END FROM %s WHERE \"type\" "
                    "NOT IN ('SCHEMA', 'DELETE') ORDER BY "
                    "\"installed_rank\"",
        /* a versioned migration is applied once; a repeatable one ("<checksum>
         * <description>") is applied when the newest row of its description carries its
         * checksum: a runner that waited for the lock does not apply it a second time */
        .guard_sql = "WITH h AS (SELECT * FROM %s) SELECT EXISTS (SELECT 1 FROM h WHERE "
                     "\"version\" = ANY ($1::text[]) OR NOT \"success\") OR EXISTS (SELECT 1 "
                     "FROM (SELECT DISTINCT ON (\"description\") \"description\", "
                     "\"checksum\" FROM h WHERE \"version\" IS NULL AND \"type\" NOT IN "
                     "('SCHEMA', 'DELETE') ORDER BY \"description\", \"installed_rank\" DESC) r "
                     "WHERE r.\"checksum\"::text || ' ' || r.\"description\" = ANY "
                     "($1::text[]))",
        .failed_hint = "Flyway refuses this too (\"Detected failed migration\"): undo what the "
                       "failed migration did by hand and remove its row with `dbready resolve "
                       "--rolled-back V` (what `flyway repair` does; dbready then applies it "
                       "again), or finish it by hand and record it with `dbready resolve "
                       "--applied V`. Then run dbready again.",
        /* Flyway.migrate(): "Found non-empty schema(s) ... but no schema history table" */
        .nonempty_hint = "Flyway refuses this too (\"Found non-empty schema(s) ... but no "
                         "schema history table. Use baseline() or set baselineOnMigrate to "
                         "true\"): set FLYWAY_BASELINE_ON_MIGRATE=true and "
                         "FLYWAY_BASELINE_VERSION to the version the schema is at (default 1): "
                         "dbready then records that baseline and applies only the newer "
                         "migrations.",
        .baseline_sql = baseline_sql,
        .baseline_default = "1", /* FlywayModel: baselineVersion "1" */
        .create_sql = create_sql,
        .record_sql = record_sql,
        .started_sql = NULL,
        .key_equal = key_equal,
        /* MigrationVersion.compareTo: "2" is newer than "1.10" (plan's newest applied
         * version, and so what is out of order) */
        .key_cmp = flyway_version_cmp,
        .tool_lock = tool_lock,
        .resolve_sql = resolve_sql,
        .accept_changed_sql = accept_changed_sql,
};
