/* test_buffers.c - no silent truncation (issue 10, point 6): long URLs, host names, error
 * texts, variable values and lists are kept whole, cut visibly ("... (cut, N more bytes)",
 * "and N more") or refused - never cut without a word. Every case here failed on the code
 * that cut them silently. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "cli.h"
#include "cloudauth.h"
#include "connect.h"
#include "dburl.h"
#include "depwait.h"
#include "err.h"
#include "exitcode.h"
#include "format.h"
#include "history.h"
#include "http.h"
#include "log.h"
#include "plan.h"
#include "unit.h"
#include "wait.h"

#define CUT_MARK "\xE2\x80\xA6 (cut, "

/* A malloc'd string: prefix, n copies of c, suffix. */
static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *s = malloc(pl + n + sl + 1);
	if (!s)
		abort();
	memcpy(s, prefix, pl);
	memset(s + pl, c, n);
	memcpy(s + pl + n, suffix, sl + 1);
	return s;
}

/* ---------- http.c ---------- */

struct redact_case {
	const char *name;
	const char *prefix; /* then n copies of fill, then suffix */
	char fill;
	size_t n;
	const char *suffix;
	size_t cap;         /* the output buffer */
	bool error_text;    /* http_redact_error instead of http_redact_url */
	const char *want;   /* contained in the output */
	const char *absent; /* never in the output */
};

/* clang-format off */
static const struct redact_case redact_cases[] = {
	{"a long URL is cut visibly", "https://user:s3cret-pw@host/", 'p', 600, "?q=1", 256, false,
	 CUT_MARK, "s3cret-pw"},
	{"a long query is masked, then the rest fits", "https://host/x?", 'q', 600, "", 256, false,
	 "https://host/x?***", "qqq"},
	/* a word longer than CURL_ERROR_SIZE: its '@' used to be past the copy, the password
	 * before it left unmasked */
	{"a long proxy URL in an error text is redacted", "proxy 'http://user:", 'P', 400,
	 "@proxy:3128' failed", 256, true, "user:***@proxy:3128", "PPPP"},
};
/* clang-format on */

static void redact_body(const void *arg)
{
	const struct redact_case *c = arg;
	char *in = repeat(c->prefix, c->fill, c->n, c->suffix);
	char *out = malloc(c->cap);
	if (c->error_text)
		http_redact_error(in, out, c->cap);
	else
		http_redact_url(in, out, c->cap);
	EXPECT(strlen(out) < c->cap, "overflow: %zu bytes", strlen(out));
	EXPECT_CONTAINS(out, c->want);
	EXPECT(!strstr(out, c->absent), "\"%s\" in \"%s\"", c->absent, out);
	char *whole = c->error_text ? http_redact_error_dup(in) : http_redact_url_dup(in);
	EXPECT(whole != NULL, "out of memory");
	if (whole) {
		EXPECT(!strstr(whole, c->absent), "\"%s\" in \"%s\"", c->absent, whole);
		EXPECT(strlen(whole) <= strlen(in) + HTTP_REDACT_GROWTH, "grew by %zu",
		       strlen(whole) - strlen(in));
		EXPECT(!strstr(whole, CUT_MARK), "the whole form is cut: \"%s\"", whole);
	}
	free(whole);
	free(out);
	free(in);
}

static void ca_file_body(const void *arg)
{
	(void)arg;
	char *path = repeat("/etc/", 'c', 5000, "/ca.pem");
	EXPECT(http_set_ca_file(path), "out of memory");
	EXPECT_STR(http_ca_file(), path);
	EXPECT(http_set_ca_file(NULL), "unset");
	EXPECT(http_ca_file() == NULL, "still set");
	free(path);
}

/* ---------- depwait.c ---------- */

struct dep_case {
	const char *name;
	const char *prefix; /* then n copies of fill, then suffix */
	char fill;
	size_t n;
	const char *suffix;
	int rc;
	const char *want;   /* rc == EXIT_DONE: the first target's shown form is the input
	                     * with this suffix removed (NULL: the input); else: in err */
	const char *want2;  /* also in err */
	const char *absent; /* never in err */
};

/* clang-format off */
static const struct dep_case dep_cases[] = {
	{"a 1500-byte target is shown whole", "http://auth:8080/", 'a', 1500, "", EXIT_DONE, NULL,
	 NULL, NULL},
	{"a long scheme is quoted whole", "", 's', 40, "://h/", EXIT_USAGE,
	 "unsupported scheme \"ssssssssssssssssssssssssssssssssssssssss\"", "HINT: ", NULL},
	{"a long expectation key is quoted whole", "http://h/#", 'k', 100, "=1", EXIT_USAGE,
	 "unknown expectation \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	 "kkkkkkkkkkkkkkkkkkkkkkkkkk\"", "HINT: ", NULL},
	{"a value too long for the message is cut visibly, the HINT kept", "http://h/#status=", '9',
	 1500, "", EXIT_USAGE, CUT_MARK, "\nHINT: Give one HTTP status code", NULL},
	{"a target over the limit says how long it is", "http://h/", 'x', 3000, "", EXIT_USAGE,
	 "is longer than 2048 bytes (3009)", "HINT: Shorten the URL.", NULL},
	/* "http://u:12#pw@h/" parses as host u, port 12: the '#' is in the password, and what
	 * follows it must not be quoted as an expectation */
	{"a '#' in a password is not quoted as an expectation", "http://u:12#Canary", 'X', 8,
	 "@h/", EXIT_USAGE, "expectation \"***\"", NULL, "Canary"},
	{"a '#' in a password is not quoted as a value", "http://u:12#status=Canary", 'X', 8,
	 "@h/", EXIT_USAGE, "invalid status \"***\"", NULL, "Canary"},
};
/* clang-format on */

static void dep_body(const void *arg)
{
	const struct dep_case *c = arg;
	char *in = repeat(c->prefix, c->fill, c->n, c->suffix);
	const char *lists[] = {in};
	struct dep_list l;
	char err[1024] = "";
	int rc = depwait_parse(lists, 1, &l, err, sizeof err);
	EXPECT_INT(rc, c->rc);
	if (rc == EXIT_DONE && l.n == 1) {
		EXPECT_STR(l.t[0].shown, in);
	} else if (rc != EXIT_DONE) {
		EXPECT_CONTAINS(err, c->want);
		if (c->want2)
			EXPECT_CONTAINS(err, c->want2);
		if (c->absent)
			EXPECT(!strstr(err, c->absent), "\"%s\" in \"%s\"", c->absent, err);
		EXPECT(strlen(err) < sizeof err, "overflow");
	}
	depwait_free(&l);
	free(in);
}

/* ---------- wait.c ---------- */

struct hint_case {
	const char *name;
	enum failure_kind kind;
	const char *sqlstate;
	size_t host_len; /* the host name: this many 'h' */
};

/* clang-format off */
static const struct hint_case hint_cases[] = {
	{"DNS hint quotes a 2000-byte host whole", FAIL_DNS, "", 2000},
	{"network hint quotes a 2000-byte host whole", FAIL_NETWORK, "", 2000},
};
/* clang-format on */

static void hint_body(const void *arg)
{
	const struct hint_case *c = arg;
	static struct dburl u;
	memset(&u, 0, sizeof u);
	char *host = repeat("", 'h', c->host_len, "");
	u.nhosts = 1;
	u.hosts[0].name = host;
	u.hosts[0].port = "5432";
	struct attempt a;
	memset(&a, 0, sizeof a);
	a.kind = c->kind;
	snprintf(a.sqlstate, sizeof a.sqlstate, "%s", c->sqlstate);
	const char *hint = wait_hint(&a, &u);
	char *quoted = repeat("\"", 'h', c->host_len, "\"");
	EXPECT_CONTAINS(hint, quoted);
	free(quoted);
	free(host);
}

/* ---------- cloudauth.c ---------- */

struct answer_case {
	const char *name;
	const char *prefix, *suffix; /* the body: around n copies of fill */
	const char *repeat_unit;     /* or: prefix, n copies of this unit, suffix */
	char fill;
	size_t n;
	const char *want; /* in the reason */
};

/* clang-format off */
static const struct answer_case answer_cases[] = {
	{"a long error description is cut visibly", "{\"error\":\"invalid_client\",\"error_description\":\"",
	 "\"}", "lorem ipsum ", 0, 50, "invalid_client: lorem ipsum lorem"},
	{"a long error code is cut visibly", "{\"error\":\"", "\"}", "ab ", 0, 60, ": ab ab"},
	{"a long text body line is cut visibly", "", "\n", "word ", 0, 100, ": word word"},
	{"many keys end in \"and N more\"", "{", "\"z\":1}", "\"key_number\":1,", 0, 50, " more"},
};
/* clang-format on */

static void answer_body(const void *arg)
{
	const struct answer_case *c = arg;
	char *body;
	if (c->repeat_unit) {
		size_t ul = strlen(c->repeat_unit);
		char *units = malloc(ul * c->n + 1);
		for (size_t i = 0; i < c->n; i++)
			memcpy(units + i * ul, c->repeat_unit, ul);
		units[ul * c->n] = '\0';
		body = malloc(strlen(c->prefix) + strlen(units) + strlen(c->suffix) + 1);
		sprintf(body, "%s%s%s", c->prefix, units, c->suffix);
		free(units);
	} else {
		body = repeat(c->prefix, c->fill, c->n, c->suffix);
	}
	struct cloudauth_token tok;
	char reason[1024] = "";
	bool keys = strstr(c->name, "keys") != NULL; /* a 200 without a token */
	long status = keys ? 200 : 400;
	enum cloudauth_result r = cloudauth_parse_response(
	        FLOW_AZURE_WORKLOAD, status, body, strlen(body), &tok, reason, sizeof reason);
	EXPECT(r != CLOUDAUTH_OK, "a token");
	EXPECT_CONTAINS(reason, c->want);
	if (!keys)
		EXPECT_CONTAINS(reason, CUT_MARK);
	EXPECT(strlen(reason) < 700, "reason of %zu bytes", strlen(reason));
	cloudauth_token_free(&tok);
	free(body);
}

struct var_case {
	const char *name;
	enum auth_mode mode;
	const char *var;
	const char *prefix; /* the value: then n copies of fill, then suffix */
	char fill;
	size_t n;
	const char *suffix;
	const char *want;      /* in the message */
	const char *extra_var; /* and this variable set to "http://" and extra_n 'i' */
	size_t extra_n;
};

/* clang-format off */
static const struct var_case var_cases[] = {
	{"a GCE_METADATA_HOST too long for the URL is refused", AUTH_GCP, "GCE_METADATA_HOST", "",
	 'g', 2100, "", "bytes long, more than the 2047 accepted", NULL, 0},
	{"an IMDS endpoint too long is refused", AUTH_AZURE, "DBREADY_AZURE_IMDS_ENDPOINT",
	 "http://", 'i', 1100, "", "for DBREADY_AZURE_IMDS_ENDPOINT", NULL, 0},
	{"a resource too long is refused", AUTH_AZURE, "DBREADY_AZURE_RESOURCE", "https://", 'r',
	 600, "", "for DBREADY_AZURE_RESOURCE", NULL, 0},
	{"a resource that encodes too long is refused", AUTH_AZURE, "DBREADY_AZURE_RESOURCE",
	 "https://x/", '/', 480, "x", "bytes long, more than the 2047 accepted",
	 "DBREADY_AZURE_IMDS_ENDPOINT", 900},
	{"a client ID too long is refused", AUTH_AZURE, "AZURE_CLIENT_ID", "", 'c', 300, "",
	 "for AZURE_CLIENT_ID", NULL, 0},
};
/* clang-format on */

static void var_body(const void *arg)
{
	const struct var_case *c = arg;
	char *value = repeat(c->prefix, c->fill, c->n, c->suffix);
	setenv(c->var, value, 1); /* the runner restores it after the case */
	if (c->extra_var) {
		char *extra = repeat("http://", 'i', c->extra_n, "");
		setenv(c->extra_var, extra, 1);
		free(extra);
	}
	struct config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.auth = c->mode;
	cfg.url = "postgres://app@db/app";
	cfg.url_origin = "DATABASE_URL";
	static struct dburl u;
	EXPECT_INT(dburl_load(&cfg, &u), EXIT_DONE);
	static struct cloudauth ca;
	static struct err e;
	EXPECT_INT(cloudauth_load(&cfg, &u, &ca, &e), EXIT_CONFIG);
	EXPECT_CONTAINS(e.msg, c->want);
	dburl_free(&u);
	free(value);
}

/* ---------- plan.c ---------- */

struct plan_case {
	const char *name;
	int nchanged;         /* migrations whose hash differs from the row's */
	size_t file_len;      /* bytes of each file name */
	size_t row_hash_len;  /* bytes of each recorded hash ('r' repeated) */
	const char *want;     /* in the DETAIL */
	const char *want_rec; /* in the first migration's recorded_hash */
};

/* clang-format off */
static const struct plan_case plan_cases[] = {
	{"200 changed files end in \"and N more\"", 200, 120, 64, " more migrations.", NULL},
	{"a recorded hash that is no SHA-256 is cut visibly", 1, 20, 100, "recorded hash rrr",
	 CUT_MARK},
};
/* clang-format on */

static void plan_body(const void *arg)
{
	const struct plan_case *c = arg;
	struct migset set;
	memset(&set, 0, sizeof set);
	set.format = format_find("drizzle");
	set.n = c->nchanged;
	set.m = calloc((size_t)c->nchanged, sizeof *set.m);
	struct history h;
	memset(&h, 0, sizeof h);
	h.format = format_find("drizzle");
	h.n = c->nchanged;
	h.rows = calloc((size_t)c->nchanged, sizeof *h.rows);
	for (int i = 0; i < c->nchanged; i++) {
		struct migration *m = &set.m[i];
		char num[16];
		snprintf(num, sizeof num, "%06d", i);
		m->file = repeat(num, 'f', c->file_len, ".sql");
		snprintf(m->key, sizeof m->key, "%d", 1000 + i);
		memset(m->hash, 'a', 64);
		m->hash[64] = '\0';
		h.rows[i].key = m->key;
		h.rows[i].hash = repeat("", 'r', c->row_hash_len, "");
	}
	struct plan p;
	EXPECT(plan_build(&set, &h, &p), "out of memory");
	EXPECT_INT(p.changed, c->nchanged);
	static struct err e;
	EXPECT_INT(plan_check(&set, &p, false, &e), EXIT_MIGRATIONS);
	EXPECT_CONTAINS(e.detail, c->want);
	EXPECT(!strstr(e.detail, CUT_MARK " ") || c->want_rec, "DETAIL cut: \"%s\"", e.detail);
	if (c->want_rec)
		EXPECT_CONTAINS(set.m[0].recorded_hash, c->want_rec);
	if (c->nchanged > 1) {
		/* the lines listed and the ones counted add up */
		int lines = 0;
		for (const char *q = e.detail; (q = strstr(q, " was edited")); q++)
			lines++;
		int more = 0;
		const char *and = strstr(e.detail, "\nand ");
		EXPECT(and&&sscanf(and, "\nand %d more", &more) == 1, "no count in \"%s\"",
		       e.detail);
		EXPECT_INT(lines + more, c->nchanged);
	}
	plan_free(&p);
	for (int i = 0; i < c->nchanged; i++) {
		free(set.m[i].file);
		free(h.rows[i].hash);
	}
	free(set.m);
	free(h.rows);
}

/* ---------- checksum.c ---------- */

static void escape_body(const void *arg)
{
	(void)arg;
	char *in = repeat("name-", 'e', 2000, ".sql");
	char out[768];
	size_t n = utf8_escape(in, out, sizeof out);
	EXPECT_INT(n, strlen(out));
	EXPECT(n < sizeof out, "overflow");
	EXPECT_CONTAINS(out, CUT_MARK);
	EXPECT_CONTAINS(out, " more bytes)");
	/* what fits is not marked */
	EXPECT_INT(utf8_escape("short\x01", out, sizeof out), strlen("short\\x01"));
	EXPECT_STR(out, "short\\x01");
	free(in);
}

/* ---------- the suite ---------- */

void suite_buffers(void)
{
	for (size_t i = 0; i < sizeof redact_cases / sizeof redact_cases[0]; i++)
		if (unit_begin("buffers: http: %s", redact_cases[i].name)) {
			unit_isolated(redact_body, &redact_cases[i]);
			unit_end();
		}
	if (unit_begin("buffers: http: a 5000-byte CA file path is kept whole")) {
		unit_isolated(ca_file_body, NULL);
		unit_end();
	}
	for (size_t i = 0; i < sizeof dep_cases / sizeof dep_cases[0]; i++)
		if (unit_begin("buffers: depwait: %s", dep_cases[i].name)) {
			unit_isolated(dep_body, &dep_cases[i]);
			unit_end();
		}
	for (size_t i = 0; i < sizeof hint_cases / sizeof hint_cases[0]; i++)
		if (unit_begin("buffers: wait: %s", hint_cases[i].name)) {
			unit_isolated(hint_body, &hint_cases[i]);
			unit_end();
		}
	for (size_t i = 0; i < sizeof answer_cases / sizeof answer_cases[0]; i++)
		if (unit_begin("buffers: cloudauth: %s", answer_cases[i].name)) {
			unit_isolated(answer_body, &answer_cases[i]);
			unit_end();
		}
	for (size_t i = 0; i < sizeof var_cases / sizeof var_cases[0]; i++)
		if (unit_begin("buffers: cloudauth: %s", var_cases[i].name)) {
			unit_isolated(var_body, &var_cases[i]);
			unit_end();
		}
	for (size_t i = 0; i < sizeof plan_cases / sizeof plan_cases[0]; i++)
		if (unit_begin("buffers: plan: %s", plan_cases[i].name)) {
			unit_isolated(plan_body, &plan_cases[i]);
			unit_end();
		}
	if (unit_begin("buffers: checksum: utf8_escape marks its cut")) {
		unit_isolated(escape_body, NULL);
		unit_end();
	}
}
