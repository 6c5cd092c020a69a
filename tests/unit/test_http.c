/* test_http.c - URL redaction for logs and payloads, and http_perform's transport errors. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "unit.h"

struct redact_case {
	const char *url;
	const char *want;      /* http_redact_url */
	const char *want_path; /* http_redact_url_path */
};

/* clang-format off */
static const struct redact_case redact_cases[] = {
	{"http://auth:8080/healthz", "http://auth:8080/healthz", "http://auth:8080/***"},
	{"https://user:s3cret@host/path?token=abc", "https://user:***@host/path?***",
	 "https://user:***@host/***"},
	{"https://user:p@ss@host:443/x", "https://user:***@host:443/x", "https://user:***@host:443/***"},
	{"https://ghp_TOKEN@github.com/x", "https://***@github.com/x", "https://***@github.com/***"},
	/* an empty password: the user name is the token */
	{"https://user:@host/", "https://***@host/", "https://***@host/***"},
	{"http://host", "http://host", "http://host"},
	{"http://host?k=v", "http://host?***", "http://host/***"},
	{"http://host/a#frag", "http://host/a#***", "http://host/***"},
	{"http://host/a?q=1#status=204", "http://host/a?***#***", "http://host/***"},
	{"http://[::1]:8080/ready", "http://[::1]:8080/ready", "http://[::1]:8080/***"},
	{"https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/services/T0/B0/XYZ",
	 "https://hooks.slack.com/***"},
	{"tcp://redis:6379", "tcp://redis:6379", "tcp://redis:6379"},
	{"tcp://u:pw@redis:6379", "tcp://u:***@redis:6379", "tcp://u:***@redis:6379"},
	/* no scheme: the authority starts at once */
	{"user:pw@host/x", "user:***@host/x", "user:***@host/***"},
	/* any '@' may end a userinfo (a password may hold '/', '?', '#', '@' unencoded): all
	 * up to the last one is masked */
	{"http://host/a@b", "http://***@b", "http://***@b"},
	{"/x?u=http://a:b@c", "/x?u=http:***@c", "/x?u=http:***@c"},
	{"http://u:Canary/XYZ+pW==@h:8080/healthz", "http://u:***@h:8080/healthz", "http://u:***@h:8080/***"},
	{"http://u:Canary-XYZ-pW?x@h", "http://u:***@h", "http://u:***@h"},
	{"http://u:Canary-XYZ#pW@h/p", "http://u:***@h/p", "http://u:***@h/***"},
	{"http://u:Canary-XYZ,http://pW@h/", "http://u:***@h/", "http://u:***@h/***"},
	{"http://tok@h:1/x@y", "http://***@y", "http://***@y"},
	/* a missing or mistyped scheme */
	{"//u:Canary-XYZ-pW@h/", "//u:***@h/", "//u:***@h/***"},
	{"http:/u:Canary-XYZ-pW@h/", "http:***@h/", "http:***@h/***"},
	{"", "", ""},
};
/* clang-format on */

static void redact_body(const void *arg)
{
	const struct redact_case *c = arg;
	char out[256];
	http_redact_url(c->url, out, sizeof out);
	EXPECT_STR(out, c->want);
	http_redact_url_path(c->url, out, sizeof out);
	EXPECT_STR(out, c->want_path);
}

static void redact_truncates(void)
{
	if (!unit_begin("http: redaction truncates and never overflows"))
		return;
	char out[12];
	memset(out, 'X', sizeof out);
	http_redact_url("https://user:secret@very-long-host.example/path?q", out, sizeof out);
	EXPECT_INT(strlen(out), sizeof out - 1);
	EXPECT(strstr(out, "secret") == NULL, "secret in \"%s\"", out);
	char one[1];
	http_redact_url("https://a:b@c", one, sizeof one);
	EXPECT_INT(one[0], 0);
	char small[20];
	http_redact_url(NULL, small, sizeof small);
	EXPECT_STR(small, "");
	/* redacted first, truncated after: no prefix of the password */
	char mid[40];
	http_redact_url("http://u:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACanary@h/", mid,
	                sizeof mid);
	EXPECT_STR(mid, "http://u:***@h/");
	unit_end();
}

/* Nothing listens on port 1 of the loopback address: a transport error, no status. */
static void perform_refused(const void *arg)
{
	(void)arg;
	struct http_response r;
	struct http_request q = {
	        .method = "GET", .url = "http://127.0.0.1:1/", .timeout_ms = 2000};
	EXPECT_INT(http_perform(&q, &r), -1);
	EXPECT_INT(r.status, 0);
	EXPECT(r.error[0] != '\0', "no error text");
	http_response_free(&r);
	struct http_request bad = {
	        .method = "GET", .url = "file:///etc/passwd", .timeout_ms = 500};
	EXPECT_INT(http_perform(&bad, &r), -1);
	EXPECT(r.body == NULL, "file:// read a body");
	http_response_free(&r);
	http_global_cleanup();
}

/* Proxy variables' credentials are secrets once libcurl starts; curl's error texts quoting
 * a URL with userinfo are redacted. */
static void proxy_body(const void *arg)
{
	(void)arg;
	http_global_cleanup();
	/* in the isolated child only: the runner does not save this variable */
	setenv("http_proxy", "htp://user:Canary-proxy-pW@proxy:3128", 1);
	EXPECT_INT(http_global_init(), 0);
	char line[128] = "for 'htp://user:Canary-proxy-pW@proxy:3128' Canary-proxy-pW";
	log_scrub(line, sizeof line);
	EXPECT(!strstr(line, "Canary-proxy-pW"), "proxy password in \"%s\"", line);
	log_forget_secrets();
	struct http_response r;
	struct http_request q = {
	        .method = "GET", .url = "http://svc.example:1/", .timeout_ms = 2000};
	EXPECT_INT(http_perform(&q, &r), -1);
	EXPECT(!strstr(r.error, "Canary-proxy-pW"), "proxy password in \"%s\"", r.error);
	http_response_free(&r);
	http_global_cleanup();
}

void suite_http(void)
{
	for (size_t i = 0; i < sizeof redact_cases / sizeof redact_cases[0]; i++) {
		if (!unit_begin("http: redact \"%s\"", redact_cases[i].url))
			continue;
		unit_isolated(redact_body, &redact_cases[i]);
		unit_end();
	}
	redact_truncates();
	if (unit_begin("http: refused connection and a non-HTTP scheme are transport errors")) {
		unit_isolated(perform_refused, NULL);
		unit_end();
	}
	if (unit_begin("http: proxy credentials from the environment are secrets and redacted")) {
		unit_isolated(proxy_body, NULL);
		unit_end();
	}
}
