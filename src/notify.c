/* notify.c - the outcome webhook: load the URL, build the JSON (or Slack) document, POST it. */
#define _POSIX_C_SOURCE 200809L
#include "notify.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "exitcode.h"
#include "http.h"
#include "log.h"
#include "secretfile.h"
#include "signals.h"
#include "version.h"

#define URL_FILE_MAX 8192

static struct {
	char *url;       /* the webhook URL (secret), NULL = no webhook */
	char shown[512]; /* scheme and host only */
	char started_at[40];
	int64_t started_ms;
	char *database;
	bool migrations_known;
	struct notify_migration *applied;
	int napplied;
	char **pending;
	int npending;
	bool posted;
} st;

/* ---------- configuration ---------- */

static int read_url_file(const char *path, const char *origin, char **out, struct err *e)
{
	char detail[512];
	if (secretfile_read(path, URL_FILE_MAX, out, detail, sizeof detail) != 0)
		return err_set(e, errno == ENOMEM ? EXIT_INTERNAL : EXIT_CONFIG,
		               "notify_url_file_unreadable", secretfile_hint(detail), detail,
		               "could not read %s \"%s\"", origin, path);
	if (!**out) {
		free(*out);
		*out = NULL;
		return err_set(e, EXIT_CONFIG, "notify_url_file_empty",
		               "Put the webhook URL in the file, or unset the option.", NULL,
		               "%s \"%s\" is empty", origin, path);
	}
	return EXIT_DONE;
}

/* Register the parts of the URL that are secret: the whole URL, its path (Slack's, Teams'
 * and Discord's webhook secret), query and password. */
static int check_url(const char *url, const char *origin, struct err *e)
{
	log_add_secret(url);
	CURLU *u = curl_url();
	if (!u)
		return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
	int rc = EXIT_DONE;
	char *scheme = NULL, *path = NULL, *query = NULL, *pw = NULL, *user = NULL;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && path && strlen(path) > 1)
		log_add_secret(path);
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query)
		log_add_secret(query);
	if (curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK && pw)
		log_add_secret(pw);
	/* no password, or "token:@host": the user name is the secret */
	if ((!pw || !*pw) && curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK && user)
		log_add_secret(user);
	if (uc != CURLUE_OK || !scheme ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		rc = err_set(e, EXIT_USAGE, "usage",
		             "Give an http:// or https:// URL, e.g. a Slack incoming webhook "
		             "(https://hooks.slack.com/services/...) with --notify-format=slack.",
		             NULL, "invalid webhook URL \"%s\" in %s%s%s", st.shown, origin,
		             uc != CURLUE_OK ? ": " : "",
		             uc != CURLUE_OK ? curl_url_strerror(uc) : "");
	curl_free(scheme);
	curl_free(path);
	curl_free(query);
	curl_free(pw);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

int notify_setup(const struct config *cfg, struct err *e)
{
	memset(e, 0, sizeof *e);
	st.started_ms = clock_ms();
	log_rfc3339_now(st.started_at, sizeof st.started_at);
	bool url_flag = cfg->notify_url && strcmp(cfg->notify_url_origin, "--notify-url") == 0;
	bool file_flag = cfg->notify_url_file &&
	                 strcmp(cfg->notify_url_file_origin, "--notify-url-file") == 0;
	if (url_flag && file_flag)
		return err_set(e, EXIT_USAGE, "usage", "Give one of them.", NULL,
		               "both --notify-url and --notify-url-file are given");
	if (!url_flag && !file_flag && cfg->notify_url && *cfg->notify_url && cfg->notify_url_file)
		return err_set(e, EXIT_USAGE, "usage", "Unset one of them.", NULL,
		               "both DBREADY_NOTIFY_URL and DBREADY_NOTIFY_URL_FILE are set");
	const char *origin;
	if (file_flag || (!url_flag && cfg->notify_url_file)) {
		int rc = read_url_file(cfg->notify_url_file, cfg->notify_url_file_origin, &st.url,
		                       e);
		if (rc != EXIT_DONE)
			return rc;
		origin = cfg->notify_url_file_origin;
	} else if (cfg->notify_url && *cfg->notify_url) {
		if (!(st.url = strdup(cfg->notify_url)))
			return err_set(e, EXIT_INTERNAL, NULL, NULL, NULL, "out of memory");
		origin = cfg->notify_url_origin;
	} else {
		return EXIT_DONE;
	}
	http_redact_url_path(st.url, st.shown, sizeof st.shown);
	int rc = check_url(st.url, origin, e);
	if (rc != EXIT_DONE) {
		free(st.url);
		st.url = NULL;
	}
	return rc;
}

void notify_note_target(const char *redacted)
{
	free(st.database);
	st.database = redacted && *redacted ? strdup(redacted) : NULL;
}

static void free_migrations(void)
{
	for (int i = 0; i < st.napplied; i++)
		free((char *)st.applied[i].name);
	for (int i = 0; i < st.npending; i++)
		free(st.pending[i]);
	free(st.applied);
	free(st.pending);
	st.applied = NULL;
	st.pending = NULL;
	st.napplied = st.npending = 0;
	st.migrations_known = false;
}

void notify_note_migrations(const struct migset *set)
{
	free_migrations();
	if (!st.url)
		return;
	size_t n = (size_t)(set->n ? set->n : 1);
	st.applied = calloc(n, sizeof *st.applied);
	st.pending = calloc(n, sizeof *st.pending);
	if (!st.applied || !st.pending) {
		free_migrations();
		return;
	}
	for (int i = 0; i < set->n; i++) {
		const struct migration *m = &set->m[i];
		char *name = strdup(m->name);
		if (!name)
			break;
		if (m->applied_now) {
			st.applied[st.napplied].name = name;
			st.applied[st.napplied++].duration_ms = m->apply_ms;
		} else if (m->state == MIG_PENDING || m->state == MIG_OUT_OF_ORDER) {
			st.pending[st.npending++] = name;
		} else {
			free(name);
		}
	}
	st.migrations_known = true;
}

void notify_free(void)
{
	free_migrations();
	free(st.database);
	log_wipe_free(st.url);
	memset(&st, 0, sizeof st);
}

/* ---------- the document ---------- */

const char *notify_outcome_word(int exit_code)
{
	if (exit_code == EXIT_DONE)
		return "ok";
	return exit_code > EXIT_SIGNAL_BASE ? "stopped" : "error";
}

/* Add a scrubbed string (NULL: nothing). False when out of memory. */
static bool add_str(cJSON *o, const char *key, const char *value)
{
	if (!value)
		return true;
	char *c = log_scrubbed_dup(value);
	bool ok = c && cJSON_AddStringToObject(o, key, c);
	free(c);
	return ok;
}

static bool add_arr_str(cJSON *arr, const char *value)
{
	char *c = log_scrubbed_dup(value);
	cJSON *s = c ? cJSON_CreateString(c) : NULL;
	free(c);
	return s && cJSON_AddItemToArray(arr, s);
}

static cJSON *json_doc(const struct notify_doc *d)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && add_str(o, "source", "dbready") && add_str(o, "version", d->version) &&
	          add_str(o, "command", d->command) &&
	          add_str(o, "outcome", notify_outcome_word(d->exit_code)) &&
	          cJSON_AddNumberToObject(o, "exit_code", d->exit_code) &&
	          add_str(o, "message", d->message) && add_str(o, "database", d->database) &&
	          add_str(o, "host", d->host);
	if (ok && (d->pod_name || d->pod_namespace)) {
		cJSON *pod = cJSON_AddObjectToObject(o, "pod");
		ok = pod && add_str(pod, "name", d->pod_name) &&
		     add_str(pod, "namespace", d->pod_namespace);
	}
	ok = ok && add_str(o, "started_at", d->started_at) &&
	     add_str(o, "finished_at", d->finished_at) &&
	     cJSON_AddNumberToObject(o, "duration_ms", (double)d->duration_ms);
	if (ok && d->migrations_known) {
		cJSON *m = cJSON_AddObjectToObject(o, "migrations");
		cJSON *applied = m ? cJSON_AddArrayToObject(m, "applied") : NULL;
		cJSON *pending = m ? cJSON_AddArrayToObject(m, "pending") : NULL;
		ok = applied && pending;
		for (int i = 0; ok && i < d->napplied; i++) {
			cJSON *a = cJSON_CreateObject();
			ok = a && cJSON_AddItemToArray(applied, a) &&
			     add_str(a, "name", d->applied[i].name) &&
			     (d->applied[i].duration_ms >= 0
			              ? cJSON_AddNumberToObject(
			                        a, "duration_ms",
			                        (double)d->applied[i].duration_ms) != NULL
			              : cJSON_AddNullToObject(a, "duration_ms") != NULL);
		}
		for (int i = 0; ok && i < d->npending; i++)
			ok = add_arr_str(pending, d->pending[i]);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Slack's mrkdwn wants &, < and > escaped; appends s to buf, or what fits of it, cut at a
 * character boundary and marked (Slack limits a text to 3000 characters, a field to 2000). */
static void mrkdwn(char *buf, size_t cap, const char *s)
{
	static const char mark[] = "… (cut)";
	size_t n = strlen(buf), start = n;
	for (; s && *s && n + 6 + sizeof mark < cap; s++) {
		const char *rep = *s == '&'   ? "&amp;"
		                  : *s == '<' ? "&lt;"
		                  : *s == '>' ? "&gt;"
		                              : NULL;
		if (rep) {
			memcpy(buf + n, rep, strlen(rep));
			n += strlen(rep);
		} else {
			buf[n++] = *s;
		}
	}
	if (s && *s) {
		/* not inside a character: drop a lead byte whose continuation did not fit */
		while (n > start && ((unsigned char)*s & 0xC0) == 0x80 &&
		       ((unsigned char)buf[n - 1] & 0x80)) {
			bool lead = ((unsigned char)buf[n - 1] & 0xC0) == 0xC0;
			n--;
			if (lead)
				break;
		}
		memcpy(buf + n, mark, sizeof mark - 1);
		n += sizeof mark - 1;
	}
	buf[n] = '\0';
}

static void appendf(char *buf, size_t cap, const char *fmt, const char *arg)
{
	size_t n = strlen(buf);
	if (n + 1 < cap)
		snprintf(buf + n, cap - n, fmt, arg);
}

static cJSON *mrkdwn_obj(const char *type, const char *text)
{
	cJSON *t = cJSON_CreateObject();
	if (t && (!add_str(t, "type", type) || !add_str(t, "text", text))) {
		cJSON_Delete(t);
		return NULL;
	}
	return t;
}

/* A fields entry "*Title*\nline\nline..." of at most Slack's 2000 characters. */
static cJSON *list_field(const char *title, const char *const *names, const long long *ms, int n)
{
	char text[1900] = "";
	appendf(text, sizeof text, "*%s*", title);
	int shown = 0;
	for (; shown < n && strlen(text) + 300 < sizeof text; shown++) {
		appendf(text, sizeof text, "%s", "\n");
		mrkdwn(text, sizeof text, names[shown]);
		if (ms && ms[shown] >= 0) {
			char d[40];
			snprintf(d, sizeof d, " (%lld ms)", ms[shown]);
			appendf(text, sizeof text, "%s", d);
		}
	}
	if (shown < n) {
		char more[40];
		snprintf(more, sizeof more, "\n... and %d more", n - shown);
		appendf(text, sizeof text, "%s", more);
	}
	if (n == 0)
		appendf(text, sizeof text, "%s", "\nnone");
	return mrkdwn_obj("mrkdwn", text);
}

static cJSON *slack_doc(const struct notify_doc *d)
{
	const char *word = notify_outcome_word(d->exit_code);
	const char *icon = d->exit_code == EXIT_DONE         ? ":white_check_mark:"
	                   : d->exit_code > EXIT_SIGNAL_BASE ? ":warning:"
	                                                     : ":x:";
	char text[3000], head[2900] = "";
	const char *host = d->host ? d->host : "?";
	size_t flen = strlen(d->command) + strlen(host) + strlen(word) +
	              (d->message ? strlen(d->message) : 0) + 64;
	char *full = malloc(flen);
	if (full && d->message && *d->message) /* the termination log's line names the code */
		snprintf(full, flen, "dbready %s on %s: %s", d->command, host, d->message);
	else if (full)
		snprintf(full, flen, "dbready %s on %s: %s (exit %d)", d->command, host, word,
		         d->exit_code);
	/* Slack's limit: cut visibly (the texts were scrubbed when they were made) */
	log_cut_copy(text, sizeof text, full ? full : "dbready: out of memory");
	free(full);
	appendf(head, sizeof head, "%s ", icon);
	appendf(head, sizeof head, "*dbready %s*: ", d->command);
	mrkdwn(head, sizeof head, word);
	appendf(head, sizeof head, "%s", " on `");
	mrkdwn(head, sizeof head, d->host ? d->host : "?");
	appendf(head, sizeof head, "%s", "`\n");
	mrkdwn(head, sizeof head, d->message);

	cJSON *o = cJSON_CreateObject();
	cJSON *blocks = o ? cJSON_AddArrayToObject(o, "blocks") : NULL;
	bool ok = blocks && add_str(o, "text", text);
	cJSON *sec = ok ? cJSON_CreateObject() : NULL;
	ok = sec && cJSON_AddItemToArray(blocks, sec) && add_str(sec, "type", "section");
	cJSON *t = ok ? mrkdwn_obj("mrkdwn", head) : NULL;
	ok = t && cJSON_AddItemToObject(sec, "text", t);

	cJSON *fsec = ok ? cJSON_CreateObject() : NULL;
	ok = fsec && cJSON_AddItemToArray(blocks, fsec) && add_str(fsec, "type", "section");
	cJSON *fields = ok ? cJSON_AddArrayToObject(fsec, "fields") : NULL;
	ok = fields != NULL;
	if (ok) {
		char f[1200] = "*Database*\n`";
		mrkdwn(f, sizeof f, d->database ? d->database : "unknown");
		appendf(f, sizeof f, "%s", "`");
		cJSON *x = mrkdwn_obj("mrkdwn", f);
		ok = x && cJSON_AddItemToArray(fields, x);
		char code[40];
		snprintf(code, sizeof code, "*Exit code*\n%d", d->exit_code);
		x = ok ? mrkdwn_obj("mrkdwn", code) : NULL;
		ok = x && cJSON_AddItemToArray(fields, x);
	}
	if (ok && d->migrations_known) {
		const char **an = calloc((size_t)d->napplied + 1, sizeof *an);
		long long *ams = calloc((size_t)d->napplied + 1, sizeof *ams);
		ok = an && ams;
		for (int i = 0; ok && i < d->napplied; i++) {
			an[i] = d->applied[i].name;
			ams[i] = d->applied[i].duration_ms;
		}
		cJSON *x = ok ? list_field("Applied", an, ams, d->napplied) : NULL;
		ok = x && cJSON_AddItemToArray(fields, x);
		x = ok ? list_field("Pending", d->pending, NULL, d->npending) : NULL;
		ok = x && cJSON_AddItemToArray(fields, x);
		free(an);
		free(ams);
	}
	if (ok) {
		char ctx[1000] = "";
		appendf(ctx, sizeof ctx, "dbready %s", d->version);
		if (d->pod_name || d->pod_namespace) {
			appendf(ctx, sizeof ctx, "%s", " | pod ");
			mrkdwn(ctx, sizeof ctx, d->pod_namespace ? d->pod_namespace : "");
			appendf(ctx, sizeof ctx, "%s", d->pod_namespace && d->pod_name ? "/" : "");
			mrkdwn(ctx, sizeof ctx, d->pod_name ? d->pod_name : "");
		}
		appendf(ctx, sizeof ctx, " | %s", d->started_at);
		appendf(ctx, sizeof ctx, " to %s", d->finished_at);
		char ms[40];
		snprintf(ms, sizeof ms, " (%lld ms)", d->duration_ms);
		appendf(ctx, sizeof ctx, "%s", ms);
		cJSON *c = cJSON_CreateObject();
		ok = c && cJSON_AddItemToArray(blocks, c);
		if (!ok)
			cJSON_Delete(c);
		ok = ok && add_str(c, "type", "context");
		cJSON *els = ok ? cJSON_AddArrayToObject(c, "elements") : NULL;
		ok = els != NULL;
		cJSON *x = ok ? mrkdwn_obj("mrkdwn", ctx) : NULL;
		ok = x && cJSON_AddItemToArray(els, x);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

char *notify_payload(const struct notify_doc *d, enum notify_format format)
{
	cJSON *o = format == NOTIFY_SLACK ? slack_doc(d) : json_doc(d);
	if (!o)
		return NULL;
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	/* cJSON copies bytes >= 0x80 as they are: a server message cut inside a character or
	 * a file name may not be UTF-8, and the receiver's JSON parser wants UTF-8 */
	char *valid = text ? log_json_dup(text) : NULL;
	if (text)
		cJSON_free(text);
	return valid; /* malloc'd: cJSON_free() is free() (dbready sets no cJSON hooks) */
}

/* ---------- posting ---------- */

static bool posts(enum command cmd)
{
	return cmd == CMD_RUN || cmd == CMD_MIGRATE || cmd == CMD_WAIT || cmd == CMD_AWAIT;
}

/* "HTTP status 500". The receiver's body is not relayed: it may echo the webhook URL or
 * the token in its path, in any form (cut, encoded) the scrubber cannot recognise. */
static void status_reason(const struct http_response *r, char *out, size_t cap)
{
	snprintf(out, cap, "HTTP status %ld", r->status);
}

int notify_outcome(const struct config *cfg, int rc)
{
	if (st.posted || !st.url || !posts(cfg->cmd))
		return rc;
	st.posted = true;

	char host[256] = "";
	const char *h = getenv("HOSTNAME");
	if (h && *h)
		snprintf(host, sizeof host, "%s", h);
	else if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "unknown");
	const char *pod = getenv("POD_NAME"), *ns = getenv("POD_NAMESPACE");
	char finished[40];
	log_rfc3339_now(finished, sizeof finished);
	struct notify_doc d = {
	        .command = cli_command_name(cfg->cmd),
	        .exit_code = rc,
	        .message = termlog_last(),
	        .database = st.database,
	        .host = host,
	        .pod_name = pod && *pod ? pod : NULL,
	        .pod_namespace = ns && *ns ? ns : NULL,
	        .version = DBREADY_VERSION,
	        .started_at = st.started_at,
	        .finished_at = finished,
	        .duration_ms = (long long)(clock_ms() - st.started_ms),
	        .migrations_known = st.migrations_known,
	        .applied = st.applied,
	        .napplied = st.napplied,
	        .pending = (const char *const *)st.pending,
	        .npending = st.npending,
	};
	char *body = notify_payload(&d, cfg->notify_format);
	if (!body) {
		log_error("could not build the outcome webhook's document: out of memory");
		return rc == EXIT_DONE && cfg->notify_required ? EXIT_INTERNAL : rc;
	}

	/* after SIGTERM the pod is going away: one short try */
	bool after_signal = signals_caught() != 0;
	int max = after_signal ? 1 : NOTIFY_ATTEMPTS;
	static const char *const headers[] = {"Content-Type: application/json", NULL};
	struct http_request req = {
	        .method = "POST",
	        .url = st.url,
	        .headers = headers,
	        .body = body,
	        .body_len = strlen(body),
	        .timeout_ms = after_signal ? 2000 : NOTIFY_TIMEOUT_MS,
	        .max_response = 16 * 1024,
	        .discard_excess = true, /* a 2xx with a long body was delivered */
	};
	struct backoff b;
	backoff_init(&b, 500, 2000, 0);
	char why[512] = "";
	int attempt;
	bool sent = false;
	for (attempt = 1; attempt <= max; attempt++) {
		struct http_response resp;
		int r = http_perform(&req, &resp);
		bool permanent = false;
		if (r == 0 && resp.status >= 200 && resp.status <= 299) {
			struct log_fields lf = LOG_FIELDS_INIT;
			lf.event = "notify_sent";
			lf.attempt = attempt;
			log_emit(LOG_INFO, &lf, "outcome posted to %s (HTTP %ld)", st.shown,
			         resp.status);
			sent = true;
		} else if (r == 0) {
			status_reason(&resp, why, sizeof why);
			/* the receiver said no (wrong URL, revoked hook): asking again will not
			 * help */
			permanent = resp.status != 429 && resp.status < 500;
		} else {
			snprintf(why, sizeof why, "%s", resp.error);
		}
		http_response_free(&resp);
		if (sent || permanent || attempt == max || signals_caught())
			break;
		int64_t sleep = backoff_next(&b, -1);
		struct log_fields lf = LOG_FIELDS_INIT;
		lf.event = "notify_attempt_failed";
		lf.attempt = attempt;
		log_emit(LOG_WARN, &lf,
		         "outcome webhook %s: attempt %d failed: %s; next try in %lld ms",
		         st.shown, attempt, why, (long long)sleep);
		if (signals_sleep(sleep))
			break;
	}
	cJSON_free(body);
	if (sent)
		return rc;
	if (attempt > max)
		attempt = max;
	struct log_fields lf = LOG_FIELDS_INIT;
	lf.event = "notify_failed";
	lf.attempt = attempt;
	lf.detail = why;
	if (cfg->notify_required && rc == EXIT_DONE) {
		lf.exit_code = EXIT_HTTP;
		lf.hint = "Check the webhook URL and that the receiver is reachable from here; "
		          "without --notify-required a failed webhook is only logged.";
		log_emit(LOG_ERROR, &lf, "could not post the outcome to %s (--notify-required)",
		         st.shown);
		termlog_write("error (exit %d): could not post the outcome to %s: %s", EXIT_HTTP,
		              st.shown, why);
		return EXIT_HTTP;
	}
	lf.hint = "The exit code is not changed by this; --notify-required makes a failed "
	          "webhook fail a successful run (exit 10).";
	log_emit(LOG_WARN, &lf, "could not post the outcome to %s", st.shown);
	return rc;
}
