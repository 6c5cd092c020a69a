/* test_notify.c - the outcome webhook's documents (README "Outcome webhook"): the JSON shape,
 * Slack's text + blocks, and no registered secret in either. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "notify.h"
#include "unit.h"

static const struct notify_migration applied[] = {{"0001_init", 12}, {"0002_users", -1}};
static const char *const pending[] = {"0003_<x>&y"};

static struct notify_doc sample(int exit_code, const char *message)
{
	struct notify_doc d = {
	        .command = "run",
	        .exit_code = exit_code,
	        .message = message,
	        .database = "postgres://app:***@db:5432/app",
	        .host = "web-7d9f",
	        .pod_name = "web-7d9f",
	        .pod_namespace = "shop",
	        .version = "1.2.3",
	        .started_at = "2026-01-02T03:04:05.006Z",
	        .finished_at = "2026-01-02T03:04:06.007Z",
	        .duration_ms = 1001,
	        .migrations_known = true,
	        .applied = applied,
	        .napplied = 2,
	        .pending = pending,
	        .npending = 1,
	};
	return d;
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void json_body(const void *arg)
{
	(void)arg;
	struct notify_doc d =
	        sample(EXIT_DONE, "ok: applied 2 migrations (0001_init..0002_users)");
	char *text = notify_payload(&d, NOTIFY_JSON);
	cJSON *o = text ? cJSON_Parse(text) : NULL;
	EXPECT(o != NULL, "not JSON: %s", text ? text : "(null)");
	if (o) {
		EXPECT_STR(str(o, "source"), "dbready");
		EXPECT_STR(str(o, "version"), "1.2.3");
		EXPECT_STR(str(o, "command"), "run");
		EXPECT_STR(str(o, "outcome"), "ok");
		EXPECT_INT(cJSON_GetObjectItem(o, "exit_code")->valuedouble, 0);
		EXPECT_STR(str(o, "database"), "postgres://app:***@db:5432/app");
		EXPECT_STR(str(o, "host"), "web-7d9f");
		const cJSON *pod = cJSON_GetObjectItem(o, "pod");
		EXPECT_STR(str(pod, "namespace"), "shop");
		EXPECT_STR(str(o, "started_at"), "2026-01-02T03:04:05.006Z");
		EXPECT_INT(cJSON_GetObjectItem(o, "duration_ms")->valuedouble, 1001);
		const cJSON *m = cJSON_GetObjectItem(o, "migrations");
		const cJSON *a = cJSON_GetObjectItem(m, "applied");
		EXPECT_INT(cJSON_GetArraySize(a), 2);
		EXPECT_STR(str(cJSON_GetArrayItem(a, 0), "name"), "0001_init");
		EXPECT_INT(
		        cJSON_GetObjectItem(cJSON_GetArrayItem(a, 0), "duration_ms")->valuedouble,
		        12);
		EXPECT(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "duration_ms")),
		       "unknown duration is not null");
		const cJSON *p = cJSON_GetObjectItem(m, "pending");
		EXPECT_INT(cJSON_GetArraySize(p), 1);
		EXPECT_STR(cJSON_GetArrayItem(p, 0)->valuestring, "0003_<x>&y");
	}
	cJSON_Delete(o);
	cJSON_free(text);

	/* wait: no migrations key; no pod without the downward API */
	d = sample(EXIT_SIGNAL_BASE + 15, "stopped (exit 143): SIGTERM while waiting");
	d.command = "wait";
	d.migrations_known = false;
	d.pod_name = d.pod_namespace = NULL;
	text = notify_payload(&d, NOTIFY_JSON);
	o = text ? cJSON_Parse(text) : NULL;
	EXPECT(o != NULL, "not JSON");
	EXPECT_STR(str(o, "outcome"), "stopped");
	EXPECT(!cJSON_GetObjectItem(o, "migrations"), "migrations present for wait");
	EXPECT(!cJSON_GetObjectItem(o, "pod"), "pod present without POD_NAME");
	cJSON_Delete(o);
	cJSON_free(text);
	EXPECT_STR(notify_outcome_word(EXIT_APPLY), "error");
}

static void slack_body(const void *arg)
{
	(void)arg;
	struct notify_doc d = sample(EXIT_APPLY, "error (exit 7): migration \"0003\" failed");
	char *text = notify_payload(&d, NOTIFY_SLACK);
	cJSON *o = text ? cJSON_Parse(text) : NULL;
	EXPECT(o != NULL, "not JSON");
	EXPECT_CONTAINS(str(o, "text"), "dbready run on web-7d9f: error (exit 7)");
	const cJSON *blocks = cJSON_GetObjectItem(o, "blocks");
	EXPECT(cJSON_IsArray(blocks) && cJSON_GetArraySize(blocks) == 3, "blocks: %s", text);
	const cJSON *b0 = cJSON_GetArrayItem(blocks, 0);
	EXPECT_STR(str(b0, "type"), "section");
	EXPECT_STR(str(cJSON_GetObjectItem(b0, "text"), "type"), "mrkdwn");
	EXPECT_CONTAINS(str(cJSON_GetObjectItem(b0, "text"), "text"), ":x: *dbready run*: error");
	const cJSON *fields = cJSON_GetObjectItem(cJSON_GetArrayItem(blocks, 1), "fields");
	EXPECT_INT(cJSON_GetArraySize(fields), 4);
	/* mrkdwn's control characters are escaped */
	EXPECT_CONTAINS(str(cJSON_GetArrayItem(fields, 3), "text"), "0003_&lt;x&gt;&amp;y");
	EXPECT_CONTAINS(str(cJSON_GetArrayItem(fields, 2), "text"), "0001_init (12 ms)");
	EXPECT_STR(str(cJSON_GetArrayItem(blocks, 2), "type"), "context");
	cJSON_Delete(o);
	cJSON_free(text);
}

/* Slack's limits (3000 characters of text): a long message is cut visibly, at a character
 * boundary, never silently. */
static void slack_cut_body(const void *arg)
{
	(void)arg;
	static char msg[5000];
	size_t n = 0;
	n += (size_t)snprintf(msg, sizeof msg, "error (exit 7): ");
	while (n + 3 < sizeof msg) { /* "é" is two bytes: a byte cut would land inside one */
		msg[n++] = '\xC3';
		msg[n++] = '\xA9';
	}
	msg[n] = '\0';
	struct notify_doc d = sample(EXIT_APPLY, msg);
	char *text = notify_payload(&d, NOTIFY_SLACK);
	cJSON *o = text ? cJSON_Parse(text) : NULL;
	EXPECT(o != NULL, "not JSON");
	const char *t = str(o, "text");
	EXPECT_CONTAINS(t, "… (cut, ");
	EXPECT(t && strlen(t) < 3000, "text is %zu bytes", t ? strlen(t) : 0);
	EXPECT(t && !strstr(t, "\xEF\xBF\xBD"), "a character was split: %s", t ? t : "(null)");
	const cJSON *b0 = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "blocks"), 0);
	const char *head = str(cJSON_GetObjectItem(b0, "text"), "text");
	EXPECT_CONTAINS(head, "… (cut)");
	EXPECT(head && !strstr(head, "\xEF\xBF\xBD"), "head split a character");
	cJSON_Delete(o);
	cJSON_free(text);
}

/* Whatever a caller passes, a registered secret never reaches the document. */
static void secret_body(const void *arg)
{
	(void)arg;
	log_add_secret("Sekrit-canary-42");
	struct notify_doc d =
	        sample(EXIT_CONFIG, "error (exit 3): bad Sekrit-canary-42 \"quoted\"");
	d.database = "postgres://app:Sekrit-canary-42@db/app";
	for (int f = 0; f < 2; f++) {
		char *text = notify_payload(&d, f ? NOTIFY_SLACK : NOTIFY_JSON);
		EXPECT(text && !strstr(text, "Sekrit-canary-42"), "secret in %s",
		       text ? text : "(null)");
		cJSON *o = text ? cJSON_Parse(text) : NULL;
		EXPECT(o != NULL, "scrubbing broke the JSON: %s", text ? text : "(null)");
		cJSON_Delete(o);
		cJSON_free(text);
	}
}

void suite_notify(void)
{
	if (unit_begin("notify: JSON document shape")) {
		unit_isolated(json_body, NULL);
		unit_end();
	}
	if (unit_begin("notify: Slack text and blocks")) {
		unit_isolated(slack_body, NULL);
		unit_end();
	}
	if (unit_begin("notify: Slack texts cut visibly at a character boundary")) {
		unit_isolated(slack_cut_body, NULL);
		unit_end();
	}
	if (unit_begin("notify: no registered secret in either document")) {
		unit_isolated(secret_body, NULL);
		unit_end();
	}
}
