/* notify.h - the outcome webhook (--notify-url, behaviour.md §6): one JSON document built with
 * cJSON and POSTed once the command ends, with bounded retries.
 *
 * notify_setup() (main.c, before any network) loads the URL (flag, variable or _FILE), checks
 * it and registers it as a secret; notify_note_target() and notify_note_migrations() record
 * what the payload reports; notify_outcome() posts once and returns the exit code to use.
 * The module keeps that state itself (one command per process), as log.c keeps the
 * termination log's. The payload never holds a secret: every string in it is scrubbed
 * (log_scrub) before cJSON sees it, and the webhook URL is shown in logs only as far as its
 * host ("https://hooks.slack.com/" followed by "***"), since Slack-style URLs carry their
 * secret in the path.
 */
#ifndef DBREADY_NOTIFY_H
#define DBREADY_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "cli.h"
#include "err.h"
#include "migration.h"

#define NOTIFY_ATTEMPTS   3    /* POSTs at most (one after a signal) */
#define NOTIFY_TIMEOUT_MS 5000 /* per attempt (2 s after a signal) */

/* Load and check the webhook configuration. Returns EXIT_DONE (also when there is none),
 * EXIT_USAGE (a malformed URL, both URL and file given) or EXIT_CONFIG (the file cannot be
 * read or is empty), with e filled. Records the start time. */
int notify_setup(const struct config *cfg, struct err *e);

/* The database target as the payload shows it (already redacted: dburl's u->redacted). */
void notify_note_target(const char *redacted);
/* Copy the migrations' outcome: applied by this run (name, duration) and still pending. */
void notify_note_migrations(const struct migset *set);

/* Post the outcome of rc (once: later calls return rc unchanged), for run, migrate, wait and
 * await; other commands post nothing. Returns rc, or EXIT_HTTP when the post failed,
 * --notify-required is set and rc was EXIT_DONE (a failed run keeps its own code). */
int notify_outcome(const struct config *cfg, int rc);

/* Release what the module holds. */
void notify_free(void);

/* ---- the document, separately testable ---- */

struct notify_migration {
	const char *name;
	long long duration_ms; /* -1 = unknown (applied with others in one transaction) */
};

struct notify_doc {
	const char *command;
	int exit_code;
	const char *message;  /* the termination log's one line */
	const char *database; /* redacted target, or NULL */
	const char *host;
	const char *pod_name, *pod_namespace; /* Kubernetes downward API, or NULL */
	const char *version;
	const char *started_at, *finished_at; /* RFC 3339 UTC */
	long long duration_ms;
	bool migrations_known; /* run, migrate, await: the lists below are meaningful */
	const struct notify_migration *applied;
	int napplied;
	const char *const *pending;
	int npending;
};

/* "ok", "error" or "stopped" for an exit code (the termination log's words). */
const char *notify_outcome_word(int exit_code);

/* The payload as text (cJSON_PrintUnformatted; the caller cJSON_free()s it), or NULL when out
 * of memory. Every string is scrubbed of registered secrets first. */
char *notify_payload(const struct notify_doc *d, enum notify_format format);

#endif
