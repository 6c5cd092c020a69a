/* test_depwait.c - --wait-for target lists: splitting, each scheme, expectations, errors,
 * and that credentials become secrets before any message can show them. */
#include <stdio.h>
#include <string.h>

#include "depwait.h"
#include "exitcode.h"
#include "log.h"
#include "unit.h"

struct parse_case {
	const char *list;
	int rc;
	int n;
	/* the first target (when rc == EXIT_DONE and n > 0) */
	enum dep_kind kind;
	const char *url, *shown;
	long status;
	const char *body;
	long long timeout_ms;
	const char *err; /* rc != EXIT_DONE: a part of the message */
};

/* clang-format off */
static const struct parse_case parse_cases[] = {
	{"tcp://redis:6379", EXIT_DONE, 1, DEP_TCP, "http://redis:6379/", "tcp://redis:6379", 0, NULL, 0, NULL},
	{"TCP://redis:6379/", EXIT_DONE, 1, DEP_TCP, "http://redis:6379/", "TCP://redis:6379/", 0, NULL, 0, NULL},
	{"tcp://[fd00::1]:5672", EXIT_DONE, 1, DEP_TCP, "http://[fd00::1]:5672/", "tcp://[fd00::1]:5672", 0, NULL, 0, NULL},
	{"tcp://mq:5672#timeout=2s", EXIT_DONE, 1, DEP_TCP, "http://mq:5672/", "tcp://mq:5672", 0, NULL, 2000, NULL},
	{"http://auth:8080/healthz", EXIT_DONE, 1, DEP_HTTP, "http://auth:8080/healthz", "http://auth:8080/healthz", 0, NULL, 0, NULL},
	{"https://auth/healthz#status=204", EXIT_DONE, 1, DEP_HTTP, "https://auth/healthz", "https://auth/healthz", 204, NULL, 0, NULL},
	{"http://a/x#body=all%20good&timeout=1500ms", EXIT_DONE, 1, DEP_HTTP, "http://a/x", "http://a/x", 0, "all good", 1500, NULL},
	{"http://a/x#status=200&body=%22ok%22&", EXIT_DONE, 1, DEP_HTTP, "http://a/x", "http://a/x", 200, "\"ok\"", 0, NULL},
	/* commas inside a URL stay; a comma before the next scheme separates */
	{"http://a/x?ids=1,2,3,https://b/", EXIT_DONE, 2, DEP_HTTP, "http://a/x?ids=1,2,3", "http://a/x?***", 0, NULL, 0, NULL},
	{"tcp://a:1, tcp://b:2 ,\n http://c/", EXIT_DONE, 3, DEP_TCP, "http://a:1/", "tcp://a:1", 0, NULL, 0, NULL},
	{"tcp://a:1 tcp://b:2", EXIT_DONE, 2, DEP_TCP, "http://a:1/", "tcp://a:1", 0, NULL, 0, NULL},
	{",tcp://a:1,,tcp://b:2,", EXIT_DONE, 2, DEP_TCP, "http://a:1/", "tcp://a:1", 0, NULL, 0, NULL},
	{"", EXIT_DONE, 0, DEP_TCP, NULL, NULL, 0, NULL, 0, NULL},
	{" , ", EXIT_DONE, 0, DEP_TCP, NULL, NULL, 0, NULL, 0, NULL},
	/* errors: exit 2 naming the target */
	{"tcp://redis", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "host and port are required in --wait-for target \"tcp://redis\""},
	{"tcp://redis:0", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "invalid port"},
	{"tcp://redis:65536", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "invalid port"},
	{"tcp://redis:63x", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "invalid port"},
	{"tcp://::1:5432", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "host and port are required"},
	{"tcp://[]:5432", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "host and port are required"},
	{"tcp://redis:6379/db", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "a path or query is not allowed"},
	{"tcp://redis:6379,db:5432", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "a comma is not allowed"},
	{"redis:6379", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "the scheme is missing"},
	{"postgres://db:5432/app", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "unsupported scheme \"postgres\""},
	{"http://", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "in --wait-for target \"http://\""},
	{"http://a/#status=99", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "invalid status \"99\""},
	{"http://a/#status=2xx", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "invalid status"},
	{"http://a/#body=", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "expectation \"body\" has no value"},
	{"http://a/#body=%4", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "invalid percent-encoding"},
	{"http://a/#body=%00", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "invalid percent-encoding"},
	{"http://a/#timeout=0", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "invalid timeout"},
	{"http://a/#retries=3", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "unknown expectation \"retries\""},
	{"tcp://a:1#status=200", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "unknown expectation \"status\""},
	/* the second target is at fault: the first is fine */
	{"tcp://a:1,ftp://b/", EXIT_USAGE, 0, 0, NULL, NULL, 0, NULL, 0, "unsupported scheme \"ftp\""},
};
/* clang-format on */

static void parse_body(const void *arg)
{
	const struct parse_case *c = arg;
	struct dep_list l;
	char err[1024] = "";
	const char *lists[] = {c->list};
	int rc = depwait_parse(lists, 1, &l, err, sizeof err);
	EXPECT_INT(rc, c->rc);
	if (rc == EXIT_DONE) {
		EXPECT_INT(l.n, c->n);
		if (l.n > 0 && c->n > 0) {
			const struct dep_target *t = &l.t[0];
			EXPECT_INT(t->kind, c->kind);
			EXPECT_STR(t->url, c->url);
			EXPECT_STR(t->shown, c->shown);
			EXPECT_INT(t->want_status, c->status);
			EXPECT_STR(t->want_body, c->body);
			EXPECT_INT(t->timeout_ms, c->timeout_ms);
		}
	} else {
		EXPECT_CONTAINS(err, c->err);
		EXPECT_CONTAINS(err, "\nHINT: ");
	}
	depwait_free(&l);
}

/* Credentials in a target are secrets from the moment it is parsed; messages show the
 * target redacted. */
static void secrets_body(const void *arg)
{
	(void)arg;
	struct dep_list l;
	char err[1024] = "";
	const char *ok[] = {"http://user:Pw-one-123@h/x", "https://Tok-two-456@h/y"};
	EXPECT_INT(depwait_parse(ok, 2, &l, err, sizeof err), EXIT_DONE);
	EXPECT_INT(l.n, 2);
	if (l.n == 2) {
		EXPECT_STR(l.t[0].shown, "http://user:***@h/x");
		EXPECT_STR(l.t[1].shown, "https://***@h/y");
	}
	depwait_free(&l);
	char line[128] = "a Pw-one-123 b Tok-two-456 c Pw%2Done";
	log_scrub(line, sizeof line);
	EXPECT_STR(line, "a *** b *** c Pw%2Done");
	/* percent-encoded: the decoded password is a secret too */
	const char *enc[] = {"http://user:Pw%40three-789@h/"};
	EXPECT_INT(depwait_parse(enc, 1, &l, err, sizeof err), EXIT_DONE);
	depwait_free(&l);
	char line2[128] = "x Pw@three-789 y Pw%40three-789";
	log_scrub(line2, sizeof line2);
	EXPECT_STR(line2, "x *** y ***");
	/* an invalid target never quotes its password, whatever characters it holds */
	static char longer[2200];
	snprintf(longer, sizeof longer, "http://u:%0100dPw-four-000%02000d@h/", 0, 0);
	const char *bad[] = {"tcp://u:Pw-four-000@h:1",
	                     "http://u:Pw-four-000@h/#status=x",
	                     "http://u:Pw-four/000+x==@h:8080/healthz",
	                     "http://u:Pw-four-000?x@h",
	                     "http://u:Pw-four-000#x@h",
	                     "http://u:Pw-four-000 x@h",
	                     "http://u:Pw-four-000,http://x@h",
	                     "//u:Pw-four-000@h/",
	                     "http:/u:Pw-four-000@h/",
	                     longer};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		EXPECT_INT(depwait_parse(&bad[i], 1, &l, err, sizeof err), EXIT_USAGE);
		EXPECT(!strstr(err, "Pw-four"), "the password is in \"%s\"", err);
		depwait_free(&l);
	}
	/* "token:@host": an empty password, the user name is the secret */
	const char *tok[] = {"http://Tok-six-222:@h/x"};
	EXPECT_INT(depwait_parse(tok, 1, &l, err, sizeof err), EXIT_DONE);
	if (l.n == 1)
		EXPECT_STR(l.t[0].shown, "http://***@h/x");
	depwait_free(&l);
	char line3[64] = "a Tok-six-222 b";
	log_scrub(line3, sizeof line3);
	EXPECT_STR(line3, "a *** b");
}

static void many_body(const void *arg)
{
	(void)arg;
	char list[4096] = "";
	size_t n = 0;
	for (int i = 0; i <= DEPWAIT_MAX_TARGETS; i++)
		n += (size_t)snprintf(list + n, sizeof list - n, "tcp://h%d:1,", i);
	struct dep_list l;
	char err[1024] = "";
	const char *lists[] = {list};
	EXPECT_INT(depwait_parse(lists, 1, &l, err, sizeof err), EXIT_USAGE);
	EXPECT_CONTAINS(err, "more than 32 --wait-for targets");
	depwait_free(&l);
	/* several lists (repeated --wait-for) add up */
	const char *two[] = {"tcp://a:1,tcp://b:2", "http://c/"};
	EXPECT_INT(depwait_parse(two, 2, &l, err, sizeof err), EXIT_DONE);
	EXPECT_INT(l.n, 3);
	depwait_free(&l);
}

void suite_depwait(void)
{
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		char name[96];
		snprintf(name, sizeof name, "%s", parse_cases[i].list);
		for (char *p = name; *p; p++)
			if (*p == '\n')
				*p = ' ';
		if (!unit_begin("depwait: parse \"%s\"", name))
			continue;
		unit_isolated(parse_body, &parse_cases[i]);
		unit_end();
	}
	if (unit_begin("depwait: credentials are secrets, messages show targets redacted")) {
		unit_isolated(secrets_body, NULL);
		unit_end();
	}
	if (unit_begin("depwait: at most 32 targets; repeated lists add up")) {
		unit_isolated(many_body, NULL);
		unit_end();
	}
}
