/* report.c - check, status and dry-run output on stdout (text or JSON). */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "format.h"
#include "log.h"

/* cJSON copies bytes >= 0x80 as they are; a file name or a history row may not be UTF-8,
 * and a JSON document must be (RFC 8259 §8.1): invalid bytes become U+FFFD. */
void report_json_print(cJSON *o)
{
	char *text = cJSON_Print(o);
	char *valid = text ? log_json_dup(text) : NULL;
	if (valid)
		puts(valid);
	free(valid);
	if (text)
		cJSON_free(text);
	cJSON_Delete(o);
}

/* Text output shows names through this: control characters escaped, invalid UTF-8 replaced,
 * so that a file name holding a newline cannot forge a line. Up to four at once. */
static const char *shown(const char *s)
{
	static char *held[4];
	static int next;
	free(held[next]);
	held[next] = log_escape_dup(s ? s : "");
	const char *r = held[next] ? held[next] : "?";
	next = (next + 1) % 4;
	return r;
}

/* The reason a migration must run outside a transaction (server version unknown: 0). */
static const char *no_tx(const struct migset *set, const struct migration *m, int server_version)
{
	return apply_no_tx_reason(set->format, m, server_version);
}

static cJSON *migration_json(const struct migset *set, const struct migration *m, bool state)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "name", m->name);
	cJSON_AddStringToObject(j, "file", m->file);
	if (set->format->key_is_number)
		cJSON_AddNumberToObject(j, set->format->key_label, strtod(m->key, NULL));
	else
		cJSON_AddStringToObject(j, set->format->key_label, m->key);
	cJSON_AddStringToObject(j, "hash", m->hash);
	if (state) {
		cJSON_AddStringToObject(j, "state", plan_state_name(m->state));
		if (m->state == MIG_CHANGED)
			cJSON_AddStringToObject(j, "recorded_hash", m->recorded_hash);
	}
	const char *why = no_tx(set, m, 0);
	cJSON_AddBoolToObject(j, "no_transaction", why != NULL);
	return j;
}

/* The upgrade a run would make first (history.h needs_upgrade), as JSON */
static void upgrade_json(cJSON *o, const struct history *h)
{
	if (!h->needs_upgrade) {
		cJSON_AddNullToObject(o, "upgrade");
		return;
	}
	cJSON *u = cJSON_AddObjectToObject(o, "upgrade");
	cJSON_AddStringToObject(u, "from", h->format->upgrade->shape);
	cJSON *rows = cJSON_AddArrayToObject(u, "rows");
	for (int i = 0; i < h->upgrade.nchanges; i++) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "id", h->upgrade.changes[i].id);
		cJSON_AddStringToObject(j, h->format->key_label, h->upgrade.changes[i].key);
		cJSON_AddStringToObject(j, "change", h->upgrade.changes[i].says);
		cJSON_AddItemToArray(rows, j);
	}
}

/* The same as text: what status and --dry-run say instead of writing */
static void upgrade_text(const struct history *h)
{
	if (!h->needs_upgrade)
		return;
	printf("  would upgrade %s first, from %s (%d row%s; the states below are those it "
	       "leaves):\n",
	       shown(h->qname), h->format->upgrade->shape, h->upgrade.nchanges,
	       h->upgrade.nchanges == 1 ? "" : "s");
	for (int i = 0; i < h->upgrade.nchanges; i++)
		printf("    row id %s: %s\n", shown(h->upgrade.changes[i].id),
		       shown(h->upgrade.changes[i].says));
}

void report_check(const struct config *cfg, const struct dburl *u, const struct migset *set,
                  const struct history *h)
{
	if (cfg->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "target", u->redacted);
		cJSON_AddStringToObject(o, "dir", set->dir);
		cJSON_AddStringToObject(o, "format", set->format->name);
		cJSON_AddStringToObject(o, "history_table", h->qname);
		cJSON *arr = cJSON_AddArrayToObject(o, "migrations");
		for (int i = 0; i < set->n; i++)
			cJSON_AddItemToArray(arr, migration_json(set, &set->m[i], false));
		report_json_print(o);
		return;
	}
	printf("target:     %s\n", shown(u->redacted));
	printf("migrations: %s (%s format, %d migration%s, history %s)\n", shown(set->dir),
	       set->format->name, set->n, set->n == 1 ? "" : "s", shown(h->qname));
	for (int i = 0; i < set->n; i++) {
		const char *why = no_tx(set, &set->m[i], 0);
		printf("  %-40s %.12s%s%s%s\n", shown(set->m[i].name), set->m[i].hash,
		       why ? "  no transaction (" : "", why ? why : "", why ? ")" : "");
	}
}

void report_unknown(const struct history *h, const struct plan *p)
{
	for (int i = 0; i < p->nunknown; i++) {
		const struct hrow *r = &h->rows[p->unknown[i]];
		struct log_fields lf = LOG_FIELDS_INIT;
		lf.event = "unknown_migration";
		lf.hint = "It was applied from files this folder does not have: an older or newer "
		          "release, or a deleted migration. Nothing is done about it.";
		if (h->format->records_checksum)
			log_emit(LOG_WARN, &lf,
			         "%s records %s %s (hash %.12s), which has no file here", h->qname,
			         h->format->key_label, *r->key ? r->key : "NULL", r->hash);
		else
			log_emit(LOG_WARN, &lf, "%s records %s %s, which has no file here",
			         h->qname, h->format->key_label, *r->key ? r->key : "NULL");
	}
}

void report_status(const struct config *cfg, const struct dburl *u, const struct migset *set,
                   const struct history *h, const struct plan *p)
{
	if (cfg->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "target", u->redacted);
		cJSON_AddStringToObject(o, "format", set->format->name);
		cJSON_AddStringToObject(o, "history_table", h->qname);
		/* false: an edited applied file cannot be seen (formats.md) */
		cJSON_AddBoolToObject(o, "records_checksum", h->format->records_checksum);
		upgrade_json(o, h);
		cJSON *arr = cJSON_AddArrayToObject(o, "migrations");
		for (int i = 0; i < set->n; i++)
			cJSON_AddItemToArray(arr, migration_json(set, &set->m[i], true));
		cJSON *fl = cJSON_AddArrayToObject(o, "failed");
		for (int i = 0; i < h->n; i++) {
			const struct hrow *r = &h->rows[i];
			if (!r->failed)
				continue;
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, h->format->key_label, r->key);
			cJSON_AddStringToObject(j, "recorded", r->failed);
			cJSON_AddItemToArray(fl, j);
		}
		cJSON *unk = cJSON_AddArrayToObject(o, "unknown");
		for (int i = 0; i < p->nunknown; i++) {
			const struct hrow *r = &h->rows[p->unknown[i]];
			cJSON *j = cJSON_CreateObject();
			cJSON_AddStringToObject(j, h->format->key_label, r->key);
			cJSON_AddStringToObject(j, "hash", r->hash);
			cJSON_AddItemToArray(unk, j);
		}
		cJSON *c = cJSON_AddObjectToObject(o, "counts");
		cJSON_AddNumberToObject(c, "applied", p->applied);
		cJSON_AddNumberToObject(c, "pending", p->pending);
		cJSON_AddNumberToObject(c, "changed", p->changed);
		cJSON_AddNumberToObject(c, "out_of_order", p->out_of_order);
		cJSON_AddNumberToObject(c, "unknown", p->nunknown);
		cJSON_AddNumberToObject(c, "failed", p->failed);
		report_json_print(o);
		return;
	}
	printf("target:  %s\nhistory: %s (%s format)\n\n", shown(u->redacted), shown(h->qname),
	       set->format->name);
	upgrade_text(h);
	for (int i = 0; i < set->n; i++) {
		const struct migration *m = &set->m[i];
		printf("  %-13s %s", plan_state_name(m->state), shown(m->name));
		if (m->state == MIG_CHANGED)
			printf("  (recorded %.12s, file %.12s)", m->recorded_hash, m->hash);
		printf("\n");
	}
	for (int i = 0; i < p->nunknown; i++) {
		const struct hrow *r = &h->rows[p->unknown[i]];
		printf("  %-13s %s %s%s%.12s%s: in the database, not on disk\n", "unknown",
		       h->format->key_label, *r->key ? shown(r->key) : "NULL",
		       *r->hash ? " (hash " : "", shown(r->hash), *r->hash ? ")" : "");
	}
	for (int i = 0; i < h->n; i++)
		if (h->rows[i].failed)
			printf("  %-13s %s %s: %s (the migration failed or stopped half-way)\n",
			       "failed", h->format->key_label, shown(h->rows[i].key),
			       shown(h->rows[i].failed));
	printf("\n%d applied, %d pending, %d changed, %d out of order, %d unknown", p->applied,
	       p->pending, p->changed, p->out_of_order, p->nunknown);
	if (p->failed)
		printf(", %d failed", p->failed);
	printf("\n");
	if (!h->format->records_checksum)
		printf("%s records no checksums: a file edited after it was applied cannot be "
		       "detected (\"changed\" is never shown).\n",
		       h->format->name);
}

void report_plan(const struct config *cfg, const struct migset *set, const struct history *h,
                 const struct plan *p, int server_version)
{
	(void)p;
	printf("dry run: nothing is changed; history %s\n", shown(h->qname));
	upgrade_text(h);
	int n = 0;
	for (int i = 0; i < set->n; i++) {
		const struct migration *m = &set->m[i];
		bool apply = m->state == MIG_PENDING ||
		             (m->state == MIG_OUT_OF_ORDER && cfg->allow_out_of_order);
		if (!apply)
			continue;
		n++;
		const char *why = no_tx(set, m, server_version);
		printf("  would apply %s%s%s%s\n", shown(m->name),
		       why ? " outside a transaction (" : "", why ? why : "", why ? ")" : "");
		if (log_enabled(LOG_DEBUG))
			printf("%.*s\n", (int)m->text_len, m->text);
	}
	printf("%d migration%s to apply\n", n, n == 1 ? "" : "s");
}
