/* recover.h - resolve a failed migration and accept an edited one (behaviour.md §7). */
#ifndef DBREADY_RECOVER_H
#define DBREADY_RECOVER_H

#include "cli.h"
#include "dburl.h"

/* resolve --applied NAME | --rolled-back NAME, and repair --accept-changed NAME: one
 * connection attempt; the history row is written as the format's tool writes it
 * (format.h resolve_sql, accept_changed_sql), under the migration lock, or (--dry-run)
 * only shown. Returns the exit code, having logged the outcome and written the
 * termination log: 2 when the format has no such row or NAME is no migration on disk, 6
 * when the history holds no row to change for NAME, else as run's. */
int cmd_recover(const struct config *cfg, const struct dburl *u);

#endif
