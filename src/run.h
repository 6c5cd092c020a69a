/* run.h - the commands: each validates, connects as it needs, and returns the exit code.
 * They log their own errors and write the termination log. */
#ifndef DBREADY_RUN_H
#define DBREADY_RUN_H

#include <stdbool.h>

#include "cli.h"
#include "dburl.h"
#include "history.h"
#include "migration.h"

int cmd_check(const struct config *cfg, const struct dburl *u);
int cmd_wait(const struct config *cfg, const struct dburl *u);
/* run (retry = true) and migrate (one connection attempt) */
int cmd_run(const struct config *cfg, const struct dburl *u, bool retry);
int cmd_status(const struct config *cfg, const struct dburl *u);
/* await (retry = true) and probe (one look) */
int cmd_await(const struct config *cfg, const struct dburl *u, bool retry);
/* baseline --to NAME (baseline.h) */
int cmd_baseline(const struct config *cfg, const struct dburl *u);

/* What every command that touches migrations does first, offline: load the folder (set), name
 * the history table (h: --history-table, else the tool's own setting, else the format's).
 * EXIT_DONE, or an exit code with e filled (set may hold what was loaded: migset_free it). */
int run_load(const struct config *cfg, const struct dburl *u, struct migset *set,
             struct history *h, struct err *e);
#endif
