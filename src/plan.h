/* plan.h - compare the files with the history: applied, pending, changed, out of order,
 * unknown (behaviour.md §3), before anything is applied. */
#ifndef DBREADY_PLAN_H
#define DBREADY_PLAN_H

#include "history.h"
#include "migration.h"

struct plan {
	int applied, pending, changed, out_of_order;
	int baselined; /* at or below a baseline (MIG_BASELINED) */
	/* the newest baselined migration (history.h baseline_upto), or NULL */
	const struct migration *baseline_upto;
	int *unknown; /* indexes into history rows recorded with no file on disk */
	int nunknown;
	int failed;              /* history rows recording a failed migration */
	const struct history *h; /* the history the plan was built from */
};

/* Set every migration's state from the history rows. Returns false when out of memory. */
bool plan_build(struct migset *set, const struct history *h, struct plan *p);
void plan_free(struct plan *p);

/* Exit 6 when the history records a failed migration (the format's meaning and way out), or
 * with every offending file listed when the plan has changed migrations, or out-of-order
 * ones and !allow_out_of_order; EXIT_DONE otherwise. */
int plan_check(const struct migset *set, const struct plan *p, bool allow_out_of_order,
               struct err *e);

const char *plan_state_name(enum mig_state s);

/* Whether a row's recorded hash is m's, or one its tool also takes for it (alt_hash). */
bool plan_hash_match(const char *recorded, const struct migration *m);

#endif
