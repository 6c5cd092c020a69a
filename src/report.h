/* report.h - results on stdout: check's file list, status's table, the dry-run plan, as
 * text or (--json) one JSON document built with cJSON. */
#ifndef DBREADY_REPORT_H
#define DBREADY_REPORT_H

#include "cli.h"
#include "dburl.h"
#include "history.h"
#include "migration.h"
#include "plan.h"

void report_check(const struct config *cfg, const struct dburl *u, const struct migset *set,
                  const struct history *h);
void report_status(const struct config *cfg, const struct dburl *u, const struct migset *set,
                   const struct history *h, const struct plan *p);
void report_plan(const struct config *cfg, const struct migset *set, const struct history *h,
                 const struct plan *p, int server_version);
/* A warning for every history row with no file on disk. */
void report_unknown(const struct history *h, const struct plan *p);

/* Print o on stdout (its text made valid UTF-8, as a JSON document must be) and free it. */
struct cJSON;
void report_json_print(struct cJSON *o);

#endif
