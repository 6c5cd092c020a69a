/* plan.c - classify every migration against the history rows. */
#define _POSIX_C_SOURCE 200809L
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "format.h"
#include "log.h"
#include "source.h"

/* The longest cut mark copy_hash() writes. */
#define HASH_MARK_MAX (sizeof "\xE2\x80\xA6 (cut, 18446744073709551615 more bytes)" - 1)
_Static_assert(sizeof((struct migration *)0)->recorded_hash > HASH_MARK_MAX + 16,
               "a cut recorded hash keeps a useful prefix");

/* The history row's hash into out (recorded_hash[65]): whole when it fits, which a SHA-256
 * (64 hex digits) always does; anything longer (the history table holds any text) is cut
 * visibly at a character boundary, "... (cut, N more bytes)". */
static void copy_hash(char *out, size_t cap, const char *hash)
{
	size_t len = strlen(hash);
	if (len < cap) {
		memcpy(out, hash, len + 1);
		return;
	}
	size_t keep = log_utf8_floor(hash, cap - 1 - HASH_MARK_MAX);
	memcpy(out, hash, keep);
	snprintf(out + keep, cap - keep, "\xE2\x80\xA6 (cut, %zu more bytes)", len - keep);
}

const char *plan_state_name(enum mig_state s)
{
	switch (s) {
	case MIG_APPLIED:
		return "applied";
	case MIG_CHANGED:
		return "changed";
	case MIG_OUT_OF_ORDER:
		return "out-of-order";
	case MIG_BASELINED:
		return "baselined";
	default:
		return "pending";
	}
}

static bool key_match(const struct history *h, const char *row_key, const char *file_key)
{
	return h->format->key_equal(row_key, file_key);
}

/* is row key a newer than b: the format's order (key_cmp), else numerically (drizzle 0.x's
 * keys are numbers too) */
static bool key_newer(const struct format *f, const char *a, const char *b)
{
	return (f->key_cmp ? f->key_cmp(a, b) : source_version_cmp(a, b)) > 0;
}

bool plan_hash_match(const char *recorded, const struct migration *m)
{
	if (strcmp(recorded, m->hash) == 0)
		return true;
	for (size_t i = 0; i < sizeof m->alt_hash / sizeof m->alt_hash[0]; i++)
		if (*m->alt_hash[i] && strcmp(recorded, m->alt_hash[i]) == 0)
			return true;
	return false;
}

bool plan_build(struct migset *set, const struct history *h, struct plan *p)
{
	memset(p, 0, sizeof *p);
	p->h = h;
	p->failed = h->nfailed;
	const struct format *f = h->format;
	const char *newest = NULL, *baseline = NULL;
	for (int r = 0; r < h->n; r++) {
		if (*h->rows[r].key && (!newest || key_newer(f, h->rows[r].key, newest)))
			newest = h->rows[r].key;
		if (h->rows[r].baseline && *h->rows[r].key &&
		    (!baseline || key_newer(f, h->rows[r].key, baseline)))
			baseline = h->rows[r].key;
	}
	/* the table is created with a baseline this run (history_baselining) */
	if (!baseline && history_baselining(h))
		baseline = newest = h->baseline_key;
	p->baseline_upto = NULL;
	bool *matched = calloc((size_t)(h->n ? h->n : 1), sizeof *matched);
	if (!matched)
		return false;
	for (int r = 0; r < h->n; r++)
		matched[r] = h->rows[r].baseline; /* a baseline is no migration's row */
	for (int i = 0; i < set->n; i++) {
		struct migration *m = &set->m[i];
		if (m->repeatable) {
			int last = -1;
			for (int r = 0; r < h->n; r++)
				if (!*h->rows[r].key && h->rows[r].name &&
				    strcmp(h->rows[r].name, m->name) == 0) {
					matched[r] = true;
					last = r; /* rows come oldest first */
				}
			if (last >= 0 && plan_hash_match(h->rows[last].hash, m)) {
				m->state = MIG_APPLIED;
				p->applied++;
			} else {
				m->state = MIG_PENDING;
				p->pending++;
			}
			continue;
		}
		const char *key = m->key;
		int found = -1, hash_found = -1;
		for (int r = 0; r < h->n; r++) {
			if (h->rows[r].baseline || !key_match(h, h->rows[r].key, key))
				continue;
			found = r;
			if (!f->records_checksum || plan_hash_match(h->rows[r].hash, m))
				hash_found = r;
		}
		/* the table records only the newest version: everything at or below it is
		 * applied (the row itself matches its own file) */
		bool below = f->watermark && newest && !key_newer(f, key, newest);
		if (baseline && found < 0 && !key_newer(f, key, baseline)) {
			/* the schema held it before the history: applied by no one */
			m->state = MIG_BASELINED;
			p->baselined++;
			p->baseline_upto = m;
		} else if (hash_found >= 0 || (below && found < 0)) {
			m->state = MIG_APPLIED;
			if (hash_found >= 0)
				matched[hash_found] = true;
			p->applied++;
		} else if (found >= 0) {
			m->state = MIG_CHANGED;
			copy_hash(m->recorded_hash, sizeof m->recorded_hash, h->rows[found].hash);
			matched[found] = true;
			p->changed++;
		} else if (newest && key_newer(f, newest, key)) {
			m->state = MIG_OUT_OF_ORDER;
			p->out_of_order++;
		} else {
			m->state = MIG_PENDING;
			p->pending++;
		}
	}
	for (int r = 0; r < h->n; r++)
		if (!matched[r])
			p->nunknown++;
	if (p->nunknown) {
		p->unknown = malloc((size_t)p->nunknown * sizeof *p->unknown);
		if (!p->unknown) {
			free(matched);
			return false;
		}
		int k = 0;
		for (int r = 0; r < h->n; r++)
			if (!matched[r])
				p->unknown[k++] = r;
	}
	free(matched);
	return true;
}

void plan_free(struct plan *p)
{
	free(p->unknown);
	memset(p, 0, sizeof *p);
}

/* One DETAIL line for an offending migration (malloc'd), NULL when it is not one. */
static char *offence(const struct migration *m, bool ooo)
{
	char *line = NULL;
	size_t size = 0;
	FILE *f;
	if (m->state == MIG_CHANGED) {
		if (!(f = open_memstream(&line, &size)))
			return NULL;
		fprintf(f, "%s was edited after it was applied: recorded hash %s, file hash %s.",
		        m->file, m->recorded_hash, m->hash);
	} else if (m->state == MIG_OUT_OF_ORDER && ooo) {
		if (!(f = open_memstream(&line, &size)))
			return NULL;
		fprintf(f, "%s is not applied but is older than the newest applied migration.",
		        m->file);
	} else {
		return NULL;
	}
	if (fclose(f) != 0) {
		free(line);
		return NULL;
	}
	return line;
}

/* The history records a migration that failed or stopped half-way: the tool itself refuses
 * to go on, and so does dbready (formats.md), saying what the row holds. */
static int failed_rows(const struct plan *p, struct err *e)
{
	const struct history *h = p->h;
	const struct hrow *r = NULL;
	for (int i = 0; i < h->n && !r; i++)
		if (h->rows[i].failed)
			r = &h->rows[i];
	char detail[1024];
	snprintf(detail, sizeof detail, "%s %s %s: %s.%s", h->qname, h->format->key_label,
	         *r->key ? r->key : "NULL", r->failed,
	         p->failed > 1 ? " Other rows are marked too." : "");
	err_set(e, EXIT_MIGRATIONS, "history_failed_migration", h->format->failed_hint, detail,
	        "the %s history records a migration that failed or stopped half-way (%s "
	        "%s)",
	        h->format->name, h->format->key_label, *r->key ? r->key : "NULL");
	return EXIT_MIGRATIONS;
}

/* The history table is absent, its schema holds objects, and the format's tool refuses to
 * migrate such a schema (format.h nonempty_hint): so does dbready, before anything runs,
 * saying what it found. */
static int nonempty_schema(const struct plan *p, struct err *e)
{
	const struct history *h = p->h;
	char detail[1024];
	snprintf(detail, sizeof detail, "Schema \"%s\" holds %s%s.", h->schema,
	         h->schema_sample ? h->schema_sample : "objects",
	         h->schema_objects > 3 ? " and more" : "");
	/* the way out dbready offers for every format (baseline.c, docs/adopting.md) */
	char hint[1024];
	snprintf(hint, sizeof hint,
	         "%s With dbready: check the schema matches the migrations, then run with "
	         "--baseline=NAME (DBREADY_BASELINE; NAME: the newest migration the schema "
	         "already holds), or `dbready baseline --to NAME` once (docs/adopting.md).",
	         h->format->nonempty_hint);
	return err_set(e, EXIT_MIGRATIONS, "schema_not_empty", hint, detail,
	               "the schema \"%s\" is not empty (%lld object%s) and has no %s history "
	               "table %s",
	               h->schema, h->schema_objects, h->schema_objects == 1 ? "" : "s",
	               h->format->name, h->qname);
}

int plan_check(const struct migset *set, const struct plan *p, bool allow_out_of_order,
               struct err *e)
{
	if (p->failed)
		return failed_rows(p, e);
	if (!p->h->exists && p->h->schema_objects > 0 && p->h->format->nonempty_hint &&
	    !history_baselining(p->h) && !p->baselined && p->pending + p->out_of_order > 0)
		return nonempty_schema(p, e);
	bool ooo = p->out_of_order && !allow_out_of_order;
	if (!p->changed && !ooo)
		return EXIT_DONE;
	/* One line per offending file, as many as fit struct err's DETAIL with room for the
	 * closing "and N more" line, which counts the rest: none is dropped silently. The first
	 * line always goes in; err_set() cuts it visibly if it alone is too long. */
	const size_t room = sizeof e->detail - sizeof "\nand 2147483647 more migrations.";
	char *detail = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&detail, &size);
	int listed = 0, more = 0;
	for (int i = 0; i < set->n; i++) {
		const struct migration *m = &set->m[i];
		if (m->state != MIG_CHANGED && !(m->state == MIG_OUT_OF_ORDER && ooo))
			continue;
		char *line = f ? offence(m, ooo) : NULL;
		long len = line ? ftell(f) : -1;
		if (line && more == 0 && (listed == 0 || (size_t)len + 1 + strlen(line) < room)) {
			fprintf(f, "%s%s", listed ? "\n" : "", line);
			listed++;
		} else {
			more++; /* no room (or out of memory): counted */
		}
		free(line);
	}
	if (f && more)
		fprintf(f, "%sand %d more migration%s.", listed ? "\n" : "", more,
		        more == 1 ? "" : "s");
	if (f && fclose(f) != 0) {
		free(detail);
		detail = NULL;
	}
	if (!f)
		detail = NULL;
	if (p->changed)
		err_set(e, EXIT_MIGRATIONS, "diverged",
		        "Restore the applied files as they were (git log -p on them) and put the "
		        "change "
		        "in a new migration; never edit an applied migration.",
		        detail, "%d applied migration%s changed on disk%s", p->changed,
		        p->changed == 1 ? "" : "s", ooo ? ", and some are out of order" : "");
	else
		err_set(e, EXIT_MIGRATIONS, "out_of_order",
		        "Give the migration a newer version (regenerate it), or apply it anyway "
		        "with "
		        "--allow-out-of-order if it does not depend on the newer ones.",
		        detail, "%d migration%s older than the newest applied one %s not applied",
		        p->out_of_order, p->out_of_order == 1 ? "" : "s",
		        p->out_of_order == 1 ? "is" : "are");
	free(detail);
	return EXIT_MIGRATIONS;
}
